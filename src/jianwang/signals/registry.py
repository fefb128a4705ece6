"""Signal types by name: the built-ins and any a deployment adds, through one registry object.

The registry is an ordinary object built by ``default_registry()``, never module state, so two
tests (or two deployments in one process) cannot see each other's registrations.
"""

from __future__ import annotations

from jianwang.errors import DuplicateError, NotFoundError
from jianwang.signals.base import MediaKind, SignalType


class SignalRegistry:
    """Signal types keyed by their unique ``name``."""

    def __init__(self) -> None:
        self._types: dict[str, SignalType] = {}

    def register(self, signal: SignalType) -> None:
        """Add a signal type; a second type with the same name is refused."""
        if signal.name in self._types:
            existing = type(self._types[signal.name]).__name__
            raise DuplicateError(
                f"signal type {signal.name!r} is already registered (by {existing})"
            )
        self._types[signal.name] = signal

    def get(self, name: str) -> SignalType:
        """The signal type called ``name``."""
        try:
            return self._types[name]
        except KeyError:
            known = ", ".join(sorted(self._types)) or "none"
            raise NotFoundError(f"unknown signal type {name!r} (known: {known})") from None

    def for_kind(self, kind: MediaKind) -> list[SignalType]:
        """Signal types that read ``kind`` content, in registration order."""
        return [s for s in self._types.values() if s.kind is kind]

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __len__(self) -> int:
        return len(self._types)


def default_registry() -> SignalRegistry:
    """A fresh registry holding the built-in audio, video and text signal types."""
    from jianwang.signals.audio import AudioTriplets
    from jianwang.signals.text import TextWinnow
    from jianwang.signals.video import VideoFrameHash

    registry = SignalRegistry()
    for signal in (AudioTriplets(), VideoFrameHash(), TextWinnow()):
        registry.register(signal)
    return registry
