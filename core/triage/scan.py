"""Score every photo below some folders: a generator of events (core.events)
so the CLI, the app and tests each show it their way. A file that cannot be read is
reported (FileFailed) and the scan goes on."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

from core.data.imageio import ImageReadError, is_image_path, read_rgb
from core.events import BurstFound, Event, FileFailed, PhotoScored, ScanFinished, ScanStarted
from core.shake import ShakeReducer
from core.triage.bursts import Shot, group_bursts, perceptual_hash
from core.triage.decode import decode
from core.triage.score import THRESHOLD, measure


def find_photos(roots: Iterable[str | Path]) -> list[Path]:
    """Image files below each root (recursive, hidden files and folders skipped), in
    name order; a root that is a file is taken as given."""
    found: list[Path] = []
    for root in roots:
        root = Path(root).expanduser()
        if root.is_dir():
            found += sorted(f for f in root.rglob("*") if f.is_file() and is_image_path(f)
                            and not any(part.startswith(".") for part in f.relative_to(root).parts))
        else:
            found.append(root)
    return found


def scan(roots: Iterable[str | Path], threshold: float = THRESHOLD, bursts: bool = False,
         kernel: bool = False, cancel: Callable[[], bool] | None = None) -> Iterator[Event]:
    """ScanStarted, then PhotoScored or FileFailed per photo, BurstFound per burst when
    asked, then ScanFinished. `kernel` adds the shake engine's blur length (slow:
    ~1-2 s a photo) for the photos that read as blurred."""
    roots = [str(r) for r in roots]
    paths = find_photos(roots)
    t0, c0 = time.perf_counter(), time.process_time()
    yield ScanStarted(total=len(paths), roots=roots)
    shots: list[Shot] = []
    blurred = failed = 0
    for i, path in enumerate(paths, 1):
        if cancel is not None and cancel():
            break
        t = time.perf_counter()
        try:
            d = decode(path)
            m = measure(d.grey)
            phash = _hash(d.grey)
            is_blurred = m.score >= threshold
            blur_px = _kernel_extent(path) if kernel and is_blurred else None
        except (ImageReadError, OSError, ValueError, MemoryError) as e:
            failed += 1
            yield FileFailed(index=i, total=len(paths), path=str(path), reason=_reason(e, path))
            continue
        blurred += is_blurred
        shots.append(Shot(str(path), m.score, d.taken, phash))
        yield PhotoScored(index=i, total=len(paths), path=str(path), score=round(m.score, 3),
                          blurred=is_blurred, width=d.full_size[0], height=d.full_size[1],
                          source=d.source, taken=d.taken, phash=phash, blur_px=blur_px,
                          seconds=time.perf_counter() - t)
    if bursts:
        for group, best in group_bursts(shots):
            yield BurstFound(paths=[s.path for s in group], sharpest=best.path)
    yield ScanFinished(scored=len(shots), blurred=blurred, failed=failed, seconds=time.perf_counter() - t0,
                       cpu_seconds=time.process_time() - c0, threshold=threshold)


def _hash(grey) -> str | None:
    try:
        return perceptual_hash(grey)
    except ImportError:  # imagehash missing: no bursts, scores still come
        return None


def _kernel_extent(path: Path) -> float:
    return float(ShakeReducer().estimate(read_rgb(path)).extent_px)


def _reason(e: Exception, path: Path) -> str:
    if isinstance(e, ImageReadError):
        return e.problem
    return f"{e.__class__.__name__}: {e}"
