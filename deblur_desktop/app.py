"""QApplication set-up. The main window lives in main_window.py."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication


def run_app(argv: list[str]) -> int:
    from deblur_desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Deblur Studio")
    app.setOrganizationName("DeblurStudio")
    win = MainWindow()
    win.show()
    return app.exec()
