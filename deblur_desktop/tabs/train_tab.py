"""Train tab: set up a run from a form generated from core's config, watch it live.

The training loop is core's `Trainer`, iterated on a worker thread by
`workers.start_job`; the GUI thread only turns its events into plots, previews, the
status line and the log pane (the CLI's lines). Pause waits between events in the
worker (`TrainingRun`), Stop and Save now are the Trainer's own cooperative requests.
"""
from __future__ import annotations

import html
import math
import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QMessageBox, QPlainTextEdit, QPushButton, QScrollArea,
                               QSplitter, QVBoxLayout, QWidget)

from core.config import ConfigError, RunConfig
from core.events import CheckpointSaved, Finished, Message, RunStarted, Sample, Step, Validated
from core.paths import default_runs_dir
from core.run_folder import RunFolder
from core.training.presets import PRESETS, preset
from deblur_desktop import workers
from deblur_desktop.settings import settings
from deblur_desktop.widgets.config_form import ConfigForm
from deblur_desktop.widgets.loss_plot import LossPlot
from deblur_desktop.widgets.sample_strip import SampleStrip

# Rows shown when "all settings" is off: what the users change most.
BASIC = {"data.root", "data.crop", "data.synthetic", "model.name", "model.options", "loss.pixel_weight",
         "loss.gan", "loss.adv_weight", "train.epochs", "train.batch_size", "train.lr_g", "train.lr_d",
         "train.device", "train.init_from", "train.preset"}
RESUMABLE = {"train.epochs", "train.device"}  # what Trainer(resume=True) lets a resumed run change


def _choices() -> dict[str, list[str]]:
    """Combo items from core's own lists, so new models and losses appear by themselves."""
    import core.losses as losses
    from core.device import list_devices
    from core.models import REGISTRY

    out = {"model.name": sorted(REGISTRY), "train.device": list_devices()}
    try:
        from core.training import optim
        out["train.optimizer"] = list(getattr(optim, "OPTIMIZERS", []))
        out["train.scheduler"] = list(getattr(optim, "SCHEDULERS", []))
    except ImportError:
        pass
    out["loss.pixel"] = list(getattr(losses, "PIXEL_LOSSES", []))
    out["loss.adversarial"] = list(getattr(losses, "ADVERSARIAL_LOSSES", []))
    return {k: v for k, v in out.items() if v}


class TrainingRun:
    """What the worker iterates: builds the Trainer there (data scan, checkpoint loading
    stay off the GUI thread) and holds it between events while paused."""

    def __init__(self, make: Callable[[], object]):
        self._make = make
        self.trainer = None
        self._go = threading.Event()
        self._go.set()
        self._stop = threading.Event()
        self._saving = threading.Event()  # Save now while paused: run until the checkpoint
        self.holding = False  # the worker is waiting (paused) right now

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def request_stop(self) -> None:
        self._stop.set()
        if self.trainer is not None:
            self.trainer.request_stop()
        self._go.set()

    def request_save(self) -> None:
        if self.trainer is not None:
            self._saving.set()
            self.trainer.request_save()

    def __iter__(self):
        self.trainer = self._make()
        if self._stop.is_set():  # asked before the trainer existed
            self.trainer.request_stop()
        for ev in self.trainer:
            yield ev
            if isinstance(ev, CheckpointSaved) and ev.kind == "manual":
                self._saving.clear()
            while not self._go.is_set() and not self._stop.is_set() and not self._saving.is_set():
                self.holding = True
                self._go.wait(0.1)
            self.holding = False


def _hms(s: float) -> str:
    s = int(max(0, s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def oom_hint(exc: BaseException, cfg: RunConfig | None) -> str:
    """A CUDA/MPS out-of-memory error gets the two settings that fix it."""
    text = f"{type(exc).__name__} {exc}".lower()
    if "out of memory" not in text and "outofmemory" not in text:
        return ""
    now = f" (now batch {cfg.train.batch_size}, crop {cfg.data.crop})" if cfg is not None else ""
    return ("The device ran out of memory: try a smaller batch size or training crop" + now
            + ", or raise grad accum to split each batch.")


class TrainTab(QWidget):
    run_finished = Signal(str)  # run folder of a finished or stopped run (its models exist)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.job: workers.Job | None = None
        self.run: TrainingRun | None = None
        self.resume_dir: str | None = None  # set: Start continues this run
        self.run_dir = ""
        self.last_error = ""
        self.cfg: RunConfig | None = None
        self.dataset_folder = ""
        self._log_lines: list[str] = []
        self._gs0 = None  # (global_step, elapsed) of the first step this session
        self._total_steps = 0
        self._steps_per_epoch = 0
        self._device = ""
        self._valid = False
        self._finished_reason = ""

        # ---- left: the form and the buttons ----
        self.form = ConfigForm(self._initial_config(), choices=_choices(),
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
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_edit, 1)
        run_row.addWidget(run_browse)

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
        buttons = QGridLayout()
        for i, b in enumerate((self.start_btn, self.pause_btn, self.stop_btn, self.save_btn)):
            buttons.addWidget(b, 0, i)
        buttons.addWidget(self.resume_btn, 1, 0, 1, 2)
        buttons.addWidget(self.finetune_btn, 1, 2, 1, 2)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

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
        run_box = QGroupBox("Run")
        rl = QVBoxLayout(run_box)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode, 1)
        mode_row.addWidget(self.new_btn)
        rl.addLayout(mode_row)
        rl.addLayout(run_row)
        rl.addLayout(buttons)
        rl.addWidget(self.problem)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(scroll, 1)
        ll.addWidget(run_box)

        # ---- right: status, plots, samples, log ----
        self.status: dict[str, QLabel] = {}
        status = QGridLayout()
        status.setHorizontalSpacing(18)
        for i, (key, caption) in enumerate((("progress", "Progress"), ("speed", "Speed"), ("time", "Time"),
                                            ("device", "Device"), ("memory", "GPU memory"), ("best", "Best"))):
            lab = QLabel("–")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            cap = QLabel(f"<b>{caption}</b>")
            status.addWidget(cap, i // 3, (i % 3) * 2)
            status.addWidget(lab, i // 3, (i % 3) * 2 + 1)
            status.setColumnStretch((i % 3) * 2 + 1, 1)
            self.status[key] = lab
        self.state = QLabel("Idle")
        self.state.setStyleSheet("font-weight: bold;")
        self.plots = LossPlot()
        self.samples = SampleStrip()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setPlaceholderText("The training log (the same lines as `deblur train`).")
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.samples)
        bottom.addWidget(self.log)
        bottom.setSizes([520, 480])
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.state)
        tl.addLayout(status)
        tl.addWidget(self.plots, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(top)
        right.addWidget(bottom)
        right.setSizes([480, 300])

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(right)
        body.setStretchFactor(1, 1)
        body.setSizes([380, 1060])
        QVBoxLayout(self).addWidget(body)

        # Log lines are buffered and flushed with the plots' rhythm, never per event.
        self._flush = QTimer(self)
        self._flush.setInterval(200)
        self._flush.timeout.connect(self._flush_log)
        self._flush.start()
        self._validate_timer = QTimer(self, singleShot=True, interval=300)
        self._validate_timer.timeout.connect(self.validate)

        self.form.changed.connect(self._validate_timer.start)
        self.form.editors["model.name"].changed.connect(self._model_changed)
        self.run_edit.textChanged.connect(self._validate_timer.start)
        self.show_all.toggled.connect(self.form.set_show_all)
        self.preset.activated.connect(lambda i: self.apply_preset(self.preset.itemData(i)))
        self.from_dataset.clicked.connect(lambda: self.use_folder(self.dataset_folder))
        run_browse.clicked.connect(self._choose_run_dir)
        self.start_btn.clicked.connect(self.start)
        self.pause_btn.clicked.connect(self.toggle_pause)
        self.stop_btn.clicked.connect(self.stop)
        self.save_btn.clicked.connect(self.save_now)
        self.resume_btn.clicked.connect(self._choose_resume)
        self.finetune_btn.clicked.connect(self._choose_finetune)
        self.new_btn.clicked.connect(self.new_run)
        self._update_buttons()
        self.validate()

    # ---- settings -------------------------------------------------------------------
    @staticmethod
    def _initial_config() -> RunConfig:
        """The last form the user started from (so a restart keeps their settings)."""
        text = settings().value("train/config", "", str)
        if text:
            try:
                cfg = RunConfig.from_json(text)
                if cfg.data.root and not Path(cfg.data.root).is_dir():
                    cfg.data.root = ""  # gone: let the Dataset tab's folder fill it
                return cfg
            except (ConfigError, ValueError, TypeError):
                pass  # a config from an older version: start from the defaults
        return RunConfig()

    # ---- the form -------------------------------------------------------------------
    def set_dataset(self, pairset) -> None:
        """The Dataset tab opened a folder: offer it, and fill an empty data field."""
        self.dataset_folder = str(getattr(pairset, "root", pairset))
        self.from_dataset.setEnabled(bool(self.dataset_folder))
        self.from_dataset.setToolTip(self.dataset_folder)
        if not self.form.value("data.root") and self.resume_dir is None:
            self.use_folder(self.dataset_folder, getattr(pairset, "layout", ""))

    def use_folder(self, folder: str, layout: str = "") -> None:
        if not folder or self.resume_dir is not None:
            return
        self.form.set_value("data.root", folder)
        if layout == "sharp-only" and "data.synthetic" in self.form.editors:
            self.form.set_value("data.synthetic", True)  # sharp photos train only with synthetic blur

    def apply_preset(self, name: str) -> None:
        if not name or self.is_running:
            return
        self.new_run()
        cfg = preset(name)
        keep = {k: self.form.value_or(k) for k in ("data.root", "data.synthetic", "train.device")}
        self.form.set_config(cfg)
        for k, v in keep.items():
            if v is not None:
                self.form.set_value(k, v)
        self.preset.setCurrentIndex(0)
        self._log(f"Form filled from preset {name!r}")

    def _model_changed(self, *_) -> None:
        """Options belong to an architecture (num_residual_blocks means nothing to NAFNet)."""
        if self.resume_dir is None and not self.is_running:
            self.form.set_value("model.options", {})

    def config(self) -> RunConfig:
        """The form as a checked RunConfig; raises ConfigError with the reason."""
        from core.training.loop import check_config

        cfg = self.form.config()
        if not self.resume_dir:
            if not cfg.data.root:
                raise ConfigError("data.root: choose a data folder (or open one in the Dataset tab)")
            if not Path(cfg.data.root).is_dir():
                raise ConfigError(f"data.root: {cfg.data.root} is not a folder")
        try:
            check_config(cfg)
        except ConfigError:
            raise
        except KeyError as e:  # an unknown model name
            raise ConfigError(f"model.name: {e}") from None
        except (ValueError, TypeError) as e:
            raise ConfigError(str(e)) from None
        if cfg.train.device != "auto":
            from core.device import pick_device
            try:
                pick_device(cfg.train.device)
            except ValueError as e:
                raise ConfigError(f"train.device: {e}") from None
        return cfg

    def target_dir(self, cfg: RunConfig) -> Path:
        text = self.run_edit.text().strip()
        if self.resume_dir:
            return Path(self.resume_dir)
        return Path(text).expanduser() if text else RunFolder.new(cfg.model.name, default_runs_dir()).path

    def validate(self) -> bool:
        """Check the form; show the reason and disable Start when it cannot run."""
        if self.is_running:
            return True
        try:
            cfg = self.config()
            text = self.run_edit.text().strip()
            if not self.resume_dir and text and RunFolder(Path(text).expanduser()).holds_run():
                raise ConfigError(f"run folder: {text} already holds a run; use “Resume a run…” "
                                  "to continue it, or choose another folder")
        except ConfigError as e:
            msg = str(e)
            self.form.mark_error(self.form.key_in(msg))
            self._problem(msg)
            self._valid = False
        else:
            self.form.mark_error(None)
            self._problem(self.last_error)  # a failed run's reason stays until the next start
            self._valid = True
        self.start_btn.setEnabled(self._valid)
        return self._valid

    def _problem(self, text: str, colour: str = "#d04040") -> None:
        self.problem.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>" if text else "")

    # ---- run folder, resume, fine-tune ------------------------------------------------
    def _choose_run_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Run folder", str(default_runs_dir()))
        if d:
            self.run_edit.setText(d)

    def _choose_resume(self) -> None:
        start = default_runs_dir() if default_runs_dir().is_dir() else Path.home()
        d = QFileDialog.getExistingDirectory(self, "Resume a run: choose its folder", str(start))
        if d:
            self.resume_run(d)

    def resume_run(self, run_dir: str, keep_curves: bool = False) -> bool:
        """Load a run's config and curves; Start then continues it from checkpoints/last.pt."""
        run = Path(run_dir)
        folder = RunFolder(run)
        try:
            if not folder.last.is_file():
                raise ConfigError(f"{run}: no checkpoints/last.pt to resume from")
            cfg = RunConfig.load(folder.config)
        except ConfigError as e:
            self._problem(str(e))
            return False
        self.resume_dir = str(run)
        self.form.set_config(cfg)
        self.form.lock(RESUMABLE)
        self.run_edit.setText(str(run))
        self.run_edit.setEnabled(False)
        if not keep_curves:
            self.plots.load_metrics(folder.metrics)
            self.samples.clear()
        self.mode.setText(f"Resuming <b>{html.escape(run.name)}</b>: only epochs and device can change.")
        self.start_btn.setText("Resume")
        self._update_buttons()
        self.validate()
        return True

    def new_run(self) -> None:
        if self.is_running:
            return
        if self.resume_dir is not None:
            self.run_edit.clear()
        self.resume_dir = None
        self.form.lock(None)
        self.run_edit.setEnabled(True)
        self.mode.setText("New run")
        self.start_btn.setText("Start")
        self._update_buttons()
        self.validate()

    def _choose_finetune(self) -> None:
        start = str(default_runs_dir()) if default_runs_dir().is_dir() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Fine-tune from a model", start,
                                              "Models and checkpoints (*.safetensors *.pt *.pth);;All files (*)")
        if path:
            self.fine_tune_from(path)

    def fine_tune_from(self, path: str) -> None:
        """Start a new run from a checkpoint's or an export's weights, with its architecture."""
        self.new_run()
        p = Path(path)
        try:  # the run's config.json when it sits in a run folder (no 100 MB load on this thread)
            run = RunFolder.of_checkpoint(p)
            if run is not None and run.config.is_file():
                src = RunConfig.load(run.config)
            else:  # an export's header, or the checkpoint
                from core.model_files import model_config
                src = model_config(p)
        except Exception:  # not a checkpoint of ours: the Trainer will say why
            src = None
        if src is not None:
            self.form.set_value("model.name", src.model.name)
            self.form.set_value("model.options", src.model.options)
        self.form.set_value("train.init_from", path)
        self.mode.setText(f"New run fine-tuned from <b>{html.escape(Path(path).name)}</b>")

    # ---- commands -------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running

    def start(self) -> bool:
        if self.is_running or not self.validate():
            return False
        from core.training.loop import Trainer

        cfg = self.config()
        out = self.target_dir(cfg)
        self.run_dir = str(out)
        self.cfg = cfg
        if self.resume_dir:
            epochs, device = cfg.train.epochs, cfg.train.device
            make = lambda: Trainer(None, out, resume=True, epochs=epochs, device=device)  # noqa: E731
        else:
            settings().setValue("train/config", cfg.to_json())
            self.plots.clear()
            self.samples.clear()
            make = lambda: Trainer(cfg, out)  # noqa: E731
        self.last_error = ""
        self._finished_reason = ""
        self._problem("")
        self._gs0 = None
        self._set_state("Starting…")
        self._log(f"--- {'resuming' if self.resume_dir else 'starting'} {out}")
        self.run = TrainingRun(make)
        self.job = workers.start_job(self.run, on_event=self.on_event, on_error=self.on_error,
                                     on_finished=self._ended, name="training")
        self.form.lock(set())
        self.run_edit.setEnabled(False)
        self._update_buttons()
        return True

    def toggle_pause(self) -> None:
        if not self.is_running or self.run is None:
            return
        if self.run.paused:
            self.run.resume()
            self._set_state("Training")
        else:
            self.run.pause()
            self._set_state("Paused (between steps; Resume continues, Stop saves and ends)")
        self._update_buttons()

    def stop(self) -> None:
        if self.is_running:
            self._set_state("Stopping: saving a checkpoint…")
            self.job.stop()
            self._update_buttons()

    def save_now(self) -> None:
        if self.is_running and self.run is not None:
            self.run.request_save()
            self._log("Saving a checkpoint after the current step…")

    def _update_buttons(self) -> None:
        running = self.is_running
        stopping = running and self.job._stop.is_set()
        paused = running and self.run is not None and self.run.paused
        self.start_btn.setEnabled(not running and self._valid)
        self.pause_btn.setEnabled(running and not stopping)
        self.pause_btn.setText("Continue" if paused else "Pause")
        self.stop_btn.setEnabled(running and not stopping)
        self.save_btn.setEnabled(running and not stopping)
        for b in (self.resume_btn, self.finetune_btn, self.new_btn, self.show_all, self.preset):
            b.setEnabled(not running)
        self.from_dataset.setEnabled(not running and bool(self.dataset_folder) and self.resume_dir is None)
        self.new_btn.setVisible(self.resume_dir is not None)

    # ---- events (GUI thread) -----------------------------------------------------------
    def on_event(self, ev) -> None:
        if not isinstance(ev, Sample):
            self._log(str(ev))
        if isinstance(ev, Step):
            self.plots.add_step(ev)
            self._on_step(ev)
        elif isinstance(ev, Validated):
            self.plots.add_validation(ev)
            best = next((v for v in self.plots.vals if v["epoch"] == ev.best_epoch), None)
            self.status["best"].setText(f"epoch {ev.best_epoch}" + (
                f" (validation L1 {best['val_loss']:.4f}, {best['psnr']:.2f} dB)" if best else ""))
        elif isinstance(ev, Sample):
            self.samples.add(ev.epoch, ev.triplets)
        elif isinstance(ev, RunStarted):
            self._device = ev.device
            self._steps_per_epoch = ev.steps_per_epoch
            self._total_steps = ev.epochs * ev.steps_per_epoch
            self.status["device"].setText(ev.device)
            self.status["progress"].setText(f"epoch {ev.start_epoch}/{ev.epochs}")
            self.run_dir = ev.run_dir
            if not (self.run and self.run.paused):
                self._set_state(f"Training in {ev.run_dir}")
        elif isinstance(ev, Finished):
            self._on_finished(ev)
        if self.run is not None and self.run.paused and not isinstance(ev, Finished):
            self._set_state(f"Paused at {self.status['progress'].text()}")

    def _on_step(self, ev: Step) -> None:
        self.status["progress"].setText(f"epoch {ev.epoch}/{ev.epochs} · step {ev.step}/{ev.steps} "
                                        f"(global {ev.global_step})")
        self.status["speed"].setText(f"{ev.images_per_s:.1f} images/s")
        # ETA from this session's average step rate (includes validation time once an epoch ended)
        if self._gs0 is None:
            self._gs0 = (ev.global_step, ev.elapsed_s)
        gs0, t0 = self._gs0
        eta = ""
        if ev.global_step > gs0 and ev.elapsed_s > t0:
            per_step = (ev.elapsed_s - t0) / (ev.global_step - gs0)
            eta = f" · ETA {_hms(per_step * max(0, self._total_steps - ev.global_step))}"
        self.status["time"].setText(f"elapsed {_hms(ev.elapsed_s)}{eta}")
        self.status["memory"].setText(self._gpu_memory())

    def _gpu_memory(self) -> str:
        if not self._device.startswith("cuda"):
            return "– (not a CUDA device)"
        import torch
        i = int(self._device.split(":")[1].split()[0]) if ":" in self._device else 0
        used = torch.cuda.max_memory_allocated(i) / 2**30
        total = torch.cuda.get_device_properties(i).total_memory / 2**30
        return f"{used:.1f} / {total:.0f} GiB (peak)"

    def _on_finished(self, ev: Finished) -> None:
        best = RunFolder(ev.run_dir or self.run_dir).best
        self._set_state(f"Training {ev.reason} at epoch {ev.epoch}")
        self._finished_reason = ev.reason
        where = ""
        if best.is_file():
            try:
                listed = best.resolve().is_relative_to(default_runs_dir().resolve())
            except OSError:
                listed = False
            where = (" The Deblur tab lists its best model." if listed else
                     f" Its best model is {best} (outside {default_runs_dir()}, so choose it as a file in the Deblur tab).")
        self._log(f"Run folder: {ev.run_dir or self.run_dir}.{where}")
        self.run_finished.emit(ev.run_dir or self.run_dir)

    def on_error(self, exc: BaseException) -> None:
        """A failure in the loop: the message in a dialog and the log; the app carries on."""
        msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (ConfigError, OSError)) else str(exc)
        hint = oom_hint(exc, self.cfg)
        self.last_error = msg + (f"\n{hint}" if hint else "")
        self._log(f"ERROR: {self.last_error}")
        self._problem(self.last_error)
        self._set_state("Training failed")
        box = QMessageBox(QMessageBox.Icon.Critical, "Training failed", msg, parent=self)
        if hint:
            box.setInformativeText(hint)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the event loop (and a test) never blocks on it
        self.error_box = box

    def _ended(self) -> None:
        """The worker is done (completed, stopped or failed): offer to continue the run."""
        self._flush_log()
        run = Path(self.run_dir) if self.run_dir else None
        self.run = None
        if (self._finished_reason != "completed" and run is not None
                and RunFolder(run).can_resume()):
            self.resume_run(str(run), keep_curves=True)  # Start now continues it; "New run" leaves
        else:
            if self._finished_reason == "completed":
                self.run_edit.clear()  # that folder holds a run now: back to automatic
            self.new_run()
        self._update_buttons()
        self.validate()

    # ---- log ------------------------------------------------------------------------
    def _log(self, line: str) -> None:
        self._log_lines.append(line)

    def _flush_log(self) -> None:
        if self._log_lines:
            self.log.appendPlainText("\n".join(self._log_lines))
            self._log_lines = []

    def log_text(self) -> str:
        self._flush_log()
        return self.log.toPlainText()

    def _set_state(self, text: str) -> None:
        self.state.setText(text)

    # ---- window hooks -----------------------------------------------------------------
    def confirm_close(self) -> bool:
        """Closing while training: ask; yes stops it (checkpoint saved) in shutdown()."""
        if not self.is_running:
            return True
        answer = QMessageBox.question(
            self, "Training is running",
            "Training is still running. Stop it and quit?\n\nA checkpoint is saved first, so "
            "“Resume a run…” can continue it later.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Stop training with a checkpoint and wait for it (a step plus the save)."""
        if not self.is_running:
            return True
        self.stop()
        if self.run is not None:
            self.run.resume()
        ok = self.job.wait(timeout_ms)
        self._flush_log()
        return ok
