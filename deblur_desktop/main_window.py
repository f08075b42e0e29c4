"""Main window: tabs Dataset | Train | Deblur."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("Deblur Studio")
        self.tabs = QTabWidget()
        for name in ("Dataset", "Train", "Deblur"):
            label = QLabel(f"{name}: coming soon")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.tabs.addTab(label, name)
        self.setCentralWidget(self.tabs)
        self.resize(1200, 800)
