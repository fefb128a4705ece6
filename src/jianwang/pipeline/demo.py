"""The demo: the whole flow, end to end, on the embedded default, from an empty data dir.

It builds a small protection list from synthesised media, starts the sandbox with pirated copies
(re-encoded, excerpted, scaled, cropped, sped up, reposted with ads), licensed copies on an
authorised platform and unrelated content, then registers, crawls, matches, and carries what it
found through review, notices, a case, an evidence package and a campaign report
(``pipeline.demo_enforcement``), and checks what it found against what it planted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import opencc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog import service as catalog
from jianwang.catalog.index_versions import publish
from jianwang.catalog.indexes import open_indexes
from jianwang.config import Mode, Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Capture, Detection, DetectionStatus, Site
from jianwang.errors import UserError
from jianwang.media.encode import write_audio
from jianwang.media.limits import DecodeLimits
from jianwang.media.synth import synth_music, synth_prose, synth_video
from jianwang.media.transform import Transform, apply_transform
from jianwang.monitoring.sites import add_site
from jianwang.pipeline.demo_enforcement import EnforcementResult, run_enforcement
from jianwang.pipeline.sweep import SweepResult, sweep_site
from jianwang.reports.summary import Summary, summarise
from jianwang.sandbox.server import SandboxServer
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox
from jianwang.signals.registry import SignalRegistry, default_registry

log = logging.getLogger(__name__)

RIGHTS_HOLDER = "Jade River Pictures"
FILM_SECONDS = 36.0
SONG_SECONDS = 36.0
SONG_RATE = 22050


@dataclass(frozen=True)
class Planted:
    """One item put on a sandbox site, and the work it should be identified as (None: unrelated)."""

    site: str
    title: str
    expected_work: str | None
    expected_status: DetectionStatus | None


@dataclass(frozen=True)
class Check:
    """Whether a planted item was found as it should be."""

    planted: Planted
    found_works: list[str]
    statuses: list[str]
    ok: bool


@dataclass
class DemoResult:
    """Everything the demo did, for printing and for the end-to-end test."""

    data_dir: Path
    database_url: str
    sites: dict[str, str] = field(default_factory=dict)
    sweeps: list[SweepResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    summary: Summary | None = None
    enforcement: EnforcementResult | None = None
    server: SandboxServer | None = None

    @property
    def all_ok(self) -> bool:
        """True when every planted item was identified as planted, nothing unrelated matched, and
        the evidence package verified."""
        return (
            bool(self.checks)
            and all(c.ok for c in self.checks)
            and (self.enforcement is None or self.enforcement.package_ok)
        )


@dataclass
class _Media:
    """The synthesised originals and the copies made from them."""

    films: dict[str, Path] = field(default_factory=dict)
    songs: dict[str, Path] = field(default_factory=dict)
    chapters: dict[str, list[Path]] = field(default_factory=dict)
    specs: list[SiteSpec] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)


def _write_song(path: Path, seed: int) -> Path:
    write_audio(
        path,
        synth_music(seed, SONG_SECONDS, sample_rate=SONG_RATE),
        SONG_RATE,
        codec="aac",
        bitrate=128_000,
    )
    return path


def _write_chapters(folder: Path, stem: str, chapters: list[str], title_fmt: str) -> list[Path]:
    paths = []
    for number, text in enumerate(chapters, start=1):
        path = folder / f"{stem}-{number:02d}.txt"
        path.write_text(title_fmt.format(n=number) + "\n\n" + text, encoding="utf-8")
        paths.append(path)
    return paths


def build_media(work_dir: Path, progress: Callable[[str], None]) -> _Media:
    """Synthesise the originals, the pirated and licensed copies, and the unrelated content."""
    src = work_dir / "originals"
    copies = work_dir / "copies"
    src.mkdir(parents=True, exist_ok=True)
    copies.mkdir(parents=True, exist_ok=True)
    media = _Media()

    progress("synthesising films, songs and novels")
    media.films["The Long Night"] = synth_video(src / "the-long-night.mp4", 101, FILM_SECONDS)
    media.films["River Town, Episode 1"] = synth_video(
        src / "river-town-e01.mp4", 102, FILM_SECONDS
    )
    media.songs["Spring Wind"] = _write_song(src / "spring-wind.m4a", 201)
    media.songs["Northern Lights"] = _write_song(src / "northern-lights.m4a", 202)
    zh = synth_prose(301, lang="zh", n_chapters=3, chapter_chars=3000)
    en = synth_prose(302, lang="en", n_chapters=2, chapter_chars=4000)
    media.chapters["山河故人"] = _write_chapters(src, "shanhe", zh, "第{n}章")
    media.chapters["The Lighthouse Keeper"] = _write_chapters(src, "lighthouse", en, "Chapter {n}")

    unrelated_film = synth_video(copies / "street-food-vlog.mp4", 901, 24.0)
    unrelated_song = _write_song(copies / "karaoke-night.m4a", 902)
    unrelated_prose = synth_prose(903, lang="zh", n_chapters=1, chapter_chars=2500)[0]

    progress("making pirated and licensed copies")

    def copy(name: str, source: Path, transform: Transform) -> Path:
        return apply_transform(source, copies / name, transform)

    film_a, film_b = media.films["The Long Night"], media.films["River Town, Episode 1"]
    song_a, song_b = media.songs["Spring Wind"], media.songs["Northern Lights"]
    reencoded = copy(
        "long-night-cam.mp4",
        film_a,
        Transform(scale=0.5, video_bitrate=150_000, audio_bitrate=48_000, fps=15),
    )
    excerpt = copy(
        "river-town-clip.mp4", film_b, Transform(start_s=8.0, duration_s=20.0, crop=0.05)
    )
    sped = copy("long-night-fast.mp4", film_a, Transform(speed=1.1, start_s=4.0, duration_s=28.0))
    licensed = copy("long-night-official.mp4", film_a, Transform(video_bitrate=600_000))
    song_low = copy("spring-wind-64k.mp3", song_a, Transform(audio_bitrate=64_000))
    song_cut = copy(
        "northern-lights-cut.m4a", song_b, Transform(start_s=10.0, duration_s=15.0, speed=1.03)
    )
    zh_trad = opencc.OpenCC("s2t").convert(zh[1])
    en_reflowed = " ".join(en[0].split())

    video_site = SiteSpec(
        name="pirate-video",
        kind="video",
        title="免费高清影院 FreeHD Cinema",
        items=[
            SiteItem(title="The Long Night HD", kind="video", path=reencoded),
            SiteItem(title="River Town EP01 clip", kind="video", path=excerpt, as_hls=True),
            SiteItem(title="The Long Night fast", kind="video", path=sped),
            SiteItem(title="Street food vlog", kind="video", path=unrelated_film),
        ],
    )
    music_site = SiteSpec(
        name="pirate-music",
        kind="music",
        title="好歌免费听 FreeTunes",
        items=[
            SiteItem(title="Spring Wind (MP3)", kind="audio", path=song_low),
            SiteItem(title="Northern Lights remix", kind="audio", path=song_cut),
            SiteItem(title="Karaoke night", kind="audio", path=unrelated_song),
        ],
    )
    novel_site = SiteSpec(
        name="pirate-novels",
        kind="literature",
        title="笔趣小说网",
        items=[
            SiteItem(title="山河故人 第1章", kind="text", text=zh[0]),
            SiteItem(title="山河故人 第2章", kind="text", text=zh_trad),
            SiteItem(title="The Lighthouse Keeper ch1", kind="text", text=en_reflowed),
            SiteItem(title="都市小说 第1章", kind="text", text=unrelated_prose),
        ],
    )
    platform = SiteSpec(
        name="licensed-platform",
        kind="platform",
        title="Jade Stream",
        items=[SiteItem(title="The Long Night (official)", kind="video", path=licensed)],
    )
    media.specs = [video_site, music_site, novel_site, platform]

    confirmed, licensed_status = DetectionStatus.CONFIRMED, DetectionStatus.LICENSED
    media.planted = [
        Planted("pirate-video", "The Long Night HD", "The Long Night", confirmed),
        Planted("pirate-video", "River Town EP01 clip", "River Town, Episode 1", confirmed),
        Planted("pirate-video", "The Long Night fast", "The Long Night", confirmed),
        Planted("pirate-video", "Street food vlog", None, None),
        Planted("pirate-music", "Spring Wind (MP3)", "Spring Wind", confirmed),
        Planted("pirate-music", "Northern Lights remix", "Northern Lights", confirmed),
        Planted("pirate-music", "Karaoke night", None, None),
        Planted("pirate-novels", "山河故人 第1章", "山河故人", confirmed),
        Planted("pirate-novels", "山河故人 第2章", "山河故人", confirmed),
        Planted("pirate-novels", "The Lighthouse Keeper ch1", "The Lighthouse Keeper", confirmed),
        Planted("pirate-novels", "都市小说 第1章", None, None),
        Planted(
            "licensed-platform", "The Long Night (official)", "The Long Night", licensed_status
        ),
    ]
    return media


def register_catalog(
    session: Session,
    *,
    media: _Media,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
) -> None:
    """The protection list: films, an episode, songs and two novels of one rights holder."""
    indexes = open_indexes(session, settings.index_dir, registry)
    store = ContentStore(settings.content_dir)
    batch = catalog.add_batch(
        session, name="Demo protection list 2026-1", note="Works the demo protects"
    )
    entries: list[tuple[str, str, list[Path]]] = [
        ("The Long Night", "film", [media.films["The Long Night"]]),
        ("River Town, Episode 1", "tv_series", [media.films["River Town, Episode 1"]]),
        ("Spring Wind", "music", [media.songs["Spring Wind"]]),
        ("Northern Lights", "music", [media.songs["Northern Lights"]]),
        ("山河故人", "literature", media.chapters["山河故人"]),
        ("The Lighthouse Keeper", "literature", media.chapters["The Lighthouse Keeper"]),
    ]
    for title, kind, refs in entries:
        catalog.add_work(
            session,
            title=title,
            kind=kind,
            rights_holder=RIGHTS_HOLDER,
            references=refs,
            indexes=indexes,
            store=store,
            registry=registry,
            limits=limits,
            batch=batch.name,
            holder_contact="legal@jade-river.example",
            holder_address="88 Riverside Road, Hangzhou",
            proof_of_rights="Copyright registration certificate (demo)",
        )
    session.flush()
    publish(indexes)  # saved, and published as a new version for workers


def register_sites(
    session: Session, server: SandboxServer, specs: list[SiteSpec]
) -> dict[str, str]:
    """Put the sandbox sites in the registry; returns name -> base URL."""
    urls = {}
    operators = {
        "pirate-video": "Unknown operator of FreeHD Cinema",
        "pirate-music": "Unknown operator of FreeTunes",
        "pirate-novels": "Unknown operator of 笔趣小说网",
        "licensed-platform": "Jade Stream Co., Ltd.",
    }
    for spec in specs:
        base = server.base_url(spec.name)
        urls[spec.name] = base
        kind = {"platform": "platform"}.get(spec.kind, spec.kind)
        add_site(
            session,
            name=spec.name,
            kind=kind,
            seeds=[base + "/"],
            operator=operators.get(spec.name),
            region="CN-33",
        )
    return urls


def check_planted(session: Session, planted: list[Planted]) -> list[Check]:
    """Compare what was detected on each planted page with what should have been."""
    checks = []
    for item in planted:
        site = session.scalar(select(Site).where(Site.name == item.site))
        captures = (
            list(
                session.scalars(
                    select(Capture).where(
                        Capture.site_id == site.id, Capture.page_title.is_not(None)
                    )
                )
            )
            if site
            else []
        )
        mine = [c for c in captures if c.page_title and item.title in c.page_title]
        detections = [
            d
            for c in mine
            for d in session.scalars(select(Detection).where(Detection.capture_id == c.id))
        ]
        works = sorted({d.work.title for d in detections})
        statuses = sorted({d.status.value for d in detections})
        if item.expected_work is None:
            ok = bool(mine) and not detections
        else:
            ok = (
                works == [item.expected_work]
                and item.expected_status is not None
                and statuses == [item.expected_status.value]
            )
        checks.append(Check(item, works, statuses, ok))
    return checks


def run_demo(
    settings: Settings,
    *,
    keep_serving: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the whole flow; the caller stops ``result.server`` when ``keep_serving`` is set."""
    say = progress or (lambda message: log.info("%s", message))
    if settings.mode is Mode.PRODUCTION:
        raise UserError("the demo runs in dev mode only (it crawls local sandbox sites)")
    db_file = settings.data_dir / "jianwang.db"
    if settings.database_url is None and db_file.exists():
        raise UserError(
            f"{settings.data_dir} already holds a Jianwang database; "
            "run the demo with --data-dir pointing at an empty folder"
        )
    # The sandbox listens on 127.0.0.1, which the crawler refuses unless explicitly allowed.
    settings = settings.model_copy(update={"allow_private_hosts": True, "crawl_delay_s": 0.0})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = default_registry()
    limits = DecodeLimits.from_settings(settings)
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    factory: sessionmaker[Session] = session_factory(engine)
    result = DemoResult(data_dir=settings.data_dir, database_url=settings.db_url)
    media = build_media(settings.data_dir / "demo-media", say)

    say("registering the protection list")
    with transaction(factory) as session:
        register_catalog(session, media=media, settings=settings, registry=registry, limits=limits)

    say("starting the sandbox sites on 127.0.0.1")
    server = run_sandbox(media.specs, settings.data_dir / "sandbox")
    try:
        with transaction(factory) as session:
            result.sites = register_sites(session, server, media.specs)
            today = date.today()
            catalog.add_licence(
                session,
                work="The Long Night",
                site="licensed-platform",
                starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=365),
                territory="CN",
            )
        with transaction(factory) as session:
            site_ids = [s.id for s in session.scalars(select(Site).order_by(Site.id))]
            indexes = open_indexes(session, settings.index_dir, registry)
        for site_id in site_ids:
            sweep = sweep_site(
                factory,
                site_id=site_id,
                settings=settings,
                registry=registry,
                limits=limits,
                indexes=indexes,
            )
            say(
                f"swept {sweep.site}: {sweep.pages} pages, {sweep.captures_new} captures, "
                f"{sweep.detections} detections"
            )
            result.sweeps.append(sweep)

        result.enforcement = run_enforcement(factory, settings=settings, say=say)
        with transaction(factory) as session:
            result.checks = check_planted(session, media.planted)
            result.summary = summarise(session)
    except BaseException:
        server.stop()
        engine.dispose()
        raise
    if keep_serving:
        result.server = server
    else:
        server.stop()
    engine.dispose()
    return result
