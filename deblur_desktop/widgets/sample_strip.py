"""Sample previews: blurred | generated | sharp rows after each validation, with history
(blurred | deconvolved | refined | sharp for the kernel-aware refiner).

Each Sample event's images are downscaled once on arrival (a long run keeps every
epoch's previews without holding full-size frames) and a slider walks back through
the epochs. The slider follows the newest previews unless the user moved it back.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QHBoxLayout, QSlider, QVBoxLayout, QWidget

from deblur_desktop.widgets.qimage import to_qimage

COLUMNS = ("blurred", "generated", "sharp")
REFINE_COLUMNS = ("blurred", "deconvolved", "refined", "sharp")  # a kernel-aware model's rows
KEEP_SIDE = 320  # px kept per preview image (long side)


class SampleStrip(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.history: list[tuple[int, list[tuple[QImage, ...]]]] = []  # (epoch, rows)
        self.index = -1
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        self.headers: list[QLabel] = []
        self.cells: list[list[QLabel]] = []
        self._set_columns(COLUMNS)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Previews of earlier epochs")
        self.caption = QLabel("Sample previews appear after the first validation.")
        bottom = QHBoxLayout()
        bottom.addWidget(self.caption, 1)
        bottom.addWidget(self.slider, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self.grid, 1)
        lay.addLayout(bottom)
        self.slider.valueChanged.connect(self.show_index)

    def clear(self) -> None:
        self.history = []
        self.index = -1
        self._ensure_rows(0)
        self.slider.setEnabled(False)
        self.caption.setText("Sample previews appear after the first validation.")

    def add(self, epoch: int, triplets: list) -> None:
        rows = [tuple(_shrink(to_qimage(a)) for a in t) for t in triplets]
        following = self.index == len(self.history) - 1
        self.history = [h for h in self.history if h[0] != epoch] + [(epoch, rows)]
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.history) - 1)
        self.slider.setEnabled(len(self.history) > 1)
        self.slider.blockSignals(False)
        if following or self.index < 0:
            self.slider.setValue(len(self.history) - 1)
            self.show_index(len(self.history) - 1)
        else:
            self.show_index(self.index)

    def show_index(self, i: int) -> None:
        if not 0 <= i < len(self.history):
            return
        self.index = i
        epoch, rows = self.history[i]
        if rows:
            self._set_columns(REFINE_COLUMNS if len(rows[0]) == len(REFINE_COLUMNS) else COLUMNS)
        self._ensure_rows(len(rows))
        for r, images in enumerate(rows):
            for c, img in enumerate(images):
                self.cells[r][c].setProperty("image", img)
        self._rescale()
        self.caption.setText(f"Epoch {epoch} ({i + 1} of {len(self.history)})")

    def _set_columns(self, names: tuple[str, ...]) -> None:
        """Header labels for `names`; the rows are rebuilt when the count changes."""
        if [h.text() for h in self.headers] == list(names):
            return
        for h in self.headers:
            h.deleteLater()
        self.headers = []
        for c, name in enumerate(names):
            h = QLabel(name)
            h.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(h, 0, c)
            self.headers.append(h)
        self.columns = names
        self._ensure_rows(0)

    def _ensure_rows(self, n: int) -> None:
        while len(self.cells) > n:
            for lab in self.cells.pop():
                lab.deleteLater()
        while len(self.cells) < n:
            row = []
            for c in range(len(self.columns)):
                lab = QLabel()
                lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
                lab.setMinimumSize(60, 40)
                lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
                self.grid.addWidget(lab, len(self.cells) + 1, c)
                row.append(lab)
            self.cells.append(row)
        for r in range(1, n + 1):
            self.grid.setRowStretch(r, 1)

    def _rescale(self) -> None:
        for row in self.cells:
            for lab in row:
                img = lab.property("image")
                if isinstance(img, QImage) and not img.isNull():
                    lab.setPixmap(QPixmap.fromImage(img).scaled(
                        lab.size(), Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        self._rescale()


def _shrink(img: QImage) -> QImage:
    if max(img.width(), img.height()) <= KEEP_SIDE:
        return img
    return img.scaled(KEEP_SIDE, KEEP_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                      Qt.TransformationMode.SmoothTransformation)
