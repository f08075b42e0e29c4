"""Train tab: set up a run from a form generated from core's config, watch it live.

The training loop is core's `Trainer`, iterated on a worker thread by
`workers.start_job` (`jobs.TrainingRun`); the GUI thread only turns its events into
plots, previews, the status line and the log pane (`monitor_panel.py`). Pause is the
worker's (it holds between two events), Stop and Save now are the Trainer's own
cooperative requests. This module owns the run: new, resumed or fine-tuned, its
commands and what happens when it ends; the form and buttons are `setup_panel.py`.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QSplitter, QVBoxLayout, QWidget

from core.config import ConfigError, RunConfig
from core.events import Finished, RunStarted
from core.model_files import ModelFileError, model_config
from core.paths import default_runs_dir
from core.run_folder import RunFolder
from core.training.loop import Trainer
from core.training.presets import preset
from deblur_desktop import workers
from deblur_desktop.settings import settings
from deblur_desktop.tabs.train.jobs import TrainingRun, is_manual_save, oom_hint
from deblur_desktop.tabs.train.monitor_panel import TrainMonitor
from deblur_desktop.tabs.train.setup_panel import SAVED_CONFIG, SetupPanel

RESUMABLE = {"train.epochs", "train.device"}  # what Trainer(resume=True) lets a resumed run change


class TrainTab(QWidget):
    run_finished = Signal(str)  # run folder of a finished or stopped run (its models exist)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.job: workers.Job | None = None
        self.run: TrainingRun | None = None
        self.resume_dir: str | None = None  # set: Start continues this run
        self.run_dir = ""
        self.last_error = ""
        self.error_box: QMessageBox | None = None  # the last failure's dialog
        self.cfg: RunConfig | None = None
        self.dataset_folder = ""  # what the Dataset tab opened last
        self._valid = False
        self._finished_reason = ""

        self.setup = SetupPanel()
        self.form = self.setup.form  # the generated config form, driven from here
        self.monitor = TrainMonitor()
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.setup)
        body.addWidget(self.monitor)
        body.setStretchFactor(1, 1)
        body.setSizes([380, 1060])
        QVBoxLayout(self).addWidget(body)

        self._validate_timer = QTimer(self, singleShot=True, interval=300)
        self._validate_timer.timeout.connect(self.validate)
        s = self.setup
        self.form.changed.connect(self._validate_timer.start)
        self.form.editors["model.name"].changed.connect(self._model_changed)
        s.run_edit.textChanged.connect(self._validate_timer.start)
        s.preset.activated.connect(lambda i: self.apply_preset(s.preset.itemData(i)))
        s.from_dataset.clicked.connect(lambda: self.use_folder(self.dataset_folder))
        s.start_btn.clicked.connect(self.start)
        s.pause_btn.clicked.connect(self.toggle_pause)
        s.stop_btn.clicked.connect(self.stop)
        s.save_btn.clicked.connect(self.save_now)
        s.resume_chosen.connect(self.resume_run)
        s.finetune_chosen.connect(self.fine_tune_from)
        s.new_btn.clicked.connect(self.new_run)
        self._update_buttons()
        self.validate()

    # ---- the form -------------------------------------------------------------------
    def set_dataset(self, pairset) -> None:
        """The Dataset tab opened a folder: offer it, and fill an empty data field."""
        self.dataset_folder = str(getattr(pairset, "root", pairset))
        self.setup.from_dataset.setEnabled(bool(self.dataset_folder))
        self.setup.from_dataset.setToolTip(self.dataset_folder)
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
        keep = {k: self.form.value_or(k) for k in ("data.root", "data.synthetic", "train.device")}
        self.form.set_config(preset(name))
        for k, v in keep.items():
            if v is not None:
                self.form.set_value(k, v)
        self.setup.preset.setCurrentIndex(0)
        self.monitor.add_log(f"Form filled from preset {name!r}")

    def _model_changed(self, *_) -> None:
        """Options belong to an architecture (num_residual_blocks means nothing to NAFNet)."""
        if self.resume_dir is None and not self.is_running:
            self.form.set_value("model.options", {})

    def config(self) -> RunConfig:
        """The form as a checked RunConfig; raises ConfigError with the reason."""
        return self.setup.checked_config(resuming=bool(self.resume_dir))

    def target_dir(self, cfg: RunConfig) -> Path:
        """The run's folder: the resumed one, the one typed in, or <runs>/<model>-<time>."""
        if self.resume_dir:
            return Path(self.resume_dir)
        text = self.setup.run_edit.text().strip()
        return Path(text).expanduser() if text else RunFolder.new(cfg.model.name, default_runs_dir()).path

    def validate(self) -> bool:
        """Check the form; show the reason and disable Start when it cannot run."""
        if self.is_running:
            return True
        try:
            self.config()
            if not self.resume_dir:
                self.setup.check_run_folder()
        except ConfigError as e:
            self.form.mark_error(e.key)
            self.setup.show_problem(str(e))
            self._valid = False
        else:
            self.form.mark_error(None)
            self.setup.show_problem(self.last_error)  # a failed run's reason stays until the next start
            self._valid = True
        self.setup.start_btn.setEnabled(self._valid)
        return self._valid

    # ---- resume, new run, fine-tune ---------------------------------------------------
    def resume_run(self, run_dir: str, keep_curves: bool = False) -> bool:
        """Load a run's config and curves; Start then continues it from checkpoints/last.pt."""
        run = Path(run_dir)
        folder = RunFolder(run)
        try:
            if not folder.last.is_file():
                raise ConfigError(f"{run}: no checkpoints/last.pt to resume from")
            cfg = RunConfig.load(folder.config)
        except ConfigError as e:
            self.setup.show_problem(str(e))
            return False
        self.resume_dir = str(run)
        self.form.set_config(cfg)
        self.form.lock(RESUMABLE)
        self.setup.run_edit.setText(str(run))
        self.setup.run_edit.setEnabled(False)
        if not keep_curves:
            self.monitor.plots.load_metrics(folder.metrics)
            self.monitor.samples.clear()
        self.setup.mode.setText(f"Resuming <b>{html.escape(run.name)}</b>: only epochs and device can change.")
        self.setup.start_btn.setText("Resume")
        self._update_buttons()
        self.validate()
        return True

    def new_run(self) -> None:
        if self.is_running:
            return
        if self.resume_dir is not None:
            self.setup.run_edit.clear()
        self.resume_dir = None
        self.form.lock(None)
        self.setup.run_edit.setEnabled(True)
        self.setup.mode.setText("New run")
        self.setup.start_btn.setText("Start")
        self._update_buttons()
        self.validate()

    def fine_tune_from(self, path: str) -> None:
        """Start a new run from a checkpoint's or an export's weights, with its architecture."""
        self.new_run()
        p = Path(path)
        run = RunFolder.of_checkpoint(p)
        try:  # the run's config.json when it sits in a run folder (no 100 MB load on this thread)
            src = RunConfig.load(run.config) if run is not None and run.config.is_file() else model_config(p)
        except (ConfigError, ModelFileError):  # not a model of ours: the Trainer will say why
            src = None
        if src is not None:
            self.form.set_value("model.name", src.model.name)
            self.form.set_value("model.options", src.model.options)
        self.form.set_value("train.init_from", path)
        self.setup.mode.setText(f"New run fine-tuned from <b>{html.escape(Path(path).name)}</b>")

    # ---- commands -------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running

    def start(self) -> bool:
        if self.is_running or not self.validate():
            return False
        cfg = self.config()
        out = self.target_dir(cfg)
        self.run_dir = str(out)
        self.cfg = cfg
        if self.resume_dir:
            epochs, device = cfg.train.epochs, cfg.train.device
            make = lambda: Trainer(None, out, resume=True, epochs=epochs, device=device)  # noqa: E731
        else:
            settings().setValue(SAVED_CONFIG, cfg.to_json())
            make = lambda: Trainer(cfg, out)  # noqa: E731
        self.monitor.new_session(fresh=not self.resume_dir)
        self.last_error = ""
        self._finished_reason = ""
        self.setup.show_problem("")
        self.monitor.set_state("Starting…")
        self.monitor.add_log(f"--- {'resuming' if self.resume_dir else 'starting'} {out}")
        self.run = TrainingRun(make)
        self.job = workers.start_job(self.run, on_event=self.on_event, on_error=self.on_error,
                                     on_finished=self._ended, name="training")
        self.form.lock(set())
        self.setup.run_edit.setEnabled(False)
        self._update_buttons()
        return True

    def toggle_pause(self) -> None:
        if not self.is_running:
            return
        if self.job.paused:
            self.job.resume()
            self.monitor.set_state("Training")
        else:
            self.job.pause()
            self.monitor.set_state("Paused (between steps; Resume continues, Stop saves and ends)")
        self._update_buttons()

    def stop(self) -> None:
        if self.is_running:
            self.monitor.set_state("Stopping: saving a checkpoint…")
            self.job.stop()  # a paused run goes on to save and end
            self._update_buttons()

    def save_now(self) -> None:
        if self.is_running and self.run is not None and self.run.request_save():
            self.job.run_until(is_manual_save)  # paused: runs exactly until the checkpoint, then holds
            self.monitor.add_log("Saving a checkpoint after the current step…")

    def _update_buttons(self) -> None:
        s = self.setup
        running = self.is_running
        stopping = running and self.job.stopping
        s.start_btn.setEnabled(not running and self._valid)
        s.pause_btn.setEnabled(running and not stopping)
        s.pause_btn.setText("Continue" if running and self.job.paused else "Pause")
        s.stop_btn.setEnabled(running and not stopping)
        s.save_btn.setEnabled(running and not stopping)
        for b in (s.resume_btn, s.finetune_btn, s.new_btn, s.show_all, s.preset):
            b.setEnabled(not running)
        s.from_dataset.setEnabled(not running and bool(self.dataset_folder) and self.resume_dir is None)
        s.new_btn.setVisible(self.resume_dir is not None)

    # ---- events (GUI thread) -----------------------------------------------------------
    def on_event(self, ev) -> None:
        self.monitor.show_event(ev)
        paused = self.job is not None and self.job.paused
        if isinstance(ev, RunStarted):
            self.run_dir = ev.run_dir
            if not paused:
                self.monitor.set_state(f"Training in {ev.run_dir}")
        elif isinstance(ev, Finished):
            self._on_finished(ev)
        if paused and not isinstance(ev, Finished):
            self.monitor.set_state(f"Paused at {self.monitor.status['progress'].text()}")

    def _on_finished(self, ev: Finished) -> None:
        best = RunFolder(ev.run_dir or self.run_dir).best
        self.monitor.set_state(f"Training {ev.reason} at epoch {ev.epoch}")
        self._finished_reason = ev.reason
        where = ""
        if best.is_file():
            try:
                listed = best.resolve().is_relative_to(default_runs_dir().resolve())
            except OSError:
                listed = False
            where = (" The Deblur tab lists its best model." if listed else
                     f" Its best model is {best} (outside {default_runs_dir()}, so choose it as a file in the Deblur tab).")
        self.monitor.add_log(f"Run folder: {ev.run_dir or self.run_dir}.{where}")
        self.run_finished.emit(ev.run_dir or self.run_dir)

    def on_error(self, exc: BaseException) -> None:
        """A failure in the loop: the message in a dialog and the log; the app carries on."""
        msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (ConfigError, OSError)) else str(exc)
        hint = oom_hint(exc, self.cfg)
        self.last_error = msg + (f"\n{hint}" if hint else "")
        self.monitor.add_log(f"ERROR: {self.last_error}")
        self.setup.show_problem(self.last_error)
        self.monitor.set_state("Training failed")
        box = QMessageBox(QMessageBox.Icon.Critical, "Training failed", msg, parent=self)
        if hint:
            box.setInformativeText(hint)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the event loop (and a test) never blocks on it
        self.error_box = box

    def _ended(self) -> None:
        """The worker is done (completed, stopped or failed): offer to continue the run."""
        self.monitor.flush_log()
        run = Path(self.run_dir) if self.run_dir else None
        self.run = None
        if (self._finished_reason != "completed" and run is not None
                and RunFolder(run).can_resume()):
            self.resume_run(str(run), keep_curves=True)  # Start now continues it; "New run" leaves
        else:
            if self._finished_reason == "completed":
                self.setup.run_edit.clear()  # that folder holds a run now: back to automatic
            self.new_run()
        self._update_buttons()
        self.validate()

    def log_text(self) -> str:
        return self.monitor.log_text()

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
        ok = self.job.wait(timeout_ms)
        self.monitor.flush_log()
        return ok
