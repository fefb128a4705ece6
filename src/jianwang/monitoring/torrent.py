"""``.torrent`` files: what a captured torrent carries, read with a strict, bounded decoder.

Link sites and forums offer torrents of protected works, so a torrent is captured as an item like
a video: its name, its files and their sizes, and its info-hash, which names the swarm and is what
a notice or a tracker query quotes. The info-hash is the SHA-1 (and, for BitTorrent v2, the
SHA-256) of the exact bytes of the ``info`` dictionary as they stand in the file, so the decoder
keeps the raw span of that value instead of re-encoding it: a re-encoding would silently give a
different hash for a file whose keys are out of order.

The files come from hostile sites. The decoder is written for this, not borrowed from a general
bencode library: it refuses input over ``max_bytes``, nests at most ``MAX_DEPTH`` deep (a file of
``llll…`` raises a clear error, never a ``RecursionError``), decodes at most a bounded number of
values, checks every declared string length against the bytes actually left (a string claiming
a gigabyte is refused before anything is allocated), and rejects leading zeros, negative lengths,
non-string keys and trailing data. Keys out of order or repeated are tolerated, as most clients
do, and reported in ``TorrentInfo.warnings``. Anything malformed raises :class:`TorrentError`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TypeAlias

from jianwang.errors import MediaError

logger = logging.getLogger(__name__)

MAX_DEPTH = 64
"""Deepest nesting accepted; real torrents nest a few levels (a v2 file tree: one per folder)."""
MAX_INT_DIGITS = 20
"""An integer or string length with more digits than this is junk (2**64 has 20)."""
MAX_TRACKERS = 1_000
"""Trackers and web seeds kept; a file listing more is padding the list, not using it."""
ITEMS_PER_FILE = 12
"""Decoded values allowed per permitted file (dict, keys, length, path parts), plus a margin."""

Bencoded: TypeAlias = int | bytes | list["Bencoded"] | dict[bytes, "Bencoded"]


class TorrentError(MediaError):
    """A ``.torrent`` file that is malformed, truncated, too large or not a torrent at all."""


@dataclass(frozen=True)
class TorrentFile:
    """One file a torrent carries: its path inside the torrent ("/"-joined) and its size."""

    path: str
    length: int


@dataclass(frozen=True)
class TorrentInfo:
    """What one ``.torrent`` file says about the content it shares.

    ``info_hash`` is the hex SHA-1 of the ``info`` dictionary's bytes: the v1 info-hash, and for a
    pure v2 torrent still a stable identifier of the file. ``info_hash_v2`` is the hex SHA-256 of
    the same bytes when the torrent declares meta version 2. Padding files (BEP 47) are left out
    of ``files`` and ``total_size``.
    """

    info_hash: str
    name: str
    files: tuple[TorrentFile, ...]
    total_size: int
    piece_length: int
    private: bool
    trackers: tuple[str, ...]
    comment: str | None = None
    created_by: str | None = None
    creation_date: int | None = None
    web_seeds: tuple[str, ...] = ()
    v2: bool = False
    info_hash_v2: str | None = None
    warnings: tuple[str, ...] = ()


class _Decoder:
    """Strict bencode over one buffer, recording the span of the top-level ``info`` value."""

    def __init__(self, data: bytes, max_items: int) -> None:
        self.data = data
        self.items_left = max_items
        self.info_span: tuple[int, int] | None = None
        self.warnings: list[str] = []

    def fail(self, pos: int, why: str) -> TorrentError:
        return TorrentError(f"malformed torrent at byte {pos}: {why}")

    def decode(self) -> Bencoded:
        if not self.data:
            raise TorrentError("malformed torrent: empty file")
        value, end = self.value(0, 0)
        if end != len(self.data):
            raise self.fail(end, f"{len(self.data) - end} bytes of trailing data")
        return value

    def value(self, pos: int, depth: int) -> tuple[Bencoded, int]:
        self.items_left -= 1
        if self.items_left < 0:
            raise self.fail(pos, "too many values")
        if pos >= len(self.data):
            raise self.fail(pos, "truncated")
        lead = self.data[pos]
        if lead == 0x69:  # i
            return self.integer(pos)
        if 0x30 <= lead <= 0x39:  # 0-9: a string
            return self.string(pos)
        if lead in (0x6C, 0x64):  # l, d
            if depth >= MAX_DEPTH:
                raise self.fail(pos, f"nested deeper than {MAX_DEPTH} levels")
            if lead == 0x6C:
                return self.list(pos, depth)
            return self.dict(pos, depth)
        if lead == 0x2D:  # -: a string with a negative length
            raise self.fail(pos, "negative string length")
        raise self.fail(pos, f"unexpected byte {bytes([lead])!r}")

    def digits(self, start: int, stop_byte: bytes, allow_minus: bool) -> tuple[int, int]:
        """The integer written from ``start`` up to ``stop_byte``, and the position after it."""
        end = self.data.find(stop_byte, start, start + MAX_INT_DIGITS + 2)
        if end < 0:
            raise self.fail(start, f"no {stop_byte.decode()} within {MAX_INT_DIGITS} digits")
        text = self.data[start:end]
        body = text[1:] if allow_minus and text.startswith(b"-") else text
        if not body or not body.isdigit():
            raise self.fail(start, f"not a number: {text[:24]!r}")
        if (len(body) > 1 and body.startswith(b"0")) or text == b"-0":
            raise self.fail(start, f"leading zero in {text[:24]!r}")
        return int(text), end + 1

    def integer(self, pos: int) -> tuple[int, int]:
        return self.digits(pos + 1, b"e", allow_minus=True)

    def string(self, pos: int) -> tuple[bytes, int]:
        length, start = self.digits(pos, b":", allow_minus=False)
        end = start + length
        if end > len(self.data):
            raise self.fail(pos, f"string of {length} bytes, only {len(self.data) - start} left")
        return self.data[start:end], end

    def list(self, pos: int, depth: int) -> tuple[list[Bencoded], int]:
        out: list[Bencoded] = []
        pos += 1
        while True:
            if pos >= len(self.data):
                raise self.fail(pos, "truncated list")
            if self.data[pos] == 0x65:  # e
                return out, pos + 1
            item, pos = self.value(pos, depth + 1)
            out.append(item)

    def dict(self, pos: int, depth: int) -> tuple[dict[bytes, Bencoded], int]:
        out: dict[bytes, Bencoded] = {}
        start = pos
        pos += 1
        previous: bytes | None = None
        while True:
            if pos >= len(self.data):
                raise self.fail(pos, "truncated dictionary")
            if self.data[pos] == 0x65:  # e
                return out, pos + 1
            if not 0x30 <= self.data[pos] <= 0x39:
                raise self.fail(pos, "dictionary key is not a string")
            self.items_left -= 1
            key, pos = self.string(pos)
            value_start = pos
            value, pos = self.value(pos, depth + 1)
            if previous is not None and key <= previous:
                what = "repeated" if key == previous or key in out else "out of order"
                self.warnings.append(f"dictionary at byte {start}: key {key[:40]!r} {what}")
            previous = key
            if key in out:
                continue  # the first value of a repeated key stands
            out[key] = value
            if depth == 0 and key == b"info":
                self.info_span = (value_start, pos)


def _text(value: Bencoded | None, encoding: str | None) -> str | None:
    """A bencoded string as text: UTF-8, else the file's declared encoding, else GB18030 (old
    Chinese torrents were written in GBK without saying so), else UTF-8 with replacements."""
    if not isinstance(value, bytes):
        return None
    for codec in ("utf-8", encoding, "gb18030"):
        if not codec:
            continue
        try:
            return value.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return value.decode("utf-8", errors="replace")


def _field(d: dict[bytes, Bencoded], key: bytes, encoding: str | None) -> str | None:
    """A text field, preferring its ``.utf-8`` twin that some clients add beside it."""
    text = _text(d.get(key + b".utf-8"), "utf-8")
    return text if text is not None else _text(d.get(key), encoding)


def _length(value: Bencoded | None, where: str) -> int:
    if not isinstance(value, int) or value < 0:
        raise TorrentError(f"malformed torrent: {where} has no valid length")
    return value


def _path(parts: Bencoded | None, encoding: str | None, where: str) -> str:
    if not isinstance(parts, list) or not parts or not all(isinstance(p, bytes) for p in parts):
        raise TorrentError(f"malformed torrent: {where} has no valid path")
    return "/".join(_text(p, encoding) or "" for p in parts)


def _v1_files(
    info: dict[bytes, Bencoded], name: str, encoding: str | None, max_files: int
) -> list[TorrentFile]:
    entries = info.get(b"files")
    if entries is None:
        return [TorrentFile(name, _length(info.get(b"length"), "the single file"))]
    if not isinstance(entries, list):
        raise TorrentError("malformed torrent: 'files' is not a list")
    if len(entries) > max_files:
        raise TorrentError(f"torrent lists {len(entries)} files, more than {max_files}")
    files: list[TorrentFile] = []
    for index, entry in enumerate(entries):
        where = f"file {index}"
        if not isinstance(entry, dict):
            raise TorrentError(f"malformed torrent: {where} is not a dictionary")
        path = entry.get(b"path.utf-8", entry.get(b"path"))
        text = _path(path, "utf-8" if b"path.utf-8" in entry else encoding, where)
        length = _length(entry.get(b"length"), where)
        attr = entry.get(b"attr")
        if (isinstance(attr, bytes) and b"p" in attr) or text.startswith(".pad/"):
            continue  # a BEP 47 padding file: alignment, not content
        files.append(TorrentFile(f"{name}/{text}", length))
    return files


def _v2_files(tree: Bencoded, name: str, max_files: int) -> list[TorrentFile]:
    """The files of a v2 ``file tree``: nested dictionaries whose leaves are ``{"": {length}}``."""
    if not isinstance(tree, dict):
        raise TorrentError("malformed torrent: 'file tree' is not a dictionary")
    files: list[TorrentFile] = []
    stack: list[tuple[str, dict[bytes, Bencoded]]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for key in sorted(node, reverse=True):
            child = node[key]
            if key == b"":
                if not isinstance(child, dict):
                    raise TorrentError(f"malformed torrent: file tree entry {prefix!r} is bad")
                files.append(TorrentFile(prefix, _length(child.get(b"length"), repr(prefix))))
                if len(files) > max_files:
                    raise TorrentError(f"torrent lists more than {max_files} files")
            elif isinstance(child, dict):
                part = key.decode("utf-8", errors="replace")
                stack.append((f"{prefix}/{part}" if prefix else part, child))
            else:
                raise TorrentError(f"malformed torrent: file tree entry {key[:40]!r} is bad")
    files.sort(key=lambda f: f.path)
    if len(files) == 1 and files[0].path == name:
        return files
    return [TorrentFile(f"{name}/{f.path}", f.length) for f in files]


def _trackers(meta: dict[bytes, Bencoded]) -> tuple[str, ...]:
    urls: list[str] = []
    announce = meta.get(b"announce")
    if isinstance(announce, bytes):
        urls.append(announce.decode("utf-8", errors="replace"))
    tiers = meta.get(b"announce-list")
    if isinstance(tiers, list):
        for tier in tiers:
            for url in tier if isinstance(tier, list) else [tier]:
                if isinstance(url, bytes):
                    urls.append(url.decode("utf-8", errors="replace"))
    return _unique(urls)


def _unique(urls: list[str]) -> tuple[str, ...]:
    kept = dict.fromkeys(u.strip() for u in urls if u.strip())
    return tuple(kept)[:MAX_TRACKERS]


def _web_seeds(meta: dict[bytes, Bencoded]) -> tuple[str, ...]:
    seeds = meta.get(b"url-list")
    items = seeds if isinstance(seeds, list) else [seeds]
    return _unique([s.decode("utf-8", errors="replace") for s in items if isinstance(s, bytes)])


def parse_torrent(
    data: bytes, *, max_bytes: int = 10_000_000, max_files: int = 100_000
) -> TorrentInfo:
    """The name, files, sizes, trackers and info-hash of one ``.torrent`` file.

    Raises :class:`TorrentError` (a :class:`~jianwang.errors.MediaError`) for anything that is
    not a well-formed torrent, for a file over ``max_bytes`` and for one listing more than
    ``max_files`` files. Work is bounded by the size of the input and those two limits.
    """
    if len(data) > max_bytes:
        raise TorrentError(f"torrent of {len(data)} bytes is larger than {max_bytes}")
    decoder = _Decoder(data, max_items=ITEMS_PER_FILE * max_files + 10_000)
    meta = decoder.decode()
    if not isinstance(meta, dict):
        raise TorrentError("not a torrent: the file is not a bencoded dictionary")
    info = meta.get(b"info")
    if not isinstance(info, dict) or decoder.info_span is None:
        raise TorrentError("not a torrent: no 'info' dictionary")
    start, end = decoder.info_span
    info_bytes = data[start:end]
    encoding = _text(meta.get(b"encoding"), None)

    name = _field(info, b"name", encoding)
    if not name:
        raise TorrentError("malformed torrent: the info dictionary has no name")
    piece_length = info.get(b"piece length")
    if not isinstance(piece_length, int) or piece_length <= 0:
        raise TorrentError("malformed torrent: no valid piece length")
    v2 = info.get(b"meta version") == 2
    pieces = info.get(b"pieces")
    if pieces is not None and (not isinstance(pieces, bytes) or len(pieces) % 20):
        raise TorrentError("malformed torrent: 'pieces' is not a whole number of SHA-1 hashes")

    if b"files" in info or b"length" in info:
        files = _v1_files(info, name, encoding, max_files)
    elif v2 and b"file tree" in info:
        files = _v2_files(info[b"file tree"], name, max_files)
    else:
        raise TorrentError("malformed torrent: neither 'length', 'files' nor a v2 file tree")
    if pieces is None and not v2:
        raise TorrentError("malformed torrent: a v1 torrent without 'pieces'")

    creation_date = meta.get(b"creation date")
    if decoder.warnings:
        logger.info("torrent %s: %d oddities tolerated", name[:80], len(decoder.warnings))
    return TorrentInfo(
        info_hash=hashlib.sha1(info_bytes, usedforsecurity=False).hexdigest(),
        name=name,
        files=tuple(files),
        total_size=sum(f.length for f in files),
        piece_length=piece_length,
        private=info.get(b"private") == 1,
        trackers=_trackers(meta),
        comment=_field(meta, b"comment", encoding),
        created_by=_field(meta, b"created by", encoding),
        creation_date=creation_date if isinstance(creation_date, int) else None,
        web_seeds=_web_seeds(meta),
        v2=v2,
        info_hash_v2=hashlib.sha256(info_bytes).hexdigest() if v2 else None,
        warnings=tuple(decoder.warnings[:100]),
    )
