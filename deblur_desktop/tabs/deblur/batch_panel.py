"""The Deblur tab's run controls: Start/Cancel, the batch and photo progress bars, ETA
and MP/s (core's TileProgress figures), the summary and "Open output folder". It turns
core's batch events into progress; the tab turns the same events into queue rows.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from core.events import BatchFinished, FileDone, FileFailed, FileSkipped, FileStarted, TileProgress
from deblur_desktop.appearance import RED, error_html
from deblur_desktop.tabs.deblur.jobs import QueueItem


def duration(s: float) -> str:
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


class BatchPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.output_dirs: list[str] = []  # where the batch writes (Open output folder: the first)
        self.unit = "tile"  # what the photo bar counts: tiles (learned model) or steps (shake reduction)
        # progress by pixels, so a big photo counts for more than a small one
        self.total_px = 0.0
        self.done_px = 0.0
        self.cur_px = 0
        self.n_items = self.n_finished = 0
        self.t_first: float | None = None  # when the first photo started (model loading excluded)

        self.start_btn = QPushButton("Start")
        self.start_btn.setDefault(True)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.total_bar = QProgressBar()
        self.total_bar.setRange(0, 1000)
        self.total_bar.setFormat("")
        self.photo_bar = QProgressBar()
        self.photo_bar.setFormat("")
        self.rate = QLabel(" ")
        self.summary = QLabel(" ")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_out_btn = QPushButton("Open output folder")
        self.open_out_btn.setEnabled(False)
        runrow = QHBoxLayout()
        runrow.addWidget(self.start_btn)
        runrow.addWidget(self.cancel_btn)
        runrow.addWidget(self.rate, 1)
        bars = QGridLayout()
        bars.addWidget(QLabel("All"), 0, 0)
        bars.addWidget(self.total_bar, 0, 1)
        bars.addWidget(QLabel("Photo"), 1, 0)
        bars.addWidget(self.photo_bar, 1, 1)
        done_row = QHBoxLayout()
        done_row.addWidget(self.summary, 1)
        done_row.addWidget(self.open_out_btn, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(runrow)
        lay.addLayout(bars)
        lay.addLayout(done_row)
        self.open_out_btn.clicked.connect(self.open_output)

    def begin(self, items: list[QueueItem], output_dirs: list[str], what: str, unit: str) -> None:
        """A batch of `items` starts, writing into `output_dirs`; `what` says what loads first."""
        self.output_dirs = output_dirs
        self.total_px = sum(it.pixels for it in items)
        self.done_px = 0.0
        self.cur_px = 0
        self.n_items, self.n_finished = len(items), 0
        self.t_first = None
        self.unit = unit
        self.summary.setText(what)
        self.open_out_btn.setEnabled(False)
        self.total_bar.setValue(0)
        self.total_bar.setFormat(f"0 / {self.n_items} photos")
        self.photo_bar.setValue(0)
        self.rate.setText(" ")

    def cancelling(self) -> None:
        self.cancel_btn.setEnabled(False)
        self.summary.setText(f"Cancelling after this {self.unit}…")

    def failed(self, exc: BaseException) -> None:
        self.summary.setText(error_html(f"The batch could not run: {exc}"))

    def _progress(self, frac_px: float) -> None:
        if self.total_px > 0:
            self.total_bar.setValue(int(1000 * min(frac_px / self.total_px, 1.0)))
        self.total_bar.setFormat(f"{self.n_finished} / {self.n_items} photos")

    def show_event(self, ev, item: QueueItem | None) -> None:
        """Progress from one of core's batch events (`item`: the queue's file it is about)."""
        if isinstance(ev, FileStarted):
            if self.t_first is None:
                self.t_first = time.perf_counter()
            self.cur_px = ev.width * ev.height
            self.photo_bar.setRange(0, ev.tiles)
            self.photo_bar.setValue(0)
            self.photo_bar.setFormat(f"{Path(ev.path).name}: {self.unit} %v of %m")
            self.summary.setText(f"Deblurring {Path(ev.path).name} ({ev.width}×{ev.height})")
        elif isinstance(ev, TileProgress):
            self.photo_bar.setValue(ev.tiles_done)
            self._progress(self.done_px + self.cur_px * ev.tiles_done / ev.tiles)
            if ev.eta_s is not None:  # core's, for the whole Start: BatchRun is one core batch
                pace = f" · {ev.megapixels_per_s:.2f} MP/s" if ev.megapixels_per_s else ""
                self.rate.setText(f"ETA {duration(ev.eta_s)}{pace}")
        elif isinstance(ev, FileDone):
            self.done_px += self.cur_px
            self.n_finished += 1
            self._progress(self.done_px)
        elif isinstance(ev, (FileSkipped, FileFailed)):
            self.total_px -= item.pixels if item else 0
            self.n_finished += 1
            self._progress(self.done_px)
        elif isinstance(ev, BatchFinished):
            self._show_summary(ev)

    def _show_summary(self, fin: BatchFinished) -> None:
        head = "Cancelled" if fin.cancelled else "Finished"
        text = (f"<b>{head}</b>: {fin.done} done, {fin.skipped} skipped, {fin.failed} failed "
                f"in {duration(fin.seconds)}")
        if fin.failed:
            text += f" <span style='color:{RED}'>(see the queue for why)</span>"
        if self.output_dirs:
            more = f" and {len(self.output_dirs) - 1} more" if len(self.output_dirs) > 1 else ""
            text += f"<br><small>Results in {self.output_dirs[0]}{more}</small>"
        self.summary.setText(text)
        if not fin.cancelled:
            self.total_bar.setValue(1000)
        if self.t_first is not None and self.done_px:
            secs = time.perf_counter() - self.t_first
            self.rate.setText(f"{self.done_px / 1e6:.1f} MP in {duration(secs)} · "
                              f"{self.done_px / 1e6 / max(secs, 1e-6):.2f} MP/s")
        self.photo_bar.setFormat("")
        self.open_out_btn.setEnabled(any(Path(d).is_dir() for d in self.output_dirs))

    def open_output(self) -> None:
        if self.output_dirs:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.output_dirs[0]))
