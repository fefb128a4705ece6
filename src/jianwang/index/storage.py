"""One index file: a JSON header plus NumPy arrays in an ``.npz``, written atomically, no pickle.

The header carries the file format, the index kind and the stamp; ``read_index_file`` checks all
three before handing back any array, so a stale or foreign file is refused with a message that
names it and says what differs.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from jianwang.errors import IndexMismatchError, NotFoundError
from jianwang.index.base import IndexStamp

FORMAT = "jianwang-index"
FORMAT_VERSION = 1
_HEADER = "__header__"


def write_index_file(
    path: str | Path, kind: str, stamp: IndexStamp, arrays: dict[str, np.ndarray]
) -> None:
    """Write ``arrays`` and a header to ``path`` via a temporary file and ``os.replace``.

    A crash mid-write leaves the previous index intact instead of a truncated file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind}
    header["stamp"] = stamp.to_json()
    payload = {_HEADER: np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
    payload.update(arrays)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, allow_pickle=False, **payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_index_file(path: str | Path, kind: str, stamp: IndexStamp) -> dict[str, np.ndarray]:
    """The arrays of an index file, after checking its format, kind and stamp."""
    source = Path(path)
    if not source.is_file():
        raise NotFoundError(f"{source}: no such index file")
    try:
        with np.load(source, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise IndexMismatchError(f"{source}: not a readable index file ({exc})") from exc
    header = _header(source, arrays.pop(_HEADER, None))
    if header.get("format") != FORMAT or header.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{source}: index file format {header.get('format')!r} "
            f"v{header.get('format_version')}, expected {FORMAT!r} v{FORMAT_VERSION}"
        )
    if header.get("kind") != kind:
        raise IndexMismatchError(f"{source}: holds a {header.get('kind')!r}, not a {kind!r}")
    found = IndexStamp.from_json(header["stamp"])
    diffs = found.differences(stamp)
    if diffs:
        raise IndexMismatchError(
            f"{source}: index was built for another signal setup ({'; '.join(diffs)})"
        )
    return arrays


def _header(source: Path, raw: np.ndarray | None) -> dict[str, Any]:
    if raw is None:
        raise IndexMismatchError(f"{source}: no Jianwang index header")
    try:
        header = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(f"{source}: corrupt index header") from exc
    if not isinstance(header, dict) or "stamp" not in header:
        raise IndexMismatchError(f"{source}: corrupt index header")
    return header
