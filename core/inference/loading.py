"""Which model file to run: `resolve_model` turns what a user typed (nothing, a name, a
path) into a file; nothing means the bundled default model. Reading and writing the files
themselves is core.model_files'.
"""
from __future__ import annotations

from pathlib import Path

from core.model_files import MODEL_SUFFIXES, ModelLoadError
from core.paths import resource_path, user_data_dir


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
