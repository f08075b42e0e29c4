"""A bar above the data set tree offering the paired sets found below the opened folder.

Shown when the opened folder is not a paired set itself but holds some one or two
levels down (core.data.layouts.find_pair_sets): its photos, blurred ones included,
would otherwise be read as sharp photos. One button per set opens it.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

MAX_BUTTONS = 4  # more sets than this are named in the text only


class NestedSetsBar(QFrame):
    open_requested = Signal(str)  # the folder to open

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.buttons: list[QPushButton] = []
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addStretch(1)  # buttons go before it, left-aligned
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.text)
        lay.addLayout(self._row)
        self.setVisible(False)

    def show_sets(self, root: Path, sets: list[Path]) -> None:
        """Offer `sets` (below `root`); hide the bar when there are none."""
        for b in self.buttons:
            self._row.removeWidget(b)
            b.deleteLater()
        self.buttons = []
        if not sets:
            self.setVisible(False)
            return
        names = [str(s.relative_to(root)) for s in sets]
        extra = f" (and {len(sets) - MAX_BUTTONS} more)" if len(sets) > MAX_BUTTONS else ""
        self.text.setText(f"<b>{root.name or root} is not a paired data set itself</b>, but holds "
                          f"{len(sets)} below it: {', '.join(names[:8])}{' …' if len(names) > 8 else ''}. "
                          f"Opened as it is, every photo in it, blurred ones included, counts as sharp. "
                          f"Open a paired set instead{extra}:")
        for folder, name in list(zip(sets, names))[:MAX_BUTTONS]:
            b = QPushButton(f"Open {name}")
            b.setToolTip(str(folder))
            b.clicked.connect(lambda _=False, f=str(folder): self.open_requested.emit(f))
            self._row.insertWidget(len(self.buttons), b)
            self.buttons.append(b)
        self.setVisible(True)
