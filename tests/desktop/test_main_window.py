"""Main window: tabs, menus, device, settings, clean close, errors logged."""
from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QThreadPool

from deblur_desktop import workers


def test_window_has_tabs_menus_device_and_icon(window):
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Dataset", "Train", "Deblur"]
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus[0] == "File" and "Help" in menus
    file_actions = [a.text().replace("&", "") for a in window.menuBar().actions()[0].menu().actions()]
    assert any("dataset" in t for t in file_actions) and any("photos" in t for t in file_actions)
    assert "Quit" in file_actions
    assert window.device_label.text().startswith("Device: cpu") or "cuda" in window.device_label.text()
    assert not window.windowIcon().isNull()


def test_about_names_torch_qt_and_device(window):
    import torch
    from PySide6.QtCore import qVersion

    text = window.about_text()
    assert torch.__version__ in text and qVersion() in text and window.device in text


def test_close_leaves_no_threads_running(window, make_flat, qtbot):
    window.open_dataset(str(make_flat(n=6)))
    qtbot.waitUntil(lambda: window.dataset_tab.pairset is not None, timeout=60_000)
    window._fill_recent_menu()  # File > Open recent dataset lists it
    assert [a.text() for a in window.recent_menu.actions()] == [str(window.dataset_tab.pairset.root)]
    window.close()
    assert workers.live_jobs() == []
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_geometry_and_tab_are_remembered(qtbot):
    from deblur_desktop.main_window import MainWindow

    a = MainWindow()
    qtbot.addWidget(a)
    a.show()
    # a height just above the minimum: unlike the 820 px default, it fits the 800 px offscreen screen
    a.resize(a.width(), a.minimumSizeHint().height() + 15)
    a.tabs.setCurrentIndex(2)
    size = a.size()
    assert size.height() < 780
    a.close()
    b = MainWindow()
    qtbot.addWidget(b)
    assert b.height() == size.height()  # (the width is clamped to the small offscreen screen)
    assert b.tabs.currentIndex() == 2


def test_uncaught_exception_is_logged_to_the_user_log(isolated_settings):
    from deblur_desktop import error_log

    path = error_log.setup_logging()
    try:
        try:
            raise RuntimeError("something broke in a slot")
        except RuntimeError:
            error_log.show_exception(*sys.exc_info())
        for h in logging.getLogger().handlers:
            h.flush()
        assert path is not None and path.parent == isolated_settings / "logs"
        text = path.read_text(encoding="utf-8")
        assert "RuntimeError: something broke in a slot" in text and "Traceback" in text
    finally:
        root = logging.getLogger()
        for h in [h for h in root.handlers if getattr(h, "_deblur", False)]:
            root.removeHandler(h)
            h.close()


def test_palette_follows_a_dark_system_scheme(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette

    from deblur_desktop.app import make_app
    from deblur_desktop.appearance import apply_palette

    app = make_app()
    try:
        apply_palette(app, Qt.ColorScheme.Dark)
        pal = app.palette()
        assert pal.color(QPalette.ColorRole.Window).lightness() < 80
        assert pal.color(QPalette.ColorRole.WindowText).lightness() > 180  # readable on it
        apply_palette(app, Qt.ColorScheme.Light)
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        apply_palette(app)
