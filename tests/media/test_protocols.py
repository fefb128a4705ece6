"""Decoding a local file never reaches the network, whatever the file claims to be."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jianwang.errors import MediaError
from jianwang.media.audio import decode_audio
from jianwang.media.probe import probe


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012  (per-test server class state, reset by the test)

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_local_playlist_cannot_pull_remote_segments(tmp_path: Path) -> None:
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        disguised = tmp_path / "movie.mp4"
        disguised.write_text(
            "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\n"
            f"http://127.0.0.1:{port}/secret.ts\n#EXT-X-ENDLIST\n"
        )
        with pytest.raises(MediaError, match=r"movie\.mp4"):
            decode_audio(disguised)
        with pytest.raises(MediaError, match=r"movie\.mp4"):
            probe(disguised)
        assert _Recorder.hits == []
    finally:
        server.shutdown()
        server.server_close()


def test_protocol_names_are_not_followed(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file"):
        decode_audio(f"concat:{tmp_path / 'a.mp3'}|{tmp_path / 'b.mp3'}")
