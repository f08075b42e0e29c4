"""QApplication set-up and start: names, icon, palette, log file, the excepthook, the window.

The top of the app: it imports the window, so nothing but the entry points (`__main__`,
`self_test`) imports it. Settings live in `settings.py`, the log file and the error dialog
in `error_log.py`, the icon and palette in `appearance.py`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from deblur_desktop import workers
from deblur_desktop.appearance import app_icon, apply_palette
from deblur_desktop.error_log import log, setup_logging, show_exception
from deblur_desktop.main_window import MainWindow
from deblur_desktop.settings import APP, ORG


def _excepthook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    show_exception(exc_type, exc, tb)


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
    if os.environ.get(workers.GUARD_ENV) == "1":
        workers.guard_gui_thread()  # a debug check: GUI-thread image reads / model calls are logged
    win = MainWindow()
    win.show()
    # `deblur-studio FOLDER` opens a data set straight away.
    folders = [a for a in argv[1:] if not a.startswith("-") and Path(a).is_dir()]
    if folders:
        win.open_dataset(folders[0])
    log.info("Deblur Studio started")
    return app.exec()
