"""Stopping long-running commands cleanly on Ctrl-C and SIGTERM."""

from __future__ import annotations

import signal
import threading

import typer


def stop_on_signals(announce: str | None = None) -> threading.Event:
    """An event set by SIGINT (Ctrl-C) or SIGTERM (a service manager), ``announce`` printed to
    stderr the first time. The handlers are installed here, so they work even where the process
    was started with SIGINT ignored (a background job of a non-interactive shell)."""
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        if announce and not stop.is_set():
            typer.echo(f"{signal.Signals(signum).name}: {announce}", err=True)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    return stop


def wait_until(stop: threading.Event) -> None:
    """Block until ``stop`` is set, waking often enough for signal handlers to run."""
    while not stop.wait(0.5):
        pass
