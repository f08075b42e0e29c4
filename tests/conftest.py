"""Shared fixtures: tiny real image data made on the fly (no ../shared needed)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random 'photo' (low-frequency colour field + some edges), uint8 HxWx3."""
    small = rng.random((max(2, h // 8), max(2, w // 8), 3))
    im = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), dtype=np.float32)
    y0, x0 = rng.integers(0, h // 2), rng.integers(0, w // 2)
    im[y0:y0 + h // 3, x0:x0 + w // 3] = rng.random(3) * 255
    return im.clip(0, 255).astype(np.uint8)


def _blur(a: np.ndarray, k: int = 5) -> np.ndarray:
    """Horizontal box blur: a cheap stand-in for motion blur."""
    f = a.astype(np.float32)
    out = sum(np.roll(f, s, axis=1) for s in range(-(k // 2), k // 2 + 1)) / k
    return out.round().astype(np.uint8)


def write_pair(blur_dir: Path, sharp_dir: Path, name: str, rng, size=(48, 64)) -> None:
    blur_dir.mkdir(parents=True, exist_ok=True)
    sharp_dir.mkdir(parents=True, exist_ok=True)
    s = _photo(rng, *size)
    Image.fromarray(s).save(sharp_dir / name)
    Image.fromarray(_blur(s)).save(blur_dir / name)


@pytest.fixture(scope="session")
def spread_generator():
    """(generator, RunConfig): a 1-block seed generator with random weights, non-trivial
    BatchNorm statistics (as a trained model has) and its output spread over [0, 1] (a
    random net gives ~0.5 everywhere), so tiles and flipped views make real differences.
    Deblurrer fuses BatchNorm into a copy, so users never change it."""
    import torch

    from core.config import RunConfig
    from core.models import build_generator

    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}
    torch.manual_seed(0)
    g = build_generator(cfg.model)
    for m in g.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    with torch.no_grad():
        g.decoder[-2].weight.mul_(20)
    return g.eval(), cfg


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory) -> Path:
    """A tiny random seed generator (1 residual block) written through the real
    checkpoint + safetensors export path; the .safetensors file."""
    import torch

    from core.config import RunConfig
    from core.model_files import export_safetensors
    from core.models import build_generator
    from core.model_files import save_checkpoint

    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("models")
    save_checkpoint(folder / "tiny.pt", cfg, build_generator(cfg.model), epoch=1)
    return export_safetensors(folder / "tiny.pt", folder / "tiny.safetensors")


@pytest.fixture
def make_gopro(tmp_path):
    """make_gopro(scenes=3, per_scene=3, size=(h, w)) -> root of a GoPro-layout tree."""
    def make(scenes: int = 3, per_scene: int = 3, size=(48, 64), test_scenes: int = 1, seed: int = 0) -> Path:
        rng = np.random.default_rng(seed)
        root = tmp_path / "gopro"
        for split, n in (("train", scenes), ("test", test_scenes)):
            for s in range(n):
                scene = root / split / f"GOPR{s:04d}_{split}"
                for i in range(per_scene):
                    write_pair(scene / "blur", scene / "sharp", f"{i:06d}.png", rng, size)
                (scene / "blur_gamma").mkdir(exist_ok=True)  # present in GoPro, must be ignored
        return root
    return make


@pytest.fixture
def make_flat(tmp_path):
    """make_flat(n=4, size=(h, w)) -> root with blur/ and sharp/ holding the same names."""
    def make(n: int = 4, size=(48, 64), seed: int = 0, name: str = "flat") -> Path:
        rng = np.random.default_rng(seed)
        root = tmp_path / name
        for i in range(n):
            write_pair(root / "blur", root / "sharp", f"img{i:02d}.png", rng, size)
        return root
    return make
