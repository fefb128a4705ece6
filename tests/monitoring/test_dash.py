"""DASH: manifests parsed the ways servers write them, and the guarded capture of one
representation into one fragmented MP4 that decodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from jianwang.config import Settings
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.media import iter_frames
from jianwang.monitoring.crawler import CrawlPolicy, crawl_site
from jianwang.monitoring.dash import capture_dash, iso_duration, parse_mpd
from jianwang.monitoring.fetch import Fetcher, TooLargeError
from jianwang.sandbox.server import Resource, SandboxServer, SandboxSite

FPS = 10
SECONDS = 8


def _write_dash(folder: Path) -> Path:
    """An 8 s H.264 presentation cut into 2 s segments by FFmpeg's own DASH muxer."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    manifest = folder / "manifest.mpd"
    options = {"seg_duration": "2", "use_template": "1", "use_timeline": "0"}
    with av.open(str(manifest), "w", format="dash", options=options) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        video.options = {"preset": "ultrafast", "g": str(2 * FPS)}
        for _ in range(SECONDS * FPS):
            image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
            out.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(video.encode())
    return manifest


@pytest.fixture(scope="module")
def dash_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_dash(tmp_path_factory.mktemp("dash") / "out").parent


@pytest.fixture
def sandbox(dash_dir: Path) -> Iterator[SandboxServer]:
    routes = {
        f"/film/{p.name}": Resource(p.read_bytes(), "application/dash+xml")
        if p.suffix == ".mpd"
        else Resource(p.read_bytes(), "video/iso.segment")
        for p in dash_dir.iterdir()
    }
    routes["/"] = Resource(
        b"<html><head><title>Film</title></head>"
        b"<body><video src='/film/manifest.mpd'></video></body></html>",
        "text/html",
    )
    routes["/junk.mpd"] = Resource(b"<html>not a manifest</html>", "text/html")
    routes["/live.mpd"] = Resource(
        b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic"><Period/></MPD>',
        "application/dash+xml",
    )
    with SandboxServer([SandboxSite("tube", routes)]) as server:
        yield server


@pytest.fixture
def fetcher(tmp_path: Path) -> Iterator[Fetcher]:
    with Fetcher(Settings(allow_private_hosts=True, data_dir=tmp_path), backoff_s=0.0) as f:
        yield f


def test_capture_gives_one_decodable_mp4(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    url = sandbox.base_url("tube") + "/film/manifest.mpd"
    download, kind = capture_dash(fetcher, url, tmp_path / "c", max_bytes=10_000_000)
    assert kind == "video" and download.parts == 1 + SECONDS // 2
    assert download.path.suffix == ".mp4" and download.content_type == "video/mp4"
    frames = list(iter_frames(download.path, fps=2.0))
    assert frames[-1].t == pytest.approx(SECONDS - 0.5, abs=0.2)
    sample, _ = capture_dash(fetcher, url, tmp_path / "s", max_bytes=10_000_000, max_segments=1)
    assert sample.parts == 2 and sample.size < download.size
    with pytest.raises(TooLargeError):
        capture_dash(fetcher, url, tmp_path / "t", max_bytes=2_000)
    assert not list((tmp_path / "t").glob(".*.part"))  # nothing partial left behind


def test_the_crawler_captures_a_manifest_a_page_plays(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    base = sandbox.base_url("tube")
    policy = CrawlPolicy(seeds=[base + "/"], allowed_domains=[base[len("http://") :]])
    report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert report.errors == []
    (item,) = report.items
    assert (item.kind, item.media_url) == ("video", base + "/film/manifest.mpd")
    assert item.path.suffix == ".mp4" and item.page_title == "Film"


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/junk.mpd", "malformed DASH manifest|not a DASH"), ("/live.mpd", "live DASH")],
)
def test_bad_manifests_raise_naming_the_url(
    sandbox: SandboxServer, fetcher: Fetcher, tmp_path: Path, path: str, reason: str
) -> None:
    url = sandbox.base_url("tube") + path
    with pytest.raises(FetchError, match=reason) as caught:
        capture_dash(fetcher, url, tmp_path / "c", max_bytes=1_000_000)
    assert url in str(caught.value)


MPD = """<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT7S">
 <BaseURL>https://cdn.example/v/</BaseURL>
 <Period>
  <AdaptationSet contentType="audio">
   <Representation id="a" bandwidth="64000" mimeType="audio/mp4"><BaseURL>a.mp4</BaseURL>
   </Representation>
  </AdaptationSet>
  <AdaptationSet mimeType="video/mp4">
   <SegmentTemplate timescale="90" initialization="$RepresentationID$/init.mp4"
     media="$RepresentationID$/$Time$.m4s"/>
   <Representation id="hi" bandwidth="5000000">
    <SegmentTemplate><SegmentTimeline><S t="0" d="180" r="1"/><S d="90"/></SegmentTimeline>
    </SegmentTemplate>
   </Representation>
   <Representation id="lo" bandwidth="300000">
    <SegmentTemplate><SegmentTimeline><S t="0" d="180" r="-1"/></SegmentTimeline>
    </SegmentTemplate>
   </Representation>
  </AdaptationSet>
 </Period>
</MPD>"""


def test_timelines_templates_and_base_urls() -> None:
    track = parse_mpd(MPD.encode(), "https://site.example/watch/film.mpd")
    assert (track.kind, track.representation, track.bandwidth) == ("video", "lo", 300000)
    assert track.urls == (
        "https://cdn.example/v/lo/init.mp4",
        "https://cdn.example/v/lo/0.m4s",
        "https://cdn.example/v/lo/180.m4s",
        "https://cdn.example/v/lo/360.m4s",
        "https://cdn.example/v/lo/540.m4s",
    )
    audio_only = MPD.replace('mimeType="video/mp4"', 'mimeType="text/vtt"')
    track = parse_mpd(audio_only.encode(), "https://site.example/watch/film.mpd")
    assert (track.kind, track.urls) == ("audio", ("https://cdn.example/v/a.mp4",))


def test_segment_list_and_number_formats() -> None:
    mpd = b"""<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" mediaPresentationDuration="PT5S"><Period>
      <AdaptationSet contentType="video"><Representation id="v" bandwidth="1">
       <SegmentList><Initialization sourceURL="i.mp4"/><SegmentURL media="s1.m4s"/>
        <SegmentURL media="s2.m4s"/></SegmentList></Representation></AdaptationSet>
      <AdaptationSet contentType="video"><Representation id="w" bandwidth="2">
       <SegmentTemplate duration="2" startNumber="7" media="w-$Number%03d$.m4s"/>
      </Representation></AdaptationSet></Period></MPD>"""
    track = parse_mpd(mpd, "http://h.example/m.mpd")
    assert track.urls == ("http://h.example/i.mp4", "http://h.example/s1.m4s",
                          "http://h.example/s2.m4s")  # fmt: skip
    other = parse_mpd(mpd.replace(b'bandwidth="1"', b'bandwidth="9"'), "http://h.example/m.mpd")
    assert other.urls == ("http://h.example/w-007.m4s", "http://h.example/w-008.m4s",
                          "http://h.example/w-009.m4s")  # fmt: skip


_ENCRYPTED = (
    b"<MPD><Period><AdaptationSet contentType='video'><ContentProtection/>"
    b"</AdaptationSet></Period></MPD>"
)
_ENDLESS = (
    b"<MPD mediaPresentationDuration='PT999999H'><Period><AdaptationSet contentType='video'>"
    b"<Representation id='r'><SegmentTemplate duration='1' media='$Number$.m4s'/>"
    b"</Representation></AdaptationSet></Period></MPD>"
)
_ENTITY = b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><MPD>&e;</MPD>"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<MPD xmlns='urn:mpeg:dash:schema:mpd:2011'/>", "no Period"),
        (_ENCRYPTED, "encrypted"),
        (_ENDLESS, "more than"),
        (_ENTITY, "Period"),  # the external entity is not read
    ],
)
def test_hostile_manifests_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(FetchError, match=reason):
        parse_mpd(body, "http://h.example/m.mpd")


def test_segments_pointing_inside_are_refused(tmp_path: Path) -> None:
    """A public manifest whose segments sit at a cloud-metadata address is stopped by the guard."""
    body = (
        b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" mediaPresentationDuration="PT2S"><Period>'
        b'<AdaptationSet contentType="video"><Representation id="r" bandwidth="1">'
        b"<BaseURL>http://169.254.169.254/latest/x.mp4</BaseURL></Representation>"
        b"</AdaptationSet></Period></MPD>"
    )
    settings = Settings(allow_private_hosts=False, data_dir=tmp_path)
    with (
        httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body))
        ) as client,
        Fetcher(settings, client=client, resolver=lambda host, port: ["93.184.216.34"]) as f,
        pytest.raises(UnsafeURLError, match="metadata"),
    ):
        capture_dash(f, "http://cdn.example/film.mpd", tmp_path / "c", max_bytes=1_000_000)


def test_iso_durations() -> None:
    assert iso_duration("PT1H2M3.5S") == pytest.approx(3723.5)
    assert iso_duration("P1DT1S") == 86401
    assert iso_duration("soon") is None and iso_duration(None) is None


def test_a_long_presentation_is_sampled_in_stretches(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Over the sampling length, stretches (initialization plus consecutive fragments) spread
    over the presentation are joined into one file that plays back to back."""
    settings = Settings(
        allow_private_hosts=True,
        data_dir=tmp_path,
        stream_sample_over_s=5.0,
        stream_sample_windows=2,
        stream_sample_window_s=2.0,
    )
    url = sandbox.base_url("tube") + "/film/manifest.mpd"
    with Fetcher(settings, backoff_s=0.0) as fetcher:
        download, kind = capture_dash(fetcher, url, tmp_path / "c", max_bytes=10_000_000)
    assert kind == "video" and download.path.suffix == ".mkv"
    assert download.source_spans is not None
    assert [source for _, source, _ in download.source_spans] == [0.0, 6.0]  # first and last
    assert download.parts == 4  # two stretches of an initialization and one fragment
    times = [f.t for f in iter_frames(download.path, fps=2.0)]
    assert times[-1] == pytest.approx(3.5, abs=0.3)  # 2 s + 2 s, no gap between them
