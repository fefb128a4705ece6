"""The monitoring benchmark's world: which corpus files are protected works, what each sandbox
site serves, and what a correct sweep must find there.

Protected works are chosen from the corpus with a seed: films (video clips), songs and novels.
The pirate sites serve copies of some of them, altered the ways pirates alter them (re-encoded
smaller, cut to an excerpt, slightly faster, served as HLS, chapters in traditional script),
among many more unrelated items: every other corpus file, plus synthesised clips so the video
site has as many items as a small real one. A licensed platform carries two of the works under
a licence, so a correct sweep marks those LICENSED rather than infringing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import opencc

from jianwang.bench.corpus import Track, read_manifest, split_corpus
from jianwang.bench.text.plan import cut_chapters
from jianwang.errors import MediaError, UserError
from jianwang.media.synth import synth_prose, synth_video
from jianwang.media.text import read_text_file
from jianwang.media.transform import Transform, apply_transform
from jianwang.sandbox.sites import SiteItem, SiteKind, SiteSpec

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]

VIDEO_SITE = "pirate-video"
MUSIC_SITE = "pirate-music"
NOVEL_SITE = "pirate-novels"
PLATFORM = "licensed-platform"


@dataclass(frozen=True)
class Scale:
    """How many works and filler items the sandbox gets (a quick run takes a few of each)."""

    films: int = 6
    songs: int = 10
    novels: int = 3
    synth_clips: int = 12
    live_filler_s: float = 20.0
    unrelated_limit: int | None = None  # corpus items served as unrelated, per kind


FULL = Scale()
QUICK = Scale(films=2, songs=2, novels=1, synth_clips=2, live_filler_s=8.0, unrelated_limit=3)
MIN_FILM_S = 12.0
MIN_SONG_S = 25.0
PIRATED_CHAPTERS_PER_NOVEL = 2


@dataclass(frozen=True)
class Work:
    """A protected work: its title, kind and reference files."""

    title: str
    kind: str  # film, music, literature
    references: tuple[Path, ...]
    licensed_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expected:
    """An item a site serves and the work a sweep must find in it (``None``: nothing)."""

    site: str
    title: str
    kind: str
    work: str | None
    licensed: bool = False


@dataclass
class World:
    """Everything the benchmark serves and expects."""

    works: list[Work] = field(default_factory=list)
    specs: list[SiteSpec] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    # What the sites publish between the full and the incremental sweep.
    specs_after: list[SiteSpec] = field(default_factory=list)
    added: list[Expected] = field(default_factory=list)
    live_filler: Path | None = None
    live_programme: Path | None = None
    live_work: str | None = None

    @property
    def media_items(self) -> int:
        return sum(1 for e in self.expected if e.kind != "text")

    @property
    def text_items(self) -> int:
        return sum(1 for e in self.expected if e.kind == "text")

    @property
    def expected_after(self) -> list[Expected]:
        """What the incremental sweep must find: everything before, and what was added."""
        return [*self.expected, *self.added]


def _title(track: Track) -> str:
    stem = Path(track.file).stem.split("__")[-1]
    return " ".join(stem.replace("_", " ").replace("-", " ").split()).title()


def _pick(items: list[Track], count: int, rng: np.random.Generator) -> list[Track]:
    order = rng.permutation(len(items))
    return [items[int(i)] for i in order[: min(count, len(items))]]


class _Builder:
    def __init__(
        self, corpus: Path, work_dir: Path, seed: int, progress: ProgressFn, scale: Scale
    ) -> None:
        self.corpus = corpus
        self.scale = scale
        self.dir = work_dir
        self.rng = np.random.default_rng([seed, 6])
        self.seed = seed
        self.progress = progress
        self.world = World()
        self.sites: dict[str, list[SiteItem]] = {
            VIDEO_SITE: [],
            MUSIC_SITE: [],
            NOVEL_SITE: [],
            PLATFORM: [],
        }
        (work_dir / "copies").mkdir(parents=True, exist_ok=True)

    def serve(self, site: str, item: SiteItem, work: str | None, *, licensed: bool = False) -> None:
        self.sites[site].append(item)
        self.world.expected.append(Expected(site, item.title, item.kind, work, licensed))

    def copy(self, source: Path, name: str, transform: Transform) -> Path:
        return apply_transform(source, self.dir / "copies" / name, transform)

    def films(self) -> None:
        tracks, _ = read_manifest(self.corpus, kind=lambda k: k.startswith("video"))
        split = split_corpus(tracks, seed=self.seed, holdout=0.0, min_track_s=0.0)
        usable = [t for t in split.references if t.duration_s >= MIN_FILM_S]
        chosen = _pick(usable, self.scale.films, self.rng)
        names = {t.file for t in chosen}
        copies = [
            ("reencoded", Transform(scale=0.5, video_bitrate=250_000, audio_bitrate=64_000), False),
            ("excerpt", Transform(start_s=1.0, duration_s=10.0), True),
            ("faster", Transform(speed=1.05, scale=0.75), False),
        ]
        for n, track in enumerate(chosen):
            self.progress("pirated and licensed copies of films", n, len(chosen))
            title = f"Film {_title(track)}"
            licensed = (PLATFORM,) if n < 2 else ()
            self.world.works.append(Work(title, "film", (track.path,), licensed))
            label, transform, as_hls = copies[n % len(copies)]
            path = self.copy(track.path, f"film{n}-{label}.mp4", transform)
            self.serve(
                VIDEO_SITE, SiteItem(f"{title} 高清 {label}", "video", path, as_hls=as_hls), title
            )
            if licensed:
                official = self.copy(track.path, f"film{n}-official.mp4", Transform())
                self.serve(
                    PLATFORM, SiteItem(f"{title} 正版", "video", official), title, licensed=True
                )
        others = self.unrelated([t for t in split.references if t.file not in names])
        for n, track in enumerate(others):
            as_hls = n % 4 == 0
            self.serve(
                VIDEO_SITE,
                SiteItem(f"Clip {_title(track)}", "video", track.path, as_hls=as_hls),
                None,
            )
        for n in range(self.scale.synth_clips):
            self.progress("synthesised unrelated clips", n, self.scale.synth_clips)
            path = synth_video(self.dir / "copies" / f"vlog{n}.mp4", 7000 + n, 8.0, fps=15.0)
            self.serve(VIDEO_SITE, SiteItem(f"Vlog {n + 1}", "video", path), None)
        # The live stream: an unrelated programme on air, then a protected film.
        filler = self.dir / "copies" / "live-news.mp4"
        self.world.live_filler = synth_video(filler, 7900, self.scale.live_filler_s, fps=15.0)
        self.world.live_programme = chosen[-1].path if chosen else None
        self.world.live_work = f"Film {_title(chosen[-1])}" if chosen else None

    def songs(self) -> None:
        tracks, _ = read_manifest(self.corpus, kind=lambda k: k.startswith("audio"))
        split = split_corpus(tracks, seed=self.seed, holdout=0.0, min_track_s=0.0)
        usable = [t for t in split.references if t.duration_s >= MIN_SONG_S]
        chosen = _pick(usable, self.scale.songs, self.rng)
        names = {t.file for t in chosen}
        copies = [
            ("mp3-64k", ".mp3", Transform(audio_bitrate=64_000)),
            ("excerpt", ".m4a", Transform(start_s=5.0, duration_s=20.0)),
            ("faster", ".mp3", Transform(speed=1.03, duration_s=40.0)),
        ]
        for n, track in enumerate(chosen):
            self.progress("pirated and licensed copies of songs", n, len(chosen))
            title = f"Song {_title(track)}"
            licensed = (PLATFORM,) if n < 2 else ()
            self.world.works.append(Work(title, "music", (track.path,), licensed))
            label, suffix, transform = copies[n % len(copies)]
            path = self.copy(track.path, f"song{n}-{label}{suffix}", transform)
            self.serve(MUSIC_SITE, SiteItem(f"{title} 无损 {label}", "audio", path), title)
            if licensed:
                official = self.copy(track.path, f"song{n}-official.m4a", Transform())
                self.serve(
                    PLATFORM, SiteItem(f"{title} 正版", "audio", official), title, licensed=True
                )
        for track in self.unrelated([t for t in split.references if t.file not in names]):
            self.serve(MUSIC_SITE, SiteItem(f"Track {_title(track)}", "audio", track.path), None)

    def novels(self) -> None:
        tracks, _ = read_manifest(self.corpus, kind=lambda k: k.startswith("text"))
        texts: list[tuple[Track, str]] = []
        for track in sorted(tracks, key=lambda t: t.file):
            try:
                texts.append((track, read_text_file(track.path)))
            except MediaError as exc:
                log.warning("skipping %s: %s", track.file, exc)
        # Bible books share verses with one another: none is made a protected work, so a
        # passage quoted in two of them never counts as a false detection.
        eligible = [i for i, (t, _) in enumerate(texts) if "kjv" not in t.file]
        chosen = {
            eligible[int(i)] for i in self.rng.permutation(len(eligible))[: self.scale.novels]
        }
        to_traditional = opencc.OpenCC("s2t")
        unrelated = {i for i, _ in enumerate(texts) if i not in chosen}
        if self.scale.unrelated_limit is not None:
            unrelated = set(sorted(unrelated)[: self.scale.unrelated_limit])
        for i, (track, text) in enumerate(texts):
            if i not in chosen and i not in unrelated:
                continue
            title = f"Book {_title(track)}"
            chapters = cut_chapters(text, self.rng)
            if i in chosen:
                ref = self.dir / "copies" / f"book{i}.txt"
                ref.write_text(text, encoding="utf-8")
                self.world.works.append(Work(title, "literature", (ref,)))
                for n, chapter in enumerate(chapters[:PIRATED_CHAPTERS_PER_NOVEL]):
                    served = to_traditional.convert(chapter) if n % 2 else chapter
                    item = SiteItem(f"{title} 第{n + 1}章", "text", text=served, group=title)
                    self.serve(NOVEL_SITE, item, title)
                continue
            for n, chapter in enumerate(chapters):
                item = SiteItem(f"{title} 第{n + 1}章", "text", text=chapter, group=title)
                self.serve(NOVEL_SITE, item, None)

    def unrelated(self, tracks: list[Track]) -> list[Track]:
        """The corpus items served as unrelated content (all of them, or a quick run's few)."""
        limit = self.scale.unrelated_limit
        return tracks if limit is None else tracks[:limit]

    def additions(self) -> dict[str, list[tuple[SiteItem, str | None]]]:
        """New items each pirate site publishes after the first sweep: one more pirated copy
        and one unrelated item."""
        films = [w for w in self.world.works if w.kind == "film"]
        songs = [w for w in self.world.works if w.kind == "music"]
        novels = [w for w in self.world.works if w.kind == "literature"]
        new: dict[str, list[tuple[SiteItem, str | None]]] = {}
        if films:
            work = films[0]
            path = self.copy(work.references[0], "film-new-crop.mp4", Transform(crop=0.1))
            vlog = synth_video(self.dir / "copies" / "vlog-new.mp4", 7999, 8.0, fps=15.0)
            new[VIDEO_SITE] = [
                (SiteItem(f"{work.title} 抢先版", "video", path), work.title),
                (SiteItem("Vlog new", "video", vlog), None),
            ]
        if songs:
            work = songs[-1]
            path = self.copy(
                work.references[0], "song-new.mp3", Transform(start_s=2.0, duration_s=25.0)
            )
            other = self.copy(
                self.world.live_filler or path, "news-audio.m4a", Transform(duration_s=15.0)
            )
            new[MUSIC_SITE] = [
                (SiteItem(f"{work.title} 新歌首发", "audio", path), work.title),
                (SiteItem("Podcast new", "audio", other), None),
            ]
        if novels:
            work = novels[0]
            text = read_text_file(work.references[0])
            chapters = cut_chapters(text, self.rng)
            chapter = chapters[-1]
            unrelated = synth_prose(7998, lang="zh", n_chapters=1, chapter_chars=3000)[0]
            new[NOVEL_SITE] = [
                (
                    SiteItem(f"{work.title} 最新章", "text", text=chapter, group=work.title),
                    work.title,
                ),
                (SiteItem("小镇故事 第1章", "text", text=unrelated, group="小镇故事"), None),
            ]
        return new

    def specs(self) -> list[SiteSpec]:
        titles: dict[str, tuple[SiteKind, str]] = {
            VIDEO_SITE: ("video", "免费高清影院 FreeHD Cinema"),
            MUSIC_SITE: ("music", "好歌免费听 FreeTunes"),
            NOVEL_SITE: ("literature", "笔趣小说网"),
            PLATFORM: ("platform", "正版视听 Licensed Stream"),
        }
        return [
            SiteSpec(name, kind, title, self.sites[name]) for name, (kind, title) in titles.items()
        ]


def build_world(
    corpus: Path, work_dir: Path, *, seed: int, progress: ProgressFn, scale: Scale = FULL
) -> World:
    """Choose the works, make the copies, and lay out the four sites (see the module)."""
    if not (corpus / "MANIFEST.csv").is_file():
        raise UserError(f"{corpus}: not a corpus folder (no MANIFEST.csv)")
    builder = _Builder(corpus, work_dir, seed, progress, scale)
    builder.films()
    builder.songs()
    builder.novels()
    world = builder.world
    world.specs = builder.specs()
    additions = builder.additions()
    for spec in world.specs:
        extra = additions.get(spec.name, [])
        world.specs_after.append(
            SiteSpec(spec.name, spec.kind, spec.title, [*spec.items, *(i for i, _ in extra)])
        )
        for item, work in extra:
            world.added.append(Expected(spec.name, item.title, item.kind, work))
    return world
