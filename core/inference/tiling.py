"""Tiled processing of an image of any size with bounded memory and no seams.

Each tile is run with `context` extra pixels on every inner side; those pixels are
given weight 0 (a convolutional net sees zero padding there, so its output near a
tile border is wrong), then weights ramp up over `blend` pixels on a Hann (raised
cosine) curve, and overlapping tiles are averaged by their weights. Every pixel with a
non-zero weight is therefore at least `context` pixels from an inner tile border: when
`context` covers the model's receptive-field radius, the tiled result equals the
untiled one up to float rounding; when it does not, the smooth ramp still hides seams.

Tile origins are multiples of `align` (the model's size multiple, at least 8), so a
downsampling net sees each tile on the same pixel grid as the whole image. The image
is padded by reflection to that multiple, tile by tile, never copied whole.
"""
from __future__ import annotations

import math
from typing import Callable, Generator

import numpy as np

from core.cancel import Cancelled  # (callers also import it from here, its old home)


def axis_tiles(n: int, tile: int, overlap: int, align: int) -> tuple[int, list[int]]:
    """(tile length, origins) along one axis of aligned length n, tiles at most `tile`.

    Uses as few tiles as `tile` allows, then shrinks them evenly so the overlap is no
    bigger than it must be (a 4000-px side in 1024-px tiles: 5 x 880, not 5 x 1024)."""
    if n <= tile:
        return n, [0]
    k = math.ceil((n - overlap) / (tile - overlap))
    length = min(tile, math.ceil((math.ceil((n - overlap) / k) + overlap) / align) * align)
    stride = round_to(length - overlap, align)
    starts = list(range(0, n - length, stride))
    starts.append(n - length)  # last tile flush with the end; n and length are aligned, so it is too
    return length, starts


def window_1d(length: int, taper_start: bool, taper_end: bool, context: int, blend: int) -> np.ndarray:
    w = np.ones(length, dtype=np.float32)
    ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(blend, dtype=np.float32) + 0.5) / blend)) if blend else None
    if taper_start:
        w[:context] = 0.0
        if blend:
            w[context:context + blend] = ramp
    if taper_end:
        w[length - context:] = 0.0
        if blend:
            w[length - context - blend:length - context] = ramp[::-1]
    return w


def round_to(x: int, m: int) -> int:
    return max(m, (x // m) * m)


class TileGrid:
    """The tiles covering an HxW image: where they are and how they are weighted."""

    def __init__(self, height: int, width: int, tile: int, context: int, blend: int, align: int):
        self.h, self.w, self.context, self.blend, self.align = height, width, context, blend, align
        self.hp, self.wp = math.ceil(height / align) * align, math.ceil(width / align) * align
        tile = round_to(int(tile), align)
        self.th, self.tw = min(tile, self.hp), min(tile, self.wp)
        if (self.th < self.hp or self.tw < self.wp) and tile - 2 * context - blend < align:
            raise ValueError(f"tile size {tile} is too small: it must exceed 2 x context ({context}) "
                             f"+ blend ({blend}) + {align}")
        overlap = 2 * context + blend
        self.th, self.ys = axis_tiles(self.hp, tile, overlap, align)
        self.tw, self.xs = axis_tiles(self.wp, tile, overlap, align)

    def __len__(self) -> int:
        return len(self.ys) * len(self.xs)

    def tiles(self):
        """(y0, x0, weight HxW for the part inside the image) for each tile, row by row."""
        for y in self.ys:
            wy = window_1d(self.th, y > 0, y + self.th < self.hp, self.context, self.blend)
            for x in self.xs:
                wx = window_1d(self.tw, x > 0, x + self.tw < self.wp, self.context, self.blend)
                yield y, x, wy[: self.h - y, None] * wx[None, : self.w - x]

    def crop(self, image: np.ndarray, y: int, x: int) -> np.ndarray:
        """The tile at (y, x), reflect-padded where it runs past the image's end."""
        part = image[y:y + self.th, x:x + self.tw]
        ph, pw = self.th - part.shape[0], self.tw - part.shape[1]
        if ph or pw:
            # reflect needs more pixels than the pad; tiny images fall back to edge copies
            mode = "reflect" if ph < part.shape[0] and pw < part.shape[1] else "edge"
            part = np.pad(part, ((0, ph), (0, pw), (0, 0)), mode=mode)
        return np.ascontiguousarray(part)


def run_tiled(fn: Callable[[np.ndarray], np.ndarray], image: np.ndarray, grid: TileGrid,
              progress: Callable[[int, int], None] | None = None,
              cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """Apply `fn` (HxWxC float32 -> same shape) to `image` tile by tile and blend."""
    steps = iter_tiled(fn, image, grid)
    while True:
        if cancel and cancel():
            steps.close()
            raise Cancelled()
        try:
            done, total = next(steps)
        except StopIteration as stop:
            return stop.value
        if progress:
            progress(done, total)


def iter_tiled(fn: Callable[[np.ndarray], np.ndarray], image: np.ndarray,
               grid: TileGrid) -> Generator[tuple[int, int], None, np.ndarray]:
    """Generator form: yields (tiles done, tiles) after each tile and returns the
    result, so a batch can report progress and stop between tiles."""
    h, w = image.shape[:2]
    n = len(grid)
    if n == 1:
        out = np.ascontiguousarray(fn(grid.crop(image, 0, 0))[:h, :w], dtype=np.float32)
        yield 1, 1
        return out
    acc = None  # as many channels as fn returns (the refiner takes 6 and returns 3)
    wsum = np.zeros((h, w, 1), dtype=np.float32)
    for i, (y, x, weight) in enumerate(grid.tiles()):
        out = fn(grid.crop(image, y, x))
        if acc is None:
            acc = np.zeros((h, w, out.shape[2]), dtype=np.float32)
        hh, ww = weight.shape
        acc[y:y + hh, x:x + ww] += out[:hh, :ww] * weight[..., None]
        wsum[y:y + hh, x:x + ww] += weight[..., None]
        del out
        yield i + 1, n
    np.divide(acc, wsum, out=acc)  # every pixel has weight > 0 by construction (see window_1d)
    return acc
