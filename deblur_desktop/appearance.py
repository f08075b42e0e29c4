"""How the app looks: its icon and the Fusion palette, light or dark as the system says.
Separate from app.py so the window can set its icon without importing what builds it."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from core import paths

RED = "#d04040"  # error texts and the frame on a wrong setting, in every tab


def error_html(text: str) -> str:
    """`text` (already HTML) in the error colour, for a rich-text label."""
    return f"<span style='color:{RED}'>{text}</span>"


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256, 512):
        p = paths.resource_path("icons", f"deblur-studio-{size}.png")
        if p.is_file():
            icon.addFile(str(p))
    return icon


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
    """Fusion everywhere (same look on every OS), light or dark as the system says.
    make_app calls it again when the system switches; widgets that paint with their own
    colours (the pyqtgraph plots) restyle on QEvent.PaletteChange, and no widget takes a
    style sheet for looks a palette or font can give (a style sheet freezes its palette)."""
    scheme = QGuiApplication.styleHints().colorScheme() if scheme is None else scheme
    app.setPalette(_dark_palette() if scheme == Qt.ColorScheme.Dark else app.style().standardPalette())
