"""Deblur tab: a placeholder until issue 9 replaces this module (keep the class name)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class DeblurTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel("Deblurring photos from the app is not built yet.")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        QVBoxLayout(self).addWidget(self.label)

    def open_photos(self, paths: list[str]) -> None:
        self.label.setText(f"{len(paths)} photo(s) chosen; deblurring from the app is not built yet.")
