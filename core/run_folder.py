"""A training run's folder: the one place that knows its layout and how new runs are named.

    <runs dir>/<model>-<YYYYmmdd-HHMMSS>/
        config.json      the run's RunConfig (a resumed run reads it back)
        log.txt          the printed lines
        metrics.jsonl    every logged step and validation, as JSON lines
        checkpoints/last.pt, best.pt (lowest validation loss), epoch-NNNN.pt (train.keep_every)

No torch here: the app asks "is this a run folder?" on the GUI thread.
"""
from __future__ import annotations

import time
from pathlib import Path

from core.paths import default_runs_dir


class RunFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def new(cls, model_name: str, runs_dir: Path | None = None) -> "RunFolder":
        """A fresh run's folder: `<runs dir>/<model>-<time>` (not created yet)."""
        return cls((runs_dir or default_runs_dir()) / f"{model_name}-{time.strftime('%Y%m%d-%H%M%S')}")

    @classmethod
    def of_checkpoint(cls, checkpoint: str | Path) -> "RunFolder | None":
        """The run a checkpoint file sits in (…/<run>/checkpoints/x.pt), else None."""
        p = Path(checkpoint)
        return cls(p.parent.parent) if p.parent.name == "checkpoints" else None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def log(self) -> Path:
        return self.path / "log.txt"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.pt"

    def epoch_checkpoint(self, epoch: int) -> Path:
        return self.checkpoints / f"epoch-{epoch:04d}.pt"

    def holds_run(self) -> bool:
        """A run was started here (it has a last checkpoint): a new run must not reuse it."""
        return self.last.exists()

    def can_resume(self) -> bool:
        return self.last.is_file() and self.config.is_file()

    def model_checkpoint(self) -> tuple[str, Path] | None:
        """("best" or "last", file): the checkpoint that stands for the run's model, best first."""
        for kind, path in (("best", self.best), ("last", self.last)):
            if path.is_file():
                return kind, path
        return None

    def __str__(self) -> str:
        return str(self.path)
