"""A grid of pair thumbnails, loaded lazily off the GUI thread.

Only items scrolled into view are asked for; one background job drains a queue of
wanted indices (visible ones jump the queue). Showing a new list bumps a generation
number and aborts the job, so thumbnails of the previous folder are dropped, never
painted into the new grid.
"""
from __future__ import annotations

import threading
from collections import deque
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from core.data.imageio import ImageReadError, read_rgb, to_uint8
from core.data.pairs import ImagePair
from deblur_desktop import workers
from deblur_desktop.widgets.qimage import to_qimage

THUMB = 112


def make_thumbnail(path: Path, size: int = THUMB) -> np.ndarray:
    """uint8 HxWx3 no larger than size x size (runs on a worker thread)."""
    im = Image.fromarray(to_uint8(read_rgb(path)))
    im.thumbnail((size, size), Image.Resampling.BILINEAR)
    return np.asarray(im)


class ThumbnailGrid(QListWidget):
    pair_activated = Signal(object)  # ImagePair of the current item

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 24, THUMB + 34))
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSpacing(4)
        self.pairs: list[ImagePair] = []
        self.generation = 0
        self.loaded = 0
        self._lock = threading.Lock()
        self._wanted: deque[int] = deque()
        self._requested: set[int] = set()
        self._job: workers.Job | None = None
        self._placeholder = self._blank()
        self._debounce = QTimer(self, singleShot=True, interval=60, timeout=self._request_visible)
        self.verticalScrollBar().valueChanged.connect(lambda *_: self._debounce.start())
        self.currentItemChanged.connect(self._current_changed)

    def _blank(self) -> QIcon:
        # full THUMB x THUMB: with uniform item sizes the first item's icon sets every size
        pm = QPixmap(THUMB, THUMB)
        pm.fill(QColor(0, 0, 0, 0))
        p = QPainter(pm)
        p.fillRect(8, THUMB // 6, THUMB - 16, THUMB * 2 // 3, QColor(128, 128, 128, 70))
        p.end()
        return QIcon(pm)

    def set_pairs(self, pairs: list[ImagePair]) -> None:
        self.stop()
        self.generation += 1
        self.loaded = 0
        self._requested.clear()
        self.blockSignals(True)  # clearing moves the current item through the old rows
        self.clear()
        self.blockSignals(False)
        self.pairs = list(pairs)
        for i, p in enumerate(self.pairs):
            it = QListWidgetItem(self._placeholder, p.sharp.stem)
            it.setToolTip(f"{p.name}\n{p.blur or '(sharp only)'}")
            it.setData(Qt.ItemDataRole.UserRole, i)
            self.addItem(it)
        if self.pairs:
            self.setCurrentRow(0)
        self._debounce.start()

    def stop(self) -> None:
        self._debounce.stop()
        with self._lock:
            self._wanted.clear()
        if self._job is not None:
            self._job.abort()
            self._job = None

    def visible_rows(self) -> list[int]:
        rect = self.viewport().rect()
        first = self.indexAt(rect.topLeft() + QPoint(4, 4)).row()
        rows = []
        for i in range(max(first, 0), self.count()):
            r = self.visualItemRect(self.item(i))
            if r.top() > rect.bottom():
                break
            if r.intersects(rect):
                rows.append(i)
        return rows

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        self._debounce.start()

    def showEvent(self, e) -> None:
        super().showEvent(e)
        self._debounce.start()

    def _request_visible(self) -> None:
        rows = [r for r in self.visible_rows() if r not in self._requested]
        if not rows:
            return
        with self._lock:
            self._wanted.extendleft(reversed(rows))  # visible first, in reading order
        self._requested.update(rows)
        self._ensure_job()

    def _ensure_job(self) -> None:
        if self._job is None:
            gen = self.generation
            self._job = workers.start_job(self._produce(gen, list(self.pairs)), on_event=self._arrived,
                                          on_finished=lambda: self._job_ended(gen), name="thumbnails",
                                          owner=self)

    def _job_ended(self, gen: int) -> None:
        if gen != self.generation:
            return  # an aborted job of an older list; the current one has its own
        self._job = None
        with self._lock:
            more = bool(self._wanted)
        if more:  # rows queued just as the job found its queue empty
            self._ensure_job()

    def _produce(self, gen: int, pairs: list[ImagePair]):
        """Worker thread: pop wanted rows, yield (generation, row, pixels or None, error)."""
        while True:
            with self._lock:
                if not self._wanted:
                    return
                row = self._wanted.popleft()
            p = pairs[row]
            try:
                yield gen, row, make_thumbnail(p.blur or p.sharp), ""
            except ImageReadError as e:
                yield gen, row, None, str(e)

    def _arrived(self, item) -> None:
        gen, row, pixels, error = item
        if gen != self.generation or row >= self.count():
            return  # a thumbnail of a list the user has left
        it = self.item(row)
        if pixels is None:
            it.setToolTip(error)
            it.setForeground(QColor("#d04040"))
        else:
            # centred on a square canvas: portrait and landscape labels line up in the grid
            pm = QPixmap(THUMB, THUMB)
            pm.fill(QColor(0, 0, 0, 0))
            im = to_qimage(pixels)
            p = QPainter(pm)
            p.drawImage((THUMB - im.width()) // 2, (THUMB - im.height()) // 2, im)
            p.end()
            icon = QIcon(pm)
            icon.addPixmap(pm, QIcon.Mode.Selected)  # the label shows the selection; keep the photo untinted
            it.setIcon(icon)
        self.loaded += 1

    def _current_changed(self, cur, _prev) -> None:
        if cur is not None:
            self.pair_activated.emit(self.pairs[cur.data(Qt.ItemDataRole.UserRole)])
