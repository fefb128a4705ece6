"""``jianwang jobs``, ``worker`` and ``scheduler`` on the durable job table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.pipeline import jobs


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def test_list_retry_and_a_local_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIANWANG_JOB_MAX_ATTEMPTS", "1")
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    with transaction(session_factory(engine)) as s:
        jobs.enqueue(s, kind="nonesuch", payload={"x": 1}, key="odd:1")
    engine.dispose()

    # A worker without a scheduler runs what is queued here: no step for this kind, and with
    # one attempt allowed the job is dead at once, its error kept.
    assert jw(data, "worker") == 0
    capsys.readouterr()
    assert jw(data, "jobs", "list", "--state", "dead", "--json") == 0
    (dead,) = json.loads(capsys.readouterr().out)
    assert dead["kind"] == "nonesuch" and dead["attempts"] == 1
    assert "no step for job kind" in dead["last_error"]

    assert jw(data, "jobs", "retry", str(dead["id"])) == 0
    assert "queued again" in capsys.readouterr().out
    assert jw(data, "jobs", "retry", str(dead["id"])) != 0  # queued now: nothing to retry
    assert "only dead or failed" in capsys.readouterr().err
    assert jw(data, "jobs", "retry", "999") == 3
    assert jw(data, "jobs", "list", "--state", "stuck") != 0
    assert "unknown job state" in capsys.readouterr().err

    assert jw(data, "jobs", "list", "--kind", "nonesuch", "--json") == 0
    (queued,) = json.loads(capsys.readouterr().out)
    assert queued["state"] == "queued" and queued["attempts"] == 0
    assert jw(data, "jobs", "list") == 0
    assert "odd:1" in capsys.readouterr().out


def test_scheduler_once_with_nothing_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert jw(tmp_path / "data", "scheduler", "--once") == 0
    assert "0 sweep(s) queued" in capsys.readouterr().out


def test_help_explains_the_cluster_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["worker", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--scheduler" in out and "--nthreads" in out and "Dask" in out
    assert run(["scheduler", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--once" in out and "due" in out
