"""PSNR and SSIM as the report computed them: scikit-image on 8-bit RGB images."""
from __future__ import annotations

import math

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
