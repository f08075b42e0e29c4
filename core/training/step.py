"""One optimisation step of the GAN (or of the generator alone when the GAN is off).

Order as the report: the discriminator learns on real and detached fake images, then
the generator learns to fool it while staying close to the sharp image. A batch can be
split into `accum` chunks whose gradients add up before each optimiser step (same
result as one big batch, less memory); with more than one chunk the generator's
images are recomputed for the generator's pass instead of keeping every graph alive.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from core.config import LossConfig
from core.device import autocast
from core.losses import d_loss, fft_loss, g_adv_loss, pixel_loss, psnr_loss, ssim_loss


@dataclass
class StepLosses:
    d: torch.Tensor | None
    g: torch.Tensor
    pixel: torch.Tensor


def _logits(d: nn.Module, x: torch.Tensor) -> torch.Tensor:
    # Registered discriminators take `logits=True` to skip their final Sigmoid; calling
    # through forward (not a method) keeps DDP's gradient hooks working.
    return d(x, logits=True)


def _plain(m: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper. G's adversarial term runs D unwrapped: D's weights
    are frozen there, so DDP must not wait for gradients of them."""
    return getattr(m, "module", m)


def _sync_unless(module: nn.Module, accumulating: bool):
    # DDP all-reduces gradients on every backward; while chunks still accumulate, skip it.
    return module.no_sync() if accumulating and hasattr(module, "no_sync") else contextlib.nullcontext()


def content_loss(cfg: LossConfig, fake: torch.Tensor, sharp: torch.Tensor, to01=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(weighted sum of the non-adversarial terms, the pixel term alone). The pixel term
    is taken in the model's value range (the report's L1 on [-1, 1]); PSNR, FFT and SSIM
    on [0, 1] images (`to01` converts from the model's range)."""
    fake = fake.float()
    pix = pixel_loss(cfg.pixel, fake, sharp)
    total = cfg.pixel_weight * pix
    if cfg.psnr_weight or cfg.fft_weight or cfg.ssim_weight:
        f01, s01 = (to01(fake), to01(sharp)) if to01 is not None else (fake, sharp)
        if cfg.psnr_weight:
            total = total + cfg.psnr_weight * psnr_loss(f01, s01)
        if cfg.fft_weight:
            total = total + cfg.fft_weight * fft_loss(f01, s01)
        if cfg.ssim_weight:
            total = total + cfg.ssim_weight * ssim_loss(f01, s01)
    return total, pix


def gan_step(g: nn.Module, d: nn.Module | None, opt_g, opt_d, blur: torch.Tensor, sharp: torch.Tensor,
             loss_cfg: LossConfig, amp, dev: torch.device, scaler=None, use_gan: bool = True, *,
             adv_on: bool = True, to01=None, grad_clip: float = 0.0, accum: int = 1) -> StepLosses:
    """`blur` and `sharp` are already in the generator's value range. `adv_on=False`
    (discriminator warm-up) trains D but leaves the adversarial term out of G's loss."""
    chunks = list(zip(blur.chunk(accum), sharp.chunk(accum)))
    n = len(chunks)
    gan = use_gan and d is not None
    fakes = None
    if n == 1:
        with autocast(dev, amp):
            fakes = [g(blur)]

    loss_d = None
    if gan:
        opt_d.zero_grad(set_to_none=True)
        loss_d = torch.zeros((), device=dev)
        for i, (b, s) in enumerate(chunks):
            if fakes is not None:
                f = fakes[i].detach()
            else:
                with torch.no_grad(), autocast(dev, amp):
                    f = g(b)
            with _sync_unless(d, i < n - 1):
                with autocast(dev, amp):
                    ld = d_loss(loss_cfg.adversarial, _logits(d, s), _logits(d, f)).float()
                _backward(ld / n, scaler)
            loss_d += ld.detach() / n
        _step(opt_d, d, grad_clip, scaler)

    opt_g.zero_grad(set_to_none=True)
    if gan:
        d.requires_grad_(False)  # G's backward need not compute D's weight gradients
        d_plain = _plain(d)
    loss_g = torch.zeros((), device=dev)
    loss_pix = torch.zeros((), device=dev)
    try:
        for i, (b, s) in enumerate(chunks):
            with _sync_unless(g, i < n - 1):
                if fakes is not None:
                    f = fakes[i]
                else:
                    with autocast(dev, amp):
                        f = g(b)
                with autocast(dev, amp):
                    lg, pix = content_loss(loss_cfg, f, s, to01)
                    if gan and adv_on and loss_cfg.adv_weight:
                        real = None
                        if loss_cfg.adversarial == "ragan-ls":
                            with torch.no_grad():
                                real = _logits(d_plain, s)
                        lg = lg + loss_cfg.adv_weight * g_adv_loss(loss_cfg.adversarial, _logits(d_plain, f),
                                                                   real).float()
                _backward(lg / n, scaler)
            loss_g += lg.detach() / n
            loss_pix += pix.detach() / n
    finally:
        if gan:
            d.requires_grad_(True)
    _step(opt_g, g, grad_clip, scaler)
    return StepLosses(loss_d, loss_g, loss_pix)


def _backward(loss: torch.Tensor, scaler) -> None:
    (scaler.scale(loss) if scaler is not None else loss).backward()


def _step(opt, module: nn.Module, grad_clip: float, scaler) -> None:
    if grad_clip > 0:
        if scaler is not None:
            scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(module.parameters(), grad_clip)
    if scaler is not None:
        scaler.step(opt)
        scaler.update()
    else:
        opt.step()
