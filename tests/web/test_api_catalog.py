"""The catalog API: works and their references, licences, protection-list batches, sites and
monitoring runs; each route's happy path, its validation (422 with pydantic's detail), and its
refusals (401 without a token, 403 for a role without the right or out of scope, with nothing
changed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import HTTPException
from sqlalchemy import func, select
from starlette.requests import Request

from jianwang.catalog.actors import actor_for
from jianwang.db import transaction, utcnow
from jianwang.db.models import Job, Licence, Site, SiteStatus, Work
from jianwang.pipeline import runs
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox
from jianwang.web.api.uploads import Upload, receive_upload
from web_world import WebWorld, web_world

from media_factory import song


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    with web_world(tmp_path) as built:
        yield built


def count(world: WebWorld, model: type[Any]) -> int:
    with transaction(world.services.sessions) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def site_status(world: WebWorld, name: str) -> SiteStatus:
    with transaction(world.services.sessions) as s:
        return s.scalars(select(Site).where(Site.name == name)).one().status


def set_status(world: WebWorld, name: str, status: SiteStatus) -> None:
    with transaction(world.services.sessions) as s:
        s.scalars(select(Site).where(Site.name == name)).one().status = status


def detail_fields(response: Any) -> list[str]:
    """The fields a 422 answer names (pydantic's detail list: where, field, ...)."""
    assert response.status_code == 422, response.text
    return [str(err["loc"][1]) for err in response.json()["detail"]]


# --- Works ----------------------------------------------------------------------------------


def test_works_are_listed_paged_and_filtered(world: WebWorld) -> None:
    everything = world.get("viewer", "/works").json()
    assert [w["title"] for w in everything["items"]] == ["Film A", "Song B"]
    assert everything["total"] == 2
    page = world.get("viewer", "/works", params={"limit": 1, "offset": 1}).json()
    assert [w["title"] for w in page["items"]] == ["Song B"]
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    music = world.get("platform", "/works", params={"kind": "music"}).json()
    assert [w["title"] for w in music["items"]] == ["Song B"]
    by_alias = world.get("platform", "/works", params={"q": "电影"}).json()
    assert [w["title"] for w in by_alias["items"]] == ["Film A"]
    by_holder = world.get("viewer", "/works", params={"rights_holder": "Label B"}).json()
    assert [w["title"] for w in by_holder["items"]] == ["Song B"]
    assert world.get("viewer", "/works", params={"q": "nothing like it"}).json()["total"] == 0
    one = world.get("viewer", f"/works/{world.ids['Film A']}").json()
    assert one["title"] == "Film A" and one["rights_holder"] == "Studio A"
    assert one["proof_of_rights"] == "registration 2025-A-1" and one["assets"] == []
    assert world.get("viewer", "/works/999").status_code == 404
    assert world.get(None, "/works").status_code == 401


def test_a_work_is_registered_by_name_and_its_aliases_replaced(world: WebWorld) -> None:
    body = {
        "title": "Drama C",
        "kind": "tv_series",
        "rights_holder": "Studio A",
        "aliases": ["剧C", " "],
        "proof": "contract 7",
        "protected_until": "2030-12-31",
    }
    created = world.post("officer", "/works", json=body)
    assert created.status_code == 201, created.text
    work = created.json()
    assert work["aliases"] == ["剧C"] and work["protected_until"] == "2030-12-31"
    assert work["proof_of_rights"] == "contract 7" and work["rights_holder"] == "Studio A"
    again = world.post("admin", "/works", json=body)
    assert again.status_code == 409 and "already registered" in again.json()["detail"]
    # A rights holder registers for itself only.
    own = world.post("studio", "/works", json={**body, "title": "Drama D"})
    assert own.status_code == 201
    before = count(world, Work)
    other = world.post("studio", "/works", json={**body, "title": "E", "rights_holder": "Label B"})
    assert other.status_code == 403 and "Studio A" in other.json()["detail"]
    listed = world.post("studio", "/works", json={**body, "title": "E", "batch": "any"})
    assert listed.status_code == 403 and "batch" in listed.json()["detail"]
    assert world.post("viewer", "/works", json={**body, "title": "F"}).status_code == 403
    assert world.post("platform", "/works", json={**body, "title": "G"}).status_code == 403
    assert world.post(None, "/works", json={**body, "title": "H"}).status_code == 401
    assert count(world, Work) == before

    path = f"/works/{work['id']}/aliases"
    replaced = world.put("studio", path, json={"aliases": ["Drama See", "剧C"]})
    assert replaced.status_code == 200 and replaced.json()["aliases"] == ["Drama See", "剧C"]
    song_b = f"/works/{world.ids['Song B']}/aliases"
    refused = world.put("studio", song_b, json={"aliases": ["stolen"]})
    assert refused.status_code == 403
    assert world.get("viewer", f"/works/{world.ids['Song B']}").json()["aliases"] == []
    assert world.put("viewer", path, json={"aliases": []}).status_code == 403
    assert world.put("admin", "/works/999/aliases", json={"aliases": []}).status_code == 404


def test_invalid_bodies_are_422_naming_the_field(world: WebWorld) -> None:
    good = {"title": "T", "kind": "film", "rights_holder": "Studio A"}
    assert detail_fields(world.post("admin", "/works", json={**good, "kind": "opera"})) == ["kind"]
    assert detail_fields(world.post("admin", "/works", json={**good, "title": ""})) == ["title"]
    bad_date = {**good, "protected_until": "someday"}
    assert detail_fields(world.post("admin", "/works", json=bad_date)) == ["protected_until"]
    assert detail_fields(world.post("admin", "/works", json={**good, "colour": 1})) == ["colour"]
    missing = world.post("admin", "/works", json={"title": "T"})
    assert sorted(detail_fields(missing)) == ["kind", "rights_holder"]
    assert detail_fields(world.get("admin", "/works/0")) == ["work_id"]
    assert detail_fields(world.get("admin", f"/works/{2**70}")) == ["work_id"]
    assert detail_fields(world.get("admin", "/works", params={"limit": 0})) == ["limit"]
    licence = {"work": "9" * 30, "site": "plat1"}
    refused = world.post("admin", "/licences", json=licence)
    assert detail_fields(refused) == ["work"] and "15 digits" in refused.json()["detail"][0]["msg"]
    site = {"name": "s", "kind": "video", "seeds": ["ftp://x.example/"]}
    assert detail_fields(world.post("admin", "/sites", json=site)) == ["seeds"]
    patch = world.patch("admin", f"/sites/{world.ids['gdsite']}", json={"rate_per_s": 50})
    assert detail_fields(patch) == ["rate_per_s"]
    msg = world.post("admin", "/works", json={**good, "kind": "opera"}).json()["detail"][0]
    assert "film" in msg["msg"]  # the choices are named


# --- References -----------------------------------------------------------------------------


def test_a_reference_upload_is_fingerprinted(world: WebWorld, tmp_path: Path) -> None:
    ref = song(tmp_path / "Song B.m4a", seed=61, seconds=8.0)
    path = f"/works/{world.ids['Song B']}/references"
    with ref.open("rb") as fh:
        added = world.post("label", path, files={"file": ("track 1.m4a", fh, "audio/mp4")})
    assert added.status_code == 201, added.text
    assets = added.json()["assets"]
    assert [(a["name"], a["kind"]) for a in assets] == [("track 1.m4a", "audio")]
    assert assets[0]["signals"] == ["audio.triplets"] and 7.0 < assets[0]["length"] < 9.0
    with ref.open("rb") as fh:
        dup = world.post("admin", path, files={"file": ("again.m4a", fh, "audio/mp4")})
    assert dup.status_code == 409
    with ref.open("rb") as fh:
        other = f"/works/{world.ids['Film A']}/references"
        refused = world.post("label", other, files={"file": ("x.m4a", fh, "audio/mp4")})
    assert refused.status_code == 403
    garbage = world.post(
        "admin", path, files={"file": ("noise.mp3", b"\x00\x01not media" * 50, "audio/mpeg")}
    )
    assert garbage.status_code == 422
    assert garbage.json()["detail"].startswith("noise.mp3: ")  # named as sent, not as stored
    assert detail_fields(world.post("admin", path, data={"note": "no file"})) == ["file"]
    assert detail_fields(world.post("admin", path, json={"file": "x"})) == ["file"]
    assert (
        world.post("viewer", path, files={"file": ("a.mp3", b"x", "audio/mpeg")}).status_code == 403
    )
    uploads = world.settings.data_dir / "uploads"
    assert list(uploads.iterdir()) == []  # every upload's temporary file is gone
    assert len(world.get("viewer", f"/works/{world.ids['Song B']}").json()["assets"]) == 1


def test_an_oversize_upload_is_refused_with_413(tmp_path: Path) -> None:
    with web_world(tmp_path, max_media_bytes=2000) as world:
        path = f"/works/{world.ids['Song B']}/references"
        big = world.post("admin", path, files={"file": ("big.mp3", b"\xff" * 5000, "audio/mpeg")})
        assert big.status_code == 413 and "2000 bytes" in big.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is found while reading
            boundary = b"--xyz\r\n"
            yield boundary + b'Content-Disposition: form-data; name="file"; filename="b.mp3"\r\n'
            yield b"Content-Type: audio/mpeg\r\n\r\n"
            for _ in range(10):
                yield b"\xff" * 1000
            yield b"\r\n--xyz--\r\n"

        streamed = world.post(
            "admin",
            path,
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        )
        assert streamed.status_code == 413
        assert list((world.settings.data_dir / "uploads").iterdir()) == []
        assert world.get("admin", f"/works/{world.ids['Song B']}").json()["assets"] == []


# --- Licences -------------------------------------------------------------------------------


def test_licences_are_recorded_and_listed_within_scope(world: WebWorld) -> None:
    body = {
        "work": "Film A",
        "site": "plat1",
        "territory": "cn-44",
        "from": "2026-01-01",
        "until": "2026-12-31",
    }
    created = world.post("officer", "/licences", json=body)
    assert created.status_code == 201, created.text
    licence = created.json()
    assert (licence["work"], licence["site"], licence["territory"]) == ("Film A", "plat1", "CN-44")
    assert (licence["from"], licence["until"]) == ("2026-01-01", "2026-12-31")
    other = {"work": world.ids["Song B"], "site": world.ids["plat2"]}
    assert world.post("admin", "/licences", json=other).status_code == 201
    before = count(world, Licence)
    assert world.post("officer", "/licences", json=other).status_code == 403  # plat2: CN-11
    assert world.post("platform", "/licences", json=body).status_code == 403
    assert world.post("studio", "/licences", json=body).status_code == 403
    backwards = {**body, "from": "2027-01-01"}
    assert world.post("admin", "/licences", json=backwards).status_code == 400
    assert world.post("admin", "/licences", json={**body, "site": "nowhere"}).status_code == 404
    assert count(world, Licence) == before

    def works(user: str, **params: Any) -> list[tuple[str, str]]:
        page = world.get(user, "/licences", params=params).json()
        return [(lic["work"], lic["site"]) for lic in page["items"]]

    assert works("admin") == [("Film A", "plat1"), ("Song B", "plat2")]
    assert works("platform") == [("Film A", "plat1")]  # its own site's only
    assert works("officer") == [("Film A", "plat1")]  # its region's only
    assert works("label") == [("Song B", "plat2")]  # its own works' only
    assert works("admin", site_id=world.ids["plat2"]) == [("Song B", "plat2")]
    assert works("admin", active_on="2027-06-01") == [("Song B", "plat2")]  # open-ended
    assert works("viewer", work_id=world.ids["Film A"]) == [("Film A", "plat1")]


# --- Batches --------------------------------------------------------------------------------


def test_a_batch_is_created_and_published_once(world: WebWorld) -> None:
    world.post("admin", "/licences", json={"work": "Film A", "site": "plat2"})
    made = world.post("officer", "/batches", json={"name": "2026-1", "works": ["Film A"]})
    assert made.status_code == 201, made.text
    assert made.json()["work_ids"] == [world.ids["Film A"]] and made.json()["warnings"] == 0
    assert world.post("officer", "/batches", json={"name": "2026-1"}).status_code == 409
    assert world.post("viewer", "/batches", json={"name": "x"}).status_code == 403
    assert world.post("studio", "/batches", json={"name": "x"}).status_code == 403
    assert world.post("admin", "/batches", json={"name": "x", "works": [999]}).status_code == 404
    listed = world.get("viewer", "/batches", params={"q": "2026"}).json()
    assert [b["name"] for b in listed["items"]] == ["2026-1"]

    assert world.post("viewer", "/batches/2026-1/publish").status_code == 403
    assert world.post("platform", "/batches/2026-1/publish").status_code == 403
    published = world.post("officer", "/batches/2026-1/publish")
    assert published.status_code == 201, published.text
    notices = {n["platform"]: n["licensed"] for n in published.json()["notices"]}
    assert notices == {"plat1": [], "plat2": ["Film A"]}
    again = world.post("admin", f"/batches/{made.json()['id']}/publish")
    assert again.status_code == 409
    assert world.post("admin", "/batches/nothing/publish").status_code == 404
    assert world.get("viewer", "/batches").json()["items"][0]["warnings"] == 2


# --- Sites ----------------------------------------------------------------------------------


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()["items"]]


def test_sites_are_seen_within_scope(world: WebWorld) -> None:
    assert names(world.get("admin", "/sites")) == ["gdsite", "bjsite", "plat1", "plat2"]
    assert names(world.get("officer", "/sites")) == ["gdsite", "plat1"]
    assert names(world.get("bjofficer", "/sites")) == ["bjsite", "plat2"]
    assert names(world.get("platform", "/sites")) == ["plat1"]
    assert names(world.get("admin", "/sites", params={"kind": "platform"})) == ["plat1", "plat2"]
    assert names(world.get("admin", "/sites", params={"region": "CN-44"})) == ["gdsite", "plat1"]
    assert names(world.get("admin", "/sites", params={"q": "BJ"})) == ["bjsite"]
    assert names(world.get("admin", "/sites", params={"limit": 2, "offset": 2})) == [
        "plat1",
        "plat2",
    ]
    one = world.get("officer", f"/sites/{world.ids['gdsite']}").json()
    assert (one["status"], one["kind"], one["region"]) == ("active", "video", "CN-44-01")
    assert one["last_sweep_at"] is None and one["schedule"] is None
    assert world.get("officer", f"/sites/{world.ids['bjsite']}").status_code == 403
    assert world.get("platform", f"/sites/{world.ids['plat2']}").status_code == 403
    assert world.get("platform", f"/sites/{world.ids['plat1']}").status_code == 200
    assert world.get("admin", "/sites/999").status_code == 404
    assert world.get(None, "/sites").status_code == 401


def test_sites_are_registered_and_tuned_within_region(world: WebWorld) -> None:
    body = {"name": "newsite", "kind": "video", "seeds": ["http://pirate.example/"]}
    made = world.post("officer", "/sites", json={**body, "schedule": "6h", "rate_per_s": 2})
    assert made.status_code == 201, made.text
    site = made.json()
    assert site["region"] == "CN-44" and site["domains"] == ["pirate.example"]
    assert site["schedule"] == "6h" and site["rate_per_s"] == 2 and site["next_sweep_at"]
    assert world.post("officer", "/sites", json=body).status_code == 409
    before = count(world, Site)
    elsewhere = {**body, "name": "far", "region": "CN-11"}
    assert world.post("officer", "/sites", json=elsewhere).status_code == 403
    assert world.post("viewer", "/sites", json={**body, "name": "v"}).status_code == 403
    assert world.post("platform", "/sites", json={**body, "name": "p"}).status_code == 403
    bad = {**body, "name": "bad", "schedule": "soon"}
    assert world.post("admin", "/sites", json=bad).status_code == 400
    assert count(world, Site) == before

    path = f"/sites/{site['id']}"
    tuned = world.patch("officer", path, json={"schedule": None, "concurrency": 4})
    assert tuned.status_code == 200, tuned.text
    assert tuned.json()["schedule"] is None and tuned.json()["concurrency"] == 4
    assert tuned.json()["rate_per_s"] == 2  # left out: unchanged
    paused = world.patch("officer", path, json={"status": "paused"})
    assert paused.json()["status"] == "paused"
    assert world.patch("officer", path, json={"status": "active"}).json()["status"] == "active"
    bj = f"/sites/{world.ids['bjsite']}"
    assert world.patch("officer", bj, json={"status": "paused"}).status_code == 403
    assert world.patch("viewer", path, json={"status": "paused"}).status_code == 403
    assert site_status(world, "bjsite") is SiteStatus.ACTIVE
    assert world.patch("admin", path, json={"status": "shut_down"}).status_code == 422
    set_status(world, "gdsite", SiteStatus.SHUT_DOWN)
    revived = world.patch("admin", f"/sites/{world.ids['gdsite']}", json={"status": "active"})
    assert revived.status_code == 400 and "shut down" in revived.json()["detail"]
    assert site_status(world, "gdsite") is SiteStatus.SHUT_DOWN


# --- Monitoring runs ------------------------------------------------------------------------


def test_sweeps_are_refused_without_the_right_scope_or_on_a_shut_down_site(
    world: WebWorld,
) -> None:
    assert world.post("officer", f"/sites/{world.ids['bjsite']}/sweeps").status_code == 403
    assert world.post("viewer", f"/sites/{world.ids['gdsite']}/sweeps").status_code == 403
    assert world.post("platform", f"/sites/{world.ids['plat1']}/sweeps").status_code == 403
    assert world.post("studio", f"/sites/{world.ids['gdsite']}/sweeps").status_code == 403
    assert world.post("admin", "/sites/999/sweeps").status_code == 404
    set_status(world, "gdsite", SiteStatus.SHUT_DOWN)
    shut = world.post("officer", f"/sites/{world.ids['gdsite']}/sweeps")
    assert shut.status_code == 400 and "shut down" in shut.json()["detail"]
    assert count(world, Job) == 0
    assert world.get("admin", "/runs").json()["total"] == 0
    assert world.get("admin", "/runs/1").status_code == 404


def wait_for(world: WebWorld, user: str, run_id: int, timeout_s: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        run: dict[str, Any] = world.get(user, f"/runs/{run_id}").json()
        if run["state"] in {"done", "failed"} or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def test_a_sweep_run_reaches_done_with_its_counts(world: WebWorld, tmp_path: Path) -> None:
    ref = song(tmp_path / "Anthem.m4a", seed=71, seconds=10.0)
    copy = song(tmp_path / "copy.mp3", seed=71, seconds=10.0)  # the same music, re-encoded
    made = world.post("admin", "/works", json={"title": "Anthem", "kind": "music",
                                               "rights_holder": "Label B"})  # fmt: skip
    with ref.open("rb") as fh:
        world.post("admin", f"/works/{made.json()['id']}/references", files={"file": fh})
    items = [SiteItem(title="Anthem (copy)", kind="audio", path=copy)]
    server = run_sandbox([SiteSpec("tube", "music", "免费音乐", items)], tmp_path / "sites")
    try:
        site = world.post(
            "officer",
            "/sites",
            json={"name": "tube", "kind": "music", "seeds": [server.base_url("tube") + "/"]},
        ).json()
        started = world.post("officer", f"/sites/{site['id']}/sweeps")
        assert started.status_code == 202, started.text
        assert started.json()["state"] in {"queued", "leased", "done"}
        run = wait_for(world, "officer", started.json()["id"])
    finally:
        server.stop()
    assert run["state"] == "done", run
    assert run["requested_by"] == "officer" and run["attempts"] == 1
    assert run["result"]["captures_new"] >= 1 and run["result"]["detections"] >= 1
    assert run["finished_at"] and run["started_at"]
    swept = world.get("officer", f"/sites/{site['id']}").json()
    assert swept["last_sweep_at"] is not None
    listed = world.get("officer", "/runs", params={"site_id": site["id"]}).json()
    assert listed["items"][-1]["id"] == run["id"]
    assert world.get("bjofficer", f"/runs/{run['id']}").status_code == 403
    assert world.get("bjofficer", "/runs").json()["total"] == 0
    assert world.get("officer", "/runs", params={"state": "failed"}).json()["total"] == 0


def test_one_run_per_site_at_a_time_and_abandoned_runs_give_way(world: WebWorld) -> None:
    path = f"/sites/{world.ids['gdsite']}/sweeps"
    with transaction(world.services.sessions) as s:  # queued by a server that then stopped
        officer = actor_for(s, "officer")
        stuck = runs.queue_sweep(s, site_id=world.ids["gdsite"], actor=officer).id
    busy = world.post("officer", path)
    assert busy.status_code == 409 and f"run {stuck}" in busy.json()["detail"]
    with transaction(world.services.sessions) as s:
        job = s.get(Job, stuck)
        assert job is not None
        job.created_at = utcnow() - runs.LEASE - timedelta(minutes=1)
    started = world.post("officer", path)
    assert started.status_code == 202, started.text
    abandoned = world.get("officer", f"/runs/{stuck}").json()
    assert abandoned["state"] == "failed" and "abandoned" in abandoned["last_error"]
    # Its seeds point at a closed port (robots.txt unreachable): the sweep fetches nothing.
    run = wait_for(world, "officer", started.json()["id"])
    assert run["state"] == "done", run
    assert run["result"]["pages"] == 0 and run["result"]["captures_new"] == 0


def test_a_browser_form_read_for_its_csrf_token_still_yields_the_file(tmp_path: Path) -> None:
    """A signed-in browser may send its CSRF token inside the multipart form, which the
    dependency checking it parses first; the upload is then taken from the parsed form, under
    the same limit."""
    sent = httpx.Request(
        "POST",
        "http://testserver/",
        files={"file": ("notes.txt", b"x" * 3000, "text/plain")},
        data={"csrf_token": "t"},
    )
    body = sent.read()

    async def receive_after_form(limit: int) -> Upload:
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        headers = [(k.lower().encode(), v.encode()) for k, v in sent.headers.items()]
        request = Request({"type": "http", "method": "POST", "headers": headers}, receive)
        assert (await request.form())["csrf_token"] == "t"
        return await receive_upload(request, directory=tmp_path / "up", limit=limit)

    upload = anyio.run(receive_after_form, 10_000)
    assert (upload.filename, upload.size) == ("notes.txt", 3000)
    assert upload.path.read_bytes() == b"x" * 3000 and upload.path.suffix == ".txt"
    upload.path.unlink()
    with pytest.raises(HTTPException) as refused:
        anyio.run(receive_after_form, 1000)
    assert refused.value.status_code == 413
    assert list((tmp_path / "up").iterdir()) == []
