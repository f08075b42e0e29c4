"""Shake reduction: blind estimation of a photo's camera-shake kernel and
deconvolution with it (Qt-free, numpy/scipy). See `engine.ShakeReducer`."""
from core.shake.engine import ShakeError, ShakeOptions, ShakeReducer, ShakeReport

__all__ = ["ShakeError", "ShakeOptions", "ShakeReducer", "ShakeReport"]
