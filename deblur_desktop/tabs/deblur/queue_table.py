"""The Deblur tab's queue: one row per file with a tick box and thumbnail, its blur
score, size and status (and why).

Rows are keyed by the file's absolute path, which is what core's batch and scan events
carry. A tick says "deblur this one"; the batch takes the ticked rows that the "only
photos that need it" filter shows (`runnable`). Burst shots (core.triage.bursts) sit
under their sharpest shot, folded away until "show all burst shots"; a header click
sorts, and a burst keeps together under its sharpest shot whatever the order.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QStyledItemDelegate, QTableWidget,
                               QTableWidgetItem)

from core.triage import THRESHOLD
from deblur_desktop.tabs.deblur.jobs import QueueItem

THUMB = 40
STATUS_COLORS = {"done": "#40a060", "failed": "#d04040", "skipped": "#8c8c8c", "running": "#3d7bd9"}
BLURRED_COLOR, SCORE_ERROR_COLOR = "#d08020", "#d04040"
COL_FILE, COL_BLUR, COL_SIZE, COL_STATUS = range(4)
CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked


def size_text(item: QueueItem) -> str:
    n = item.bytes
    mb = f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB" if n >= 1000 else f"{n} B"
    return f"{item.width}×{item.height} · {mb}" if item.width else mb


def blur_text(item: QueueItem) -> tuple[str, str]:
    """(cell text, tooltip) of the Blur column."""
    if item.score_error:
        return "not scored", f"The blur score could not be measured: {item.score_error}"
    if item.score is None:
        return ("…" if item.usable and not item.score_stopped else ""), ""
    text = f"{item.score:.1f}" + (f" · ~{item.blur_px:.0f} px" if item.blur_px is not None else "")
    tip = (f"Blur score {item.score:.2f}: the width in px of the photo's sharper edges at screen size "
           f"(about 1-2 when crisp; {THRESHOLD:g} or more reads as blurred by default)")
    if item.burst and item.sharpest:
        text += f"  ★ best of {item.burst_size}"
        tip += f"\nThe sharpest of a burst of {item.burst_size} near-identical shots: kept ticked"
    elif item.burst:
        text += "  · burst"
        tip += f"\nA burst shot; a sharper one of the same moment exists ({item.burst}): unticked"
    return text, tip


class ElideRight(QStyledItemDelegate):
    """Status texts: the start says what happened; the tooltip has the whole reason."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class QueueTable(QTableWidget):
    item_selected = Signal(object)  # QueueItem
    ticks_changed = Signal()  # the user ticked or unticked a row

    COLUMNS = ("File", "Blur", "Size", "Status")

    def __init__(self, parent=None):
        super().__init__(0, len(self.COLUMNS), parent)
        self.items: list[QueueItem] = []
        self.rows: dict[str, int] = {}
        self.added: dict[str, int] = {}  # key -> order of arrival (the order before any sort)
        self.threshold = THRESHOLD
        self.only_needing = False  # the filter: hide photos scored below the threshold
        self.folded = True  # burst shots other than the sharpest hidden
        self.sort_column: int | None = None
        self.sort_descending = False
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.horizontalHeaderItem(COL_BLUR).setToolTip("Blur score: higher is more blurred; click to sort")
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # file names keep their extension
        self.setItemDelegateForColumn(COL_STATUS, ElideRight(self))
        head = self.horizontalHeader()
        head.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(COL_BLUR, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(COL_SIZE, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Interactive)
        head.setSectionsClickable(True)
        head.sectionClicked.connect(self._header_clicked)
        self.setColumnWidth(COL_STATUS, 130)  # the file names keep room in a 1024 px window
        self._blank = self._placeholder()
        self.currentCellChanged.connect(self._current_changed)
        self.itemChanged.connect(self._cell_changed)

    def _placeholder(self) -> QIcon:
        pm = QPixmap(THUMB, THUMB)
        pm.fill(QColor(128, 128, 128, 50))
        return QIcon(pm)

    def add_items(self, items: list[QueueItem]) -> None:
        self.blockSignals(True)  # setting check states is not the user ticking
        try:
            for it in items:
                if it.key in self.rows:
                    continue
                r = self.rowCount()
                self.insertRow(r)
                self.items.append(it)
                self.rows[it.key] = r
                self.added[it.key] = len(self.added)
                name = QTableWidgetItem(self._blank if it.usable else QIcon(), str(it.rel))
                name.setToolTip(str(it.path))
                if it.usable:
                    name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    name.setCheckState(CHECKED if it.ticked else UNCHECKED)
                else:
                    it.ticked = False
                self.setItem(r, COL_FILE, name)
                blur = QTableWidgetItem()
                blur.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, COL_BLUR, blur)
                size = QTableWidgetItem(size_text(it))
                size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, COL_SIZE, size)
                self.setItem(r, COL_STATUS, QTableWidgetItem())
                self._show_status(r)
                self._show_blur(r)
        finally:
            self.blockSignals(False)
        self.refresh_rows()

    def clear_items(self) -> None:
        self.setRowCount(0)
        self.items.clear()
        self.rows.clear()
        self.added.clear()

    def get(self, key: str) -> QueueItem | None:
        r = self.rows.get(key)
        return self.items[r] if r is not None else None

    # ---- status ---------------------------------------------------------------------
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
        cell = self.item(r, COL_STATUS)
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
            self.item(r, COL_FILE).setIcon(QIcon(QPixmap.fromImage(image)))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items:
            k = it.status.split()[0]
            out[k] = out.get(k, 0) + 1
        return out

    # ---- blur scores, bursts and ticks ------------------------------------------------
    def set_score(self, key: str, score: float, blur_px: float | None = None) -> None:
        r = self.rows.get(key)
        if r is not None:
            self.items[r].score, self.items[r].blur_px = score, blur_px
            self._show_blur(r)
            self._show_row(r)

    def set_score_error(self, key: str, reason: str) -> None:
        r = self.rows.get(key)
        if r is not None:
            self.items[r].score_error = reason
            self._show_blur(r)

    def set_scoring_stopped(self, keys) -> None:
        """Scoring ended before these rows: their Blur cell says nothing more is coming."""
        for key in keys:
            r = self.rows.get(key)
            if r is not None and self.items[r].score is None and not self.items[r].score_error:
                self.items[r].score_stopped = True
                self._show_blur(r)

    def _show_blur(self, r: int) -> None:
        it = self.items[r]
        cell = self.item(r, COL_BLUR)
        text, tip = blur_text(it)
        cell.setText(text)
        cell.setToolTip(tip)
        color = (SCORE_ERROR_COLOR if it.score_error else
                 BLURRED_COLOR if it.score is not None and it.score >= self.threshold else None)
        cell.setData(Qt.ItemDataRole.ForegroundRole, QColor(color) if color else None)

    def set_bursts(self, bursts: list[tuple[list[str], str]]) -> None:
        """[(keys of one burst's shots, the sharpest one's key)]: the sharpest stays as it
        was, the others are unticked and fold under it."""
        for keys, sharpest in bursts:
            keys = [k for k in keys if k in self.rows]
            if sharpest not in self.rows or len(keys) < 2:
                continue
            for k in keys:
                it = self.get(k)
                it.burst, it.burst_size = sharpest, len(keys)
                if k != sharpest:
                    self.set_ticked(k, False)
                self._show_blur(self.rows[k])
        self.apply_order()

    def set_ticked(self, key: str, on: bool) -> None:
        r = self.rows.get(key)
        if r is None or not self.items[r].usable:
            return
        self.items[r].ticked = on
        self.blockSignals(True)
        self.item(r, COL_FILE).setCheckState(CHECKED if on else UNCHECKED)
        self.blockSignals(False)

    def _cell_changed(self, cell: QTableWidgetItem) -> None:
        if cell.column() != COL_FILE or not 0 <= cell.row() < len(self.items):
            return
        it = self.items[cell.row()]
        on = cell.checkState() == CHECKED
        if it.usable and on != it.ticked:
            it.ticked = on
            self.ticks_changed.emit()

    # ---- the filter and folding ---------------------------------------------------------
    def group_score(self, it: QueueItem) -> float | None:
        """The score the filter goes by: a burst shot's is its sharpest shot's, so a burst
        whose best shot is sharp needs no deblurring, and one whose best is blurred shows whole."""
        lead = self.get(it.burst) if it.burst else None
        return lead.score if lead is not None else it.score

    def needs_it(self, it: QueueItem) -> bool:
        """Scored at or above the threshold (a burst shot: its sharpest shot is)."""
        score = self.group_score(it)
        return score is not None and score >= self.threshold

    def filtered_out(self, it: QueueItem) -> bool:
        """Hidden by "only photos that need it": scored below the threshold. Photos not
        scored (yet, or that failed to score) stay: nothing says they are sharp."""
        return self.only_needing and self.group_score(it) is not None and not self.needs_it(it)

    def runnable(self) -> list[QueueItem]:
        """What Start deblurs: the ticked photos the filter shows (a folded burst shot
        counts by its tick)."""
        return [it for it in self.items if it.usable and it.ticked and not self.filtered_out(it)]

    def set_filter(self, only_needing: bool, threshold: float) -> None:
        self.only_needing, self.threshold = only_needing, threshold
        for r in range(len(self.items)):
            self._show_blur(r)
        self.refresh_rows()

    def set_folded(self, folded: bool) -> None:
        self.folded = folded
        self.refresh_rows()

    def refresh_rows(self) -> None:
        for r in range(len(self.items)):
            self._show_row(r)
        self.horizontalHeader().resizeSections()  # the header fits its columns to new texts only when told

    def _show_row(self, r: int) -> None:
        it = self.items[r]
        tucked = self.folded and bool(it.burst) and not it.sharpest
        self.setRowHidden(r, self.filtered_out(it) or tucked)
        name = self.item(r, COL_FILE)
        text = ("↳ " if it.burst and not it.sharpest else "") + str(it.rel)  # a burst shot under its sharpest
        if name.text() != text:
            name.setText(text)

    # ---- sorting ----------------------------------------------------------------------
    def _header_clicked(self, col: int) -> None:
        # a second click turns the order round; Blur starts most blurred first, the rest ascending
        self.sort_by(col, not self.sort_descending if self.sort_column == col else col == COL_BLUR)

    def sort_by(self, col: int, descending: bool) -> None:
        self.sort_column, self.sort_descending = col, descending
        head = self.horizontalHeader()
        head.setSortIndicatorShown(True)
        head.setSortIndicator(col, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
        self.apply_order()

    def _sort_key(self, it: QueueItem):
        """The value sorted on (None: last whatever the direction)."""
        col = self.sort_column
        if col == COL_BLUR:
            return it.score
        if col == COL_FILE:
            return str(it.rel).lower()
        if col == COL_SIZE:
            return it.pixels or it.bytes
        if col == COL_STATUS:
            return it.status
        return self.added[it.key]

    def apply_order(self) -> None:
        """Lay the rows out in the sort order, each burst as one block: its sharpest shot,
        then the others from sharper to more blurred."""
        groups: dict[str, list[QueueItem]] = {}
        for it in self.items:
            groups.setdefault(it.burst or it.key, []).append(it)
        blocks = [sorted(g, key=lambda it: (not it.sharpest, math.inf if it.score is None else it.score))
                  for g in groups.values()]
        blocks.sort(key=lambda g: self.added[g[0].key])
        known = [g for g in blocks if self._sort_key(g[0]) is not None]
        known.sort(key=lambda g: self._sort_key(g[0]), reverse=self.sort_descending and self.sort_column is not None)
        order = [it for g in known + [g for g in blocks if self._sort_key(g[0]) is None] for it in g]
        if order == self.items:
            return self.refresh_rows()
        current = self.current()
        self.blockSignals(True)
        try:
            cells = [[self.takeItem(r, c) for c in range(self.columnCount())] for r in range(len(self.items))]
            old = dict(self.rows)
            for r, it in enumerate(order):
                for c, cell in enumerate(cells[old[it.key]]):
                    self.setItem(r, c, cell)
            self.items = order
            self.rows = {it.key: r for r, it in enumerate(order)}
            if current is not None:
                self.setCurrentCell(self.rows[current.key], COL_FILE)
        finally:
            self.blockSignals(False)
        self.refresh_rows()

    # ---- selection --------------------------------------------------------------------
    def current(self) -> QueueItem | None:
        r = self.currentRow()
        return self.items[r] if 0 <= r < len(self.items) else None

    def _current_changed(self, row: int, *_):
        if 0 <= row < len(self.items):
            self.item_selected.emit(self.items[row])
