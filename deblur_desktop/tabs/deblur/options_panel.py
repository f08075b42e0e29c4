"""The Deblur tab's "Engine and output" box: engine, model, device, tiles, quality, and
where and how results are written. Every option is saved as it changes (not only when
a batch starts) and restored in the next session; the model's description is read off
the GUI thread, and a model that cannot be read stops Start (`can_run`) with the reason.
The box is narrow enough for a 1024 px window: combos shrink to a few characters (their
lists show the full names) and the model's reason wraps.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox)

from core.device import list_devices
from core.model_library import find_models
from deblur_desktop import workers
from deblur_desktop.appearance import error_html
from deblur_desktop.file_filters import MODEL_FILTER
from deblur_desktop.settings import settings
from deblur_desktop.tabs.deblur.jobs import OutputOptions, model_info
from deblur_desktop.widgets.engine_choice import DEFAULT_ENGINE, EngineChoice

FORMATS = [("Same as input", None, None), ("PNG", "png", None), ("JPEG", "jpeg", None),
           ("TIFF 16-bit", "tiff", 16)]
TILES = [("Auto (from free memory)", None), ("256 px", 256), ("512 px", 512), ("1024 px", 1024),
         ("2048 px", 2048), ("Whole image", 0)]
EXISTING = [("Skip", "skip"), ("Overwrite", "overwrite")]
# Self-ensemble views (core.inference.deblur): measured gains are in docs/default-model.md
QUALITY = [("Fast: one pass", 1), ("Finer: 4 flipped passes (4× time)", 4),
           ("8 passes, flipped and turned (8× time)", 8)]


def _combo(items, chars: int = 10) -> QComboBox:
    c = QComboBox()
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(chars)  # narrow when the panel is; the open list shows it all
    for text, *data in items:
        c.addItem(text, data[0] if len(data) == 1 else tuple(data))
    return c


class OptionsPanel(QGroupBox):
    changed = Signal()  # the engine or the model changed: what can run may have too

    def __init__(self, parent=None):
        super().__init__("Engine and output", parent)
        self._info_job: workers.Job | None = None
        self.model_ok: bool | None = None  # the chosen model read fine (None: not read yet)

        self.engine = EngineChoice()
        self.model_label = QLabel("Model")
        self.model = QComboBox()
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(12)
        self.model_btn = QPushButton("File…")
        self.model_btn.setToolTip("A .safetensors export or a training checkpoint (.pt)")
        self.model_info = QLabel(" ")
        self.model_info.setWordWrap(True)  # a model's error is shown whole, not cut mid-word
        self.model_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device = _combo([])
        self.device.addItems(list_devices())
        self.tile = _combo(TILES, 8)
        self.tile.setToolTip("Big photos are deblurred in overlapping tiles; auto picks the size from free memory")
        self.ensemble = _combo(QUALITY)
        # no measured figure here: it would go stale when the model changes; its card has them
        self.ensemble.setToolTip("Run the model on flipped copies of each photo and average them: a little "
                                 "sharper and cleaner (the model card says by how much), 4 or 8 times slower")
        self.out_dir = QLineEdit()
        self.out_dir.setPlaceholderText("next to the originals: <folder>_deblurred")
        self.out_dir.setClearButtonEnabled(True)
        self.out_btn = QPushButton("Browse…")
        self.keep_structure = QCheckBox("Keep folder structure")
        self.keep_structure.setChecked(True)
        self.suffix = QLineEdit()
        self.suffix.setPlaceholderText("none")
        self.suffix.setMaximumWidth(110)
        self.suffix.setMinimumWidth(50)
        self.suffix.setToolTip("Added to each output name, e.g. _deblurred")
        self.format = _combo(FORMATS, 6)
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setValue(95)
        self.quality.setPrefix("quality ")
        self.keep_meta = QCheckBox("Keep metadata (EXIF, ICC)")
        self.keep_meta.setChecked(True)
        self.existing = _combo(EXISTING)
        self.existing.setToolTip("What to do when an output file already exists (originals are never replaced)")
        self._lay_out()

        self.model_btn.clicked.connect(self.choose_model)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.engine.currentIndexChanged.connect(self._engine_changed)
        self.out_btn.clicked.connect(self.choose_output)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._restore()
        self._format_changed()
        self.refresh_models()
        self._engine_changed()
        self._save_on_change()  # after restoring: restoring must not overwrite what it reads

    def _lay_out(self) -> None:
        g = QGridLayout(self)
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
        g.addWidget(self.format, 7, 1)
        g.addWidget(self.quality, 7, 2, 1, 2)
        g.addWidget(QLabel("If it exists"), 8, 0)
        g.addWidget(self.existing, 8, 1)
        g.addWidget(self.keep_meta, 9, 1, 1, 3)

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

    def save(self, *_) -> None:
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
            sig.connect(self.save)

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
        self.changed.emit()

    def can_run(self) -> bool:
        """The engine needs no model, or its model is chosen and not known to be unusable
        (while it is read, Start stays on: the batch says why if it then fails)."""
        return not self.engine.uses_model() or (bool(self.model_path()) and self.model_ok is not False)

    def choose_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Write the deblurred photos to", self.out_dir.text())
        if folder:
            self.out_dir.setText(folder)

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
        path, _ = QFileDialog.getOpenFileName(self, "Choose a model file", start, MODEL_FILTER)
        if path:
            self.set_model_file(path)

    def _model_changed(self, *_) -> None:
        path = self.model_path()
        if self._info_job is not None:
            self._info_job.abort()
        self.model_ok = None
        if not path:
            self.model_info.setText(error_html("No model installed yet: choose a model "
                                               "file (.safetensors or a training checkpoint)."))
        else:
            self.model_info.setText("Reading the model…")
            self._info_job = workers.start_call(model_info, path, on_done=self._model_info,
                                                on_error=self._model_bad, name="model info")
        self.changed.emit()

    def _model_info(self, text: str) -> None:
        self._info_job = None
        self.model_ok = True
        self.model_info.setText(f"<small>{text}</small>")
        self.changed.emit()

    def _model_bad(self, exc: BaseException) -> None:
        self._info_job = None
        self.model_ok = False
        self.model_info.setText(error_html(f"Cannot use this model: {html.escape(str(exc), quote=False)}"))
        self.changed.emit()  # Start goes off until another model is chosen

    def shutdown(self) -> None:
        if self._info_job is not None:
            self._info_job.abort()
