"""FFT helpers shared by kernel estimation and deconvolution (numpy/scipy, float32).

Convolution convention everywhere: blurred = kernel (*) sharp, a true convolution with the
kernel's centre at index (kh // 2, kw // 2). On the FFT grid that is a product with the
kernel's transfer function (`psf2otf`), i.e. circular boundaries; callers pad first.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft

# scipy's FFT is the hot loop of both stages. Threads pay off only on big grids (a
# 330x330 pair: 0.75 ms on one thread, 0.96 ms on two; 1400x1400: 17 vs 9 ms), and
# kernel estimation runs its two estimates on one thread each instead.
MULTI_THREAD_FROM = 1 << 20  # grid elements


def _workers(a: np.ndarray) -> int:
    return -1 if a.size >= MULTI_THREAD_FROM else 1


def rfft2(a: np.ndarray) -> np.ndarray:
    return sfft.rfft2(a, workers=_workers(a))


def irfft2(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return sfft.irfft2(a, s=shape, workers=_workers(a))


def good_shape(h: int, w: int) -> tuple[int, int]:
    """The next sizes >= (h, w) that FFT fast (products of small primes)."""
    return sfft.next_fast_len(h, real=True), sfft.next_fast_len(w, real=True)


def _wrap_index(n: int, size: int) -> np.ndarray:
    """Grid rows/columns that a size-long window centred on the origin wraps onto."""
    return (np.arange(size) - size // 2) % n


def psf2otf(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Transfer function of `kernel` on an FFT grid of `shape` (rfft2 layout). The
    kernel is written straight to its wrapped place, with the grid's dtype following
    the kernel's (float32 in the hot loops)."""
    kh, kw = kernel.shape
    pad = np.zeros(shape, kernel.dtype if kernel.dtype == np.float32 else np.float64)
    pad[np.ix_(_wrap_index(shape[0], kh), _wrap_index(shape[1], kw))] = kernel
    return rfft2(pad)


def centred_otf(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`psf2otf` of the kernel moved so its centroid is exactly at the origin (a phase
    ramp: a sub-pixel shift with no resampling blur). Deconvolving with it leaves the
    photo exactly where the blurred one was."""
    kh, kw = kernel.shape
    s = kernel.sum()
    ys, xs = np.indices(kernel.shape)
    dy = float((ys * kernel).sum() / s) - kh // 2
    dx = float((xs * kernel).sum() / s) - kw // 2
    ramp_y = np.exp(2j * np.pi * np.fft.fftfreq(shape[0]) * dy).astype(np.complex64)[:, None]
    ramp_x = np.exp(2j * np.pi * np.fft.rfftfreq(shape[1]) * dx).astype(np.complex64)[None, :]
    otf = psf2otf(kernel.astype(np.float32), shape)
    otf *= ramp_y  # separable: two 1-D ramps instead of one 2-D exponential
    otf *= ramp_x
    return otf


def otf2psf(otf: np.ndarray, shape: tuple[int, int], ksize: tuple[int, int]) -> np.ndarray:
    """The `ksize` window around the origin of a circular impulse response."""
    full = irfft2(otf, shape)
    kh, kw = ksize
    return full[np.ix_(_wrap_index(shape[0], kh), _wrap_index(shape[1], kw))]


def grad_otfs(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Transfer functions of the forward differences dx = S[:, j+1] - S[:, j] and
    dy = S[i+1] - S[i] (circular), matching `grad`."""
    dx = np.zeros(shape)
    dx[0, 0], dx[0, -1] = -1.0, 1.0
    dy = np.zeros(shape)
    dy[0, 0], dy[-1, 0] = -1.0, 1.0
    return rfft2(dx), rfft2(dy)


def grad(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences along x and y."""
    return np.roll(s, -1, axis=1) - s, np.roll(s, -1, axis=0) - s


def grad_adjoint(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Dx^T h + Dy^T v for the differences of `grad`."""
    return (np.roll(h, 1, axis=1) - h) + (np.roll(v, 1, axis=0) - v)


def convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Circular convolution of a 2-D image with a kernel (for tests and re-blurring)."""
    shape = image.shape
    return irfft2(rfft2(image) * psf2otf(kernel, shape), shape)



def _fill_gap(out: np.ndarray, before: int, n: int) -> None:
    """In place along axis 0 of `out`: rows [before, before+n) hold the image; fill the
    others so that it wraps round smoothly: mirrored content next to the image fades
    into a straight ramp from its last row to its first, so the FFT's periodic boundary
    has no jump (cf. Liu & Jia 2008)."""
    total = out.shape[0] - n
    if total <= 0:
        return
    a = out[before:before + n]
    shape = (-1,) + (1,) * (out.ndim - 1)
    pos = np.arange(1, total + 1)
    t = (pos / (total + 1)).reshape(shape).astype(out.dtype)
    dist = np.minimum(pos, total + 1 - pos)               # distance to the image
    w = (0.5 + 0.5 * np.cos(np.pi * np.clip(dist / ((total + 1) / 2), 0, 1))).reshape(shape).astype(out.dtype)
    # mirror of the image seen from whichever end of the gap is nearer (clamped for tiny images)
    src = np.where(pos <= (total + 1) / 2, n - 1 - pos, total + 1 - pos).clip(0, n - 1)
    gap = w * a[src] + (1 - w) * (a[-1] + (a[0] - a[-1]) * t)
    after = total - before
    out[before + n:] = gap[:after]
    out[:before] = gap[after:]


def pad_periodic(image: np.ndarray, m: int, shape: tuple[int, int] | None = None) -> np.ndarray:
    """`image` (HxW or HxWxC) padded by m px on the top/left and at least m on the
    bottom/right (to reach `shape`), smooth across the periodic boundary. The original
    sits at [m:m+H, m:m+W]. Built in one output array (photos can be 12 MP)."""
    h, w = image.shape[:2]
    th, tw = shape or (h + 2 * m, w + 2 * m)
    out = np.empty((th, tw) + image.shape[2:], image.dtype if image.dtype == np.float32 else np.float64)
    out[m:m + h, m:m + w] = image
    _fill_gap(out[:, m:m + w], m, h)
    _fill_gap(out.swapaxes(0, 1), m, w)
    return out
