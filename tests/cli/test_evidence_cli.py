"""``jianwang evidence`` as an officer and a court use it: seal, export, key, and an offline
verify whose exit code says whether the package holds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction, utcnow
from jianwang.db.models import (
    AssetKind,
    Capture,
    Detection,
    ReferenceAsset,
    RightsHolder,
    Site,
    SiteKind,
    Work,
    WorkKind,
)
from jianwang.evidence import ledger
from jianwang.evidence.artefacts import add_artefact


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def _fill(data: Path) -> int:
    """One capture with a page and one detection with a still, entered as the pipeline does;
    returns the detection's id."""
    settings = Settings(data_dir=data)
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    store = ContentStore(settings.content_dir)
    with transaction(session_factory(engine)) as s:
        ref = store.put_bytes(b"reference song", ".m4a")
        work = Work(title="Spring", kind=WorkKind.MUSIC, rights_holder=RightsHolder(name="Label"))
        asset = ReferenceAsset(
            work=work,
            name="Spring.m4a",
            kind=AssetKind.AUDIO,
            sha256=ref.sha256,
            content_path=str(ref.path),
        )
        site = Site(name="mp3site", kind=SiteKind.MUSIC, domains=["mp3.example"])
        media = store.put_bytes(b"ripped song", ".mp3")
        page = store.put_bytes(b"<html>Spring mp3</html>", ".html")
        capture = Capture(
            site=site,
            kind=AssetKind.AUDIO,
            page_url="https://mp3.example/spring",
            fetched_at=utcnow(),
            page_sha256=page.sha256,
            content_sha256=media.sha256,
            content_path=str(media.path),
        )
        s.add_all([work, asset, site, capture])
        s.flush()
        kept = add_artefact(
            s, capture=capture, kind="page", path=page.path, content_type="text/html"
        )
        ledger.append(
            s,
            kind="capture",
            subject=f"capture:{capture.id}",
            payload={
                "page_sha256": page.sha256,
                "content_sha256": media.sha256,
                "artefacts": {"page": kept.sha256},
            },
        )
        d = Detection(
            capture=capture,
            work=work,
            asset=asset,
            signal="audio.triplets",
            score=40.0,
            query_start=5.0,
            query_end=35.0,
            ref_start=60.0,
            ref_end=90.0,
        )
        s.add(d)
        s.flush()
        ledger.append(
            s,
            kind="detection",
            subject=f"detection:{d.id}",
            payload={
                "capture_id": capture.id,
                "work_id": work.id,
                "signal": d.signal,
                "score": d.score,
            },
        )
        excerpt = store.put_bytes(b"OggS excerpt", ".ogg")
        clip = add_artefact(
            s,
            capture=capture,
            kind="excerpt",
            path=excerpt.path,
            content_type="audio/ogg; codecs=opus",
            detection_id=d.id,
            at_s=5.0,
        )
        ledger.append(
            s,
            kind="artefact",
            subject=f"detection:{d.id}",
            payload={
                "detection_id": d.id,
                "artefact_id": clip.id,
                "kind": "excerpt",
                "sha256": clip.sha256,
            },
        )
        detection_id = d.id
    engine.dispose()
    return detection_id


def test_seal_key_export_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    detection = _fill(data)

    assert jw(data, "evidence", "seal", "--json") == 0
    head = json.loads(capsys.readouterr().out)
    assert head["tree_size"] == 3 and len(head["signature"]) == 128

    assert jw(data, "evidence", "key", "--json") == 0
    key = json.loads(capsys.readouterr().out)
    assert key["key_id"] == head["key_id"]
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert jw(data, "evidence", "key") == 0
    assert head["key_id"] in capsys.readouterr().out

    out = tmp_path / "pkg.zip"
    assert jw(data, "evidence", "export", "--detection", str(detection), str(out), "--json") == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["subject"] == f"detection:{detection}" and exported["artefacts"] == 2
    assert exported["head_id"] == head["id"]  # nothing new since the seal: the same head

    assert jw(data, "evidence", "verify", str(out), "--key-id", head["key_id"]) == 0
    printed = capsys.readouterr().out
    assert "the package holds" in printed and "FAIL" not in printed

    assert jw(data, "evidence", "verify", str(out), "--key-id", "ab" * 32, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert [(p["check"], p["where"]) for p in report["problems"]] == [("key", "public_key.pem")]


def test_verify_names_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    detection = _fill(data)
    out = tmp_path / "pkg"
    assert jw(data, "evidence", "export", "--detection", str(detection), str(out)) == 0
    assert str(out) in capsys.readouterr().out

    tampered = tmp_path / "tampered"
    shutil.copytree(out, tampered)
    excerpt = next((tampered / "artefacts").glob("*-excerpt.ogg"))
    excerpt.write_bytes(b"OggS a different excerpt")
    (tampered / "artefacts" / "stray.txt").write_text("planted")
    # verify reads no database: an empty data dir is enough
    assert jw(tmp_path / "elsewhere", "evidence", "verify", str(tampered)) == 1
    printed = capsys.readouterr().out
    name = f"artefacts/{excerpt.name}"
    assert f"FAIL  {name}: sha256" in printed
    assert "FAIL  artefacts/stray.txt: is not listed in the manifest" in printed
    assert "does not hold" in printed
    assert not (tmp_path / "elsewhere").exists()


def test_export_refusals_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    detection = _fill(data)
    assert jw(data, "evidence", "export", "--detection", "999", str(tmp_path / "a")) == 3
    assert "no detection with id 999" in capsys.readouterr().err
    assert jw(data, "evidence", "export", str(tmp_path / "a")) == 2
    assert "exactly one" in capsys.readouterr().err
    assert (
        jw(
            data,
            "evidence",
            "export",
            "--case",
            "1",
            "--detection",
            str(detection),
            str(tmp_path / "a"),
        )
        == 2
    )
    capsys.readouterr()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    assert (
        jw(data, "evidence", "export", "--detection", str(detection), str(tmp_path / "taken")) == 2
    )
    assert "not empty" in capsys.readouterr().err


def test_sealing_an_empty_ledger_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert jw(tmp_path / "data", "evidence", "seal") == 2
    assert "empty" in capsys.readouterr().err
