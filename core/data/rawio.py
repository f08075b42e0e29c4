"""Camera RAW reading (DNG, CR2/CR3, NEF, ARW, RAF...) through rawpy/LibRaw.

The sensor data is demosaiced to 16-bit *linear* sRGB-primaries RGB with the camera's
white balance and no automatic brightening, so nothing is clipped or guessed; the
sRGB transfer curve is then applied in float so the rest of the pipeline (models,
shake reduction, writers) sees display-referred values as from any photo, at 16-bit
precision. Results are written as 16-bit TIFF (`ImageInfo.format` "TIFF").

EXIF (capture time, camera, GPS) is taken from the RAW's own TIFF structure where
Pillow can read it (DNG, NEF, CR2, ARW and most others are TIFF-based); orientation
is applied by LibRaw, so the carried EXIF says 1.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image

from core.data.exif import EXIF_ERRORS, set_orientation
from core.data.image_formats import ImageInfo, ImageReadError

log = logging.getLogger(__name__)


def _rawpy(path: Path):
    try:
        import rawpy  # late: optional, and only when a RAW file comes
    except ImportError:
        raise ImageReadError(path, "camera RAW images need the rawpy package: pip install rawpy") from None
    return rawpy


def open_raw(path: Path):
    """rawpy's handle on a RAW file (a context manager); errors name the file."""
    rawpy = _rawpy(path)
    if not path.exists():
        raise ImageReadError(path, "file not found")
    try:
        return rawpy.imread(str(path))
    except (rawpy.LibRawError, OSError, ValueError) as e:
        raise ImageReadError(path, f"not a readable RAW image ({e.__class__.__name__}: {e})") from None


def raw_size(path: Path) -> tuple[int, int]:
    """(width, height) as LibRaw will output it, flip applied."""
    with open_raw(path) as raw:
        s = raw.sizes
        return (s.height, s.width) if s.flip in (5, 6) else (s.width, s.height)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 transfer curve, float32 in and out."""
    x = np.clip(linear, 0.0, 1.0).astype(np.float32)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)


def read_raw(path: Path) -> tuple[np.ndarray, ImageInfo]:
    rawpy = _rawpy(path)
    with open_raw(path) as raw:
        try:
            lin16 = raw.postprocess(output_bps=16, gamma=(1, 1), no_auto_bright=True, use_camera_wb=True,
                                    output_color=rawpy.ColorSpace.sRGB)
        except (rawpy.LibRawError, ValueError, MemoryError) as e:
            raise ImageReadError(path, f"cannot decode the RAW data ({e.__class__.__name__}: {e})") from None
    rgb = srgb_encode(lin16.astype(np.float32) * np.float32(1 / 65535))
    h, w = rgb.shape[:2]
    info = ImageInfo(path=str(path), format="TIFF", mode="RAW", bit_depth=16, grey=False,
                     exif=raw_exif(path), icc=None, width=w, height=h)
    return rgb, info


def raw_exif(path: Path) -> bytes | None:
    """The RAW's EXIF as bytes for the writers (orientation 1), or None. TIFF-based RAWs
    (DNG, NEF, CR2, ARW, ...) are themselves a TIFF structure, which Pillow's EXIF
    parser reads from the file's bytes even where Pillow cannot open the image; CR3
    and RAF are not, and carry none here."""
    try:
        data = path.read_bytes()
        if data[:2] not in (b"II", b"MM"):
            return None
        exif = Image.Exif()
        exif.load(b"Exif\x00\x00" + data)
        exif.get_ifd(0x8769)  # load the Exif and GPS sub-IFDs so tobytes() carries them
        exif.get_ifd(0x8825)
        for tag in list(exif):
            if tag not in KEEP_IFD0:
                del exif[tag]  # the raw layout (strips, CFA, DNG colour tags) describes the RAW only
        return set_orientation(exif.tobytes(), 1) if len(exif) else None
    except EXIF_ERRORS as e:  # EXIF is a courtesy: an unreadable block must not lose the photo
        log.info("%s: EXIF not carried, unreadable (%s: %s)", path, type(e).__name__, e)
        return None


# IFD0 tags worth carrying to a result: camera, time, author, and the Exif/GPS pointers
KEEP_IFD0 = {0x010E, 0x010F, 0x0110, 0x0112, 0x0131, 0x0132, 0x013B, 0x8298, 0x8769, 0x8825}
