"""In which convention were Levin et al. 2009's pairs blurred? (Not a test; the figure is
quoted in core/data/synth.py and docs/default-model.md.)

    python benchmarks/levin_blur_convention.py [../shared/data/real_pairs/levin2009]

Each sharp image is convolved with its given kernel twice, once on the stored values and
once in linear light (sRGB gamma undone, then redone), and compared with the real blurred
image at the best integer shift within +-4 px (the kernels are not centred), borders
excluded. Result on 2026-11-29: stored values 31.0 dB mean, linear light 26.8 dB.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.signal import fftconvolve


def srgb_to_linear(x):
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x):
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055)


def best_psnr(a: np.ndarray, b: np.ndarray, shift: int = 4, border: int = 20) -> float:
    inner = (slice(border, -border), slice(border, -border))
    mse = min(((np.roll(a, (dy, dx), (0, 1))[inner] - b[inner]) ** 2).mean()
              for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1))
    return float(10 * np.log10(1 / mse))


def grey(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("L"), np.float64) / 255


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data/real_pairs/levin2009")
    stored, linear = [], []
    for blur_path in sorted((root / "blur").glob("*.png")):
        j = blur_path.stem.split("kernel")[1]
        y, x = grey(blur_path), grey(root / "sharp" / blur_path.name)
        k = np.load(root / "kernels" / f"kernel{j}.npy").astype(np.float64)
        k /= k.sum()
        stored.append(best_psnr(fftconvolve(x, k, "same"), y))
        linear.append(best_psnr(linear_to_srgb(fftconvolve(srgb_to_linear(x), k, "same")), y))
        print(f"{blur_path.name}: stored values {stored[-1]:.2f} dB, linear light {linear[-1]:.2f} dB")
    print(f"mean over {len(stored)} pairs: stored values {np.mean(stored):.2f} dB, linear light {np.mean(linear):.2f} dB")


if __name__ == "__main__":
    main()
