"""Published index versions: workers read them without writing and follow new ones by refresh."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog import index_versions, service
from jianwang.catalog.index_versions import (
    ReadOnlyIndexError,
    ReadOnlyIndexes,
    open_published,
    prune_versions,
    publish,
    read_current,
)
from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.detections.identify import identify_file
from jianwang.media.limits import DecodeLimits
from jianwang.pipeline.steps import StepContext
from jianwang.signals.registry import default_registry

from media_factory import chapter, song

LIMITS = DecodeLimits(timeout_s=60)
REGISTRY = default_registry()


@pytest.fixture
def factory(settings: Settings) -> sessionmaker[Session]:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    return session_factory(engine)


def _register(
    factory: sessionmaker[Session], settings: Settings, title: str, ref: Path, kind: str
) -> tuple[int, IndexSet]:
    """What the CLI does: add a work in one transaction; the caller publishes after commit."""
    with transaction(factory) as session:
        indexes = open_indexes(session, settings.index_dir, REGISTRY)
        work = service.add_work(
            session,
            title=title,
            kind=kind,
            rights_holder="Studio",
            references=[ref],
            indexes=indexes,
            store=ContentStore(settings.content_dir),
            registry=REGISTRY,
            limits=LIMITS,
        )
        work_id = work.id
    return work_id, indexes


def _matches(factory: sessionmaker[Session], indexes: IndexSet, path: Path) -> set[int]:
    with transaction(factory) as session:
        views = identify_file(
            path, session=session, indexes=indexes, registry=REGISTRY, limits=LIMITS
        )
    return {v.work_id for v in views}


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and modification time."""
    out = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def read_only(settings: Settings) -> Iterator[list[Path]]:
    """Directories made read-only by a test (0o555), writable again afterwards for cleanup."""
    changed: list[Path] = []
    yield changed
    for path in changed:
        path.chmod(0o755)


def _make_read_only(root: Path, changed: list[Path]) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555)
            changed.append(path)


def _make_writable(changed: list[Path]) -> None:
    for path in changed:
        path.chmod(0o755)
    changed.clear()


def test_reader_keeps_its_version_and_refresh_opens_the_next(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    first, second = song(tmp_path / "a.m4a", seed=21), song(tmp_path / "b.m4a", seed=22)
    work1, indexes = _register(factory, settings, "First", first, "music")
    v1 = publish(indexes)
    assert v1.number == 1 and read_current(settings.index_dir) == v1

    reader = open_published(settings.index_dir, REGISTRY)
    assert reader.version == v1
    assert _matches(factory, reader, first) == {work1}
    audio = REGISTRY.get("audio.triplets")
    held = reader.index(audio)  # what a task in flight holds when the next version appears

    work2, indexes = _register(factory, settings, "Second", second, "music")
    v2 = publish(indexes)
    assert v2.number == 2
    # The writer merged and cleaned its working segments; version 1's files are untouched.
    index_versions._check_files(v1, verify=True)
    assert held.item_ids() == reader.index(audio).item_ids()
    assert _matches(factory, reader, second) == set()
    assert _matches(factory, reader, first) == {work1}

    assert reader.refresh() is True
    assert reader.version == v2
    assert _matches(factory, reader, second) == {work2}
    assert _matches(factory, reader, first) == {work1}
    assert len(held.item_ids()) == 1  # the old index object still answers from version 1
    assert reader.refresh() is False  # nothing new: one stat, no reopening


def test_a_reader_writes_nothing(
    factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
    read_only: list[Path],
) -> None:
    index_dir = settings.index_dir
    work1, indexes = _register(
        factory, settings, "One", chapter(tmp_path / "1.txt", 31), "literature"
    )
    publish(indexes)
    _make_read_only(index_dir, read_only)
    before = _tree(index_dir)
    reader = open_published(index_dir, REGISTRY)
    assert reader.refresh() is False
    assert _matches(factory, reader, tmp_path / "1.txt") == {work1}
    reader.save()  # harmless no-op
    with pytest.raises(ReadOnlyIndexError):
        reader.remove(REGISTRY.get("text.winnow"), 1)
    assert _tree(index_dir) == before  # the check that holds even for root, whom chmod ignores

    _make_writable(read_only)
    work2, indexes = _register(
        factory, settings, "Two", chapter(tmp_path / "2.txt", 32), "literature"
    )
    assert publish(indexes).number == 2
    _make_read_only(index_dir, read_only)
    before = _tree(index_dir)
    assert reader.refresh() is True
    assert _matches(factory, reader, tmp_path / "2.txt") == {work2}
    assert _tree(index_dir) == before


def test_a_crash_before_current_is_replaced_leaves_the_previous_version(
    factory: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index_dir = settings.index_dir
    work1, indexes = _register(
        factory, settings, "One", chapter(tmp_path / "1.txt", 41), "literature"
    )
    publish(indexes)
    reader = open_published(index_dir, REGISTRY)
    _, indexes = _register(factory, settings, "Two", chapter(tmp_path / "2.txt", 42), "literature")

    def power_cut(directory: Path, version: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(index_versions, "_write_current", power_cut)
    with pytest.raises(OSError, match="power cut"):
        publish(indexes)
    monkeypatch.undo()

    current = read_current(index_dir)
    assert current is not None and current.number == 1
    assert reader.refresh() is False and reader.version == current
    assert _matches(factory, reader, tmp_path / "2.txt") == set()
    assert _matches(factory, open_published(index_dir, REGISTRY), tmp_path / "1.txt") == {work1}

    # The next publish skips the orphaned number; pruning removes it and the old version.
    assert publish(indexes).number == 3
    assert reader.refresh() is True
    assert sorted(prune_versions(index_dir, keep=1)) == [1, 2]
    assert os.listdir(index_dir / index_versions.VERSIONS) == ["000003"]


def test_publishing_unchanged_indexes_and_reading_before_any_publish(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    reader = open_published(settings.index_dir, REGISTRY)
    assert reader.version is None and reader.refresh() is False
    assert all(len(reader.index(REGISTRY.get(name))) == 0 for name in REGISTRY.names())

    work, indexes = _register(
        factory, settings, "One", chapter(tmp_path / "1.txt", 51), "literature"
    )
    v1 = publish(indexes)
    assert publish(indexes) == v1  # same files: no new version
    assert reader.refresh() is True
    assert _matches(factory, reader, tmp_path / "1.txt") == {work}


def test_a_worker_context_reads_the_published_version_and_follows_new_ones(
    factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    """A pipeline worker's step context opens the published indexes read-only and, between
    steps, moves to a version published after it started: no restart, nothing written."""
    first, indexes = _register(
        factory, settings, "Song A", song(tmp_path / "a.m4a", seed=41, seconds=12), "music"
    )
    publish(indexes)
    ctx = StepContext.open(settings)
    try:
        opened = ctx.indexes()
        assert isinstance(opened, ReadOnlyIndexes)
        assert _matches(factory, opened, tmp_path / "a.m4a") == {first}
        second, indexes = _register(
            factory, settings, "Song B", song(tmp_path / "b.m4a", seed=42, seconds=12), "music"
        )
        assert _matches(factory, ctx.indexes(), tmp_path / "b.m4a") == set()  # not published yet
        publish(indexes)
        assert _matches(factory, ctx.indexes(), tmp_path / "b.m4a") == {second}
    finally:
        ctx.close()
