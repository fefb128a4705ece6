"""Text winnowing: k-gram hashes of folded text, thinned by winnowing (Schleimer et al., MOSS).

Pirate literature sites repost chapters reflowed, re-punctuated, converted to traditional
characters and wrapped in menus, ads and comments. Text is folded first (``fold_for_matching``:
compatibility forms and accents folded, simplified Chinese, lower case, letters and digits only),
so all of those copies become the same character sequence. Every k-gram of folded text is hashed
with a fixed 64-bit polynomial hash (identical in every process, unlike ``hash()``), and
winnowing keeps the minimum of each window of ``w`` consecutive hashes: any shared run of at
least ``w + k - 1`` folded characters is guaranteed to share a fingerprint, while only about
``2 / (w + 1)`` of positions are stored.

k = 12: twelve folded hanzi are a clause that practically never recurs by chance, and twelve
folded Latin letters span two or three words, long enough that shared stock phrases stay sparse
(the density rule in ``jianwang.matching.text`` rejects the rest). w = 8 gives a guarantee
threshold of 19 folded characters, far below a paragraph, while storing ~22% of positions.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from jianwang.index.base import Index
from jianwang.index.hashindex import HashIndex
from jianwang.media.text import fold_for_matching, html_to_text, read_html_file, read_text_file
from jianwang.signals.base import (
    ExampleInput,
    Fingerprint,
    MediaKind,
    SignalExample,
    SignalType,
    TextPolicy,
)
from jianwang.signals.example_media import pirate_page, prose_chars, reflow, to_traditional

if TYPE_CHECKING:
    from jianwang.media.limits import DecodeLimits

log = logging.getLogger(__name__)

_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_BASE = 0x100000001B3  # FNV-64 prime as the polynomial base


@dataclass(frozen=True)
class TextParams:
    """Winnowing settings; all are part of the index stamp."""

    k: int = 12
    window: int = 8


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads polynomial hashes so window minima are unbiased."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def kgram_hashes(text: str, k: int) -> np.ndarray:
    """64-bit hashes of every k-gram of ``text`` (uint64, ``len(text) - k + 1`` of them)."""
    if len(text) < k:
        return np.zeros(0, dtype=np.uint64)
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = cps.size - k + 1
    base = np.uint64(_BASE)
    h = cps[:n].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):  # Horner's rule over whole arrays: k passes, no n-by-k temporary
            h *= base
            h += cps[j : j + n]
    return _mix64(h)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Indices selected by robust winnowing: the rightmost minimum of every window, once each."""
    if hashes.size == 0:
        return np.zeros(0, dtype=np.int64)
    if hashes.size <= window:
        return np.asarray([hashes.size - 1 - int(np.argmin(hashes[::-1]))])
    n = hashes.size - window + 1
    lowest = hashes[:n].copy()
    for d in range(1, window):
        np.minimum(lowest, hashes[d : d + n], out=lowest)
    # The rightmost position holding each window's minimum: try offsets from the right.
    chosen = np.full(n, -1, dtype=np.int64)
    for d in range(window - 1, -1, -1):
        hit = (chosen < 0) & (hashes[d : d + n] == lowest)
        chosen[hit] = d
    picks = chosen + np.arange(n)  # never decreases: a later window's minimum is not earlier
    return picks[np.r_[True, picks[1:] != picks[:-1]]]


class TextWinnow(SignalType):
    """Winnowed k-gram fingerprints of folded text; positions are original character offsets."""

    name: ClassVar[str] = "text.winnow"
    version: ClassVar[int] = 2
    kind: ClassVar[MediaKind] = MediaKind.TEXT

    def __init__(self, config: TextParams | None = None) -> None:
        self.config = config or TextParams()

    def params(self) -> dict[str, Any]:
        """The winnowing settings."""
        return asdict(self.config)

    def index_class(self) -> type[Index]:
        """Winnowed hashes are matched exactly: a hash index."""
        return HashIndex

    def fingerprint(self, source: str | Path, *, limits: DecodeLimits | None = None) -> Fingerprint:
        """Fingerprint a text file; ``.html``/``.htm`` files are reduced to their readable text
        first, and positions then refer to that extracted text."""
        return self.fingerprint_decoded(self.read(source))

    @staticmethod
    def read(source: str | Path) -> str:
        """The text a file's fingerprint positions refer to: the readable text of an HTML file,
        the decoded text of any other."""
        path = Path(source)
        if path.suffix.lower() in _HTML_SUFFIXES:
            return read_html_file(path)
        return read_text_file(path)

    def fingerprint_decoded(self, data: object) -> Fingerprint:
        """Fingerprint text; ``extra["ends"]`` holds each k-gram's exclusive end offset."""
        if not isinstance(data, str):
            raise TypeError(f"expected text (str), got {type(data).__name__}")
        cfg = self.config
        folded = fold_for_matching(data)
        hashes = kgram_hashes(folded.text, cfg.k)
        if hashes.size == 0:
            return self.empty_fingerprint(len(data))
        chosen = winnow(hashes, cfg.window)
        return Fingerprint(
            self.name,
            self.version,
            self.kind,
            float(len(data)),
            hashes[chosen],
            folded.offsets[chosen].astype(np.float32),
            {"ends": (folded.offsets[chosen + cfg.k - 1] + 1).astype(np.float32)},
        )

    def compare(self, a: Fingerprint, b: Fingerprint) -> float:
        """Share of ``a``'s distinct fingerprints that also occur in ``b`` (containment)."""
        self.check(a)
        self.check(b)
        if a.empty or b.empty:
            return 0.0
        mine = np.unique(a.codes)
        return float(np.isin(mine, b.codes).sum() / mine.size)

    def match_policy(self) -> TextPolicy:
        """At least 8 shared fingerprints (a guaranteed ~80+ folded characters), dense enough."""
        return TextPolicy(min_shared=8, min_density=0.3, max_gap=1500.0, max_segments=3)

    def examples(self) -> list[SignalExample]:
        """A Chinese and an English chapter, their reposted copies, and unrelated text."""
        zh = prose_chars(42, 4000, lang="zh")
        en = prose_chars(43, 4000)
        zh_same = [
            ExampleInput("pirate_page", html_to_text(pirate_page(zh, seed=5))),
            ExampleInput("traditional", to_traditional(zh)),
            ExampleInput("reflowed", reflow(zh)),
            ExampleInput("excerpt_500", zh[1700:2200]),
        ]
        en_same = [
            ExampleInput("reflowed", reflow(en)),
            ExampleInput("excerpt_500", en[2100:2600]),
            ExampleInput("upper_case_quoted", "“" + en[300:1500].upper() + "”"),
        ]
        zh_diff = [
            ExampleInput("other_chapter", prose_chars(99, 4000, lang="zh")),
            ExampleInput(
                "other_page", html_to_text(pirate_page(prose_chars(98, 3000, lang="zh"), seed=6))
            ),
            ExampleInput("empty", ""),
            ExampleInput("punctuation", "，。！？……\n\n—— ——"),
        ]
        en_diff = [
            ExampleInput("other_prose", prose_chars(97, 4000)),
            # Shorter than one k-gram, so nothing to fingerprint. (A longer fragment of the
            # reference is contained in it, which ``compare`` rightly scores high.)
            ExampleInput("shorter_than_k", en[: self.config.k - 1]),
        ]
        return [
            SignalExample("chinese_chapter", zh, zh_same, zh_diff),
            SignalExample("english_chapter", en, en_same, en_diff),
        ]
