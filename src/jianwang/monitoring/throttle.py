"""Per-host politeness: a minimum pause between two requests to the same host.

The pause is kept per ``host:port`` on the instance (never module-wide), so two fetchers in one
process do not slow each other, and sandbox sites that differ only by port are paced apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class HostThrottle:
    """Waits before a request so that one host sees at most one request per ``delay_s``."""

    def __init__(
        self,
        delay_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._delay_s = delay_s
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host_key: str) -> float:
        """Block until ``host_key`` may be contacted again; returns the seconds waited."""
        if self._delay_s <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            last = self._last.get(host_key)
            pause = 0.0 if last is None else max(0.0, last + self._delay_s - now)
            # Reserve the slot before sleeping so concurrent callers queue behind each other.
            self._last[host_key] = now + pause
        if pause > 0:
            self._sleep(pause)
        return pause
