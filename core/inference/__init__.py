"""Inference: load a model file, deblur images of any size, batch over folders.

The names below load on first use (PEP 562), so that `core.inference.batch` and
`core.inference.tiling` import without torch: shake reduction runs through the same
batch code and its whole process must not pay torch's start-up. Model files themselves
(load_model, export_safetensors, ModelLoadError) are core.model_files'."""
from __future__ import annotations

import importlib

_WHERE = {
    "Deblurrer": "core.inference.deblur",
    "default_model_path": "core.inference.loading",
    "resolve_model": "core.inference.loading",
    "Cancelled": "core.inference.tiling",
    "TileGrid": "core.inference.tiling",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'core.inference' has no attribute {name!r}")
