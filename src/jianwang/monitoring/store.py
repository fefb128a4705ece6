"""Naming captured content: which file suffix a stored capture gets.

The bytes themselves go to the content-addressed store (``jianwang.content.ContentStore``);
the suffix tells later readers (and FFmpeg) what they hold.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import urlsplit

_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")

MEDIA_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".webm", ".mkv", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac", ".wav"}
    | {".ts", ".m3u8", ".mpd", ".mov", ".flv", ".avi"}
)

_TYPE_SUFFIXES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "video/mp2t": ".ts",
    "video/mp4": ".mp4",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/flac": ".flac",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
}


def suffix_for(url: str, content_type: str) -> str:
    """A file suffix for stored content: the URL's extension if it is a known one, else the type's.

    Only short alphanumeric suffixes are used, so a hostile URL cannot smuggle path characters
    into the stored name.
    """
    suffix = Path(urlsplit(url).path).suffix.lower()
    if suffix in MEDIA_SUFFIXES or suffix in {".html", ".htm", ".txt"}:
        return suffix
    mime = content_type.split(";", 1)[0].strip().lower()
    guessed = _TYPE_SUFFIXES.get(mime) or mimetypes.guess_extension(mime) or ""
    return guessed if _SAFE_SUFFIX.match(guessed) else ".bin"
