"""`ShakeReducer`: camera-shake reduction by kernel estimation and deconvolution.

    engine = ShakeReducer()
    sharp = engine.deblur(rgb01)                  # HxWx3 float in [0, 1], same size out
    engine.last.kernel, engine.last.path          # what was estimated and what ran

It behaves like a learned model's `Deblurrer` (describe / grid / deblur_steps / deblur),
so batch deblurring, evaluation and the app run it unchanged. Per photo:

1. noise level (Immerkaer), working scale (the kernel at most ~35 px there, as the
   estimator is reliable up to that size and cost stays bounded), and the region with
   the most edges at that scale (or the user's region);
2. blind kernel estimation on that region (`core.shake.kernel`), the kernel scaled
   back to full resolution and centred on its centroid, so the result does not move;
3. a verdict: a kernel that is nearly a point means a sharp photo, returned unchanged;
   a kernel that a second, independent estimate does not reproduce is unreliable and
   the photo is returned unchanged too (`auto` then uses the learned model); otherwise
4. hyper-Laplacian deconvolution of the full-resolution photo's luma, a quadratic one
   of its colour differences (`core.shake.deconv`), the prior's weight set from the
   noise level.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
from scipy import ndimage

from core.shake.analysis import auto_kernel_size, best_region, noise_sigma
# the colour conversions and the colour photo's deconvolution live beside the engine; the
# refiner's training pairs and older callers import them from here too
from core.shake.colour import linear_to_srgb, luminance, rgb_to_ycc, srgb_to_linear, ycc_to_rgb  # noqa: F401
from core.shake.deconv import DECONV_STEPS, deconvolve_rgb, deconvolve_rgb_steps, prior_weight  # noqa: F401
from core.shake.steps import drive
from core.shake.kernel import (KernelOptions, clean_kernel, estimate_kernel_steps, kernel_extent, kernel_similarity,
                               pyramid_sizes, resize_image, resize_kernel)

WORK_KERNEL = 35      # largest kernel side the estimator works at
REGION = 256          # side of the estimation window at the working scale
# A photo counts as sharp when its blur path (px at full size) is shorter than this plus
# SHARP_PER_NOISE per 1/255 of noise: on a noisy sharp photo the estimator finds a small
# blob, and deconvolving it only amplifies the noise (synthetic set, docs/shake-reduction.md).
SHARP_PATH = 3.5
SHARP_PER_NOISE = 1.2
# Confidence is the agreement (peak normalised cross-correlation) of two independent
# estimates; below this the estimate is not trusted. Chosen on the 42-pair synthetic set
# (docs/shake-reduction.md): the three estimates that lost more than 1 dB agreed at
# 0.68-0.73, the next lowest (0.74) gained 6 dB; the threshold errs on the safe side.
MIN_CONFIDENCE = 0.75
# Kernels whose blur path is shorter than SMALL_PATH px are cut at SMALL_THRESHOLD of
# their peak (others at 1/20, as Pan et al.). Small-kernel synthetic set: +0.75 -> +0.93
# dB and 5 -> 0 of 24 photos worse; applied to every kernel it cost Levin's long,
# faint paths 1.2 dB (docs/shake-reduction.md).
SMALL_PATH = 10.0
SMALL_THRESHOLD = 0.2
CHECK_SCALE = 0.7     # the cross-check estimates at this fraction of the working scale...
CHECK_KERNEL = KernelOptions(lambda_grad=1e-2, gamma=8.0)  # ...with a stronger prior

PATH_DECONVOLVED = "deconvolved"
PATH_SHARP = "unchanged (the photo looks sharp)"
PATH_UNSURE = "unchanged (kernel estimate unreliable)"
PATH_FLAT = "unchanged (no detail to estimate a blur from)"


class ShakeError(ValueError):
    """A photo the engine cannot work on (too small, no structure...)."""


@dataclass
class ShakeReport:
    """What the engine found and did for one photo (`engine.last`)."""
    kernel: np.ndarray                 # full-resolution kernel, sums to 1, centred
    kernel_size: int                   # its window side in px
    extent_px: float                   # length of the blur path (px, full resolution)
    confidence: float                  # 0..1, agreement of two independent estimates (kernel_similarity)
    noise: float                       # noise sigma in [0, 1] units
    scale: float                       # working scale of the estimate
    region: tuple[int, int, int, int]  # (y, x, h, w) at full resolution
    path: str = PATH_DECONVOLVED
    seconds: float = 0.0
    refined: bool = False              # the kernel-aware model cleaned up the deconvolution

    @property
    def deconvolved(self) -> bool:
        return self.path == PATH_DECONVOLVED

    def __str__(self) -> str:
        return (f"kernel {self.kernel_size} px (blur path ~{self.extent_px:.0f} px), confidence "
                f"{self.confidence:.2f}, noise {self.noise * 255:.1f}/255: {self.path}"
                + (" + refined" if self.refined else ""))


@dataclass
class ShakeSteps:
    """The engine's 'grid': how many progress steps a photo takes (len)."""
    estimate: int
    deconvolve: int = DECONV_STEPS
    refine: int = 0  # the refiner's tiles

    def __len__(self) -> int:
        return self.estimate + self.deconvolve + self.refine


@dataclass
class ShakeOptions:
    kernel_size: int | None = None      # full-resolution kernel side; None = from the photo
    region: tuple[int, int, int, int] | None = None   # (x, y, w, h) to estimate on; None = automatic
    linear: bool = False                # deconvolve in linear light (see docs/shake-reduction.md)
    strength: float = 1.0               # multiplies the prior's weight: <1 sharper, >1 smoother
    p: float = 0.8                      # hyper-Laplacian exponent
    sharp_ok: bool = True               # return sharp photos unchanged
    min_confidence: float = MIN_CONFIDENCE
    kernel: KernelOptions = field(default_factory=KernelOptions)


class ShakeReducer:
    """Kernel estimation + deconvolution, with the interface of a `Deblurrer`."""

    name = "shake reduction"
    min_tile = 0
    context = 0

    def __init__(self, options: ShakeOptions | None = None, refiner=None):
        """`refiner`: a `core.inference.refine.Refiner` (the kernel-aware model) run on
        every deconvolved photo; None: the deconvolution is the result."""
        self.options = options or ShakeOptions()
        self.refiner = refiner
        self.last: ShakeReport | None = None

    def describe(self) -> str:
        o = self.options
        ks = f"kernel up to {o.kernel_size} px" if o.kernel_size else "kernel size from each photo"
        refined = f", {self.refiner.describe()}" if self.refiner is not None else ""
        return f"shake reduction ({ks}, {'linear light' if o.linear else 'stored values'}{refined})"

    def with_ensemble(self, ensemble: int) -> "ShakeReducer":
        if ensemble != 1:
            raise ValueError("self-ensemble is for learned models; shake reduction runs once")
        return self

    # ---- the interface batch and evaluation use -------------------------------------
    def grid(self, height: int, width: int, tile: int | None = None) -> ShakeSteps:
        kopts, sizes = self._kernel_options(height, width)[:2]
        ks2 = max(5, int(round(kopts.ksize * CHECK_SCALE)))
        check = len(pyramid_sizes(ks2 + 1 - ks2 % 2, kopts.min_level_size))
        refine = len(self.refiner.grid(height, width)) if self.refiner is not None else 0
        return ShakeSteps((len(sizes) + check) * kopts.iters, refine=refine)

    def deblur(self, image01: np.ndarray, tile: int | None = None,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """HxWx3 float32 in [0, 1] -> the result, same shape (`self.last` says what ran).
        `cancel()` is polled between steps (each well under a second) and raises
        `core.inference.tiling.Cancelled`."""
        return drive(self.deblur_steps(image01, self.grid(*image01.shape[:2])), progress, cancel)

    def deblur_steps(self, image01: np.ndarray, grid: ShakeSteps | None = None) -> Iterator[tuple[int, int]]:
        """Generator: yields (done, total) after each step, returns the image."""
        report = yield from self.estimate_steps(image01)
        if not report.deconvolved:
            return np.ascontiguousarray(image01, dtype=np.float32)
        return (yield from self.restore_steps(image01, report))

    def restore_steps(self, image01: np.ndarray, report: ShakeReport) -> Iterator[tuple[int, int]]:
        """Generator: deconvolution with `report.kernel`, then the refiner if there is one."""
        out = yield from self.deconvolve_steps(image01, report)
        if self.refiner is None:
            return out
        t0 = time.perf_counter()
        grid = self.grid(*image01.shape[:2])
        base, total = len(grid) - grid.refine, len(grid)
        steps = self.refiner.refine_steps(image01, out, self.refiner.grid(*image01.shape[:2]))
        while True:
            try:
                k, _ = next(steps)
            except StopIteration as stop:
                out = stop.value
                break
            yield base + k, total
        report.refined = True
        report.seconds += time.perf_counter() - t0
        return np.clip(out, 0, 1)

    # ---- the two stages ------------------------------------------------------------
    def estimate(self, image01: np.ndarray, cancel: Callable[[], bool] | None = None) -> ShakeReport:
        return drive(self.estimate_steps(image01), cancel=cancel)

    def estimate_steps(self, image01: np.ndarray) -> Iterator[tuple[int, int]]:
        """Generator: noise, region, kernel and verdict for a photo; returns a ShakeReport
        (also kept as `self.last`)."""
        t0 = time.perf_counter()
        self.last = None
        img = _check(image01)
        h, w = img.shape[:2]
        o = self.options
        grey = luminance(srgb_to_linear(img) if o.linear else img)
        kopts, sizes, ks_full, scale = self._kernel_options(h, w)
        total = len(self.grid(h, w))
        # the working-scale image: a box/bicubic reduction also averages the noise away
        small = _resize(grey, scale)
        clipped = _resize((img >= 0.98).any(axis=2).astype(np.float64), scale) > 0.5
        if o.region is not None:
            x, y, rw, rh = o.region
            y0, x0 = int(y * scale), int(x * scale)
            ry, rx, rh_, rw_ = y0, x0, max(8, int(rh * scale)), max(8, int(rw * scale))
        else:
            ry, rx, rh_, rw_ = best_region(small, REGION, clipped)
        patch = small[ry:ry + rh_, rx:rx + rw_]
        noise = noise_sigma(_centre_crop(grey, 1024))
        if noise * scale > 1.0 / 255:
            # Noise breaks the L0 step's edges into specks. A small Gaussian on the blurred
            # photo is harmless here: g*B = k*(g*S), the kernel to find is the same.
            patch = ndimage.gaussian_filter(patch, min(1.5, noise * scale * 255 / 2))
        if patch.std() < 2e-3:  # flat: nothing to estimate from, and nothing a blur could hide
            k = np.zeros((ks_full, ks_full))
            k[ks_full // 2, ks_full // 2] = 1.0
            region = (int(ry / scale), int(rx / scale), int(rh_ / scale), int(rw_ / scale))
            self.last = ShakeReport(k, ks_full, 0.0, 0.0, 0.0, scale, region, PATH_FLAT, time.perf_counter() - t0)
            return self.last
        # Cross-check: a second estimate from a smaller copy with a stronger prior, on the
        # other core while the main one runs. A real blur is found by both; a kernel
        # fitted to noise or texture is not.
        ks2 = max(5, int(round(kopts.ksize * CHECK_SCALE)))
        ks2 += 1 - ks2 % 2
        check = KernelOptions(**{**kopts.__dict__, "ksize": ks2, "lambda_grad": CHECK_KERNEL.lambda_grad,
                                 "gamma": CHECK_KERNEL.gamma})
        side = _Background(estimate_kernel_steps(_resize(patch, ks2 / kopts.ksize), check))
        try:
            main, done = estimate_kernel_steps(patch, kopts), 0
            while True:
                try:
                    done, _ = next(main)
                except StopIteration as stop:
                    k_small = stop.value
                    break
                yield side.done + done, total
            while not side.finished.wait(0.1):  # the cross-check is smaller: rarely waited for
                yield side.done + done, total
            k2 = side.result()
        finally:
            side.stop()
        if kernel_extent(k_small) / scale * math.sqrt(12) < SMALL_PATH:
            # a short blur's estimate carries a faint halo of wrong mass that outweighs
            # the blur itself in the deconvolution: keep only its strong part
            k_small = clean_kernel(k_small, rel_threshold=SMALL_THRESHOLD)
        kernel = resize_kernel(k_small, ks_full) if scale < 1 else k_small
        extent = kernel_extent(kernel)
        conf = kernel_similarity(k_small, resize_kernel(k2, kopts.ksize))
        if o.sharp_ok and extent * math.sqrt(12) < SHARP_PATH + SHARP_PER_NOISE * noise * 255:
            path, conf = PATH_SHARP, max(conf, 0.0)
        else:
            path = PATH_DECONVOLVED if conf >= o.min_confidence else PATH_UNSURE
        region = (int(ry / scale), int(rx / scale), int(rh_ / scale), int(rw_ / scale))
        self.last = ShakeReport(kernel, ks_full, extent * math.sqrt(12), conf, noise, scale, region, path,
                                time.perf_counter() - t0)
        return self.last

    def deconvolve_steps(self, image01: np.ndarray, report: ShakeReport) -> Iterator[tuple[int, int]]:
        """Generator: the full-resolution deconvolution with `report.kernel`; returns the image."""
        t0 = time.perf_counter()
        img = _check(image01)
        o = self.options
        grid = self.grid(*img.shape[:2])
        total, done = len(grid), grid.estimate
        lam = prior_weight(report.noise) * o.strength
        steps = deconvolve_rgb_steps(img, report.kernel, lam, o.p, o.linear)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                out = stop.value
                break
            done += 1
            yield done, total
        report.seconds += time.perf_counter() - t0
        return out

    def _kernel_options(self, h: int, w: int):
        o = self.options
        ks_full = o.kernel_size or auto_kernel_size(h, w)
        ks_full = int(ks_full) + 1 - int(ks_full) % 2
        scale = min(1.0, WORK_KERNEL / ks_full)
        ks_work = max(5, int(round(ks_full * scale)))
        ks_work += 1 - ks_work % 2
        kopts = KernelOptions(**{**o.kernel.__dict__, "ksize": ks_work})
        return kopts, pyramid_sizes(ks_work, kopts.min_level_size), ks_full, scale


class _Background:
    """Runs a (done, n) step generator on a thread; `stop()` ends it between steps."""

    def __init__(self, gen):
        self.gen, self.done = gen, 0
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._value = self._error = None
        threading.Thread(target=self._run, daemon=True, name="shake-cross-check").start()

    def _run(self):
        try:
            while not self._stop.is_set():
                try:
                    self.done, _ = next(self.gen)
                except StopIteration as stop:
                    self._value = stop.value
                    break
        except BaseException as e:  # handed to the caller in result()
            self._error = e
        finally:
            self.finished.set()

    def result(self):
        if self._error is not None:
            raise self._error
        return self._value

    def stop(self):
        self._stop.set()


def _check(image01: np.ndarray) -> np.ndarray:
    a = np.asarray(image01)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ShakeError(f"expected an HxWx3 image, got shape {a.shape}")
    if min(a.shape[:2]) < 16:
        raise ShakeError(f"the photo is too small to estimate a blur from ({a.shape[1]}x{a.shape[0]} px; "
                         f"at least 16x16)")
    return a


def _resize(a: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1:
        return np.asarray(a, np.float64)
    return resize_image(np.asarray(a, np.float64), scale)


def _centre_crop(a: np.ndarray, size: int) -> np.ndarray:
    h, w = a.shape[:2]
    y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return a[y:y + size, x:x + size]
