"""Evaluate view: score models on the open data set with core.evaluate, in the background.

Models are the blurred input (baseline), every model file found, and shake reduction
(core.engines: kernel estimation + deconvolution, no model file), all scored alike
(the job: `evaluate_jobs.py`; the tables and histogram: `score_widgets.py`).
Shows the report's table (mean/std/min/max of PSNR and SSIM per model), a PSNR
histogram, and a sortable per-image table; a click on a row asks the Dataset tab to
show blurred | result | sharp. Results are saved to a temporary folder while scoring,
so showing a row never runs the model again. Export writes core's CSV and Markdown.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QProgressBar, QPushButton, QSpinBox, QSplitter, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from core.engines import ENGINE_HELP
from core.evaluate import EvalModel, Evaluation, markdown_summary, saved_image_path, write_csv
from core.events import EvalFinished, EvalStarted, ImageScored, Message, ModelSummary
from core.fileutil import atomic_write_text
from core.model_library import find_models
from deblur_desktop import workers
from deblur_desktop.appearance import error_html
from deblur_desktop.file_filters import MODEL_FILTER
from deblur_desktop.settings import settings
from deblur_desktop.tabs.dataset.evaluate_jobs import SHAKE, EvalRun
from deblur_desktop.tabs.dataset.score_widgets import NumItem, PsnrHistogram, score_table


NO_DATA = "Open a data set with blurred/sharp pairs, tick models, then Evaluate."


class EvaluateView(QWidget):
    row_activated = Signal(str, str)  # model name, image name

    def __init__(self, parent=None):
        super().__init__(parent)
        self.data = ""
        self.ev: Evaluation | None = None
        self.run: EvalRun | None = None
        self.job: workers.Job | None = None
        self.save_dir: Path | None = None
        self.psnrs: dict[str, list[float]] = {}
        self._done_images = 0

        self.models = QListWidget()
        self.models.setMaximumHeight(110)
        self.add_btn = QPushButton("Add model file…")
        self.refresh_btn = QPushButton("Refresh")
        mcol = QVBoxLayout()
        mcol.addWidget(self.add_btn)
        mcol.addWidget(self.refresh_btn)
        mcol.addStretch(1)
        mrow = QHBoxLayout()
        mrow.addWidget(self.models, 1)
        mrow.addLayout(mcol)

        self.shift = QSpinBox(minimum=0, maximum=8, suffix=" px")
        self.shift.setToolTip("Also score the best alignment within ± this many pixels "
                              "(Levin-style benchmarks, whose blurred images are shifted)")
        self.limit = QSpinBox(minimum=0, maximum=1_000_000, specialValueText="all")
        self.limit.setToolTip("Score only the first N pairs (a quick look on a CPU)")
        self.y_channel = QCheckBox("Y channel")
        self.y_channel.setToolTip("Score BT.601 luma instead of RGB (the RealBlur convention)")
        self.run_btn = QPushButton("Evaluate")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        orow = QHBoxLayout()  # two rows, so the view fits beside the thumbnails in a 1024 px window
        for w in (QLabel("Images:"), self.limit, QLabel("Shift ±"), self.shift, self.y_channel):
            orow.addWidget(w)
        orow.addStretch(1)
        rrow = QHBoxLayout()
        rrow.addWidget(self.run_btn)
        rrow.addWidget(self.cancel_btn)
        rrow.addWidget(self.progress, 1)
        self.status = QLabel(NO_DATA)
        self.status.setWordWrap(True)

        self.summary = score_table(["Model", "Metric", "Mean", "Std", "Min", "Max"], stretch=0)
        self.hist = PsnrHistogram()
        self._style_hist()
        # redraw the histogram at most twice a second while scores stream in
        self._hist_dirty = False
        self._hist_timer = QTimer(self, interval=500, timeout=self._redraw_if_dirty)
        self.per_image = score_table(["Model", "Image", "PSNR", "SSIM"], stretch=1)
        self.per_image.setSortingEnabled(True)
        self.csv_btn = QPushButton("Export CSV…")
        self.md_btn = QPushButton("Export Markdown…")
        erow = QHBoxLayout()
        erow.addWidget(QLabel("Click a row to compare blurred | result | sharp."))
        erow.addStretch(1)
        erow.addWidget(self.csv_btn)
        erow.addWidget(self.md_btn)
        low = QWidget()
        ll = QVBoxLayout(low)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.per_image, 1)
        ll.addLayout(erow)
        split = QSplitter(Qt.Orientation.Vertical)
        for w in (self.summary, self.hist, low):
            split.addWidget(w)
        split.setSizes([130, 150, 300])

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(mrow)
        lay.addLayout(orow)
        lay.addLayout(rrow)
        lay.addWidget(self.status)
        lay.addWidget(split, 1)

        self.add_btn.clicked.connect(self.choose_model_file)
        self.refresh_btn.clicked.connect(self.refresh_models)
        self.run_btn.clicked.connect(self.start)
        self.cancel_btn.clicked.connect(self.cancel)
        self.csv_btn.clicked.connect(lambda: self._export("CSV (*.csv)", ".csv", self.export_csv))
        self.md_btn.clicked.connect(lambda: self._export("Markdown (*.md)", ".md", self.export_markdown))
        self.per_image.cellClicked.connect(self._clicked)
        self.refresh_models()
        self._update_buttons()

    # ---- models -----------------------------------------------------------------
    def _add_item(self, label: str, choice, checked: bool, tip: str = "") -> None:
        it = QListWidgetItem(label)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        it.setData(Qt.ItemDataRole.UserRole, choice)
        it.setToolTip(tip or label)
        self.models.addItem(it)

    def refresh_models(self) -> None:
        """Re-list the model files (a training run may have finished), keeping ticks."""
        items = [self.models.item(i) for i in range(self.models.count())]
        ticked = {it.text(): it.checkState() == Qt.CheckState.Checked for it in items}
        kept = [(it.text(), it.data(Qt.ItemDataRole.UserRole), ticked[it.text()])
                for it in items if it.data(Qt.ItemDataRole.UserRole + 1)]  # added by hand
        self.models.clear()
        base = "blurred input (baseline)"
        self._add_item(base, EvalModel.baseline(), ticked.get(base, True),
                       "The blurred image scored against the sharp one: what every model must beat")
        for label, path in find_models():
            self._add_item(label, (label, path), ticked.get(label, label == "default model"), str(path))
        help_ = ENGINE_HELP[SHAKE.engine]
        self._add_item(SHAKE.label, SHAKE, ticked.get(SHAKE.label, False), help_[:1].upper() + help_[1:])
        for label, choice, checked in kept:
            self.add_model(label, choice, checked)

    def add_model(self, label: str, choice, checked: bool = True) -> None:
        """A model file (`choice` a Path) or an `EvalModel` (scripts and tests)."""
        if isinstance(choice, (str, Path)):
            choice = (label, Path(choice))
        self._add_item(label, choice, checked, str(choice[1]) if isinstance(choice, tuple) else label)
        self.models.item(self.models.count() - 1).setData(Qt.ItemDataRole.UserRole + 1, True)

    def choose_model_file(self) -> None:
        start = settings().value("evaluate/last_model_folder", "", str)
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model file", start, MODEL_FILTER)
        if path:
            settings().setValue("evaluate/last_model_folder", str(Path(path).parent))
            self.add_model(Path(path).name, Path(path))

    def checked_choices(self) -> list:
        return [self.models.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.models.count())
                if self.models.item(i).checkState() == Qt.CheckState.Checked]

    # ---- running ----------------------------------------------------------------
    def set_data(self, folder: str, has_pairs: bool) -> None:
        """The Dataset tab opened `folder` ("": none): the message is about it, never the
        folder before (a running evaluation keeps its own progress line)."""
        self.data = folder if has_pairs else ""
        if self.job is None:
            if has_pairs:
                self.status.setText(f"Ready to score the pairs in {Path(folder).name}: tick models, then Evaluate.")
            elif folder:
                self.status.setText("This folder has no blurred/sharp pairs to score (sharp-only data).")
            else:
                self.status.setText(NO_DATA)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job is not None
        self.run_btn.setEnabled(bool(self.data) and not running)
        self.cancel_btn.setEnabled(running)
        self.csv_btn.setEnabled(self.ev is not None and bool(self.ev.rows) and not running)
        self.md_btn.setEnabled(self.csv_btn.isEnabled())

    def start(self) -> None:
        choices = self.checked_choices()
        if not self.data or not choices or self.job is not None:
            if not choices:
                self.status.setText("Tick at least one model (the baseline counts).")
            return
        self._clear_results()
        self.save_dir = Path(tempfile.mkdtemp(prefix="deblur-eval-"))
        self.run = EvalRun(self.data, choices, self.shift.value(), self.y_channel.isChecked(), self.save_dir,
                           limit=self.limit.value() or None)
        self.progress.setRange(0, 0)  # busy until EvalStarted says how many
        self.status.setText(f"Starting the evaluation of {len(choices)} model(s) …")
        self.job = workers.start_job(self.run, on_event=self._event, on_done=self._done,
                                     on_error=self._failed, on_finished=self._finished, name="evaluate")
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None:
            self.status.setText("Stopping after the current image …")
            self.job.stop()

    def _clear_results(self) -> None:
        self.ev = None
        self.psnrs = {}
        self._done_images = 0
        self.summary.setRowCount(0)
        self.per_image.setRowCount(0)
        self.hist.draw({})
        if self.save_dir is not None:  # thousands of PNGs for GoPro: delete them off the GUI thread
            workers.start_call(shutil.rmtree, self.save_dir, ignore_errors=True, name="delete results")
            self.save_dir = None

    def _event(self, e) -> None:
        if isinstance(e, EvalStarted):
            self.progress.setRange(0, max(1, e.images * len(e.models)))
            self.progress.setValue(0)
            self.progress.setFormat("%v / %m images")
            self._hist_timer.start()
            self.status.setText(str(e))
            self.per_image.setColumnCount(4 + (2 if e.shift else 0) + 1)
            heads = ["Model", "Image", "PSNR", "SSIM"]
            heads += [f"PSNR ±{e.shift}", f"SSIM ±{e.shift}"] if e.shift else []
            self.per_image.setHorizontalHeaderLabels(heads + ["Time (s)"])
        elif isinstance(e, ImageScored):
            self._done_images += 1
            self.progress.setValue(self._done_images)
            self._add_row(e.row)
            self.psnrs.setdefault(e.row.model, []).append(e.row.psnr)
            self._hist_dirty = True
        elif isinstance(e, ModelSummary):
            self._add_summary(e)
            self._draw_hist()
        elif isinstance(e, (Message, EvalFinished)):
            self.status.setText(str(e))

    def _add_row(self, r) -> None:
        t = self.per_image
        t.setSortingEnabled(False)  # inserting into a sorted table scatters the cells
        i = t.rowCount()
        t.insertRow(i)
        cells = [QTableWidgetItem(r.model), QTableWidgetItem(r.image), NumItem(r.psnr, ".2f"), NumItem(r.ssim, ".4f")]
        if t.columnCount() == 7:
            cells += [NumItem(r.psnr_shift, ".2f"), NumItem(r.ssim_shift, ".4f")]
        cells.append(NumItem(r.seconds, ".2f"))
        for c, item in enumerate(cells):
            t.setItem(i, c, item)
        t.setSortingEnabled(True)

    def _add_summary(self, e: ModelSummary) -> None:
        t = self.summary
        for metric, s in e.stats.items():
            i = t.rowCount()
            t.insertRow(i)
            fmt = ".2f" if metric.startswith("PSNR") else ".4f"
            t.setItem(i, 0, QTableWidgetItem(e.model))
            t.setItem(i, 1, QTableWidgetItem(metric + (" (dB)" if metric.startswith("PSNR") else "")))
            for c, v in enumerate((s.mean, s.std, s.min, s.max), 2):
                t.setItem(i, c, NumItem(v, fmt))

    def _style_hist(self) -> None:
        self.hist.restyle(self.palette().color(self.foregroundRole()))  # readable in light and dark palettes

    def changeEvent(self, e) -> None:
        super().changeEvent(e)
        if e.type() == QEvent.Type.PaletteChange:  # the system switched light <-> dark
            self._style_hist()
            self._draw_hist()

    def _redraw_if_dirty(self) -> None:
        if self._hist_dirty:
            self._draw_hist()

    def _draw_hist(self) -> None:
        self._hist_dirty = False
        self.hist.draw(self.psnrs)

    def _done(self, ev) -> None:
        self.ev = ev
        self._draw_hist()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(error_html(f"Evaluation failed: {exc}"))

    def _finished(self) -> None:
        self.job = None
        self._hist_timer.stop()
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        self._update_buttons()

    # ---- rows and export ---------------------------------------------------------
    def _clicked(self, row: int, _col: int) -> None:
        model, image = self.per_image.item(row, 0).text(), self.per_image.item(row, 1).text()
        self.row_activated.emit(model, image)

    def result_path(self, model: str, image: str) -> Path | None:
        """Where the run saved `model`'s result for `image` (None for the baseline)."""
        if self.save_dir is None or model == EvalModel.baseline().name:
            return None
        return saved_image_path(self.save_dir, model, image)

    def pair_named(self, image: str):
        ev = self.ev or (self.run.ev if self.run else None)
        return next((p for p in ev.pairs if p.name == image), None) if ev else None

    def export_csv(self, path: str | Path) -> None:
        write_csv(self.ev, path)

    def export_markdown(self, path: str | Path) -> None:
        atomic_write_text(Path(path), markdown_summary(self.ev))

    def _export(self, filt: str, suffix: str, write) -> None:
        start = settings().value("evaluate/last_export_folder", "", str)
        name = f"{Path(self.data).name}-evaluation{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, "Export the evaluation", str(Path(start) / name), filt)
        if path:
            settings().setValue("evaluate/last_export_folder", str(Path(path).parent))
            write(path)
            self.status.setText(f"Wrote {path}")

    def shutdown(self) -> None:
        """Stop a running evaluation, then delete its saved results."""
        if self.job is not None:
            self.job.stop()
            self.job.wait(10_000)
        if self.save_dir is not None:
            shutil.rmtree(self.save_dir, ignore_errors=True)
            self.save_dir = None
