"""Non-blind deconvolution: the sharp photo from the blurred one and a known kernel.

Hyper-Laplacian prior (Krishnan & Fergus 2009): min_x |k*x - y|^2 + lam sum |grad x|^p,
solved by half-quadratic splitting, which alternates a per-pixel shrinkage of the
gradients (Chartrand's p-shrinkage, a close and cheap stand-in for the exact L^p
proximal step) and a quadratic step that is one division in the FFT domain. Natural
photos' gradients follow such a heavy-tailed law (p ~ 0.5-0.8), so edges come back
sharp while the flat areas, where ringing and noise would show, are kept flat.

Borders: the photo is padded to wrap round smoothly before the FFT (`pad_periodic`),
so no ringing starts at the frame. Clipped highlights break the blur model (the light
that was spread is lost): their neighbourhood is re-solved with a much stronger prior
and blended in, which trades a little sharpness there for no dark halos.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
from scipy import ndimage

from core.shake.colour import linear_to_srgb, rgb_to_ycc, srgb_to_linear, ycc_to_rgb
from core.shake.steps import drive
from core.shake.fft import centred_otf, good_shape, grad, grad_adjoint, grad_otfs, irfft2, pad_periodic, rfft2


def shrink(v: np.ndarray, t: float, p: float, out: np.ndarray | None = None,
           work: np.ndarray | None = None) -> np.ndarray:
    """argmin_w t|w|^p + 1/2 (w - v)^2, approximately (Chartrand 2012's p-shrinkage).
    p = 0.5 uses a square root instead of a general power (6x faster on 12 MP). `out`
    (may be v itself) and `work` are optional buffers of v's shape: a 12 MP photo's
    solve otherwise spends more time faulting in fresh memory than computing."""
    a = np.abs(v, out=work)
    a += np.float32(1e-12)  # no 0 ** (p - 1): no inf to clean up afterwards
    c = np.float32(t ** (2 - p))
    if out is None:
        out = np.empty_like(v)
    sign = np.signbit(v)
    if p == 1.0:
        np.subtract(a, c, out=out)
    else:
        cut = np.sqrt(a, out=out) if p == 0.5 else np.power(a, np.float32(1 - p), out=out)
        np.divide(c, cut, out=cut)
        np.subtract(a, cut, out=out)
    np.maximum(out, 0, out=out)
    np.negative(out, out=out, where=sign)
    return out


def spectra(kernel: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K, |K|^2, |Dx|^2 + |Dy|^2) on an FFT grid: what every solve with this kernel
    shares, computed once per photo."""
    K = centred_otf(kernel, shape).astype(np.complex64)
    Dx, Dy = grad_otfs(shape)
    return K, (np.abs(K) ** 2).astype(np.float32), (np.abs(Dx) ** 2 + np.abs(Dy) ** 2).astype(np.float32)


BETA_START, BETA_END, BETA_STEP = 0.5, 256.0, 2 * np.sqrt(2)  # x lam: Krishnan & Fergus's schedule
HQS_STEPS = int(np.floor(np.log(BETA_END / BETA_START) / np.log(BETA_STEP) + 1e-9)) + 1


def deconvolve_channel(y: np.ndarray, kernel: np.ndarray, lam: float, p: float = 0.8, spec=None) -> np.ndarray:
    """One channel, already padded to wrap smoothly. Same shape out."""
    return drive(deconvolve_channel_steps(y, kernel, lam, p, spec))


def deconvolve_channel_steps(y: np.ndarray, kernel: np.ndarray, lam: float, p: float = 0.8, spec=None):
    """Generator form: yields after each of the HQS_STEPS half-quadratic steps (a big
    photo's cancel is then heard within one step), returns the channel. float32 FFTs:
    twice as fast as float64 and far below the 8-bit output's precision. The gradient
    buffers are reused from step to step."""
    shape = y.shape
    y = y.astype(np.float32, copy=False)
    K, den_k, den_d = spec if spec is not None else spectra(kernel, shape)
    num_k = np.conj(K) * rfft2(y)
    h, v, work = (np.empty(shape, np.float32) for _ in range(3))
    x = y
    for i in range(HQS_STEPS):
        beta = lam * BETA_START * BETA_STEP ** i
        _grad_into(x, h, v)
        t = lam / (2 * beta)
        shrink(h, t, p, out=h, work=work)
        shrink(v, t, p, out=v, work=work)
        _grad_adjoint_into(h, v, work)
        f = rfft2(work)
        f *= np.float32(beta)
        f += num_k
        f /= den_k + np.float32(beta) * den_d
        x = irfft2(f, shape)
        yield i + 1
    return x


def _grad_into(x: np.ndarray, h: np.ndarray, v: np.ndarray) -> None:
    """Circular forward differences of x into h (along x) and v (along y), no new arrays."""
    np.subtract(x[:, 1:], x[:, :-1], out=h[:, :-1])
    np.subtract(x[:, 0], x[:, -1], out=h[:, -1])
    np.subtract(x[1:], x[:-1], out=v[:-1])
    np.subtract(x[0], x[-1], out=v[-1])


def _grad_adjoint_into(h: np.ndarray, v: np.ndarray, out: np.ndarray) -> None:
    """Dx^T h + Dy^T v (as fft.grad_adjoint) into out."""
    np.subtract(h[:, :-1], h[:, 1:], out=out[:, 1:])
    np.subtract(h[:, -1], h[:, 0], out=out[:, 0])
    out[1:] += v[:-1]
    out[1:] -= v[1:]
    out[0] += v[-1]
    out[0] -= v[0]


def tikhonov_channel(y: np.ndarray, kernel: np.ndarray, lam: float, spec=None) -> np.ndarray:
    """min |k*x - y|^2 + lam |grad x|^2: one division in the FFT domain (a Wiener-like
    filter). Used where the heavy-tailed prior is not worth its cost: colour difference
    channels and the over-smoothed solve near clipped highlights."""
    shape = y.shape
    K, den_k, den_d = spec if spec is not None else spectra(kernel, shape)
    return irfft2(np.conj(K) / (den_k + np.float32(lam) * den_d) * rfft2(y.astype(np.float32, copy=False)), shape)


@dataclass
class Prepared:
    """A photo padded for the FFT, with what every channel's solve shares."""
    padded: np.ndarray          # C x Hp x Wp
    kernel: np.ndarray
    pad: int
    size: tuple[int, int]       # the photo's (h, w)
    near_clipped: np.ndarray | None   # 0..1 weight of the halo treatment, h x w
    spec: tuple                 # `spectra` of the kernel on the padded grid


def prepare_channels(image: np.ndarray, kernel: np.ndarray, saturation: float | None = 0.98,
                     clipped: np.ndarray | None = None) -> Prepared:
    """Pad an HxWxC photo to wrap smoothly and find its clipped highlights (values at
    or above `saturation` in any channel, or the HxW mask `clipped` when the channels
    are not RGB; saturation None: no halo treatment)."""
    img = np.asarray(image, np.float32)
    h, w = img.shape[:2]
    pad = max(kernel.shape[0], 8)
    shape = good_shape(h + 2 * pad, w + 2 * pad)
    near = None
    if saturation is not None:
        if clipped is None:
            clipped = (img >= saturation).any(axis=2) if img.ndim == 3 else img >= saturation
        if clipped.mean() >= 1e-4:  # a few hot pixels are not worth the second solve
            # within about a kernel's reach of a clipped pixel, softly: two box filters
            # (running sums, so the cost does not grow with a 150 px kernel)
            r = kernel.shape[0]
            near = ndimage.uniform_filter(clipped.astype(np.float32), size=r) > 0
            near = ndimage.uniform_filter(near.astype(np.float32), size=max(3, r // 2))
    img3 = img if img.ndim == 3 else img[..., None]
    # channel-first: each channel's FFT then reads one contiguous plane
    planes = np.stack([pad_periodic(np.ascontiguousarray(img3[..., c]), pad, shape) for c in range(img3.shape[2])])
    return Prepared(planes, kernel, pad, (h, w), near, spectra(kernel, shape))


# The quadratic ("fast") solve's prior weight, as a multiple of the hyper-Laplacian's: it
# serves the colour differences, where the eye and PSNR see little detail and the noise a
# deconvolution amplifies shows as colour speckle. x30 against the first x10, shake engine,
# 8-bit RGB PSNR: +0.02 dB on the development synthetic sets (66 pairs, Kodak/McMaster) and
# +0.02 dB on the held-out BSDS sets (64 pairs), one photo fewer worse there; Levin is
# grey, unchanged (docs/shake-reduction.md).
CHROMA_WEIGHT = 30.0


def deconvolve_prepared(prep: Prepared, channel: int, lam: float, p: float = 0.8,
                        fast: bool = False) -> np.ndarray:
    """One channel of a prepared photo, deconvolved and cut back to the photo's size.
    `fast`: the quadratic prior in one FFT division instead of the hyper-Laplacian."""
    return drive(deconvolve_prepared_steps(prep, channel, lam, p, fast))


def deconvolve_prepared_steps(prep: Prepared, channel: int, lam: float, p: float = 0.8, fast: bool = False):
    """Generator form of `deconvolve_prepared`: yields after each step (HQS_STEPS of them,
    one when `fast`), returns the channel."""
    h, w = prep.size
    pad = prep.pad
    y = prep.padded[channel]
    if fast:  # already smooth: no halo treatment needed
        yield 1
        return tikhonov_channel(y, prep.kernel, lam * CHROMA_WEIGHT, prep.spec)[pad:pad + h, pad:pad + w]
    x = (yield from deconvolve_channel_steps(y, prep.kernel, lam, p, prep.spec))[pad:pad + h, pad:pad + w]
    if prep.near_clipped is not None:
        strong = tikhonov_channel(y, prep.kernel, lam * 100, prep.spec)[pad:pad + h, pad:pad + w]
        x = prep.near_clipped * strong + (1 - prep.near_clipped) * x
    return x


def deconvolve(image: np.ndarray, kernel: np.ndarray, lam: float, p: float = 0.8,
               saturation: float | None = 0.98) -> np.ndarray:
    """HxW or HxWxC float image and a kernel -> the deconvolved image, same shape."""
    img = np.asarray(image, np.float32)
    prep = prepare_channels(img, kernel, saturation)
    out = np.stack([deconvolve_prepared(prep, c, lam, p) for c in range(prep.padded.shape[0])], axis=-1)
    return out[..., 0] if img.ndim == 2 else out


# ---- colour photos ----------------------------------------------------------------------
# deconvolution's progress steps: the luma's half-quadratic steps, then one per colour channel
DECONV_STEPS = HQS_STEPS + 2


def prior_weight(noise: float) -> float:
    """Weight of the hyper-Laplacian prior for a noise sigma (in [0, 1] units): a floor
    for clean photos (quantisation and small kernel errors still need it) and growing
    with the noise's variance, as a MAP estimate's weight does."""
    return 3e-3 + 40.0 * noise ** 2


def deconvolve_rgb_steps(img: np.ndarray, kernel: np.ndarray, lam: float, p: float = 0.8,
                         linear: bool = False) -> Iterator[int]:
    """Generator: an sRGB HxWx3 photo in [0, 1] deconvolved with `kernel` (DECONV_STEPS
    yields), returns it. Luma gets the hyper-Laplacian solve; the two colour differences,
    where the eye (and PSNR) sees far less detail, one FFT division each: ~2.5x less
    time. The engine and the refiner's training pairs both deconvolve through here, so
    the model learns to repair exactly what the engine leaves."""
    h, w = img.shape[:2]
    data = srgb_to_linear(img) if linear else np.asarray(img, np.float32)
    prep = prepare_channels(rgb_to_ycc(data), kernel, clipped=(img >= 0.98).any(axis=2))
    ycc = np.empty((h, w, 3), np.float32)
    for ch in range(3):
        ycc[..., ch] = yield from deconvolve_prepared_steps(prep, ch, lam, p, fast=ch > 0)
    out = ycc_to_rgb(ycc)
    out = linear_to_srgb(out) if linear else np.clip(out, 0, 1)
    return out.astype(np.float32)


def deconvolve_rgb(img: np.ndarray, kernel: np.ndarray, noise: float, strength: float = 1.0,
                   p: float = 0.8, linear: bool = False) -> np.ndarray:
    """`deconvolve_rgb_steps` run to the end, the prior's weight from the noise sigma."""
    return drive(deconvolve_rgb_steps(img, kernel, prior_weight(noise) * strength, p, linear))
