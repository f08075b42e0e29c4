"""The one image reader/writer of the project.

Reading applies EXIF orientation and returns float32 RGB arrays in [0, 1] so every
consumer sees pixels the way a photo viewer shows them; `read_image` also returns an
`ImageInfo` (format, bit depth, grey, alpha, EXIF, ICC) that `write_image` uses to
write the result the way the original was: same format and depth, grey kept grey,
alpha passed through untouched, EXIF and ICC profile carried. Errors name the file and
the problem (`ImageReadError` / `ImageWriteError`), never a bare PIL traceback.

HEIC/HEIF (pillow-heif) and AVIF (Pillow's own plugin) read and write like JPEG.
Each optional library is imported only when a file needs it, and a missing one is named.
Beside this module, by what they hold:
- core.data.image_formats: suffixes, formats, `ImageInfo` and the errors (a leaf);
- core.data.exif: orientation and the EXIF bytes carried to results;
- core.data.sixteen_bit: 16-bit PNG and TIFF, which Pillow reads as 8-bit;
- core.data.rawio: camera RAW (rawpy), read here and written back as 16-bit TIFF.
Every name callers used from here before the split still imports from here.
"""
from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError, features

from core.data import rawio
from core.data.exif import orient, orientation, orientation_and_exif
from core.data.image_formats import (FORMAT_SUFFIX, HEIF_SUFFIXES, IMAGE_SUFFIXES, RAW_SUFFIXES,  # noqa: F401 - re-exported
                                     SIXTEEN_BIT_FORMATS, SUFFIX_FORMAT, ImageInfo, ImageReadError,
                                     ImageWriteError, format_for, is_image_path)
from core.data.sixteen_bit import encode_png16, read_png16, read_tiff16, tiff_bits, write_tiff16
from core.fileutil import atomic_save

# Pillow's default bomb guard (~89 MP warns, ~179 MP raises). A 24-MP camera photo is
# far below; keep a sane ceiling that still allows large panoramas, and make the
# warning zone an error too (a clear message beats a silent 2 GB allocation).
Image.MAX_IMAGE_PIXELS = 250_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)


def heif_support(path: Path | None = None) -> None:
    """Register pillow-heif's opener/saver with Pillow, once; a clear error without it."""
    try:
        import pillow_heif  # late: optional, and only when a HEIC/HEIF file comes
    except ImportError:
        raise _missing(path, "HEIC/HEIF", "pillow-heif") from None
    if "HEIF" not in Image.OPEN:
        pillow_heif.register_heif_opener()


def avif_support(path: Path | None = None) -> None:
    if not features.check("avif"):
        raise _missing(path, "AVIF", "Pillow>=11.3 built with AVIF (or pillow-avif-plugin)")


def _missing(path: Path | None, kind: str, package: str) -> ValueError:
    problem = f"{kind} images need the {package} package: pip install '{package}'"
    return ImageReadError(path, problem) if path is not None else ValueError(problem)


def open_image(path: Path) -> Image.Image:
    """Pillow's lazy open (header only) of any format but RAW; errors name the file."""
    if path.suffix.lower() in HEIF_SUFFIXES:
        heif_support(path)
    elif path.suffix.lower() == ".avif":
        avif_support(path)
    try:
        return Image.open(path)
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except IsADirectoryError:
        raise ImageReadError(path, "is a folder, not an image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageReadError(path, f"image too large ({e})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(path, f"not a readable image ({e.__class__.__name__}: {e})") from None


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as displayed (EXIF rotation applied), reading only the header."""
    if Path(path).suffix.lower() in RAW_SUFFIXES:
        return rawio.raw_size(Path(path))
    im = open_image(Path(path))
    with im:
        w, h = im.size
        o = orientation(im)  # a broken EXIF block must not make a readable image unreadable
    return (h, w) if o in (5, 6, 7, 8) else (w, h)


# ---- reading -------------------------------------------------------------------------
def read_rgb(path: Path) -> np.ndarray:
    """Float32 HxWx3 in [0, 1]; grey is replicated, alpha dropped, 16-bit kept precise."""
    return read_image(path)[0]


def read_image(path: str | Path) -> tuple[np.ndarray, ImageInfo]:
    """Float32 HxWx3 RGB in [0, 1], upright, and the metadata to write a result like it."""
    path = Path(path)
    if path.suffix.lower() in RAW_SUFFIXES:
        return rawio.read_raw(path)
    im = open_image(path)
    try:
        with im:
            info = ImageInfo(path=str(path), format=im.format or "PNG", mode=im.mode)
            # pixels first: Pillow's getexif() loads a PNG, which drops the tile list
            # that the 16-bit path reads
            colour, alpha, info.bit_depth, info.grey = _pixels(im, path)
            turn, info.exif = orientation_and_exif(im)
            info.icc = im.info.get("icc_profile") or None
    except ImageReadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageReadError(path, f"image too large ({e})") from None
    except (OSError, SyntaxError, ValueError, struct.error, zlib.error) as e:
        raise ImageReadError(path, f"not a readable image, corrupt or truncated? "
                                   f"({e.__class__.__name__}: {e})") from None
    if info.icc and not _icc_fits(info.icc, info.grey):
        info.icc = None  # e.g. a CMYK profile after conversion to RGB would shift colours
    colour = orient(colour, turn)
    info.alpha = orient(alpha, turn) if alpha is not None else None
    info.height, info.width = colour.shape[:2]
    scale = 65535.0 if colour.dtype == np.uint16 else 255.0
    rgb = colour.astype(np.float32)
    rgb *= np.float32(1.0 / scale)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    return rgb, info


def _icc_fits(icc: bytes, grey: bool) -> bool:
    space = icc[16:20] if len(icc) >= 20 else b""
    return space == (b"GRAY" if grey else b"RGB ")


def _pixels(im: Image.Image, path: Path) -> tuple[np.ndarray, np.ndarray | None, int, bool]:
    """(colour HxW or HxWx3, alpha HxW or None, bit depth, grey) in the file's integers."""
    mode = im.mode
    if im.format == "TIFF" and tiff_bits(im) == 16 and mode not in ("I;16", "I;16B", "I;16L"):
        return read_tiff16(path)
    if im.format == "PNG" and im.tile and im.tile[0].args in ("RGB;16B", "RGBA;16B"):
        # (16-bit grey+alpha has no low-byte unpacker in Pillow: read as 8-bit below)
        return read_png16(im, path)
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im)
        a = np.clip(a, 0, 65535).astype(np.uint16) if a.dtype != np.uint16 else a
        return a, None, 16, True
    if mode == "F":
        a = np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return (a * 65535.0 + 0.5).astype(np.uint16), None, 16, True
    if mode in ("1", "L"):
        return np.asarray(im.convert("L")), None, 8, True
    if mode == "LA" or (mode == "P" and "transparency" in im.info) or mode == "PA":
        if mode != "LA":
            a = np.asarray(im.convert("RGBA"))
            return a[..., :3], a[..., 3].copy(), 8, False
        a = np.asarray(im)
        return a[..., 0], a[..., 1].copy(), 8, True
    if mode in ("RGBA", "RGBa"):
        a = np.asarray(im.convert("RGBA"))
        return a[..., :3], a[..., 3].copy(), 8, False
    return np.asarray(im.convert("RGB")), None, 8, False


# ---- writing -------------------------------------------------------------------------
def write_image(path: str | Path, rgb01: np.ndarray, like: ImageInfo | None = None,
                format: str | None = None, quality: int = 95, bit_depth: int | None = None) -> Path:
    """Write HxWx3 float [0, 1] atomically, as `like` was (format from `format`, else
    the path's suffix): 16-bit where the source was and the format allows, grey kept
    grey, alpha passed through, EXIF and ICC carried."""
    path = Path(path)
    fmt = format_for(path, format)
    if path.suffix.lower() in RAW_SUFFIXES:
        path = path.with_suffix(FORMAT_SUFFIX[fmt])  # never TIFF (or JPEG) bytes under a RAW name
    if fmt == "HEIF":
        heif_support()
    like = like or ImageInfo()
    depth = bit_depth or like.bit_depth
    if fmt not in SIXTEEN_BIT_FORMATS:
        depth = 8
    h, w = rgb01.shape[:2]
    alpha = like.alpha if like.alpha is not None and like.alpha.shape == (h, w) else None
    if fmt in ("JPEG", "BMP"):
        alpha = None  # neither can hold it
    a = np.clip(rgb01, 0.0, 1.0)
    if like.grey:
        a = a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114  # ITU-R 601 luma, as Pillow
    peak = 65535.0 if depth == 16 else 255.0
    pix = (a * peak + 0.5).astype(np.uint16 if depth == 16 else np.uint8)
    if alpha is not None:
        al = _alpha_to(alpha, depth)
        pix = np.dstack([pix, al])
    icc = like.icc if like.icc and _icc_fits(like.icc, like.grey) else None
    try:
        if depth == 16 and fmt == "PNG":
            atomic_save(path, lambda tmp: tmp.write_bytes(encode_png16(pix, icc, like.exif)))
        elif depth == 16 and fmt == "TIFF":
            atomic_save(path, lambda tmp: write_tiff16(tmp, pix, icc, like.exif))
        else:
            im = Image.fromarray(pix)
            kw = _save_options(fmt, quality, icc, like.exif)
            atomic_save(path, lambda tmp: im.save(tmp, format=fmt, **kw))
    except (OSError, ValueError) as e:
        problem = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ImageWriteError(path, f"cannot write ({problem})") from e
    return path


def _alpha_to(alpha: np.ndarray, depth: int) -> np.ndarray:
    if alpha.dtype == (np.uint16 if depth == 16 else np.uint8):
        return alpha  # untouched
    if depth == 16:
        return alpha.astype(np.uint16) * 257
    return ((alpha.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _save_options(fmt: str, quality: int, icc: bytes | None, exif: bytes | None) -> dict:
    kw: dict = {}
    if fmt in ("JPEG", "PNG", "TIFF", "WEBP", "HEIF", "AVIF") and icc:
        kw["icc_profile"] = icc
    if fmt in ("JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF") and exif:
        kw["exif"] = exif
    if fmt == "JPEG":
        # 4:4:4 at high quality: chroma subsampling would undo some of the sharpening
        kw.update(quality=int(quality), subsampling=0 if quality >= 90 else 2, optimize=True)
    elif fmt == "WEBP":
        kw.update(quality=int(quality), method=4)
    elif fmt in ("HEIF", "AVIF"):
        kw["quality"] = int(quality)
    elif fmt == "TIFF":
        kw["compression"] = "tiff_deflate"
    elif fmt == "PNG":
        # zlib level 3 instead of Pillow's 6: a 1280x720 photo is written in 0.09 s instead
        # of 0.32 s (a tenth of shake reduction's whole time) for a 6 % larger file
        kw["compress_level"] = 3
    return kw


def to_uint8(a: np.ndarray) -> np.ndarray:
    return (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
