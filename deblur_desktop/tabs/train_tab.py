"""Train tab: a placeholder until issue 8 replaces this module (keep the class name)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class TrainTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        label = QLabel("Training from the app is not built yet.\n"
                       "Meanwhile: deblur train --data DIR --out RUN_DIR")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        QVBoxLayout(self).addWidget(label)
