"""A content-addressed file store: every stored file is named by its sha256.

Reference media and captures land here, so the same bytes are kept once and an evidence record can
always find the exact bytes its hash names.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jianwang.errors import NotFoundError, UserError

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    """A file in the store."""

    path: Path
    sha256: str
    size: int


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks so huge files stay out of memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ContentStore:
    """Files under ``root/ab/cd/<sha256><suffix>``; writes are atomic renames."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str, suffix: str = "") -> Path:
        """Where content with this hash lives."""
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{suffix.lower()}"

    def put_file(self, source: Path) -> StoredFile:
        """Copy a file into the store (once per distinct content) and return where it lies."""
        if not source.is_file():
            raise NotFoundError(f"{source}: no such file")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        except PermissionError as exc:
            raise UserError(f"{source}: cannot read ({exc.strerror})") from exc
        return self.settle(Path(tmp_name), digest.hexdigest(), source.suffix)

    def put_bytes(self, data: bytes, suffix: str = "") -> StoredFile:
        """Store bytes (a page, a text) and return where they lie."""
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha256, suffix)
        if final.exists() and final.stat().st_size == len(data):
            return StoredFile(path=final, sha256=sha256, size=len(data))
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return self.settle(Path(tmp_name), sha256, suffix)

    def settle(self, tmp: Path, sha256: str, suffix: str = "") -> StoredFile:
        """Move a finished temporary file (on the store's filesystem) to its content address.

        The rename is atomic, so a reader never sees half a file under a final name; identical
        content already stored is kept and the temporary file dropped.
        """
        size = tmp.stat().st_size
        final = self.path_for(sha256, suffix)
        if final.exists() and final.stat().st_size == size:
            tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        return StoredFile(path=final, sha256=sha256, size=size)

    def copy_out(self, sha256: str, suffix: str, dest: Path) -> Path:
        """Copy stored content to ``dest`` (for evidence packages)."""
        src = self.path_for(sha256, suffix)
        if not src.exists():
            raise NotFoundError(f"content {sha256} is not in the store")
        shutil.copyfile(src, dest)
        return dest
