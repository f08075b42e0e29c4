"""The app's settings store and the keys more than one module reads.

A leaf module (Qt only): the window, the tabs and the widgets import it instead of
`app.py`, which builds the window and so must not be imported by what it builds.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings

ORG, APP = "DeblurStudio", "Deblur Studio"

# Keys written by one module and read by another (the rest stay beside their one user).
DATASET_LAST_FOLDER = "dataset/last_folder"
DEBLUR_LAST_FOLDER = "deblur/last_folder"
_DATASET_RECENT = "dataset/recent"  # through recent_datasets/remember_dataset/forget_dataset only
MAX_RECENT = 10


def settings() -> QSettings:
    """The app's settings store (an INI file, so tests can redirect it with setPath)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)


def recent_datasets() -> list[str]:
    """Data set folders opened lately, newest first (the File menu and the Dataset tab)."""
    return list(settings().value(_DATASET_RECENT, [], list) or [])


def remember_dataset(folder: str) -> None:
    """`folder` opened: first in Recent, and where the next folder dialog starts."""
    s = settings()
    recent = [f for f in recent_datasets() if f != folder]
    s.setValue(_DATASET_RECENT, [folder] + recent[:MAX_RECENT - 1])
    s.setValue(DATASET_LAST_FOLDER, folder)


def forget_dataset(folder: str) -> bool:
    """Drop `folder` from Recent (it did not open, so it would fail again); True when it was there."""
    recent = recent_datasets()
    if folder not in recent:
        return False
    settings().setValue(_DATASET_RECENT, [f for f in recent if f != folder])
    return True
