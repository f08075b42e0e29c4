"""Small typed events that long jobs yield; front ends decide how to show them.

The CLI prints `str(event)` (the report's log format for training), the app turns
each event into a Qt signal, tests iterate and inspect them. Every event is a plain
frozen dataclass so it can cross threads and be written to metrics.jsonl as JSON.

All of core's events live here, one section per job: training (core.training.loop),
batch deblurring (core.inference.batch), evaluation (core.evaluate), a synthetic pair
folder (core.data.synth) and a blur scan (core.triage.scan).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from core.scores import Row, format_table


@dataclass(frozen=True)
class Event:
    def to_record(self) -> dict[str, Any]:
        d = {"event": type(self).__name__}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float, str, bool, type(None), list, dict, tuple)):
                d[f.name] = v
        return d


# ---- training -------------------------------------------------------------------
@dataclass(frozen=True)
class RunStarted(Event):
    run_dir: str
    model: str
    device: str
    epochs: int
    steps_per_epoch: int
    start_epoch: int  # 1-based epoch the run starts (or resumes) in
    train_images: int
    val_images: int
    resumed: bool = False

    def __str__(self) -> str:
        what = "Resuming" if self.resumed else "Training"
        return (f"{what} {self.model} on {self.device}: {self.train_images} training / "
                f"{self.val_images} validation images, {self.steps_per_epoch} steps per epoch, "
                f"epoch {self.start_epoch}/{self.epochs}; run folder {self.run_dir}")


@dataclass(frozen=True)
class Step(Event):
    epoch: int
    epochs: int
    step: int  # 1-based within the epoch
    steps: int
    global_step: int
    d_loss: float | None  # None when the GAN term is off
    g_loss: float
    pixel_loss: float
    lr: float
    images_per_s: float
    elapsed_s: float
    # seconds left for the whole run (steps and epoch ends) at this session's measured pace
    # (core.training.eta); None until a step after the session's first has been timed
    eta_s: float | None = None

    def __str__(self) -> str:
        d = f"{self.d_loss:.4f}" if self.d_loss is not None else "off"
        # The report's format, verbatim: Epoch [5/80], Step [6/129], D Loss: 0.6887, G Loss: 5.1953
        return (f"Epoch [{self.epoch}/{self.epochs}], Step [{self.step}/{self.steps}], "
                f"D Loss: {d}, G Loss: {self.g_loss:.4f}")


@dataclass(frozen=True)
class Validated(Event):
    epoch: int
    epochs: int
    val_loss: float
    psnr: float
    ssim: float
    is_best: bool
    best_epoch: int
    images: int

    def __str__(self) -> str:
        # Report format first, then what the report measured only at the end.
        best = " (best)" if self.is_best else ""
        return (f"Epoch [{self.epoch}/{self.epochs}] Validation Loss: {self.val_loss:.4f}"
                f" | PSNR {self.psnr:.2f} dB, SSIM {self.ssim:.4f}{best}")


@dataclass(frozen=True)
class Sample(Event):
    """A few fixed validation images: blurred | generated | sharp, uint8 HxWx3 arrays
    (blurred | deconvolved | refined | sharp for a kernel-aware model)."""
    epoch: int
    triplets: list = field(default_factory=list)

    def __str__(self) -> str:
        return f"Epoch [{self.epoch}] {len(self.triplets)} sample previews"


@dataclass(frozen=True)
class CheckpointSaved(Event):
    path: str
    kind: str  # "last" | "best" | "manual" | "snapshot" (train.keep_every)
    epoch: int
    global_step: int

    def __str__(self) -> str:
        return f"Saved {self.kind} checkpoint {self.path} (epoch {self.epoch}, step {self.global_step})"


@dataclass(frozen=True)
class Finished(Event):
    reason: str  # "completed" | "stopped"
    epoch: int
    global_step: int
    best_epoch: int
    best_val_loss: float | None
    run_dir: str = ""

    def __str__(self) -> str:
        best = (f"best epoch {self.best_epoch} (validation loss {self.best_val_loss:.4f})"
                if self.best_val_loss is not None else "no validation yet")
        return f"Training {self.reason} at epoch {self.epoch}, step {self.global_step}; {best}"


@dataclass(frozen=True)
class Message(Event):
    level: str  # "info" | "warning"
    text: str

    def __str__(self) -> str:
        return self.text if self.level == "info" else f"Warning: {self.text}"


# ---- batch deblurring (core.inference.batch) -------------------------------------
@dataclass(frozen=True)
class FileStarted(Event):
    index: int  # 1-based
    total: int
    path: str
    out_path: str
    width: int
    height: int
    tiles: int

    def __str__(self) -> str:
        return f"[{self.index}/{self.total}] {self.path} ({self.width}x{self.height}, {self.tiles} tile(s))"


@dataclass(frozen=True)
class TileProgress(Event):
    index: int
    total: int
    path: str
    tiles_done: int
    tiles: int
    eta_s: float | None  # whole batch (every folder of deblur_jobs), from the pixel rate so far; None until known
    megapixels_per_s: float | None = None  # that rate: the batch's pace so far

    def __str__(self) -> str:
        return f"[{self.index}/{self.total}] tile {self.tiles_done}/{self.tiles}"


@dataclass(frozen=True)
class FileDone(Event):
    index: int
    total: int
    path: str
    out_path: str
    seconds: float
    megapixels: float
    note: str = ""  # what the engine found and did (shake reduction: kernel, confidence, path)

    def __str__(self) -> str:
        note = f"; {self.note}" if self.note else ""
        return f"[{self.index}/{self.total}] wrote {self.out_path} ({self.seconds:.1f} s{note})"


@dataclass(frozen=True)
class KernelEstimated(Event):
    """Shake reduction's finding for one photo, sent before its FileDone: the kernel
    (full-resolution px, sums to 1; the app shows it as an inset) and what ran."""
    index: int
    total: int
    path: str
    kernel: Any          # 2-D numpy array
    confidence: float
    extent_px: float     # length of the blur path
    what_ran: str        # core.shake.engine's PATH_* or the learned fallback

    def __str__(self) -> str:
        k = self.kernel.shape[0]
        return (f"[{self.index}/{self.total}] {self.path}: kernel {k} px, blur ~{self.extent_px:.0f} px, "
                f"confidence {self.confidence:.2f}: {self.what_ran}")


@dataclass(frozen=True)
class FileSkipped(Event):
    index: int
    total: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.index}/{self.total}] skipped {self.path}: {self.reason}"


@dataclass(frozen=True)
class FileFailed(Event):
    index: int
    total: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.index}/{self.total}] FAILED {self.path}: {self.reason}"


@dataclass(frozen=True)
class BatchFinished(Event):
    done: int
    skipped: int
    failed: int
    cancelled: bool
    seconds: float
    failures: list = field(default_factory=list)  # [(path, reason)]
    out_dir: str = ""

    def __str__(self) -> str:
        head = "Cancelled" if self.cancelled else "Finished"
        lines = [f"{head}: {self.done} done, {self.skipped} skipped, {self.failed} failed "
                 f"in {self.seconds:.1f} s" + (f"; results in {self.out_dir}" if self.out_dir else "")]
        lines += [f"  failed: {p}: {r}" for p, r in self.failures]
        return "\n".join(lines)


# ---- evaluation (core.evaluate) --------------------------------------------------
@dataclass(frozen=True)
class EvalStarted(Event):
    data: str
    layout: str
    split: str
    images: int
    models: list = field(default_factory=list)
    shift: int = 0
    y_channel: bool = False
    problems: int = 0

    def __str__(self) -> str:
        how = "Y channel" if self.y_channel else "RGB"
        if self.shift:
            how += f", raw and best over shifts within +-{self.shift} px"
        part = f" ({self.split} split)" if self.split else ""
        skipped = f"; {self.problems} pair(s) unusable" if self.problems else ""
        return (f"Evaluating {len(self.models)} model(s) on {self.images} image pairs{part} of "
                f"{self.data} ({self.layout} layout), PSNR/SSIM on 8-bit {how}{skipped}")


@dataclass(frozen=True)
class ImageScored(Event):
    index: int  # 1-based within this model
    total: int
    row: Row = None  # type: ignore[assignment]

    def __str__(self) -> str:
        r = self.row
        s = f"[{r.model}] {self.index}/{self.total} {r.image}: PSNR {r.psnr:.2f} dB, SSIM {r.ssim:.4f}"
        if r.psnr_shift is not None:
            s += f" | shifted ({r.dy:+d},{r.dx:+d}): PSNR {r.psnr_shift:.2f} dB, SSIM {r.ssim_shift:.4f}"
        return s + (f" ({r.seconds:.2f} s)" if r.seconds else "")

    def to_record(self) -> dict:
        return {"event": "ImageScored", "index": self.index, "total": self.total, **self.row.__dict__}


@dataclass(frozen=True)
class ModelSummary(Event):
    model: str
    stats: dict = field(default_factory=dict)  # metric label -> Stats

    def __str__(self) -> str:
        return f"{self.model}:\n{format_table(self.stats)}"

    def to_record(self) -> dict:
        return {"event": "ModelSummary", "model": self.model,
                "stats": {k: v.__dict__ for k, v in self.stats.items()}}


@dataclass(frozen=True)
class EvalFinished(Event):
    reason: str  # "completed" | "stopped"
    rows: int

    def __str__(self) -> str:
        return f"Evaluation {self.reason}: {self.rows} image scores"


# ---- a synthetic pair folder (core.data.synth.synth_folder, `deblur synth`) --------
@dataclass(frozen=True)
class PairSynthesised(Event):
    index: int  # 1-based
    total: int
    name: str
    extent: int  # kernel support in px
    error: str = ""  # the file was skipped: why

    def __str__(self) -> str:
        if self.error:
            return f"[{self.index}/{self.total}] skipped {self.error}"
        return f"[{self.index}/{self.total}] {self.name}: kernel {self.extent} px"


# ---- blur triage (core.triage.scan, `deblur scan`) -------------------------------
# The CLI prints a progress bar from these and a table at the end; the app can fill its
# queue as they come. A file that fails is FileFailed, as in batch deblurring.
@dataclass(frozen=True)
class ScanStarted(Event):
    total: int
    roots: list = field(default_factory=list)

    def __str__(self) -> str:
        return f"Scanning {self.total} photo(s) in {', '.join(self.roots)}"


@dataclass(frozen=True)
class PhotoScored(Event):
    index: int  # 1-based
    total: int
    path: str
    score: float        # blur: edge width in px at analysis size; ~1-2 crisp (core.triage.score)
    blurred: bool       # score >= the threshold in force
    width: int          # the photo's stored size
    height: int
    source: str         # what was decoded: "jpeg 1/4", "raw preview", "full"...
    taken: float | None = None     # EXIF capture time, epoch seconds
    phash: str | None = None       # perceptual hash (hex), for bursts
    blur_px: float | None = None   # shake kernel's path length, full-res px (--kernel)
    seconds: float = 0.0

    def __str__(self) -> str:
        px = f", blur ~{self.blur_px:.0f} px" if self.blur_px is not None else ""
        return f"[{self.index}/{self.total}] {self.path}: blur score {self.score:.2f}{px}"


@dataclass(frozen=True)
class BurstFound(Event):
    """Near-identical consecutive shots; `sharpest` is the one to keep."""
    paths: list
    sharpest: str

    def __str__(self) -> str:
        return f"burst of {len(self.paths)}: keep {self.sharpest}"


@dataclass(frozen=True)
class ScanFinished(Event):
    scored: int
    blurred: int
    failed: int
    seconds: float
    cpu_seconds: float
    threshold: float

    def __str__(self) -> str:
        return (f"Scanned {self.scored} photo(s) in {self.seconds:.1f} s: {self.blurred} blurred "
                f"(score >= {self.threshold:g}), {self.failed} failed")
