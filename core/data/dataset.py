"""Torch datasets over discovered pairs: resize, crop, flip; deterministic per epoch.

Randomness comes only from (seed, epoch, index), never from global RNG state, so a
run resumed from a checkpoint sees exactly the batches the uninterrupted run saw, and
every DDP rank can compute its share of the same epoch order.
"""
from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import Dataset

from core.config import DataConfig
from core.data import synth
from core.data.imageio import image_size, read_rgb
from core.data.pairs import DataError, ImagePair, PairSet
from core.data.tensors import downscale, pad_to_size, to_tensor

VAL_SPLIT_NAMES = ("val", "valid", "validation")
PRELOAD_BYTES = 1 << 30  # sharp-only training photos are held decoded when they fit in this


def split_train_val(pairset: PairSet, val_fraction: float, seed: int) -> tuple[list[ImagePair], list[ImagePair]]:
    """Train/validation pairs. A val split in the data wins; otherwise a seeded part of
    the training pairs is held apart, whole scenes at a time when there are scenes (GoPro
    frames of one scene are near-duplicates). A test split is left for `deblur eval`."""
    splits = pairset.splits()
    for name in VAL_SPLIT_NAMES:
        if name in splits:
            train = [p for k, v in splits.items() if k not in VAL_SPLIT_NAMES + ("test",) for p in v]
            return train, splits[name]
    pool = splits.get("train") or [p for k, v in splits.items() if k != "test" for p in v]
    if not pool:
        pool = splits.get("test", [])
    if len(pool) < 2:
        raise DataError(f"{pairset.root}: need at least 2 usable pairs to train and validate, found {len(pool)}")
    rng = random.Random(seed)
    n_val = max(1, round(len(pool) * val_fraction))
    scenes = sorted({p.scene for p in pool})
    if len(scenes) >= 2:
        rng.shuffle(scenes)
        val_scenes: set[str] = set()
        count = 0
        for s in scenes[:-1]:  # always leave at least one scene for training
            if count >= n_val:
                break
            val_scenes.add(s)
            count += sum(1 for p in pool if p.scene == s)
        val = [p for p in pool if p.scene in val_scenes]
        train = [p for p in pool if p.scene not in val_scenes]
    else:
        idx = list(range(len(pool)))
        rng.shuffle(idx)
        val_idx = set(idx[:n_val])
        val = [p for i, p in enumerate(pool) if i in val_idx]
        train = [p for i, p in enumerate(pool) if i not in val_idx]
    return train, val


def epoch_order(n: int, epoch: int, seed: int) -> list[int]:
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return torch.randperm(n, generator=g).tolist()


class PairDataset(Dataset):
    """(blur, sharp) float tensors in [0, 1]; training crops or whole validation images."""

    def __init__(self, pairs: list[ImagePair], cfg: DataConfig, train: bool, seed: int = 0,
                 kernel_aware: bool = False):
        """`kernel_aware`: inputs are the blurred photo and its deconvolution stacked (6
        channels), for the refiner (core.data.refine_pairs)."""
        self.pairs = list(pairs)
        self.kernel_aware = kernel_aware
        # refiner pairs with the real estimator in the loop: ~1 s each, so made once and
        # reused (training); validation items are fixed, so each is made once (cache)
        self._estimated: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._deconvolved: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.cfg = cfg
        self.train = train
        self.seed = seed
        self.epoch = 0
        self.repeat = max(1, cfg.repeat) if train else 1  # crops per photo per epoch
        self._decoded: dict[str, torch.Tensor] = {}

    def preload(self, max_bytes: int = PRELOAD_BYTES) -> bool:
        """Sharp-only folders that fit in `max_bytes` (as float32): decode every photo
        once, here, before the loader's worker processes fork and share these pages.
        Decoding a PNG is half the cost of a synthetic training crop, and a small folder
        is read again for every crop. False (and nothing held) when it does not fit."""
        if not self.pairs or any(p.blur is not None for p in self.pairs):
            return False
        total = sum(3 * 4 * w * h for w, h in (image_size(p.sharp) for p in self.pairs))
        if total > max_bytes:
            return False
        for p in self.pairs:
            self._decoded[str(p.sharp)] = self._read_sharp(p)
        return True

    def _read_sharp(self, pair: ImagePair) -> torch.Tensor:
        """A sharp-only pair's photo, downscaled to max_side; decoded once when preloaded."""
        held = self._decoded.get(str(pair.sharp))
        return held if held is not None else downscale(to_tensor(read_rgb(pair.sharp)), self.cfg.max_side)

    def photo(self, i: int) -> ImagePair:
        return self.pairs[i % len(self.pairs)]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs) * self.repeat

    def load(self, pair: ImagePair) -> tuple[torch.Tensor, torch.Tensor]:
        """A real (blurred, sharp) pair, downscaled to max_side."""
        sharp = to_tensor(read_rgb(pair.sharp))
        blur = to_tensor(read_rgb(pair.blur))
        if blur.shape != sharp.shape:
            raise DataError(f"{pair.blur}: size {tuple(blur.shape[1:])} differs from {pair.sharp} {tuple(sharp.shape[1:])}")
        return downscale(blur, self.cfg.max_side), downscale(sharp, self.cfg.max_side)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.train and i in self._cache:
            return self._cache[i]
        rng = np.random.default_rng([self.seed, self.epoch if self.train else 0, i])
        crop = self.cfg.crop if self.train else (self.cfg.val_crop or 0)
        pair = self.photo(i)
        if self.kernel_aware:
            item = self._refine_item(pair, rng, crop)
            if not self.train:
                self._cache[i] = item
            return item
        if pair.blur is None:
            blur, sharp = self._synth_pair(pair, rng, crop)
        else:
            blur, sharp = self.load(pair)
            if crop:
                blur, sharp = pad_to_size(blur, crop), pad_to_size(sharp, crop)
                h, w = sharp.shape[-2:]
                if self.train:
                    y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
                else:
                    y, x = (h - crop) // 2, (w - crop) // 2
                blur, sharp = blur[:, y:y + crop, x:x + crop], sharp[:, y:y + crop, x:x + crop]
        if self.train and self.cfg.flips:
            if rng.random() < 0.5:
                blur, sharp = blur.flip(-1), sharp.flip(-1)
            if rng.random() < 0.5:
                blur, sharp = blur.flip(-2), sharp.flip(-2)
        return blur.contiguous(), sharp.contiguous()

    def _refine_item(self, pair: ImagePair, rng: np.random.Generator, crop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(blurred + deconvolved, sharp) for the refiner. Sharp-only data: a synthetic
        blur, deconvolved with a perturbed kernel or (a share of the time, and always for
        validation, which should measure the real pipeline) the estimator's. Paired data:
        the estimator's kernel for the real blurred photo."""
        from core.data import refine_pairs as rp  # noqa: PLC0415 - only the refiner needs scipy's solver

        if pair.blur is not None:
            key = str(pair.blur)
            if key not in self._deconvolved:  # the estimate for a real photo does not change
                blur, sharp = self.load(pair)
                dec = rp.deconvolve_like_engine(blur, rp.estimated_kernel(blur, None))
                self._deconvolved[key] = (rp.stack(blur, dec), sharp)
            x, sharp = self._deconvolved[key]
            if crop:
                x, sharp = pad_to_size(x, crop), pad_to_size(sharp, crop)
                h, w = sharp.shape[-2:]
                y, x0 = ((int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))) if self.train
                         else ((h - crop) // 2, (w - crop) // 2))
                x, sharp = x[:, y:y + crop, x0:x0 + crop], sharp[:, y:y + crop, x0:x0 + crop]
            return self._flip(x.contiguous(), sharp.contiguous(), rng)
        estimator = not self.train or rng.random() < self.cfg.refine_estimator_share
        if self.train and estimator and len(self._estimated) >= self.cfg.refine_estimator_pool:
            x, sharp = self._estimated[int(rng.integers(len(self._estimated)))]
            return self._flip(x, sharp, rng)
        sharp = self._read_sharp(pair)
        if crop:
            sharp = pad_to_size(sharp, crop)
        h, w = sharp.shape[-2:]
        c_h, c_w = (crop, crop) if crop else (h, w)
        if self.train:
            y, x0 = int(rng.integers(0, h - c_h + 1)), int(rng.integers(0, w - c_w + 1))
        else:
            y, x0 = (h - c_h) // 2, (w - c_w) // 2
        m = self.cfg.synth_max_kernel
        y0, x00 = max(0, y - m), max(0, x0 - m)
        region = sharp[:, y0:y + c_h + m, x00:x0 + c_w + m]
        blur, dec, region = rp.refine_pair(region, rng, self.cfg, estimator=estimator)
        y, x0 = y - y0, x0 - x00
        cut = (slice(None), slice(y, y + c_h), slice(x0, x0 + c_w))
        x, sharp = rp.stack(blur[cut], dec[cut]).contiguous(), region[cut].contiguous()
        if self.train and estimator:
            self._estimated.append((x, sharp))
        return self._flip(x, sharp, rng)

    def _flip(self, x: torch.Tensor, sharp: torch.Tensor, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if self.train and self.cfg.flips:
            if rng.random() < 0.5:
                x, sharp = x.flip(-1), sharp.flip(-1)
            if rng.random() < 0.5:
                x, sharp = x.flip(-2), sharp.flip(-2)
        return x.contiguous(), sharp.contiguous()

    def _synth_pair(self, pair: ImagePair, rng: np.random.Generator, crop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sharp-only data, one path for crops and whole photos (crop 0): synth.training_pair
        (blurred, and sometimes both made grey). A crop is chosen first and only it plus
        the margin the kernel reaches (synth_max_kernel px) is blurred, then cut: much
        cheaper than blurring whole photos, and exact inside the image (the scene's own
        pixels blur in)."""
        if not crop:
            return synth.training_pair(self._read_sharp(pair), rng, self.cfg)
        sharp = pad_to_size(self._read_sharp(pair), crop)
        h, w = sharp.shape[-2:]
        if self.train:
            y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        else:
            y, x = (h - crop) // 2, (w - crop) // 2
        m = self.cfg.synth_max_kernel
        y0, x0 = max(0, y - m), max(0, x - m)
        region = sharp[:, y0:y + crop + m, x0:x + crop + m]
        blur, region = synth.training_pair(region, rng, self.cfg)
        y, x = y - y0, x - x0
        return blur[:, y:y + crop, x:x + crop], region[:, y:y + crop, x:x + crop]

    def name(self, i: int) -> str:
        return self.photo(i).name

