"""Named training recipes: `deblur train --preset report|best` starts from one of these.

`report` is exactly the report's recipe (and equals the config defaults): the seed GAN,
BCE + 100 x L1, Adam 2e-4 with betas (0.5, 0.999), batch 8, 256 px crops of images
downscaled to 640 px. `best` is what the quality study (docs/quality-study.md) measured
to work best per CPU-second on the same data: nafnet-s, Charbonnier + FFT, AdamW +
cosine, EMA, with the GAN term *off* (the adversarial step doubled the cost per step and
lowered PSNR and SSIM there). Its adversarial settings stay tuned for when the GAN is
switched on (`--gan`): a light RaGAN-LS term against a spectral-norm PatchGAN.
`refine` trains the kernel-aware refiner (shake reduction's last stage) with `best`'s
optimiser and losses on synthetic pairs made from sharp photos (docs/refine-model.md).
"""
from __future__ import annotations

from core.config import RunConfig

PRESETS = ("report", "best", "refine")


def preset(name: str) -> RunConfig:
    cfg = RunConfig()
    if name == "report":
        return cfg
    if name == "best":
        cfg.model.name = "nafnet-s"
        cfg.loss.pixel, cfg.loss.pixel_weight = "charbonnier", 1.0
        cfg.loss.fft_weight = 0.05
        cfg.loss.gan, cfg.loss.adversarial, cfg.loss.adv_weight = False, "ragan-ls", 0.005
        cfg.loss.d_warmup_steps = 200
        cfg.model.options = {"discriminator": {"spectral_norm": True}}
        t = cfg.train
        t.optimizer, t.lr_g, t.lr_d, t.betas, t.weight_decay = "adamw", 1e-3, 2e-4, (0.9, 0.9), 1e-3
        t.scheduler, t.warmup_steps, t.grad_clip, t.ema_decay = "cosine", 100, 0.5, 0.999
        t.batch_size = 8
        return cfg
    if name == "refine":
        cfg = preset("best")
        cfg.model.name = "refine"
        cfg.model.options = {}
        d = cfg.data
        # native size: the refiner repairs deconvolution artefacts at the photo's own scale;
        # kernels up to 35 px, the engine's working window (larger blurs are estimated smaller)
        d.synthetic, d.max_side, d.crop, d.synth_max_kernel = True, None, 128, 35
        d.val_crop, d.val_fraction, d.repeat = 192, 0.05, 10
        return cfg
    raise ValueError(f"unknown preset {name!r} ({', '.join(PRESETS)})")
