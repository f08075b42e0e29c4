"""QApplication set-up: names, settings, icon, palette, log file and the excepthook.

An uncaught exception (in a slot, a callback or a worker's on_error) is written to
the log file in the user's log folder and shown in a dialog; the app keeps running
instead of exiting silently.
"""
from __future__ import annotations

import logging
import os
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from core import paths

ORG, APP = "DeblurStudio", "Deblur Studio"
LOG_NAME = "deblur-studio.log"
log = logging.getLogger("deblur_desktop")


def settings() -> QSettings:
    """The app's settings store (an INI file, so tests can redirect it with setPath)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)


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


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256, 512):
        p = paths.resource_path("icons", f"deblur-studio-{size}.png")
        if p.is_file():
            icon.addFile(str(p))
    return icon


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


def _excepthook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    show_exception(exc_type, exc, tb)


def _dark_palette() -> QPalette:
    p = QPalette()
    c = {QPalette.ColorRole.Window: "#2b2d30", QPalette.ColorRole.WindowText: "#e6e6e6",
         QPalette.ColorRole.Base: "#1f2023", QPalette.ColorRole.AlternateBase: "#2b2d30",
         QPalette.ColorRole.ToolTipBase: "#3c3f41", QPalette.ColorRole.ToolTipText: "#e6e6e6",
         QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#3c3f41",
         QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ff6b6b",
         QPalette.ColorRole.Highlight: "#3d7bd9", QPalette.ColorRole.HighlightedText: "#ffffff",
         QPalette.ColorRole.Link: "#6aa9ff", QPalette.ColorRole.PlaceholderText: "#8c8c8c"}
    for role, col in c.items():
        p.setColor(role, QColor(col))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


def apply_palette(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Fusion everywhere (same look on every OS), light or dark as the system says."""
    scheme = QGuiApplication.styleHints().colorScheme() if scheme is None else scheme
    app.setPalette(_dark_palette() if scheme == Qt.ColorScheme.Dark else app.style().standardPalette())


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP)
    app.setOrganizationName(ORG)
    app.setApplicationDisplayName(APP)
    app.setDesktopFileName("deblur-studio")
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    apply_palette(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda *_: apply_palette(app))
    return app


def run_app(argv: list[str]) -> int:
    setup_logging()
    app = make_app(argv)
    sys.excepthook = _excepthook
    from deblur_desktop import workers

    if os.environ.get(workers.GUARD_ENV) == "1":
        workers.guard_gui_thread()  # a debug check: GUI-thread image reads / model calls are logged
    from deblur_desktop.main_window import MainWindow

    win = MainWindow()
    win.show()
    # `deblur-studio FOLDER` opens a data set straight away.
    folders = [a for a in argv[1:] if not a.startswith("-") and Path(a).is_dir()]
    if folders:
        win.open_dataset(folders[0])
    log.info("Deblur Studio started")
    return app.exec()
