"""Model files for inference: training checkpoints (.pt) and safetensors exports.

An export holds the generator's weights only, with the run's `RunConfig` JSON in the
safetensors metadata, so the architecture is rebuilt from the file alone and nothing
in it can run code. `resolve_model` turns what a user typed (nothing, a name, a path)
into a file: nothing means the bundled default model.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from core.config import ConfigError, RunConfig
from core.fileutil import atomic_save
from core.models import build_generator, get_spec
from core.paths import resource_path, user_data_dir

EXPORT_FORMAT = "deblur-studio-generator"
EXPORT_VERSION = "1"
MODEL_SUFFIXES = (".safetensors", ".pt", ".pth")


class ModelLoadError(ValueError):
    def __init__(self, path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def default_model_path() -> Path:
    return resource_path("models", "default.safetensors")


def model_dirs() -> list[Path]:
    """Where a bare model name is looked up: the bundled models, then the user's."""
    return [resource_path("models"), user_data_dir() / "models"]


def resolve_model(name_or_path: str | Path | None) -> Path:
    """None -> the bundled default; an existing path -> itself; a name -> models/<name>.*"""
    if name_or_path is None or str(name_or_path).strip() == "":
        p = default_model_path()
        if not p.is_file():
            raise ModelLoadError(p, "the default model is not installed; name a model file "
                                    "with --model PATH (a .safetensors export or a training checkpoint)")
        return p
    p = Path(name_or_path).expanduser()
    if p.is_file():
        return p
    if p.exists():
        raise ModelLoadError(p, "is not a file (give a .safetensors export or a .pt checkpoint)")
    if p.suffix == "" and len(p.parts) == 1:
        for d in model_dirs():
            for suffix in MODEL_SUFFIXES:
                if (d / f"{p.name}{suffix}").is_file():
                    return d / f"{p.name}{suffix}"
        where = ", ".join(str(d) for d in model_dirs())
        raise ModelLoadError(p, f"no such model file, and no model of that name in {where}")
    raise ModelLoadError(p, "file not found")


def _unwrap(m: nn.Module) -> nn.Module:
    while hasattr(m, "module") or hasattr(m, "_orig_mod"):
        m = getattr(m, "module", None) or getattr(m, "_orig_mod")
    return m


def export_safetensors(source: str | Path | nn.Module, out_path: str | Path,
                       config: RunConfig | None = None) -> Path:
    """Write a generator (from a checkpoint path, or a module plus its RunConfig) as
    safetensors with the config in the metadata. Written atomically."""
    from safetensors.torch import save_file

    if isinstance(source, nn.Module):
        if config is None:
            raise ValueError("export_safetensors: a module needs its RunConfig (config=...)")
        g, cfg = _unwrap(source), config
    else:
        from core.training.checkpoint import load_generator
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
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()} if weights else {}
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelLoadError(path, f"not a readable safetensors file (corrupt or truncated?): {e}") from None
    if meta.get("format") != EXPORT_FORMAT or "config" not in meta:
        raise ModelLoadError(path, "safetensors file without a Deblur Studio config in its metadata "
                                   "(export it with core.inference.export_safetensors)")
    try:
        return RunConfig.from_json(meta["config"]), state
    except (ConfigError, ValueError, TypeError, json.JSONDecodeError) as e:
        raise ModelLoadError(path, f"its config cannot be read: {e}") from None


def model_config(path: str | Path) -> RunConfig:
    """The config (architecture, options) of a .safetensors export, from its header alone,
    or of a training checkpoint; no model is built."""
    path = Path(path)
    if path.suffix == ".safetensors":
        return read_safetensors(path, weights=False)[0]
    from core.training.checkpoint import load_checkpoint  # noqa: PLC0415 - cycle

    return load_checkpoint(path)["config"]


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


def load_model(path: str | Path) -> tuple[nn.Module, RunConfig]:
    """Generator (eval mode, CPU) and its config from a .safetensors export or a checkpoint;
    any other weights file is tried as a published model (core.models.imported, spandrel)."""
    try:
        return _load_ours(path)
    except ValueError as ours:  # ModelLoadError, CheckpointError
        # Only files that are not ours at all go on; a broken file of ours, or a pickle
        # refused for holding code, keeps its own message.
        if "Deblur Studio" not in str(ours):
            raise
    from core.models.imported import ImportRefused, load_published
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
            raise ModelLoadError(path, "neither a Deblur Studio checkpoint nor a safetensors export") from None
    from core.training.checkpoint import load_generator
    return load_generator(path, "cpu")
