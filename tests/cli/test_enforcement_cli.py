"""The review, notice and publication commands end to end through ``jianwang.cli.main.run``,
with users registered directly in the database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from enforcement_world import build_world, detect, open_world
from jianwang.cli.main import run
from jianwang.db import transaction
from jianwang.db.models import Notice
from jianwang.detections.review import ReviewPolicy, triage
from jianwang.enforcement.notices import follow_up


def test_review_notice_and_publish_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    world = build_world(data_dir / "jianwang.db")
    with transaction(world.factory) as s:
        found = [detect(s, site_name="pirate", title=t) for t in ("Film A", "Film A", "Film B")]
        later = detect(s, site_name="pirate", title="Film A")
        triage(s, detections=[*found, later], policy=ReviewPolicy())
        d1, d2, d3 = (d.id for d in found)
        d4 = later.id
    world.close()

    def jw(*args: str) -> int:
        return run(["--data-dir", str(data_dir), *args])

    def out() -> object:
        return json.loads(capsys.readouterr().out)

    assert jw("detections", "review", "--as", "officer", "--json") == 0
    assert [r["id"] for r in out()] == [d1, d2, d3, d4]  # type: ignore[attr-defined]
    assert jw("detections", "review", "--as", "label", "--json") == 0
    assert [r["id"] for r in out()] == [d3]  # type: ignore[attr-defined]
    assert jw("detections", "review", "--as", "viewer") == 77
    assert "may not review" in capsys.readouterr().err
    assert jw("detections", "confirm", str(d1), str(d2), "--as", "bjofficer", "--reason", "x") == 77
    monkeypatch.setenv("JIANWANG_USER", "officer")
    assert jw("detections", "confirm", str(d1), str(d2), str(d4), "--reason", "copy", "--json") == 0
    assert out() == {"confirmed": [d1, d2, d4]}
    monkeypatch.delenv("JIANWANG_USER")
    reject = ["detections", "reject", str(d3), "--as", "officer", "--reason", "trailer"]
    assert jw(*reject, "--allow", "everything") == 2
    assert jw(*reject, "--allow", "work-site", "--json") == 0
    assert out() == {"rejected": [d3], "allow_rules": [1]}
    assert jw("detections", "allow-rules", "--json") == 0
    (rule,) = out()  # type: ignore[misc]
    assert (rule["work"], rule["site"], rule["created_by"]) == ("Film B", "pirate", "officer")

    draft = ["notices", "draft", "--site", "pirate", "--as", "officer", "--json"]
    assert jw(*draft[:-1], "--detection", str(d1), "--detection", str(d2), "--json") == 0
    (drafted,) = out()  # type: ignore[misc]
    notice_id = str(drafted["id"])
    assert drafted["works"] == ["Film A"]
    assert jw(*draft[:-1], "--detection", str(d1)) == 4  # already in a running notice
    capsys.readouterr()
    assert jw("notices", "send", notice_id, "--as", "officer", "--json") == 0
    assert out()["status"] == "sent"  # type: ignore[index]
    assert jw("notices", "show", notice_id, "--format", "json") == 0
    shown = out()
    assert shown["content"]["rights_holder"]["contact"] == "legal@studio-a.example"  # type: ignore[index]
    page = tmp_path / "n.html"
    assert jw("notices", "show", notice_id, "--out", str(page)) == 0
    assert "Copyright Infringement Notice" in page.read_text(encoding="utf-8")
    pdf = tmp_path / "n.pdf"
    assert jw("notices", "show", notice_id, "--format", "pdf", "--out", str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert jw("notices", "show", notice_id, "--format", "pdf") == 2
    counter = ["notices", "counter", notice_id, "--from", "Pirate Ltd", "--grounds", "licensed"]
    assert jw(*counter, "--as", "officer", "--json") == 0
    assert out()["status"] == "counter_noticed"  # type: ignore[index]

    # The remaining confirmed detection: noticed, sent, still up after its deadline, escalated.
    assert jw(*draft) == 0
    (second,) = out()  # type: ignore[misc]
    assert jw("notices", "send", str(second["id"]), "--as", "officer") == 0
    capsys.readouterr()
    world = open_world(data_dir / "jianwang.db")
    with transaction(world.factory) as s:
        notice = s.get(Notice, second["id"])
        assert notice is not None and notice.deadline_at is not None
        after = notice.deadline_at + timedelta(hours=1)
        follow_up(
            s, notice=notice, verdicts={notice.detections[0].capture_id: "present"}, now=after
        )
    world.close()
    escalate = ["notices", "escalate", str(second["id"]), "--reason", "still online"]
    assert jw(*escalate, "--as", "studio") == 77  # a rights holder does not open cases
    assert jw(*escalate, "--as", "officer", "--json") == 0
    assert out()["case_id"] == 1  # type: ignore[index]
    assert jw("notices", "list", "--json") == 0
    statuses = {n["id"]: n["status"] for n in out()}  # type: ignore[attr-defined]
    assert statuses == {int(notice_id): "counter_noticed", second["id"]: "non_compliant"}

    assert jw("batches", "add", "--name", "2026-1", "--work", "Film A") == 0
    assert jw("batches", "publish", "2026-1", "--as", "studio") == 77
    capsys.readouterr()
    assert jw("batches", "publish", "2026-1", "--as", "officer", "--json") == 0
    published = out()
    assert [(n["platform"], n["licensed"]) for n in published["notices"]] == [  # type: ignore[index]
        ("plat1", []),
        ("plat3", []),
    ]
    assert jw("notices", "list", "--json") == 0
    warnings = [n for n in out() if n["kind"] == "warning"]  # type: ignore[attr-defined]
    assert sorted(n["site"] for n in warnings) == ["plat1", "plat3"]
    assert jw("batches", "publish", "2026-1", "--as", "officer") == 4
