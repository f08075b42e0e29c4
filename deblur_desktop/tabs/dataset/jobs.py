"""The Dataset tab's work off the GUI thread: a pair (or an evaluated result) read for
the compare view, with its scores. Nothing here touches a widget; the tab runs these
with `workers.start_call`.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import torch

from core.data import synth
from core.data.imageio import read_rgb, to_uint8
from core.data.pairs import ImagePair
from core.metrics import psnr, ssim


def synth_preview(sharp: np.ndarray, seed: int) -> np.ndarray:
    """Synthetic camera-shake blur of a float HxWx3 image, as training would make it."""
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(np.ascontiguousarray(sharp.transpose(2, 0, 1)))
    # sharp_prob=0: training keeps a few pairs unblurred, a preview should always show blur
    blurred, _kernel = synth.make_pair(x, rng, synth.SynthOptions(sharp_prob=0.0))
    return blurred.numpy().transpose(1, 2, 0)


def load_pair(pair: ImagePair) -> dict:
    """Both images as uint8 plus PSNR/SSIM of blurred vs sharp. Sharp-only data gets a
    synthetic blur, seeded by the file name so a photo always shows the same."""
    sharp = read_rgb(pair.sharp)
    synthetic = pair.blur is None
    blur = synth_preview(sharp, zlib.crc32(pair.sharp.name.encode())) if synthetic else read_rgb(pair.blur)
    b, s = to_uint8(blur), to_uint8(sharp)
    out = {"pair": pair, "sharp": s, "blur": b, "synthetic": synthetic}
    if b.shape == s.shape:
        out["psnr"], out["ssim"] = psnr(b, s), ssim(b, s)
    return out


def load_result(pair: ImagePair, model: str, result_path: Path | None) -> dict:
    """Blurred, the saved result (the blurred itself for the baseline), sharp."""
    b, s = to_uint8(read_rgb(pair.blur)), to_uint8(read_rgb(pair.sharp))
    r = b if result_path is None else to_uint8(read_rgb(result_path))
    return {"pair": pair, "model": model, "blur": b, "result": r, "sharp": s,
            "psnr": psnr(r, s), "ssim": ssim(r, s), "psnr_blur": psnr(b, s), "ssim_blur": ssim(b, s)}
