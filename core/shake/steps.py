"""Driving the engine's step generators: every stage yields (done, total) after each step
of well under a second and returns its result, so one loop serves progress and cancel."""
from __future__ import annotations

from typing import Callable, Generator, TypeVar

from core.cancel import Cancelled

T = TypeVar("T")


def drive(steps: Generator[object, None, T], progress: Callable[[int, int], None] | None = None,
          cancel: Callable[[], bool] | None = None) -> T:
    """Run a step generator to its end and return its value; `progress(done, total)` after
    each (done, total) step; `cancel()` polled before each step raises `Cancelled`."""
    while True:
        if cancel is not None and cancel():
            steps.close()
            raise Cancelled()
        try:
            step = next(steps)
        except StopIteration as stop:
            return stop.value
        if progress is not None and isinstance(step, tuple):
            progress(*step)
