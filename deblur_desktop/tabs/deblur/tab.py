"""Deblur tab: drop photos and folders, deblur them in a batch, compare before and after.

Left: the drop zone, the blur triage bar (`triage_panel.py`: every photo added is
scored for blur in the background; "only photos that need it" with its threshold,
bursts folded under their sharpest shot), the queue (`queue_table.py`: tick box,
thumbnail, blur score, size, status and why), the engine and output options
(`options_panel.py`), Start/Cancel with total and per-photo progress, ETA and MP/s, and
the summary (`batch_panel.py`); Start deblurs the ticked photos the filter shows.
The options scroll below the queue (a splitter between them, its place remembered), so
the queue keeps its rows and Start stays on screen in a 1024x640 window.
Right: the compare view of the selected file (`preview_panel.py`: original vs result,
the estimated blur kernel after shake reduction, a "Blur region" tool to re-run a photo
with the kernel estimated from a chosen part, and "try on the visible area"). This
module owns the queue and the batch. Every read, scan, score and model call runs through
`deblur_desktop.workers`; the batch itself is core's `deblur_jobs` (via `jobs.BatchRun`).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from core.data.imageio import ImageReadError
from core.events import (BatchFinished, FileDone, FileFailed, FileSkipped, FileStarted, KernelEstimated,
                         TileProgress)
from core.shake import ShakeOptions
from deblur_desktop import workers
from deblur_desktop.appearance import error_html
from deblur_desktop.file_filters import PHOTO_FILTER
from deblur_desktop.settings import DEBLUR_LAST_FOLDER, settings
from deblur_desktop.tabs.deblur.batch_panel import BatchPanel
from deblur_desktop.tabs.deblur.jobs import BatchRun, QueueItem, expand_paths, output_root, result_path
from deblur_desktop.tabs.deblur.options_panel import OptionsPanel
from deblur_desktop.tabs.deblur.preview_panel import PreviewPanel
from deblur_desktop.tabs.deblur.queue_table import THUMB, QueueTable
from deblur_desktop.tabs.deblur.triage_panel import TriagePanel
from deblur_desktop.widgets.drop_zone import DropZone, local_paths
from deblur_desktop.widgets.engine_choice import LABELS
from deblur_desktop.widgets.qimage import to_qimage
from deblur_desktop.widgets.thumbnail_grid import make_thumbnail
from deblur_desktop.widgets.vscroll import VScroll

EMPTY = "Drop photos or folders to start."
SPLIT_KEY = "deblur/queue_split"  # the queue | options splitter, as the user left it
FILE_EVENTS = (FileStarted, TileProgress, KernelEstimated, FileDone, FileSkipped, FileFailed)  # about one file


class DeblurTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.job: workers.Job | None = None
        self.run: BatchRun | None = None
        self.last_result: BatchFinished | None = None
        self._scans: list[workers.Job] = []
        self._thumbs: list[workers.Job] = []

        # ---- input ----
        self.drop = DropZone()
        self.add_files_btn = QPushButton("Add photos…")
        self.add_folder_btn = QPushButton("Add folder…")
        self.clear_btn = QPushButton("Clear")
        self.queue = QueueTable()
        self.triage = TriagePanel(self.queue)
        self.queue_info = QLabel(EMPTY)
        self.queue_info.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.drop, 1)
        btns = QVBoxLayout()
        for b in (self.add_files_btn, self.add_folder_btn):
            btns.addWidget(b)
        top.addLayout(btns)

        self.options = OptionsPanel()
        self.batch = BatchPanel()
        self.preview = PreviewPanel(self.options, self.queue)

        queue_box = QWidget()
        ql = QVBoxLayout(queue_box)
        ql.setContentsMargins(0, 0, 0, 0)
        ql.addWidget(self.queue, 1)
        info_row = QHBoxLayout()
        info_row.addWidget(self.queue_info, 1)
        info_row.addWidget(self.clear_btn, 0, Qt.AlignmentFlag.AlignTop)
        ql.addLayout(info_row)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(queue_box)
        self.split.addWidget(VScroll(self.options))
        self.split.setCollapsible(0, False)
        self.split.setStretchFactor(0, 1)  # a taller window gives the queue the rows
        self.split.setStretchFactor(1, 0)
        self.split.setSizes([420, 130])  # the engine and model rows in view; the rest scrolls
        state = settings().value(SPLIT_KEY)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.split.restoreState(state)
        self.split.splitterMoved.connect(lambda *_: settings().setValue(SPLIT_KEY, self.split.saveState()))
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(self.triage)
        ll.addWidget(self.split, 1)
        ll.addWidget(self.batch)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(self.preview)
        body.setStretchFactor(0, 1)  # a narrower window takes from both sides
        body.setStretchFactor(1, 2)
        body.setSizes([560, 720])
        QVBoxLayout(self).addWidget(body)

        self.drop.paths_dropped.connect(self.add_paths)
        self.drop.clicked.connect(self.choose_files)
        self.add_files_btn.clicked.connect(self.choose_files)
        self.add_folder_btn.clicked.connect(self.choose_folder)
        self.clear_btn.clicked.connect(self.clear)
        self.options.changed.connect(self._update_buttons)
        self.batch.start_btn.clicked.connect(self.start)
        self.batch.cancel_btn.clicked.connect(self.cancel)
        self.queue.item_selected.connect(self.show_item)
        self.queue.ticks_changed.connect(self._queue_changed)
        self.triage.changed.connect(self._queue_changed)
        self.preview.region_drawn.connect(self.rerun_region)
        self._update_buttons()

    def refresh_models(self) -> None:
        """Main window hook: a run finished or a model was imported."""
        self.options.refresh_models()

    # ---- adding files ---------------------------------------------------------------
    def choose_files(self) -> None:
        start = settings().value(DEBLUR_LAST_FOLDER, "", str)
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos to deblur", start, PHOTO_FILTER)
        if files:
            self.add_paths(files)

    def choose_folder(self) -> None:
        start = settings().value(DEBLUR_LAST_FOLDER, "", str)
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos (with its subfolders)", start)
        if folder:
            self.add_paths([folder])

    def open_photos(self, paths: list[str]) -> None:
        """Main window hook: File > Open photos, and drops anywhere on the window."""
        self.add_paths(paths)

    def add_paths(self, paths: list[str]) -> None:
        if not paths:
            return
        settings().setValue(DEBLUR_LAST_FOLDER, str(Path(paths[0]).parent))
        self.queue_info.setText("Looking for photos…")
        holder: list[workers.Job] = []
        job = workers.start_call(expand_paths, paths, set(self.queue.rows), on_done=self._scanned,
                                 on_error=self._scan_failed, name="find photos",
                                 on_finished=lambda: holder[0] in self._scans and self._scans.remove(holder[0]))
        holder.append(job)
        self._scans.append(job)

    def _scanned(self, items: list[QueueItem]) -> None:
        items = [it for it in items if it.key not in self.queue.rows]  # scans may overlap
        self.queue.add_items(items)
        self.triage.score(items)  # in the background: the Blur column fills as scores arrive
        self._queue_changed()
        wanted = [(it.key, it.path) for it in items if it.usable]
        if wanted:
            self._thumbs = [j for j in self._thumbs if j.is_running]
            self._thumbs.append(workers.start_job(self._make_thumbs(wanted), on_event=self._thumb,
                                                  name="queue thumbnails", owner=self))
        if self.preview.shown is None and self.queue.currentRow() < 0:
            first = next((i for i, it in enumerate(self.queue.items) if it.usable), None)
            if first is not None:
                self.queue.selectRow(first)

    def _scan_failed(self, exc: BaseException) -> None:
        self.queue_info.setText(error_html(f"Cannot read the dropped files: {exc}"))

    @staticmethod
    def _make_thumbs(wanted):
        for key, path in wanted:
            try:
                yield key, make_thumbnail(path, THUMB)
            except ImageReadError:
                continue  # the queue keeps the placeholder; the batch reports the problem

    def _thumb(self, item) -> None:
        key, pixels = item
        self.queue.set_thumbnail(key, to_qimage(pixels))

    def _queue_changed(self) -> None:
        self._count()
        self._update_buttons()

    def _count(self) -> None:
        c = self.queue.counts()
        usable = sum(it.usable for it in self.queue.items)
        parts = [f"{usable} photo(s)"]
        if usable:
            parts.append(f"{len(self.queue.runnable())} ticked to deblur")
        for k in ("done", "failed", "skipped"):
            if c.get(k):
                parts.append(f"{c[k]} {k}")
        self.queue_info.setText(" · ".join(parts))

    def clear(self) -> None:
        if self.job is not None:
            return
        for j in self._thumbs:
            j.abort()
        self._thumbs.clear()
        self.triage.abort()
        self.queue.clear_items()
        self.preview.clear()
        self.queue_info.setText(EMPTY)
        self._update_buttons()

    # ---- drops anywhere on the tab ---------------------------------------------------
    def dragEnterEvent(self, e) -> None:
        if local_paths(e.mimeData()):
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        paths = local_paths(e.mimeData())
        if paths:
            e.acceptProposedAction()
            self.add_paths(paths)

    # ---- the batch ------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.job is not None
        has_work = bool(self.queue.runnable())
        self.batch.start_btn.setEnabled(not running and has_work and self.options.can_run())
        self.batch.cancel_btn.setEnabled(running)
        self.clear_btn.setEnabled(not running)
        self.options.setEnabled(not running)
        self.preview.running = running
        self.preview.update_buttons()

    def start(self) -> None:
        """Deblur the ticked photos the filter shows: those not done yet, or all of them
        again when every one is done."""
        chosen = self.queue.runnable()
        self.run_items([it for it in chosen if it.status != "done"] or chosen)

    def run_items(self, items: list[QueueItem], region: tuple[int, int, int, int] | None = None) -> None:
        """Deblur `items` in a batch; `region` (x, y, w, h): estimate the blur there."""
        o = self.options
        if self.job is not None or not o.can_run() or not items:
            return
        o.save()
        opts = o.output_options()
        if region is not None:
            opts.existing = "overwrite"  # re-running a photo replaces its earlier result
        for it in items:
            self.queue.set_status(it.key, "queued")
        self.last_result = None
        engine = o.engine.engine()
        self.batch.begin(items, sorted({str(output_root(it, opts)) for it in items}),
                         f"Loading the model ({o.model.currentText()})…" if engine == "learned"
                         else f"Starting {LABELS[engine].lower()}…",
                         "tile" if engine == "learned" else "step")  # shake reduction: estimate, then deconvolve
        self.run = BatchRun(items, o.model_path(), o.device.currentText(), opts, engine=engine,
                            shake=ShakeOptions(region=region) if region else None)
        self.job = workers.start_job(self.run, on_event=self._event, on_error=self.batch.failed,
                                     on_finished=self._ended, name="deblur batch")
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.stop()  # BatchRun: stops after the current tile, writes nothing partial
            self.batch.cancelling()

    def _event(self, ev) -> None:
        it = self.queue.get(ev.path) if isinstance(ev, FILE_EVENTS) else None
        unit = self.batch.unit
        if isinstance(ev, FileStarted):
            self.queue.set_status(ev.path, "running", f"0/{ev.tiles} {unit}s", out_path=ev.out_path)
            if it is not None:
                it.kernel = None  # the new run's kernel, or none (learned)
        elif isinstance(ev, TileProgress):
            self.queue.set_status(ev.path, "running", f"{ev.tiles_done}/{ev.tiles} {unit}s")
        elif isinstance(ev, KernelEstimated):
            if it is not None:
                it.kernel = ev
        elif isinstance(ev, FileDone):
            ran = f" · {it.kernel.what_ran}" if it and it.kernel else ""  # shake: which photos it left unchanged
            self.queue.set_status(ev.path, "done", f"{ev.seconds:.1f} s{ran}", out_path=ev.out_path)
        elif isinstance(ev, (FileSkipped, FileFailed)):
            status, reason, out = ("skipped" if isinstance(ev, FileSkipped) else "failed"), ev.reason, None
            if isinstance(ev, FileSkipped) and it is not None and self.run is not None:
                earlier = result_path(it, self.run.opts)
                if earlier.is_file():  # core says "<path> exists": say whose file it is, keep it to compare
                    reason, out = f"result of an earlier run kept ({earlier.name})", str(earlier)
            self.queue.set_status(ev.path, status, reason, out_path=out)
        elif isinstance(ev, BatchFinished):
            self.last_result = ev
        self.batch.show_event(ev, it)
        if isinstance(ev, FileDone):
            if self.preview.shown == ev.path:  # the photo in view is done: show its result
                self.show_item(self.queue.get(ev.path))
            elif self.preview.shown is None and self.queue.currentRow() < 0:
                self.queue.selectRow(self.queue.rows[ev.path])
        self._count()

    def _ended(self) -> None:
        """Whatever happened: files still marked running go back to queued (not written)."""
        self.job, self.run = None, None
        for it in self.queue.items:
            if it.status == "running":
                self.queue.set_status(it.key, "queued", "cancelled" if self.last_result else "")
        self._count()
        self._update_buttons()

    # ---- compare --------------------------------------------------------------------
    def show_item(self, item: QueueItem | None) -> None:
        """Compare `item` with its result; where the batch running (or the options) write it."""
        self.preview.show_item(item, self.run.opts if self.run else self.options.output_options())

    def rerun_region(self, x: int, y: int, w: int, h: int) -> None:
        """The user drew a blur region on the shown photo: run it again with the kernel
        estimated there (its output is replaced)."""
        shown = self.preview.shown
        it = self.queue.get(shown) if shown else None
        if it is None or self.job is not None or self.options.engine.engine() == "learned":
            return
        self.run_items([it], region=(x, y, w, h))
        self.preview.view_info.setText(f"<b>{it.rel}</b> · estimating the blur from {w}×{h} px at ({x}, {y})…")

    def shutdown(self) -> None:
        self.triage.shutdown()
        self.preview.shutdown()
        self.options.shutdown()
        for j in [*self._thumbs, *self._scans]:
            j.abort()
        if self.job is not None:
            self.job.stop()
