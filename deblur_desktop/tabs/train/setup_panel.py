"""The Train tab's left side: the form generated from core's RunConfig (with presets and
"use the Dataset tab's folder"), and the Run box: new or resumed run, its folder, the
Start/Pause/Stop/Save now buttons and the reason a run cannot start.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from core.config import ADVERSARIAL_LOSSES, PIXEL_LOSSES, ConfigError, RunConfig
from core.device import list_devices, pick_device
from core.models import REGISTRY
from core.paths import default_runs_dir
from core.run_folder import RunFolder
from core.training.loop import check_config
from core.training.optim import OPTIMIZERS, SCHEDULERS
from core.training.presets import PRESETS
from deblur_desktop.appearance import RED
from deblur_desktop.file_filters import MODEL_FILTER
from deblur_desktop.settings import settings
from deblur_desktop.widgets.config_form import ConfigForm

# Rows shown when "all settings" is off: what the users change most.
BASIC = {"data.root", "data.crop", "data.synthetic", "model.name", "model.options", "loss.pixel_weight",
         "loss.gan", "loss.adv_weight", "train.epochs", "train.batch_size", "train.lr_g", "train.lr_d",
         "train.device", "train.init_from", "train.preset"}
SAVED_CONFIG = "train/config"  # the form a run last started from


def choices() -> dict[str, list[str]]:
    """Combo items from core's own lists, so new models and losses appear by themselves."""
    return {"model.name": sorted(REGISTRY), "train.device": list_devices(),
            "train.optimizer": list(OPTIMIZERS), "train.scheduler": list(SCHEDULERS),
            "loss.pixel": list(PIXEL_LOSSES), "loss.adversarial": list(ADVERSARIAL_LOSSES)}


def initial_config() -> RunConfig:
    """The last form the user started from (so a restart keeps their settings)."""
    text = settings().value(SAVED_CONFIG, "", str)
    if text:
        try:
            cfg = RunConfig.from_json(text)
            if cfg.data.root and not Path(cfg.data.root).is_dir():
                cfg.data.root = ""  # gone: let the Dataset tab's folder fill it
            return cfg
        except (ConfigError, ValueError, TypeError):
            pass  # a config from an older version: start from the defaults
    return RunConfig()


class SetupPanel(QWidget):
    resume_chosen = Signal(str)  # a run folder to continue
    finetune_chosen = Signal(str)  # a model or checkpoint to start a new run from

    def __init__(self, parent=None):
        super().__init__(parent)
        self.form = ConfigForm(initial_config(), choices=choices(),
                               paths={"data.root": "dir", "train.init_from": "file"}, basic=BASIC)
        self.show_all = QCheckBox("Show all settings")
        self.preset = QComboBox()
        self.preset.addItem("Start from a preset…", "")
        for name in PRESETS:
            self.preset.addItem(f"Preset: {name}", name)
        self.preset.setToolTip("Fill the form with a named recipe (deblur train --preset): report = the "
                               "report's GAN exactly; best = what the quality study measured to work best; "
                               "refine = the kernel-aware model that finishes shake reduction. "
                               "The data folder and device are kept.")
        self.preset.setVisible(bool(PRESETS))
        self.from_dataset = QPushButton("Use the Dataset tab's folder")
        self.from_dataset.setEnabled(False)
        self.run_edit = QLineEdit()
        self.run_edit.setPlaceholderText(f"automatic: {default_runs_dir()}/<model>-<time>")
        self.run_edit.setToolTip("Run folder (config, log, metrics, checkpoints). Runs in the default "
                                 "folder are listed in the Deblur tab.")
        run_browse = QPushButton("…")
        run_browse.setFixedWidth(28)
        self.mode = QLabel("New run")
        self.mode.setWordWrap(True)

        self.start_btn = QPushButton("Start")
        self.pause_btn = QPushButton("Pause")
        self.stop_btn = QPushButton("Stop")
        self.save_btn = QPushButton("Save now")
        self.resume_btn = QPushButton("Resume a run…")
        self.finetune_btn = QPushButton("Fine-tune from a model…")
        self.new_btn = QPushButton("New run")
        self.start_btn.setDefault(True)
        self.stop_btn.setToolTip("Save a checkpoint, then stop (Resume continues from it)")
        self.pause_btn.setToolTip("Hold the training between steps; nothing is lost")
        self.save_btn.setToolTip("Save checkpoints/last.pt after the current step")
        self.finetune_btn.setToolTip("Start from a trained checkpoint's weights (transfer learning)")
        self.finetune_btn.setVisible("train.init_from" in self.form.editors)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._lay_out(run_browse)

        self.show_all.toggled.connect(self.form.set_show_all)
        run_browse.clicked.connect(self._choose_run_dir)
        self.resume_btn.clicked.connect(self._choose_resume)
        self.finetune_btn.clicked.connect(self._choose_finetune)

    def _lay_out(self, run_browse: QPushButton) -> None:
        inner = QWidget()
        il = QVBoxLayout(inner)
        il.setContentsMargins(0, 0, 6, 0)
        il.addWidget(self.from_dataset)
        il.addWidget(self.preset)
        il.addWidget(self.form)
        il.addWidget(self.show_all)
        il.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_edit, 1)
        run_row.addWidget(run_browse)
        buttons = QGridLayout()
        for i, b in enumerate((self.start_btn, self.pause_btn, self.stop_btn, self.save_btn)):
            buttons.addWidget(b, 0, i)
        buttons.addWidget(self.resume_btn, 1, 0, 1, 2)
        buttons.addWidget(self.finetune_btn, 1, 2, 1, 2)
        run_box = QGroupBox("Run")
        rl = QVBoxLayout(run_box)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode, 1)
        mode_row.addWidget(self.new_btn)
        rl.addLayout(mode_row)
        rl.addLayout(run_row)
        rl.addLayout(buttons)
        rl.addWidget(self.problem)
        ll = QVBoxLayout(self)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(scroll, 1)
        ll.addWidget(run_box)

    # ---- the configuration ------------------------------------------------------------
    def checked_config(self, resuming: bool) -> RunConfig:
        """The form as a checked RunConfig; raises ConfigError with the reason (and the
        setting it is about as `key`, when there is one)."""
        cfg = self.form.config()
        if not resuming:
            if not cfg.data.root:
                raise ConfigError("data.root: choose a data folder (or open one in the Dataset tab)",
                                  key="data.root")
            if not Path(cfg.data.root).is_dir():
                raise ConfigError(f"data.root: {cfg.data.root} is not a folder", key="data.root")
        try:
            check_config(cfg)
        except ConfigError:
            raise
        except KeyError as e:  # an unknown model name
            raise ConfigError(f"model.name: {e}", key="model.name") from None
        except (ValueError, TypeError) as e:
            raise ConfigError(str(e)) from None
        if cfg.train.device != "auto":
            try:
                pick_device(cfg.train.device)
            except ValueError as e:
                raise ConfigError(f"train.device: {e}", key="train.device") from None
        return cfg

    def check_run_folder(self) -> None:
        """A new run must not go into a folder that already holds one."""
        text = self.run_edit.text().strip()
        if text and RunFolder(Path(text).expanduser()).holds_run():
            raise ConfigError(f"run folder: {text} already holds a run; use “Resume a run…” "
                              "to continue it, or choose another folder")

    def show_problem(self, text: str, colour: str = RED) -> None:
        self.problem.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>" if text else "")

    # ---- dialogs ----------------------------------------------------------------------
    def _choose_run_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Run folder", str(default_runs_dir()))
        if d:
            self.run_edit.setText(d)

    def _choose_resume(self) -> None:
        start = default_runs_dir() if default_runs_dir().is_dir() else Path.home()
        d = QFileDialog.getExistingDirectory(self, "Resume a run: choose its folder", str(start))
        if d:
            self.resume_chosen.emit(d)

    def _choose_finetune(self) -> None:
        start = str(default_runs_dir()) if default_runs_dir().is_dir() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Fine-tune from a model", start, MODEL_FILTER)
        if path:
            self.finetune_chosen.emit(path)
