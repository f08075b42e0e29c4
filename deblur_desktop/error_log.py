"""The log file and the error dialog: where an uncaught exception (in a slot, a callback
or a worker's on_error) is written and how it is shown. The app keeps running instead of
exiting silently. A leaf module, so workers and the window use it without importing app.py.
"""
from __future__ import annotations

import logging
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from core import paths

LOG_NAME = "deblur-studio.log"
log = logging.getLogger("deblur_desktop")


def log_file() -> Path:
    return paths.user_log_dir() / LOG_NAME


def setup_logging() -> Path | None:
    root = logging.getLogger()
    for h in root.handlers:
        if getattr(h, "_deblur", False):
            return Path(h.baseFilename)
    try:
        log_file().parent.mkdir(parents=True, exist_ok=True)
        h = RotatingFileHandler(log_file(), maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError as e:  # a read-only home must not stop the app
        print(f"deblur-studio: cannot write the log file {log_file()}: {e}", file=sys.stderr)
        return None
    h._deblur = True
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(h)
    root.setLevel(logging.INFO)
    return log_file()


def show_exception(exc_type, exc, tb) -> None:
    """Log the traceback; show a dialog when there is a GUI to show it on."""
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("uncaught exception:\n%s", text)
    app = QApplication.instance()
    if app is None or QGuiApplication.platformName() == "offscreen":
        print(text, file=sys.stderr)  # tests and headless runs: no modal dialog to hang on
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "Deblur Studio: unexpected error",
                      f"{exc_type.__name__}: {exc}", parent=QApplication.activeWindow())
    box.setInformativeText(f"The app keeps running. Details are in the log file:\n{log_file()}")
    box.setDetailedText(text)
    box.exec()
