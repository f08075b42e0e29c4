"""The Train tab's work off the GUI thread: core's Trainer, built and iterated on the
worker (`workers.start_job`). Pause and "run until the checkpoint" are the worker's own
(`workers.Job.pause`, `Job.run_until`); stopping and saving are the Trainer's requests.
"""
from __future__ import annotations

from typing import Callable

from core.config import RunConfig
from core.events import CheckpointSaved
from core.training.loop import Trainer


def is_manual_save(ev) -> bool:
    """The checkpoint "Save now" asked for (a paused run holds again after it)."""
    return isinstance(ev, CheckpointSaved) and ev.kind == "manual"


class TrainingRun:
    """What the worker iterates: builds the Trainer there (data scan, checkpoint loading
    stay off the GUI thread), then yields its events."""

    def __init__(self, make: Callable[[], Trainer]):
        self._make = make
        self.trainer: Trainer | None = None
        self._stop = False  # asked before the trainer existed

    def request_stop(self) -> None:
        self._stop = True
        if self.trainer is not None:
            self.trainer.request_stop()

    def request_save(self) -> bool:
        """Save a checkpoint after the current step; False before the trainer exists."""
        if self.trainer is None:
            return False
        self.trainer.request_save()
        return True

    def __iter__(self):
        self.trainer = self._make()
        if self._stop:
            self.trainer.request_stop()
        yield from self.trainer


def oom_hint(exc: BaseException, cfg: RunConfig | None) -> str:
    """A CUDA/MPS out-of-memory error gets the two settings that fix it."""
    text = f"{type(exc).__name__} {exc}".lower()
    if "out of memory" not in text and "outofmemory" not in text:
        return ""
    now = f" (now batch {cfg.train.batch_size}, crop {cfg.data.crop})" if cfg is not None else ""
    return ("The device ran out of memory: try a smaller batch size or training crop" + now
            + ", or raise grad accum to split each batch.")
