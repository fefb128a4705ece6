"""Running benchmark shards here or in worker processes, with progress as each one finishes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

from jianwang.index.base import Index

Shard = TypeVar("Shard")
Outcome = TypeVar("Outcome")


def run_shards(
    run: Callable[..., list[Outcome]],
    shards: Sequence[Shard],
    index: Index,
    *,
    workers: int,
    total: int,
    progress: Callable[[str, int, int], None] | None,
) -> list[Outcome]:
    """Every outcome of ``run(shard)`` over ``shards``, reporting ``("querying", done, total)``.

    With one worker (or one shard) the shards run here against the open ``index``
    (``run(shard, index)``); otherwise each goes to a worker process, which loads the saved
    index itself (``run(shard)``). ``run`` must be a module-level function.
    """
    outcomes: list[Outcome] = []

    def advance(batch: list[Outcome]) -> None:
        outcomes.extend(batch)
        if progress is not None:
            progress("querying", len(outcomes), total)

    advance([])
    if workers <= 1 or len(shards) <= 1:
        for shard in shards:
            advance(run(shard, index))
        return outcomes
    # Spawned, not forked: the parent may run threads (a progress bar) that a fork would copy
    # mid-state. Each worker loads the saved index once per shard.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for future in as_completed([pool.submit(run, shard) for shard in shards]):
            advance(future.result())
    return outcomes
