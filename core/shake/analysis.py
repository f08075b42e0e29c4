"""What the engine reads off a photo before estimating: its noise level, the region
with the most usable edges, and how big a kernel to allow.

Noise: Immerkaer's fast estimator (1996): a 3x3 mask that cancels any plane and most of
an image's structure, whose response over flat areas is the noise alone; the 0.1 % of
pixels on edges bias it less than they would a plain Laplacian.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

# Immerkaer's mask: the difference of two Laplacians, zero on planes and ramps
_MASK = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float64)


def noise_sigma(grey: np.ndarray) -> float:
    """Standard deviation of white noise in a grey image in [0, 1]; edges and clipped
    areas are left out (their response is structure, not noise)."""
    g = np.asarray(grey, np.float64)
    if min(g.shape) < 3:
        return 0.0
    r = ndimage.convolve(g, _MASK, mode="reflect")[1:-1, 1:-1]
    inner = g[1:-1, 1:-1]
    gy, gx = np.gradient(ndimage.gaussian_filter(inner, 1.0))
    edge = np.hypot(gx, gy)
    keep = (inner > 0.02) & (inner < 0.98)
    if keep.sum() > 100:
        keep &= edge <= np.percentile(edge[keep], 15)  # the flattest areas only
    if keep.sum() < 16:
        keep = np.ones_like(inner, bool)
    return float(math.sqrt(math.pi / 2) * np.abs(r[keep]).mean() / 6.0)


def best_region(grey: np.ndarray, size: int, clipped: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """(y, x, h, w) of the size x size window (or the whole image, if smaller) with the
    most strong edges: the kernel is only constrained by edges, so that is where it is
    estimated best (cf. Hu & Yang 2012). Clipped highlights do not count as edges."""
    h, w = grey.shape
    if h <= size and w <= size:
        return 0, 0, h, w
    rh, rw = min(size, h), min(size, w)
    gy, gx = np.gradient(ndimage.gaussian_filter(np.asarray(grey, np.float64), 1.0))
    mag = np.hypot(gx, gy)
    strong = mag > np.percentile(mag, 90)
    if clipped is not None:
        strong &= ~ndimage.binary_dilation(clipped, iterations=3)
    # box sums of strong edges, on a stride of 1/8 of the window (no need for every pixel)
    ii = np.pad(strong.astype(np.float64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    step = max(1, min(rh, rw) // 8)
    ys = np.r_[0:h - rh + 1:step, h - rh]
    xs = np.r_[0:w - rw + 1:step, w - rw]
    Y, X = np.meshgrid(ys, xs, indexing="ij")
    sums = ii[Y + rh, X + rw] - ii[Y, X + rw] - ii[Y + rh, X] + ii[Y, X]
    # a small pull to the middle: the centre is where photographers focus
    cy, cx = (h - rh) / 2, (w - rw) / 2
    dist = np.hypot((Y - cy) / max(h, 1), (X - cx) / max(w, 1))
    score = sums * (1.0 - 0.3 * dist)
    i = np.unravel_index(np.argmax(score), score.shape)
    return int(Y[i]), int(X[i]), rh, rw


def auto_kernel_size(height: int, width: int) -> int:
    """Largest blur (odd px) to allow for a photo of this size: 5 % of the short side
    and at least 31 px, at most a tenth of the short side when that is smaller. Handheld
    shake scales with resolution (the same tremor covers more pixels on a finer sensor)."""
    short = min(height, width)
    k = max(31, round(0.05 * short))
    k = min(k, max(3, short // 5))
    return k + 1 - k % 2
