"""Events a folder scan yields (see core/events.py for why events): the CLI prints a
progress bar from them and a table at the end; the app can fill its queue as they come.
A file that fails is core.events.FileFailed, as in batch deblurring."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.events import Event


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
