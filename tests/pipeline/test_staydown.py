"""Staydown: captures fetched again are found present, replaced, gone or unreachable."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from jianwang.catalog.actors import Actor
from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, session_factory, transaction, utcnow
from jianwang.db.models import (
    Capture,
    Detection,
    DetectionStatus,
    LedgerEntry,
    Notice,
    NoticeStatus,
)
from jianwang.detections.service import set_status
from jianwang.enforcement.notices import draft_takedown_notices
from jianwang.media.limits import DecodeLimits
from jianwang.media.transform import Transform, apply_transform
from jianwang.pipeline.staydown import (
    STAYDOWN_EVERY,
    due_rechecks,
    recheck_captures,
    run_due_rechecks,
)
from jianwang.sandbox.server import Resource
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox
from jianwang.signals.registry import default_registry

from media_factory import song


def test_noticed_copies_are_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = tmp_path / "data"
    ref = song(tmp_path / "Anthem.m4a", seed=61)
    copy = apply_transform(ref, tmp_path / "copy.mp3", Transform(start_s=2.0, duration_s=12.0))
    other = song(tmp_path / "other.m4a", seed=62, seconds=12)
    add = ["works", "add", "--title", "Anthem", "--kind", "music", "--rights-holder", "Label"]
    assert run(["--data-dir", str(data), *add, "--reference", str(ref)]) == 0
    items = [SiteItem(title="Anthem (copy)", kind="audio", path=copy)]
    server = run_sandbox([SiteSpec("tunes", "music", "Tunes", items)], tmp_path / "sites")
    base = server.base_url("tunes")
    site = ["sites", "add", "--name", "tunes", "--kind", "music", "--seed", base + "/"]
    assert run(["--data-dir", str(data), *site]) == 0
    assert run(["--data-dir", str(data), "monitor", "run"]) == 0
    capsys.readouterr()
    settings = Settings(data_dir=data, allow_private_hosts=True)
    factory = session_factory(create_db_engine(settings.db_url))
    with transaction(factory) as s:
        capture = s.scalars(select(Capture).where(Capture.media_url.is_not(None))).one()
        capture_id, media_path = capture.id, capture.media_url[len(base) :]  # type: ignore[index]
        assert s.scalar(select(Detection).where(Detection.capture_id == capture_id)) is not None
    run_args = {"settings": settings, "registry": default_registry(), "limits": DecodeLimits()}

    def verdict() -> str:
        (result,) = recheck_captures(factory, [capture_id], **run_args)  # type: ignore[arg-type]
        return result.verdict

    try:
        assert verdict() == "present"  # the same bytes
        server.add_route("tunes", media_path, Resource(copy.read_bytes()[:-4096], "audio/mpeg"))
        assert verdict() == "present"  # other bytes, still the work
        server.add_route("tunes", media_path, Resource(other, "audio/mp4"))
        assert verdict() == "replaced"  # something else entirely
        del server.sites["tunes"].routes[media_path]
        assert verdict() == "gone"  # 404
        recheck = ["--data-dir", str(data), "monitor", "recheck", "--capture", str(capture_id)]
        assert run([*recheck, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["verdict"] == "gone"
    finally:
        server.stop()
    assert verdict() == "unreachable"
    with transaction(factory) as s:
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "recheck")).all()
        verdicts = [e.payload["verdict"] for e in entries]
    assert verdicts == ["present", "present", "replaced", "gone", "gone", "unreachable"]
    assert (
        run(["--data-dir", str(data), "monitor", "recheck", "--capture", "999"]) == 3
    )  # not found


def test_noticed_copies_are_rechecked_on_schedule_and_reuploads_are_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a sent notice's deadline passes its captures fall due for a check, then daily; a new
    copy of the noticed work on the same site is marked as a re-upload of the noticed one."""
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = tmp_path / "data"
    ref = song(tmp_path / "Anthem.m4a", seed=63)
    copy = apply_transform(ref, tmp_path / "copy.mp3", Transform(start_s=2.0, duration_s=12.0))
    again = apply_transform(ref, tmp_path / "again.m4a", Transform(start_s=5.0, duration_s=12.0))
    add = ["works", "add", "--title", "Anthem", "--kind", "music", "--rights-holder", "Label"]
    assert run(["--data-dir", str(data), *add, "--reference", str(ref)]) == 0
    items = [SiteItem(title="Anthem (copy)", kind="audio", path=copy)]
    server = run_sandbox([SiteSpec("tunes", "music", "Tunes", items)], tmp_path / "sites")
    settings = Settings(data_dir=data, allow_private_hosts=True)
    factory = session_factory(create_db_engine(settings.db_url))
    run_args = {"settings": settings, "registry": default_registry(), "limits": DecodeLimits()}
    try:
        base = server.base_url("tunes")
        site = ["sites", "add", "--name", "tunes", "--kind", "music", "--seed", base + "/"]
        assert run(["--data-dir", str(data), *site]) == 0
        assert run(["--data-dir", str(data), "monitor", "run"]) == 0
        with transaction(factory) as s:
            first = s.scalars(select(Detection)).first()
            assert first is not None
            tester = Actor.system("t")
            holder = first.work.rights_holder  # a notice must name its contact and address
            holder.contact, holder.address = "legal@label.example", "1 Road"
            set_status(
                s, detections=[first], status=DetectionStatus.CONFIRMED, actor=tester, reason="ok"
            )
            (notice,) = draft_takedown_notices(
                s, site=first.capture.site, detections=[first], actor=tester, settings=settings
            )
            capture_id, first_id, notice_id = first.capture_id, first.id, notice.id
            now = utcnow()
            assert due_rechecks(s, now=now) == []  # a draft is not a notice served
            notice.status = NoticeStatus.SENT
            notice.deadline_at = now + timedelta(hours=1)
            assert due_rechecks(s, now=now) == []  # the deadline has not passed
            assert due_rechecks(s, now=now + timedelta(hours=2)) == [capture_id]
        (result,) = run_due_rechecks(factory, now=utcnow() + timedelta(hours=2), **run_args)  # type: ignore[arg-type]
        assert result.capture_id == capture_id and result.verdict == "present"
        with transaction(factory) as s:  # still up after the deadline: not complied with
            assert s.get(Notice, notice_id).status is NoticeStatus.NON_COMPLIANT  # type: ignore[union-attr]
        with transaction(factory) as s:
            later = utcnow() + timedelta(hours=2)
            assert due_rechecks(s, now=later) == []  # just checked
            assert due_rechecks(s, now=later + STAYDOWN_EVERY) == [capture_id]
        # The site takes the copy down and puts the work up again at another address.
        page = next(p for p in server.sites["tunes"].routes if p.startswith("/music/"))
        server.add_route("tunes", page, Resource(again.read_bytes(), "audio/mp4"))
        assert run(["--data-dir", str(data), "monitor", "run"]) == 0
        with transaction(factory) as s:
            newer = s.scalars(select(Detection).where(Detection.id != first_id)).all()
            assert newer and all(d.reupload_of_id == first_id for d in newer)
            assert all("re-upload" in (d.status_reason or "") for d in newer)
    finally:
        server.stop()
