"""Media uploads streamed to disk under a size limit.

A reference or a file to screen may be hundreds of megabytes, so it is never held in memory:
the multipart body is parsed as it arrives and the file part written to a temporary file in
``DATA_DIR/uploads`` (on the data disk, which is sized for media), counting bytes. Past
``settings.max_media_bytes`` the upload is refused with 413 at once, before the rest is read,
and the partial file is deleted; a declared ``Content-Length`` beyond the limit is refused
before anything is read. The file keeps its own suffix, since text references are recognised by
it. Routes take the upload as a dependency (:data:`UploadDep`) and the file is deleted when the
route has answered.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import UploadFile

from jianwang.errors import UserError
from jianwang.web.deps import ServicesDep

log = logging.getLogger(__name__)

FIELD = "file"
OTHER_PARTS_LIMIT = 64 * 1024
"""Bytes of form parts besides the file (a CSRF token, a name) accepted with an upload."""
ENVELOPE = 16 * 1024
"""Room for the multipart boundaries and headers around the file in a declared length."""
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {
                        FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The media or text file; its name's suffix is kept.",
                        }
                    },
                }
            }
        },
    }
}
"""The request body of an upload route, for the OpenAPI schema (the body is read by
:func:`receive_upload`, not declared as a parameter, so it can be streamed)."""

UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "The upload is larger than the installation's media limit."},
    422: {"description": "No file part, or a file that is not readable media."},
}


@dataclass(frozen=True)
class Upload:
    """An uploaded file on disk: where it is, the name the client gave it, and its size."""

    path: Path
    filename: str
    size: int

    @contextmanager
    def named_errors(self) -> Iterator[None]:
        """Let errors about the file name it as the client did, not by its temporary path
        (which says nothing to the client and something about the server)."""
        try:
            yield
        except UserError as exc:
            text = str(exc)
            if str(self.path) not in text:
                raise
            raise type(exc)(text.replace(str(self.path), self.filename)) from exc


class UploadTooLarge(HTTPException):
    """413: the upload is larger than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"upload larger than the limit of {limit} bytes (JIANWANG_MAX_MEDIA_BYTES)",
        )


def _missing(message: str, kind: str = "missing") -> RequestValidationError:
    return RequestValidationError(
        [{"type": kind, "loc": ("body", FIELD), "msg": message, "input": None}]
    )


def safe_filename(name: str) -> str:
    """The last component of a client's file name, without control characters, at most 200
    characters; ``upload`` when nothing is left."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[-200:] or "upload"


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if _SUFFIX.match(suffix) else ""


@dataclass
class _Receiver:
    """The parser's callbacks: the first part named :data:`FIELD` with a file name goes to a
    temporary file, counted; other parts are counted and dropped."""

    directory: Path
    limit: int
    filename: str | None = None
    path: Path | None = None
    size: int = 0
    other: int = 0
    too_large: bool = False
    problem: str | None = None
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _name: bytes = b""
    _value: bytes = b""
    _out: IO[bytes] | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers = {}
        self._name = self._value = b""
        self._out = None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._name.strip().lower()] = self._value.strip()
        self._name = self._value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        if name != FIELD or raw is None or not raw:
            return
        if self.path is not None:
            self.problem = f"send one file per request in the '{FIELD}' part"
            return
        self.open(raw.decode("utf-8", "replace"))

    def open(self, client_name: str) -> None:
        """Start the file the client calls ``client_name`` (its suffix kept)."""
        self.filename = safe_filename(client_name)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in part_end or close()
            dir=self.directory, prefix="upload-", suffix=_suffix(self.filename), delete=False
        )
        self.path = Path(handle.name)
        self._out = handle

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is None:
            self.other += end - start
            if self.other > OTHER_PARTS_LIMIT:
                self.problem = "form parts besides the file are too large"
            return
        self.size += end - start
        if self.size > self.limit:
            self.too_large = True
            return
        self._out.write(data[start:end])

    def part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def close(self) -> None:
        """Close the file if a part was cut off."""
        if self._out is not None:
            self._out.close()
            self._out = None

    def discard(self) -> None:
        """Delete what was written (a refused or failed upload)."""
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def _from_parsed_form(request: Request, receiver: _Receiver) -> None:
    """Copy the file of a form already parsed (a browser's request whose CSRF token came in the
    form), counting against the same limit."""
    form = await request.form()
    part = form.get(FIELD)
    if not isinstance(part, UploadFile) or not part.filename:
        return
    receiver.open(part.filename)
    while chunk := await part.read(1 << 20):
        receiver.part_data(chunk, 0, len(chunk))
        if receiver.too_large:
            return
    receiver.close()


async def receive_upload(request: Request, *, directory: Path, limit: int) -> Upload:
    """Stream the request's multipart file part to a temporary file in ``directory``.

    413 past ``limit`` bytes (the partial file deleted), 422 when the body is not multipart or
    has no file part; the caller deletes the file when done."""
    mime, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise _missing(f"send a multipart/form-data body with the file in a '{FIELD}' part")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + ENVELOPE + OTHER_PARTS_LIMIT:
        raise UploadTooLarge(limit)
    directory.mkdir(parents=True, exist_ok=True)
    receiver = _Receiver(directory=directory, limit=limit)
    started = False
    try:
        try:
            parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
            async for chunk in request.stream():
                started = True
                parser.write(chunk)
                if receiver.too_large or receiver.problem:
                    break
            else:
                parser.finalize()
        except RuntimeError:
            if started:
                raise
            # The body was read before: a browser's form was parsed for its CSRF token.
            await _from_parsed_form(request, receiver)
    except FormParserError as exc:
        receiver.discard()
        raise _missing(f"the multipart body is malformed: {exc}", "value_error") from None
    except BaseException:
        receiver.discard()
        raise
    receiver.close()
    if receiver.too_large:
        receiver.discard()
        log.info("upload refused: larger than %d bytes", limit)
        raise UploadTooLarge(limit)
    if receiver.problem:
        receiver.discard()
        raise _missing(receiver.problem, "value_error")
    if receiver.path is None or receiver.filename is None:
        raise _missing(f"no file in a '{FIELD}' part (with a file name)")
    return Upload(path=receiver.path, filename=receiver.filename, size=receiver.size)


async def upload_file(request: Request, svc: ServicesDep) -> AsyncIterator[Upload]:
    """The request's uploaded file, deleted once the route has answered."""
    upload = await receive_upload(
        request,
        directory=svc.settings.data_dir / "uploads",
        limit=svc.settings.max_media_bytes,
    )
    try:
        yield upload
    finally:
        upload.path.unlink(missing_ok=True)


UploadDep = Annotated[Upload, Depends(upload_file, scope="function")]
