"""References cut into chapters, and the seeded pirate copies and negatives queried against them.

Kept apart from running the queries so the plan depends only on the seed and the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from jianwang.signals.example_media import pirate_page, reflow, to_traditional

CHAPTER_CHARS = (2000, 6000)
"""Chapters are cut at paragraph ends, each about a seeded length in this range."""
EXCERPT_CHARS = 500
REPLACED_SHARE = 0.01
SPAM_EVERY = 3

_SPAM = {
    "zh": "本站最新网址：www.mianfei-xiaoshuo.example 加QQ群 66{n}8 免费看全本，最快更新！",
    "en": "Read the latest chapters first at novel-free.example — join our channel, code {n}!",
}
_FULL_WIDTH = str.maketrans({",": "，", ".": "。", "!": "！", "?": "？", ":": "：", ";": "；"})


@dataclass(frozen=True)
class Chapter:
    """One indexed item: a chapter of a reference text."""

    item_id: int
    file: str
    lang: str
    number: int
    text: str


@dataclass(frozen=True)
class TextQuery:
    """One query: the page or text as served, whether it is HTML, the items it copies and,
    per item, the reference character span it copies (``None`` for a negative)."""

    kind: str
    lang: str
    source: str
    served: str
    html: bool
    expected: tuple[int, ...] = ()
    ref_spans: tuple[tuple[int, int], ...] = ()
    copied: str = ""  # for pages: the text a perfect extraction would return

    @property
    def positive(self) -> bool:
        return bool(self.expected)


def paragraphs(text: str) -> list[str]:
    """Non-empty paragraphs: blank-line separated blocks, or lines where the text has no blanks."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    if len(blocks) >= max(3, len(text) // 3000):
        return blocks
    return [line.strip() for line in text.split("\n") if line.strip()]


def cut_chapters(text: str, rng: np.random.Generator) -> list[str]:
    """``text`` cut at paragraph ends into chapters of about ``CHAPTER_CHARS`` characters; a
    short tail joins the chapter before it."""
    low, high = CHAPTER_CHARS
    chapters: list[str] = []
    current: list[str] = []
    size, goal = 0, int(rng.integers(low, high + 1))
    for para in paragraphs(text):
        current.append(para)
        size += len(para) + 1
        if size >= goal:
            chapters.append("\n".join(current))
            current, size, goal = [], 0, int(rng.integers(low, high + 1))
    if current:
        tail = "\n".join(current)
        if chapters and len(tail) < low:
            chapters[-1] = chapters[-1] + "\n" + tail
        else:
            chapters.append(tail)
    return chapters


def _plain_page(text: str, title: str) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        f"<html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _with_spam(text: str, lang: str, rng: np.random.Generator) -> str:
    out: list[str] = []
    for i, para in enumerate(p for p in text.split("\n") if p.strip()):
        out.append(para)
        if i % SPAM_EVERY == SPAM_EVERY - 1:
            out.append(_SPAM[lang].format(n=int(rng.integers(100, 999))))
    return "\n".join(out)


def _replaced(text: str, lang: str, rng: np.random.Generator) -> str:
    chars = list(text)
    spots = [i for i, c in enumerate(chars) if not c.isspace()]
    count = max(1, round(REPLACED_SHARE * len(spots)))
    for i in rng.choice(spots, size=min(count, len(spots)), replace=False):
        if lang == "zh":
            chars[int(i)] = chr(int(rng.integers(0x4E00, 0x9FA5)))
        else:
            chars[int(i)] = chr(int(rng.integers(ord("a"), ord("z") + 1)))
    return "".join(chars)


def plan_queries(
    chapters: Sequence[Chapter], negatives: Sequence[tuple[str, str, str]], seed: int
) -> list[TextQuery]:
    """One query per chapter and transform (``traditional`` for Chinese only; ``joined`` pairs
    each chapter with the next one of the same language), and every held-back chapter in a
    pirate page as a negative (``negatives``: file, language, text)."""
    rng = np.random.default_rng([seed, 7])
    out: list[TextQuery] = []
    for pos, ch in enumerate(chapters):
        text, lang, whole = ch.text, ch.lang, ((0, len(ch.text)),)
        title = f"第{ch.number + 1}章" if lang == "zh" else f"Chapter {ch.number + 1}"
        page_seed = int(rng.integers(2**31))
        out.append(
            TextQuery(
                "verbatim_page", lang, ch.file, pirate_page(text, page_seed, title), True,
                (ch.item_id,), whole, title + "\n" + text,
            )
        )  # fmt: skip
        reflowed = reflow(text.translate(_FULL_WIDTH) if lang == "en" else text)
        out.append(TextQuery("reflowed", lang, ch.file, reflowed, False, (ch.item_id,), whole))
        spam = _plain_page(_with_spam(text, lang, rng), title)
        out.append(TextQuery("ads_inserted", lang, ch.file, spam, True, (ch.item_id,), whole))
        if lang == "zh":
            trad = _plain_page(to_traditional(text), to_traditional(title))
            out.append(TextQuery("traditional", lang, ch.file, trad, True, (ch.item_id,), whole))
        out.append(
            TextQuery(
                "replaced_1pct", lang, ch.file, _replaced(text, lang, rng), False,
                (ch.item_id,), whole,
            )
        )  # fmt: skip
        start = int(rng.integers(0, max(1, len(text) - EXCERPT_CHARS)))
        excerpt = text[start : start + EXCERPT_CHARS]
        out.append(
            TextQuery(
                "excerpt_500", lang, ch.file, excerpt, False, (ch.item_id,),
                ((start, start + len(excerpt)),),
            )
        )  # fmt: skip
        partner = next(
            (c for c in list(chapters[pos + 1 :]) + list(chapters[:pos]) if c.lang == lang), None
        )
        if partner is not None:
            both = _plain_page(text + "\n" + partner.text, title)
            out.append(
                TextQuery(
                    "joined", lang, ch.file, both, True, (ch.item_id, partner.item_id),
                    ((0, len(text)), (0, len(partner.text))),
                )
            )  # fmt: skip
    for file, lang, text in negatives:
        page = pirate_page(text, int(rng.integers(2**31)))
        out.append(TextQuery("negative", lang, file, page, True))
    return out
