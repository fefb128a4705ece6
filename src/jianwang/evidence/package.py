"""Evidence packages: one detection's or one case's proof, in a folder or a .zip that anyone can
check offline with ``verify.verify_package`` (or by hand, following its README).

A package holds the ledger entries about its subject, each with an audit path to a freshly signed
head, the public key, an RFC 3161 timestamp request over the head (to be sent to a TSA, so a third
party fixes the time), a readable summary of the detections, and the evidence files themselves,
named by artefact id and proven by the sha256 the entries record.

A package is written whole or not at all: it is built in a temporary folder next to ``out``,
checked with the offline verifier, and only then renamed into place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import mimetypes
import os
import secrets
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from asn1crypto import tsp
from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor, require_rights
from jianwang.config import Settings
from jianwang.db import utcnow
from jianwang.db.models import Artefact, Capture, Case, Detection, LedgerEntry, LedgerHead
from jianwang.errors import NotFoundError, UserError
from jianwang.evidence import hashing, verify
from jianwang.evidence.ledger import entry_hashes
from jianwang.evidence.merkle import MerkleTree
from jianwang.evidence.signing import LedgerMismatch, public_key_info, seal, statement_of

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_COMPRESSED = frozenset({".json", ".txt", ".html", ".htm", ".pem"})


@dataclasses.dataclass(frozen=True)
class PackageResult:
    """What an export wrote."""

    path: Path
    subject: str
    detections: list[int]
    entries: int
    artefacts: int
    files: int
    head_id: int
    tree_size: int
    root_hash: str
    key_id: str


@dataclasses.dataclass(frozen=True)
class _File:
    path: str
    sha256: str
    size: int
    role: str


def _subject(
    session: Session, case_id: int | None, detection_id: int | None
) -> tuple[dict[str, Any], list[Detection], Case | None]:
    if (case_id is None) == (detection_id is None):
        raise UserError("name exactly one of a case or a detection to export")
    if detection_id is not None:
        detection = session.get(Detection, detection_id)
        if detection is None:
            raise NotFoundError(f"no detection with id {detection_id}")
        return {"kind": "detection", "id": detection.id}, [detection], None
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case with id {case_id}")
    subject = {"kind": "case", "id": case.id, "number": case.number, "site": case.site.name}
    return subject, sorted(case.detections, key=lambda d: d.id), case


def _names_detection(entry: LedgerEntry, ids: set[int]) -> bool:
    """Whether a notice's proof or a case's detection list names one of ``ids``."""
    payload = entry.payload
    if entry.kind == "notice":
        proof = payload.get("proof")
        return isinstance(proof, list) and any(
            isinstance(p, dict) and p.get("detection_id") in ids for p in proof
        )
    named = payload.get("detections")
    return isinstance(named, list) and any(d in ids for d in named)


def relevant_entries(
    session: Session, *, detections: Sequence[Detection], case: Case | None, upto: int
) -> list[LedgerEntry]:
    """The entries that bear on ``detections`` (and ``case``), up to seq ``upto``: everything
    recorded about each detection and its capture, and the whole history of every notice and
    case that names one of them."""
    ids = {d.id for d in detections}
    subjects = {f"detection:{d.id}" for d in detections}
    subjects |= {f"capture:{d.capture_id}" for d in detections}
    if case is not None:
        subjects.add(f"case:{case.id}")
    naming = select(LedgerEntry).where(
        LedgerEntry.kind.in_(("notice", "case")), LedgerEntry.seq <= upto
    )
    subjects |= {e.subject for e in session.scalars(naming) if _names_detection(e, ids)}
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.subject.in_(sorted(subjects)), LedgerEntry.seq <= upto)
        .order_by(LedgerEntry.seq)
    )
    return list(session.scalars(query))


def _artefacts(session: Session, detections: Sequence[Detection]) -> list[Artefact]:
    """The captures' own artefacts (page, headers, screenshot) and those of these detections,
    not those another detection of the same capture made."""
    ids = {d.id for d in detections}
    captures = sorted({d.capture_id for d in detections})
    rows = session.scalars(
        select(Artefact).where(Artefact.capture_id.in_(captures)).order_by(Artefact.id)
    )
    return [a for a in rows if a.detection_id is None or a.detection_id in ids]


def _copy(source: Path, dest: Path, expected_sha256: str, what: str) -> tuple[str, int]:
    """Copy a stored evidence file, refusing one that is gone or no longer has its hash."""
    if not source.is_file():
        raise UserError(f"{what}: file {source} is missing; no package was written")
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as src, dest.open("wb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if digest.hexdigest() != expected_sha256:
        raise UserError(
            f"{what}: file {source} no longer has its recorded sha256; no package was written"
        )
    return digest.hexdigest(), size


def _suffix(path: str, content_type: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix:
        return suffix
    return mimetypes.guess_extension(content_type.split(";", maxsplit=1)[0].strip()) or ".bin"


def _entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "subject": entry.subject,
        "payload": entry.payload,
        "payload_hash": entry.payload_hash,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
        "recorded_at": entry.recorded_at.isoformat(),
    }


def _detection_json(d: Detection) -> dict[str, Any]:
    capture: Capture = d.capture
    asset = d.asset
    return {
        "id": d.id,
        "status": d.status.value,
        "work_id": d.work_id,
        "work": {"title": d.work.title, "kind": d.work.kind.value},
        "rights_holder": d.work.rights_holder.name,
        "reference": None
        if asset is None
        else {"id": asset.id, "name": asset.name, "sha256": asset.sha256},
        "signal": d.signal,
        "score": d.score,
        "capture_span": [d.query_start, d.query_end],
        "reference_span": [d.ref_start, d.ref_end],
        "speed": d.speed,
        "pitch_shift": d.pitch_shift,
        "coverage": d.coverage,
        "evidence_class": d.evidence_class,
        "matched_text": d.matched_text,
        "capture_id": capture.id,
        "capture": {
            "site": capture.site.name,
            "page_url": capture.page_url,
            "media_url": capture.media_url,
            "fetched_at": capture.fetched_at.isoformat(),
            "content_sha256": capture.content_sha256,
            "page_sha256": capture.page_sha256,
        },
    }


def timestamp_request(statement: dict[str, Any]) -> bytes:
    """A DER RFC 3161 request for a TSA to time-stamp the head (sha256 of its statement bytes),
    asking for the TSA's certificate in the answer and carrying a fresh nonce."""
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(hashing.statement_bytes(statement)).digest(),
            },
            "nonce": secrets.randbits(63),
            "cert_req": True,
        }
    )
    return bytes(request.dump())


README_TEXT = """\
Jianwang evidence package: {subject}
Generated {generated_at} from a ledger of {tree_size} entries (signed head, key {key_id}).

What is here
  manifest.json          every file with its sha256, size and role
  entries.json           the ledger entries about the subject (hash-chained)
  proofs.json            an RFC 6962 Merkle audit path of each entry to the signed root
  head.json              the signed head: {{tree_size, root_hash, signed_at, key_id}} + Ed25519
                         signature over its canonical JSON (sorted keys, no spaces, UTF-8)
  public_key.pem         the signing key; its id is the sha256 of the raw 32-byte key
  timestamp-request.tsq  an RFC 3161 request over sha256 of the head's canonical JSON
  detections.json        a readable summary of each detection (the entries are the proof)
  artefacts/             page, HTTP headers, screenshot, stills and excerpts, named
                         <artefact id>-<kind><ext>; each file's sha256 is recorded in an entry

How to verify
  1. With Jianwang (offline, no database):  jianwang evidence verify PACKAGE --key-id KEYID
     where KEYID is the key id the authority publishes. Exit 0: it holds; 1: each problem named.
  2. By hand: recompute each file's sha256 against manifest.json and the entries; recompute
     each entry's payload_hash = sha256(canonical JSON of payload) and entry_hash =
     sha256("seq|kind|subject|payload_hash|prev_hash|recorded_at"); fold each audit path
     (leaf = sha256(0x00 || entry_hash bytes), node = sha256(0x01 || left || right)) to the
     head's root_hash; verify the signature with public_key.pem.
  3. Fix the time with a trusted timestamp authority (TSA):
       curl -H 'Content-Type: application/timestamp-query' \\
            --data-binary @timestamp-request.tsq URL > head.tsr
     Keep head.tsr beside the request; the verifier then checks it answers this request, and
       openssl ts -verify -in head.tsr -queryfile timestamp-request.tsq -CAfile TSA-CA.pem
     checks the TSA's signature.
"""


def _write_json(folder: Path, name: str, data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (folder / name).write_text(text, encoding="utf-8")


def _listed(folder: Path, name: str, role: str) -> _File:
    data = (folder / name).read_bytes()
    return _File(name, hashlib.sha256(data).hexdigest(), len(data), role)


def _check_out(out: Path) -> None:
    if out.is_dir() and any(out.iterdir()):
        raise UserError(f"{out} already exists and is not empty; choose a new place")
    if out.exists() and not out.is_dir() and out.stat().st_size > 0:
        raise UserError(f"{out} already exists; choose a new place")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: no such folder")


def _zip(folder: Path, names: Iterable[str], dest: Path) -> None:
    with zipfile.ZipFile(dest, "w") as zf:
        for name in [verify.MANIFEST, *names]:
            suffix = Path(name).suffix.lower()
            method = zipfile.ZIP_DEFLATED if suffix in _COMPRESSED else zipfile.ZIP_STORED
            zf.write(folder / name, name, compress_type=method)


def _write_proof(
    session: Session,
    folder: Path,
    *,
    settings: Settings,
    head: LedgerHead,
    detections: Sequence[Detection],
    case: Case | None,
) -> tuple[list[_File], int]:
    """The entries, their audit paths, the signed head, the key and the timestamp request;
    their manifest lines and the number of entries."""
    entries = relevant_entries(session, detections=detections, case=case, upto=head.tree_size)
    tree = MerkleTree(bytes.fromhex(h) for h in entry_hashes(session, upto=head.tree_size))
    statement = statement_of(head)
    key = public_key_info(settings)
    _write_json(folder, verify.ENTRIES, [_entry_json(e) for e in entries])
    proofs = [
        {
            "seq": e.seq,
            "leaf_index": e.seq - 1,
            "audit_path": [h.hex() for h in tree.inclusion_proof(e.seq - 1)],
        }
        for e in entries
    ]
    _write_json(folder, verify.PROOFS, {"tree": "RFC 6962, sha256", "proofs": proofs})
    _write_json(
        folder,
        verify.HEAD,
        {"statement": statement, "signature": head.signature, "algorithm": "Ed25519"},
    )
    (folder / verify.PUBLIC_KEY).write_text(key.pem, encoding="ascii")
    (folder / verify.TIMESTAMP_REQUEST).write_bytes(timestamp_request(statement))
    files = [
        _listed(folder, verify.ENTRIES, "ledger_entries"),
        _listed(folder, verify.PROOFS, "inclusion_proofs"),
        _listed(folder, verify.HEAD, "signed_head"),
        _listed(folder, verify.PUBLIC_KEY, "public_key"),
        _listed(folder, verify.TIMESTAMP_REQUEST, "timestamp_request"),
    ]
    return files, len(entries)


def _write_evidence(
    session: Session, folder: Path, *, detections: Sequence[Detection], include_media: bool
) -> list[_File]:
    """The detections' summary and their evidence files; their manifest lines."""
    _write_json(folder, verify.DETECTIONS, [_detection_json(d) for d in detections])
    files = [_listed(folder, verify.DETECTIONS, "detections")]
    (folder / verify.ARTEFACT_DIR).mkdir()
    for artefact in _artefacts(session, detections):
        name = f"{verify.ARTEFACT_DIR}/{artefact.id}-{artefact.kind}"
        name += _suffix(artefact.path, artefact.content_type)
        what = f"artefact {artefact.id} ({artefact.kind})"
        sha, size = _copy(Path(artefact.path), folder / name, artefact.sha256, what)
        files.append(_File(name, sha, size, f"artefact:{artefact.kind}"))
    if include_media:
        for capture in sorted({d.capture for d in detections}, key=lambda c: c.id):
            name = f"{verify.ARTEFACT_DIR}/capture-{capture.id}-media"
            name += Path(capture.content_path).suffix.lower() or ".bin"
            what = f"capture {capture.id} media"
            sha, size = _copy(
                Path(capture.content_path), folder / name, capture.content_sha256, what
            )
            files.append(_File(name, sha, size, "captured_media"))
    return files


def _fill(
    session: Session,
    folder: Path,
    *,
    settings: Settings,
    head: LedgerHead,
    subject: dict[str, Any],
    detections: Sequence[Detection],
    case: Case | None,
    include_media: bool,
) -> tuple[list[_File], int]:
    """Write every file of the package into ``folder``, the manifest last; the manifest's
    file list and the number of entries."""
    files, entries = _write_proof(
        session, folder, settings=settings, head=head, detections=detections, case=case
    )
    files += _write_evidence(session, folder, detections=detections, include_media=include_media)
    generated_at = utcnow().isoformat()
    (folder / verify.README).write_text(
        README_TEXT.format(
            subject=f"{subject['kind']} {subject['id']}",
            generated_at=generated_at,
            tree_size=head.tree_size,
            key_id=head.key_id,
        ),
        encoding="utf-8",
    )
    files.append(_listed(folder, verify.README, "readme"))
    manifest = {
        "format": verify.FORMAT,
        "format_version": verify.FORMAT_VERSION,
        "generated_at": generated_at,
        "subject": subject,
        "detections": [d.id for d in detections],
        "head": {"tree_size": head.tree_size, "root_hash": head.root_hash, "key_id": head.key_id},
        "files": [dataclasses.asdict(f) for f in files],
    }
    _write_json(folder, verify.MANIFEST, manifest)
    return files, entries


def export_package(
    session: Session,
    settings: Settings,
    *,
    case_id: int | None = None,
    detection_id: int | None = None,
    out: Path,
    actor: Actor,
    include_media: bool = False,
) -> PackageResult:
    """Seal the ledger and write the evidence package of one case or one detection to ``out``
    (a folder, or a .zip when ``out`` ends in .zip) on behalf of ``actor``; see the module
    docstring.

    Refuses an unknown id (``NotFoundError``), an ``out`` that exists and is not empty, and an
    evidence file that is missing or altered on disk (``UserError``, nothing written). The
    captured media itself goes in only with ``include_media``: it can be large, and it is the
    infringing copy.
    """
    _check_out(out)
    subject, detections, case = _subject(session, case_id, detection_id)
    # Officers within their region, rights holders on their own works: checked before sealing.
    require_rights(actor, Action.EVIDENCE, detections)
    head = seal(session, settings)
    as_zip = out.suffix.lower() == ".zip"
    # Beside ``out`` (one filesystem, so the final rename is atomic), made with the umask's mode.
    work = out.parent / f".{out.name}.{secrets.token_hex(6)}.partial"
    work.mkdir()
    try:
        files, entries = _fill(
            session,
            work,
            settings=settings,
            head=head,
            subject=subject,
            detections=detections,
            case=case,
            include_media=include_media,
        )
        report = verify.verify_package(work, expected_key_id=head.key_id)
        if not report.ok:  # e.g. an entry altered in the database after an earlier seal
            raise LedgerMismatch(
                f"the package failed its own check ({report.problems[0]}); nothing was written"
            )
        if as_zip:
            staged = work.with_name(work.name + ".zip")
            try:
                _zip(work, [f.path for f in files], staged)
                os.replace(staged, out)
            finally:
                staged.unlink(missing_ok=True)
        else:
            if out.is_dir():
                out.rmdir()  # empty, checked above; rename cannot replace a folder on every OS
            work.rename(out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(work)
    label = f"{subject['kind']}:{subject['id']}"
    log.info("exported evidence package of %s to %s (%d entries)", label, out, entries)
    return PackageResult(
        path=out,
        subject=label,
        detections=[d.id for d in detections],
        entries=entries,
        artefacts=sum(f.path.startswith(f"{verify.ARTEFACT_DIR}/") for f in files),
        files=len(files) + 1,
        head_id=head.id,
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        key_id=head.key_id,
    )
