"""Text in canonical forms: decoded files, readable text out of HTML, text folded for matching.

Pirated novels are reposted as GBK or Big5 files, inside HTML pages wrapped in menus, ads and
comment threads, reflowed, and often converted to traditional characters. Everything here turns
such input into one comparable form, and ``fold_for_matching`` remembers where each folded
character came from so that a match can be shown on the text a reviewer actually sees.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from charset_normalizer import from_bytes

from jianwang.errors import MediaError

if TYPE_CHECKING:
    import lxml.html

log = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# Elements that never carry the work's text.
_DROP_TAGS = (
    "head", "title", "script", "style", "noscript", "template", "svg", "iframe",
    "nav", "header", "footer", "aside", "form",
)  # fmt: skip
# Words in a class or id that mark page furniture rather than content.
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(nav|navbar|menu|comments?|ads?|advert\w*|banner|footer|sidebar|breadcrumbs?)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "blockquote",
        "pre",
        "dd",
        "dt",
        "dl",
        "main",
        "body",
        "hr",
    }
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_LINE_EDGES = re.compile(r" *\n *")


def read_text_file(path: str | Path) -> str:
    """Read a text file whatever its encoding: a BOM, then UTF-8, then detection (GB18030, Big5...).

    Binary files are refused rather than decoded into noise, so a video mistaken for a chapter
    fails loudly instead of producing a fingerprint that can never match.
    """
    return _decode_bytes(_read_bounded(Path(path), "text"), str(path))


def read_html_file(path: str | Path) -> str:
    """The readable text of an HTML file (see ``html_to_text``); binary files are refused."""
    return html_to_text(_decode_bytes(_read_bounded(Path(path), "HTML"), str(path)))


MAX_TEXT_BYTES = 32 * 1024 * 1024
"""Text and HTML files larger than this are refused: a whole pirated novel in one file is a few
MB, and parsing a page of tens of MB would take seconds and gigabytes for nothing readable."""


def _read_bounded(p: Path, what: str) -> bytes:
    try:
        size = p.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise MediaError(
                f"{p}: {size / 2**20:.0f} MiB is larger than the {MAX_TEXT_BYTES // 2**20} MiB "
                f"a {what} file may be"
            )
        return p.read_bytes()
    except FileNotFoundError as exc:
        raise MediaError(f"{p}: no such {what} file") from exc
    except OSError as exc:
        raise MediaError(f"{p}: cannot read {what} file ({exc.strerror or exc})") from exc


def _decode_bytes(raw: bytes, name: str) -> str:
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise MediaError(f"{name}: invalid {codec} text after its byte-order mark") from exc
    if b"\x00" in raw[:4096]:
        raise MediaError(f"{name}: binary data, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None:
        raise MediaError(f"{name}: cannot determine the text encoding")
    log.debug("%s: decoded as %s", name, best.encoding)
    return str(best)


def html_to_text(html: str | bytes, *, encoding: str | None = None) -> str:
    """The readable text of an HTML page, without menus, ads, comments and scripts.

    Block elements become line breaks so paragraphs survive; everything else is joined as the
    browser would. Empty or unparsable input gives ``""`` because a page without text is a normal
    outcome of crawling, not an error.
    """
    import lxml.etree
    import lxml.html

    if isinstance(html, bytes):
        if encoding:
            html = html.decode(encoding, errors="replace")
        else:
            try:
                html = _decode_bytes(html, "<html>")
            except MediaError:
                return ""
    if not html.strip():
        return ""
    # lxml refuses str input that carries an XML encoding declaration.
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return ""
    _strip_furniture(root)
    # Block elements become line breaks (before their text and after their end), then lxml
    # serialises the text in C: far faster than walking the tree in Python.
    for el in root.iter(*_BLOCK_TAGS):
        el.text = "\n" + (el.text or "")
        el.tail = "\n" + (el.tail or "")
    text = lxml.etree.tostring(root, method="text", encoding="unicode")
    return normalise_text(text)


def _strip_furniture(root: lxml.html.HtmlElement) -> None:
    import lxml.etree

    doomed = list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction, *_DROP_TAGS))
    for el in root.xpath("//*[@class or @id]"):
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if el.tag not in ("html", "body") and _FURNITURE.search(marks):
            doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        # Keep the tail: it is text of the parent that follows the dropped element.
        tail = el.tail
        prev = el.getprevious()
        if tail:
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


def normalise_text(s: str) -> str:
    """NFKC, one kind of newline, single spaces, stripped lines and at most one blank line."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    s = _SPACES.sub(" ", s)
    s = _LINE_EDGES.sub("\n", s)
    return _BLANK_RUNS.sub("\n\n", s).strip()


@dataclass(frozen=True, eq=False)
class FoldedText:
    """Text folded for fingerprinting, with ``offsets[i]`` the index in the original string of
    folded character ``i`` (int64), so a span found in folded text maps back to the original."""

    text: str
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.text)


@cache
def _t2s() -> Callable[[str], str]:
    """The traditional-to-simplified converter, built once on first use (loading takes ~10 ms)."""
    import opencc

    converter = opencc.OpenCC("t2s")
    convert: Callable[[str], str] = converter.convert
    return convert


def to_simplified(s: str) -> str:
    """``s`` with traditional Chinese turned simplified (OpenCC ``t2s``, phrase-aware), all else
    unchanged: for text read by patterns (cue words such as 下載 → 下载) rather than folded
    character by character with ``fold_for_matching``."""
    return _t2s()(s)


def _drop(ch: str) -> bool:
    # Punctuation, symbols, separators, control/format characters and combining marks carry no
    # content for matching; dropping them makes reflowed and re-punctuated copies identical.
    return unicodedata.category(ch)[0] in "PSZCM"


@cache
def _fold_char(ch: str) -> tuple[int, ...]:
    """The code points one character folds to: compatibility-decomposed (full-width forms,
    ligatures, circled digits; accents come off as combining marks), lower case, simplified
    Chinese, and only letters and digits kept. Often empty, sometimes several."""
    convert = _t2s()
    out: list[int] = []
    for c in unicodedata.normalize("NFKD", ch).lower():
        simple = convert(c)
        for d in simple if len(simple) == 1 else c:
            if not _drop(d):
                out.append(ord(d))
    return tuple(out)


_BMP = 1 << 16


def _folded_pieces(code_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many code points each of ``code_points`` folds to, and all of them one after another."""
    folded = [_fold_char(chr(int(c))) for c in code_points]
    lengths = np.fromiter((len(f) for f in folded), dtype=np.int64, count=len(folded))
    flat = np.fromiter((c for f in folded for c in f), dtype=np.uint32, count=int(lengths.sum()))
    return lengths, flat


class _FoldTable:
    """What every character of the Basic Multilingual Plane met so far folds to, as arrays
    indexed by code point, so folding a text is array lookups; characters not met before are
    folded (``_fold_char``) and added first. Shared by the whole process, under a lock."""

    def __init__(self) -> None:
        self.length = np.full(_BMP, -1, dtype=np.int64)
        self.start = np.zeros(_BMP, dtype=np.int64)
        self.codes = np.zeros(0, dtype=np.uint32)
        self._lock = threading.Lock()

    def lookup(self, cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per character of ``cps`` (all below ``_BMP``): how many code points it folds to and
        where they start in the table; and the table."""
        unknown = cps[self.length[cps] < 0]
        if unknown.size:
            self._learn(np.unique(unknown))
        return self.length[cps], self.start[cps], self.codes

    def _learn(self, new: np.ndarray) -> None:
        with self._lock:
            new = new[self.length[new] < 0]
            lengths, added = _folded_pieces(new)
            self.start[new] = self.codes.size + np.cumsum(lengths) - lengths
            self.codes = np.concatenate([self.codes, added])
            self.length[new] = lengths  # last: a reader sees a character only once complete


_FOLDS = _FoldTable()


def fold_for_matching(s: str) -> FoldedText:
    """Fold text so that copies compare equal: compatibility forms and accents folded, simplified
    Chinese, lower case, letters and digits only.

    Every character is folded on its own (``_fold_char``, cached per distinct character), so a
    folded character always knows which original character produced it, even when one character
    folds to several (``"①"`` → ``"1"``, ``"ﬁ"`` → ``"fi"``) or to none (punctuation); the same
    character folds the same way wherever it stands, in a reference or in a copy. The work is
    done once per distinct character and in NumPy for the text as a whole, which keeps folding
    far faster than a loop over the characters.
    """
    if not s:
        return FoldedText("", np.zeros(0, dtype=np.int64))
    cps = np.frombuffer(s.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    if cps.max() < _BMP:  # nearly all text: the process-wide table of the plane answers
        per_char, piece_start, table = _FOLDS.lookup(cps)
    else:
        # Text with characters beyond the plane (rare): fold its distinct characters here.
        distinct, which = np.unique(cps, return_inverse=True)
        lengths, table = _folded_pieces(distinct)
        per_char = lengths[which]
        piece_start = (np.cumsum(lengths) - lengths)[which]
    total = int(per_char.sum())
    if total == 0:
        return FoldedText("", np.zeros(0, dtype=np.int64))
    offsets = np.repeat(np.arange(cps.size, dtype=np.int64), per_char)
    # Position within each character's folded piece, added to where its piece starts.
    first_out = np.cumsum(per_char) - per_char
    within = np.arange(total, dtype=np.int64) - np.repeat(first_out, per_char)
    codes = table[np.repeat(piece_start, per_char) + within]
    return FoldedText(codes.tobytes().decode("utf-32-le"), offsets)


_CHAPTER_LINE = re.compile(
    r"^[ \t\u3000]*("
    r"第[0-9０-９零〇一二两三四五六七八九十百千万]+[章回节節卷集篇部][^\n]{0,40}"
    r"|(?:chapter|CHAPTER|Chapter|BOOK|Book|PART|Part)[ \t]+[0-9IVXLCDMivxlcdm]+\b[^\n]{0,60}"
    r")[ \t]*$",
    re.MULTILINE,
)


def chapter_headings(text: str) -> list[tuple[int, str]]:
    """``(offset, heading)`` of every line of ``text`` that reads as a chapter heading
    (``第十二章 …``, ``第3回``, ``Chapter XII …``), in order: how a novel's reference says where
    its chapters start, so a match can name the chapters it copies."""
    return [(m.start(1), m.group(1).strip()) for m in _CHAPTER_LINE.finditer(text)]


def chapters_between(headings: list[tuple[int, str]], start: float, end: float) -> str | None:
    """The chapter (``"第二章 …"``) or range of chapters (``"第二章 … – 第四章 …"``) that the
    characters ``start`` to ``end`` fall in; ``None`` before the first heading or without any."""
    offsets = [h[0] for h in headings]
    first = bisect.bisect_right(offsets, start) - 1
    last = bisect.bisect_right(offsets, max(start, end - 1)) - 1
    if last < 0:
        return None
    first = max(first, 0)
    if first == last:
        return headings[first][1]
    return f"{headings[first][1]} – {headings[last][1]}"
