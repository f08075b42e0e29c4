"""Fast, reduced-size grey decoding for triage: only as many pixels as the score needs.

JPEG decodes at 1/2, 1/4 or 1/8 size in libjpeg itself (Pillow's draft mode), which
is most of the speed; a RAW's embedded JPEG preview and a HEIC's stored thumbnail
stand in for the photo when they are big enough to measure at the analysis size.
Everything else is decoded whole and reduced. EXIF orientation is not applied: the
score looks along rows and columns alike, and a burst's shots share one orientation.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image

from core.data.exif import EXIF_ERRORS
from core.data.image_formats import HEIF_SUFFIXES, RAW_SUFFIXES, ImageReadError
from core.data.imageio import open_image
from core.data.rawio import open_raw, raw_exif
from core.triage.score import ANALYSIS_SIDE


@dataclass
class Decoded:
    grey: np.ndarray          # float32 HxW in [0, 1], long side <= ANALYSIS_SIDE
    full_size: tuple[int, int]  # (width, height) of the photo itself, as stored
    taken: float | None       # capture time from EXIF, seconds since the epoch (local)
    source: str               # "jpeg 1/4", "raw preview", "heif thumbnail", "full"


def decode(path: Path) -> Decoded:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        return _raw(path)
    im = open_image(path)
    try:
        with im:
            full = im.size
            taken = capture_time(im)
            if suffix in HEIF_SUFFIXES:
                thumb = _heif_thumbnail(im, full)
                if thumb is not None:
                    return Decoded(_grey(thumb), full, taken, "heif thumbnail")
            source = "full"
            if im.format == "JPEG":
                _draft(im, full)
                source = f"jpeg 1/{max(1, round(full[0] / im.size[0]))}"
            return Decoded(_grey(im), full, taken, source)
    except ImageReadError:
        raise
    except Exception as e:  # a per-file failure, named; the scan goes on
        raise ImageReadError(path, f"not a readable image, corrupt or truncated? "
                                   f"({e.__class__.__name__}: {e})") from None


def _target(full: tuple[int, int]) -> tuple[int, int]:
    """The analysis size: the photo scaled to ANALYSIS_SIDE on its long side, never up."""
    w, h = full
    f = min(1.0, ANALYSIS_SIDE / max(w, h))
    return max(1, round(w * f)), max(1, round(h * f))


def _draft(im: Image.Image, full: tuple[int, int]) -> None:
    # draft picks the largest libjpeg reduction that stays at least this size
    im.draft("L", _target(full))


def _grey(im: Image.Image) -> np.ndarray:
    g = im.convert("L") if im.mode not in ("L", "I;16", "I") else im
    if g.mode != "L":
        g = Image.fromarray((np.asarray(g, np.float32) / 257).astype(np.uint8))
    tw, th = _target(g.size)
    if (tw, th) != g.size:
        g = g.resize((tw, th), Image.BOX, reducing_gap=2.0)
    return np.asarray(g, np.float32) * np.float32(1 / 255)


def _heif_thumbnail(im: Image.Image, full: tuple[int, int]) -> Image.Image | None:
    """The largest stored thumbnail if it holds the analysis size, else None."""
    want = max(_target(full))
    best = None
    for t in im.info.get("thumbnails") or []:
        size = getattr(t, "size", None)
        if size and max(size) >= want and (best is None or max(size) > max(best.size)):
            best = t
    if best is None:
        return None
    try:
        return Image.frombytes(best.mode, best.size, bytes(best.data), "raw", best.mode, best.stride)
    except (ValueError, TypeError, OSError, AttributeError):
        return None  # an odd thumbnail: decode the photo itself


def _raw(path: Path) -> Decoded:
    with open_raw(path) as raw:
        s = raw.sizes
        full = (s.width, s.height)
        try:
            thumb = raw.extract_thumb()
        except (_libraw_error(), ValueError, OSError):  # no preview, or one LibRaw cannot hand out
            thumb = None
        if thumb is not None and thumb.format.name == "JPEG":
            with Image.open(io.BytesIO(thumb.data)) as im:
                if max(im.size) >= max(_target(full)) * 0.9:
                    taken = capture_time(im)
                    _draft(im, im.size if max(im.size) < max(full) else full)
                    return Decoded(_grey(im), full, taken, "raw preview")
        # no usable preview: demosaic at half size (2x2 binning, fast)
        rgb = raw.postprocess(half_size=True, output_bps=8, use_camera_wb=True)
    return Decoded(_grey(Image.fromarray(rgb)), full, _time_from_exif_bytes(raw_exif(path)), "raw half size")


def _time_from_exif_bytes(exif: bytes | None) -> float | None:
    if not exif:
        return None
    e = Image.Exif()
    try:
        e.load(exif)
        return _exif_time(e)
    except EXIF_ERRORS:  # no capture time: the photo still scores, it joins no burst by time
        return None


def capture_time(im: Image.Image) -> float | None:
    try:
        return _exif_time(im.getexif())
    except EXIF_ERRORS:
        return None


def _libraw_error() -> type[Exception]:
    import rawpy  # only ever called with a RAW open, so rawpy is there

    return rawpy.LibRawError


def _exif_time(exif: Image.Exif) -> float | None:
    """DateTimeOriginal (+ SubSecTimeOriginal), else DateTime; naive local time."""
    sub = exif.get_ifd(0x8769)
    stamp = sub.get(36867) or exif.get(306)
    if not stamp:
        return None
    try:
        t = datetime.strptime(str(stamp).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S").timestamp()
    except ValueError:
        return None
    frac = str(sub.get(37521) or "").strip("\x00 ")
    if frac.isdigit():
        t += float("0." + frac)
    return t
