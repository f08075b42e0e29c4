"""Synthetic camera shake: blurred/sharp training pairs from any sharp photo.

DeblurGAN (Kupyn et al. 2018) showed that random camera-shake trajectories applied
to sharp photos make useful pairs. A pair is made the way a camera makes it:

1. a trajectory: a random walk with inertia, a pull back to the start and occasional
   jerks (Boracchi & Foi 2012, as DeblurGAN), or a straight line; only a random part
   of it falls inside the exposure;
2. rasterised sub-pixel (bilinear splats, dense in time, so slow parts weigh more)
   into a kernel that sums to 1 and is centred on its centroid, so the blurred image
   stays aligned with the sharp one and the model learns no shift;
3. applied in linear light (sRGB gamma undone) for some pairs and to the stored values
   for the rest, with saturated highlights optionally boosted first and clipped after
   the blur, as in real night photos. Both conventions exist in real data: a camera
   blurs light before its tone curve, but benchmark pairs such as Levin 2009 match a
   blur of the stored values (31.0 dB) far better than one in linear light (26.8 dB).
   A model trained on one convention learns its brightness shift (linear-light blur
   brightens textured sRGB photos) and applies it wrongly to the other;
4. then shot + read noise, back to sRGB, 8-bit quantisation and optional JPEG.

Everything draws from one `np.random.Generator`, so a seed gives the same pair.
"""
from __future__ import annotations

import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from PIL import Image

from core.data.imageio import ImageReadError, is_image_path, read_rgb, to_uint8
from core.data.pairs import DataError
from core.data.tensors import downscale, reflect_pad, to_tensor
from core.events import PairSynthesised
from core.fileutil import atomic_save


@dataclass(frozen=True)
class SynthOptions:
    max_kernel: int = 31  # longest blur extent in px (the kernel's support, longer side)
    min_kernel: int = 3
    linear_prob: float = 0.15  # straight-line motion instead of shake
    sharp_prob: float = 0.05  # some pairs left unblurred: sharp input must stay sharp
    noise_prob: float = 0.8
    jpeg_prob: float = 0.25
    highlight_prob: float = 0.3
    lens_sigma: float = 0.6  # up to this Gaussian width (px) widens the thin motion path
    grey_prob: float = 0.1  # training pairs made grey (black-and-white photos exist)
    linear_light_prob: float = 0.5  # blur in linear light; otherwise in stored (sRGB) values


# ---- kernels --------------------------------------------------------------------
def shake_path(rng: np.random.Generator, steps: int = 2000) -> np.ndarray:
    """A camera-shake trajectory as complex points (arbitrary scale), after DeblurGAN's
    `Trajectory`: constant speed, Gaussian jitter, centripetal pull, rare big jerks.
    The 'anxiety' (jitter strength) is drawn too, from almost straight to very jerky."""
    max_len = 60.0
    expl = 0.005 * rng.uniform(0.2, 2.0)
    centripetal = 0.7 * rng.random()
    prob_big = 0.2 * rng.random()
    gaussian = 10.0 * rng.random()
    step_len = max_len / (steps - 1)
    v = np.exp(1j * rng.uniform(0, 2 * np.pi)) * step_len
    jitter = rng.standard_normal((steps, 2)) @ np.array([1, 1j])
    jerk = rng.random(steps) < prob_big * expl
    turn = np.exp(1j * (np.pi + rng.random(steps) - 0.5))
    x = np.zeros(steps, complex)
    for t in range(steps - 1):  # sequential by nature: each velocity depends on the last
        nxt = 2 * v * turn[t] if jerk[t] else 0
        v = v + nxt + expl * (gaussian * jitter[t] - centripetal * x[t]) * step_len
        v = v / (abs(v) + 1e-12) * step_len
        x[t + 1] = x[t] + v
    # only part of the motion falls inside the exposure
    frac = rng.uniform(0.4, 1.0)
    n = max(2, int(steps * frac))
    start = int(rng.integers(0, steps - n + 1))
    return x[start:start + n]


def line_path(rng: np.random.Generator, steps: int = 64) -> np.ndarray:
    return np.linspace(0, 1, steps) * np.exp(1j * rng.uniform(0, np.pi))


def rasterize(path: np.ndarray, extent: int) -> np.ndarray:
    """Kernel (odd KxK float32, sums to 1) of `path` scaled so its longer bounding-box
    side spans extent-1 px (the support is then extent or extent+1 px), with the
    centroid exactly on the centre pixel: bilinear splatting preserves the mean."""
    if extent <= 1:
        return np.ones((1, 1), np.float32)
    t = np.linspace(0, len(path) - 1, max(len(path), 8 * extent))  # dense in time
    p = np.interp(t, np.arange(len(path)), path.real) + 1j * np.interp(t, np.arange(len(path)), path.imag)
    span = max(np.ptp(p.real), np.ptp(p.imag))
    if span < 1e-9:
        return np.ones((1, 1), np.float32)
    p = (p - p.mean()) * ((extent - 1) / span)
    half = int(math.ceil(max(np.abs(p.real).max(), np.abs(p.imag).max()))) + 1
    size = 2 * half + 1
    xs, ys = p.real + half, p.imag + half
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    k = np.zeros((size, size), np.float64)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            np.add.at(k, (y0 + dy, x0 + dx), wy * wx)
    return (k / k.sum()).astype(np.float32)


def random_kernel(rng: np.random.Generator, opts: SynthOptions = SynthOptions(),
                  extent: int | None = None) -> np.ndarray:
    """A random shake (or line) kernel; `extent` None draws one in [min, max]."""
    if extent is None:
        if rng.random() < opts.sharp_prob:
            return np.ones((1, 1), np.float32)
        extent = int(rng.integers(opts.min_kernel, max(opts.min_kernel, opts.max_kernel) + 1))
    path = line_path(rng) if rng.random() < opts.linear_prob else shake_path(rng)
    k = rasterize(path, extent)
    return widen(k, rng.uniform(0, opts.lens_sigma)) if opts.lens_sigma > 0 else k


def widen(kernel: np.ndarray, sigma: float) -> np.ndarray:
    """The kernel convolved with a Gaussian of `sigma` px: real camera-shake kernels are
    strokes with some width (lens, sensor), not one-pixel lines. Symmetric, so the sum
    and the centroid are kept; the support grows by ceil(2 sigma) px on each side."""
    r = int(math.ceil(2 * sigma))
    if sigma < 0.05 or r == 0:
        return kernel
    g = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    g /= g.sum()
    k = np.pad(kernel.astype(np.float64), r)
    k = np.apply_along_axis(np.convolve, 0, k, g, "same")
    k = np.apply_along_axis(np.convolve, 1, k, g, "same")
    return (k / k.sum()).astype(np.float32)


def support_extent(kernel: np.ndarray, eps: float = 0.0) -> int:
    """Longer side of the bounding box of the kernel's non-zero weights, in px."""
    ys, xs = np.nonzero(kernel > eps)
    return int(max(np.ptp(ys), np.ptp(xs)) + 1)


# ---- image formation ------------------------------------------------------------
def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0, 1)
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp_min(1e-8) ** (1 / 2.4) - 0.055)


def convolve(img: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    """CxHxW convolved with a KxK kernel, same size (edges reflected). By FFT: a 31 px
    kernel costs ~30x less than a depthwise conv2d on a CPU, and it is exact."""
    ks = kernel.shape[0]
    if ks == 1:
        return img * float(kernel[0, 0])
    c, h, w = img.shape
    pad = ks // 2
    x = reflect_pad(img, pad, pad, pad, pad)
    size = (x.shape[-2] + ks - 1, x.shape[-1] + ks - 1)  # full linear convolution, no wrap
    k = torch.from_numpy(kernel).to(torch.float32)
    y = torch.fft.irfft2(torch.fft.rfft2(x.float(), size) * torch.fft.rfft2(k, size), size)
    return y[:, ks - 1:ks - 1 + h, ks - 1:ks - 1 + w].to(img.dtype)


def degrade(sharp: torch.Tensor, kernel: np.ndarray, rng: np.random.Generator,
            opts: SynthOptions = SynthOptions()) -> torch.Tensor:
    """sRGB CxHxW in [0,1] -> the camera's blurred, noisy, quantised photo of it."""
    linear_light = rng.random() < opts.linear_light_prob
    srgb = sharp.float().clamp(0, 1)
    lin = srgb_to_linear(srgb)
    x = lin if linear_light else srgb
    if rng.random() < opts.highlight_prob:
        # Clipped highlights were brighter than 1 in the scene: boost them so the blur
        # spreads them into bright streaks (the clip comes after the blur).
        lum = lin.max(0, keepdim=True).values
        # Only pixels at the 8-bit ceiling (sRGB >= ~250) were clipped: anything darker
        # is the scene's true value, and boosting it would teach a global darkening.
        w = ((lum - 0.95) / 0.05).clamp(0, 1)
        x = x * (1 + float(rng.uniform(0.5, 4.0)) * w * w * (3 - 2 * w))
    out = convolve(x, kernel).clamp(0, 1)
    if not linear_light:
        out = srgb_to_linear(out)  # the sensor's noise is added in linear light either way
    if rng.random() < opts.noise_prob:
        shot = 10 ** rng.uniform(-5, -2.7)  # variance per unit of signal (photon noise)
        read = 10 ** rng.uniform(-4, -2.5)  # std of signal-independent sensor noise
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        noise = torch.randn(out.shape, generator=gen, dtype=out.dtype)
        out = (out + noise * torch.sqrt(out * shot + read**2)).clamp(0, 1)
    out = torch.round(linear_to_srgb(out) * 255) / 255
    if rng.random() < opts.jpeg_prob:
        out = jpeg(out, int(rng.integers(60, 96)))
    return out.to(sharp.dtype)


def jpeg(img: torch.Tensor, quality: int) -> torch.Tensor:
    a = (img.permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        b = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(np.ascontiguousarray(b.transpose(2, 0, 1)))


def options_from(cfg) -> SynthOptions:
    return SynthOptions(max_kernel=cfg.synth_max_kernel, min_kernel=min(3, cfg.synth_max_kernel),
                        linear_light_prob=cfg.synth_linear_light)


def training_pair(sharp: torch.Tensor, rng: np.random.Generator, cfg,
                  kernels: list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(blurred, sharp) for a training crop: sometimes both made grey, then blurred.
    `kernels`: a list the kernel used is appended to (the refiner's pairs need it)."""
    opts = options_from(cfg)
    grey = rng.random() < opts.grey_prob
    k = random_kernel(rng, opts)
    if kernels is not None:
        kernels.append(k)
    if not grey:
        return degrade(sharp, k, rng, opts), sharp
    # a black-and-white photo is made grey after capture: its noise is grey too
    sharp = _grey(sharp)
    return _grey(degrade(sharp, k, rng, opts)), sharp


def _grey(x: torch.Tensor) -> torch.Tensor:
    return (x * torch.tensor([0.299, 0.587, 0.114]).to(x)[:, None, None]).sum(0, keepdim=True).expand_as(x)


def make_pair(sharp: torch.Tensor, rng: np.random.Generator, opts: SynthOptions = SynthOptions(),
              extent: int | None = None) -> tuple[torch.Tensor, np.ndarray]:
    """(blurred CxHxW, kernel) for one sharp CxHxW image."""
    k = random_kernel(rng, opts, extent)
    return degrade(sharp, k, rng, opts), k


def _save_npy(path: Path, a: np.ndarray) -> None:
    with open(path, "wb") as f:  # np.save(str) would append .npy to the temp name
        np.save(f, a)


# ---- a pair folder on disk (`deblur synth`) --------------------------------------
def synth_folder(sharp_dir: str | Path, out_dir: str | Path, seed: int = 0,
                 opts: SynthOptions = SynthOptions(), max_side: int | None = None) -> Iterator[PairSynthesised]:
    """Write a flat pair folder: blur/<name>.png, sharp/<name>.png (the possibly
    downscaled source, lossless), kernels/<name>.npy and a kernels/<name>.png to look at.
    Each pair's randomness comes from (seed, file name), so a pair does not change when
    other photos are added; a file that cannot be read is reported and skipped."""
    sharp_dir, out_dir = Path(sharp_dir), Path(out_dir)
    if not sharp_dir.is_dir():
        raise DataError(f"{sharp_dir}: folder not found")
    files = sorted(p for p in sharp_dir.rglob("*") if p.is_file() and is_image_path(p)
                   and out_dir.resolve() not in p.resolve().parents)
    if not files:
        raise DataError(f"{sharp_dir}: no images found")
    for i, path in enumerate(files, 1):
        rel = path.relative_to(sharp_dir).with_suffix("")
        name = "_".join(rel.parts) + ".png"  # flat: sub/x.jpg -> sub_x.png
        try:
            sharp = downscale(to_tensor(read_rgb(path)), max_side)
        except ImageReadError as e:
            yield PairSynthesised(i, len(files), name, 0, str(e))
            continue
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        blur, k = make_pair(sharp, rng, opts)
        for sub, img in (("blur", blur), ("sharp", sharp)):
            a = to_uint8(img.permute(1, 2, 0).numpy())
            atomic_save(out_dir / sub / name, lambda p, a=a: Image.fromarray(a).save(p, format="PNG"))
        atomic_save(out_dir / "kernels" / (Path(name).stem + ".npy"), lambda p: _save_npy(p, k))
        kv = to_uint8(k / k.max())
        atomic_save(out_dir / "kernels" / name, lambda p: Image.fromarray(kv).save(p, format="PNG"))
        yield PairSynthesised(i, len(files), name, support_extent(k))
