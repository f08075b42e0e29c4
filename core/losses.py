"""Pixel, frequency, structure and adversarial losses, each selected by name from the config.

Adversarial losses take discriminator *logits*: BCE-with-logits equals the report's
Sigmoid + BCELoss, computed with the log-sum-exp trick so it never takes log(0).
Structure losses (PSNR, FFT, SSIM) expect images in [0, 1]; the pixel loss is taken in
the model's own value range so the report's L1 figure stays comparable.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.config import ADVERSARIAL_LOSSES, PIXEL_LOSSES  # the names live with the config (no torch)


def pixel_loss(kind: str, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if kind == "l1":
        return F.l1_loss(pred, target)
    if kind == "charbonnier":  # smooth L1 near zero (eps 1e-3), as MPRNet and others use
        return torch.sqrt((pred - target) ** 2 + 1e-6).mean()
    if kind == "mse":
        return F.mse_loss(pred, target)
    if kind == "psnr":
        return psnr_loss(pred, target)
    raise ValueError(f"unknown pixel loss {kind!r} ({', '.join(PIXEL_LOSSES)})")


def psnr_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Negative PSNR per image, averaged (NAFNet's loss), scaled so 1 unit = 10 dB.

    Per-image means weight a hard image as much as an easy one; +1e-8 keeps log finite
    when an image is already exact. Minimal (not zero) on identical inputs: -8.
    """
    mse = ((pred - target) ** 2).flatten(1).mean(1)
    return torch.log10(mse + 1e-8).mean()


def fft_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between 2-D spectra (real and imaginary parts), as MIMO-UNet/Stripformer:
    blur removes high frequencies, which a pixel loss barely sees."""
    fp = torch.fft.rfft2(pred.float(), norm="ortho")
    ft = torch.fft.rfft2(target.float(), norm="ortho")
    return F.l1_loss(torch.view_as_real(fp), torch.view_as_real(ft))


def _gauss(size: int = 11, sigma: float = 1.5, device=None) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32, device=device) - size // 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def ssim(pred: torch.Tensor, target: torch.Tensor, size: int = 11) -> torch.Tensor:
    """Differentiable SSIM (Wang et al. 2004, 11x11 Gaussian window, sigma 1.5) of
    NxCxHxW images in [0, 1]; windows that fit ("valid"), mean over everything."""
    c = pred.shape[1]
    size = min(size, pred.shape[-2], pred.shape[-1])
    g = _gauss(size, device=pred.device)
    wx, wy = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1), g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(x):
        return F.conv2d(F.conv2d(x, wx, groups=c), wy, groups=c)

    pred, target = pred.float(), target.float()
    mu_p, mu_t = blur(pred), blur(target)
    var_p = blur(pred * pred) - mu_p ** 2
    var_t = blur(target * target) - mu_t ** 2
    cov = blur(pred * target) - mu_p * mu_t
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_p * mu_t + c1) * (2 * cov + c2)) / ((mu_p ** 2 + mu_t ** 2 + c1) * (var_p + var_t + c2))
    return s.mean()


def ssim_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 1 - ssim(pred, target)


def d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator loss from logits on real and generated images."""
    if kind == "bce":  # the report: (BCE(D(sharp), 1) + BCE(D(G(blur)), 0)) / 2
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))) / 2
    if kind == "lsgan":  # Mao et al. 2017: least squares toward 1 (real) and 0 (fake)
        return ((real - 1) ** 2).mean() / 2 + (fake ** 2).mean() / 2
    if kind == "ragan-ls":  # relativistic average LSGAN (DeblurGAN-v2): real vs the mean fake
        return (((real - fake.mean() - 1) ** 2).mean() + ((fake - real.mean() + 1) ** 2).mean()) / 2
    if kind == "hinge":  # SAGAN / BigGAN
        return (F.relu(1 - real).mean() + F.relu(1 + fake).mean()) / 2
    raise ValueError(f"unknown adversarial loss {kind!r} ({', '.join(ADVERSARIAL_LOSSES)})")


def g_adv_loss(kind: str, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
    """Generator's adversarial term from logits on its images; RaGAN-LS also needs the
    logits on real images (detached: only the generator learns from this term)."""
    if kind == "bce":  # the report: BCE(D(G(blur)), 1)
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    if kind == "lsgan":
        return ((fake - 1) ** 2).mean() / 2
    if kind == "ragan-ls":
        if real is None:
            raise ValueError("ragan-ls needs the discriminator's logits on real images")
        return (((fake - real.mean() - 1) ** 2).mean() + ((real - fake.mean() + 1) ** 2).mean()) / 2
    if kind == "hinge":
        return -fake.mean()
    raise ValueError(f"unknown adversarial loss {kind!r} ({', '.join(ADVERSARIAL_LOSSES)})")
