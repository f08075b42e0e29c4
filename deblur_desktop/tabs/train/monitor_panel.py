"""The Train tab's right side: the run's state line, its status (progress, speed, time
and ETA, device, GPU memory, best epoch), the loss and quality curves, the sample strip
and the log pane (the CLI's lines, buffered and flushed with the plots' rhythm).
"""
from __future__ import annotations

import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from core.events import RunStarted, Sample, Step, Validated
from deblur_desktop.widgets.loss_plot import LossPlot
from deblur_desktop.widgets.sample_strip import SampleStrip

STATUS = (("progress", "Progress"), ("speed", "Speed"), ("time", "Time"),
          ("device", "Device"), ("memory", "GPU memory"), ("best", "Best"))


def hms(s: float) -> str:
    s = int(max(0, s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class TrainMonitor(QSplitter):
    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self._log_lines: list[str] = []
        self._device = ""

        self.status: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        for i, (key, caption) in enumerate(STATUS):
            lab = QLabel("–")
            lab.setWordWrap(True)  # "epoch 3/10 · step 120/400 (global 920)" wraps, never widens the window
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(QLabel(f"<b>{caption}</b>"), i // 3, (i % 3) * 2)
            grid.addWidget(lab, i // 3, (i % 3) * 2 + 1)
            grid.setColumnStretch((i % 3) * 2 + 1, 1)
            self.status[key] = lab
        self.state = QLabel("Idle")
        self.state.setWordWrap(True)
        # Bold by font, not by style sheet: a style sheet freezes the label's palette, so after
        # a switch to dark "Idle" stayed black on the dark window.
        bold = self.state.font()
        bold.setBold(True)
        self.state.setFont(bold)
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
        tl.addLayout(grid)
        tl.addWidget(self.plots, 1)
        self.addWidget(top)
        self.addWidget(bottom)
        self.setSizes([540, 240])  # the plots first: at 640 px high they keep readable axes
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)

        # Log lines are buffered and flushed with the plots' rhythm, never per event.
        self._flush = QTimer(self)
        self._flush.setInterval(200)
        self._flush.timeout.connect(self.flush_log)
        self._flush.start()

    def new_session(self, fresh: bool) -> None:
        """A run starts (`fresh`: a new one, so the old curves and samples go) or resumes."""
        if fresh:
            self.plots.clear()
            self.samples.clear()

    def show_event(self, ev) -> None:
        """One of the Trainer's events: its log line, and what it changes on screen."""
        if not isinstance(ev, Sample):
            self.add_log(str(ev))
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
            self.status["device"].setText(ev.device)
            self.status["progress"].setText(f"epoch {ev.start_epoch}/{ev.epochs}")

    def _on_step(self, ev: Step) -> None:
        self.status["progress"].setText(f"epoch {ev.epoch}/{ev.epochs} · step {ev.step}/{ev.steps} "
                                        f"(global {ev.global_step})")
        self.status["speed"].setText(f"{ev.images_per_s:.1f} images/s")
        # core's estimate for the whole run (core.training.eta), as `deblur train` prints it
        eta = f" · ETA {hms(ev.eta_s)}" if ev.eta_s is not None else ""
        self.status["time"].setText(f"elapsed {hms(ev.elapsed_s)}{eta}")
        self.status["memory"].setText(self._gpu_memory())

    def _gpu_memory(self) -> str:
        if not self._device.startswith("cuda"):
            return "– (not a CUDA device)"
        i = int(self._device.split(":")[1].split()[0]) if ":" in self._device else 0
        used = torch.cuda.max_memory_allocated(i) / 2**30
        total = torch.cuda.get_device_properties(i).total_memory / 2**30
        return f"{used:.1f} / {total:.0f} GiB (peak)"

    # ---- log and state ----------------------------------------------------------------
    def add_log(self, line: str) -> None:
        self._log_lines.append(line)

    def flush_log(self) -> None:
        if self._log_lines:
            self.log.appendPlainText("\n".join(self._log_lines))
            self._log_lines = []

    def log_text(self) -> str:
        self.flush_log()
        return self.log.toPlainText()

    def set_state(self, text: str) -> None:
        self.state.setText(text)
