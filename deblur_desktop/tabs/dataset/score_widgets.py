"""The Evaluate view's displays: read-only score tables whose numbers sort by value, and
the PSNR histogram per model (readable in light and dark palettes)."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from core.scores import INF_CAP_DB

COLORS = ["#e0a030", "#3d7bd9", "#40b060", "#d04040", "#9a60d0", "#40b0b0"]


class NumItem(QTableWidgetItem):
    """A number shown formatted but sorted by value (+inf PSNR sorts last)."""

    def __init__(self, value: float | None, fmt: str):
        text = "" if value is None else ("inf" if math.isinf(value) else format(value, fmt))
        super().__init__(text)
        self.value = -math.inf if value is None else value
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        return self.value < getattr(other, "value", -math.inf)


def score_table(headers: list[str], stretch: int) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    head = t.horizontalHeader()
    head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    head.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)  # the name column takes the slack
    return t


class PsnrHistogram(pg.PlotWidget):
    """One step histogram per model over shared bins; infinite PSNR is capped (INF_CAP_DB)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.psnrs: dict[str, list[float]] = {}
        self.setBackground(None)
        self.legend = self.addLegend(offset=(-10, 10))
        self.setMinimumHeight(120)

    def restyle(self, fg: QColor) -> None:
        """Axes, labels and legend in `fg`, the text colour of the palette in use."""
        for side, text in (("bottom", "PSNR (dB)"), ("left", "images")):
            ax = self.getAxis(side)
            ax.setPen(fg)
            ax.setTextPen(fg)
            ax.setLabel(text, color=fg.name())
        self.legend.setLabelTextColor(fg)

    def draw(self, psnrs: dict[str, list[float]]) -> None:
        self.psnrs = psnrs
        self.clear()
        vals = {m: np.minimum(v, INF_CAP_DB) for m, v in psnrs.items() if v}
        if not vals:
            return
        allv = np.concatenate(list(vals.values()))
        bins = np.histogram_bin_edges(allv, bins=min(30, max(5, len(allv) // 3)))
        for i, (m, v) in enumerate(vals.items()):
            counts, _ = np.histogram(v, bins=bins)
            col = pg.mkColor(COLORS[i % len(COLORS)])
            fill = pg.mkColor(col)
            fill.setAlpha(90)
            self.plot(bins, counts, stepMode="center", fillLevel=0, brush=fill,
                      pen=pg.mkPen(col, width=2), name=m)
