"""Light <-> dark at run time (issue 26, item 6): the whole window follows the new palette,
pyqtgraph's plots and style-sheeted labels included."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel

from deblur_desktop.appearance import apply_palette
from deblur_desktop.widgets.compare_view import CompareView
from deblur_desktop.widgets.loss_plot import LossPlot
from deblur_desktop.widgets.sample_strip import SampleStrip


def luminance(c: QColor) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white); 4.5 is the minimum for text."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture
def light_then_restore():
    app = QApplication.instance()
    apply_palette(app, Qt.ColorScheme.Light)
    yield app
    apply_palette(app, Qt.ColorScheme.Light)  # other tests expect the light look


def test_switching_to_dark_at_run_time_restyles_plots_labels_and_images(qtbot, window, light_then_restore):
    app = light_then_restore
    qtbot.waitUntil(lambda: window.isVisible(), timeout=60_000)
    plot = window.findChildren(LossPlot)[0]
    state = window.train_tab.monitor.state
    compare = window.findChildren(CompareView)[0]
    strip = window.findChildren(SampleStrip)[0]
    assert plot.view.backgroundBrush().color().lightness() > 200  # light to begin with

    apply_palette(app, Qt.ColorScheme.Dark)  # what make_app does when the system switches
    app.processEvents()

    win_bg = window.palette().window().color()
    assert luminance(win_bg) < 0.1
    bg = plot.view.backgroundBrush().color()
    assert luminance(bg) < 0.1, bg.name()  # the plots went dark with the window
    for key, p in plot.plots.items():
        for ax in ("left", "bottom"):
            assert contrast(p.getAxis(ax).textPen().color(), bg) >= 4.5, key
    assert contrast(state.palette().color(state.foregroundRole()), win_bg) >= 4.5  # "Idle" readable
    for label in window.findChildren(QLabel):  # no label keeps the light palette's text colour
        assert contrast(label.palette().color(label.foregroundRole()), win_bg) >= 4.5, label.text()
    for label in [strip.caption, *strip.headers]:
        assert contrast(label.palette().color(label.foregroundRole()), win_bg) >= 4.5
    pane = compare.split_pane
    pane.resize(200, 150)
    assert luminance(pane.grab().toImage().pixelColor(5, 5)) < 0.1  # the image backdrop is dark

    apply_palette(app, Qt.ColorScheme.Light)  # and back
    app.processEvents()
    assert luminance(plot.view.backgroundBrush().color()) > 0.6
    assert contrast(state.palette().color(state.foregroundRole()), window.palette().window().color()) >= 4.5
