"""Where things live: user folders (platformdirs) and bundled resources.

`resource_path` is the one resource-path helper for source checkouts and frozen
(PyInstaller) bundles, where files are unpacked under `sys._MEIPASS`.
"""
from __future__ import annotations

import sys
from pathlib import Path

APP_NAME = "DeblurStudio"


def resource_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


REFINER_FILE = "refine.safetensors"


def default_refiner_path() -> Path:
    """The shipped kernel-aware refiner (may be absent: then shake reduction deconvolves
    only). Here, not in core.inference.refine, so asking costs no torch import."""
    return resource_path("models", REFINER_FILE)


# platformdirs is imported where a user folder is asked for, not at module level: the
# training path (core.training, core.inference) imports this module for resource_path,
# and a bare training host such as the lent GPU machine has torch but not platformdirs.
def user_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_runs_dir() -> Path:
    """Training runs of the CLI and the app, so each sees the other's models."""
    return user_data_dir() / "runs"
