"""The Deblur tab's queue: one row per file with thumbnail, size and status (and why).

Rows are keyed by the file's absolute path, which is what core's batch events carry.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QStyledItemDelegate, QTableWidget,
                               QTableWidgetItem)

from deblur_desktop.tabs.deblur.jobs import QueueItem

THUMB = 40
STATUS_COLORS = {"done": "#40a060", "failed": "#d04040", "skipped": "#8c8c8c", "running": "#3d7bd9"}


def size_text(item: QueueItem) -> str:
    n = item.bytes
    mb = f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB" if n >= 1000 else f"{n} B"
    return f"{item.width}×{item.height} · {mb}" if item.width else mb


class ElideRight(QStyledItemDelegate):
    """Status texts: the start says what happened; the tooltip has the whole reason."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class QueueTable(QTableWidget):
    item_selected = Signal(object)  # QueueItem

    COLUMNS = ("File", "Size", "Status")

    def __init__(self, parent=None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.items: list[QueueItem] = []
        self.rows: dict[str, int] = {}
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # file names keep their extension
        self.setItemDelegateForColumn(2, ElideRight(self))
        head = self.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.setColumnWidth(2, 170)
        self._blank = self._placeholder()
        self.currentCellChanged.connect(self._current_changed)

    def _placeholder(self) -> QIcon:
        pm = QPixmap(THUMB, THUMB)
        pm.fill(QColor(128, 128, 128, 50))
        return QIcon(pm)

    def add_items(self, items: list[QueueItem]) -> None:
        for it in items:
            if it.key in self.rows:
                continue
            r = self.rowCount()
            self.insertRow(r)
            self.items.append(it)
            self.rows[it.key] = r
            name = QTableWidgetItem(self._blank if it.usable else QIcon(), str(it.rel))
            name.setToolTip(str(it.path))
            self.setItem(r, 0, name)
            size = QTableWidgetItem(size_text(it))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(r, 1, size)
            self.setItem(r, 2, QTableWidgetItem())
            self._show_status(r)

    def clear_items(self) -> None:
        self.setRowCount(0)
        self.items.clear()
        self.rows.clear()

    def get(self, key: str) -> QueueItem | None:
        r = self.rows.get(key)
        return self.items[r] if r is not None else None

    def set_status(self, key: str, status: str, reason: str = "", out_path: str | None = None) -> None:
        r = self.rows.get(key)
        if r is None:
            return
        it = self.items[r]
        it.status, it.reason = status, reason
        if out_path is not None:
            it.out_path = out_path
        self._show_status(r)

    def _show_status(self, r: int) -> None:
        it = self.items[r]
        cell = self.item(r, 2)
        text = it.status if not it.reason else f"{it.status}: {it.reason}"
        cell.setText(text)
        cell.setToolTip(text + (f"\n→ {it.out_path}" if it.out_path else ""))
        color = STATUS_COLORS.get(it.status.split()[0])
        if color:
            cell.setForeground(QColor(color))
        else:
            cell.setData(Qt.ItemDataRole.ForegroundRole, None)

    def set_thumbnail(self, key: str, image: QImage) -> None:
        r = self.rows.get(key)
        if r is not None:
            self.item(r, 0).setIcon(QIcon(QPixmap.fromImage(image)))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items:
            k = it.status.split()[0]
            out[k] = out.get(k, 0) + 1
        return out

    def current(self) -> QueueItem | None:
        r = self.currentRow()
        return self.items[r] if 0 <= r < len(self.items) else None

    def _current_changed(self, row: int, *_):
        if 0 <= row < len(self.items):
            self.item_selected.emit(self.items[row])
