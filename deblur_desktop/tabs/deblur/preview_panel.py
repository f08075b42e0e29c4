"""The Deblur tab's right side: the selected file before and after (with the estimated
blur kernel as an inset after shake reduction), a result an earlier run left compared
too, "Try on visible area" to preview the engine on the part in view, and the "Blur
region" tool whose drawn box the tab re-runs the photo with. Files load off the GUI thread.
"""
from __future__ import annotations

import html
import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.events import KernelEstimated
from core.inference.tiling import Cancelled
from deblur_desktop import workers
from deblur_desktop.appearance import error_html
from deblur_desktop.tabs.deblur.jobs import OutputOptions, QueueItem, load_compare, result_path, try_crop
from deblur_desktop.tabs.deblur.options_panel import OptionsPanel
from deblur_desktop.tabs.deblur.queue_table import QueueTable
from deblur_desktop.widgets.compare_view import CompareView
from deblur_desktop.widgets.engine_choice import LABELS

HINT = "Click a file in the queue to see it here."


class PreviewPanel(QWidget):
    region_drawn = Signal(int, int, int, int)  # x, y, w, h on the shown photo: re-run it with that region

    def __init__(self, options: OptionsPanel, queue: QueueTable, parent=None):
        super().__init__(parent)
        self.options, self.queue = options, queue
        self.shown: str | None = None  # key of the file in the compare view
        self.running = False  # a batch runs (set by the tab): no blur region then
        self._view_job: workers.Job | None = None
        self._crop_job: workers.Job | None = None
        self._crop_cancel: threading.Event | None = None
        self._crop_label = ""  # what made the preview on show: a model or an engine

        self.compare = CompareView(region_tool=True)
        self.view_info = QLabel(HINT)
        self.view_info.setWordWrap(True)
        self.crop_btn = QPushButton("Try on visible area")
        self.crop_btn.setToolTip("Deblur only the part of the photo in view (at most 768 px a side): "
                                 "a quick preview of the engine before a whole batch (shake reduction "
                                 "estimates the blur from that part)")
        self.crop_btn.setEnabled(False)
        vrow = QHBoxLayout()
        vrow.addWidget(self.view_info, 1)
        vrow.addWidget(self.crop_btn)
        rl = QVBoxLayout(self)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.compare, 1)
        rl.addLayout(vrow)

        self.crop_btn.clicked.connect(self.try_visible_area)
        self.compare.region_drawn.connect(self.region_drawn)

    def update_buttons(self) -> None:
        self.crop_btn.setEnabled(self.shown is not None and self.options.can_run())
        shake = self.options.engine.engine() != "learned"
        self.compare.region_btn.setEnabled(self.shown is not None and shake and not self.running)
        if not self.compare.region_btn.isEnabled():
            self.compare.region_btn.setChecked(False)

    def clear(self) -> None:
        self.compare.clear()
        self.shown = None
        self.view_info.setText(HINT)

    # ---- the selected file ----------------------------------------------------------
    def show_item(self, item: QueueItem | None, opts: OutputOptions) -> None:
        """Load `item` and its result (this run's, or one an earlier run left where `opts` write)."""
        if self._view_job is not None:
            self._view_job.abort()  # the user moved on: an older file must not pop up
            self._view_job = None
        if item is None or not item.usable:
            if item is not None:  # nothing to show: say why instead of leaving another photo up
                self.shown = None
                self.compare.clear()
                self.view_info.setText(f"<b>{item.rel}</b> · skipped: {item.reason}")
                self.update_buttons()
            return
        out = item.out_path if item.status == "done" else None
        # not deblurred in this session: an earlier run may have left its result where
        # the current options would write it (the batch then skips the file)
        earlier = None if out else str(result_path(item, opts))
        self.view_info.setText(f"Loading {item.rel} …")
        self._view_job = workers.start_call(load_compare, item.key, out, earlier, on_done=self._view_loaded,
                                            on_error=self._view_failed, name="load compare")

    def _view_loaded(self, d: dict) -> None:
        self._view_job = None
        if self.shown != d["src"]:
            self.compare.region_tool.clear()  # another photo: its blur region means nothing here
        self.shown = d["src"]
        it = self.queue.get(d["src"])
        h, w = d["original"].shape[:2]
        self.compare.clear_kernel()
        if d["result"] is not None and d["earlier"]:
            self.compare.set_images([("Original", d["original"]), ("Deblurred (earlier run)", d["result"])])
            again = ("set “If it exists” to Overwrite to deblur it again"
                     if self.options.existing.currentData() == "skip" else "Start replaces it")
            self.view_info.setText(f"<b>{it.rel if it else d['src']}</b> · {w}×{h} · result from an earlier "
                                   f"run, written {d['written']}; {again}<br>"
                                   f"<small>{html.escape(d['result_path'])}</small>")
        elif d["result"] is not None:
            self.compare.set_images([("Original", d["original"]), ("Deblurred", d["result"])])
            self.view_info.setText(f"<b>{it.rel if it else d['src']}</b> · {w}×{h} · "
                                   f"<small>{it.out_path if it else ''}</small>")
            if it is not None and it.kernel is not None:  # shake reduction ran: show what it found
                self.show_kernel(it.kernel)
        else:
            self.compare.set_images([("Original", d["original"])])
            status = it.status if it else ""
            self.view_info.setText(f"<b>{it.rel if it else d['src']}</b> · {w}×{h} · {status}: "
                                   "the result shows here when it is done")
        self.update_buttons()

    def _view_failed(self, exc: BaseException) -> None:
        self._view_job = None
        self.shown = None
        self.compare.clear()
        self.view_info.setText(error_html(f"Cannot show this file: {exc}"))
        self.update_buttons()

    def show_kernel(self, ev: KernelEstimated) -> None:
        self.compare.show_kernel(ev.kernel, ev.confidence, ev.extent_px, ev.what_ran)

    # ---- try on the visible area ----------------------------------------------------
    def try_visible_area(self) -> None:
        """Deblur the part of the shown photo that is in view, pasted into the original."""
        if self.shown is None or not self.options.can_run():
            return
        if self._crop_cancel is not None:
            self._crop_cancel.set()
        r = self.compare.current_pane().visible_image_rect()
        if r.isEmpty():
            return
        self._crop_cancel = threading.Event()
        o = self.options
        engine = o.engine.engine()
        self._crop_label = o.model.currentText() if engine == "learned" else LABELS[engine].lower()
        self.crop_btn.setEnabled(False)
        self.view_info.setText("Deblurring the visible area…")
        self._crop_job = workers.start_call(try_crop, self.shown, (r.x(), r.y(), r.width(), r.height()),
                                            o.model_path(), o.device.currentText(),
                                            cancel=self._crop_cancel.is_set, ensemble=o.output_options().ensemble,
                                            engine=engine, on_done=self._crop_done,
                                            on_error=self._crop_failed, on_finished=self.update_buttons,
                                            name="try on crop")

    def _crop_done(self, d: dict) -> None:
        if d["src"] != self.shown:
            return  # the user moved to another file meanwhile
        x, y, w, h = d["box"]
        self.compare.set_images([("Original", d["original"]), (f"Preview: {self._crop_label}", d["result"])])
        self.compare.clear_kernel()
        if d["kernel"] is not None:
            self.show_kernel(d["kernel"])
        self.view_info.setText(f"Preview: deblurred {w}×{h} px at ({x}, {y}) in {d['seconds']:.1f} s; "
                               "the rest is the original")

    def _crop_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, Cancelled):  # cancelled: a newer preview replaced it
            self.view_info.setText(error_html(f"The preview failed: {exc}"))

    def shutdown(self) -> None:
        if self._crop_cancel is not None:
            self._crop_cancel.set()
        for j in (self._view_job, self._crop_job):
            if j is not None:
                j.abort()
