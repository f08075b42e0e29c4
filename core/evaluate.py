"""Evaluation as the report did it: every test image, batch size 1, PSNR/SSIM, then
mean/std/min/max per model, plus a comparison with the published GoPro figures.

    ev = Evaluation("path/to/pairs", [EvalModel.baseline(), EvalModel("mine", fn)], shift=4)
    for event in ev:        # EvalStarted, ImageScored (one per image and model),
        print(event)        # ModelSummary (the report's table), EvalFinished
    ev.request_stop()       # from any thread: stops before the next image
    ev.rows                 # list[Row], one per (model, image) scored so far
    ev.summaries()          # {model name: {"PSNR": Stats, "SSIM": Stats, ...}}
    write_csv(ev, "per_image.csv"); atomic_write_text(p, markdown_summary(ev))

A model is a plain callable `fn(blur01) -> result01` (float32 HxWx3 arrays in [0, 1],
same size in and out), e.g. a `Deblurrer`'s `deblur` with its tiling, so the numbers are
those of `deblur run`. If it takes a `cancel` keyword (Deblurrer.deblur does), a stop
request also interrupts the image in progress (between tiles). `EvalModel.baseline()` is the identity: the blurred input scored
against the sharp one, which every model must beat. Results are quantised to 8 bits
before scoring, as the report's saved PNGs were.

Data: any layout `core.data.pairs.discover` knows; a "test" split is used when the data
has one (GoPro, RealBlur), otherwise every pair. An unreadable image is reported as a
warning and skipped; it never stops the run.
"""
from __future__ import annotations

import csv
import inspect
import io
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from core.data.imageio import ImageReadError, read_rgb, to_uint8, write_image
from core.data.pairs import DataError, ImagePair, PairSet, discover
from core.events import EvalFinished, EvalStarted, Event, ImageScored, Message, ModelSummary
from core.fileutil import atomic_write_text
from core.inference.tiling import Cancelled
from core.metrics import score
from core.scores import Row, Stats

ImageFn = Callable[[np.ndarray], np.ndarray]

# The report's comparison table (GoPro test set). Never measured here: shown for context.
PUBLISHED_GOPRO = [
    ("DeepDeblur", 29.23, 0.916), ("SRN", 30.26, 0.934), ("PSS-NSC", 30.92, 0.942),
    ("DMPHN", 31.20, 0.945), ("RADN", 31.76, 0.953), ("SVDN", 29.81, 0.937),
    ("MIMO-UNet", 31.73, 0.951), ("MIMO-UNet++", 32.68, 0.959),
    ("the report's GAN", 23.97, 0.7601),
]
PUBLISHED_NOTE = "published, GoPro test, not measured here"


@dataclass(frozen=True)
class EvalModel:
    name: str
    fn: ImageFn | None  # None: the blurred input itself (the identity baseline)
    source: str = ""  # where the weights came from (path, "shipped default"...)

    @classmethod
    def baseline(cls) -> "EvalModel":
        return cls("blurred input (baseline)", None, "identity: no model")


def pick_pairs(root: str | Path, split: str | None = None) -> tuple[str, list[ImagePair], PairSet]:
    """The pairs to evaluate: the named split, else 'test' when present, else all."""
    ps = discover(root)
    pairs = [p for p in ps.pairs if p.blur is not None]
    if not pairs:
        detail = "; ".join(str(p) for p in ps.problems[:3])
        raise DataError(f"{root}: no blurred/sharp pairs to evaluate ({ps.layout} layout"
                        + (f"; {detail}" if detail else "") + ")")
    splits = {p.split for p in pairs}
    if split is None:
        split = "test" if "test" in splits else ""
    if split:
        if split not in splits:
            raise DataError(f"{root}: no '{split}' split (found: {', '.join(sorted(s or 'none' for s in splits))})")
        pairs = [p for p in pairs if p.split == split]
    return split, pairs, ps


class Evaluation:
    def __init__(self, data: str | Path, models: Sequence[EvalModel], *, shift: int = 0,
                 y_channel: bool = False, split: str | None = None, limit: int | None = None,
                 save_images: str | Path | None = None):
        if not models:
            raise ValueError("nothing to evaluate: give at least one model or the baseline")
        names = [m.name for m in models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must differ: {names}")
        if shift < 0:
            raise ValueError(f"shift must be 0 or more pixels (got {shift})")
        self.data = Path(data)
        self.models = list(models)
        self.shift, self.y_channel = shift, y_channel
        self.split, self.pairs, self.pairset = pick_pairs(data, split)
        if limit:
            self.pairs = self.pairs[:limit]
        self.save_images = Path(save_images) if save_images else None
        self.rows: list[Row] = []
        self._stop = threading.Event()

    def request_stop(self) -> None:
        self._stop.set()

    def __iter__(self) -> Iterator[Event]:
        return self.run()

    def summaries(self) -> dict[str, dict[str, Stats]]:
        out: dict[str, dict[str, Stats]] = {}
        for m in self.models:
            rows = [r for r in self.rows if r.model == m.name]
            if not rows:
                continue
            st = {"PSNR": Stats.of([r.psnr for r in rows]), "SSIM": Stats.of([r.ssim for r in rows])}
            if self.shift:
                st[f"PSNR shift+-{self.shift}"] = Stats.of([r.psnr_shift for r in rows])
                st[f"SSIM shift+-{self.shift}"] = Stats.of([r.ssim_shift for r in rows])
            out[m.name] = st
        return out

    def run(self) -> Iterator[Event]:
        yield EvalStarted(str(self.data), self.pairset.layout, self.split, len(self.pairs),
                          [m.name for m in self.models], self.shift, self.y_channel,
                          len(self.pairset.problems))
        for p in self.pairset.problems[:5]:
            yield Message("warning", str(p))
        for model in self.models:
            for i, pair in enumerate(self.pairs, 1):
                if self._stop.is_set():
                    yield from self._summary(model)
                    yield EvalFinished("stopped", len(self.rows))
                    return
                try:
                    row = self._score(model, pair)
                except Cancelled:  # stopped inside the model: this image is not scored
                    break
                except (ImageReadError, ValueError, OSError) as e:  # a bad file never stops the batch
                    yield Message("warning", f"[{model.name}] {pair.name} skipped: {e}")
                    continue
                self.rows.append(row)
                yield ImageScored(i, len(self.pairs), row)
            yield from self._summary(model)
            if self._stop.is_set():
                yield EvalFinished("stopped", len(self.rows))
                return
        yield EvalFinished("completed", len(self.rows))

    def _summary(self, model: EvalModel) -> Iterator[Event]:
        st = self.summaries().get(model.name)
        if st:
            yield ModelSummary(model.name, st)

    def _score(self, model: EvalModel, pair: ImagePair) -> Row:
        blur = read_rgb(pair.blur)
        sharp = to_uint8(read_rgb(pair.sharp))
        t0 = time.perf_counter()
        if model.fn is None:
            out = blur
        elif _takes_cancel(model.fn):
            out = model.fn(blur, cancel=self._stop.is_set)
        else:
            out = model.fn(blur)
        seconds = 0.0 if model.fn is None else time.perf_counter() - t0
        out = np.asarray(out)
        if out.shape != blur.shape:
            raise ValueError(f"the model returned {out.shape}, expected {blur.shape}")
        res = to_uint8(out)
        if self.save_images and model.fn is not None:
            self._save(model, pair, res)
        raw = score(res, sharp, y_channel=self.y_channel)
        if not self.shift:
            return Row(model.name, pair.name, raw.psnr, raw.ssim, seconds=seconds)
        sh = score(res, sharp, y_channel=self.y_channel, shift=self.shift)
        return Row(model.name, pair.name, raw.psnr, raw.ssim, sh.psnr, sh.ssim, sh.dy, sh.dx, seconds)

    def _save(self, model: EvalModel, pair: ImagePair, res: np.ndarray) -> None:
        # exactly the 8-bit pixels that were scored
        write_image(saved_image_path(self.save_images, model.name, pair.name), res / 255.0)


def saved_image_path(save_dir: Path, model_name: str, image_name: str) -> Path:
    """Where `save_images` puts a model's result for one pair (the app opens it there)."""
    return Path(save_dir) / slug(model_name) / Path(image_name).with_suffix(".png")


def _takes_cancel(fn: Callable) -> bool:
    try:
        return "cancel" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def slug(name: str) -> str:
    """A folder name for a model name or path."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem if "/" in name or "\\" in name else name).strip("_") or "model"


# ---- reports --------------------------------------------------------------------
CSV_FIELDS = ["model", "image", "psnr", "ssim", "psnr_shift", "ssim_shift", "dy", "dx", "seconds"]


def write_csv(ev: Evaluation, path: str | Path) -> None:
    """One line per (model, image); 'inf' for a perfect PSNR, empty for no shift search."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in ev.rows:
        vals = [getattr(r, f) for f in CSV_FIELDS]
        w.writerow(["" if v is None else f"{v:.6f}" if isinstance(v, float) else v for v in vals])
    atomic_write_text(Path(path), buf.getvalue())


def markdown_summary(ev: Evaluation) -> str:
    """The report's table per model, then a comparison including the published rows."""
    sums = ev.summaries()
    how = "Y channel (BT.601)" if ev.y_channel else "8-bit RGB"
    lines = [f"# Evaluation on {ev.data.name}", "",
             f"- data: `{ev.data}` ({ev.pairset.layout} layout"
             + (f", {ev.split} split" if ev.split else "") + f"), {len(ev.pairs)} pairs",
             f"- metrics: scikit-image PSNR/SSIM (7x7 window) on {how}, whole images at native size"
             + (f"; shift columns: best over integer shifts within +-{ev.shift} px, "
                f"{ev.shift} px border cropped" if ev.shift else ""), ""]
    for name, st in sums.items():
        lines += [f"## {name}", "", "| Metric | Mean | Std | Min | Max |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {s.mean:.6f} | {s.std:.6f} | {s.min:.6f} | {s.max:.6f} |" for k, s in st.items()]
        lines.append("")
    sh = f"PSNR shift+-{ev.shift}" if ev.shift else None
    head = "| Model | PSNR (dB) | SSIM |" + (f" PSNR shift+-{ev.shift} | SSIM shift+-{ev.shift} |" if sh else "") + " Source |"
    lines += ["## Comparison", "", head, "|---" * (head.count("|") - 1) + "|"]
    for name, st in sums.items():
        extra = f" {st[sh].mean:.2f} | {st['SSIM' + sh[4:]].mean:.4f} |" if sh else ""
        lines.append(f"| {name} | {st['PSNR'].mean:.2f} | {st['SSIM'].mean:.4f} |{extra} measured here, {ev.data.name} |")
    for name, p, s in PUBLISHED_GOPRO:
        extra = " | |" if sh else ""
        lines.append(f"| {name} | {p:.2f} | {s} |{extra} *{PUBLISHED_NOTE}* |")  # as published
    lines += ["", f"Rows marked *{PUBLISHED_NOTE}* are the figures quoted in the report; they "
              "are on a different data set unless this evaluation is on GoPro test.", ""]
    return "\n".join(lines)
