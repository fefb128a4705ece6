"""One generic test run over every registered signal type (after ThreatExchange's
SignalTypeAutoTest): determinism, serialisation, index round trips, and the examples each signal
type ships must match (or not) through the real matching engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import IndexMismatchError
from jianwang.index.base import IndexStamp
from jianwang.matching import match
from jianwang.signals import Fingerprint, SignalExample, SignalType, default_registry

NAMES = default_registry().names()
REF_ID = 7


@dataclass
class Prepared:
    signal: SignalType
    example: SignalExample
    reference: Fingerprint


@pytest.fixture(scope="module", params=NAMES)
def prepared(request: pytest.FixtureRequest) -> list[Prepared]:
    signal = default_registry().get(request.param)
    return [
        Prepared(signal, ex, signal.fingerprint_decoded(ex.reference)) for ex in signal.examples()
    ]


def _index(p: Prepared):  # type: ignore[no-untyped-def]
    index = p.signal.new_index()
    p.signal.add_to_index(index, REF_ID, p.reference)
    return index


def test_registry_has_the_three_builtins() -> None:
    assert set(NAMES) == {"audio.triplets", "video.dcthash", "text.winnow"}


def test_examples_are_non_trivial(prepared: list[Prepared]) -> None:
    for p in prepared:
        assert not p.reference.empty
        assert p.example.same and p.example.different


def test_fingerprint_is_deterministic(prepared: list[Prepared]) -> None:
    for p in prepared:
        again = p.signal.fingerprint_decoded(p.example.reference)
        assert np.array_equal(again.codes, p.reference.codes)
        assert np.array_equal(again.positions, p.reference.positions)
        assert again.length == p.reference.length


def test_bytes_round_trip(prepared: list[Prepared]) -> None:
    for p in prepared:
        back = Fingerprint.from_bytes(p.reference.to_bytes())
        assert (back.signal, back.version, back.kind, back.length) == (
            p.reference.signal,
            p.reference.version,
            p.reference.kind,
            p.reference.length,
        )
        assert np.array_equal(back.codes, p.reference.codes)
        assert back.codes.dtype == p.reference.codes.dtype
        assert np.array_equal(back.positions, p.reference.positions)
        assert set(back.extra) == set(p.reference.extra)
        for key, value in p.reference.extra.items():
            assert np.array_equal(back.extra[key], value)


def test_from_bytes_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="fingerprint"):
        Fingerprint.from_bytes(b"not a fingerprint at all")


def test_same_examples_match_the_reference(prepared: list[Prepared]) -> None:
    for p in prepared:
        index = _index(p)
        for case in p.example.same:
            fp = p.signal.fingerprint_decoded(case.data)
            found = match(p.signal, index, fp)
            assert found, f"{p.signal.name}/{p.example.name}/{case.label}: no match"
            assert found[0].item_id == REF_ID
            assert found[0].score > 0


def test_different_examples_do_not_match(prepared: list[Prepared]) -> None:
    for p in prepared:
        index = _index(p)
        for case in p.example.different:
            fp = p.signal.fingerprint_decoded(case.data)
            assert match(p.signal, index, fp) == [], f"{p.signal.name}/{case.label} matched"
            assert p.signal.compare(fp, p.reference) < 0.3, case.label


def test_compare_ranks_every_copy_above_everything_unrelated(prepared: list[Prepared]) -> None:
    for p in prepared:
        same = {
            c.label: p.signal.compare(p.signal.fingerprint_decoded(c.data), p.reference)
            for c in p.example.same
        }
        different = {
            c.label: p.signal.compare(p.signal.fingerprint_decoded(c.data), p.reference)
            for c in p.example.different
        }
        assert min(same.values()) > max(different.values()), (p.signal.name, same, different)
        assert min(same.values()) > 0.1, (p.signal.name, same)


def test_compare_of_reference_with_itself_is_one(prepared: list[Prepared]) -> None:
    for p in prepared:
        assert p.signal.compare(p.reference, p.reference) == pytest.approx(1.0)


def test_index_save_load_round_trip(prepared: list[Prepared], tmp_path: Path) -> None:
    p = prepared[0]
    index = _index(p)
    path = tmp_path / "ref.idx"
    index.save(path)
    loaded = p.signal.load_index(path)
    assert len(loaded) == len(index)
    assert loaded.item_ids() == {REF_ID}
    case = p.example.same[0]
    found = match(p.signal, loaded, p.signal.fingerprint_decoded(case.data))
    assert found and found[0].item_id == REF_ID


def test_loading_with_another_version_is_refused(prepared: list[Prepared], tmp_path: Path) -> None:
    p = prepared[0]
    path = tmp_path / "ref.idx"
    _index(p).save(path)
    other = IndexStamp(p.signal.name, p.signal.version + 1, p.signal.params())
    with pytest.raises(IndexMismatchError, match=r"ref\.idx.*version"):
        p.signal.index_class().load(path, other)


def test_fingerprint_of_another_signal_is_refused(prepared: list[Prepared]) -> None:
    p = prepared[0]
    other = next(s for s in default_registry().names() if s != p.signal.name)
    foreign = default_registry().get(other).empty_fingerprint()
    with pytest.raises(ValueError, match="fingerprint of"):
        p.signal.add_to_index(p.signal.new_index(), 1, foreign)


def test_registry_refuses_duplicates_and_unknown_names() -> None:
    from jianwang.errors import DuplicateError, NotFoundError
    from jianwang.signals import MediaKind
    from jianwang.signals.text import TextWinnow

    registry = default_registry()
    with pytest.raises(DuplicateError, match=r"text\.winnow"):
        registry.register(TextWinnow())
    with pytest.raises(NotFoundError, match=r"nope.*audio\.triplets"):
        registry.get("nope")
    assert [s.name for s in registry.for_kind(MediaKind.TEXT)] == ["text.winnow"]
    assert default_registry() is not registry  # a fresh registry each time, no shared state
