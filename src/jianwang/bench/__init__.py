"""Benchmarks: how well and how cheaply Jianwang finds copies, measured against stated targets.

Each benchmark is a plain function over a corpus folder returning a result dataclass with a
``to_json()``; ``report`` holds what they share (atomic JSON, tables of results against targets,
CPU and memory measurement). The ``jianwang bench`` commands only parse options and print.
"""

from jianwang.bench.audio import AudioBenchResult, AudioBenchSettings, run_audio_bench

__all__ = ["AudioBenchResult", "AudioBenchSettings", "run_audio_bench"]
