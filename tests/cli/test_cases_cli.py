"""``jianwang users``, ``authorities`` and ``cases`` from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import (
    AssetKind,
    Capture,
    Detection,
    DetectionStatus,
    RightsHolder,
    Site,
    SiteKind,
    Work,
    WorkKind,
)


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def _seed(data: Path) -> None:
    """A site with two confirmed detections, written straight to the database."""
    engine = create_db_engine(Settings(data_dir=data).db_url)
    ensure_schema(engine)
    with transaction(session_factory(engine)) as session:
        holder = RightsHolder(name="Studio", contact="legal@studio.example", address="1 Road")
        site = Site(name="pirate", kind=SiteKind.VIDEO, domains=["p.example"], region="CN-33")
        work = Work(title="Film", kind=WorkKind.FILM, rights_holder=holder)
        session.add_all([holder, site, work])
        session.flush()
        for i in range(2):
            capture = Capture(
                site=site,
                kind=AssetKind.VIDEO,
                page_url=f"http://p.example/{i}",
                fetched_at=datetime.now(UTC) - timedelta(days=1),
                content_sha256=f"{i:064x}",
                content_path="/dev/null",
            )
            session.add(capture)
            session.flush()
            session.add(
                Detection(
                    capture_id=capture.id,
                    work_id=work.id,
                    signal="audio.triplets",
                    score=50.0,
                    query_start=0.0,
                    query_end=10.0,
                    ref_start=0.0,
                    ref_end=10.0,
                    status=DetectionStatus.CONFIRMED,
                )
            )
    engine.dispose()


def test_cases_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _seed(data)
    assert (
        jw(data, "authorities", "add", "Zhejiang", "--level", "provincial", "--region", "CN-33")
        == 0
    )
    for name in ("ana", "bo"):
        assert jw(data, "users", "add", name, "--role", "officer", "--authority", "Zhejiang") == 0
    assert jw(data, "users", "add", "eve", "--role", "viewer") == 0
    capsys.readouterr()

    assert jw(data, "users", "add", "xi", "--role", "officer") == 2
    assert "needs --authority" in capsys.readouterr().err

    assert (
        jw(data, "cases", "open", "--site", "pirate", "--as", "ana", "--reason", "two copies") == 0
    )
    capsys.readouterr()
    assert jw(data, "cases", "list", "--json") == 0
    cases = json.loads(capsys.readouterr().out)
    assert len(cases) == 1
    assert {"id", "number", "state", "site"} <= set(cases[0])
    assert cases[0]["state"] == "lead" and cases[0]["site"] == "pirate"
    assert cases[0]["detections"] == 2
    number = cases[0]["number"]

    # An illegal step: one line naming what is allowed next, exit code 2, nothing changed.
    assert jw(data, "cases", "move", number, "decided", "--as", "ana", "--reason", "r") == 2
    err = capsys.readouterr().err
    assert "cannot move to decided" in err and "allowed next: screening, rejected" in err
    # A user without the right: exit code 77.
    assert jw(data, "cases", "move", number, "screening", "--as", "eve", "--reason", "r") == 77
    assert "may not case" in capsys.readouterr().err
    assert jw(data, "cases", "move", number, "screening", "--as", "ana", "--reason", "r") == 0
    assert "now screening" in capsys.readouterr().out
    assert (
        jw(data, "cases", "assign", number, "--officer", "ana", "--officer", "bo", "--as", "ana")
        == 0
    )
    assert jw(data, "cases", "move", number, "filed", "--as", "bo", "--reason", "grounds") == 0
    assert jw(data, "cases", "measures", number, "--clicks", "60000", "--as", "ana", "--json") == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(out)["referral_flags"] == ["clicks 60000 reaches the threshold 50000"]
    assert jw(data, "cases", "move", number, "investigating", "--as", "ana", "--reason", "r") == 0
    assert (
        jw(data, "cases", "move", number, "advance_notice", "--as", "ana", "--reason", "r",
           "--measures", "fine", "--fine", "-5")
        == 2
    )  # fmt: skip
    assert "cannot be negative" in capsys.readouterr().err
    assert jw(data, "cases", "show", number, "--json") == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["state"] == "investigating" and detail["proposed_fine"] is None
    assert [e["to"] for e in detail["events"]] == ["lead", "screening", "filed", "investigating"]
    assert "advance_notice" in detail["allowed_next"]
    assert jw(data, "cases", "list", "--state", "nonsense") == 2
