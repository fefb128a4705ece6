"""The harness: split the corpus's texts, index their chapters, run every query and the peer.

Costs are CPU seconds (``time.process_time``) per query: extraction (for pages), folding,
fingerprinting and matching, against the bytes served; the peer is timed the same way over the
same extracted text.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jianwang.bench.corpus import Track, read_manifest, split_corpus
from jianwang.bench.report import disk_bytes, peak_rss_mb
from jianwang.bench.text import peer as peer_mod
from jianwang.bench.text.plan import Chapter, TextQuery, cut_chapters, plan_queries
from jianwang.bench.text.result import QueryOutcome, TextBenchResult
from jianwang.errors import MediaError, UserError
from jianwang.index.base import Index
from jianwang.matching.engine import match
from jianwang.media.text import fold_for_matching, html_to_text, read_text_file
from jianwang.signals.text import TextWinnow

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
HOLDOUT = 0.25
QUICK_TEXTS = 3


@dataclass(frozen=True)
class _Text:
    file: str
    lang: str
    text: str


def language(text: str) -> str:
    """``zh`` when at least a fifth of the letters are CJK ideographs, else ``en``."""
    letters = [c for c in text[:20000] if c.isalpha()]
    cjk = sum(1 for c in letters if "\u3400" <= c <= "\u9fff")
    return "zh" if letters and cjk / len(letters) >= 0.2 else "en"


def _read(tracks: list[Track]) -> list[_Text]:
    out: list[_Text] = []
    for t in tracks:
        try:
            text = read_text_file(t.path)
        except MediaError as exc:
            log.warning("skipping %s: %s", t.file, exc)
            continue
        out.append(_Text(t.file, language(text), text))
    return out


def _split(texts: list[_Text], seed: int, quick: bool) -> tuple[list[_Text], list[_Text]]:
    """Per language, a quarter of the texts (at least one) held back as negatives."""
    refs: list[_Text] = []
    held: list[_Text] = []
    for lang in ("en", "zh"):
        mine = sorted((t for t in texts if t.lang == lang), key=lambda t: t.file)
        if not mine:
            continue
        order = np.random.default_rng([seed, 3, len(lang)]).permutation(len(mine))
        n_held = min(max(1, round(HOLDOUT * len(mine))), len(mine) - 1) if len(mine) > 1 else 0
        picked = [mine[int(i)] for i in order]
        these, back = picked[n_held:], picked[:n_held]
        if quick:
            these, back = these[:QUICK_TEXTS], back[:1]
        refs += these
        held += back
    return refs, held


def run_text_bench(
    corpus: Path, *, seed: int = 2026, quick: bool = False, progress: ProgressFn | None = None
) -> TextBenchResult:
    """Run the literature benchmark on ``corpus`` (``MANIFEST.csv`` rows of kind ``text*``)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    tracks, _ = read_manifest(Path(corpus), kind=lambda k: k.startswith("text"))
    unique = split_corpus(tracks, seed=seed, holdout=0.0, min_track_s=0.0).references
    texts = _read(list(unique))
    refs, held = _split(texts, seed, quick)
    if not refs:
        raise UserError(f"{corpus}: no text to index")
    rng = np.random.default_rng([seed, 5])
    chapters: list[Chapter] = []
    for t in refs:
        for number, body in enumerate(cut_chapters(t.text, rng)):
            chapters.append(Chapter(len(chapters), t.file, t.lang, number, body))
    negatives = [(t.file, t.lang, body) for t in held for body in cut_chapters(t.text, rng)]
    signal = TextWinnow()
    index = signal.new_index()
    index_cpu = time.process_time()
    for ch in chapters:
        signal.add_to_index(index, ch.item_id, signal.fingerprint_decoded(ch.text))
    index_cpu = time.process_time() - index_cpu
    with tempfile.TemporaryDirectory(prefix="jianwang-tbench-") as tmp:
        index.save(Path(tmp) / "chapters.index")
        index_bytes = disk_bytes(tmp)
    ref_mb = sum(len(ch.text.encode("utf-8")) for ch in chapters) / 1e6
    queries = plan_queries(chapters, negatives, seed)
    use_peer = peer_mod.available()
    peer = peer_mod.MinHashPeer() if use_peer else None
    if peer is not None:
        for ch in chapters:
            peer.add(ch.item_id, ch.text)
    outcomes: list[QueryOutcome] = []
    for n, q in enumerate(queries):
        if progress is not None and n % 20 == 0:
            progress("querying", n, len(queries))
        outcomes.append(_run_query(signal, index, peer, q))
    if progress is not None:
        progress("querying", len(queries), len(queries))
    return TextBenchResult(
        seed=seed,
        quick=quick,
        corpus=str(corpus),
        signal=signal.name,
        signal_version=signal.version,
        references=tuple(t.file for t in refs),
        negatives=tuple(t.file for t in held),
        chapters=len(chapters),
        reference_mb=ref_mb,
        index_bytes=index_bytes,
        index_cpu_s=index_cpu,
        outcomes=tuple(outcomes),
        peer_available=use_peer,
        peak_rss_mb=peak_rss_mb(children=False),
        wall_s=time.perf_counter() - wall0,
        cpu_s=time.process_time() - cpu0,
    )


def _run_query(
    signal: TextWinnow, index: Index, peer: peer_mod.MinHashPeer | None, q: TextQuery
) -> QueryOutcome:
    size = len(q.served.encode("utf-8"))
    t0 = time.process_time()
    text = html_to_text(q.served) if q.html else q.served
    found = match(signal, index, signal.fingerprint_decoded(text), max_results=5)
    cpu = time.process_time() - t0
    spans = {m.item_id: (m.ref_start, m.ref_end) for m in reversed(found)}  # best per item wins
    peer_items: tuple[int, ...] = ()
    peer_cpu = 0.0
    if peer is not None:
        t1 = time.process_time()
        peer_text = html_to_text(q.served) if q.html else q.served
        peer_items = tuple(sorted(peer.query(peer_text)))
        peer_cpu = time.process_time() - t1
    extra_share = None
    if q.copied:  # how much of what extraction kept is page furniture (untimed)
        kept, wanted = len(fold_for_matching(text)), len(fold_for_matching(q.copied))
        extra_share = max(0, kept - wanted) / kept if kept else 0.0
    errors = []
    for item, (s, e) in zip(q.expected, q.ref_spans, strict=True):
        if item in spans:
            fs, fe = spans[item]
            errors.append((abs(fs - s) + abs(fe - e)) / 2)
    return QueryOutcome(
        kind=q.kind,
        lang=q.lang,
        source=q.source,
        expected=q.expected,
        found=tuple(sorted(spans)),
        span_errors=tuple(errors),
        bytes=size,
        cpu_s=cpu,
        peer_found=peer_items,
        peer_cpu_s=peer_cpu,
        furniture_share=extra_share,
    )
