"""The one image reader/writer of the project.

Reading applies EXIF orientation and returns float32 arrays in [0, 1] so every
consumer sees pixels the way a photo viewer shows them. Errors name the file and
the problem (`ImageReadError`), never a bare PIL traceback.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"})

# Pillow's default bomb guard (~89 MP warns, ~179 MP raises). A 24-MP camera photo is
# far below; keep a sane ceiling that still allows large panoramas.
Image.MAX_IMAGE_PIXELS = 250_000_000


class ImageReadError(ValueError):
    def __init__(self, path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) as displayed (EXIF rotation applied), reading only the header."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1)
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(path, f"not a readable image ({e.__class__.__name__}: {e})") from None
    except Image.DecompressionBombError as e:
        raise ImageReadError(path, f"image too large ({e})") from None
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def read_rgb(path: Path) -> np.ndarray:
    """Float32 HxWx3 in [0, 1]; grey is replicated, alpha dropped, 16-bit kept precise."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            im.load()
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except Image.DecompressionBombError as e:
        raise ImageReadError(path, f"image too large ({e})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(path, f"not a readable image ({e.__class__.__name__}: {e})") from None
    return pil_to_float_rgb(im)


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
