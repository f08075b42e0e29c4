"""Blind estimation of one uniform blur kernel (point-spread function) from a photo.

The method is Pan et al.'s L0-regularised intensity-and-gradient prior (CVPR 2016, TPAMI
2017), without its dark-channel term (5x the time for no gain on our data): coarse to
fine over an image pyramid, each level alternating

1. a latent image S that keeps only salient edges: min |k*S - B|^2 + lambda |grad S|_0,
   solved by half-quadratic splitting (Xu et al. 2011), all steps in the FFT domain;
2. the strongest of S's gradients (Cho & Lee 2009's per-direction threshold), and
3. the kernel from gradients: min |grad S * k - grad B|^2 + gamma |k|^2, in closed form,
   then clipped at 0, thresholded at max/20 with small islands removed (they are noise),
   normalised and centred on its centroid.

Gradient-domain estimation on strong edges is what lets a few hundred pixels of sharp
structure pin down a kernel; the L0 prior keeps S's edges sharp so the kernel is not
pushed towards a delta. Everything is grey, float64, one region at a time: the caller
picks the region (`core.shake.region`) and the scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image
from scipy import ndimage

from core.shake.steps import drive
from core.shake.fft import good_shape, grad, grad_adjoint, grad_otfs, irfft2, otf2psf, pad_periodic, psf2otf, rfft2


@dataclass
class KernelOptions:
    ksize: int = 31                 # odd kernel side at the scale estimated on
    lambda_grad: float = 4e-3       # L0 weight on the latent image's gradients (Pan: 4e-3)
    lambda_min: float = 1e-4
    gamma: float = 2.0              # Tikhonov weight of the kernel step (Pan: 2)
    iters: int = 5                  # latent/kernel alternations per level
    min_level_size: int = 5         # kernel side at the coarsest level
    cg_iters: int = 20


def l0_restore(blur: np.ndarray, kernel: np.ndarray, lam: float, kappa: float = 2.0,
               beta_max: float = 1e5) -> np.ndarray:
    """min_S |k*S - B|^2 + lam |grad S|_0 by half-quadratic splitting (Xu et al. 2011).
    `blur` is already padded to wrap smoothly; the result has its shape."""
    shape = blur.shape
    blur = blur.astype(np.float32)  # float32 FFTs: twice as fast, ample for an edge map
    K = psf2otf(kernel, shape).astype(np.complex64)
    Dx, Dy = grad_otfs(shape)
    den_k = (np.abs(K) ** 2).astype(np.float32)
    den_d = (np.abs(Dx) ** 2 + np.abs(Dy) ** 2).astype(np.float32)
    num_k = np.conj(K) * rfft2(blur)
    s = blur
    beta = 2 * lam
    while beta < beta_max:
        h, v = grad(s)
        small = h * h + v * v < lam / beta
        h[small] = 0
        v[small] = 0
        b32 = np.float32(beta)
        s = irfft2((num_k + b32 * rfft2(grad_adjoint(h, v))) / (den_k + b32 * den_d), shape)
        beta *= kappa
    return s


def gradient_threshold(img: np.ndarray, ksize: int) -> float:
    """The squared-gradient level that keeps at least 20 x ksize pixels in each of four
    direction bins (Cho & Lee 2009, as Pan et al.'s code), so that every direction of
    the kernel is constrained by some edges."""
    h, v = grad(img)
    mag = h * h + v * v
    angle = np.arctan2(v, h)
    angle = np.where(angle < -np.pi / 2, angle + np.pi, np.where(angle >= np.pi / 2, angle - np.pi, angle))
    need = max(20 * ksize, 10)
    threshold = np.inf
    for lo in (-np.pi / 2, -np.pi / 4, 0, np.pi / 4):
        m = mag[(angle >= lo) & (angle < lo + np.pi / 4)]
        if m.size == 0:
            continue
        kth = np.sort(m)[::-1][min(need, m.size) - 1]
        threshold = min(threshold, kth)
    if not np.isfinite(threshold):
        threshold = 0.0
    return float(threshold)


def strong_gradients(s: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """S's gradients with those weaker than `threshold` (squared magnitude) zeroed."""
    h, v = grad(s)
    mag = h * h + v * v
    keep = mag >= threshold
    while not keep.any() and threshold > 0:
        threshold *= 0.81
        keep = mag >= threshold
    return h * keep, v * keep


def kernel_from_gradients(bx: np.ndarray, by: np.ndarray, sx: np.ndarray, sy: np.ndarray,
                          gamma: float, ksize: int, init: np.ndarray | None = None,
                          iters: int = 20, mask: np.ndarray | None = None) -> np.ndarray:
    """min_k |M (Sx*k - Bx)|^2 + |M (Sy*k - By)|^2 + gamma |k|^2 over ksize x ksize
    kernels, by conjugate gradients with the convolutions in the FFT domain (as Pan et
    al.'s code). Restricting k to its window here, rather than cutting a full-frame
    solution afterwards, keeps the kernel free of scattered noise; the mask M (1 on the
    photo, 0 on the padding) keeps the padding, where B is made up, out of the fit."""
    shape = bx.shape
    win = (ksize, ksize)
    # float32 FFTs (the products dominate estimation time); the CG sums stay float64
    sx, sy, bx, by = (a.astype(np.float32) for a in (sx, sy, bx, by))
    if mask is not None:
        mask = mask.astype(np.float32)
    fsx, fsy = rfft2(sx), rfft2(sy)
    if mask is None:
        m = np.abs(fsx) ** 2 + np.abs(fsy) ** 2

        def normal(k):
            return otf2psf(m * psf2otf(k.astype(np.float32), shape), shape, win)
        rhs = otf2psf(np.conj(fsx) * rfft2(bx) + np.conj(fsy) * rfft2(by), shape, win)
    else:
        def normal(k):
            fk = psf2otf(k.astype(np.float32), shape)
            rx = mask * irfft2(fsx * fk, shape)
            ry = mask * irfft2(fsy * fk, shape)
            return otf2psf(np.conj(fsx) * rfft2(rx) + np.conj(fsy) * rfft2(ry), shape, win)
        rhs = otf2psf(np.conj(fsx) * rfft2(mask * bx) + np.conj(fsy) * rfft2(mask * by), shape, win)

    def apply(k):
        return normal(k) + gamma * k

    k = init if init is not None and init.shape == win else np.full(win, 1 / ksize ** 2)
    r = rhs - apply(k)
    p = r.copy()
    rr = float((r * r).sum())
    for _ in range(iters):
        if rr < 1e-20:
            break
        ap = apply(p)
        alpha = rr / float((p * ap).sum())
        k = k + alpha * p
        r = r - alpha * ap
        rr_new = float((r * r).sum())
        p = r + (rr_new / rr) * p
        rr = rr_new
    return k.astype(np.float64)


def clean_kernel(k: np.ndarray, rel_threshold: float = 1 / 20, min_island: float = 0.1) -> np.ndarray:
    """Non-negative, weak values and islands of small mass removed, sum 1, centred."""
    k = np.maximum(k, 0)
    if k.max() <= 0:
        return delta(k.shape[0])
    k = np.where(k < k.max() * rel_threshold, 0, k)
    k /= k.sum()
    labels, n = ndimage.label(k > 0, structure=np.ones((3, 3)))
    if n > 1:
        mass = ndimage.sum(k, labels, index=np.arange(1, n + 1))
        for i, m_ in enumerate(mass, 1):
            if m_ < min_island:
                k[labels == i] = 0
        k /= k.sum()
    return center_kernel(k)


def delta(ksize: int) -> np.ndarray:
    k = np.zeros((ksize, ksize))
    k[ksize // 2, ksize // 2] = 1.0
    return k


def centroid(k: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(k.shape)
    s = k.sum()
    return float((ys * k).sum() / s), float((xs * k).sum() / s)


def kernel_extent(k: np.ndarray) -> float:
    """2nd-moment radius of the kernel in px: 0 for a point, ~L/sqrt(12) for a line of length L."""
    ys, xs = np.indices(k.shape)
    s = k.sum()
    cy, cx = (ys * k).sum() / s, (xs * k).sum() / s
    return float(math.sqrt(((ys - cy) ** 2 * k + (xs - cx) ** 2 * k).sum() / s))


def center_kernel(k: np.ndarray) -> np.ndarray:
    """Shift the kernel by whole pixels so its centroid is within half a pixel of the
    centre (deconvolution removes the last fraction exactly: `fft.centred_otf`), so the
    result does not move. Whole pixels, because a sub-pixel resampling would blur the
    kernel a little more at every iteration. Mass pushed out of the window is dropped
    and the shift repeated, so a kernel as long as its window still ends up centred."""
    n = k.shape[0]
    c = n // 2
    for _ in range(4):
        cy, cx = centroid(k)
        dy, dx = int(round(c - cy)), int(round(c - cx))
        if dy == 0 and dx == 0:
            break
        out = np.zeros_like(k)
        ys, yd = slice(max(0, -dy), min(n, n - dy)), slice(max(0, dy), min(n, n + dy))
        xs, xd = slice(max(0, -dx), min(n, n - dx)), slice(max(0, dx), min(n, n + dx))
        out[yd, xd] = k[ys, xs]
        if out.sum() <= 0:
            return delta(n)
        k = out / out.sum()
    return k


def resize_kernel(k: np.ndarray, ksize: int) -> np.ndarray:
    """Kernel resampled to ksize x ksize (the extent scales with the side), sum 1."""
    if k.shape[0] == ksize:
        return k
    z = ksize / k.shape[0]
    out = ndimage.zoom(k, z, order=1)
    out = _fit(out, ksize)
    out = np.maximum(out, 0)
    return center_kernel(out / out.sum()) if out.sum() > 0 else delta(ksize)


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    """Crop or zero-pad a square array to n x n about its centre."""
    m = a.shape[0]
    if m > n:
        o = (m - n) // 2
        return a[o:o + n, o:o + n]
    out = np.zeros((n, n))
    o = (n - m) // 2
    out[o:o + m, o:o + m] = a
    return out


def resize_image(img: np.ndarray, scale: float) -> np.ndarray:
    if abs(scale - 1) < 1e-6:
        return img
    h, w = img.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize(size, Image.BICUBIC), np.float64)


def pyramid_sizes(ksize: int, min_size: int) -> list[int]:
    """Odd kernel sides from coarse to fine, each about sqrt(2) times the one before."""
    sizes = [ksize]
    while sizes[-1] > min_size:
        nxt = int(math.floor(sizes[-1] / math.sqrt(2)))
        nxt += 1 - nxt % 2
        if nxt >= sizes[-1]:
            nxt = sizes[-1] - 2
        sizes.append(max(nxt, min_size))
        if nxt <= min_size:
            break
    return sizes[::-1]


def estimate_kernel(grey: np.ndarray, opts: KernelOptions = KernelOptions(),
                    cancel: Callable[[], bool] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """ksize x ksize kernel (sums to 1, centred) for a grey float image in [0, 1].
    `cancel()` is polled between steps (raises Cancelled); `progress(done, total)` after each."""
    return drive(estimate_kernel_steps(grey, opts), progress, cancel)


def kernel_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Peak normalised cross-correlation of two kernels over all shifts (1 = same shape)."""
    shape = (a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1)
    c = irfft2(rfft2(np.pad(a, ((0, shape[0] - a.shape[0]), (0, shape[1] - a.shape[1]))))
               * np.conj(rfft2(np.pad(b, ((0, shape[0] - b.shape[0]), (0, shape[1] - b.shape[1]))))), shape)
    return float(c.max() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-12))


def estimate_kernel_steps(grey: np.ndarray, opts: KernelOptions = KernelOptions()):
    """Generator form of `estimate_kernel`: yields (done, total) after each latent/kernel
    alternation (a fraction of a second each), returns the kernel."""
    grey = np.asarray(grey, np.float64)
    sizes = pyramid_sizes(opts.ksize, opts.min_level_size)
    c = sizes[0] // 2
    k = np.zeros((sizes[0], sizes[0]))
    k[c, c - 1:c + 1] = 0.5  # a short stroke to start from, as Pan et al.: a point would stay one
    steps, done = len(sizes) * opts.iters, 0
    # Both carry over from level to level, as in Pan et al.'s code: the prior weakens
    # and more gradients take part as the kernel gets finer.
    lam = opts.lambda_grad
    threshold = None
    for ks in sizes:
        scale = ks / opts.ksize
        b = resize_image(grey, scale)
        k = resize_kernel(k, ks)
        pad = ks // 2 + 4  # room for the kernel to spill into; the mask keeps it out of the fit
        shape = good_shape(b.shape[0] + 2 * pad, b.shape[1] + 2 * pad)
        bp = pad_periodic(b, pad, shape)
        bx, by = grad(bp)
        mask = np.zeros(shape)
        mask[pad + 1:pad + b.shape[0] - 1, pad + 1:pad + b.shape[1] - 1] = 1.0
        for _ in range(opts.iters):
            s = np.clip(l0_restore(bp, k, lam), 0, 1)
            # the threshold comes from the coarsest blurred image and is lowered by 1.1
            # at every step, so more and more edges take part as the kernel firms up
            threshold = gradient_threshold(b, ks) if threshold is None else threshold / 1.1
            sx, sy = strong_gradients(s, threshold)
            k = clean_kernel(kernel_from_gradients(bx, by, sx, sy, opts.gamma, ks, init=k,
                                                   iters=opts.cg_iters, mask=mask))
            lam = max(lam / 1.1, opts.lambda_min)
            done += 1
            yield done, steps
    return k
