"""What every `deblur` subcommand shares: the user-facing error and Ctrl+C handling.
A leaf module, so the `*_cmd` modules import it at module level without importing the
subcommand table in `core/cli/__init__.py` (which imports them)."""
from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


@contextmanager
def stop_on_first_ctrl_c(message: str, stop: Callable[[], None], file: TextIO | None = None) -> Iterator[None]:
    """Inside the block the first Ctrl+C prints `message` and calls `stop` (the job ends at its
    next safe point, nothing half-written); a second Ctrl+C aborts with KeyboardInterrupt.
    The previous handler comes back on leaving the block. `file` defaults to stdout, looked up
    at the time of the Ctrl+C (tests swap sys.stdout)."""
    def on_sigint(signum, frame):
        print(message, file=file or sys.stdout, flush=True)
        stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
