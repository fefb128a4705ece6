"""Published index versions: one writer publishes, many workers read, nobody restarts.

``open_indexes`` keeps the working index files in step with the database and may rewrite them, so
it is for the one process that registers references. Workers on other machines need the indexes
too, read from shared storage (NFS or similar), and must neither write them nor see a half-saved
state. A *published version* gives them that:

    index/
      CURRENT                          manifest of the version in use (JSON, replaced atomically)
      versions/000002/MANIFEST.json    the same manifest, kept with the version it describes
      versions/000002/<signal>.v<N>.idx            a single-file index, or
      versions/000002/<signal>.v<N>.idx/meta.json  a segmented index's meta and segment files

``publish`` snapshots the saved working files into a new numbered version directory, then
replaces ``CURRENT``. The snapshot hard-links the files (copies them where the file system cannot
link): the index writers never write a file in place (single files and ``meta.json`` are replaced
by ``os.replace``, segment files are immutable), so a link taken now keeps today's bytes whatever
the writer does next, and publishing costs no copy of a large index. A version directory is never
changed after its rename, so a worker that has a version's files open (memory-mapped) keeps
answering from them while newer versions appear; on NFS, where a file deleted on one machine
vanishes for every other (no POSIX unlink semantics across clients), this is what makes a
multi-machine deployment safe, as long as ``prune_versions`` keeps versions that workers may
still use.

Why a manifest file and not an ``index_versions`` table: the version must name files on the shared
storage, and only that storage can say they are complete. A row committed in the database could
point at files a crashed publisher never finished writing, or that another machine's storage does
not show yet; ``CURRENT`` is written, by rename, only after its version directory is complete,
on the same storage, so a reader that can read ``CURRENT`` can read what it names. Readers also
need no database connection to check for a new version: ``refresh`` is one ``stat`` of ``CURRENT``
(NFS clients cache attributes for a few seconds, so a new version shows up within ``actimeo``).
The manifest records each file's size and sha256, so a copy of the index can be checked
(``verify=True``) against what was published.

A crash before ``CURRENT`` is replaced leaves the previous version current; its half-made
directory (``versions/.tmp-*``) or unreferenced number is skipped by the next publish and removed
by ``prune_versions``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jianwang.catalog.indexes import IndexSet
from jianwang.errors import IndexMismatchError, JianwangError, NotFoundError
from jianwang.index.base import Index
from jianwang.signals.base import Fingerprint, SignalType
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
VERSIONS = "versions"
MANIFEST = "MANIFEST.json"
FORMAT = "jianwang-index-version"
FORMAT_VERSION = 1
_LOCK = ".publish.lock"
_SEGMENTED_META = "meta.json"
_VERSION_DIR = re.compile(r"^(\d{6,})$")
_TEMP_DIR = re.compile(r"^\.tmp-")
_SNAPSHOT_TRIES = 3
_CHUNK = 1 << 20


class ReadOnlyIndexError(JianwangError):
    """A change was asked of indexes opened read-only from a published version."""


@dataclass(frozen=True)
class PublishedFile:
    """One file of a published version, relative to its version directory."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class IndexVersion:
    """A published, complete and unchanging set of index files."""

    number: int
    directory: Path
    published_at: str
    files: tuple[PublishedFile, ...]

    def to_json(self) -> dict[str, Any]:
        """The manifest (the directory is implied by the number and not stored)."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.number,
            "published_at": self.published_at,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }

    @classmethod
    def from_json(cls, index_dir: Path, data: Any, source: Path) -> IndexVersion:
        """Read a manifest, refusing one of another format."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IndexMismatchError(f"{source}: not a Jianwang index version manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"{source}: manifest format v{data.get('format_version')}, "
                f"expected v{FORMAT_VERSION}"
            )
        try:
            number = int(data["version"])
            files = tuple(
                PublishedFile(str(f["path"]), int(f["size"]), str(f["sha256"]))
                for f in data["files"]
            )
            published_at = str(data["published_at"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexMismatchError(f"{source}: corrupt manifest ({exc})") from exc
        return cls(number, _version_dir(index_dir, number), published_at, files)


def _version_dir(index_dir: Path, number: int) -> Path:
    return index_dir / VERSIONS / f"{number:06d}"


def read_current(directory: Path) -> IndexVersion | None:
    """The version ``directory/CURRENT`` names, or ``None`` when nothing was published yet."""
    path = directory / CURRENT
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise IndexMismatchError(f"{path}: corrupt manifest ({exc})") from exc
    return IndexVersion.from_json(directory, data, path)


# -- publishing ----------------------------------------------------------------------------------


def publish(indexes: IndexSet) -> IndexVersion:
    """Save ``indexes`` and publish what is saved as the next version (``CURRENT`` last).

    Call it after the transaction that added or removed references has committed, in place of
    ``indexes.save()``. When the saved files are exactly those of the current version, nothing
    is published and the current version is returned. Publishers on any machine are serialised
    by a lock file in the index directory.
    """
    indexes.save()
    directory = indexes.directory
    with _publish_lock(directory):
        current = read_current(directory)
        sources = _saved_files(indexes)
        if current is not None and _unchanged(current, sources):
            log.info("indexes unchanged since version %d; nothing published", current.number)
            return current
        number = 1 + max([current.number if current else 0, *_version_numbers(directory)])
        version = _snapshot(indexes, number, current)
        _write_current(directory, version)
        log.info("published index version %d (%d files)", number, len(version.files))
        return version


@contextlib.contextmanager
def _publish_lock(directory: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``directory/.publish.lock`` (NFSv4 carries it across machines)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / _LOCK).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _saved_files(indexes: IndexSet) -> dict[str, Path]:
    """The saved working files of every registered signal, by path within a version.

    A segmented index's files are the ``meta.json`` and the segments it names; files of a save
    in progress (temporary names) or merged away (orphans) are left out.
    """
    out: dict[str, Path] = {}
    for name in indexes.registry.names():
        path = indexes.path_for(indexes.registry.get(name))
        if path.is_file():
            out[path.name] = path
        elif path.is_dir() and (path / _SEGMENTED_META).is_file():
            for member in _segmented_members(path / _SEGMENTED_META, path):
                out[f"{path.name}/{member}"] = path / member
    return out


def _segmented_members(meta_path: Path, directory: Path) -> list[str]:
    """``meta.json`` and the segment files in ``directory`` that the meta at ``meta_path`` names
    (a segment's columns depend on its layout, so they are found by listing)."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        ids = [int(entry["id"]) for entry in meta["segments"]]
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise IndexMismatchError(f"{meta_path}: cannot read the segment list ({exc})") from exc
    members = [_SEGMENTED_META]
    for seg_id in ids:
        prefix = f"seg-{seg_id:06d}."
        members += sorted(
            p.name for p in directory.iterdir() if p.name.startswith(prefix) and p.suffix == ".npy"
        )
    return members


def _unchanged(current: IndexVersion, sources: dict[str, Path]) -> bool:
    """Whether ``sources`` are the very files (same inodes) of ``current``."""
    if {f.path for f in current.files} != set(sources):
        return False
    try:
        return all(os.path.samefile(src, current.directory / rel) for rel, src in sources.items())
    except OSError:
        return False


def _version_numbers(directory: Path) -> list[int]:
    root = directory / VERSIONS
    if not root.is_dir():
        return []
    return [int(m.group(1)) for p in root.iterdir() if (m := _VERSION_DIR.match(p.name))]


def _snapshot(indexes: IndexSet, number: int, previous: IndexVersion | None) -> IndexVersion:
    """Link the saved files into a complete ``versions/<number>`` directory (renamed into place
    last). A segmented index saved again while it is linked is snapshotted afresh."""
    root = indexes.directory / VERSIONS
    root.mkdir(parents=True, exist_ok=True)
    digests = {}
    if previous is not None:
        digests = {f.path: f for f in previous.files}
    for attempt in range(1, _SNAPSHOT_TRIES + 1):
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{number:06d}-"))
        try:
            files = _link_all(indexes, tmp, previous, digests)
        except FileNotFoundError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if attempt == _SNAPSHOT_TRIES:
                raise IndexMismatchError(
                    f"{indexes.directory}: index files kept changing while publishing ({exc})"
                ) from exc
            log.info("an index was saved while being published (%s); trying again", exc)
            continue
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        version = IndexVersion(
            number, _version_dir(indexes.directory, number), _now(), tuple(files)
        )
        _write_json(tmp / MANIFEST, version.to_json())
        _fsync_dir(tmp)
        os.rename(tmp, version.directory)
        _fsync_dir(root)
        return version
    raise AssertionError("unreachable")  # pragma: no cover


def _link_all(
    indexes: IndexSet,
    target: Path,
    previous: IndexVersion | None,
    digests: dict[str, PublishedFile],
) -> list[PublishedFile]:
    """Hard-link (or copy) every saved file into ``target``; a segmented index's ``meta.json``
    is linked first and its segment list read from the link, so the two always agree."""
    files: list[PublishedFile] = []
    for name in indexes.registry.names():
        path = indexes.path_for(indexes.registry.get(name))
        if path.is_file():
            files.append(_link(path, target / path.name, path.name, previous, digests))
        elif path.is_dir() and (path / _SEGMENTED_META).is_file():
            (target / path.name).mkdir()
            meta_rel = f"{path.name}/{_SEGMENTED_META}"
            files.append(
                _link(path / _SEGMENTED_META, target / meta_rel, meta_rel, previous, digests)
            )
            for member in _segmented_members(target / meta_rel, path)[1:]:
                rel = f"{path.name}/{member}"
                files.append(_link(path / member, target / rel, rel, previous, digests))
            _fsync_dir(target / path.name)
    return files


def _link(
    source: Path,
    dest: Path,
    rel: str,
    previous: IndexVersion | None,
    digests: dict[str, PublishedFile],
) -> PublishedFile:
    """Link ``source`` to ``dest`` and describe it; the digest of a file the previous version
    already holds (same inode) is reused rather than read again."""
    try:
        os.link(source, dest)
    except OSError as exc:  # a file system without hard links: copy, and make the copy durable
        if isinstance(exc, FileNotFoundError):
            raise
        log.debug("cannot link %s (%s); copying it", source, exc)
        shutil.copyfile(source, dest)
        with dest.open("rb") as fh:
            os.fsync(fh.fileno())
    known = digests.get(rel)
    if previous is not None and known is not None:
        with contextlib.suppress(OSError):
            if os.path.samefile(dest, previous.directory / rel):
                return known
    return PublishedFile(rel, dest.stat().st_size, _sha256(dest))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_current(directory: Path, version: IndexVersion) -> None:
    """Make ``version`` the one readers open: the single step that publishes it."""
    _write_json(directory / CURRENT, version.to_json())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune_versions(directory: Path, *, keep: int = 3) -> list[int]:
    """Delete all but the newest ``keep`` versions (never the current one) and leftovers of
    crashed publishes; the numbers deleted. On NFS a worker still reading a deleted version
    fails, so keep more versions than workers can lag behind between two ``refresh`` calls."""
    if keep < 1:
        raise ValueError("keep at least one version")
    root = directory / VERSIONS
    if not root.is_dir():
        return []
    with _publish_lock(directory):
        current = read_current(directory)
        numbers = sorted(_version_numbers(directory), reverse=True)
        doomed = [n for n in numbers[keep:] if current is None or n != current.number]
        for number in doomed:
            shutil.rmtree(_version_dir(directory, number))
        for path in root.iterdir():
            if _TEMP_DIR.match(path.name):
                shutil.rmtree(path, ignore_errors=True)
    if doomed:
        log.info("pruned index versions %s", ", ".join(map(str, sorted(doomed))))
    return doomed


# -- reading -------------------------------------------------------------------------------------


@dataclass
class ReadOnlyIndexes(IndexSet):
    """The indexes of the published version, for workers: opened without writing anything.

    It is an ``IndexSet``, so every matching function takes it, but it refuses changes. ``refresh``
    moves it to a newer published version; indexes handed out before keep answering from the old
    version's files, which are never changed.
    """

    verify: bool = False
    version: IndexVersion | None = None
    _seen: tuple[int, int, int] | None = field(default=None, init=False, repr=False)

    def path_for(self, signal: SignalType) -> Path:
        """Where ``signal``'s index lies in the version in use."""
        name = super().path_for(signal).name
        if self.version is None:
            return self.directory / VERSIONS / "none" / name
        return self.version.directory / name

    def index(self, signal: SignalType) -> Index:
        """The index of ``signal`` in the version in use (empty if the version has none)."""
        found = self.indexes.get(signal.name)
        if found is None:
            found = _load(self.version, signal)
            self.indexes[signal.name] = found
        return found

    def add(self, signal: SignalType, asset_id: int, fingerprint: Fingerprint) -> None:
        """Refused: a published version never changes."""
        raise ReadOnlyIndexError("published indexes are read-only; register references elsewhere")

    def remove(self, signal: SignalType, asset_id: int) -> None:
        """Refused: a published version never changes."""
        raise ReadOnlyIndexError("published indexes are read-only; remove references elsewhere")

    def sync(self, session: Session) -> None:
        """Refused: readers follow the database through published versions, not by syncing."""
        raise ReadOnlyIndexError("published indexes are read-only; publish a new version")

    def save(self) -> None:
        """Nothing to save: a reader holds no changes."""

    def refresh(self) -> bool:
        """Open the published version if it is another one than in use; whether it did.

        Costs one ``stat`` when ``CURRENT`` has not changed. A version that cannot be opened
        is logged and the one in use kept, so a worker goes on matching; the next call tries
        again.
        """
        path = self.directory / CURRENT
        try:
            st = path.stat()
        except FileNotFoundError:
            return False
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        if seen == self._seen:
            return False
        try:
            version = read_current(self.directory)
            if version is None or (
                self.version is not None and version.number == self.version.number
            ):
                self._seen = seen
                return False
            loaded = _load_all(version, self.registry, verify=self.verify)
        except (IndexMismatchError, NotFoundError, OSError) as exc:
            log.warning("cannot open the published indexes (%s); keeping the ones in use", exc)
            return False
        self.indexes, self.version, self._seen = loaded, version, seen
        log.info("opened index version %d", version.number)
        return True


def open_published(
    directory: Path, registry: SignalRegistry, *, verify: bool = False
) -> ReadOnlyIndexes:
    """Open the version ``directory/CURRENT`` names, read-only (empty indexes when nothing was
    published yet: a worker can start before the first work is registered and ``refresh``)."""
    reader = ReadOnlyIndexes(directory=directory, registry=registry, verify=verify)
    if not reader.refresh() and reader.version is None:
        if (directory / CURRENT).exists():
            raise IndexMismatchError(
                f"{directory / CURRENT}: the published version cannot be opened"
            )
        log.warning("%s: no index version published yet; nothing will match", directory)
        reader.indexes = {name: registry.get(name).new_index() for name in registry.names()}
    return reader


def _load_all(version: IndexVersion, registry: SignalRegistry, *, verify: bool) -> dict[str, Index]:
    _check_files(version, verify=verify)
    return {name: _load(version, registry.get(name)) for name in registry.names()}


def _load(version: IndexVersion | None, signal: SignalType) -> Index:
    if version is None:
        return signal.new_index()
    name = f"{signal.name}.v{signal.version}.idx"
    path = version.directory / name
    if not path.exists():
        log.warning(
            "index version %d holds no %s index: nothing of that signal matches until a "
            "version with it is published",
            version.number,
            name,
        )
        return signal.new_index()
    return signal.load_index(path)


def _check_files(version: IndexVersion, *, verify: bool) -> None:
    """Every file of the manifest is there with its size (and, with ``verify``, its sha256)."""
    for item in version.files:
        path = version.directory / item.path
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"{path}: named by index version {version.number}, missing"
            ) from exc
        if size != item.size or (verify and _sha256(path) != item.sha256):
            raise IndexMismatchError(
                f"{path}: differs from what index version {version.number} published"
            )
