"""Live training curves: G/D loss and learning rate per logged step, validation per epoch.

Events only append to lists (cheap, any rate); a timer redraws at most every
`redraw_ms`, so a fast GPU loop logging hundreds of steps a second never floods the
GUI. Smoothing is an exponential moving average (TensorBoard's), drawn over the faint
raw curve; the log scale applies to the loss and learning-rate plots. Hovering a plot
shows the nearest point's values; `export_png` / `export_csv` save what is shown.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QVBoxLayout, QWidget)

from core.fileutil import atomic_save, atomic_write_text

# key, title, per ("step" | "epoch"), log scale allowed, colour
PLOTS = [
    ("g_loss", "G loss", "step", True, "#3d7bd9"),
    ("d_loss", "D loss", "step", True, "#d04040"),
    ("lr", "learning rate (G)", "step", True, "#9a60d0"),
    ("val_loss", "validation L1", "epoch", True, "#e0a030"),
    ("psnr", "validation PSNR (dB)", "epoch", False, "#40b060"),
    ("ssim", "validation SSIM", "epoch", False, "#40b0b0"),
]
STEP_COLUMNS = ["epoch", "step", "global_step", "d_loss", "g_loss", "pixel_loss", "lr", "images_per_s"]
VAL_COLUMNS = ["epoch", "val_loss", "psnr", "ssim", "is_best"]


def ema(y: np.ndarray, alpha: float) -> np.ndarray:
    """Debiased exponential moving average, skipping NaNs (D loss is None with the GAN off)."""
    out = np.full_like(y, np.nan, dtype=float)
    acc, weight = 0.0, 0.0
    for i, v in enumerate(y):
        if math.isfinite(v):
            acc = alpha * acc + (1 - alpha) * v
            weight = alpha * weight + (1 - alpha)
            out[i] = acc / weight
    return out


class LossPlot(QWidget):
    def __init__(self, redraw_ms: int = 250, parent=None):
        super().__init__(parent)
        self.steps: list[dict] = []  # one row per Step event (STEP_COLUMNS)
        self.vals: list[dict] = []   # one row per Validated event (VAL_COLUMNS)
        self.redraws = 0
        self._dirty = False

        self.smooth = QSlider(Qt.Orientation.Horizontal)
        self.smooth.setRange(0, 99)
        self.smooth.setValue(60)
        self.smooth.setFixedWidth(110)
        self.smooth.setToolTip("Smoothing: exponential moving average of the step curves (0 = raw)")
        self.smooth_label = QLabel()
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Logarithmic y axis for the losses and the learning rate")
        self.png_btn = QPushButton("Export PNG…")
        self.csv_btn = QPushButton("Export CSV…")
        self.hover = QLabel(" ")  # its own line: in the bar it made the Train tab 1100 px wide
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("Smoothing"))
        bar.addWidget(self.smooth)
        bar.addWidget(self.smooth_label)
        bar.addWidget(self.log_scale)
        bar.addStretch(1)
        bar.addWidget(self.png_btn)
        bar.addWidget(self.csv_btn)

        self.view = pg.GraphicsLayoutWidget()
        self.plots: dict[str, pg.PlotItem] = {}
        self.raw: dict[str, pg.PlotDataItem] = {}
        self.smoothed: dict[str, pg.PlotDataItem] = {}
        self.markers: dict[str, pg.ScatterPlotItem] = {}
        for i, (key, title, per, _, colour) in enumerate(PLOTS):
            p = self.view.addPlot(row=i // 3, col=i % 3, title=title)
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setLabel("bottom", "step" if per == "step" else "epoch")
            p.setDownsampling(auto=True, mode="peak")
            p.setClipToView(True)
            faint = pg.mkColor(colour)
            faint.setAlpha(70 if per == "step" else 255)
            if per == "step":
                self.raw[key] = p.plot(pen=pg.mkPen(faint, width=1), connect="finite")
                self.smoothed[key] = p.plot(pen=pg.mkPen(colour, width=2), connect="finite")
            else:
                self.raw[key] = p.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6,
                                       symbolBrush=colour, symbolPen=None, connect="finite")
            self.markers[key] = pg.ScatterPlotItem(size=9, brush=None)
            p.addItem(self.markers[key])
            self.plots[key] = p
        self.restyle()
        for key in ("d_loss", "lr"):
            self.plots[key].setXLink(self.plots["g_loss"])
        for key in ("psnr", "ssim"):
            self.plots[key].setXLink(self.plots["val_loss"])

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.hover)
        lay.addWidget(self.view, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(redraw_ms)
        self.timer.timeout.connect(self.redraw_if_dirty)
        self.timer.start()
        self.smooth.valueChanged.connect(self._settings_changed)
        self.log_scale.toggled.connect(self._settings_changed)
        self.png_btn.clicked.connect(self._ask_png)
        self.csv_btn.clicked.connect(self._ask_csv)
        self.view.scene().sigMouseMoved.connect(self._mouse_moved)
        self._settings_changed()

    # ---- look ---------------------------------------------------------------------
    def restyle(self) -> None:
        """Background, titles, axes, grid and hover markers in the current palette's colours
        (pyqtgraph draws its own, so a light <-> dark switch has to be passed on)."""
        self.view.setBackground(self.palette().base().color())
        fg = self.palette().text().color()
        for key, title, *_ in PLOTS:
            p = self.plots[key]
            p.titleLabel.setText(title, color=fg, size="9pt")
            for ax in ("left", "bottom"):
                p.getAxis(ax).setTextPen(fg)
                p.getAxis(ax).setPen(fg)
            self.markers[key].setPen(pg.mkPen(fg))

    def changeEvent(self, e) -> None:
        super().changeEvent(e)
        if e.type() == QEvent.Type.PaletteChange:  # the system (or the user) switched light <-> dark
            self.restyle()

    # ---- data in ------------------------------------------------------------------
    def add_step(self, ev) -> None:
        self.steps.append({c: getattr(ev, c) for c in STEP_COLUMNS})
        self._dirty = True

    def add_validation(self, ev) -> None:
        self.vals = [v for v in self.vals if v["epoch"] != ev.epoch]  # a repeated epoch replaces
        self.vals.append({c: getattr(ev, c) for c in VAL_COLUMNS})
        self._dirty = True

    def clear(self) -> None:
        self.steps, self.vals = [], []
        self._dirty = True
        self.redraw()

    def load_metrics(self, path: str | Path) -> int:
        """Fill the curves from a run's metrics.jsonl (resuming shows the whole history)."""
        self.steps, self.vals = [], []
        n = 0
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            return 0
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash
            if rec.get("event") == "Step":
                self.steps.append({c: rec.get(c) for c in STEP_COLUMNS})
            elif rec.get("event") == "Validated":
                self.vals = [v for v in self.vals if v["epoch"] != rec.get("epoch")]
                self.vals.append({c: rec.get(c) for c in VAL_COLUMNS})
            else:
                continue
            n += 1
        # A resumed run re-logs steps after its last checkpoint: keep the latest of each.
        seen: dict[int, dict] = {}
        for row in self.steps:
            seen[row["global_step"]] = row
        self.steps = sorted(seen.values(), key=lambda r: r["global_step"])
        self._dirty = True
        self.redraw()
        return n

    # ---- data out -----------------------------------------------------------------
    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of one curve as logged (y NaN where a value is None)."""
        rows, xkey = (self.steps, "global_step") if key in STEP_COLUMNS else (self.vals, "epoch")
        x = np.array([r[xkey] for r in rows], dtype=float)
        y = np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)
        return x, y

    def curve_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """What the raw curve of `key` holds now (after the last redraw; before the
        view's clipping and downsampling)."""
        x, y = self.raw[key].getOriginalDataset()
        return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))

    def _alpha(self) -> float:
        return self.smooth.value() / 100

    def redraw_if_dirty(self) -> None:
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        self.redraws += 1
        log = self.log_scale.isChecked()
        for key, _, per, can_log, _ in PLOTS:
            x, y = self.series(key)
            if log and can_log:
                y = np.where(y > 0, y, np.nan)  # log10 of 0 or less is not drawable
            self.raw[key].setData(x, y)
            self._fit_flat(key, y)
            # whole steps/epochs on the x axis while there are few (no "epoch 1.5")
            ax = self.plots[key].getAxis("bottom")
            ax.setTickSpacing(*((1, 1) if len(x) and x.max() - x.min() < 10 else ()))
            if key in self.smoothed:
                a = self._alpha()
                self.smoothed[key].setData(x, ema(y, a) if a > 0 else y)
                self.smoothed[key].setVisible(a > 0)

    def _fit_flat(self, key: str, y: np.ndarray) -> None:
        """A constant curve (the LR without a schedule) gets a sane range, not rounding noise."""
        vb = self.plots[key].getViewBox()
        finite = y[np.isfinite(y)]
        if len(finite) and np.ptp(finite) <= 1e-6 * max(abs(finite).max(), 1e-30):
            v = float(finite[0])
            lo, hi = (v / 2, v * 2) if v > 0 else (v - 1, v + 1)
            if self.log_scale.isChecked() and v > 0:
                lo, hi = math.log10(lo), math.log10(hi)
            vb.setYRange(lo, hi, padding=0)
        else:
            vb.enableAutoRange(axis="y")

    def _settings_changed(self, *_) -> None:
        self.smooth_label.setText(f"{self._alpha():.2f}")
        for key, _, _, can_log, _ in PLOTS:
            self.plots[key].setLogMode(False, self.log_scale.isChecked() and can_log)
        self.redraw()

    # ---- hover --------------------------------------------------------------------
    def hover_text(self, key: str, x: float) -> str:
        """The values of the logged point nearest to `x` on plot `key`."""
        xs, ys = self.series(key)
        if not len(xs):
            return ""
        i = int(np.argmin(np.abs(xs - x)))
        title = next(t for k, t, *_ in PLOTS if k == key)
        if key in STEP_COLUMNS:
            r = self.steps[i]
            text = (f"step {r['global_step']} (epoch {r['epoch']}): {title} "
                    f"{'off' if r[key] is None else f'{r[key]:.5g}'}")
            if key in self.smoothed and self._alpha() > 0 and math.isfinite(ys[i]):
                text += f", smoothed {ema(ys[: i + 1], self._alpha())[-1]:.5g}"
        else:
            r = self.vals[i]
            text = f"epoch {r['epoch']}: {title} {r[key]:.5g}" + (" (best)" if r.get("is_best") else "")
        return text

    def _mouse_moved(self, pos) -> None:
        for key, p in self.plots.items():
            vb = p.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                x = vb.mapSceneToView(pos).x()
                self.hover.setText(self.hover_text(key, x))
                xs, ys = self.series(key)
                if len(xs):
                    i = int(np.argmin(np.abs(xs - x)))
                    y = ys[i]
                    if self.log_scale.isChecked() and p.ctrl.logYCheck.isChecked():
                        y = math.log10(y) if y > 0 else math.nan
                    self.markers[key].setData([xs[i]], [y] if math.isfinite(y) else [])
                continue
            self.markers[key].setData([], [])

    # ---- export -------------------------------------------------------------------
    def csv_text(self) -> str:
        """Every logged step and validation, one row each (kind = step | validation)."""
        cols = ["kind"] + STEP_COLUMNS + [c for c in VAL_COLUMNS if c not in STEP_COLUMNS]
        buf = io.StringIO()
        w = csv.DictWriter(buf, cols, lineterminator="\n")
        w.writeheader()
        for r in self.steps:
            w.writerow({"kind": "step", **{k: ("" if v is None else v) for k, v in r.items()}})
        for r in self.vals:
            w.writerow({"kind": "validation", **r})
        return buf.getvalue()

    def export_csv(self, path: str | Path) -> None:
        atomic_write_text(Path(path), self.csv_text())

    def export_png(self, path: str | Path) -> None:
        self.redraw()
        img = self.view.grab()

        def save(tmp: Path) -> None:
            if not img.save(str(tmp), "PNG"):
                raise OSError(f"{path}: could not write the PNG")
        atomic_save(Path(path), save)

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots as PNG", "training-curves.png", "PNG (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curve data as CSV", "training-curves.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)
