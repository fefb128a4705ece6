"""What every benchmark shares: its JSON file, its table of results against targets, its costs.

A benchmark's figures are only useful next to the goal they are measured against, so each table
row carries its target and a pass/fail verdict. Costs are measured the same way everywhere: CPU
seconds from ``time.process_time`` (per core, so a figure does not improve by adding cores) and
peak resident memory from ``resource.getrusage``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from rich import box
from rich.table import Table
from rich.text import Text

PASS = "pass"
FAIL = "FAIL"


@dataclass(frozen=True)
class Target:
    """A goal for one figure: at least ``bound`` (recall, throughput) or at most (error, cost)."""

    bound: float
    at_least: bool = True

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` reaches the goal; ``None`` when there is no value to judge."""
        if value is None:
            return None
        return value >= self.bound if self.at_least else value <= self.bound

    def describe(self, fmt: str = "{:g}") -> str:
        """``≥ 0.99`` or ``≤ 30``, the bound written with ``fmt``."""
        return f"{'≥' if self.at_least else '≤'} {fmt.format(self.bound)}"


def verdict(*outcomes: bool | None) -> bool | None:
    """Pass when every judged outcome passed, fail when any failed, ``None`` if none was judged."""
    judged = [o for o in outcomes if o is not None]
    if not judged:
        return None
    return all(judged)


@dataclass(frozen=True)
class Row:
    """One table row: its cells (one per column) and whether its figures met their targets."""

    cells: tuple[str, ...]
    passed: bool | None = None


def results_table(title: str, columns: Sequence[str], rows: Sequence[Row]) -> Table:
    """A titled table with a final pass/fail column (a dash where a row has no target)."""
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAVY,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, column in enumerate(columns):
        if i == 0:
            table.add_column(column, justify="left", no_wrap=True)
        else:
            table.add_column(column, justify="right")
    table.add_column("result", justify="center")
    for row in rows:
        if len(row.cells) != len(columns):
            raise ValueError(f"row has {len(row.cells)} cells for {len(columns)} columns")
        if row.passed is None:
            mark = Text("-")
        else:
            mark = Text(PASS, style="green") if row.passed else Text(FAIL, style="bold red")
        table.add_row(*row.cells, mark)
    return table


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON via a temporary file and ``os.replace``.

    A benchmark interrupted while writing leaves the previous results whole, never half a file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _maxrss_mb(who: int) -> float:
    # Linux reports KiB, macOS bytes.
    raw = resource.getrusage(who).ru_maxrss
    return raw / 2**20 if sys.platform == "darwin" else raw / 2**10


def peak_rss_mb(*, children: bool = True) -> float:
    """The largest resident set (MiB) of this process, or of any waited-for child if larger.

    Children count because a benchmark may run its queries in worker processes; the figure is
    the memory one process of the system needed at its peak, not a sum.
    """
    peak = _maxrss_mb(resource.RUSAGE_SELF)
    if children:
        peak = max(peak, _maxrss_mb(resource.RUSAGE_CHILDREN))
    return peak


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) of this process's terminated, waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Stopwatch:
    """CPU and wall seconds of a ``with`` block: ``cpu_s`` from ``time.process_time``
    (every thread of this process), ``wall_s`` from ``time.perf_counter``."""

    def __init__(self) -> None:
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self._cpu0 = 0.0
        self._wall0 = 0.0

    def __enter__(self) -> Self:
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cpu_s = time.process_time() - self._cpu0
        self.wall_s = time.perf_counter() - self._wall0


def rounded(value: float | None, digits: int = 4) -> float | int | None:
    """A figure for JSON: ints kept, floats rounded, non-finite ones ``None`` (JSON has no NaN)."""
    if value is None or isinstance(value, int):
        return value
    if not math.isfinite(value):
        return None
    return round(float(value), digits)


def percent(value: float | None) -> str:
    """A fraction as a whole percentage for a table cell, a dash when there is none."""
    return "-" if value is None else f"{100 * value:.0f}"


def disk_bytes(path: str | Path) -> int:
    """Bytes a file, or every file under a folder, takes (what an index costs on disk)."""
    root = Path(path)
    if root.is_file():
        return root.stat().st_size
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
