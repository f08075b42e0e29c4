"""Inference: load a model file, deblur images of any size, batch over folders."""
from core.inference.deblur import Deblurrer
from core.inference.loading import (ModelLoadError, default_model_path, export_safetensors, load_model,
                                    resolve_model)
from core.inference.tiling import Cancelled, TileGrid

__all__ = ["Deblurrer", "ModelLoadError", "default_model_path", "export_safetensors", "load_model",
           "resolve_model", "Cancelled", "TileGrid"]
