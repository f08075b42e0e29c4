"""PSNR and SSIM as the report computed them: scikit-image on 8-bit RGB images.

Two benchmark conventions on top (`score`):
- `y_channel`: BT.601 luma (16..235, as MATLAB's rgb2ycbcr), what RealBlur and many
  papers report; computed in float so no second rounding is added.
- `shift=N`: the best over integer shifts of the result within +-N px, as the Levin and
  Koehler benchmarks require because their blur kernels are not centred. Every shift is
  scored on the same region (the reference minus an N px border), so shifts compete
  fairly; the shift is chosen by PSNR (lowest MSE) and SSIM is taken at that shift.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def psnr(result: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB of two uint8 HxWxC images; identical images give +inf."""
    if np.array_equal(result, reference):
        return math.inf
    return float(peak_signal_noise_ratio(reference, result, data_range=255))


def ssim(result: np.ndarray, reference: np.ndarray) -> float:
    """SSIM (skimage defaults: 7x7 window) over the colour channels of uint8 images."""
    ch = 2 if result.ndim == 3 else None
    return float(structural_similarity(reference, result, data_range=255, channel_axis=ch))


def finite_mean(values: list[float], cap: float = 100.0) -> float:
    """Mean where +inf PSNR (a perfect image) counts as `cap` dB so averages stay finite."""
    if not values:
        return float("nan")
    return float(np.mean([min(v, cap) for v in values]))


def to_y(rgb_u8: np.ndarray) -> np.ndarray:
    """BT.601 luma of a uint8 HxWx3 image as float64 in [16, 235] (MATLAB rgb2ycbcr)."""
    rgb = rgb_u8.astype(np.float64) / 255.0
    return 16.0 + rgb @ np.array([65.481, 128.553, 24.966])


@dataclass(frozen=True)
class Score:
    psnr: float  # dB; +inf for a perfect result
    ssim: float
    # Best alignment: the result's content sits dy px lower and dx px further right than
    # the reference's (0, 0 without a shift search).
    dy: int = 0
    dx: int = 0


def _psnr_any(a: np.ndarray, b: np.ndarray) -> float:
    # psnr() for uint8 RGB or float Y, both on the 0..255 scale
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def _ssim_any(a: np.ndarray, b: np.ndarray) -> float:
    if a.dtype == np.uint8:
        return ssim(a, b)
    return float(structural_similarity(b, a, data_range=255))


def score(result: np.ndarray, reference: np.ndarray, *, y_channel: bool = False,
          shift: int = 0) -> Score:
    """PSNR and SSIM of uint8 HxWx3 `result` against `reference` (same size).

    shift=0 scores the whole images; shift=N>0 crops an N px border off the reference
    and takes the best-PSNR alignment of the result within +-N px (see module doc).
    """
    if result.shape != reference.shape:
        raise ValueError(f"result {result.shape} and reference {reference.shape} differ in size")
    if result.dtype != np.uint8 or reference.dtype != np.uint8:
        raise ValueError("score() takes uint8 images (the report scored 8-bit results)")
    a, b = (to_y(result), to_y(reference)) if y_channel else (result, reference)
    if shift <= 0:
        return Score(_psnr_any(a, b), _ssim_any(a, b))
    h, w = b.shape[:2]
    n = shift
    if h <= 2 * n + 7 or w <= 2 * n + 7:  # SSIM needs a 7x7 window inside the crop
        raise ValueError(f"image {w}x{h} too small for a +-{n} px shift search")
    ref = b[n:h - n, n:w - n]
    best = None
    for dy in range(-n, n + 1):
        for dx in range(-n, n + 1):
            cand = a[n + dy:h - n + dy, n + dx:w - n + dx]
            mse = float(np.mean((cand.astype(np.float64) - ref) ** 2))
            # ties (e.g. flat images) go to the smallest shift, so (0, 0) wins when equal
            key = (mse, abs(dy) + abs(dx))
            if best is None or key < best[0]:
                best = (key, dy, dx)
    _, dy, dx = best
    cand = a[n + dy:h - n + dy, n + dx:w - n + dx]
    return Score(_psnr_any(cand, ref), _ssim_any(np.ascontiguousarray(cand), ref), dy, dx)
