"""Offline verification of an evidence package: everything a court or a platform needs to
check, without Jianwang's database and without trusting the exporter.

Only the standard library, ``cryptography``, ``asn1crypto`` and the pure ledger byte forms
(``hashing``, ``merkle``) are used, so the check runs anywhere the package is copied. What holds
when every check passes: each entry is the one the ledger recorded (its hashes recompute and its
audit path reaches the signed root), the head was signed by the key whose id the authority
publishes, the timestamp request covers that head, and each evidence file is a file whose sha256
the signed entries name. The manifest only says which files belong; it proves nothing on its
own, which is why a file swapped together with its manifest line is still caught.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from asn1crypto import tsp
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jianwang.evidence.hashing import (
    GENESIS_HASH,
    entry_digest,
    head_statement,
    key_id,
    payload_digest,
    statement_bytes,
)
from jianwang.evidence.merkle import verify_inclusion

FORMAT = "jianwang-evidence-package"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
ENTRIES = "entries.json"
PROOFS = "proofs.json"
HEAD = "head.json"
PUBLIC_KEY = "public_key.pem"
TIMESTAMP_REQUEST = "timestamp-request.tsq"
TIMESTAMP_RESPONSE = "head.tsr"
"""Where the package's README tells the reader to save the TSA's answer; checked when present."""
DETECTIONS = "detections.json"
README = "README.txt"
ARTEFACT_DIR = "artefacts"

_CHUNK = 1 << 20
_HEX64 = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Problem:
    """One check that failed: which (``check``), on what (a file, ``entry 5``, ``head``), why."""

    check: str
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class VerifyReport:
    """What the verification found: the checks that held and the problems, each named."""

    package: str
    passed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    subject: str | None = None
    entries: int = 0
    tree_size: int | None = None
    root_hash: str | None = None
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the package holds: no problem at all."""
        return not self.problems

    def fail(self, check: str, where: str, reason: str) -> None:
        self.problems.append(Problem(check, where, reason))


class _Files:
    """The package's files by relative POSIX path, read from a folder or from a .zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self.duplicates: list[str] = []
        if path.is_dir():
            self.names = sorted(
                p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()
            )
        else:
            self._zip = zipfile.ZipFile(path)
            names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
            self.duplicates = sorted({n for n in names if names.count(n) > 1})
            self.names = sorted(set(names))
        self._known = set(self.names)
        self._digests: dict[str, tuple[str, int]] = {}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __contains__(self, name: str) -> bool:
        return name in self._known

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if self._zip is not None:
            with self._zip.open(name) as fh:
                yield fh
        else:
            with (self.path / name).open("rb") as fh:
                yield fh

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def digest(self, name: str) -> tuple[str, int]:
        """The sha256 (hex) and size of a file, computed once."""
        if name not in self._digests:
            sha, size = hashlib.sha256(), 0
            with self.open(name) as fh:
                while chunk := fh.read(_CHUNK):
                    sha.update(chunk)
                    size += len(chunk)
            self._digests[name] = (sha.hexdigest(), size)
        return self._digests[name]


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def _load_json(files: _Files, name: str, report: VerifyReport, check: str) -> Any:
    if name not in files:
        report.fail(check, name, "missing from the package")
        return None
    try:
        return json.loads(files.read(name))
    except (ValueError, UnicodeDecodeError) as exc:
        report.fail(check, name, f"is not valid JSON ({exc})")
        return None


def _safe_path(name: str) -> bool:
    """A relative POSIX path inside the package (never ``..``, never absolute)."""
    if not name or "\\" in name:
        return False
    pure = PurePosixPath(name)
    return not pure.is_absolute() and ".." not in pure.parts and name == pure.as_posix()


def _check_manifest(files: _Files, report: VerifyReport) -> None:
    manifest = _load_json(files, MANIFEST, report, "manifest")
    for twice in files.duplicates:
        report.fail("files", twice, "appears more than once in the archive")
    if manifest is None:
        return
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        report.fail("manifest", MANIFEST, f"is not a {FORMAT} manifest")
        return
    if manifest.get("format_version") != FORMAT_VERSION:
        report.fail(
            "manifest", MANIFEST, f"format version {manifest.get('format_version')!r} unknown"
        )
    subject = manifest.get("subject")
    if isinstance(subject, dict):
        report.subject = f"{subject.get('kind')}:{subject.get('id')}"
    listed: set[str] = set()
    entries = manifest.get("files")
    if not isinstance(entries, list):
        report.fail("manifest", MANIFEST, "has no list of files")
        entries = []
    bad_before = len(report.problems)
    for item in entries:
        name = item.get("path") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(name, str) or not _safe_path(name):
            report.fail("manifest", MANIFEST, f"lists an invalid path {name!r}")
            continue
        if name == MANIFEST:
            report.fail("manifest", MANIFEST, "lists itself")
            continue
        if name in listed:
            report.fail("manifest", name, "is listed twice")
        listed.add(name)
        if name not in files:
            report.fail("files", name, "is listed in the manifest but missing")
            continue
        sha, size = files.digest(name)
        if sha != item.get("sha256"):
            report.fail("files", name, f"sha256 {sha} differs from the manifest's")
        if size != item.get("size"):
            report.fail(
                "files", name, f"size {size} differs from the manifest's {item.get('size')}"
            )
    for name in files.names:
        if name not in listed and name not in (MANIFEST, TIMESTAMP_RESPONSE):
            report.fail("files", name, "is not listed in the manifest")
    if len(report.problems) == bad_before:
        report.passed.append(
            f"files: all {len(listed)} listed files present, sha256 and size match"
        )


_ENTRY_FIELDS: dict[str, type] = {
    "seq": int,
    "kind": str,
    "subject": str,
    "payload": dict,
    "payload_hash": str,
    "prev_hash": str,
    "entry_hash": str,
    "recorded_at": str,
}


def _check_entries(files: _Files, report: VerifyReport) -> list[dict[str, Any]]:
    """The entries whose own hashes recompute, after naming every one that does not."""
    data = _load_json(files, ENTRIES, report, "entries")
    if data is None:
        return []
    if not isinstance(data, list):
        report.fail("entries", ENTRIES, "is not a list of ledger entries")
        return []
    good: list[dict[str, Any]] = []
    seen: set[int] = set()
    bad_before = len(report.problems)
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or any(
            not isinstance(entry.get(k), t) or isinstance(entry.get(k), bool)
            for k, t in _ENTRY_FIELDS.items()
        ):
            report.fail("entries", f"entry #{i + 1} of {ENTRIES}", "lacks a ledger entry's fields")
            continue
        where = f"entry {entry['seq']}"
        if entry["seq"] in seen:
            report.fail("entries", where, "appears twice")
            continue
        seen.add(entry["seq"])
        intact = True
        if payload_digest(entry["payload"]) != entry["payload_hash"]:
            report.fail("entries", where, "payload does not match its payload hash")
            intact = False
        digest = entry_digest(
            seq=entry["seq"],
            kind=entry["kind"],
            subject=entry["subject"],
            payload_hash=entry["payload_hash"],
            prev_hash=entry["prev_hash"],
            recorded_at=entry["recorded_at"],
        )
        if digest != entry["entry_hash"]:
            report.fail("entries", where, "entry hash does not match its fields")
            intact = False
        if intact:
            good.append(entry)
    by_seq = {e["seq"]: e for e in data if isinstance(e, dict) and isinstance(e.get("seq"), int)}
    if 1 in by_seq and by_seq[1].get("prev_hash") != GENESIS_HASH:
        report.fail("chain", "entry 1", "does not start the chain")
    for seq, entry in sorted(by_seq.items()):
        before = by_seq.get(seq - 1)
        if before is not None and entry.get("prev_hash") != before.get("entry_hash"):
            report.fail("chain", f"entry {seq}", f"does not link to entry {seq - 1}")
    report.entries = len(by_seq)
    if len(report.problems) == bad_before:
        report.passed.append(
            f"entries: {len(good)} entries' payload and entry hashes recompute, "
            "adjacent entries link"
        )
    return good


def _load_public_key(files: _Files, report: VerifyReport) -> Ed25519PublicKey | None:
    if PUBLIC_KEY not in files:
        report.fail("key", PUBLIC_KEY, "missing from the package")
        return None
    try:
        key = serialization.load_pem_public_key(files.read(PUBLIC_KEY))
    except (ValueError, UnsupportedAlgorithm) as exc:
        report.fail("key", PUBLIC_KEY, f"cannot be read as a PEM public key ({exc})")
        return None
    if not isinstance(key, Ed25519PublicKey):
        report.fail("key", PUBLIC_KEY, "is not an Ed25519 key")
        return None
    return key


def _check_head(
    files: _Files, report: VerifyReport, expected_key_id: str | None
) -> dict[str, Any] | None:
    """The head statement when it is well formed (whether or not its signature holds)."""
    head = _load_json(files, HEAD, report, "head")
    key = _load_public_key(files, report)
    actual: str | None = None
    if key is not None:
        actual = key_id(
            key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        if expected_key_id is not None and actual != expected_key_id.strip().lower():
            report.fail(
                "key",
                PUBLIC_KEY,
                f"is key {actual}, not the expected authority key {expected_key_id}",
            )
    if head is None:
        return None
    stated = head.get("statement") if isinstance(head, dict) else None
    if not isinstance(stated, dict) or not {"tree_size", "root_hash", "signed_at", "key_id"} <= set(
        stated
    ):
        report.fail("head", "head", "has no statement of tree size, root, time and key")
        return None
    statement = head_statement(
        tree_size=stated["tree_size"],
        root_hash=stated["root_hash"],
        signed_at=str(stated["signed_at"]),
        key_id=str(stated["key_id"]),
    )
    size = statement["tree_size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        report.fail("head", "head", "states no valid tree size")
        return None
    if not _is_hex64(statement["root_hash"]):
        report.fail("head", "head", "states no valid root hash")
        return None
    report.tree_size, report.root_hash = statement["tree_size"], statement["root_hash"]
    report.key_id = statement["key_id"]
    if key is None or actual is None:
        return statement
    if statement["key_id"] != actual:
        report.fail("head", "head", f"names key {statement['key_id']}, not {PUBLIC_KEY}'s {actual}")
        return statement
    signature = head.get("signature") if isinstance(head, dict) else None
    try:
        key.verify(bytes.fromhex(str(signature)), statement_bytes(statement))
    except (InvalidSignature, ValueError):
        report.fail("head", "head", f"signature does not verify with {PUBLIC_KEY}")
        return statement
    report.passed.append(
        f"head: signature over {statement['tree_size']} entries verifies with key {actual}"
    )
    return statement


def _check_proofs(
    files: _Files, report: VerifyReport, entries: list[dict[str, Any]], head: dict[str, Any]
) -> list[dict[str, Any]]:
    """The entries proven to be in the signed tree, after naming every one that is not."""
    data = _load_json(files, PROOFS, report, "inclusion")
    proofs = data.get("proofs") if isinstance(data, dict) else None
    if not isinstance(proofs, list):
        if data is not None:
            report.fail("inclusion", PROOFS, "has no list of proofs")
        return []
    proven: list[dict[str, Any]] = []
    by_seq = {p.get("seq"): p for p in proofs if isinstance(p, dict)}
    root = bytes.fromhex(head["root_hash"])
    bad_before = len(report.problems)
    for entry in entries:
        where = f"entry {entry['seq']}"
        proof = by_seq.get(entry["seq"])
        path = proof.get("audit_path") if proof is not None else None
        if not isinstance(path, list) or not all(_is_hex64(h) for h in path):
            report.fail("inclusion", where, f"has no audit path in {PROOFS}")
            continue
        if not _is_hex64(entry["entry_hash"]) or not verify_inclusion(
            bytes.fromhex(entry["entry_hash"]),
            entry["seq"] - 1,
            head["tree_size"],
            [bytes.fromhex(h) for h in path],
            root,
        ):
            report.fail("inclusion", where, "audit path does not lead to the signed root")
            continue
        proven.append(entry)
    if len(report.problems) == bad_before:
        report.passed.append(
            f"inclusion: {len(entries)} entries proven in the tree of {head['tree_size']}"
        )
    return proven


def _check_timestamp(files: _Files, report: VerifyReport, head: dict[str, Any]) -> None:
    digest = hashlib.sha256(statement_bytes(head)).digest()
    if TIMESTAMP_REQUEST not in files:
        report.fail("timestamp", TIMESTAMP_REQUEST, "missing from the package")
        return
    try:
        request = tsp.TimeStampReq.load(files.read(TIMESTAMP_REQUEST))
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
        nonce = request["nonce"].native
    except (ValueError, TypeError, KeyError) as exc:
        report.fail("timestamp", TIMESTAMP_REQUEST, f"is not an RFC 3161 request ({exc})")
        return
    if algorithm != "sha256" or hashed != digest:
        report.fail("timestamp", TIMESTAMP_REQUEST, "does not cover the signed head")
        return
    report.passed.append("timestamp: the RFC 3161 request covers the signed head")
    if TIMESTAMP_RESPONSE in files:
        _check_timestamp_response(files, report, digest, nonce)


def _check_timestamp_response(
    files: _Files, report: VerifyReport, digest: bytes, nonce: int | None
) -> None:
    """The TSA's answer, where one was saved beside the request: granted, over the head, to
    this request. The TSA's own signature needs its certificate: ``openssl ts -verify``."""
    try:
        response = tsp.TimeStampResp.load(files.read(TIMESTAMP_RESPONSE))
        status = response["status"]["status"].native
        token = response["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        hashed = info["message_imprint"]["hashed_message"].native
        answered = info["nonce"].native
        when = info["gen_time"].native
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        report.fail("timestamp", TIMESTAMP_RESPONSE, f"is not an RFC 3161 response ({exc})")
        return
    if status not in ("granted", "granted_with_mods"):
        report.fail("timestamp", TIMESTAMP_RESPONSE, f"the TSA answered {status}")
    elif hashed != digest:
        report.fail("timestamp", TIMESTAMP_RESPONSE, "does not cover the signed head")
    elif answered != nonce:
        report.fail("timestamp", TIMESTAMP_RESPONSE, "answers another request (nonce differs)")
    else:
        report.passed.append(
            f"timestamp: the TSA stamped the head at {when} (check its signature with openssl)"
        )


def _recorded_hashes(entries: list[dict[str, Any]]) -> set[str]:
    """Every file hash the verified entries name: a capture's page, media and artefacts, and
    each artefact entry's file."""
    known: set[str] = set()
    for entry in entries:
        payload = entry["payload"]
        named: list[object]
        if entry["kind"] == "capture":
            artefacts = payload.get("artefacts")
            if isinstance(artefacts, dict):
                known.update(v for v in artefacts.values() if isinstance(v, str))
            named = [payload.get("page_sha256"), payload.get("content_sha256")]
        elif entry["kind"] == "artefact":
            named = [payload.get("sha256")]
        else:
            continue
        known.update(v for v in named if isinstance(v, str))
    return known


def _check_artefacts(files: _Files, report: VerifyReport, entries: list[dict[str, Any]]) -> None:
    known = _recorded_hashes(entries)
    names = [n for n in files.names if n.startswith(f"{ARTEFACT_DIR}/")]
    bad_before = len(report.problems)
    for name in names:
        sha, _size = files.digest(name)
        if sha not in known:
            report.fail("artefacts", name, f"sha256 {sha} is not recorded in any signed entry")
    if len(report.problems) == bad_before:
        report.passed.append(f"artefacts: all {len(names)} files are recorded in the ledger")


_SUMMARY_FIELDS = (
    ("capture_id", "capture_id"),
    ("work_id", "work_id"),
    ("signal", "signal"),
    ("score", "score"),
    ("capture_span", "query_span"),
    ("reference_span", "ref_span"),
    ("speed", "speed"),
)


def _check_detections(files: _Files, report: VerifyReport, entries: list[dict[str, Any]]) -> None:
    """``detections.json`` is a reader's summary; each figure it shows must be the one the
    detection's signed entry states."""
    data = _load_json(files, DETECTIONS, report, "detections")
    if not isinstance(data, list):
        if data is not None:
            report.fail("detections", DETECTIONS, "is not a list of detections")
        return
    stated = {e["subject"]: e["payload"] for e in entries if e["kind"] == "detection"}
    bad_before = len(report.problems)
    for item in data:
        ident = item.get("id") if isinstance(item, dict) else None
        where = f"{DETECTIONS}: detection {ident}"
        payload = stated.get(f"detection:{ident}")
        if payload is None:
            report.fail("detections", where, "has no signed detection entry")
            continue
        if not isinstance(item, dict):
            continue
        for shown, recorded in _SUMMARY_FIELDS:
            if recorded in payload and item.get(shown) != payload[recorded]:
                report.fail("detections", where, f"{shown} differs from its signed entry")
    if len(report.problems) == bad_before:
        report.passed.append(f"detections: {len(data)} summaries agree with their entries")


def _check_subject(report: VerifyReport, entries: list[dict[str, Any]]) -> None:
    """A package that proves nothing about its subject must not pass for one that does: the
    subject the manifest names needs at least one proven entry of its own."""
    if not entries:
        report.fail("entries", ENTRIES, "holds no proven ledger entry")
    elif report.subject is not None and report.subject not in {e["subject"] for e in entries}:
        report.fail("entries", ENTRIES, f"holds no proven entry about {report.subject}")


def verify_package(path: Path, *, expected_key_id: str | None = None) -> VerifyReport:
    """Check an evidence package (a folder or a .zip) offline; see the module docstring.

    ``expected_key_id``: the key id the authority publishes; without it the package's own key
    is only checked to be the one its head names.
    """
    report = VerifyReport(package=str(path))
    if not path.exists():
        report.fail("files", str(path), "no such package")
        return report
    try:
        files = _Files(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.fail("files", str(path), f"cannot be read as a package ({exc})")
        return report
    try:
        _check_manifest(files, report)
        entries = _check_entries(files, report)
        head = _check_head(files, report, expected_key_id)
        if head is not None:
            entries = _check_proofs(files, report, entries, head)
            _check_timestamp(files, report, head)
        _check_subject(report, entries)
        _check_artefacts(files, report, entries)
        _check_detections(files, report, entries)
    finally:
        files.close()
    return report
