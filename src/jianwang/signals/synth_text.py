"""Prose generated in code (English-like and Chinese), and the ways pirate sites repost it.

Word choice follows a Zipf law so unrelated texts share stock phrases the way real prose does;
that is what makes a false-match test of the text signal meaningful.
"""

from __future__ import annotations

from functools import cache

import numpy as np

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
_COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "it",
    "was",
    "he",
    "for",
    "on",
    "with",
    "as",
    "his",
    "at",
    "by",
    "she",
    "had",
    "not",
]


@cache
def _hanzi() -> tuple[str, ...]:
    """Simplified characters that t2s leaves unchanged, so a reference folds to itself."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    chars = [chr(c) for c in range(0x4E00, 0x9FA6)]
    stable = t2s.convert("".join(chars))
    return tuple(c for c, s in zip(chars, stable, strict=True) if c == s)


def _zipf_choice(rng: np.random.Generator, vocab: list[str], n: int) -> list[str]:
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    return [vocab[i] for i in rng.choice(len(vocab), n, p=weights / weights.sum())]


def synth_prose(seed: int, n_chars: int) -> str:
    """English-like prose of about ``n_chars`` characters in paragraphs."""
    rng = np.random.default_rng(seed)
    vocab_rng = np.random.default_rng(12345)  # one shared vocabulary for every text
    words = list(_COMMON)
    while len(words) < 3000:
        words.append("".join(vocab_rng.choice(_SYLLABLES, vocab_rng.integers(1, 4))))
    paras: list[str] = []
    size = 0
    while size < n_chars:
        sentences = []
        for _ in range(rng.integers(3, 8)):
            s = " ".join(_zipf_choice(rng, words, int(rng.integers(6, 20))))
            sentences.append(s[0].upper() + s[1:] + rng.choice([".", ".", "!", "?", ","]))
        para = " ".join(sentences)
        paras.append(para)
        size += len(para) + 1
    return "\n".join(paras)[:n_chars]


def synth_chinese(seed: int, n_chars: int) -> str:
    """Chinese-like prose of about ``n_chars`` characters (simplified), in paragraphs."""
    rng = np.random.default_rng(seed)
    vocab = list(_hanzi()[:3500])
    perm = np.random.default_rng(54321).permutation(len(vocab))
    vocab = [vocab[i] for i in perm]
    out: list[str] = []
    size = 0
    while size < n_chars:
        para = ""
        for _ in range(rng.integers(2, 6)):
            para += "".join(_zipf_choice(rng, vocab, int(rng.integers(5, 25))))
            para += str(rng.choice(["，", "。", "！", "？", "；", "：“好”"]))
        out.append("\u3000\u3000" + para)
        size += len(para) + 3
    return "\n".join(out)[:n_chars]


def to_traditional(text: str) -> str:
    """The same text in traditional characters (OpenCC s2t)."""
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


def reflow(text: str, width: int = 37) -> str:
    """Text re-wrapped at ``width`` characters with irregular spacing, as a repost would."""
    flat = " ".join(text.split())
    lines = [flat[i : i + width] for i in range(0, len(flat), width)]
    return "\n  ".join(lines).replace(". ", ".   ")


def pirate_page(chapter: str, seed: int, title: str = "第一章") -> str:
    """An HTML page carrying ``chapter`` among navigation, ads, a sidebar and comments."""
    rng = np.random.default_rng(seed)
    paras = [p for p in chapter.split("\n") if p.strip()]
    body: list[str] = []
    for i, p in enumerate(paras):
        body.append(f"<p>{p}</p>")
        if i % 3 == 1:
            body.append(
                f'<div class="ad-banner">{synth_chinese(int(rng.integers(10**9)), 60)}</div>'
            )
        if i % 4 == 2:
            body.append("<p>本站域名 www.example-pirate.com 请收藏，最快更新！</p>")
    comments = "".join(f"<li>{synth_prose(int(rng.integers(10**9)), 120)}</li>" for _ in range(5))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + title + "</title>"
        "<style>p{margin:0}</style><script>var ad='x'; track();</script></head><body>"
        "<header><h1>免费小说网</h1></header>"
        "<nav><ul><li><a href='/'>首页</a></li><li><a href='/top'>排行榜</a></li></ul></nav>"
        f"<div class='main'><h2>{title}</h2>{''.join(body)}</div>"
        f"<aside class='sidebar'>{synth_chinese(int(rng.integers(10**9)), 200)}</aside>"
        f"<div id='comments'><ul>{comments}</ul></div>"
        "<footer>Copyright pirate site</footer></body></html>"
    )
