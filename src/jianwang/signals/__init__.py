"""Signal types: how audio, video and text are fingerprinted and how their matches are decided."""

from jianwang.signals.base import (
    ExampleInput,
    Fingerprint,
    MatchPolicy,
    MediaKind,
    SignalExample,
    SignalType,
    TemporalPolicy,
    TextPolicy,
)
from jianwang.signals.registry import SignalRegistry, default_registry

__all__ = [
    "ExampleInput",
    "Fingerprint",
    "MatchPolicy",
    "MediaKind",
    "SignalExample",
    "SignalRegistry",
    "SignalType",
    "TemporalPolicy",
    "TextPolicy",
    "default_registry",
]
