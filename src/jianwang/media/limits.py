"""Time and length limits on decoding one input.

A hostile or broken file can make FFmpeg spin for a long time, and a live stream never ends, so
every decode loop carries a wall-clock ``Deadline`` and a cap on how much media it reads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jianwang.errors import DecodeTimeout

if TYPE_CHECKING:
    from jianwang.config import Settings


class Deadline:
    """A wall-clock budget started at construction; ``check()`` raises once it is spent.

    Monotonic time is used so that a clock change on the host cannot stretch or cut the budget.
    """

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self._ends_at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative, so it can be passed on as a nested timeout."""
        return max(0.0, self._ends_at - time.monotonic())

    def expired(self) -> bool:
        """Whether the budget is spent."""
        return time.monotonic() >= self._ends_at

    def check(self) -> None:
        """Raise ``DecodeTimeout`` naming the input once the budget is spent."""
        if self.expired():
            raise DecodeTimeout(f"{self.what}: decoding exceeded {self.seconds:g} s")


@dataclass(frozen=True)
class DecodeLimits:
    """How long one decode may run, how many seconds of media it may read, and how large a
    picture it may decode (``max_pixels``: a 16K or forged frame size would need gigabytes).

    Passed down explicitly (rather than read from globals) so the CLI, the pipeline and the tests
    can each choose their own limits.
    """

    timeout_s: float = 600.0
    max_seconds: float | None = None
    max_pixels: int = 8192 * 8192

    @classmethod
    def from_settings(cls, settings: Settings) -> DecodeLimits:
        """The limits configured for this installation."""
        return cls(timeout_s=settings.decode_timeout_s, max_seconds=settings.max_media_seconds)

    def deadline(self, what: str) -> Deadline:
        """Start the clock for decoding ``what``."""
        return Deadline(self.timeout_s, what)

    def cap(self, max_seconds: float | None) -> float | None:
        """The tighter of a caller's ``max_seconds`` and this limit; ``None`` means no cap."""
        if max_seconds is None:
            return self.max_seconds
        if self.max_seconds is None:
            return max_seconds
        return min(max_seconds, self.max_seconds)
