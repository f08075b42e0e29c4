"""A drop zone for photos and folders, and the helper that reads local paths from a drop.

The zone is also a button: a click opens the file dialog. The main window and the
Deblur tab use `local_paths` too, so a drop anywhere is read the same way.
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


def local_paths(mime: QMimeData | None) -> list[str]:
    """The local files and folders in a drag's data (web URLs and text are ignored)."""
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class DropZone(QWidget):
    paths_dropped = Signal(list)  # [str]
    clicked = Signal()

    def __init__(self, text: str = "Drop photos or folders here, or click to choose", parent=None):
        super().__init__(parent)
        self.text = text
        self.hover = False
        self.setAcceptDrops(True)
        self.setMinimumHeight(56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Folders are searched with their subfolders; files that are not "
                        "PNG, JPEG, TIFF, WebP or BMP are listed as skipped")

    def paintEvent(self, _e) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        accent = pal.color(pal.ColorRole.Highlight)
        fill = QColor(accent)
        fill.setAlpha(60 if self.hover else 18)
        pen = QPen(accent if self.hover else pal.color(pal.ColorRole.Mid), 2, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(fill)
        p.drawRoundedRect(self.rect().adjusted(2, 2, -2, -2), 8, 8)
        p.setPen(pal.color(pal.ColorRole.WindowText))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.text)

    def _set_hover(self, on: bool) -> None:
        self.hover = on
        self.update()

    def dragEnterEvent(self, e) -> None:
        if local_paths(e.mimeData()):
            e.acceptProposedAction()
            self._set_hover(True)

    def dragLeaveEvent(self, _e) -> None:
        self._set_hover(False)

    def dropEvent(self, e) -> None:
        self._set_hover(False)
        paths = local_paths(e.mimeData())
        if paths:
            e.acceptProposedAction()
            self.paths_dropped.emit(paths)

    def mouseReleaseEvent(self, e) -> None:
        if e.button() == Qt.MouseButton.LeftButton and self.rect().contains(e.position().toPoint()):
            self.clicked.emit()
