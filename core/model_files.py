"""The one checkpoint format: config + state dicts + counters, written atomically.

Loaded with `torch.load(weights_only=True)`, so a checkpoint can hold tensors and
plain Python values but never runs code. The config travels as a JSON string: the
file alone rebuilds the model (`load_generator`).
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.config import ConfigError, RunConfig
from core.fileutil import atomic_save
from core.models import build_generator, get_spec

FORMAT = "deblur-studio-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    def __init__(self, path, problem: str):
        self.path = Path(path)
        super().__init__(f"{path}: {problem}")


def save_checkpoint(path: Path, config: RunConfig, generator: nn.Module, **state: Any) -> None:
    """`state` holds discriminator/optimizer state dicts and counters (epoch, step...)."""
    payload = {"format": FORMAT, "version": VERSION, "config": config.to_json(),
               "generator": _unwrap(generator).state_dict(), **state}
    atomic_save(Path(path), lambda tmp: torch.save(payload, tmp))


def _unwrap(m: nn.Module) -> nn.Module:
    # DDP / torch.compile wrappers keep the real module in .module / ._orig_mod
    while hasattr(m, "module") or hasattr(m, "_orig_mod"):
        m = getattr(m, "module", None) or getattr(m, "_orig_mod")
    return m


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "file not found")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise CheckpointError(path, "not a readable checkpoint (corrupt, truncated or not a PyTorch file)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message suggests weights_only=False; we never do that, so we don't echo it.
        raise CheckpointError(path, "refused: the file holds more than weights and tensors "
                                    "(pickled objects or code are never loaded)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as e:
        raise CheckpointError(path, f"not a readable checkpoint (corrupt or truncated?): "
                                    f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(path, "not a Deblur Studio checkpoint (no config inside)")
    try:
        ckpt["config"] = RunConfig.from_json(ckpt["config"])
    except (ConfigError, ValueError, TypeError) as e:
        raise CheckpointError(path, f"its config cannot be read: {e}") from None
    return ckpt


def load_state(module: nn.Module, state: dict, path: Path, what: str) -> None:
    try:
        _unwrap(module).load_state_dict(state)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise CheckpointError(path, f"its {what} weights do not fit this architecture ({first})") from None


def load_generator(path: str | Path, device: torch.device | str = "cpu") -> tuple[nn.Module, RunConfig]:
    """Rebuild the generator from the checkpoint's own config; eval mode, on `device`."""
    ckpt = load_checkpoint(path)
    cfg: RunConfig = ckpt["config"]
    try:
        get_spec(cfg.model.name)
    except KeyError as e:
        raise CheckpointError(path, str(e)) from None
    g = build_generator(cfg.model)
    load_state(g, ckpt["generator"], Path(path), "generator")
    return g.to(device).eval(), cfg
