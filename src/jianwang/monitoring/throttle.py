"""Per-host politeness: a minimum pause between two requests to the same host, and a cap on how
many requests are in flight to it at once.

Both are kept per ``host:port`` on the instance (never module-wide), so two fetchers in one
process do not slow each other, and sandbox sites that differ only by port are paced apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

DEFAULT_CONCURRENCY = 2
"""Requests in flight to one host at once unless a site's registry entry says otherwise."""
MAX_CONCURRENCY = 16
"""No site gets more than this many requests in flight to one host, whatever it is told."""


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


class HostSlots:
    """At most ``limit`` requests in flight to one host at once: a semaphore per ``host:port``.

    A slot is taken before a request is sent and given back once its response is closed, so a
    body being streamed counts as in flight. Slots are not re-entrant: a thread holding one must
    not wait for another on the same host (the fetcher never does; its waits are bounded by the
    request's time limit in any case).
    """

    def __init__(self, limit: int) -> None:
        if not 1 <= limit <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency {limit} is not between 1 and {MAX_CONCURRENCY}")
        self.limit = limit
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _slot(self, host_key: str) -> threading.BoundedSemaphore:
        with self._lock:
            slot = self._slots.get(host_key)
            if slot is None:
                slot = self._slots[host_key] = threading.BoundedSemaphore(self.limit)
            return slot

    def acquire(self, host_key: str, timeout_s: float) -> bool:
        """Take a slot of ``host_key``, waiting at most ``timeout_s``; whether one was taken."""
        return self._slot(host_key).acquire(timeout=max(0.0, timeout_s))

    def release(self, host_key: str) -> None:
        """Give back a slot taken with :meth:`acquire`."""
        self._slot(host_key).release()
