"""Text in canonical forms: decoded files, readable text out of HTML, text folded for matching.

Pirated novels are reposted as GBK or Big5 files, inside HTML pages wrapped in menus, ads and
comment threads, reflowed, and often converted to traditional characters. Everything here turns
such input into one comparable form, and ``fold_for_matching`` remembers where each folded
character came from so that a match can be shown on the text a reviewer actually sees.
"""

from __future__ import annotations

import logging
import re
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


def read_text_file(path: str | Path) -> str:
    """Read a text file whatever its encoding: a BOM, then UTF-8, then detection (GB18030, Big5...).

    Binary files are refused rather than decoded into noise, so a video mistaken for a chapter
    fails loudly instead of producing a fingerprint that can never match.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise MediaError(f"{p}: no such text file") from exc
    except OSError as exc:
        raise MediaError(f"{p}: cannot read text file ({exc.strerror or exc})") from exc
    return _decode_bytes(raw, str(p))


def read_html_file(path: str | Path) -> str:
    """The readable text of an HTML file (see ``html_to_text``); binary files are refused."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise MediaError(f"{p}: no such HTML file") from exc
    except OSError as exc:
        raise MediaError(f"{p}: cannot read HTML file ({exc.strerror or exc})") from exc
    return html_to_text(_decode_bytes(raw, str(p)))


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
    parts: list[str] = []
    _collect_text(root, parts)
    return normalise_text("".join(parts))


def _strip_furniture(root: lxml.html.HtmlElement) -> None:
    doomed = []
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments and processing instructions
            doomed.append(el)
            continue
        if el.tag.lower() in _DROP_TAGS:
            doomed.append(el)
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        if el.tag.lower() not in ("html", "body") and _FURNITURE.search(marks):
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


def _collect_text(el: lxml.html.HtmlElement, parts: list[str]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    block = tag in _BLOCK_TAGS
    if block:
        parts.append("\n")
    if el.text:
        parts.append(el.text)
    for child in el:
        _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append("\n")


def normalise_text(s: str) -> str:
    """NFKC, one kind of newline, single spaces, stripped lines and at most one blank line."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in s.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


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


def _drop(ch: str) -> bool:
    # Punctuation, symbols, separators, control/format characters and combining marks carry no
    # content for matching; dropping them makes reflowed and re-punctuated copies identical.
    return unicodedata.category(ch)[0] in "PSZCM"


def fold_for_matching(s: str) -> FoldedText:
    """Fold text so that copies compare equal: NFKC, simplified Chinese, lower case, letters and
    digits only.

    Folding is done per original character (a base character with its combining marks), so every
    folded character knows which original character produced it even when NFKC expands one
    character into several (``"①"`` → ``"1"``, ``"ﬁ"`` → ``"fi"``).
    """
    pieces: list[str] = []
    owners: list[int] = []
    i = 0
    n = len(s)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(s[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", s[i:j]).lower()
        for ch in piece:
            pieces.append(ch)
            owners.append(i)
        i = j
    joined = "".join(pieces)
    if not joined:
        return FoldedText("", np.zeros(0, dtype=np.int64))
    convert = _t2s()
    simplified = convert(joined)
    if len(simplified) != len(joined):
        # A phrase rule changed the length; convert character by character instead so the
        # offsets stay exact (rare, and only costs speed).
        log.debug("t2s changed text length; converting per character")
        simplified = "".join(c if len(c2 := convert(c)) != 1 else c2 for c in joined)
    keep = [k for k, ch in enumerate(simplified) if not _drop(ch)]
    text = "".join(simplified[k] for k in keep)
    offsets = np.asarray([owners[k] for k in keep], dtype=np.int64)
    return FoldedText(text, offsets)
