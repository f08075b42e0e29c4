"""One optimisation step of the GAN (or of the generator alone when the GAN is off).

Order as the report: the discriminator learns on real and detached fake images, then
the generator learns to fool it while staying close to the sharp image in L1.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.config import LossConfig
from core.device import autocast
from core.losses import d_loss, g_adv_loss, pixel_loss


@dataclass
class StepLosses:
    d: torch.Tensor | None
    g: torch.Tensor
    pixel: torch.Tensor


def _logits(d: nn.Module, x: torch.Tensor) -> torch.Tensor:
    # Registered discriminators take `logits=True` to skip their final Sigmoid; calling
    # through forward (not a method) keeps DDP's gradient hooks working.
    return d(x, logits=True)


def gan_step(g: nn.Module, d: nn.Module | None, opt_g, opt_d, blur: torch.Tensor, sharp: torch.Tensor,
             loss_cfg: LossConfig, amp, dev: torch.device, scaler=None, use_gan: bool = True) -> StepLosses:
    """`blur` and `sharp` are already in the generator's value range."""
    with autocast(dev, amp):
        fake = g(blur)
    loss_d = None
    if use_gan and d is not None:
        opt_d.zero_grad(set_to_none=True)
        with autocast(dev, amp):
            loss_d = d_loss(loss_cfg.adversarial, _logits(d, sharp), _logits(d, fake.detach()))
        _backward_step(loss_d, opt_d, scaler)

    opt_g.zero_grad(set_to_none=True)
    with autocast(dev, amp):
        pix = pixel_loss(loss_cfg.pixel, fake.float(), sharp)
        loss_g = loss_cfg.pixel_weight * pix
        if use_gan and d is not None:
            loss_g = loss_g + loss_cfg.adv_weight * g_adv_loss(loss_cfg.adversarial, _logits(d, fake))
    _backward_step(loss_g, opt_g, scaler)
    return StepLosses(loss_d.detach() if loss_d is not None else None, loss_g.detach(), pix.detach())


def _backward_step(loss: torch.Tensor, opt, scaler) -> None:
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        opt.step()

