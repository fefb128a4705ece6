"""The capacity projection of ``jianwang bench scale``: from figures measured on the sandbox to
the cores, storage and index a real deployment needs.

Kept apart from the harness, as pure arithmetic on a few measured figures, so every formula can
be checked by hand and tested without running a benchmark. The formulas:

- CPU seconds per item of a kind = measured CPU s per captured item of that kind ×
  (effective seconds of a real item / the benchmark's mean item seconds of that kind): the cost
  is taken as linear in the media decoded, which is what fingerprinting spends it on.
- effective seconds = the item's length, except for a stream longer than
  ``stream_sample_over_s``, which is sampled: ``stream_sample_windows × stream_sample_window_s``
  seconds are fetched and decoded (``pipeline.sweep``). Both cases are projected, because a
  site that serves plain files is downloaded and decoded whole.
- worker cores = Σ kinds (sites × items/site/day × CPU s per item) / (86,400 × utilisation).
- capture storage per day = measured capture bytes per media hour × media hours captured a day
  (effective seconds, so a sampled stream stores only its samples).
- evidence storage per day = measured artefact bytes per captured item × items a day.
- index size = measured index bytes per reference hour × hours on the protection list.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class ProjectionInputs:
    """The deployment projected (defaults: a provincial monitoring centre's brief)."""

    video_sites: int = 20
    music_sites: int = 12
    video_items_per_site_day: float = 200.0
    music_items_per_site_day: float = 300.0
    video_item_min: float = 45.0
    music_item_min: float = 4.0
    protection_hours: float = 5_000.0
    utilisation: float = 0.6
    stream_sample_over_s: float = 900.0
    stream_sample_windows: int = 5
    stream_sample_window_s: float = 60.0


@dataclass(frozen=True)
class KindCost:
    """What the benchmark measured for one kind of media (video or music)."""

    cpu_s_per_item: float
    mean_item_s: float
    items: int

    @property
    def cpu_s_per_media_s(self) -> float:
        return self.cpu_s_per_item / self.mean_item_s if self.mean_item_s > 0 else 0.0


@dataclass(frozen=True)
class Measured:
    """The benchmark's figures the projection is computed from."""

    video: KindCost
    music: KindCost
    capture_bytes_per_media_hour: float
    evidence_bytes_per_item: float
    index_bytes_per_reference_hour: float


def effective_seconds(length_s: float, inputs: ProjectionInputs, *, sampled: bool) -> float:
    """Seconds of an item actually fetched and decoded: all of it, or the samples of a stream
    long enough to be sampled."""
    if sampled and length_s > inputs.stream_sample_over_s:
        return min(length_s, inputs.stream_sample_windows * inputs.stream_sample_window_s)
    return length_s


def _kind(
    name: str,
    sites: int,
    per_site_day: float,
    item_min: float,
    cost: KindCost,
    inputs: ProjectionInputs,
    sampled: bool,
) -> dict[str, float]:
    items_day = sites * per_site_day
    seconds = effective_seconds(item_min * 60.0, inputs, sampled=sampled)
    scale = seconds / cost.mean_item_s if cost.mean_item_s > 0 else 0.0
    cpu_per_item = cost.cpu_s_per_item * scale
    return {
        f"{name}_items_per_day": items_day,
        f"{name}_effective_s_per_item": seconds,
        f"{name}_cpu_s_per_item": cpu_per_item,
        f"{name}_cpu_s_per_day": items_day * cpu_per_item,
        f"{name}_media_hours_per_day": items_day * seconds / 3600.0,
    }


def project(
    measured: Measured, inputs: ProjectionInputs, *, sampled: bool = True
) -> dict[str, float]:
    """Cores and storage for ``inputs`` from ``measured`` (formulas in the module docstring)."""
    figures = {
        **_kind(
            "video",
            inputs.video_sites,
            inputs.video_items_per_site_day,
            inputs.video_item_min,
            measured.video,
            inputs,
            sampled,
        ),
        **_kind(
            "music",
            inputs.music_sites,
            inputs.music_items_per_site_day,
            inputs.music_item_min,
            measured.music,
            inputs,
            sampled,
        ),
    }
    cpu_day = figures["video_cpu_s_per_day"] + figures["music_cpu_s_per_day"]
    hours_day = figures["video_media_hours_per_day"] + figures["music_media_hours_per_day"]
    items_day = figures["video_items_per_day"] + figures["music_items_per_day"]
    cores = cpu_day / (SECONDS_PER_DAY * inputs.utilisation)
    figures.update(
        cpu_s_per_day=cpu_day,
        worker_cores=cores,
        worker_cores_whole=float(math.ceil(cores)) if cores > 0 else 0.0,
        capture_gb_per_day=measured.capture_bytes_per_media_hour * hours_day / 1e9,
        evidence_gb_per_day=measured.evidence_bytes_per_item * items_day / 1e9,
        index_gb=measured.index_bytes_per_reference_hour * inputs.protection_hours / 1e9,
    )
    return figures


def projection_document(measured: Measured, inputs: ProjectionInputs) -> dict[str, Any]:
    """The ``projection`` JSON block: every input, every measured figure used, both results
    (long streams sampled, and every item fetched whole) and the formulas in words."""
    return {
        "inputs": asdict(inputs),
        "measured": {
            "video": {
                **asdict(measured.video),
                "cpu_s_per_media_s": measured.video.cpu_s_per_media_s,
            },
            "music": {
                **asdict(measured.music),
                "cpu_s_per_media_s": measured.music.cpu_s_per_media_s,
            },
            "capture_bytes_per_media_hour": measured.capture_bytes_per_media_hour,
            "evidence_bytes_per_item": measured.evidence_bytes_per_item,
            "index_bytes_per_reference_hour": measured.index_bytes_per_reference_hour,
        },
        "sampled_streams": project(measured, inputs, sampled=True),
        "whole_files": project(measured, inputs, sampled=False),
        "formulas": FORMULAS,
    }


FORMULAS = {
    "cpu_s_per_item": "measured cpu_s_per_item[kind] * effective_s / measured mean_item_s[kind]",
    "effective_s": "item length, or windows * window_s for a stream longer than sample_over_s "
    "(sampled_streams only)",
    "worker_cores": "sum(sites * items_per_site_day * cpu_s_per_item) / (86400 * utilisation)",
    "capture_gb_per_day": "capture_bytes_per_media_hour * media_hours_per_day / 1e9",
    "evidence_gb_per_day": "evidence_bytes_per_item * items_per_day / 1e9",
    "index_gb": "index_bytes_per_reference_hour * protection_hours / 1e9",
}
