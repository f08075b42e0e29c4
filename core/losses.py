"""Pixel and adversarial losses, each selected by name from the config.

Adversarial losses take discriminator *logits*: BCE-with-logits equals the report's
Sigmoid + BCELoss, computed with the log-sum-exp trick so it never takes log(0).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def pixel_loss(kind: str, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if kind == "l1":
        return F.l1_loss(pred, target)
    if kind == "charbonnier":
        return torch.sqrt((pred - target) ** 2 + 1e-6).mean()
    if kind == "mse":
        return F.mse_loss(pred, target)
    raise ValueError(f"unknown pixel loss {kind!r} (l1, charbonnier, mse)")


def d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss from logits on real and generated images."""
    if kind == "bce":  # the report: (BCE(D(sharp), 1) + BCE(D(G(blur)), 0)) / 2
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))) / 2
    raise ValueError(f"unknown adversarial loss {kind!r}")


def g_adv_loss(kind: str, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
    """Generator's adversarial term from logits on its images (and on real ones where needed)."""
    if kind == "bce":  # the report: BCE(D(G(blur)), 1)
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    raise ValueError(f"unknown adversarial loss {kind!r}")
