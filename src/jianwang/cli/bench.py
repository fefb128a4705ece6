"""``jianwang bench``: benchmarks that print their figures against targets and write JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from jianwang.bench import discovery as discovery_bench
from jianwang.bench import monitor as monitor_bench
from jianwang.bench import scale as scale_bench
from jianwang.bench import text as text_bench
from jianwang.bench.audio import (
    FALSE_MATCH_TARGET,
    INDEX_BYTES_PER_HOUR_TARGET,
    INDEX_SPEED_TARGET,
    MIN_NEGATIVE_QUERIES,
    PEERS,
    QUERY_MS_TARGET,
    AudioBenchResult,
    duration_label,
    recall_target,
    run_audio_bench,
)
from jianwang.bench.report import Row, percent, results_table, verdict, write_json
from jianwang.bench.scale_plan import ProjectionInputs
from jianwang.bench.video import (
    BYTES_PER_HOUR_TARGET,
    DETECTION_TARGETS,
    FALSE_POSITIVE_TARGET,
    LOOKUP_AT_FRAMES,
    LOOKUP_MS_TARGET,
    PEER_NAMES,
    SEGMENT_IOU_TARGET,
    X_REALTIME_480P_TARGET,
    X_REALTIME_1080P_TARGET,
    VideoBenchResult,
    run_video_bench,
)
from jianwang.bench.video import PEERS as PEERS_VIDEO
from jianwang.cli.output import JsonFlag, console
from jianwang.errors import UserError

app = typer.Typer(help="Benchmarks against the project's targets.", no_args_is_help=True)


class _Bar:
    """A rich progress bar on standard error, one line per stage of a benchmark."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(task, completed=done, total=total)


CorpusOption = Annotated[
    Path,
    typer.Option(
        "--corpus",
        help="Corpus folder with MANIFEST.csv and the media it lists (read only).",
        metavar="DIR",
    ),
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Where to write the JSON results.", metavar="FILE.json")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the split and the queries.")]


@app.command("audio")
def audio(
    corpus: CorpusOption,
    out: OutOption,
    seed: SeedOption = 2026,
    quick: Annotated[
        bool, typer.Option("--quick", help="A smoke run: about a tenth of the queries.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Audio identification: recall@1 under noise, codecs, speed, pitch and tempo changes;
    false matches on held-back music; indexing and query costs."""
    if not corpus.is_dir():
        raise UserError(f"{corpus}: no such corpus folder")
    with _progress() as progress:
        result = run_audio_bench(corpus, seed=seed, quick=quick, progress=_Bar(progress))
    _finish(result.to_json(), audio_tables(result), out, as_json=as_json)


def _progress() -> Progress:
    """A transient progress display on standard error (the tables go to standard output)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=Console(stderr=True), transient=True)


def _finish(document: dict[str, Any], tables: list[Table], out: Path, *, as_json: bool) -> None:
    """Write the JSON file, then print the document (``--json``) or the tables."""
    written = write_json(out, document)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    screen = console()
    for table in tables:
        screen.print(table)
    screen.print(f"wrote {written}")


def _pair(values: Sequence[float | None]) -> str:
    """``99/98``: one figure per excerpt length, in percent, as the issue quotes them."""
    return "/".join(percent(v) for v in values)


def _recall_row(result: AudioBenchResult, name: str) -> Row:
    durations = result.settings.durations_s
    scores = [result.score(name, d) for d in durations]
    targets = [recall_target(name, d) for d in durations]
    speeds = [s.mean_speed for s in scores if s is not None and s.mean_speed is not None]
    cells = (
        name,
        *(percent(None if s is None else s.recall) for s in scores),
        _pair([None if t is None else t.bound for t in targets]) if any(targets) else "-",
        _pair([None if s is None else s.offset_accuracy for s in scores]),
        f"{np.mean(speeds):.3f}" if speeds else "-",
        *(_pair(PEERS[p][name]) if name in PEERS[p] else "-" for p in PEERS),
    )
    met = [
        None if t is None or s is None else t.met(s.recall)
        for t, s in zip(targets, scores, strict=True)
    ]
    return Row(cells, verdict(*met))


def audio_tables(result: AudioBenchResult) -> list[Table]:
    """The recall table (per condition, against targets and peers) and the costs table."""
    labels = [duration_label(d) for d in result.settings.durations_s]
    columns = ["condition", *labels, "target", "offset ok", "speed", *PEERS]
    title = (
        f"Audio recall@1, % — {result.signal} v{result.signal_version}, seed {result.seed}"
        f"{', quick' if result.quick else ''} ({'/'.join(labels)} excerpts; offset ok: % of the "
        "correct answers at the right place)"
    )
    rows = [_recall_row(result, name) for name in result.settings.conditions]
    checks = result.checks()
    rate, q10, index = result.false_match_rate, result.query_ms_10s, result.index
    found = f"{len(result.false_matches)}/{result.negative_queries}"
    tracks = f"{len(result.split.references)} references, {len(result.split.negatives)} negatives"
    costs = [
        Row(
            (
                "false match rate",
                "-" if rate is None else f"{rate:.4f} ({found})",
                f"{FALSE_MATCH_TARGET.describe()} of ≥ {MIN_NEGATIVE_QUERIES}",
            ),
            checks["false_match_rate"],
        ),
        Row(
            (
                "indexing, x realtime/core",
                f"{index.x_realtime_per_core:.0f}",
                INDEX_SPEED_TARGET.describe(),
            ),
            checks["index_x_realtime_per_core"],
        ),
        Row(
            (
                "query CPU ms, 10 s",
                "-" if q10 is None else f"{q10:.1f}",
                QUERY_MS_TARGET.describe(),
            ),
            checks["query_ms_10s"],
        ),
        Row(
            (
                "index per hour of audio",
                f"{index.bytes_per_hour / 1e6:.2f} MB",
                f"≤ {INDEX_BYTES_PER_HOUR_TARGET.bound / 1e6:g} MB",
            ),
            checks["index_bytes_per_hour"],
        ),
        Row(("peak RSS", f"{result.peak_rss_mb:.0f} MiB", "-")),
        Row(("queries", f"{result.queries}", "-")),
        Row(("tracks", tracks, "-")),
        Row(("run time", f"{result.wall_s:.0f} s wall, {result.cpu_s:.0f} s CPU", "-")),
    ]
    return [
        results_table(title, columns, rows),
        results_table("Audio costs", ["figure", "measured", "target"], costs),
    ]


@app.command("video")
def video(
    corpus: CorpusOption,
    out: OutOption,
    seed: SeedOption = 2026,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="A smoke run: three references, every transform."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Video copy detection: copies found under re-encoding, flips, crops, overlays, letterbox,
    camcorder, picture in picture, embedding, colour and speed changes; false positives on
    held-back and synthetic video; fingerprinting speed, index size and lookup time."""
    if not corpus.is_dir():
        raise UserError(f"{corpus}: no such corpus folder")
    with _progress() as progress:
        result = run_video_bench(corpus, seed=seed, quick=quick, progress=_Bar(progress))
    _finish(result.to_json(), video_tables(result), out, as_json=as_json)


def _fraction(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def video_tables(result: VideoBenchResult) -> list[Table]:
    """The detection table (per transform, against targets and peers) and the costs table."""
    columns = ["transform", "detected", "copies", "target", "IoU", *PEER_NAMES]
    title = (
        f"Video copies detected — {result.signal} v{result.signal_version}, seed {result.seed}"
        f"{', quick' if result.quick else ''} (fraction of copies whose top match is the right "
        "reference; peers: copies detected out of 6)"
    )
    rows = []
    for s in result.scores:
        target = DETECTION_TARGETS.get(s.transform)
        cells = (
            s.transform,
            _fraction(s.rate),
            f"{s.detected}/{s.queries}",
            "-" if target is None else target.describe("{:.2f}"),
            _fraction(s.mean_iou),
            *(_fraction(PEERS_VIDEO[p].get(s.transform)) for p in PEER_NAMES),
        )
        rows.append(Row(cells, s.passed))
    checks = result.checks()
    rate, lookup, index = result.false_positive_rate, result.lookup, result.index
    fp = f"{len(result.false_positives)}/{len(result.negatives)} queries"
    pairs = f"{result.false_positive_pairs}/{result.unrelated_pairs} pairs"

    def speed(label: str) -> str:
        cost = next((s for s in result.speed if s.label == label), None)
        if cost is None:
            return "-"
        return (
            f"{cost.x_realtime:.0f} ({cost.processes} processes; "
            f"{cost.x_realtime_per_cpu_s:.0f} per CPU s)"
        )

    costs = [
        Row(
            (
                "false positives",
                "-" if rate is None else f"{rate:.3f} ({fp}, {pairs})",
                FALSE_POSITIVE_TARGET.describe(),
            ),
            checks["false_positive_rate"],
        ),
        Row(
            (
                "segment IoU (embedded, letterbox)",
                _fraction(result.segment_iou),
                SEGMENT_IOU_TARGET.describe(),
            ),
            checks["segment_iou"],
        ),
        Row(
            ("x realtime, 1080p", speed("1080p"), X_REALTIME_1080P_TARGET.describe()),
            checks["x_realtime_1080p"],
        ),
        Row(
            ("x realtime, 480p", speed("480p"), X_REALTIME_480P_TARGET.describe()),
            checks["x_realtime_480p"],
        ),
        Row(
            (
                "index per hour of video",
                f"{index.bytes_per_hour / 1e3:.0f} KB",
                f"≤ {BYTES_PER_HOUR_TARGET.bound / 1e3:g} KB",
            ),
            checks["bytes_per_hour"],
        ),
        Row(
            (
                f"lookup ms/frame at {LOOKUP_AT_FRAMES / 1e6:g} M frames",
                "-"
                if lookup is None
                else f"{lookup.ms_per_frame:.1f} (measured "
                + ", ".join(f"{ms:.2f} at {n / 1e6:g} M" for n, ms in lookup.measured())
                + f"; ≤ {lookup.proportional_ms_per_frame:.1f} scaled in proportion)",
                LOOKUP_MS_TARGET.describe(),
            ),
            checks["lookup_ms_per_frame"],
        ),
        Row(("peak RSS", f"{result.peak_rss_mb:.0f} MiB", "-")),
        Row(("queries", f"{len(result.outcomes)} ({result.errors} failed)", "-")),
        Row(
            (
                "clips",
                f"{index.clips} references ({index.video_s:.0f} s, {index.frames} frames; "
                f"{len(index.not_self_matched)} not found by their own fingerprint), "
                f"{len(result.split.negatives)} held back",
                "-",
            )
        ),
        Row(("run time", f"{result.wall_s:.0f} s wall, {result.cpu_s:.0f} s CPU", "-")),
    ]
    return [
        results_table(title, columns, rows),
        results_table("Video costs", ["figure", "measured", "target"], costs),
    ]


@app.command("text")
def text(
    corpus: CorpusOption,
    out: OutOption,
    seed: SeedOption = 2026,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="A smoke run: three texts per language, every transform."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Literature: chapters found in pirate pages (boilerplate, reflowing, spam lines,
    traditional characters, replaced characters, excerpts, joined chapters), false positives on
    held-back texts, span error, throughput and index size, beside MinHash LSH on the same
    queries."""
    if not corpus.is_dir():
        raise UserError(f"{corpus}: no such corpus folder")
    with _progress() as progress:
        result = text_bench.run_text_bench(corpus, seed=seed, quick=quick, progress=_Bar(progress))
    _finish(result.to_json(), text_tables(result), out, as_json=as_json)


def text_tables(result: text_bench.TextBenchResult) -> list[Table]:
    """The recall table (per transform, against targets and the peer) and the costs table."""
    checks = result.checks()
    title = (
        f"Chapters found — {result.signal} v{result.signal_version}, seed {result.seed}"
        f"{', quick' if result.quick else ''}, {result.chapters} chapters indexed"
    )
    rows = []
    for name in text_bench.TRANSFORMS:
        peer = result.recall(name, peer=True) if result.peer_available else None
        cells = (
            name,
            _fraction(result.recall(name)),
            str(len(result.of_kind(name))),
            text_bench.RECALL_TARGETS[name].describe("{:.2f}"),
            _fraction(peer),
        )
        rows.append(Row(cells, verdict(checks[f"recall_{name}"], checks[f"not_below_peer_{name}"])))
    rate = result.false_positive_rate()
    peer_speed = result.mb_per_s(peer=True) if result.peer_available else None
    costs = [
        Row(
            (
                "false positives",
                "-" if rate is None else f"{rate:.3f} of {len(result.negatives_run)} queries",
                text_bench.FALSE_POSITIVE_TARGET.describe(),
            ),
            checks["false_positive_rate"],
        ),
        Row(
            (
                "span error (reference characters)",
                "-" if result.span_error_chars is None else f"{result.span_error_chars:.1f}",
                text_bench.SPAN_ERROR_TARGET.describe(),
            ),
            checks["span_error_chars"],
        ),
        Row(
            (
                "MB per CPU second, extraction included",
                f"{result.mb_per_s() or 0:.2f} ({text_bench.PEER}: "
                f"{'-' if peer_speed is None else f'{peer_speed:.2f}'})",
                text_bench.THROUGHPUT_TARGET.describe(),
            ),
            checks["mb_per_s_per_core"],
        ),
        Row(
            (
                "page furniture kept by extraction (verbatim pages)",
                "-" if result.furniture_share is None else f"{result.furniture_share:.1%}",
                "-",
            ),
            None,
        ),
        Row(
            (
                "index bytes per MB of text",
                f"{(result.index_bytes_per_mb or 0) / 1e6:.2f} MB",
                "-",
            ),
            None,
        ),
    ]
    return [
        results_table(title, ["transform", "recall", "queries", "target", text_bench.PEER], rows),
        results_table("Text costs", ["figure", "measured", "target"], costs),
    ]


@app.command("monitor")
def monitor(
    corpus: CorpusOption,
    out: OutOption,
    seed: SeedOption = 2026,
    live: Annotated[
        bool, typer.Option("--live/--no-live", help="Also watch the live channel (about 1 min).")
    ] = True,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="A smoke run: a few items of each kind (size not judged)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Monitoring: sweep a sandbox of pirate video, music and novel sites and a licensed
    platform (200+ pages, 100+ media items) in full, then incrementally after new items are
    published; watch a live HLS channel that puts a protected film on air at a known moment.
    Reports detections against the planted answers, refetches, live latency and where the
    time goes."""
    if not corpus.is_dir():
        raise UserError(f"{corpus}: no such corpus folder")
    with _progress() as progress:
        result = monitor_bench.run_monitor_bench(
            corpus, seed=seed, progress=_Bar(progress), live=live, quick=quick
        )
    _finish(result.to_json(), monitor_tables(result), out, as_json=as_json)


def monitor_tables(result: monitor_bench.MonitorBenchResult) -> list[Table]:
    """Detections per sweep and live, then costs and where the time goes."""
    checks = result.checks()
    live = result.live
    rows = [
        Row(
            (
                f"{sweep.label} sweep",
                f"{sweep.correct}/{sweep.expected}",
                str(sweep.false),
                f"{sweep.pages} pages, {sweep.captures_new} new captures, "
                f"{sweep.media_unchanged} media unchanged",
            ),
            verdict(checks[f"every_detection_{sweep.label}"], sweep.false == 0),
        )
        for sweep in (result.full, result.incremental)
    ]
    if live is not None:
        rows.append(
            Row(
                (
                    "live channel",
                    f"{int(live.detected)}/1",
                    str(live.false_detections),
                    "-" if live.latency_s is None else f"{live.latency_s:.1f} s after on air",
                ),
                verdict(live.detected, live.false_detections == 0, checks["live_latency"]),
            )
        )
    refetch = result.refetch_fraction
    full = result.full
    costs = [
        Row(
            (
                "refetched, unchanged items",
                "-"
                if refetch is None
                else f"{refetch:.3f} ({result.refetched_items}/{result.unchanged_items})",
                monitor_bench.REFETCH_TARGET.describe(),
            ),
            checks["refetch_fraction"],
        ),
        Row(
            (
                "live latency, s",
                "-" if live is None or live.latency_s is None else f"{live.latency_s:.1f}",
                monitor_bench.LIVE_LATENCY_TARGET.describe(),
            ),
            checks["live_latency"],
        ),
        Row(("pages per minute", f"{result.pages_per_min:.0f}", "-"), None),
        Row(("media hours per hour", f"{result.media_hours_per_hour:.0f}", "-"), None),
        Row(
            (
                "CPU s per item",
                "-" if result.cpu_s_per_item is None else f"{result.cpu_s_per_item:.2f}",
                "-",
            ),
            None,
        ),
        Row(
            (
                "crawl / decode and match",
                f"{full.crawl_s:.0f} s / {full.handling_s:.0f} s",
                "decode-bound",
            ),
            full.handling_s >= full.crawl_s,
        ),
        Row(
            (
                "sandbox pages (p), media (m)",
                f"{full.pages} p, {result.media_items} m",
                f"≥ {monitor_bench.MIN_PAGES} p, ≥ {monitor_bench.MIN_MEDIA_ITEMS} m",
            ),
            verdict(checks["pages_at_least_200"], checks["media_items_at_least_100"]),
        ),
    ]
    return [
        results_table(
            f"Monitoring — seed {result.seed}, {result.works} protected works"
            f"{', quick' if result.quick else ''}",
            ["run", "detections", "false", "notes"],
            rows,
        ),
        results_table("Monitoring costs", ["figure", "measured", "target"], costs),
    ]


@app.command("discovery")
def discovery(
    out: OutOption,
    seed: SeedOption = 2026,
    as_json: JsonFlag = False,
) -> None:
    """Beyond the registry: title matches (with dodges) on link sites, a forum, a torrent index,
    a shop and a news site, share links, magnets and torrents captured, a pirate site's move to
    a new domain linked, and ICP filing numbers extracted, against the sandbox's answer key."""
    with _progress() as progress:
        result = discovery_bench.run_discovery_bench(seed=seed, progress=_Bar(progress))
    _finish(result.to_json(), discovery_tables(result), out, as_json=as_json)


def discovery_tables(result: discovery_bench.DiscoveryBenchResult) -> list[Table]:
    """Titles per dodge, then links, hops and filing numbers against the targets."""
    checks = result.checks()
    rows = [
        Row(
            (
                note,
                str(stats["tp"]),
                str(stats["fn"]),
                str(stats["fp"]),
                str(stats["tn"]),
            ),
            None,
        )
        for note, stats in sorted(result.by_note.items())
    ]
    figures = [
        Row(
            (
                "title precision / recall",
                f"{_fraction(result.precision)} / {_fraction(result.recall)}",
                f"{discovery_bench.PRECISION_TARGET.describe('{:.2f}')} / "
                f"{discovery_bench.RECALL_TARGET.describe('{:.2f}')}",
            ),
            verdict(checks["title_precision"], checks["title_recall"]),
        ),
        Row(
            (
                "pages with a title detection (precision / recall)",
                f"{_fraction(result.page_precision)} / {_fraction(result.page_recall)}",
                "-",
            ),
            None,
        ),
        Row(
            ("domain hops linked", f"{result.hops_linked}/{result.hops_total}", "all"),
            checks["every_hop_linked"],
        ),
        Row(
            ("ICP numbers extracted", f"{result.icp_extracted}/{result.icp_total}", "all"),
            checks["every_icp_extracted"],
        ),
        Row(
            (
                "share links / magnets / torrents captured",
                f"{result.shares_found}/{result.shares_total}, "
                f"{result.magnets_found}/{result.magnets_total}, "
                f"{result.torrents_found}/{result.torrents_total}",
                "-",
            ),
            None,
        ),
    ]
    return [
        results_table(
            f"Title spots by dodge — seed {result.seed}",
            ["spots", "found", "missed", "false", "rightly left"],
            rows,
        ),
        results_table("Discovery", ["figure", "measured", "target"], figures),
    ]


@app.command("scale")
def scale(
    corpus: CorpusOption,
    out: OutOption,
    seed: SeedOption = 2026,
    quick: Annotated[
        bool, typer.Option("--quick", help="A smoke run on the monitor bench's small world.")
    ] = False,
    video_sites: Annotated[int, typer.Option(help="Video sites projected.")] = 20,
    music_sites: Annotated[int, typer.Option(help="Music sites projected.")] = 12,
    video_items: Annotated[
        float, typer.Option("--video-items-per-site-day", help="New video items a site a day.")
    ] = 200.0,
    music_items: Annotated[
        float, typer.Option("--music-items-per-site-day", help="New music items a site a day.")
    ] = 300.0,
    video_min: Annotated[float, typer.Option(help="Mean video item length, minutes.")] = 45.0,
    music_min: Annotated[float, typer.Option(help="Mean music item length, minutes.")] = 4.0,
    protection_hours: Annotated[
        float, typer.Option(help="Hours of reference media on the protection list.")
    ] = 5000.0,
    utilisation: Annotated[
        float, typer.Option(help="Target CPU utilisation of the worker cores (0-1].")
    ] = 0.6,
    as_json: JsonFlag = False,
) -> None:
    """Pipeline throughput: sweep every sandbox site as Dask jobs on 1, then 2 worker
    processes; CPU per step, lost jobs and duplicates from the database, and the cores and
    storage projected for the given deployment."""
    if not corpus.is_dir():
        raise UserError(f"{corpus}: no such corpus folder")
    if not 0 < utilisation <= 1:
        raise UserError("--utilisation: give a fraction above 0, at most 1")
    inputs = ProjectionInputs(
        video_sites=video_sites,
        music_sites=music_sites,
        video_items_per_site_day=video_items,
        music_items_per_site_day=music_items,
        video_item_min=video_min,
        music_item_min=music_min,
        protection_hours=protection_hours,
        utilisation=utilisation,
    )
    with _progress() as progress:
        document = scale_bench.run_scale_bench(
            corpus, seed=seed, progress=_Bar(progress), quick=quick, inputs=inputs
        )
    _finish(document, scale_tables(document), out, as_json=as_json)


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def scale_tables(document: dict[str, Any]) -> list[Table]:
    """Throughput and integrity of both runs, then the projection with its inputs."""
    one, two = document["runs"]["1w"], document["runs"]["2w"]
    cpu = document["cpu_s_per_step"]
    runs = [
        Row(("wall s", _figure(one["wall_s"]), _figure(two["wall_s"])), None),
        Row(("captures", str(one["captures"]), str(two["captures"])), None),
        Row(
            (
                "items per min",
                _figure(document["items_per_min_1w"]),
                _figure(document["items_per_min_2w"]),
            ),
            None,
        ),
        Row(
            ("worker processes used", str(one["worker_processes"]), str(two["worker_processes"])),
            None,
        ),
        Row(("CPU s (workers + decoders)", _figure(one["cpu_s"]), _figure(two["cpu_s"])), None),
        Row(
            ("lost jobs", str(one["lost_jobs"]), str(two["lost_jobs"])),
            one["lost_jobs"] == 0 and two["lost_jobs"] == 0,
        ),
        Row(
            (
                "duplicate detections / captures",
                f"{one['duplicate_detections']} / {one['duplicate_captures']}",
                f"{two['duplicate_detections']} / {two['duplicate_captures']}",
            ),
            document["duplicate_detections"] == 0 and document["duplicate_captures"] == 0,
        ),
        Row(
            ("same detections 1w / 2w", str(one["detections"]), str(two["detections"])),
            document["same_detections_1w_2w"],
        ),
    ]
    costs = [
        Row(("CPU s per sweep job", _figure(cpu["sweep"])), None),
        Row(("CPU s per captured item", _figure(cpu["per_item"])), None),
        Row(("decoder share of CPU", percent(cpu["decoder_children_share"])), None),
        Row(("fetch / record+match wall s",
             f"{_figure(cpu['fetch_wall_s'])} / {_figure(cpu['record_match_wall_s'])}"), None),
        Row(("speed-up, 2 workers", _figure(document["speedup_2w"])), None),
    ]  # fmt: skip
    projection = document["projection"]
    rows = [Row((f"input {k}", _figure(v), "")) for k, v in projection["inputs"].items()]
    for kind in ("video", "music"):
        for k, v in projection["measured"][kind].items():
            rows.append(Row((f"measured {kind} {k}", _figure(v), "")))
    for k, v in projection["measured"].items():
        if not isinstance(v, dict):
            rows.append(Row((f"measured {k}", _figure(v), "")))
    sampled, whole = projection["sampled_streams"], projection["whole_files"]
    rows += [Row((k, _figure(v), _figure(whole[k]))) for k, v in sampled.items()]
    return [
        results_table(
            f"Pipeline scale — {', '.join(document['sites'])} ({document['note']})",
            ["figure", "1 worker", "2 workers"],
            runs,
        ),
        results_table("Per-step costs (1-worker run)", ["figure", "measured"], costs),
        results_table(
            "Capacity projection", ["figure", "long streams sampled", "fetched whole"], rows
        ),
    ]
