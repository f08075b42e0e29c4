"""How long a training run has left (`Step.eta_s`), from this session's own pace.

The loop tells `RunEta` when a step ends and when an epoch's end (validation, samples,
checkpoints) begins and ends; `run()` tells it how long the consumer held the generator
at a yield (a paused app, a slow terminal). The estimate is

    mean step time x steps left  +  mean epoch-end time x epoch ends left

where the step time is measured from the end of the session's first step (that one pays
for compilation, cuDNN autotuning and the loader's workers starting) and leaves out the
epoch ends and the consumer's holds; the epoch-end time is the mean of those timed this
session, the first one left out once a later one is known (its own warm-up), and counts
for nothing until one is timed. None until a step after the first has been timed.
"""
from __future__ import annotations

import time
from typing import Callable


class RunEta:
    def __init__(self, clock: Callable[[], float] = time.perf_counter):
        self._clock = clock
        self._mark: tuple[float, int, float] | None = None  # (time, global step, held) at the first step's end
        self._held = 0.0  # seconds the consumer held the generator, all session
        self._ends: list[float] = []  # epoch ends timed since the mark, holds left out
        self._end_start: tuple[float, float] | None = None

    def held(self, seconds: float) -> None:
        """The consumer kept the generator suspended at a yield this long."""
        self._held += max(0.0, seconds)

    def step_done(self, global_step: int) -> None:
        if self._mark is None:
            self._mark = (self._clock(), global_step, self._held)

    def epoch_end_begins(self) -> None:
        self._end_start = (self._clock(), self._held)

    def epoch_end_done(self) -> None:
        if self._end_start is None or self._mark is None:
            return
        t, held = self._end_start
        self._ends.append(max(0.0, self._clock() - t - (self._held - held)))
        self._end_start = None

    def per_epoch_end(self) -> float:
        ends = self._ends[1:] or self._ends
        return sum(ends) / len(ends) if ends else 0.0

    def eta(self, global_step: int, total_steps: int, epoch_ends_left: int) -> float | None:
        """Seconds left for the whole run when `global_step` steps are done and
        `epoch_ends_left` epoch ends (the current epoch's included) are still to come."""
        if self._mark is None or global_step <= self._mark[1]:
            return None
        t0, gs0, held0 = self._mark
        training = self._clock() - t0 - (self._held - held0) - sum(self._ends)
        per_step = max(training, 0.0) / (global_step - gs0)
        return per_step * max(0, total_steps - global_step) + self.per_epoch_end() * max(0, epoch_ends_left)
