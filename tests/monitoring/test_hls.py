"""HLS: the sandbox segmenter and the guarded capture of a stream into one TS file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from jianwang.config import Settings
from jianwang.errors import FetchError, MediaError, UnsafeURLError
from jianwang.monitoring.fetch import Fetcher, TooLargeError
from jianwang.monitoring.hls import capture_hls
from jianwang.sandbox.hls import segment_to_hls
from jianwang.sandbox.server import Resource, Routes, SandboxServer, SandboxSite

SECONDS = 3.0
FPS = 25


def make_clip(path: Path, seed: int, seconds: float = SECONDS) -> Path:
    """A small H.264/AAC MP4 of moving noise and a tone, with a key frame every second."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        video.options = {"preset": "ultrafast", "g": str(FPS)}
        audio = out.add_stream("aac", rate=44100)
        audio.layout = "mono"
        for index in range(int(seconds * FPS)):
            image = rng.integers(0, 64, (120, 160, 3), dtype=np.uint8)
            image[40:80, (index * 4) % 120 : (index * 4) % 120 + 40] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = int(seconds * 44100)
        for start in range(0, samples, 1024):
            t = np.arange(start, min(start + 1024, samples)) / 44100
            pcm = (0.2 * np.sin(2 * np.pi * (220 + 50 * seed) * t)).astype(np.float32)
            chunk = av.AudioFrame.from_ndarray(pcm[None, :], format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts = 44100, start
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))
    return path


def hls_routes(hls_dir: Path, prefix: str) -> Routes:
    return {
        f"{prefix}/{f.name}": Resource(
            f, "application/vnd.apple.mpegurl" if f.suffix == ".m3u8" else "video/mp2t"
        )
        for f in hls_dir.iterdir()
    }


def decoded_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    return frames / FPS


@pytest.fixture(scope="module")
def hls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("hls")
    return segment_to_hls(make_clip(work / "clip.mp4", seed=1), work / "out", segment_s=1.0).parent


@pytest.fixture
def sandbox(hls_dir: Path) -> Iterator[SandboxServer]:
    routes = hls_routes(hls_dir, "/lo") | {
        "/master.m3u8": Resource(
            b"#EXTM3U\n"
            b"#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720\nhi/index.m3u8\n"
            b"#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=160x120\nlo/index.m3u8\n",
            "application/vnd.apple.mpegurl",
        ),
        "/junk.m3u8": Resource(b"<html>not a playlist</html>", "text/html"),
        "/empty.m3u8": Resource(b"#EXTM3U\n#EXT-X-ENDLIST\n", "application/vnd.apple.mpegurl"),
        "/encrypted.m3u8": Resource(
            b'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.key"\n#EXTINF:1,\nlo/seg00000.ts\n',
            "application/vnd.apple.mpegurl",
        ),
    }
    with SandboxServer([SandboxSite("tube", routes)]) as server:
        yield server


@pytest.fixture
def fetcher(tmp_path: Path) -> Iterator[Fetcher]:
    with Fetcher(Settings(allow_private_hosts=True, data_dir=tmp_path), backoff_s=0.0) as f:
        yield f


def test_segmenter_writes_a_vod_playlist_that_plays(hls_dir: Path) -> None:
    playlist = (hls_dir / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
    assert "#EXT-X-ENDLIST" in playlist
    assert len(list(hls_dir.glob("seg*.ts"))) >= 3
    with av.open(str(hls_dir / "index.m3u8")) as container:
        codecs = {s.codec_context.name for s in container.streams}
    assert codecs == {"h264", "aac"}  # stream copy, no re-encode


def test_segmenter_reencodes_other_codecs(tmp_path: Path) -> None:
    src = tmp_path / "clip.avi"
    with av.open(str(src), "w") as out:
        video = out.add_stream("mpeg4", rate=FPS)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        for index in range(FPS * 2):
            image = np.full((120, 160, 3), index * 5, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    playlist = segment_to_hls(src, tmp_path / "hls", segment_s=1.0)
    with av.open(str(playlist)) as container:
        assert [s.codec_context.name for s in container.streams] == ["h264"]
    assert decoded_seconds(playlist) == pytest.approx(2.0, abs=0.2)


def test_segmenter_refuses_non_media(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not media at all" * 100)
    with pytest.raises(MediaError, match=r"junk\.mp4"):
        segment_to_hls(junk, tmp_path / "hls")


def test_capture_media_playlist_gives_one_decodable_ts(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = sandbox.base_url("tube") + "/lo/index.m3u8"
    result = capture_hls(fetcher, url, tmp_path / "content", max_bytes=50_000_000)
    assert result.path.suffix == ".ts"
    assert result.path.name == f"{result.sha256}.ts"
    assert result.content_type == "video/mp2t"
    assert result.parts >= 3
    assert result.size == result.path.stat().st_size
    assert decoded_seconds(result.path) == pytest.approx(SECONDS, abs=0.2)


def test_master_playlist_takes_the_lowest_bandwidth_variant(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    base = sandbox.base_url("tube")
    result = capture_hls(fetcher, base + "/master.m3u8", tmp_path / "c", max_bytes=50_000_000)
    assert result.final_url == base + "/lo/index.m3u8"  # the 2 Mb/s variant does not even exist
    direct = capture_hls(fetcher, base + "/lo/index.m3u8", tmp_path / "c", max_bytes=50_000_000)
    assert direct.sha256 == result.sha256


def test_max_segments_and_max_bytes(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = sandbox.base_url("tube") + "/lo/index.m3u8"
    sample = capture_hls(fetcher, url, tmp_path / "c", max_bytes=50_000_000, max_segments=1)
    assert sample.parts == 1
    assert decoded_seconds(sample.path) == pytest.approx(1.0, abs=0.2)
    with pytest.raises(TooLargeError):
        capture_hls(fetcher, url, tmp_path / "c", max_bytes=10_000)
    leftovers = [p.name for p in (tmp_path / "c").rglob("*") if p.is_file()]
    assert leftovers == [sample.path.name]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/junk.m3u8", "not an HLS playlist"),
        ("/empty.m3u8", "no segments"),
        ("/encrypted.m3u8", "encrypted"),
        ("/missing.m3u8", "404"),
    ],
)
def test_bad_playlists_raise_naming_the_url(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path, path: str, reason: str
) -> None:
    url = sandbox.base_url("tube") + path
    with pytest.raises(FetchError, match=reason) as caught:
        capture_hls(fetcher, url, tmp_path / "c", max_bytes=1_000_000)
    assert url in str(caught.value)


def test_segments_pointing_inside_are_refused(tmp_path: Path) -> None:
    """A public playlist listing a cloud-metadata segment is stopped by the guard."""
    requested: list[str] = []

    def cdn(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        body = b"#EXTM3U\n#EXTINF:4,\nhttp://169.254.169.254/latest/meta-data.ts\n#EXT-X-ENDLIST\n"
        return httpx.Response(200, content=body)

    settings = Settings(allow_private_hosts=False, data_dir=tmp_path)
    with (
        httpx.Client(transport=httpx.MockTransport(cdn)) as client,
        Fetcher(settings, client=client, resolver=lambda host, port: ["93.184.216.34"]) as f,
        pytest.raises(UnsafeURLError, match="metadata"),
    ):
        capture_hls(f, "http://cdn.example/live.m3u8", tmp_path / "c", max_bytes=1_000_000)
    assert requested == ["http://93.184.216.34/live.m3u8"]


def test_a_long_stream_is_sampled_in_stretches_that_play_back_to_back(tmp_path: Path) -> None:
    """A stream over the sampling length is fetched as a few stretches spread over it, joined
    with continuous timestamps; ``source_spans`` says where in the stream each one lies."""
    clip = make_clip(tmp_path / "long.mp4", seed=3, seconds=12.0)
    hls = segment_to_hls(clip, tmp_path / "long", segment_s=1.0).parent
    settings = Settings(
        allow_private_hosts=True,
        data_dir=tmp_path,
        stream_sample_over_s=6.0,
        stream_sample_windows=3,
        stream_sample_window_s=2.0,
    )
    with (
        SandboxServer([SandboxSite("tube", hls_routes(hls, "/film"))]) as server,
        Fetcher(settings, backoff_s=0.0) as fetcher,
    ):
        url = server.base_url("tube") + "/film/index.m3u8"
        result = capture_hls(fetcher, url, tmp_path / "content", max_bytes=50_000_000)
    assert result.path.suffix == ".mkv" and result.content_type == "video/x-matroska"
    assert result.source_spans is not None and len(result.source_spans) == 3
    starts = [source for _, source, _ in result.source_spans]
    assert starts[0] == 0.0 and 4.0 <= starts[1] <= 6.0 and starts[2] >= 9.0  # spread out
    at = 0.0
    for start, _, duration in result.source_spans:
        assert start == pytest.approx(at, abs=0.05) and 1.5 <= duration <= 3.5
        at += duration
    assert result.parts < 12  # not every segment
    assert decoded_seconds(result.path) == pytest.approx(at, abs=0.3)
    with av.open(str(result.path)) as container:
        times = [float(f.time) for f in container.decode(video=0)]
        assert {s.type for s in container.streams} == {"video", "audio"}
    gaps = np.diff(times)
    assert times[0] == pytest.approx(0.0, abs=0.05) and gaps.max() < 0.1  # no holes, no jumps
