"""Rebuild resources/samples/ (the bundled blurred photos of the README quick start).

- clock_motion.png: scikit-image's real camera-shake photo (public domain, by Stefan
  van der Walt), copied from the installed skimage package.
- kodim08_shake.png: Kodak's kodim08 (Kodak: unrestricted usage), blurred by our own
  generator (core.data.synth) with a fixed 11 px shake kernel and sensor noise. kodim08
  is held apart from the default model's training (its validation split).

    python scripts/make_samples.py [KODAK_DIR]   # default ../shared/data/sharp/kodak24
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import skimage
from PIL import Image

from core.data import synth
from core.data.tensors import to_tensor
from core.data.imageio import read_rgb, to_uint8

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "samples"


def main() -> None:
    kodak = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "sharp" / "kodak24")
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(skimage.__file__).parent / "data" / "clock_motion.png", OUT / "clock_motion.png")
    sharp = to_tensor(read_rgb(kodak / "kodim08.png"))
    opts = synth.SynthOptions(linear_prob=0, noise_prob=1, jpeg_prob=0, highlight_prob=0)
    blur, _ = synth.make_pair(sharp, np.random.default_rng([2026, 4]), opts, extent=11)
    Image.fromarray(to_uint8(blur.permute(1, 2, 0).numpy())).save(OUT / "kodim08_shake.png", optimize=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
