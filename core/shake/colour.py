"""Colour conversions of the shake engine, in numpy: luma, BT.601 luma and colour
differences (no offset, so deconvolution commutes with them), and sRGB <-> linear light."""
from __future__ import annotations

import numpy as np


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


_YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def _mix(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    # three weighted sums of planes: 5x faster than a (H, W, 3) @ (3, 3) matmul
    out = np.empty_like(a)
    for i in range(3):
        out[..., i] = a[..., 0] * m[i, 0] + a[..., 1] * m[i, 1] + a[..., 2] * m[i, 2]
    return out


def rgb_to_ycc(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma and colour differences (no offset: linear, so deconvolution commutes)."""
    return _mix(rgb, _YCC.astype(rgb.dtype))


def ycc_to_rgb(ycc: np.ndarray) -> np.ndarray:
    return _mix(ycc, np.linalg.inv(_YCC).astype(ycc.dtype))


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(np.maximum(x, 0.0031308), 1 / 2.4) - 0.055)

