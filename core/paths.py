"""Where things live: user folders (platformdirs) and bundled resources.

`resource_path` is the one resource-path helper for source checkouts and frozen
(PyInstaller) bundles, where files are unpacked under `sys._MEIPASS`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "DeblurStudio"


def resource_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_runs_dir() -> Path:
    """Training runs of the CLI and the app, so each sees the other's models."""
    return user_data_dir() / "runs"
