"""EXIF as the reader and writers need it: the orientation a photo is shown in, turning
pixels upright, and the raw EXIF bytes carried to a result with the orientation set to 1
(the result's pixels are already upright). Everything else in the block is kept byte for
byte. EXIF is a courtesy: a broken block costs the block (logged), never the photo.
"""
from __future__ import annotations

import logging
import struct

import numpy as np
from PIL import Image

ORIENTATION = 0x0112
# What Pillow's EXIF parser raises on a broken or truncated block
EXIF_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error)

log = logging.getLogger(__name__)


def orientation(im: Image.Image) -> int:
    """The EXIF orientation (1-8) of an open image; 1 when it has none or it is unreadable."""
    try:
        o = int(im.getexif().get(ORIENTATION, 1))
    except EXIF_ERRORS as e:
        log.info("%s: EXIF unreadable, shown as stored (%s: %s)", getattr(im, "filename", "image"),
                 type(e).__name__, e)
        return 1
    return o if 1 <= o <= 8 else 1


def orientation_and_exif(im: Image.Image) -> tuple[int, bytes | None]:
    """(orientation, the raw EXIF bytes with orientation set to 1 or None) of an open image."""
    raw = im.info.get("exif")
    return orientation(im), (set_orientation(raw, 1) if isinstance(raw, bytes) and raw else None)


def set_orientation(exif: bytes, value: int) -> bytes:
    """Rewrite the orientation tag in raw EXIF bytes in place; everything else is kept
    byte for byte (maker notes, GPS...), which re-serialising through Pillow may not do."""
    start = 6 if exif.startswith(b"Exif\x00\x00") else 0
    tiff = exif[start:]
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return exif
    end = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(end + "I", tiff, 4)
        (count,) = struct.unpack_from(end + "H", tiff, ifd)
        for k in range(count):
            at = ifd + 2 + 12 * k
            tag, typ = struct.unpack_from(end + "HH", tiff, at)
            if tag == ORIENTATION and typ == 3:
                out = bytearray(exif)
                struct.pack_into(end + "H", out, start + at + 8, value)
                return bytes(out)
    except struct.error:
        pass  # a truncated directory: the bytes go out as they came
    return exif


def orient(a: np.ndarray, o: int) -> np.ndarray:
    """Apply an EXIF orientation to an HxW[xC] array (same mapping as ImageOps.exif_transpose)."""
    if o == 2:
        a = a[:, ::-1]
    elif o == 3:
        a = a[::-1, ::-1]
    elif o == 4:
        a = a[::-1]
    elif o == 5:
        a = a.swapaxes(0, 1)
    elif o == 6:
        a = np.rot90(a, -1)
    elif o == 7:
        a = a.swapaxes(0, 1)[::-1, ::-1]
    elif o == 8:
        a = np.rot90(a, 1)
    return np.ascontiguousarray(a)
