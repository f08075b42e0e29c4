"""Small typed events that long jobs yield; front ends decide how to show them.

The CLI prints `str(event)` (the report's log format for training), the app turns
each event into a Qt signal, tests iterate and inspect them. Every event is a plain
frozen dataclass so it can cross threads and be written to metrics.jsonl as JSON.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


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
    eta_s: float | None  # whole batch, from the pixel rate so far; None until known

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
