"""The Deblur tab's work off the GUI thread: expand drops into queue items, run the
batch through core's `deblur_jobs` with the chosen engine (core.engines: learned model,
shake reduction or auto), deblur a crop for a preview, load comparisons.

Nothing here touches a widget; the tab runs these with `workers.start_job/start_call`.
`QueueItem` (one file of the queue) and `OutputOptions` (where and how results are
written) are the data the tab, its queue table and these jobs share.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.data.imageio import ImageReadError, image_size, is_image_path, read_image, read_rgb, to_uint8
from core.events import BatchFinished, KernelEstimated, Message

OUTPUT_TAG = "_deblurred"  # default output folder: a sibling "<name>_deblurred"
MAX_CROP = 768  # "try on a crop" deblurs at most this many px per side: a quick preview


@dataclass
class QueueItem:
    path: Path  # absolute
    root: Path  # the dropped folder (or a dropped file's folder): outputs mirror paths below it
    rel: Path  # path relative to root
    bytes: int = 0
    width: int = 0
    height: int = 0
    status: str = "queued"  # queued | running | done | skipped | failed
    reason: str = ""  # why skipped / failed; header problems of a queued file
    out_path: str = ""
    usable: bool = True  # False: skipped when added (not an image...), never run
    kernel: Any = None  # core.events.KernelEstimated of its latest shake/auto run (the kernel inset)
    ticked: bool = True  # deblur it (the queue's tick box)
    score: float | None = None  # blur score (core.triage), None until scored
    blur_px: float | None = None  # the blur's length in full-size px, where core estimated it
    score_error: str = ""  # why it could not be scored
    score_stopped: bool = False  # scoring was stopped before it
    burst: str = ""  # key of the sharpest shot of its burst; "" when in none
    burst_size: int = 0

    @property
    def key(self) -> str:
        return str(self.path)

    @property
    def sharpest(self) -> bool:
        """The sharpest shot of its burst."""
        return self.burst == self.key

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass
class OutputOptions:
    folder: str = ""  # "" = next to each source: <name>_deblurred
    keep_structure: bool = True
    suffix: str = ""
    format: str | None = None  # None = as the input; "png" | "jpeg" | "tiff"
    quality: int = 95
    bit_depth: int | None = None  # 16 for "TIFF 16-bit"
    keep_metadata: bool = True
    existing: str = "skip"  # "skip" | "overwrite"
    tile: int | None = None  # None = auto from free memory; 0 = whole image
    ensemble: int = 1  # views averaged per tile (core.inference.deblur.ENSEMBLES)


def default_output_root(root: Path) -> Path:
    return root.with_name(root.name + OUTPUT_TAG) if root.name else root / OUTPUT_TAG.strip("_")


def output_root(item: QueueItem, opts: OutputOptions) -> Path:
    return Path(opts.folder).expanduser() if opts.folder else default_output_root(item.root)


def output_folder(item: QueueItem, opts: OutputOptions) -> Path:
    base = output_root(item, opts)
    return base / item.rel.parent if opts.keep_structure else base


def result_path(item: QueueItem, opts: OutputOptions) -> Path:
    """Where a batch with `opts` writes `item`'s result, so where an earlier run's result
    is: BatchRun hands core each file on its own, so core names it from the file name."""
    from core.inference.batch import output_path  # no torch: batch imports it lazily

    return output_path(output_folder(item, opts), Path(item.path.name), opts.suffix, opts.format)


# ---- expanding drops -----------------------------------------------------------------
def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def expand_paths(paths: list[str], known: set[str] | frozenset = frozenset()) -> list[QueueItem]:
    """Queue items for dropped files and folders (folders recursively), in order.
    Non-images become skipped items with the reason; paths in `known` are left out."""
    items: list[QueueItem] = []
    seen = set(known)
    for raw in paths:
        p = Path(os.path.abspath(os.path.expanduser(raw)))
        if p.is_dir():
            root = p
            files = sorted(f for f in p.rglob("*") if f.is_file() and not _hidden(f.relative_to(p)))
        else:
            root, files = p.parent, [p]
        for f in files:
            if str(f) in seen:
                continue
            seen.add(str(f))
            rel = f.relative_to(root)
            item = QueueItem(f, root, rel)
            try:
                item.bytes = f.stat().st_size
            except OSError:
                item.status, item.reason, item.usable = "skipped", "file not found", False
                items.append(item)
                continue
            if not is_image_path(f):
                item.status, item.usable = "skipped", False
                item.reason = f"not a supported image type ({f.suffix or 'no extension'})"
            elif any(part.endswith(OUTPUT_TAG) for part in rel.parts[:-1]):
                item.status, item.usable = "skipped", False
                item.reason = f"in an output folder (*{OUTPUT_TAG}) of an earlier run"
            else:
                try:
                    item.width, item.height = image_size(f)
                except ImageReadError as e:
                    item.reason = e.problem  # stays queued: the batch reports it as failed
            items.append(item)
    return items


# ---- models --------------------------------------------------------------------------
_cache: dict[tuple[str, str], object] = {}
_cache_lock = threading.Lock()


def get_deblurrer(model: str | Path | None, device: str, ensemble: int = 1, engine: str = "learned",
                  shake=None):
    """The engine for a batch or crop (core.engines). Only the learned model is worth
    keeping (only the latest one: it may hold GPU memory), and auto's fallback is that
    same cached model, loaded when a photo first needs it; shake reduction holds no
    weights, so each call gets a fresh one with its own per-photo report (`.last`), and
    a preview beside a batch cannot swap the batch's kernel. `shake`:
    core.shake.ShakeOptions (None: automatic)."""
    from core.engines import make_engine

    def learned():
        key = (str(model), device)
        with _cache_lock:
            if key not in _cache:
                _cache.clear()
                # late import inside make_engine: torch start-up stays off the GUI thread
                _cache[key] = make_engine("learned", model, device)
            return _cache[key]

    d = learned() if engine == "learned" else make_engine(engine, model, device, shake=shake, learned=learned)
    return d.with_ensemble(ensemble)  # shake and auto: ValueError unless 1


def model_info(path: str | Path) -> str:
    """'seed · 8.13 M parameters · 31.0 MB file' for the model picker."""
    from core.model_files import load_model

    g, cfg = load_model(path)
    params = sum(p.numel() for p in g.parameters())
    return f"{cfg.model.name} · {params / 1e6:.2f} M parameters · {Path(path).stat().st_size / 1e6:.1f} MB file"


# ---- the batch -----------------------------------------------------------------------
class BatchRun:
    """Deblur `items` with core's `deblur_jobs`: one batch over all their output folders
    (one per source folder when the structure is kept), so its counts and ETA cover the
    whole Start. A stop (the tab's Cancel) ends it between tiles; nothing half-written
    stays behind (core writes atomically)."""

    def __init__(self, items: list[QueueItem], model: str | Path | None, device: str, opts: OutputOptions,
                 engine: str = "learned", shake=None):
        self.items, self.model, self.device, self.opts = list(items), model, device, opts
        self.engine, self.shake = engine, shake  # shake: core.shake.ShakeOptions or None
        self._stop = threading.Event()

    def request_stop(self) -> None:
        self._stop.set()

    def __iter__(self):
        from core.inference.batch import deblur_jobs

        t0 = time.perf_counter()
        d = get_deblurrer(self.model, self.device, self.opts.ensemble, self.engine, self.shake)
        yield Message("info", f"Deblurring {len(self.items)} photo(s) with {d.describe()}")
        groups: dict[Path, list[str]] = {}
        for it in self.items:
            groups.setdefault(output_folder(it, self.opts), []).append(it.key)
        o = self.opts
        fin = None
        for ev in deblur_jobs([(srcs, folder) for folder, srcs in groups.items()], d, suffix=o.suffix,
                              existing=o.existing, format=o.format, quality=o.quality, tile=o.tile,
                              cancel=self._stop.is_set, keep_metadata=o.keep_metadata, bit_depth=o.bit_depth):
            if isinstance(ev, BatchFinished):
                fin = ev
            elif not isinstance(ev, Message):
                yield ev
        roots = sorted({str(output_root(it, o)) for it in self.items})
        # the time from Start (the model's loading included); the results' root when there is one
        fin = replace(fin, cancelled=fin.cancelled or self._stop.is_set(), seconds=time.perf_counter() - t0,
                      out_dir=roots[0] if len(roots) == 1 else "")
        yield fin
        return fin


# ---- previews ------------------------------------------------------------------------
def load_compare(src: str, out: str | None, earlier: str | None = None) -> dict:
    """Original and (when there is one) result as uint8, for the compare view. `earlier`:
    where an earlier run would have left a result, shown when `out` is not there (a
    re-added folder whose results exist: the batch skips them, the view still compares)."""
    original = to_uint8(read_rgb(Path(src)))
    result, result_path_, from_earlier, written = None, None, False, None
    if out and Path(out).is_file():
        result_path_ = out
    elif earlier and Path(earlier).is_file():
        result_path_, from_earlier = earlier, True
        written = time.strftime("%Y-%m-%d %H:%M", time.localtime(Path(earlier).stat().st_mtime))
    if result_path_:
        try:
            result = to_uint8(read_rgb(Path(result_path_)))
        except ImageReadError:
            if not from_earlier:
                raise
            result_path_, from_earlier = None, False  # a broken old file: show the original alone
    return {"src": src, "original": original, "result": result, "result_path": result_path_,
            "earlier": from_earlier, "written": written}


def crop_box(rect: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) inside the image and at most MAX_CROP per side, about the same centre."""
    x, y, w, h = rect
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    w, h = min(x1 - x0, MAX_CROP), min(y1 - y0, MAX_CROP)
    x0 = min(max(0, cx - w // 2), width - w)
    y0 = min(max(0, cy - h // 2), height - h)
    return x0, y0, max(w, 1), max(h, 1)


def try_crop(src: str, rect: tuple[int, int, int, int], model: str | Path | None, device: str,
             cancel=None, ensemble: int = 1, engine: str = "learned") -> dict:
    """Deblur only the visible part of a photo: the original, and the original with the
    deblurred crop pasted in (same size, so the view keeps its zoom and position).
    Shake reduction estimates its kernel from the crop itself ("kernel": the finding)."""
    rgb, _ = read_image(src)
    h, w = rgb.shape[:2]
    x, y, cw, ch = crop_box(rect, w, h)
    d = get_deblurrer(model, device, ensemble, engine)
    m = d.context  # the network sees past the crop's edges, as it would in the full run
    ya, xa = max(0, y - m), max(0, x - m)
    region = rgb[ya:min(h, y + ch + m), xa:min(w, x + cw + m)]
    t0 = time.perf_counter()
    sharp = d.deblur(region, cancel=cancel)
    pasted = rgb.copy()
    pasted[y:y + ch, x:x + cw] = sharp[y - ya:y - ya + ch, x - xa:x - xa + cw]
    r = getattr(d, "last", None)
    kernel = KernelEstimated(1, 1, src, r.kernel, r.confidence, r.extent_px, r.path) if r is not None else None
    return {"src": src, "original": to_uint8(rgb), "result": to_uint8(pasted), "box": (x, y, cw, ch),
            "seconds": time.perf_counter() - t0, "kernel": kernel}
