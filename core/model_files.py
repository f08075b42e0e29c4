"""Model files, read and written in one place: training checkpoints (.pt) and safetensors
exports of our models, and the fall-back to published models (core.models.imported).

- A checkpoint holds config + state dicts + counters, written atomically and loaded with
  `torch.load(weights_only=True)`, so it holds tensors and plain values but never runs code.
  The config travels as a JSON string: the file alone rebuilds the model (`load_generator`).
- An export holds the generator's weights only, with the run's `RunConfig` JSON in the
  safetensors metadata, so the architecture is rebuilt from the file alone.

Finding a file from what a user typed (a name, nothing) is core.inference.loading's job.
"""
from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from core.config import ConfigError, RunConfig
from core.fileutil import atomic_save
from core.models import build_generator, get_spec
from core.models.imported import ImportRefused, load_published
from core.safetensors_file import UNREADABLE, read_safetensors_file

CHECKPOINT_FORMAT = "deblur-studio-checkpoint"
CHECKPOINT_VERSION = 1
EXPORT_FORMAT = "deblur-studio-generator"
EXPORT_VERSION = "1"
MODEL_SUFFIXES = (".safetensors", ".pt", ".pth")  # what a model lookup and a file chooser take


class ModelFileError(ValueError):
    """A model file that cannot be used; the message names the file and the problem.
    `foreign`: the file is not one of ours at all (so load_model tries it as a published one)."""

    def __init__(self, path, problem: str, foreign: bool = False):
        self.path = Path(path)
        self.problem = problem
        self.foreign = foreign
        super().__init__(f"{path}: {problem}")


class CheckpointError(ModelFileError):
    """A training checkpoint that cannot be read or does not fit."""


class ModelLoadError(ModelFileError):
    """A model file (export, or any file given to load_model) that cannot be loaded."""


def unwrap(m: nn.Module) -> nn.Module:
    """The model inside DDP / torch.compile wrappers (they keep it in .module / ._orig_mod)."""
    while hasattr(m, "module") or hasattr(m, "_orig_mod"):
        m = getattr(m, "module", None) or getattr(m, "_orig_mod")
    return m


# ---- safetensors exports --------------------------------------------------------------
def export_safetensors(source: str | Path | nn.Module, out_path: str | Path,
                       config: RunConfig | None = None) -> Path:
    """Write a generator (from a checkpoint path, or a module plus its RunConfig) as
    safetensors with the config in the metadata. Written atomically."""
    if isinstance(source, nn.Module):
        if config is None:
            raise ValueError("export_safetensors: a module needs its RunConfig (config=...)")
        g, cfg = unwrap(source), config
    else:
        g, cfg = load_generator(source, "cpu")
    # contiguous CPU copies: safetensors refuses shared or strided storage
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in g.state_dict().items()}
    meta = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "config": cfg.to_json(),
            "model": cfg.model.name}
    out = Path(out_path)
    atomic_save(out, lambda tmp: save_file(state, str(tmp), metadata=meta))
    return out


def read_safetensors(path: Path, weights: bool = True) -> tuple[RunConfig, dict]:
    """The RunConfig in a safetensors export's metadata and, when asked, its weights
    (a state dict, not yet checked against the architecture)."""
    try:
        meta, state = read_safetensors_file(path, weights)
    except UNREADABLE as e:
        raise ModelLoadError(path, f"not a readable safetensors file (corrupt or truncated?): {e}") from None
    if meta.get("format") != EXPORT_FORMAT or "config" not in meta:
        raise ModelLoadError(path, "safetensors file without a Deblur Studio config in its metadata "
                                   "(export it with core.model_files.export_safetensors)", foreign=True)
    try:
        return RunConfig.from_json(meta["config"]), state
    except (ConfigError, ValueError, TypeError, json.JSONDecodeError) as e:
        raise ModelLoadError(path, f"its config cannot be read: {e}") from None


def load_safetensors(path: str | Path) -> tuple[nn.Module, RunConfig]:
    path = Path(path)
    cfg, state = read_safetensors(path)
    try:
        get_spec(cfg.model.name)
    except KeyError as e:
        raise ModelLoadError(path, str(e)) from None
    g = build_generator(cfg.model)
    try:
        g.load_state_dict(state)
    except RuntimeError as e:
        raise ModelLoadError(path, f"its weights do not fit the {cfg.model.name!r} architecture "
                                   f"({str(e).splitlines()[0]})") from None
    return g.eval(), cfg


# ---- training checkpoints ------------------------------------------------------------
def save_checkpoint(path: Path, config: RunConfig, generator: nn.Module, **state: Any) -> None:
    """`state` holds discriminator/optimizer state dicts and counters (epoch, step...)."""
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "config": config.to_json(),
               "generator": unwrap(generator).state_dict(), **state}
    atomic_save(Path(path), lambda tmp: torch.save(payload, tmp))


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
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(path, "not a Deblur Studio checkpoint (no config inside)", foreign=True)
    try:
        ckpt["config"] = RunConfig.from_json(ckpt["config"])
    except (ConfigError, ValueError, TypeError) as e:
        raise CheckpointError(path, f"its config cannot be read: {e}") from None
    return ckpt


def load_state(module: nn.Module, state: dict, path: Path, what: str) -> None:
    try:
        unwrap(module).load_state_dict(state)
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


# ---- any model file --------------------------------------------------------------------
def model_config(path: str | Path) -> RunConfig:
    """The config (architecture, options) of a .safetensors export, from its header alone,
    or of a training checkpoint; no model is built."""
    path = Path(path)
    if path.suffix == ".safetensors":
        return read_safetensors(path, weights=False)[0]
    return load_checkpoint(path)["config"]


def load_model(path: str | Path) -> tuple[nn.Module, RunConfig]:
    """Generator (eval mode, CPU) and its config from a .safetensors export or a checkpoint;
    any other weights file is tried as a published model (core.models.imported, spandrel)."""
    try:
        return _load_ours(path)
    except ModelFileError as ours:
        # Only files that are not ours at all go on; a broken file of ours, or a pickle
        # refused for holding code, keeps its own message.
        if not ours.foreign:
            raise
    try:
        return load_published(path)
    except ImportRefused as e:
        raise ModelLoadError(path, e.problem) from None


def _load_ours(path: str | Path) -> tuple[nn.Module, RunConfig]:
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(path, "file not found")
    with open(path, "rb") as f:
        is_zip = f.read(2) == b"PK"  # torch.save writes a zip; safetensors starts with a length
    if path.suffix.lower() == ".safetensors" or not is_zip:
        try:
            return load_safetensors(path)
        except ModelLoadError:
            if path.suffix.lower() == ".safetensors":
                raise
            raise ModelLoadError(path, "neither a Deblur Studio checkpoint nor a safetensors export",
                                 foreign=True) from None
    return load_generator(path, "cpu")
