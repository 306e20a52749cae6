"""Ctrl-C during a search: stop cleanly, keep everything finished, say how to go on.

The first Ctrl-C stops a panda trial at its next epoch boundary, after a checkpoint; any other
search stops at once (its worker processes ignore Ctrl-C and are stopped by the main process).
A second Ctrl-C stops at once in either mode; the run can still be resumed, from its last
checkpoint. `kill` (SIGTERM, as a service manager or a batch scheduler stops a job) stops at
once, as a second Ctrl-C. Either way the search raises `SearchInterrupted` (in errors), which
the CLI turns into one line and exit code 130 (143 for SIGTERM, the shell's 128 + signal number).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from ..modes.caviar import Shield


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop at once."""


def interrupt(error: KeyboardInterrupt):
    """Raise `error` here, or, inside loky's submit or shutdown, as soon as it returns (see
    modes.caviar.shielded)."""
    if Shield.depth:
        Shield.held = Shield.held or error
        return
    raise error


@contextmanager
def ctrl_c(runner, listener):
    """SIGINT handled as the module says, while the block runs (in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    presses = 0

    def handler(signum, frame):
        nonlocal presses
        presses += 1
        if presses == 1 and hasattr(runner, "stop_requested"):
            runner.stop_requested = True
            listener.note(
                "stopping after this epoch, with a checkpoint (Ctrl-C again to stop at once)"
            )
            return
        interrupt(KeyboardInterrupt())

    def terminate(signum, frame):
        interrupt(Terminated())

    previous = signal.signal(signal.SIGINT, handler), signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


class Late:
    """The first Ctrl-C or SIGTERM that arrived while signals were held back, if any."""

    interrupt: KeyboardInterrupt | None = None


@contextmanager
def holding_signals():
    """Ctrl-C and SIGTERM held back while the block runs (in the main thread only): a second
    press while the search stops its workers must not cut that short. The block must end by
    itself (every wait in it is bounded); the first signal that came is then `Late.interrupt`,
    for the caller to stop with (exit 130, or 143)."""
    late = Late()
    if threading.current_thread() is not threading.main_thread():
        yield late
        return

    def note(signum, frame):
        if late.interrupt is None:
            late.interrupt = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    previous = [signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)]
    try:
        yield late
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
