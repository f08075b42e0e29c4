"""16-bit PNG and TIFF, which Pillow reads as 8-bit (and cannot write with EXIF):

- PNG is decoded twice by Pillow's own C decoder (high bytes, then low bytes) and written
  by the small encoder here (`encode_png16`);
- TIFF goes through tifffile both ways; its EXIF (capture time, exposure, GPS) is appended
  after tifffile's write, which writes none of its own.

Pixels in and out are the file's own integers: (colour HxW or HxWx3, alpha HxW or None,
bit depth, grey), as core.data.imageio's reader takes them.
"""
from __future__ import annotations

import logging
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, TiffImagePlugin

from core.data.exif import EXIF_ERRORS

log = logging.getLogger(__name__)


# ---- reading ---------------------------------------------------------------------------
def tiff_bits(im: Image.Image) -> int:
    bits = getattr(im, "tag_v2", {}).get(258, 8)
    return int(bits[0] if isinstance(bits, tuple) else bits)


def read_png16(im: Image.Image, path: Path):
    # Pillow's C decoder unfilters the rows, then its ";16B" unpacker keeps each
    # sample's high byte and ";16L" (reading big-endian data as little) the low byte.
    im.load()
    hi = np.asarray(im).astype(np.uint16)
    with Image.open(path) as lo_im:
        lo_im.tile = [t._replace(args=str(t.args).replace(";16B", ";16L")) for t in lo_im.tile]
        lo_im.load()
        lo = np.asarray(lo_im).astype(np.uint16)
    a = (hi << 8) | lo
    if a.ndim == 3 and a.shape[2] == 4:
        return a[..., :3], a[..., 3].copy(), 16, False
    if a.ndim == 3 and a.shape[2] == 2:
        return a[..., 0], a[..., 1].copy(), 16, True
    return a, None, 16, a.ndim == 2


def read_tiff16(path: Path):
    import tifffile  # late (here and below): ~0.1 s, and only 16-bit TIFFs need it

    a = tifffile.imread(path)
    if a.ndim == 3 and a.shape[0] in (3, 4) and a.shape[2] not in (3, 4):
        a = np.moveaxis(a, 0, 2)  # planar storage
    if a.dtype != np.uint16:
        raise ValueError(f"unsupported TIFF sample type {a.dtype}")
    if a.ndim == 2:
        return a, None, 16, True
    if a.shape[2] == 4:
        return a[..., :3], a[..., 3].copy(), 16, False
    return a[..., :3], None, 16, False


# ---- writing ---------------------------------------------------------------------------
def write_tiff16(tmp: Path, pix: np.ndarray, icc: bytes | None, exif: bytes | None = None) -> None:
    import tifffile

    photometric = "minisblack" if pix.ndim == 2 or pix.shape[2] == 2 else "rgb"
    extra = [(34675, 7, len(icc), icc, True)] if icc else []
    ifd0, subs = _exif_parts(exif)
    extra += [(tag, "s", 0, value, True) for tag, value in ifd0.items()]
    # tifffile refuses to write the Exif/GPS pointer tags, so it writes each under the
    # number just below (no registered tag, same sort order) and the patch renames it
    extra += [(tag - 1, "I", 1, 0, True) for tag in subs]
    extrasamples = (2,) if pix.ndim == 3 and pix.shape[2] in (2, 4) else None  # unassociated alpha
    tifffile.imwrite(tmp, pix, photometric=photometric, compression="zlib", extratags=extra,
                     extrasamples=extrasamples, byteorder="<")
    if subs:
        _append_sub_ifds(tmp, subs)


# EXIF text tags of the main directory that tifffile writes itself (camera, time, author)
_TIFF_TEXT_TAGS = (0x010F, 0x0110, 0x0132, 0x013B, 0x8298)  # not 270/305: tifffile writes its own


def _exif_parts(exif: bytes | None) -> tuple[dict, dict]:
    """EXIF bytes as (IFD0 text tags, {pointer tag: sub-IFD dict}) for the 16-bit TIFF
    writer: tifffile writes no EXIF of its own, so the Exif and GPS directories
    (capture time, exposure, GPS) are appended after it by `_append_sub_ifds`."""
    if not exif:
        return {}, {}
    try:
        e = Image.Exif()
        e.load(exif)
        ifd0 = {t: e[t] for t in _TIFF_TEXT_TAGS if isinstance(e.get(t), str) and e[t]}
        subs = {t: dict(e.get_ifd(t)) for t in (0x8769, 0x8825) if e.get_ifd(t)}
        return ifd0, subs
    except EXIF_ERRORS as e:  # EXIF is a courtesy: a broken block must not stop the write
        log.info("EXIF not carried to the 16-bit TIFF, unreadable (%s: %s)", type(e).__name__, e)
        return {}, {}


def _append_sub_ifds(tmp: Path, subs: dict) -> None:
    import tifffile

    with tifffile.TiffFile(tmp) as tf:
        where = {t: tf.pages[0].tags[t - 1].valueoffset for t in subs}
    with open(tmp, "r+b") as f:
        for tag, tags in subs.items():
            f.seek(0, 2)
            at = f.tell() + (f.tell() & 1)  # IFDs start on a word boundary
            ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
            for k, v in tags.items():
                ifd[k] = v
            f.write(b"\x00" * (at - f.tell()) + ifd.tobytes(at))
            f.seek(where[tag] - 8)  # the 12-byte entry: tag, type, count, value
            f.write(struct.pack("<HHII", tag, 4, 1, at))


def encode_png16(pix: np.ndarray, icc: bytes | None = None, exif: bytes | None = None) -> bytes:
    """A 16-bit PNG (grey, grey+alpha, RGB or RGBA) with optional iCCP and eXIf chunks."""
    if pix.dtype != np.uint16:
        raise ValueError("encode_png16 needs uint16 pixels")
    h, w = pix.shape[:2]
    channels = 1 if pix.ndim == 2 else pix.shape[2]
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = pix.astype(">u2").reshape(h, w * channels).view(np.uint8)
    # filter "Up" (2) on every row: one vectorised subtraction, compresses photos well
    up = rows.copy()
    up[1:] -= rows[:-1]
    raw = np.concatenate([np.full((h, 1), 2, np.uint8), up], axis=1)
    out = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))]
    if icc:
        out.append(chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if exif:
        out.append(chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    out.append(chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)))
    out.append(chunk(b"IEND", b""))
    return b"".join(out)
