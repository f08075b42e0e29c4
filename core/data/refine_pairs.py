"""Training pairs for the kernel-aware refiner: (blurred, deconvolved) -> sharp.

The refiner repairs what shake reduction's deconvolution leaves, and most of what it
leaves comes from a wrong kernel, so a pair is made as the engine would make it on a
real photo:

1. a sharp crop blurred by a synthetic shake kernel with camera noise and JPEG
   (`core.data.synth`, the same generator as every other model's pairs);
2. the kernel *perturbed* as the estimator errs (`perturb_kernel`): scaled (the blur's
   length misjudged), thickened (a smeared estimate), partly wrong (a piece of the path
   missed, faint specks of spurious mass), or left exact;
3. the blurred crop deconvolved with that kernel by the engine's own deconvolution
   (`core.shake.engine.deconvolve_rgb_steps`: same prior, same weight from the
   measured noise, same colour handling), so training and use see the same artefacts;
4. a share of pairs (`DataConfig.refine_estimator_share`) uses the real estimator's
   kernel instead, computed on the blurred crop, when the engine would trust it (else a
   perturbed one); those pairs are kept in a small pool and reused, as an estimate
   costs ~1 s.

The perturbations are centroid-neutral by construction except "partly wrong", which
moves the centroid as a real estimate with a missed segment does; the engine centres
its kernels on their centroid, and so does the deconvolution here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from core.data import synth
from core.shake.analysis import noise_sigma
from core.shake.engine import ShakeOptions, ShakeReducer, deconvolve_rgb, luminance


@dataclass(frozen=True)
class KernelErrors:
    """How often and how much the deconvolution's kernel differs from the true one.

    Mild on purpose: the refiner only ever sees photos whose two independent estimates
    agreed (confidence >= 0.75), whose kernels are close. A first run with errors twice
    as large (scale 0.8-1.25 on half the pairs, 10-40 % of the path missed on 30 %)
    taught the model to hedge towards the blurred input, and it lost 1.3 dB on Levin's
    real shake against the deconvolution alone (docs/refine-model.md)."""
    exact_prob: float = 0.35
    scale_prob: float = 0.4
    scale_range: tuple[float, float] = (0.9, 1.1)
    thicken_prob: float = 0.3
    thicken_sigma: float = 0.7   # up to this Gaussian width, px
    partial_prob: float = 0.2
    partial_keep: tuple[float, float] = (0.8, 0.95)  # share of the path's mass kept
    speck_prob: float = 0.3
    speck_mass: float = 0.05     # up to this share of the mass moved into faint specks


@dataclass
class Perturbation:
    """What `perturb_kernel` did (tests check the kernel's moments against it)."""
    scale: float = 1.0
    sigma: float = 0.0
    kept: float = 1.0
    specks: float = 0.0

    @property
    def exact(self) -> bool:
        return self.scale == 1.0 and self.sigma == 0.0 and self.kept == 1.0 and self.specks == 0.0


def centroid(k: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(k.shape)
    s = k.sum()
    return float((ys * k).sum() / s), float((xs * k).sum() / s)


def second_moment(k: np.ndarray) -> float:
    """Mean squared distance of the kernel's mass from its centroid, px^2."""
    cy, cx = centroid(k)
    ys, xs = np.indices(k.shape)
    return float((((ys - cy) ** 2 + (xs - cx) ** 2) * k).sum() / k.sum())


def scale_kernel(k: np.ndarray, s: float) -> np.ndarray:
    """The kernel stretched by `s` about its centroid (linear resampling), sum 1."""
    n = k.shape[0]
    m = int(math.ceil(n * max(s, 1.0))) + 2
    m += 1 - m % 2
    big = np.zeros((m, m), np.float64)
    o = (m - n) // 2
    big[o:o + n, o:o + n] = k
    cy, cx = centroid(big)
    # output pixel q samples input at c + (q - c) / s
    out = ndimage.affine_transform(big, np.eye(2) / s, offset=np.array([cy, cx]) * (1 - 1 / s), order=1)
    out = np.maximum(out, 0)
    return (out / out.sum()).astype(np.float32) if out.sum() > 0 else k


def perturb_kernel(k: np.ndarray, rng: np.random.Generator,
                   errors: KernelErrors = KernelErrors()) -> tuple[np.ndarray, Perturbation]:
    """A plausible wrong estimate of `k` and a record of what was changed."""
    rec = Perturbation()
    k = np.asarray(k, np.float64)
    if k.shape[0] < 3 or rng.random() < errors.exact_prob:
        return k.astype(np.float32), rec
    if rng.random() < errors.scale_prob:
        lo, hi = errors.scale_range
        rec.scale = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        k = scale_kernel(k, rec.scale).astype(np.float64)
    if rng.random() < errors.thicken_prob:
        rec.sigma = float(rng.uniform(0.3, errors.thicken_sigma))
        k = synth.widen(k.astype(np.float32), rec.sigma).astype(np.float64)
    if rng.random() < errors.partial_prob:
        # a missed segment: the end of the path farthest along a random direction loses
        # its mass, pixel by pixel from the far end, until only the target share is left
        cy, cx = centroid(k)
        a = rng.uniform(0, 2 * math.pi)
        ys, xs = np.indices(k.shape)
        d = ((ys - cy) * math.sin(a) + (xs - cx) * math.cos(a)).ravel()
        target = rng.uniform(*errors.partial_keep)
        flat = (k / k.sum()).ravel().copy()
        order = np.argsort(-d)
        to_remove = 1.0 - target
        for i in order:
            take = min(flat[i], to_remove)
            flat[i] -= take
            to_remove -= take
            if to_remove <= 1e-12:
                break
        rec.kept = float(flat.sum())
        k = flat.reshape(k.shape) / flat.sum()
    if rng.random() < errors.speck_prob:
        # faint spurious mass scattered over the window, as L0 estimates carry
        rec.specks = float(rng.uniform(0.01, errors.speck_mass))
        n = k.shape[0]
        specks = np.zeros_like(k)
        idx = rng.integers(0, n, size=(int(rng.integers(3, 12)), 2))
        np.add.at(specks, (idx[:, 0], idx[:, 1]), rng.random(len(idx)))
        specks = ndimage.gaussian_filter(specks, 0.7)
        k = (1 - rec.specks) * k / k.sum() + rec.specks * specks / specks.sum()
    return (k / k.sum()).astype(np.float32), rec


# ---- pairs ------------------------------------------------------------------------------
def _hwc(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.permute(1, 2, 0).numpy(), dtype=np.float32)


def _chw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def deconvolve_like_engine(blur: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    """CxHxW blurred -> its deconvolution with `kernel`, as the engine does it (noise
    measured on the image itself sets the prior's weight)."""
    img = _hwc(blur)
    noise = noise_sigma(luminance(img))
    return _chw(deconvolve_rgb(img, kernel, noise))


def estimate(blur: torch.Tensor, max_kernel: int | None):
    """The real estimator's report for a blurred crop or photo (about 1 s): its kernel
    window a little larger than the longest blur made, or (None) chosen from the photo
    as the engine does. `.deconvolved` says whether the engine would go on."""
    reducer = ShakeReducer(ShakeOptions(kernel_size=max(9, max_kernel + 4) if max_kernel else None))
    return reducer.estimate(_hwc(blur))


def estimated_kernel(blur: torch.Tensor, max_kernel: int | None) -> np.ndarray:
    return estimate(blur, max_kernel).kernel.astype(np.float32)


def refine_pair(region: torch.Tensor, rng: np.random.Generator, cfg,
                errors: KernelErrors = KernelErrors(), estimator: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(blurred, deconvolved, sharp) CxHxW for a sharp region (a crop plus the kernel's
    reach on each side: the caller cuts the crop out of all three, so the crop's
    deconvolution has no border of its own). `estimator`: the real estimator's kernel
    instead of a perturbed true one."""
    kernels: list[np.ndarray] = []
    blur, sharp = synth.training_pair(region, rng, cfg, kernels)
    k = kernels[0]
    k_dec = None
    if estimator:
        report = estimate(blur, cfg.synth_max_kernel)
        # the engine refines only what it deconvolved: an estimate it would not trust
        # is no example of what the refiner will see
        k_dec = report.kernel.astype(np.float32) if report.deconvolved else None
    if k_dec is None:
        k_dec, _ = perturb_kernel(k, rng, errors)
    return blur, deconvolve_like_engine(blur, k_dec), sharp


def stack(blur: torch.Tensor, deconvolved: torch.Tensor) -> torch.Tensor:
    """The refiner's input: blurred and deconvolved stacked on the channel axis."""
    return torch.cat([blur, deconvolved], dim=0)
