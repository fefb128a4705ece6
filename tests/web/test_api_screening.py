"""The platform screening API: a platform asks, before publishing an upload, whether it copies a
protected work. Real media, synthesised on the spot: a registered song is found in a re-encoded
excerpt (uploaded or at a URL), an unrelated clip matches nothing, a licence held by the
platform lifts the block, and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from jianwang.db import transaction
from jianwang.db.models import Capture, Detection, LedgerEntry
from jianwang.media.transform import Transform, apply_transform
from local_http import LocalServer, Reply, Seen
from web_world import WebWorld, web_world

from media_factory import song


@dataclass
class Media:
    reference: Path  # 20 s of synthesised music, AAC
    excerpt: Path  # 10 s of the registered song, re-encoded as MP3
    other: Path  # unrelated music


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    folder = tmp_path_factory.mktemp("media")
    ref = song(folder / "Spring.m4a", seed=31, seconds=20.0)
    excerpt = apply_transform(
        ref,
        folder / "excerpt.mp3",
        Transform(start_s=6.0, duration_s=10.0, audio_bitrate=64_000),
    )
    other = song(folder / "other.m4a", seed=32, seconds=12.0)
    return Media(reference=ref, excerpt=excerpt, other=other)


@pytest.fixture
def world(tmp_path: Path, media: Media) -> Iterator[WebWorld]:
    with web_world(tmp_path) as built:
        register_spring(built, media)
        yield built


def register_spring(world: WebWorld, media: Media) -> None:
    made = world.post(
        "admin", "/works", json={"title": "Spring", "kind": "music", "rights_holder": "Label B"}
    )
    assert made.status_code == 201, made.text
    world.ids["Spring"] = made.json()["id"]
    with media.reference.open("rb") as fh:
        added = world.post("label", f"/works/{world.ids['Spring']}/references", files={"file": fh})
    assert added.status_code == 201, added.text


def screen(world: WebWorld, user: str | None, path: Path) -> tuple[int, Any]:
    with path.open("rb") as fh:
        response = world.post(user, "/screen", files={"file": (path.name, fh)})
    return response.status_code, response.json()


def recorded(world: WebWorld) -> list[int]:
    with transaction(world.services.sessions) as s:
        return [
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Capture, Detection, LedgerEntry)
        ]


def test_a_platform_finds_the_work_in_a_copy_and_nothing_in_other_music(
    world: WebWorld, media: Media
) -> None:
    before = recorded(world)
    code, found = screen(world, "platform", media.excerpt)
    assert code == 200, found
    matches = found["matches"]
    assert isinstance(matches, list) and matches
    best = matches[0]
    assert best["work"] == "Spring" and best["work_id"] == world.ids["Spring"]
    assert best["signal"] == "audio.triplets"
    assert best["ref_start"] == pytest.approx(6.0, abs=1.0)
    assert best["query_end"] - best["query_start"] > 7
    assert "aligned audio landmarks" in best["evidence"]
    assert best["confident"] is True and best["licensed"] is False
    assert found["block"] is True
    assert isinstance(found["elapsed_s"], float) and found["elapsed_s"] > 0

    code, nothing = screen(world, "platform", media.other)
    assert code == 200 and nothing["matches"] == [] and nothing["block"] is False
    assert recorded(world) == before  # screening is a question, not a capture
    assert list((world.settings.data_dir / "uploads").iterdir()) == []


def test_a_licence_held_by_the_platform_lifts_the_block(world: WebWorld, media: Media) -> None:
    licence = world.post("admin", "/licences", json={"work": "Spring", "site": "plat1"})
    assert licence.status_code == 201
    _, found = screen(world, "platform", media.excerpt)
    assert found["matches"][0]["licensed"] is True and found["block"] is False
    _, for_officer = screen(world, "officer", media.excerpt)  # not a platform: no licence asked
    assert for_officer["matches"][0]["licensed"] is None
    assert for_officer["block"] is True


def test_only_platforms_officers_and_admins_screen(world: WebWorld, media: Media) -> None:
    for user in ("viewer", "studio", "label"):
        code, body = screen(world, user, media.other)
        assert code == 403 and "may not screen" in str(body["detail"])
    assert screen(world, None, media.other)[0] == 401
    assert screen(world, "admin", media.other)[0] == 200
    refused = world.post("viewer", "/screen/url", json={"url": "http://127.0.0.1:9/a.mp3"})
    assert refused.status_code == 403


def test_unreadable_and_oversize_uploads_are_refused(tmp_path: Path, media: Media) -> None:
    with web_world(tmp_path, max_media_bytes=50_000) as world:
        garbage = world.post("platform", "/screen", files={"file": ("a.mp3", b"\x00" * 500)})
        assert garbage.status_code == 422
        assert garbage.json()["detail"].startswith("a.mp3: not a media file")
        code, body = screen(world, "platform", media.other)  # about 190 kB
        assert code == 413 and "50000 bytes" in str(body["detail"])
        assert list((world.settings.data_dir / "uploads").iterdir()) == []


def test_a_url_is_screened_through_the_guarded_fetcher(world: WebWorld, media: Media) -> None:
    clip = media.excerpt.read_bytes()

    def answer(seen: Seen) -> Reply:
        if seen.path == "/clip.mp3":
            return Reply(body=clip, content_type="audio/mpeg")
        return Reply(status=404, body=b"no")

    with LocalServer(answer) as server:
        found = world.post("platform", "/screen/url", json={"url": f"{server.base}/clip.mp3"})
        assert found.status_code == 200, found.text
        best = found.json()["matches"][0]
        assert best["work"] == "Spring" and best["source"] == f"{server.base}/clip.mp3"
        gone = world.post("platform", "/screen/url", json={"url": f"{server.base}/gone.mp3"})
        assert gone.status_code == 422
    invalid = world.post("platform", "/screen/url", json={"url": "file:///etc/passwd"})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "url"]


def test_private_addresses_are_refused_unless_allowed(tmp_path: Path) -> None:
    with (
        LocalServer(lambda seen: Reply(body=b"x", content_type="audio/mpeg")) as server,
        web_world(tmp_path, allow_private_hosts=False) as world,
    ):
        refused = world.post("platform", "/screen/url", json={"url": f"{server.base}/a.mp3"})
        assert refused.status_code == 422
        assert server.requests == []  # refused before any request was made
