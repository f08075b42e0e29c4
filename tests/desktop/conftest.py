"""Desktop tests: offscreen Qt, settings and logs in a temporary folder, no leaked jobs."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """The app's QSettings (INI) and log folder go to a temp dir, never the user's."""
    d = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(d))
    monkeypatch.setattr("core.paths.user_log_dir", lambda: d / "logs")
    yield d


@pytest.fixture
def window(qtbot):
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    make_app()
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
