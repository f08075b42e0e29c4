"""The Evaluate view's job: load the chosen models and run core's Evaluation on the
worker thread. A choice is an `EvalModel` (the baseline, scripts and tests), a
(label, model file) pair, or an `EvalEngine` (a model-free engine such as shake reduction).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.engines import make_engine
from core.evaluate import EvalModel, Evaluation
from core.events import Message
from core.inference.deblur import Deblurrer


@dataclass(frozen=True)
class EvalEngine:
    """A model-free engine to score (core.engines.make_engine(engine)), built in the job."""
    engine: str
    label: str


SHAKE = EvalEngine("shake", "shake reduction")


class EvalRun:
    """The job: loads the chosen models and runs core's Evaluation (worker thread)."""

    def __init__(self, data: str, choices: list, shift: int, y_channel: bool, save_dir: Path,
                 limit: int | None = None):
        self.data, self.choices, self.limit = data, choices, limit
        self.shift, self.y_channel, self.save_dir = shift, y_channel, save_dir
        self.ev: Evaluation | None = None
        self._stop = False

    def request_stop(self) -> None:
        self._stop = True
        if self.ev is not None:
            self.ev.request_stop()

    @staticmethod
    def _model(choice) -> EvalModel:
        if isinstance(choice, EvalModel):
            return choice
        if isinstance(choice, EvalEngine):
            return EvalModel(choice.label, make_engine(choice.engine).deblur, f"engine {choice.engine}")
        label, path = choice
        return EvalModel(label, Deblurrer.from_file(path).deblur, str(path))

    def __iter__(self):
        models = []
        for choice in self.choices:
            if self._stop:
                return None
            if isinstance(choice, tuple):
                yield Message("info", f"Loading {choice[0]} from {choice[1]} …")
            models.append(self._model(choice))
        ev = Evaluation(self.data, models, shift=self.shift, y_channel=self.y_channel,
                        limit=self.limit, save_images=self.save_dir)
        self.ev = ev
        if self._stop:
            ev.request_stop()
        yield from ev
        return ev
