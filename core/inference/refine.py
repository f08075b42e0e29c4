"""The refiner as shake reduction's last stage: blurred + deconvolved -> sharp.

    refiner = Refiner.from_file(default_refiner_path())
    out = refiner.refine(blurred01, deconvolved01)     # HxWx3 each, same size out

Tiled like every learned model (a 12 MP photo never needs the whole image in memory),
on the two images stacked. The engine (`core.shake.engine.ShakeReducer.refiner`) calls
it only where it deconvolved: photos it leaves unchanged stay unchanged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.inference.deblur import Deblurrer
from core.paths import REFINER_FILE, default_refiner_path  # noqa: F401 - re-exported for callers of this module
from core.inference.tiling import TileGrid, iter_tiled
from core.shake.steps import drive

class Refiner:
    def __init__(self, deblurrer: Deblurrer):
        if not deblurrer.spec.kernel_aware:
            raise ValueError(f"{deblurrer.source or deblurrer.name}: a {deblurrer.name!r} model is not a "
                             f"kernel-aware refiner (train one with --preset refine)")
        self.deblurrer = deblurrer

    @classmethod
    def from_file(cls, path: str | Path, device: str = "auto", precision: str | None = None) -> "Refiner":
        return cls(Deblurrer.from_file(path, device=device, precision=precision))

    def describe(self) -> str:
        return "refined by " + self.deblurrer.describe()

    def grid(self, height: int, width: int) -> TileGrid:
        return self.deblurrer.grid(height, width, None)

    def refine_steps(self, blurred: np.ndarray, deconvolved: np.ndarray, grid: TileGrid | None = None):
        """Generator: yields (tiles done, tiles), returns the refined HxWx3 float32."""
        x = np.concatenate([np.asarray(blurred, np.float32), np.asarray(deconvolved, np.float32)], axis=2)
        grid = grid or self.grid(*x.shape[:2])
        return (yield from iter_tiled(self.deblurrer._run, x, grid))

    def refine(self, blurred: np.ndarray, deconvolved: np.ndarray) -> np.ndarray:
        return drive(self.refine_steps(blurred, deconvolved))
