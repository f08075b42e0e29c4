"""The three ways to deblur a photo, one factory for the CLI, the app and evaluation.

- learned: a trained network (the shipped default or any model file); removes the
  blur it was trained on, in one pass, any blur shape, but gains little on real
  handheld shake (resources/models/default.md).
- shake: shake reduction (core.shake): estimates the photo's own blur kernel and
  deconvolves it. Several dB on real camera shake; needs one uniform blur over the
  region it estimates on; sharp photos and unreliable estimates are left unchanged.
- auto: shake reduction where its estimate is reliable, the photo unchanged where it
  looks sharp, the learned model otherwise; the report says which ran.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from core.shake.steps import drive
from core.shake.engine import PATH_FLAT, PATH_SHARP, PATH_UNSURE, ShakeOptions, ShakeReducer
from core.paths import default_refiner_path

ENGINES = ("learned", "shake", "auto")
ENGINE_HELP = {
    "learned": "a trained network (the default model or --model): fast, learned blur only",
    "shake": "shake reduction: estimates each photo's camera-shake kernel and deconvolves it "
             "(best on real handheld shake; sharp photos come back unchanged)",
    "auto": "shake reduction where its kernel estimate is reliable, else the learned model; "
            "sharp photos unchanged",
}
PATH_LEARNED = "learned model (kernel estimate unreliable)"


class AutoEngine:
    """Shake reduction first; the learned model where the kernel estimate is unreliable.
    Has a `Deblurrer`'s interface; `last_path` says which ran for the latest photo."""

    name = "auto"
    min_tile = 0
    context = 0

    def __init__(self, shake: ShakeReducer, learned: Callable[[], object]):
        self.shake = shake
        self._learned_factory = learned
        self._learned = None
        self.last_path: str | None = None

    @property
    def last(self):
        return self.shake.last

    def learned(self):
        if self._learned is None:  # loaded on first need: many batches never use it
            self._learned = self._learned_factory()
        return self._learned

    def describe(self) -> str:
        return "auto: " + self.shake.describe() + ", else the learned model"

    def with_ensemble(self, ensemble: int) -> "AutoEngine":
        if ensemble != 1:
            raise ValueError("self-ensemble is for learned models; choose the learned engine")
        return self

    def grid(self, height: int, width: int, tile: int | None = None):
        return self.shake.grid(height, width, tile)

    def deblur(self, image01: np.ndarray, tile: int | None = None, progress=None, cancel=None) -> np.ndarray:
        return drive(self.deblur_steps(image01, self.grid(*image01.shape[:2])), progress, cancel)

    def deblur_steps(self, image01: np.ndarray, grid=None) -> Iterator[tuple[int, int]]:
        report = yield from self.shake.estimate_steps(image01)
        if report.deconvolved:
            self.last_path = report.path
            return (yield from self.shake.restore_steps(image01, report))
        if report.path in (PATH_SHARP, PATH_FLAT):  # nothing to repair: no model either
            self.last_path = report.path
            return np.ascontiguousarray(image01, dtype=np.float32)
        self.last_path = PATH_LEARNED
        report.path = PATH_LEARNED
        d = self.learned()
        h, w = image01.shape[:2]
        grid = grid if grid is not None else self.shake.grid(h, w)
        total, base = len(grid), grid.estimate
        span = total - base
        learned_grid = d.grid(h, w, None)
        gen = d.deblur_steps(image01, learned_grid)
        while True:
            try:
                k, n = next(gen)
            except StopIteration as stop:
                return stop.value
            yield base + int(span * k / max(n, 1)), total


def make_engine(engine: str = "learned", model: str | Path | None = None, device: str = "auto",
                precision: str | None = None, shake: ShakeOptions | None = None, backend: str = "torch",
                learned: Callable[[], object] | None = None, refiner: str | Path | bool | None = True):
    """An object with a Deblurrer's interface (describe, grid, deblur_steps, deblur) for
    the engine named; learned models load from `model` (None: the shipped default).
    `learned`: how auto gets its fallback model (e.g. the app's cache of loaded models);
    by default it loads `model` the first time a photo needs it.
    `refiner` (shake and auto): True = the shipped kernel-aware model when installed,
    a path or name = that model, False/None = the deconvolution alone."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")

    def load_learned():
        if backend == "onnxruntime":
            from core.onnx_export import onnx_deblurrer  # late: onnxruntime only when asked for
            return onnx_deblurrer(model)
        from core.inference import Deblurrer, resolve_model  # torch: only when a model runs
        d = Deblurrer.from_file(resolve_model(model), device=device, precision=precision)
        if d.spec.kernel_aware:
            raise ValueError(f"{d.source}: a kernel-aware refiner finishes shake reduction and cannot "
                             f"deblur alone; use it with the shake or auto engine (--refiner)")
        return d

    if engine == "learned":
        return load_learned()
    reducer = ShakeReducer(shake, load_refiner(refiner, device, precision))
    if engine == "shake":
        return reducer
    return AutoEngine(reducer, learned or load_learned)


def load_refiner(refiner: str | Path | bool | None, device: str = "auto", precision: str | None = None):
    """The kernel-aware model for shake reduction's last stage, or None (see make_engine)."""
    if refiner is None or refiner is False:
        return None
    if refiner is True:
        path = default_refiner_path()
        if not path.is_file():  # a build without it deconvolves only, and never loads torch
            return None
    else:
        from core.inference import resolve_model  # torch: as above
        path = resolve_model(refiner)
    from core.inference.refine import Refiner  # torch: only with a refiner
    return Refiner.from_file(path, device=device, precision=precision)


__all__ = ["ENGINES", "ENGINE_HELP", "AutoEngine", "make_engine", "PATH_LEARNED", "PATH_SHARP", "PATH_UNSURE"]
