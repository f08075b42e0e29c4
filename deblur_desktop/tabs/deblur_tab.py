"""Deblur tab: drop photos and folders, deblur them in a batch, compare before and after.

Left: the drop zone, the queue (thumbnail, size, status and why), the engine (learned
model, shake reduction or auto), model, device and output options, Start/Cancel with
total and per-photo progress, ETA and MP/s, and the summary. Right: the compare view of
the selected file (original vs result, with the estimated blur kernel as an inset after
shake reduction, and a "Blur region" tool to re-run a photo with the kernel estimated
from a chosen part), and "try on the visible area" to preview an engine on part of a
large photo before a whole batch. Options are saved as they change (not only when a
batch starts), and a file whose result an earlier run left is compared with that result.
Every read, scan and model call runs through `deblur_desktop.workers`; the batch itself
is core's `deblur_paths` (via `deblur_jobs.BatchRun`).
"""
from __future__ import annotations

import html
import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from core.device import list_devices
from core.model_files import MODEL_SUFFIXES
from core.model_library import find_models
from core.events import (BatchFinished, FileDone, FileFailed, FileSkipped, FileStarted, KernelEstimated,
                         TileProgress)
from deblur_desktop import workers
from deblur_desktop.settings import DEBLUR_LAST_FOLDER, settings
from deblur_desktop.tabs.deblur_jobs import (BatchRun, OutputOptions, QueueItem, expand_paths, load_compare,
                                             model_info, output_root, result_path, try_crop)
from deblur_desktop.widgets.drop_zone import DropZone, local_paths
from deblur_desktop.widgets.engine_choice import DEFAULT_ENGINE, LABELS, EngineChoice
from deblur_desktop.widgets.qimage import to_qimage
from deblur_desktop.widgets.queue_table import THUMB, QueueTable
from deblur_desktop.widgets.thumbnail_grid import make_thumbnail

FORMATS = [("Same as input", None, None), ("PNG", "png", None), ("JPEG", "jpeg", None),
           ("TIFF 16-bit", "tiff", 16)]
TILES = [("Auto (from free memory)", None), ("256 px", 256), ("512 px", 512), ("1024 px", 1024),
         ("2048 px", 2048), ("Whole image", 0)]
EXISTING = [("Skip", "skip"), ("Overwrite", "overwrite")]
# Self-ensemble views (core.inference.deblur): measured gains are in docs/default-model.md
QUALITY = [("Fast: one pass", 1), ("Finer: 4 flipped passes (4× time)", 4),
           ("8 passes, flipped and turned (8× time)", 8)]
PHOTO_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp);;All files (*)"
RED = "#d04040"


def duration(s: float) -> str:
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


class DeblurTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.job: workers.Job | None = None
        self.run: BatchRun | None = None
        self.last_result: BatchFinished | None = None
        self.output_dirs: list[str] = []
        self._scans: list[workers.Job] = []
        self._crop_job: workers.Job | None = None
        self._thumbs: list[workers.Job] = []
        self._view_job: workers.Job | None = None
        self._crop_cancel: threading.Event | None = None
        self._shown: str | None = None  # key of the file in the compare view
        self._info_job: workers.Job | None = None
        self._unit = "tile"  # what the photo bar counts: tiles (learned model) or steps (shake reduction)

        # ---- input ----
        self.drop = DropZone()
        self.add_files_btn = QPushButton("Add photos…")
        self.add_folder_btn = QPushButton("Add folder…")
        self.clear_btn = QPushButton("Clear")
        self.queue = QueueTable()
        self.queue_info = QLabel("Drop photos or folders to start.")
        top = QHBoxLayout()
        top.addWidget(self.drop, 1)
        btns = QVBoxLayout()
        for b in (self.add_files_btn, self.add_folder_btn, self.clear_btn):
            btns.addWidget(b)
        top.addLayout(btns)

        # ---- options ----
        self.engine = EngineChoice()
        self.model_label = QLabel("Model")
        self.model = QComboBox()
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(18)
        self.model_btn = QPushButton("File…")
        self.model_btn.setToolTip("A .safetensors export or a training checkpoint (.pt)")
        self.model_info = QLabel(" ")
        self.model_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device = QComboBox()
        self.device.addItems(list_devices())
        self.tile = QComboBox()
        for text, v in TILES:
            self.tile.addItem(text, v)
        self.tile.setToolTip("Big photos are deblurred in overlapping tiles; auto picks the size from free memory")
        self.ensemble = QComboBox()
        for text, v in QUALITY:
            self.ensemble.addItem(text, v)
        self.ensemble.setToolTip("Run the model on flipped copies of each photo and average them: a little "
                                 "sharper and cleaner (the default model gains 0.1-0.2 dB with 4 passes; "
                                 "its model card has the figures), 4 or 8 times slower")
        self.out_dir = QLineEdit()
        self.out_dir.setPlaceholderText("next to the originals: <folder>_deblurred")
        self.out_dir.setClearButtonEnabled(True)
        self.out_btn = QPushButton("Browse…")
        self.keep_structure = QCheckBox("Keep folder structure")
        self.keep_structure.setChecked(True)
        self.suffix = QLineEdit()
        self.suffix.setPlaceholderText("none")
        self.suffix.setMaximumWidth(110)
        self.suffix.setToolTip("Added to each output name, e.g. _deblurred")
        self.format = QComboBox()
        for text, fmt, depth in FORMATS:
            self.format.addItem(text, (fmt, depth))
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setValue(95)
        self.quality.setPrefix("quality ")
        self.keep_meta = QCheckBox("Keep metadata (EXIF, ICC)")
        self.keep_meta.setChecked(True)
        self.existing = QComboBox()
        for text, v in EXISTING:
            self.existing.addItem(text, v)
        self.existing.setToolTip("What to do when an output file already exists (originals are never replaced)")

        g = QGridLayout()
        g.setColumnStretch(1, 1)
        g.setColumnStretch(3, 1)
        g.addWidget(QLabel("Engine"), 0, 0)
        g.addWidget(self.engine, 0, 1, 1, 3)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(self.model_btn)
        g.addWidget(self.model_label, 1, 0)
        g.addLayout(row, 1, 1, 1, 3)
        g.addWidget(self.model_info, 2, 1, 1, 3)
        g.addWidget(QLabel("Device"), 3, 0)
        g.addWidget(self.device, 3, 1)
        g.addWidget(QLabel("Tiles"), 3, 2)
        g.addWidget(self.tile, 3, 3)
        g.addWidget(QLabel("Quality"), 4, 0)
        g.addWidget(self.ensemble, 4, 1, 1, 3)
        row = QHBoxLayout()
        row.addWidget(self.out_dir, 1)
        row.addWidget(self.out_btn)
        g.addWidget(QLabel("Output"), 5, 0)
        g.addLayout(row, 5, 1, 1, 3)
        g.addWidget(self.keep_structure, 6, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Suffix"))
        row.addWidget(self.suffix)
        row.addStretch(1)
        g.addLayout(row, 6, 2, 1, 2)
        g.addWidget(QLabel("Format"), 7, 0)
        row = QHBoxLayout()
        row.addWidget(self.format, 1)
        row.addWidget(self.quality)
        g.addLayout(row, 7, 1)
        g.addWidget(self.keep_meta, 7, 2, 1, 2)
        g.addWidget(QLabel("If it exists"), 8, 0)
        g.addWidget(self.existing, 8, 1)
        self.options = QGroupBox("Engine and output")
        self.options.setLayout(g)

        # ---- run ----
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

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(top)
        ll.addWidget(self.queue, 1)
        ll.addWidget(self.queue_info)
        ll.addWidget(self.options)
        ll.addLayout(runrow)
        ll.addLayout(bars)
        ll.addLayout(done_row)

        # ---- compare ----
        from deblur_desktop.widgets.compare_view import CompareView

        self.compare = CompareView(region_tool=True)
        self.view_info = QLabel("Click a file in the queue to see it here.")
        self.view_info.setWordWrap(True)
        self.crop_btn = QPushButton("Try on visible area")
        self.crop_btn.setToolTip("Deblur only the part of the photo in view (at most 768 px a side): "
                                 "a quick preview of the engine before a whole batch (shake reduction "
                                 "estimates the blur from that part)")
        self.crop_btn.setEnabled(False)
        vrow = QHBoxLayout()
        vrow.addWidget(self.view_info, 1)
        vrow.addWidget(self.crop_btn)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.compare, 1)
        rl.addLayout(vrow)

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(right)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        body.setSizes([560, 720])
        QVBoxLayout(self).addWidget(body)

        self.drop.paths_dropped.connect(self.add_paths)
        self.drop.clicked.connect(self.choose_files)
        self.add_files_btn.clicked.connect(self.choose_files)
        self.add_folder_btn.clicked.connect(self.choose_folder)
        self.clear_btn.clicked.connect(self.clear)
        self.model_btn.clicked.connect(self.choose_model)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.engine.currentIndexChanged.connect(self._engine_changed)
        self.out_btn.clicked.connect(self.choose_output)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.start_btn.clicked.connect(self.start)
        self.cancel_btn.clicked.connect(self.cancel)
        self.open_out_btn.clicked.connect(self.open_output)
        self.queue.item_selected.connect(self.show_item)
        self.crop_btn.clicked.connect(self.try_visible_area)
        self.compare.region_drawn.connect(self.rerun_region)
        self._restore()
        self._format_changed()
        self.refresh_models()
        self._engine_changed()
        self._save_on_change()  # after restoring: restoring must not overwrite what it reads

    # ---- settings -------------------------------------------------------------------
    def _restore(self) -> None:
        s = settings()
        self.out_dir.setText(s.value("deblur/out_dir", "", str))
        self.keep_structure.setChecked(s.value("deblur/keep_structure", True, bool))
        self.suffix.setText(s.value("deblur/suffix", "", str))
        self.format.setCurrentIndex(min(s.value("deblur/format", 0, int), self.format.count() - 1))
        self.quality.setValue(s.value("deblur/quality", 95, int))
        self.keep_meta.setChecked(s.value("deblur/keep_metadata", True, bool))
        self.existing.setCurrentIndex(min(s.value("deblur/existing", 0, int), self.existing.count() - 1))
        self.tile.setCurrentIndex(min(s.value("deblur/tile", 0, int), self.tile.count() - 1))
        self.ensemble.setCurrentIndex(min(s.value("deblur/ensemble", 0, int), self.ensemble.count() - 1))
        self.engine.set_engine(s.value("deblur/engine", DEFAULT_ENGINE, str))
        dev = self.device.findText(s.value("deblur/device", "auto", str))
        self.device.setCurrentIndex(max(dev, 0))

    def _save(self, *_) -> None:
        s = settings()
        for key, v in (("out_dir", self.out_dir.text()), ("keep_structure", self.keep_structure.isChecked()),
                       ("suffix", self.suffix.text()), ("format", self.format.currentIndex()),
                       ("quality", self.quality.value()), ("keep_metadata", self.keep_meta.isChecked()),
                       ("existing", self.existing.currentIndex()), ("tile", self.tile.currentIndex()),
                       ("ensemble", self.ensemble.currentIndex()), ("engine", self.engine.engine()),
                       ("device", self.device.currentText()), ("model", self.model_path() or "")):
            s.setValue(f"deblur/{key}", v)

    def _save_on_change(self) -> None:
        """Every option is written when it changes, so closing the app before a batch
        keeps it (settings used to be saved only by Start)."""
        for sig in (self.out_dir.textChanged, self.suffix.textChanged, self.quality.valueChanged,
                    self.keep_structure.toggled, self.keep_meta.toggled, self.format.currentIndexChanged,
                    self.existing.currentIndexChanged, self.tile.currentIndexChanged,
                    self.ensemble.currentIndexChanged, self.engine.currentIndexChanged,
                    self.device.currentIndexChanged, self.model.currentIndexChanged):
            sig.connect(self._save)

    def output_options(self) -> OutputOptions:
        fmt, depth = self.format.currentData()
        return OutputOptions(folder=self.out_dir.text().strip(), keep_structure=self.keep_structure.isChecked(),
                             suffix=self.suffix.text().strip(), format=fmt, quality=self.quality.value(),
                             bit_depth=depth, keep_metadata=self.keep_meta.isChecked(),
                             existing=self.existing.currentData(), tile=self.tile.currentData(),
                             ensemble=self.ensemble.currentData() if self.engine.engine() == "learned" else 1)

    def _format_changed(self, *_) -> None:
        self.quality.setEnabled(self.format.currentData()[0] == "jpeg")

    def _engine_changed(self, *_) -> None:
        """The model serves learned and auto's fallback; the self-ensemble only the learned one."""
        engine = self.engine.engine()
        self.ensemble.setEnabled(engine == "learned")
        for w in (self.model_label, self.model, self.model_btn, self.model_info):
            w.setEnabled(self.engine.uses_model())
        self.model_label.setToolTip("Used where shake reduction's kernel estimate is unreliable"
                                    if engine == "auto" else "")
        self._update_buttons()

    def can_run(self) -> bool:
        return not self.engine.uses_model() or bool(self.model_path())

    # ---- models ---------------------------------------------------------------------
    def refresh_models(self) -> None:
        """The shipped default, the user's models and trained runs, and any file picked."""
        keep = self.model_path() or settings().value("deblur/model", "", str)
        self.model.blockSignals(True)
        self.model.clear()
        for label, path in find_models():
            self.model.addItem(label, str(path))
            self.model.setItemData(self.model.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)
        self.model.blockSignals(False)
        if keep and Path(keep).is_file():
            self.set_model_file(keep)
        else:
            self._model_changed()

    def model_path(self) -> str | None:
        return self.model.currentData() if self.model.count() else None

    def set_model_file(self, path: str) -> None:
        i = self.model.findData(str(path))
        if i < 0:
            self.model.addItem(Path(path).name, str(path))
            i = self.model.count() - 1
            self.model.setItemData(i, str(path), Qt.ItemDataRole.ToolTipRole)
        if i == self.model.currentIndex():
            self._model_changed()
        else:
            self.model.setCurrentIndex(i)

    def choose_model(self) -> None:
        start = str(Path(self.model_path()).parent) if self.model_path() else ""
        suffixes = " ".join(f"*{s}" for s in MODEL_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model file", start,
                                              f"Models ({suffixes});;All files (*)")
        if path:
            self.set_model_file(path)

    def _model_changed(self, *_) -> None:
        path = self.model_path()
        if self._info_job is not None:
            self._info_job.abort()
        if not path:
            self.model_info.setText(f"<span style='color:{RED}'>No model installed yet: choose a model "
                                    "file (.safetensors or a training checkpoint).</span>")
        else:
            self.model_info.setText("Reading the model…")
            self._info_job = workers.start_call(model_info, path, on_done=self._model_info,
                                                on_error=self._model_bad, name="model info")
        self._update_buttons()

    def _model_info(self, text: str) -> None:
        self._info_job = None
        self.model_info.setText(f"<small>{text}</small>")

    def _model_bad(self, exc: BaseException) -> None:
        self._info_job = None
        self.model_info.setText(f"<span style='color:{RED}'>Cannot use this model: {exc}</span>")

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
        self._count()
        self._update_buttons()
        wanted = [(it.key, it.path) for it in items if it.usable]
        if wanted:
            self._thumbs = [j for j in self._thumbs if j.is_running]
            self._thumbs.append(workers.start_job(self._make_thumbs(wanted), on_event=self._thumb,
                                                  name="queue thumbnails", owner=self))
        if self._shown is None and self.queue.currentRow() < 0:
            first = next((i for i, it in enumerate(self.queue.items) if it.usable), None)
            if first is not None:
                self.queue.selectRow(first)

    def _scan_failed(self, exc: BaseException) -> None:
        self.queue_info.setText(f"<span style='color:{RED}'>Cannot read the dropped files: {exc}</span>")

    @staticmethod
    def _make_thumbs(wanted):
        from core.data.imageio import ImageReadError

        for key, path in wanted:
            try:
                yield key, make_thumbnail(path, THUMB)
            except ImageReadError:
                continue  # the queue keeps the placeholder; the batch reports the problem

    def _thumb(self, item) -> None:
        key, pixels = item
        self.queue.set_thumbnail(key, to_qimage(pixels))

    def _count(self) -> None:
        c = self.queue.counts()
        usable = sum(it.usable for it in self.queue.items)
        parts = [f"{usable} photo(s)"]
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
        self.queue.clear_items()
        self.compare.clear()
        self._shown = None
        self.view_info.setText("Click a file in the queue to see it here.")
        self.queue_info.setText("Drop photos or folders to start.")
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

    # ---- output folder --------------------------------------------------------------
    def choose_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Write the deblurred photos to", self.out_dir.text())
        if folder:
            self.out_dir.setText(folder)

    def open_output(self) -> None:
        if self.output_dirs:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.output_dirs[0]))

    # ---- the batch ------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.job is not None
        has_work = any(it.usable for it in self.queue.items)
        self.start_btn.setEnabled(not running and has_work and self.can_run())
        self.cancel_btn.setEnabled(running)
        self.clear_btn.setEnabled(not running)
        self.options.setEnabled(not running)
        self.crop_btn.setEnabled(self._shown is not None and self.can_run())
        shake = self.engine.engine() != "learned"
        self.compare.region_btn.setEnabled(self._shown is not None and shake and not running)
        if not self.compare.region_btn.isEnabled():
            self.compare.region_btn.setChecked(False)

    def start(self) -> None:
        usable = [it for it in self.queue.items if it.usable]
        self.run_items([it for it in usable if it.status != "done"] or usable)  # all done: run again

    def run_items(self, items: list[QueueItem], region: tuple[int, int, int, int] | None = None) -> None:
        """Deblur `items` in a batch; `region` (x, y, w, h): estimate the blur there."""
        from core.shake import ShakeOptions

        model = self.model_path()
        if self.job is not None or not self.can_run() or not items:
            return
        self._save()
        opts = self.output_options()
        if region is not None:
            opts.existing = "overwrite"  # re-running a photo replaces its earlier result
        for it in items:
            self.queue.set_status(it.key, "queued")
        self.output_dirs = sorted({str(output_root(it, opts)) for it in items})
        self.total_px = sum(it.pixels for it in items)
        self.done_px = 0.0
        self.cur_px = 0
        self.n_items, self.n_finished = len(items), 0
        self.t_first: float | None = None
        self.last_result = None
        engine = self.engine.engine()
        self.summary.setText(f"Loading the model ({self.model.currentText()})…" if engine == "learned"
                             else f"Starting {LABELS[engine].lower()}…")
        self.open_out_btn.setEnabled(False)
        self.total_bar.setValue(0)
        self.total_bar.setFormat(f"0 / {self.n_items} photos")
        self.photo_bar.setValue(0)
        self.rate.setText(" ")
        self._unit = "tile" if engine == "learned" else "step"  # shake reduction: estimate, then deconvolve
        self.run = BatchRun(items, model, self.device.currentText(), opts, engine=engine,
                            shake=ShakeOptions(region=region) if region else None)
        self.job = workers.start_job(self.run, on_event=self._event, on_error=self._failed,
                                     on_finished=self._ended, name="deblur batch")
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.stop()  # BatchRun.cancel: stops after the current tile, writes nothing partial
            self.cancel_btn.setEnabled(False)
            self.summary.setText(f"Cancelling after this {self._unit}…")

    def _progress(self, frac_px: float) -> None:
        if self.total_px > 0:
            self.total_bar.setValue(int(1000 * min(frac_px / self.total_px, 1.0)))
        self.total_bar.setFormat(f"{self.n_finished} / {self.n_items} photos")
        if self.t_first is None or frac_px <= 0:
            return
        elapsed = max(time.perf_counter() - self.t_first, 1e-6)
        rate = frac_px / elapsed
        eta = max(self.total_px - frac_px, 0) / rate
        self.rate.setText(f"ETA {duration(eta)} · {rate / 1e6:.2f} MP/s")

    def _event(self, ev) -> None:
        if isinstance(ev, FileStarted):
            if self.t_first is None:
                self.t_first = time.perf_counter()
            self.cur_px = ev.width * ev.height
            self.queue.set_status(ev.path, "running", f"0/{ev.tiles} {self._unit}s", out_path=ev.out_path)
            if (item := self.queue.get(ev.path)) is not None:
                item.kernel = None  # the new run's kernel, or none (learned)
            self.photo_bar.setRange(0, ev.tiles)
            self.photo_bar.setValue(0)
            self.photo_bar.setFormat(f"{Path(ev.path).name}: {self._unit} %v of %m")
            self.summary.setText(f"Deblurring {Path(ev.path).name} ({ev.width}×{ev.height})")
        elif isinstance(ev, TileProgress):
            self.photo_bar.setValue(ev.tiles_done)
            self.queue.set_status(ev.path, "running", f"{ev.tiles_done}/{ev.tiles} {self._unit}s")
            self._progress(self.done_px + self.cur_px * ev.tiles_done / ev.tiles)
        elif isinstance(ev, KernelEstimated):
            if (item := self.queue.get(ev.path)) is not None:
                item.kernel = ev
        elif isinstance(ev, FileDone):
            self.done_px += self.cur_px
            self.n_finished += 1
            it = self.queue.get(ev.path)
            ran = f" · {it.kernel.what_ran}" if it and it.kernel else ""  # shake: which photos it left unchanged
            self.queue.set_status(ev.path, "done", f"{ev.seconds:.1f} s{ran}", out_path=ev.out_path)
            self._progress(self.done_px)
            if self._shown == ev.path:  # the photo in view is done: show its result
                self.show_item(self.queue.get(ev.path))
            elif self._shown is None and self.queue.currentRow() < 0:
                self.queue.selectRow(self.queue.rows[ev.path])
        elif isinstance(ev, (FileSkipped, FileFailed)):
            it = self.queue.get(ev.path)
            self.total_px -= it.pixels if it else 0
            self.n_finished += 1
            status, reason, out = ("skipped" if isinstance(ev, FileSkipped) else "failed"), ev.reason, None
            if isinstance(ev, FileSkipped) and it is not None and self.run is not None:
                earlier = result_path(it, self.run.opts)
                if earlier.is_file():  # core says "<path> exists": say whose file it is, keep it to compare
                    reason, out = f"result of an earlier run kept ({earlier.name})", str(earlier)
            self.queue.set_status(ev.path, status, reason, out_path=out)
            self._progress(self.done_px)
        elif isinstance(ev, BatchFinished):
            self.last_result = ev
            self._show_summary(ev)
        self._count()

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

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(f"<span style='color:{RED}'>The batch could not run: {exc}</span>")

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
        if self._view_job is not None:
            self._view_job.abort()  # the user moved on: an older file must not pop up
            self._view_job = None
        if item is None or not item.usable:
            if item is not None:  # nothing to show: say why instead of leaving another photo up
                self._shown = None
                self.compare.clear()
                self.view_info.setText(f"<b>{item.rel}</b> · skipped: {item.reason}")
                self._update_buttons()
            return
        out = item.out_path if item.status == "done" else None
        # not deblurred in this session: an earlier run may have left its result where
        # the current options would write it (the batch then skips the file)
        earlier = None if out else str(result_path(item, self.run.opts if self.run else self.output_options()))
        self.view_info.setText(f"Loading {item.rel} …")
        self._view_job = workers.start_call(load_compare, item.key, out, earlier, on_done=self._view_loaded,
                                            on_error=self._view_failed, name="load compare")

    def _view_loaded(self, d: dict) -> None:
        self._view_job = None
        if self._shown != d["src"]:
            self.compare.region_tool.clear()  # another photo: its blur region means nothing here
        self._shown = d["src"]
        it = self.queue.get(d["src"])
        h, w = d["original"].shape[:2]
        self.compare.clear_kernel()
        if d["result"] is not None and d["earlier"]:
            self.compare.set_images([("Original", d["original"]), ("Deblurred (earlier run)", d["result"])])
            again = ("set “If it exists” to Overwrite to deblur it again" if self.existing.currentData() == "skip"
                     else "Start replaces it")
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
        self._update_buttons()

    def _view_failed(self, exc: BaseException) -> None:
        self._view_job = None
        self._shown = None
        self.compare.clear()
        self.view_info.setText(f"<span style='color:{RED}'>Cannot show this file: {exc}</span>")
        self._update_buttons()

    def show_kernel(self, ev: KernelEstimated) -> None:
        self.compare.show_kernel(ev.kernel, ev.confidence, ev.extent_px, ev.what_ran)

    def rerun_region(self, x: int, y: int, w: int, h: int) -> None:
        """The user drew a blur region on the shown photo: run it again with the kernel
        estimated there (its output is replaced)."""
        it = self.queue.get(self._shown) if self._shown else None
        if it is None or self.job is not None or self.engine.engine() == "learned":
            return
        self.run_items([it], region=(x, y, w, h))
        self.view_info.setText(f"<b>{it.rel}</b> · estimating the blur from {w}×{h} px at ({x}, {y})…")

    def try_visible_area(self) -> None:
        """Deblur the part of the shown photo that is in view, pasted into the original."""
        if self._shown is None or not self.can_run():
            return
        if self._crop_cancel is not None:
            self._crop_cancel.set()
        r = self.compare.current_pane().visible_image_rect()
        if r.isEmpty():
            return
        self._crop_cancel = threading.Event()
        engine = self.engine.engine()
        self._crop_label = self.model.currentText() if engine == "learned" else LABELS[engine].lower()
        self.crop_btn.setEnabled(False)
        self.view_info.setText("Deblurring the visible area…")
        self._crop_job = workers.start_call(try_crop, self._shown, (r.x(), r.y(), r.width(), r.height()),
                                            self.model_path(), self.device.currentText(),
                                            cancel=self._crop_cancel.is_set, ensemble=self.output_options().ensemble,
                                            engine=engine, on_done=self._crop_done,
                                            on_error=self._crop_failed, on_finished=self._update_buttons,
                                            name="try on crop")

    def _crop_done(self, d: dict) -> None:
        if d["src"] != self._shown:
            return  # the user moved to another file meanwhile
        x, y, w, h = d["box"]
        self.compare.set_images([("Original", d["original"]), (f"Preview: {self._crop_label}", d["result"])])
        self.compare.clear_kernel()
        if d["kernel"] is not None:
            self.show_kernel(d["kernel"])
        self.view_info.setText(f"Preview: deblurred {w}×{h} px at ({x}, {y}) in {d['seconds']:.1f} s; "
                               "the rest is the original")

    def _crop_failed(self, exc: BaseException) -> None:
        from core.inference import Cancelled

        if not isinstance(exc, Cancelled):  # cancelled: a newer preview replaced it
            self.view_info.setText(f"<span style='color:{RED}'>The preview failed: {exc}</span>")

    def shutdown(self) -> None:
        if self._crop_cancel is not None:
            self._crop_cancel.set()
        for j in [*self._thumbs, *self._scans, self._view_job, self._info_job, self._crop_job]:
            if j is not None:
                j.abort()
        if self.job is not None:
            self.job.stop()
