"""Signed heads and evidence packages: the key is kept private, a package exported from a ledger
the pipeline would write verifies offline, and every kind of tampering is caught and named."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.actors import Actor
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction, utcnow
from jianwang.db.models import (
    AssetKind,
    Capture,
    Case,
    Detection,
    LedgerEntry,
    LedgerHead,
    ReferenceAsset,
    RightsHolder,
    Role,
    Site,
    SiteKind,
    Work,
    WorkKind,
)
from jianwang.errors import NotFoundError, PermissionDenied, UserError
from jianwang.evidence import hashing, ledger
from jianwang.evidence.artefacts import add_artefact
from jianwang.evidence.package import export_package
from jianwang.evidence.signing import (
    LedgerMismatch,
    key_path,
    public_key_info,
    seal,
    signing_key,
)
from jianwang.evidence.verify import VerifyReport, verify_package

OPERATOR = Actor.system("test")


@dataclass
class World:
    """A database filled as a sweep, a match, evidence, a notice and a case would fill it."""

    settings: Settings
    factory: sessionmaker[Session]
    detection: int  # on capture 1, in the notice and the case
    other: int  # another detection, on capture 2, only in the case
    capture: int
    other_capture: int
    case: int
    media: Path


def _capture(s: Session, store: ContentStore, site: Site, n: int) -> Capture:
    """A capture with its page, headers and screenshot, entered as ``record_capture`` does."""
    media = store.put_bytes(f"pirated video {n}".encode(), ".mp4")
    page = store.put_bytes(f"<html><title>庆余年 第{n}集</title></html>".encode(), ".html")
    capture = Capture(
        site=site,
        kind=AssetKind.VIDEO,
        page_url=f"https://pirate.example/play/{n}",
        media_url=f"https://cdn.pirate.example/{n}.mp4",
        fetched_at=utcnow(),
        http_status=200,
        response_headers={"content-type": "video/mp4"},
        page_sha256=page.sha256,
        content_sha256=media.sha256,
        content_path=str(media.path),
        size_bytes=media.size,
        view_count=1000 * n,
    )
    s.add(capture)
    s.flush()
    headers = store.put_bytes(ledger.canonical_json({"status": 200, "n": n}), ".json")
    shot = store.put_bytes(b"\x89PNG fake screenshot %d" % n, ".png")
    artefacts = [
        add_artefact(s, capture=capture, kind=kind, path=stored.path, content_type=mime)
        for kind, stored, mime in (
            ("page", page, "text/html"),
            ("headers", headers, "application/json"),
            ("screenshot", shot, "image/png"),
        )
    ]
    ledger.append(
        s,
        kind="capture",
        subject=f"capture:{capture.id}",
        payload={
            "site": site.name,
            "page_url": capture.page_url,
            "media_url": capture.media_url,
            "fetched_at": capture.fetched_at.isoformat(),
            "page_sha256": capture.page_sha256,
            "content_sha256": capture.content_sha256,
            "artefacts": {a.kind: a.sha256 for a in artefacts},
        },
    )
    return capture


def _detection(
    s: Session, store: ContentStore, capture: Capture, asset: ReferenceAsset, n: int
) -> Detection:
    """A detection with its entry and its stills, entered as the matcher and
    ``detections.evidence`` do."""
    d = Detection(
        capture=capture,
        work=asset.work,
        asset=asset,
        signal="video.dcthash",
        score=30.0 + n,
        query_start=12.0,
        query_end=48.5,
        ref_start=300.0,
        ref_end=336.5,
        speed=1.0,
    )
    s.add(d)
    s.flush()
    ledger.append(
        s,
        kind="detection",
        subject=f"detection:{d.id}",
        payload={
            "capture_id": capture.id,
            "capture_sha256": capture.content_sha256,
            "page_url": capture.page_url,
            "work_id": d.work_id,
            "asset_id": d.asset_id,
            "signal": d.signal,
            "score": d.score,
            "query_span": [d.query_start, d.query_end],
            "ref_span": [d.ref_start, d.ref_end],
            "speed": d.speed,
            "status": d.status.value,
        },
    )
    for kind, at_s in (("keyframe", 12.0), ("keyframe", 30.0), ("reference_keyframe", 300.0)):
        still = store.put_bytes(b"\xff\xd8 jpeg %d %s %f" % (n, kind.encode(), at_s), ".jpg")
        artefact = add_artefact(
            s,
            capture=capture,
            kind=kind,
            path=still.path,
            content_type="image/jpeg",
            detection_id=d.id,
            at_s=at_s,
        )
        ledger.append(
            s,
            kind="artefact",
            subject=f"detection:{d.id}",
            payload={
                "detection_id": d.id,
                "capture_id": capture.id,
                "artefact_id": artefact.id,
                "kind": kind,
                "sha256": artefact.sha256,
                "at_s": at_s,
            },
        )
    return d


def build_world(settings: Settings) -> World:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    store = ContentStore(settings.content_dir)
    with transaction(factory) as s:
        holder = RightsHolder(name="Tencent Pictures")
        work = Work(title="庆余年", kind=WorkKind.TV_SERIES, rights_holder=holder)
        ref = store.put_bytes(b"reference episode 1", ".mp4")
        asset = ReferenceAsset(
            work=work,
            name="E01",
            kind=AssetKind.VIDEO,
            sha256=ref.sha256,
            content_path=str(ref.path),
        )
        site = Site(name="pirate", kind=SiteKind.VIDEO, domains=["pirate.example"])
        s.add_all([holder, work, asset, site])
        s.flush()
        capture = _capture(s, store, site, 1)
        other_capture = _capture(s, store, site, 2)
        detection = _detection(s, store, capture, asset, 1)
        other = _detection(s, store, other_capture, asset, 2)
        ledger.append(
            s,
            kind="review",
            subject=f"detection:{detection.id}",
            payload={"from": "detected", "to": "confirmed", "actor": "officer", "reason": "ok"},
        )
        ledger.append(
            s,
            kind="notice",
            subject="notice:1",
            payload={"status": "draft", "proof": [{"detection_id": detection.id, "score": 31.0}]},
        )
        ledger.append(s, kind="notice", subject="notice:2", payload={"proof": []})
        case = Case(number="JW-2024-001", site=site, detections=[detection, other])
        s.add(case)
        s.flush()
        ledger.append(
            s,
            kind="case",
            subject=f"case:{case.id}",
            payload={"to": "lead", "detections": [detection.id, other.id]},
        )
        ledger.append(s, kind="case", subject=f"case:{case.id}", payload={"to": "screening"})
        ledger.append(s, kind="domain_hop", subject=f"site:{site.id}", payload={"d": "x"})
        return World(
            settings=settings,
            factory=factory,
            detection=detection.id,
            other=other.id,
            capture=capture.id,
            other_capture=other_capture.id,
            case=case.id,
            media=Path(capture.content_path),
        )


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    w = build_world(settings)
    yield w
    w.factory.kw["bind"].dispose()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Path]]:
    """One exported detection package, copied by each tamper test before it tampers."""
    root = tmp_path_factory.mktemp("exported")
    w = build_world(Settings(data_dir=root / "data"))
    out = root / "package"
    with transaction(w.factory) as s:
        export_package(s, w.settings, actor=OPERATOR, detection_id=w.detection, out=out)
    yield w, out
    w.factory.kw["bind"].dispose()


@pytest.fixture
def package(exported: tuple[World, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(exported[1], copy)
    return copy


def _problems(report: VerifyReport) -> set[tuple[str, str]]:
    return {(p.check, p.where) for p in report.problems}


def _read(pkg: Path, name: str) -> object:
    return json.loads((pkg / name).read_text(encoding="utf-8"))


def _write(pkg: Path, name: str, data: object) -> None:
    (pkg / name).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _relist(pkg: Path, name: str) -> None:
    """Update a file's manifest line, as a forger who knows the format would."""
    manifest = _read(pkg, "manifest.json")
    assert isinstance(manifest, dict)
    data = (pkg / name).read_bytes()
    for item in manifest["files"]:
        if item["path"] == name:
            item["sha256"], item["size"] = hashlib.sha256(data).hexdigest(), len(data)
    _write(pkg, "manifest.json", manifest)


def _artefact_files(pkg: Path) -> list[str]:
    return sorted(p.relative_to(pkg).as_posix() for p in (pkg / "artefacts").iterdir())


# --- the signing key and sealing -------------------------------------------------------------


def test_key_is_created_private_and_its_id_is_the_raw_key_hash(settings: Settings) -> None:
    key = signing_key(settings)
    path = key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()  # PKCS8
    info = public_key_info(settings)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert info.key_id == hashlib.sha256(raw).hexdigest()
    loaded = serialization.load_pem_public_key(info.pem.encode())
    assert isinstance(loaded, Ed25519PublicKey)
    assert signing_key(settings).private_bytes_raw() == key.private_bytes_raw()  # kept, not renewed


def test_a_key_open_to_others_is_refused(settings: Settings) -> None:
    signing_key(settings)
    path = key_path(settings)
    path.chmod(0o644)
    with pytest.raises(UserError, match=r"chmod 600") as err:
        signing_key(settings)
    assert str(path) in str(err.value) and "0644" in str(err.value)
    path.chmod(0o600)
    signing_key(settings)


def test_seal_signs_a_head_once_per_ledger_state(world: World) -> None:
    with transaction(world.factory) as s:
        count = s.scalar(select(func.count()).select_from(LedgerEntry))
        head = seal(s, world.settings)
        assert head.tree_size == count
        assert seal(s, world.settings).id == head.id  # nothing changed: the same head
        statement = hashing.head_statement(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            signed_at=head.signed_at,
            key_id=head.key_id,
        )
        public = signing_key(world.settings).public_key()
        public.verify(bytes.fromhex(head.signature), hashing.statement_bytes(statement))
    with transaction(world.factory) as s:
        ledger.append(s, kind="review", subject=f"detection:{world.detection}", payload={"x": 1})
        newer = seal(s, world.settings)
        assert newer.id != head.id and newer.tree_size == head.tree_size + 1
        assert s.scalar(select(func.count()).select_from(LedgerHead)) == 2


def test_seal_refuses_an_empty_ledger(settings: Settings) -> None:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    with transaction(session_factory(engine)) as s, pytest.raises(UserError, match="empty"):
        seal(s, settings)
    engine.dispose()


def test_seal_refuses_an_altered_ledger(world: World, tmp_path: Path) -> None:
    with transaction(world.factory) as s:
        s.execute(update(LedgerEntry).where(LedgerEntry.seq == 3).values(payload={"forged": 1}))
    with transaction(world.factory) as s, pytest.raises(LedgerMismatch, match="entry 3"):
        seal(s, world.settings)
    with transaction(world.factory) as s:
        s.execute(update(LedgerEntry).where(LedgerEntry.seq == 3).values(payload={"x": 1}))
        s.execute(update(LedgerEntry).where(LedgerEntry.seq == 3).values(entry_hash="ab" * 32))
    with transaction(world.factory) as s, pytest.raises(LedgerMismatch, match="entry 3"):
        seal(s, world.settings)


def test_an_entry_altered_after_sealing_stops_the_export(world: World, tmp_path: Path) -> None:
    with transaction(world.factory) as s:
        seal(s, world.settings)
    with transaction(world.factory) as s:
        s.execute(update(LedgerEntry).where(LedgerEntry.seq == 1).values(payload={"forged": 1}))
    with transaction(world.factory) as s, pytest.raises(LedgerMismatch, match="entry 1"):
        export_package(
            s, world.settings, actor=OPERATOR, detection_id=world.detection, out=tmp_path / "p"
        )
    assert not (tmp_path / "p").exists()
    with transaction(world.factory) as s:
        s.execute(update(LedgerEntry).where(LedgerEntry.seq == 2).values(entry_hash="ab" * 32))
    with transaction(world.factory) as s, pytest.raises(LedgerMismatch, match="no longer"):
        seal(s, world.settings)


# --- exporting -------------------------------------------------------------------------------


def test_detection_package_round_trip(world: World, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with transaction(world.factory) as s:
        result = export_package(
            s, world.settings, actor=OPERATOR, detection_id=world.detection, out=out
        )
        total = s.scalar(select(func.count()).select_from(LedgerEntry))
    assert result.tree_size == total and result.detections == [world.detection]

    report = verify_package(out, expected_key_id=result.key_id)
    assert report.ok, report.problems
    assert report.subject == f"detection:{world.detection}"
    assert {c.split(":")[0] for c in report.passed} >= {
        "files",
        "entries",
        "head",
        "inclusion",
        "timestamp",
        "artefacts",
        "detections",
    }

    entries = _read(out, "entries.json")
    assert isinstance(entries, list)
    subjects = {e["subject"] for e in entries}
    assert subjects == {
        f"detection:{world.detection}",
        f"capture:{world.capture}",
        "notice:1",
        f"case:{world.case}",
    }
    case_entries = [e for e in entries if e["subject"] == f"case:{world.case}"]
    assert len(case_entries) == 2  # the case's whole history, not only its opening
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)

    names = _artefact_files(out)
    kinds = sorted(n.split("-", 1)[1].rsplit(".", 1)[0] for n in names)
    assert kinds == ["headers", "keyframe", "keyframe", "page", "reference_keyframe", "screenshot"]
    assert all(n.split("/")[1].split("-")[0].isdigit() for n in names)
    assert {Path(n).suffix for n in names} == {".html", ".json", ".png", ".jpg"}
    assert not any("media" in n for n in names)

    detections = _read(out, "detections.json")
    assert isinstance(detections, list) and len(detections) == 1
    d = detections[0]
    assert d["work"]["title"] == "庆余年" and d["reference"]["name"] == "E01"
    assert d["capture_span"] == [12.0, 48.5] and d["reference_span"] == [300.0, 336.5]
    assert d["signal"] == "video.dcthash" and d["score"] == 31.0 and d["speed"] == 1.0
    assert d["evidence_class"] == "fingerprint"

    manifest = _read(out, "manifest.json")
    assert isinstance(manifest, dict)
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(listed) == on_disk - {"manifest.json"}
    assert listed["public_key.pem"]["role"] == "public_key"

    head = _read(out, "head.json")
    assert isinstance(head, dict)
    request = tsp.TimeStampReq.load((out / "timestamp-request.tsq").read_bytes())
    assert request["cert_req"].native is True and request["nonce"].native
    assert (
        request["message_imprint"]["hashed_message"].native
        == hashlib.sha256(hashing.statement_bytes(head["statement"])).digest()
    )
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "application/timestamp-query" in readme and "timestamp-request.tsq" in readme


def test_case_package_covers_every_detection_of_the_case(world: World, tmp_path: Path) -> None:
    out = tmp_path / "case"
    with transaction(world.factory) as s:
        result = export_package(s, world.settings, actor=OPERATOR, case_id=world.case, out=out)
    assert result.detections == [world.detection, world.other]
    assert verify_package(out).ok
    subjects = {e["subject"] for e in _read(out, "entries.json")}  # type: ignore[union-attr]
    assert subjects == {
        f"case:{world.case}",
        f"detection:{world.detection}",
        f"detection:{world.other}",
        f"capture:{world.capture}",
        f"capture:{world.other_capture}",
        "notice:1",
    }
    assert len(_artefact_files(out)) == 12


def test_other_detections_stills_stay_out(world: World, tmp_path: Path) -> None:
    with transaction(world.factory) as s:
        export_package(
            s, world.settings, actor=OPERATOR, detection_id=world.other, out=tmp_path / "p"
        )
    entries = _read(tmp_path / "p", "entries.json")
    assert {e["subject"] for e in entries} == {  # type: ignore[union-attr]
        f"detection:{world.other}",
        f"capture:{world.other_capture}",
        f"case:{world.case}",
    }
    assert len(_artefact_files(tmp_path / "p")) == 6


def test_zip_round_trip_and_tampered_zip(world: World, tmp_path: Path) -> None:
    out = tmp_path / "evidence.zip"
    with transaction(world.factory) as s:
        export_package(
            s,
            world.settings,
            actor=OPERATOR,
            detection_id=world.detection,
            out=out,
            include_media=True,
        )
    assert zipfile.is_zipfile(out)
    report = verify_package(out)
    assert report.ok, report.problems
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        media = [n for n in names if n.endswith("-media.mp4")]
        assert media == [f"artefacts/capture-{world.capture}-media.mp4"]
        assert zf.read(media[0]) == world.media.read_bytes()
        contents = {n: zf.read(n) for n in names}
    victim = next(n for n in names if n.endswith("-screenshot.png"))
    contents[victim] = contents[victim] + b"!"
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
    assert _problems(verify_package(forged)) == {("files", victim), ("artefacts", victim)}


def test_unknown_ids_and_occupied_out_are_refused(world: World, tmp_path: Path) -> None:
    with transaction(world.factory) as s:
        with pytest.raises(NotFoundError, match="detection"):
            export_package(s, world.settings, actor=OPERATOR, detection_id=999, out=tmp_path / "a")
        with pytest.raises(NotFoundError, match="case"):
            export_package(s, world.settings, actor=OPERATOR, case_id=999, out=tmp_path / "a")
        with pytest.raises(UserError, match="exactly one"):
            export_package(s, world.settings, actor=OPERATOR, out=tmp_path / "a")
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "x").write_text("x")
        with pytest.raises(UserError, match="not empty"):
            export_package(
                s,
                world.settings,
                actor=OPERATOR,
                detection_id=world.detection,
                out=tmp_path / "full",
            )
        (tmp_path / "empty").mkdir()
        export_package(
            s, world.settings, actor=OPERATOR, detection_id=world.detection, out=tmp_path / "empty"
        )
    assert verify_package(tmp_path / "empty").ok


def test_missing_evidence_file_refuses_without_writing(world: World, tmp_path: Path) -> None:
    with transaction(world.factory) as s:
        keyframe = s.scalar(select(Detection).where(Detection.id == world.detection))
        assert keyframe is not None
        path = next(Path(a.path) for a in keyframe.capture.artefacts if a.kind == "keyframe")
    path.unlink()
    out = tmp_path / "out" / "pkg"
    out.parent.mkdir()
    with transaction(world.factory) as s, pytest.raises(UserError) as err:
        export_package(s, world.settings, actor=OPERATOR, detection_id=world.detection, out=out)
    assert str(path) in str(err.value) and "keyframe" in str(err.value)
    assert list(out.parent.iterdir()) == []  # neither the package nor its temporary folder


def test_altered_media_is_refused(world: World, tmp_path: Path) -> None:
    world.media.write_bytes(b"something else")
    with transaction(world.factory) as s, pytest.raises(UserError, match="media"):
        export_package(
            s,
            world.settings,
            actor=OPERATOR,
            detection_id=world.detection,
            out=tmp_path / "p",
            include_media=True,
        )


def test_verifier_needs_no_database() -> None:
    code = (
        "import sys, jianwang.evidence.verify; "
        "bad = [m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' "
        "or m.startswith('jianwang.db')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


# --- tampering -------------------------------------------------------------------------------


def test_the_pristine_copy_verifies(package: Path) -> None:
    assert verify_package(package).ok


def test_each_changed_artefact_byte_is_named(exported: tuple[World, Path], tmp_path: Path) -> None:
    names = _artefact_files(exported[1])
    assert len(names) == 6
    for i, name in enumerate(names):
        copy = tmp_path / f"copy{i}"
        shutil.copytree(exported[1], copy)
        data = bytearray((copy / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / name).write_bytes(bytes(data))
        assert _problems(verify_package(copy)) == {("files", name), ("artefacts", name)}, name


def test_an_artefact_swapped_with_its_manifest_line_is_caught(package: Path) -> None:
    name = next(n for n in _artefact_files(package) if n.endswith("-keyframe.jpg"))
    (package / name).write_bytes(b"\xff\xd8 a different still")
    _relist(package, name)
    assert _problems(verify_package(package)) == {("artefacts", name)}


def test_a_changed_payload_is_named_by_its_entry(package: Path) -> None:
    entries = _read(package, "entries.json")
    assert isinstance(entries, list)
    target = next(e for e in entries if e["kind"] == "detection")
    target["payload"]["score"] = 99.0
    _write(package, "entries.json", entries)
    problems = _problems(verify_package(package))
    assert ("entries", f"entry {target['seq']}") in problems
    assert ("files", "entries.json") in problems


def test_a_forged_entry_with_recomputed_hashes_fails_its_proof(package: Path) -> None:
    entries = _read(package, "entries.json")
    assert isinstance(entries, list)
    target = next(e for e in entries if e["kind"] == "detection")
    target["payload"]["score"] = 99.0
    target["payload_hash"] = hashing.payload_digest(target["payload"])
    target["entry_hash"] = hashing.entry_digest(
        seq=target["seq"],
        kind=target["kind"],
        subject=target["subject"],
        payload_hash=target["payload_hash"],
        prev_hash=target["prev_hash"],
        recorded_at=target["recorded_at"],
    )
    _write(package, "entries.json", entries)
    _relist(package, "entries.json")
    problems = _problems(verify_package(package))
    assert ("inclusion", f"entry {target['seq']}") in problems
    assert ("detections", "detections.json: detection 1") in problems


@pytest.mark.parametrize("field", ["root_hash", "tree_size", "signature"])
def test_a_changed_head_is_named(package: Path, field: str) -> None:
    head = _read(package, "head.json")
    assert isinstance(head, dict)
    if field == "signature":
        head["signature"] = ("00" if head["signature"][:2] != "00" else "11") + head["signature"][
            2:
        ]
    elif field == "root_hash":
        head["statement"]["root_hash"] = hashlib.sha256(b"another root").hexdigest()
    else:
        head["statement"]["tree_size"] += 1
    _write(package, "head.json", head)
    _relist(package, "head.json")
    problems = verify_package(package).problems
    assert ("head", "head") in {(p.check, p.where) for p in problems}
    assert any("signature does not verify" in p.reason for p in problems)


def test_a_deleted_file_is_named(package: Path) -> None:
    name = _artefact_files(package)[0]
    (package / name).unlink()
    (package / "proofs.json").unlink()
    problems = _problems(verify_package(package))
    assert ("files", name) in problems
    assert ("files", "proofs.json") in problems or ("inclusion", "proofs.json") in problems


def test_a_stray_file_is_named(package: Path) -> None:
    (package / "artefacts" / "99-keyframe.jpg").write_bytes(b"planted")
    assert _problems(verify_package(package)) == {
        ("files", "artefacts/99-keyframe.jpg"),
        ("artefacts", "artefacts/99-keyframe.jpg"),
    }


def test_another_public_key_is_refused(package: Path) -> None:
    real = _read(package, "head.json")
    assert isinstance(real, dict)
    published = real["statement"]["key_id"]
    forger = Ed25519PrivateKey.generate()
    pem = forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (package / "public_key.pem").write_bytes(pem)
    _relist(package, "public_key.pem")
    # The old signature under the new key: the head names a key the package does not carry.
    assert ("head", "head") in _problems(verify_package(package))

    # A forger re-signs the head with their key: only pinning the published key id catches it.
    raw = forger.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    real["statement"]["key_id"] = hashing.key_id(raw)
    real["signature"] = forger.sign(hashing.statement_bytes(real["statement"])).hex()
    _write(package, "head.json", real)
    _relist(package, "head.json")
    report = verify_package(package, expected_key_id=published)
    assert ("key", "public_key.pem") in _problems(report)
    assert ("timestamp", "timestamp-request.tsq") in _problems(report)  # over the real head


def test_a_request_over_another_head_is_named(package: Path) -> None:
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(b"another head").digest(),
            },
            "cert_req": True,
        }
    )
    (package / "timestamp-request.tsq").write_bytes(request.dump())
    _relist(package, "timestamp-request.tsq")
    assert _problems(verify_package(package)) == {("timestamp", "timestamp-request.tsq")}


def test_a_summary_that_overstates_is_named(package: Path) -> None:
    detections = _read(package, "detections.json")
    assert isinstance(detections, list)
    detections[0]["capture_span"] = [0.0, 1200.0]
    _write(package, "detections.json", detections)
    _relist(package, "detections.json")
    report = verify_package(package)
    assert _problems(report) == {
        ("detections", f"detections.json: detection {detections[0]['id']}")
    }


def _timestamp_response(
    package: Path, *, status: str = "granted", nonce: int | None = None
) -> bytes:
    head = _read(package, "head.json")
    assert isinstance(head, dict)
    request = tsp.TimeStampReq.load((package / "timestamp-request.tsq").read_bytes())
    info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(
                    hashing.statement_bytes(head["statement"])
                ).digest(),
            },
            "serial_number": 7,
            "gen_time": datetime.now(UTC).replace(microsecond=0),
            "nonce": request["nonce"].native if nonce is None else nonce,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "tst_info", "content": info},
            "signer_infos": [],
        }
    )
    response = tsp.TimeStampResp(
        {
            "status": {"status": status},
            "time_stamp_token": {"content_type": "signed_data", "content": signed},
        }
    )
    return bytes(response.dump())


def test_a_saved_tsa_answer_is_checked_against_the_request(package: Path) -> None:
    (package / "head.tsr").write_bytes(_timestamp_response(package))
    report = verify_package(package)
    assert report.ok, report.problems
    assert any("TSA stamped" in line for line in report.passed)
    (package / "head.tsr").write_bytes(_timestamp_response(package, nonce=1))
    assert _problems(verify_package(package)) == {("timestamp", "head.tsr")}
    (package / "head.tsr").write_bytes(_timestamp_response(package, status="rejection"))
    assert _problems(verify_package(package)) == {("timestamp", "head.tsr")}


def test_garbage_does_not_crash_the_verifier(package: Path, tmp_path: Path) -> None:
    for name in ("entries.json", "head.json", "proofs.json", "manifest.json", "detections.json"):
        (package / name).write_text("{not json", encoding="utf-8")
    (package / "public_key.pem").write_text("nonsense", encoding="ascii")
    (package / "timestamp-request.tsq").write_bytes(b"\x00\x01")
    report = verify_package(package)
    assert not report.ok
    assert {"manifest.json", "entries.json", "head.json", "public_key.pem"} <= {
        p.where for p in report.problems
    }
    (tmp_path / "not.zip").write_bytes(b"PK nonsense")
    assert not verify_package(tmp_path / "not.zip").ok
    assert not verify_package(tmp_path / "absent").ok


def test_a_new_key_signs_the_same_tree_again(world: World, tmp_path: Path) -> None:
    with transaction(world.factory) as s:
        first = seal(s, world.settings)
    key_path(world.settings).unlink()  # the key was rotated
    with transaction(world.factory) as s:
        second = seal(s, world.settings)
        assert second.id != first.id and second.tree_size == first.tree_size
        assert second.key_id != first.key_id and second.root_hash == first.root_hash
        export_package(
            s, world.settings, actor=OPERATOR, detection_id=world.detection, out=tmp_path / "p"
        )
    assert verify_package(tmp_path / "p", expected_key_id=second.key_id).ok


def test_a_package_emptied_of_its_proof_does_not_pass(package: Path) -> None:
    for name in _artefact_files(package):
        (package / name).unlink()
    _write(package, "entries.json", [])
    _write(package, "detections.json", [])
    manifest = _read(package, "manifest.json")
    assert isinstance(manifest, dict)
    manifest["files"] = [f for f in manifest["files"] if not f["path"].startswith("artefacts/")]
    _write(package, "manifest.json", manifest)
    _relist(package, "entries.json")
    _relist(package, "detections.json")
    assert _problems(verify_package(package)) == {("entries", "entries.json")}


def test_export_follows_the_actors_scope(world: World, tmp_path: Path) -> None:
    """A rights holder exports evidence of its own works only; a viewer none at all."""
    other_holder = Actor(name="rival", role=Role.RIGHTS_HOLDER, rights_holder_id=10_000)
    viewer = Actor(name="eve", role=Role.VIEWER)
    for actor, message in [(other_holder, "another rights holder"), (viewer, "may not evidence")]:
        with transaction(world.factory) as s, pytest.raises(PermissionDenied, match=message):
            export_package(
                s, world.settings, actor=actor, detection_id=world.detection, out=tmp_path / "p"
            )
    assert not (tmp_path / "p").exists()
