"""The one image reader/writer of the project.

Reading applies EXIF orientation and returns float32 RGB arrays in [0, 1] so every
consumer sees pixels the way a photo viewer shows them; `read_image` also returns an
`ImageInfo` (format, bit depth, grey, alpha, EXIF, ICC) that `write_image` uses to
write the result the way the original was: same format and depth, grey kept grey,
alpha passed through untouched, EXIF and ICC profile carried. Errors name the file and
the problem (`ImageReadError` / `ImageWriteError`), never a bare PIL traceback.

Pillow reads 16-bit RGB(A) PNG and TIFF as 8-bit, so those go another way: PNG is
decoded twice by Pillow's own C decoder (high bytes, then low bytes) and written by
the small encoder below; 16-bit TIFF goes through tifffile.

HEIC/HEIF (pillow-heif) and AVIF (Pillow's own plugin) read and write like JPEG.
Camera RAW is read by core.data.rawio (rawpy) and written back as 16-bit TIFF. Each
optional library is imported only when a file needs it, and a missing one is named.
"""
from __future__ import annotations

import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from core.fileutil import atomic_save

HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})
# camera RAW: read only (rawpy/LibRaw); results are written as 16-bit TIFF
RAW_SUFFIXES = frozenset({".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".raf", ".orf", ".rw2",
                          ".pef", ".srw", ".3fr", ".iiq", ".rwl"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".avif"}
                           | HEIF_SUFFIXES | RAW_SUFFIXES)
FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp", "BMP": ".bmp",
                 "HEIF": ".heic", "AVIF": ".avif"}
SUFFIX_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                 ".webp": "WEBP", ".bmp": "BMP", ".heic": "HEIF", ".heif": "HEIF", ".hif": "HEIF",
                 ".avif": "AVIF"}
SIXTEEN_BIT_FORMATS = {"PNG", "TIFF"}

# Pillow's default bomb guard (~89 MP warns, ~179 MP raises). A 24-MP camera photo is
# far below; keep a sane ceiling that still allows large panoramas, and make the
# warning zone an error too (a clear message beats a silent 2 GB allocation).
Image.MAX_IMAGE_PIXELS = 250_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)

ORIENTATION = 0x0112


class ImageReadError(ValueError):
    def __init__(self, path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ImageWriteError(OSError):
    def __init__(self, path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class ImageInfo:
    """What `write_image` needs to write a result like its source."""
    path: str = ""
    format: str = "PNG"  # Pillow's name: JPEG, PNG, TIFF, WEBP, BMP, HEIF, AVIF (RAW reads as TIFF)
    mode: str = "RGB"  # the source's Pillow mode, for display
    bit_depth: int = 8  # 8 or 16 per channel
    grey: bool = False
    alpha: np.ndarray | None = None  # HxW, the source's own integers, upright
    exif: bytes | None = None  # orientation set to 1: the pixels are already upright
    icc: bytes | None = None
    width: int = 0  # as displayed
    height: int = 0


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def heif_support(path: Path | None = None) -> None:
    """Register pillow-heif's opener/saver with Pillow, once; a clear error without it."""
    try:
        import pillow_heif
    except ImportError:
        raise _missing(path, "HEIC/HEIF", "pillow-heif") from None
    if "HEIF" not in Image.OPEN:
        pillow_heif.register_heif_opener()


def avif_support(path: Path | None = None) -> None:
    from PIL import features
    if not features.check("avif"):
        raise _missing(path, "AVIF", "Pillow>=11.3 built with AVIF (or pillow-avif-plugin)")


def _missing(path: Path | None, kind: str, package: str) -> ValueError:
    problem = f"{kind} images need the {package} package: pip install '{package}'"
    return ImageReadError(path, problem) if path is not None else ValueError(problem)


def _open(path: Path) -> Image.Image:
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
        from core.data.rawio import raw_size
        return raw_size(Path(path))
    im = _open(Path(path))
    with im:
        w, h = im.size
        try:
            orientation = im.getexif().get(ORIENTATION, 1)
        except Exception:  # a broken EXIF block must not make a readable image unreadable
            orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


# ---- reading -------------------------------------------------------------------------
def read_rgb(path: Path) -> np.ndarray:
    """Float32 HxWx3 in [0, 1]; grey is replicated, alpha dropped, 16-bit kept precise."""
    return read_image(path)[0]


def read_image(path: str | Path) -> tuple[np.ndarray, ImageInfo]:
    """Float32 HxWx3 RGB in [0, 1], upright, and the metadata to write a result like it."""
    path = Path(path)
    if path.suffix.lower() in RAW_SUFFIXES:
        from core.data.rawio import read_raw
        return read_raw(path)
    im = _open(path)
    try:
        with im:
            info = ImageInfo(path=str(path), format=im.format or "PNG", mode=im.mode)
            # pixels first: Pillow's getexif() loads a PNG, which drops the tile list
            # that the 16-bit path reads
            colour, alpha, info.bit_depth, info.grey = _pixels(im, path)
            orientation, info.exif = _exif(im)
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
    colour = _orient(colour, orientation)
    info.alpha = _orient(alpha, orientation) if alpha is not None else None
    info.height, info.width = colour.shape[:2]
    scale = 65535.0 if colour.dtype == np.uint16 else 255.0
    rgb = colour.astype(np.float32)
    rgb *= np.float32(1.0 / scale)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[..., None], 3, axis=2)
    return rgb, info


def _exif(im: Image.Image) -> tuple[int, bytes | None]:
    raw = im.info.get("exif")
    try:
        orientation = int(im.getexif().get(ORIENTATION, 1))
    except Exception:
        orientation = 1
    if isinstance(raw, bytes) and raw:
        raw = _set_orientation(raw, 1)
    else:
        raw = None
    return (orientation if 1 <= orientation <= 8 else 1), raw


def _set_orientation(exif: bytes, value: int) -> bytes:
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
        pass
    return exif


def _icc_fits(icc: bytes, grey: bool) -> bool:
    space = icc[16:20] if len(icc) >= 20 else b""
    return space == (b"GRAY" if grey else b"RGB ")


def _pixels(im: Image.Image, path: Path) -> tuple[np.ndarray, np.ndarray | None, int, bool]:
    """(colour HxW or HxWx3, alpha HxW or None, bit depth, grey) in the file's integers."""
    mode = im.mode
    if im.format == "TIFF" and _tiff_bits(im) == 16 and mode not in ("I;16", "I;16B", "I;16L"):
        return _tiff16(path)
    if im.format == "PNG" and im.tile and im.tile[0].args in ("RGB;16B", "RGBA;16B"):
        # (16-bit grey+alpha has no low-byte unpacker in Pillow: read as 8-bit below)
        return _png16(im, path)
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


def _tiff_bits(im: Image.Image) -> int:
    bits = getattr(im, "tag_v2", {}).get(258, 8)
    return int(bits[0] if isinstance(bits, tuple) else bits)


def _png16(im: Image.Image, path: Path):
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


def _tiff16(path: Path):
    import tifffile

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


def _orient(a: np.ndarray, o: int) -> np.ndarray:
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


# ---- writing -------------------------------------------------------------------------
def format_for(path: Path, fmt: str | None = None) -> str:
    if fmt:
        f = fmt.upper().replace("JPG", "JPEG").replace("TIF", "TIFF").replace("TIFFF", "TIFF")
        if f not in FORMAT_SUFFIX:
            raise ValueError(f"unknown image format {fmt!r}: use jpeg, png, tiff, webp, bmp, heif or avif")
        return f
    if Path(path).suffix.lower() in RAW_SUFFIXES:
        return "TIFF"  # RAW is read only; write_image puts a .tif suffix on the name
    f = SUFFIX_FORMAT.get(Path(path).suffix.lower())
    if f is None:
        raise ImageWriteError(path, f"cannot tell the image format from the suffix "
                                    f"{Path(path).suffix!r}; use one of {', '.join(sorted(SUFFIX_FORMAT))}")
    return f


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
            atomic_save(path, lambda tmp: _write_tiff16(tmp, pix, icc, like.exif))
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


def _write_tiff16(tmp: Path, pix: np.ndarray, icc: bytes | None, exif: bytes | None = None) -> None:
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
    except Exception:  # EXIF is a courtesy: a broken block must not stop the write
        return {}, {}


def _append_sub_ifds(tmp: Path, subs: dict) -> None:
    import tifffile
    from PIL import TiffImagePlugin

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


def pil_to_float_rgb(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im, dtype=np.float32)
        a = a / (65535.0 if a.max() > 255 or im.mode.startswith("I;16") else 255.0)
        a = np.repeat(a[..., None], 3, axis=2)
    else:
        a = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    return np.ascontiguousarray(np.clip(a, 0.0, 1.0))


def to_uint8(a: np.ndarray) -> np.ndarray:
    return (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
