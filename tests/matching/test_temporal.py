"""Temporal alignment on synthetic candidate pairs: lines are found, noise is not."""

from __future__ import annotations

import numpy as np
import pytest

from jianwang.matching.temporal import align, speed_grid
from jianwang.signals.base import TemporalPolicy

POLICY = TemporalPolicy(
    min_aligned=10, alpha=1e-6, speed_min=0.85, speed_max=1.15, speed_step=0.01, offset_bin=0.1
)


def _line(n: int, speed: float, offset: float, q0: float, q1: float, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    q = np.sort(rng.uniform(q0, q1, n))
    r = speed * q + offset + rng.normal(0, 0.02, n)
    return q, r


def _noise(n: int, q_len: float, r_len: float, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return rng.uniform(0, q_len, n), rng.uniform(0, r_len, n)


@pytest.mark.parametrize("speed", [0.9, 0.96, 1.0, 1.05, 1.1])
def test_a_line_among_noise_is_found_with_its_speed_and_spans(speed: float) -> None:
    q1, r1 = _line(40, speed, 123.4, 2.0, 12.0)
    qn, rn = _noise(400, 15.0, 600.0, seed=1)
    q, r = np.r_[q1, qn], np.r_[r1, rn]
    items = np.r_[np.full(40, 3), np.full(400, 3)]
    (m,) = align(q, r, items, POLICY, signal="test")
    assert m.item_id == 3 and m.signal == "test"
    assert m.speed == pytest.approx(speed, abs=0.005)
    assert m.score >= 38
    assert m.query_start == pytest.approx(q1.min(), abs=0.3)
    assert m.query_end == pytest.approx(q1.max(), abs=1.0)
    assert m.ref_start == pytest.approx(r1.min(), abs=0.3)
    assert m.ref_end == pytest.approx(r1.max(), abs=1.0)


def test_pure_noise_never_aligns() -> None:
    for seed in range(50):
        q, r = _noise(2000, 10.0, 3600.0, seed)
        items = np.random.default_rng(seed).integers(0, 5, q.size)
        assert align(q, r, items, POLICY, signal="t") == []


def test_dense_noise_on_a_short_reference_does_not_align() -> None:
    # Many chance pairs packed into a short reference: the Poisson rule raises the bar.
    q, r = _noise(3000, 10.0, 20.0, seed=4)
    assert align(q, r, np.zeros(q.size, int), POLICY, signal="t") == []


def test_too_few_aligned_pairs_are_not_a_match() -> None:
    q, r = _line(8, 1.0, 50.0, 0.0, 10.0)
    assert align(q, r, np.zeros(8, int), POLICY, signal="t") == []


def test_two_segments_of_one_item_and_two_items() -> None:
    qa, ra = _line(30, 1.0, 100.0, 0.0, 10.0, seed=1)
    qb, rb = _line(30, 1.0, 500.0, 20.0, 30.0, seed=2)
    qc, rc = _line(25, 1.05, 7.0, 5.0, 25.0, seed=3)
    q, r = np.r_[qa, qb, qc], np.r_[ra, rb, rc]
    items = np.r_[np.full(60, 1), np.full(25, 2)]
    found = align(q, r, items, POLICY, signal="t")
    assert sorted((m.item_id, round(m.ref_start - m.speed * m.query_start)) for m in found) == [
        (1, 100),
        (1, 500),
        (2, 7),
    ]
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_duplicate_pairs_count_once() -> None:
    q, r = _line(6, 1.0, 10.0, 0.0, 5.0)
    q, r = np.tile(q, 5), np.tile(r, 5)
    assert align(q, r, np.zeros(q.size, int), POLICY, signal="t") == []


def test_empty_input_and_grid() -> None:
    assert align(np.zeros(0), np.zeros(0), np.zeros(0, int), POLICY, signal="t") == []
    grid = speed_grid(POLICY)
    assert grid[0] == pytest.approx(0.85) and grid[-1] == pytest.approx(1.15) and grid.size == 31


def test_densest_window_bounds_every_cell_of_every_speed() -> None:
    # The pruning bound must never be below what a cell really holds, or matches would be lost.
    from jianwang.matching.temporal import _densest_window

    rng = np.random.default_rng(11)
    for trial in range(20):
        q1, r1 = _line(30, float(rng.uniform(0.88, 1.12)), 50.0, 0.0, 10.0, seed=trial)
        qn, rn = _noise(300, 10.0, 80.0, seed=100 + trial)
        q, r = np.r_[q1, qn], np.r_[r1, rn]
        order = np.argsort(q)
        q, r = q[order], r[order]
        bound = _densest_window(q, r, np.array([0]), np.array([q.size]), POLICY)[0]
        w = POLICY.offset_bin
        for speed in speed_grid(POLICY):
            cells = np.floor((r - speed * q) / w).astype(int)
            counts = np.bincount(cells - cells.min())
            smoothed = np.convolve(counts, np.ones(3, dtype=int))
            assert smoothed.max() <= bound
