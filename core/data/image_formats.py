"""What the image reader/writer knows about files before opening one: the suffixes and
formats it handles, `ImageInfo` (what a result is written like) and the two errors.
A leaf: core.data.imageio (Pillow formats) and core.data.rawio (camera RAW) both build
on it, and neither imports the other's way round.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


def format_for(path: Path, fmt: str | None = None) -> str:
    """Pillow's format name for writing `path`: `fmt` when given, else from the suffix."""
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
