"""Torch image-tensor helpers shared by data loading, synthesis and the models.

A leaf module (torch and numpy only): `dataset.py` and `synth.py` both use it, so neither
imports the other for a helper. Images are CxHxW (or NxCxHxW) float tensors in [0, 1].
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def to_tensor(a: np.ndarray) -> torch.Tensor:
    """HxWxC array -> CxHxW tensor (sharing memory where it can)."""
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def downscale(t: torch.Tensor, max_side: int | None) -> torch.Tensor:
    """Shrink CxHxW so the longer side is <= max_side (aspect kept); never enlarge."""
    h, w = t.shape[-2:]
    if not max_side or max(h, w) <= max_side:
        return t
    s = max_side / max(h, w)
    size = (max(1, round(h * s)), max(1, round(w * s)))
    return F.interpolate(t[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0].clamp(0, 1)


def reflect_pad(t: torch.Tensor, left: int, right: int, top: int, bottom: int) -> torch.Tensor:
    """Pad the last two dims by reflection; by edge copies where the image is too small to
    reflect (reflection needs more pixels than the pad). Takes CxHxW or NxCxHxW."""
    h, w = t.shape[-2:]
    mode = "reflect" if max(top, bottom) < h and max(left, right) < w else "replicate"
    if t.dim() == 3:  # F.pad's reflect/replicate want a batch dimension
        return F.pad(t[None], (left, right, top, bottom), mode=mode)[0]
    return F.pad(t, (left, right, top, bottom), mode=mode)


def pad_to_multiple(x: torch.Tensor, m: int) -> tuple[torch.Tensor, int, int]:
    """Pad H and W (bottom and right) up to a multiple of `m`; also the size to crop back to."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        x = reflect_pad(x, 0, pw, 0, ph)
    return x, h, w


def pad_to_size(t: torch.Tensor, size: int) -> torch.Tensor:
    """Pad H and W (bottom and right) up to at least `size`, e.g. a photo smaller than the crop."""
    h, w = t.shape[-2:]
    ph, pw = max(0, size - h), max(0, size - w)
    return reflect_pad(t, 0, pw, 0, ph) if ph or pw else t
