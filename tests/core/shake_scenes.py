"""Small synthetic scenes and camera-shake kernels for the shake-reduction tests.

The scenes are photo-like for a blur estimator: flat regions of several grey levels
bounded by straight and curved edges, plus thin lines, lightly smoothed (as a lens
does), never white noise, which has no edges to pin a kernel down.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage, signal


def scene(size: int | tuple[int, int], seed: int = 0) -> np.ndarray:
    """A grey HxW float64 image in [0, 1]: rectangles, disks and lines."""
    h, w = (size, size) if isinstance(size, int) else size
    n = min(h, w)
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 0.5)
    yy, xx = np.mgrid[:h, :w]
    for _ in range(max(h, w) // 4):
        v = rng.uniform(0.1, 0.9)
        if rng.random() < 0.5:
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            rh, rw = rng.integers(4, n // 4, 2)
            img[y0:y0 + rh, x0:x0 + rw] = v
        else:
            cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(3, n // 8)
            img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = v
    for _ in range(6):
        y0, y1 = rng.integers(0, h, 2)
        x0, x1 = rng.integers(0, w, 2)
        t = np.linspace(0, 1, 4 * max(h, w))
        img[np.clip((y0 + (y1 - y0) * t).astype(int), 0, h - 1),
            np.clip((x0 + (x1 - x0) * t).astype(int), 0, w - 1)] = rng.choice([0.05, 0.95])
    return ndimage.gaussian_filter(img, 0.6)


def centroid(k: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(k.shape)
    return float((ys * k).sum() / k.sum()), float((xs * k).sum() / k.sum())


def centred(k: np.ndarray, n: int) -> np.ndarray:
    """`k` in an n x n window with its centroid exactly on the centre pixel (a linear
    sub-pixel shift moves the centroid by exactly the shift), sum 1."""
    out = np.zeros((n, n))
    o = (n - k.shape[0]) // 2
    out[o:o + k.shape[0], o:o + k.shape[1]] = k
    cy, cx = centroid(out)
    out = ndimage.shift(out, (n // 2 - cy, n // 2 - cx), order=1, mode="constant")
    return out / out.sum()


def l_kernel(n: int = 13) -> np.ndarray:
    """An L-shaped camera path, 7 px each way, with a pause at the corner."""
    k = np.zeros((11, 11))
    k[2, 2:9] = 1.0
    k[2:9, 8] = 1.0
    k[5, 8] = 2.0
    return centred(k / k.sum(), n)


def curved_kernel(n: int = 13) -> np.ndarray:
    """A curved camera path about 9 px long, slower (heavier) where it bends."""
    k = np.zeros((13, 13))
    t = np.linspace(0, 1, 200)
    for y, x in zip(2 + 8 * t, 2 + 8 * t ** 2 + np.sin(6 * t)):
        k[int(round(y)), int(round(x))] += 1
    return centred(k / k.sum(), n)


def blurred_pair(size: int | tuple[int, int], kernel: np.ndarray, seed: int = 0,
                 quantise: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(sharp, blurred) grey images of `size`: a larger scene blurred by `kernel` (our
    convention: centre at index n // 2, as fftconvolve's 'same') and cropped, so every
    pixel saw a full blur (no border artefacts); 8-bit values like a stored photo."""
    h, w = (size, size) if isinstance(size, int) else size
    m = kernel.shape[0]
    big = scene((h + 2 * m, w + 2 * m), seed)
    blur = signal.fftconvolve(big, kernel, mode="same")[m:m + h, m:m + w]
    sharp = big[m:m + h, m:m + w]
    if quantise:
        blur, sharp = np.round(blur * 255) / 255, np.round(sharp * 255) / 255
    return sharp, np.clip(blur, 0, 1)


def rgb(grey: np.ndarray) -> np.ndarray:
    """A grey image as a (slightly tinted) HxWx3 float32 photo in [0, 1]."""
    return np.stack([0.05 + 0.9 * grey, grey, 0.1 + 0.8 * grey], axis=-1).astype(np.float32)


def psnr(a: np.ndarray, b: np.ndarray, border: int = 0) -> float:
    if border:
        a, b = a[border:-border, border:-border], b[border:-border, border:-border]
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)
