"""`Deblurrer`: one loaded generator that deblurs images of any size.

    d = Deblurrer.from_file(resolve_model(None))          # the bundled default model
    sharp = d.deblur(read_rgb(path), progress=cb, cancel=stop.is_set)

The model file says which registered architecture to build (core.models); its spec
says the value range and size multiple, so every registered model runs the same way.
Big images go through `tiling` with a tile size chosen from free memory.
`ensemble=4` (or 8) averages the net over flipped (and transposed) copies of each tile.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from core.config import RunConfig
from core.device import describe_device, pick_device
from core.model_files import load_model
from core.inference.tiling import TileGrid, iter_tiled, round_to, run_tiled
from core.models import ModelSpec, get_spec, run_generator

PRECISIONS = {None: None, "fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}

# Context and blend (px) around inner tile borders. 32 + 32 hides every seam of the
# models we ship; the tiling test states the exact-agreement bound (see tests).
CONTEXT = 32
BLEND = 32
MIN_TILE = 256
# Upper bound on an automatic tile side; free memory usually decides first. Bigger tiles
# only save the overlap (docs/benchmarks-inference.md: whole 720p frame 11.6 CPU-s,
# 512-px tiles 20.8), so auto runs an image whole whenever it fits.
MAX_TILE = {"cpu": 2048, "cuda": 4096, "mps": 2048}

# Self-ensemble: run the net on flipped copies of each tile, map each result back and
# average. Blur has no preferred side, but a trained net is not exactly flip-symmetric,
# so the mean cancels some of each view's errors, for N times the time; 8 adds
# transposes (measured gains: resources/models/default.md, "Self-ensemble").
ENSEMBLES = (1, 4, 8)
VIEWS = [(t, fy, fx) for t in (False, True) for fy in (False, True) for fx in (False, True)]


def check_ensemble(n: int) -> int:
    if n not in ENSEMBLES:
        raise ValueError(f"ensemble must be 1, 4 or 8 views (got {n!r})")
    return n


def to_view(a: np.ndarray, transpose: bool, flip_y: bool, flip_x: bool) -> np.ndarray:
    """HxWxC array seen transposed and/or flipped (a numpy view, no copy)."""
    a = a.transpose(1, 0, 2) if transpose else a
    a = a[::-1] if flip_y else a
    return a[:, ::-1] if flip_x else a


def from_view(a: np.ndarray, transpose: bool, flip_y: bool, flip_x: bool) -> np.ndarray:
    """The inverse of `to_view`."""
    a = a[:, ::-1] if flip_x else a
    a = a[::-1] if flip_y else a
    return a.transpose(1, 0, 2) if transpose else a


def available_memory(device: torch.device) -> int:
    """Bytes we may use for activations on `device` right now."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * 0.6)
    if device.type == "mps":
        return 2 << 30
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:  # macOS / Windows: no /proc; assume a modest machine
        avail = 4 << 30
    # a quarter of what is free, and never more than 1 GiB: the photo itself, the output
    # and the blend buffers (~28 bytes per pixel) need the rest
    return int(min(avail * 0.25, 1 << 30))


def fuse_batchnorm(module: nn.Module) -> int:
    """Fold each eval-mode BatchNorm that directly follows a conv in an nn.Sequential
    into that conv's weights (same function, one memory pass fewer). Returns the count."""
    fused = 0
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d)) and isinstance(bn, nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(conv, bn, transpose=isinstance(conv, nn.ConvTranspose2d))
                seq[i + 1] = nn.Identity()
                fused += 1
    return fused


class Deblurrer:
    def __init__(self, generator: nn.Module, config: RunConfig, device: str | torch.device = "auto",
                 precision: str | None = None, channels_last: bool | None = None,
                 context: int = CONTEXT, blend: int = BLEND, source: str | Path | None = None,
                 fuse_bn: bool = True, ensemble: int = 1):
        self.config = config
        self.ensemble = check_ensemble(ensemble)
        self.spec: ModelSpec = get_spec(config.model.name)
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of fp32, fp16, bf16 (got {precision!r})")
        if precision == "fp16" and self.device.type == "cpu":
            raise ValueError("fp16 needs a GPU; on CPU use fp32 (default) or bf16")
        self.precision = precision or "fp32"
        self.dtype = PRECISIONS[precision]
        # channels_last (NHWC) measured faster on CPU too: seed -27% CPU time and -35% RSS,
        # nafnet-s -15% on 512 px tiles (docs/benchmarks-inference.md); GPUs want it for cuDNN.
        self.channels_last = True if channels_last is None else channels_last
        self.context, self.blend = context, blend
        # Tile origins on the coarsest grid the net works on (a U-Net that pads itself
        # to 2^levels exposes .multiple), so every tile sees the whole image's pixel grid.
        self.align = math.lcm(16, self.spec.size_multiple, int(getattr(generator, "multiple", 1)))
        self.source = str(source) if source else None
        g = generator.eval()
        if fuse_bn and any(isinstance(m, nn.BatchNorm2d) for m in g.modules()):
            g = copy.deepcopy(g)  # never change the caller's (maybe still training) module
            fuse_batchnorm(g)
        g = g.to(self.device)
        if self.channels_last:
            g = g.to(memory_format=torch.channels_last)
        for p in g.parameters():
            p.requires_grad_(False)
        self.generator = g
        self._bpp: float | None = None

    @classmethod
    def from_file(cls, path: str | Path, device: str | torch.device = "auto",
                  precision: str | None = None, **kwargs) -> "Deblurrer":
        g, cfg = load_model(path)
        return cls(g, cfg, device=device, precision=precision, source=path, **kwargs)

    @property
    def name(self) -> str:
        return self.config.model.name

    def describe(self) -> str:
        src = f" from {self.source}" if self.source else ""
        views = f", {self.ensemble}-view self-ensemble" if self.ensemble > 1 else ""
        return f"{self.name}{src} on {describe_device(self.device)}, {self.precision}{views}"

    def with_ensemble(self, ensemble: int) -> "Deblurrer":
        """This loaded model with another number of views (shares the network's weights)."""
        if check_ensemble(ensemble) == self.ensemble:
            return self
        other = copy.copy(self)
        other.ensemble = ensemble
        return other

    # ---- one tile ----------------------------------------------------------------
    def _run(self, tile: np.ndarray) -> np.ndarray:
        if self.ensemble == 1:  # the usual case: no extra sum and division over the tile
            return self._run_once(tile)
        total = 0.0
        for view in VIEWS[:self.ensemble]:  # views of the tile as cut, end padding included
            total = total + from_view(self._run_once(np.ascontiguousarray(to_view(tile, *view))), *view)
        return total / self.ensemble

    @torch.inference_mode()
    def _run_once(self, tile: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(tile).permute(2, 0, 1).unsqueeze(0).to(self.device)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.dtype is not None:
            with torch.autocast(device_type=self.device.type, dtype=self.dtype):
                y = run_generator(self.generator, self.spec, x)
        else:
            y = run_generator(self.generator, self.spec, x)
        return y[0].float().permute(1, 2, 0).cpu().numpy()

    # ---- tile size ---------------------------------------------------------------
    @torch.inference_mode()
    def bytes_per_pixel(self) -> float:
        """Peak activation bytes per input pixel, from one small probe run: the largest
        layer output times 3 (its input, itself and a live skip connection)."""
        if self._bpp is None:
            biggest = [0]

            def hook(_m, _i, out):
                if isinstance(out, torch.Tensor):
                    biggest[0] = max(biggest[0], out.numel() * out.element_size())

            leaves = [m for m in self.generator.modules() if not list(m.children())]
            handles = [m.register_forward_hook(hook) for m in leaves]
            try:
                s = 4 * self.align
                # the refiner takes blurred + deconvolved
                self._run_once(np.zeros((s, s, self.spec.input_channels), np.float32))  # views run one after another
            finally:
                for h in handles:
                    h.remove()
            self._bpp = 3.0 * biggest[0] / (s * s) + 64.0  # + input/output tensors and copies
        return self._bpp

    def auto_tile(self, height: int = 0, width: int = 0) -> int:
        """Tile side from free memory; the whole image (0) when it fits at once."""
        budget = available_memory(self.device) / self.bytes_per_pixel()  # pixels
        cap = MAX_TILE.get(self.device.type, 2048)
        if height and width and height * width <= budget and max(height, width) <= cap:
            return 0
        side = min(int(math.sqrt(budget)), cap)
        return round_to(max(side, MIN_TILE), self.align)

    @property
    def min_tile(self) -> int:
        """The smallest tile side that leaves room for context and blending."""
        return round_to(2 * self.context + self.blend + self.align, self.align) + self.align

    def grid(self, height: int, width: int, tile: int | None = None) -> TileGrid:
        """Tiles for an image; `tile` None = from free memory, 0 = the whole image."""
        if tile is None:
            tile = self.auto_tile(height, width)
        if tile == 0:
            tile = max(height, width) + self.align
        return TileGrid(height, width, tile, self.context, self.blend, self.align)

    # ---- the job -----------------------------------------------------------------
    def deblur(self, image01: np.ndarray, tile: int | None = None,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """HxWx3 float32 in [0, 1] -> the deblurred image, same shape.

        `tile`: tile side in px (None = from free memory; 0 = the whole image at once).
        `progress(done, total)` is called after each tile; `cancel()` is polled before
        each one and raises `Cancelled` when it returns True.
        """
        if image01.ndim != 3 or image01.shape[2] != 3:
            raise ValueError(f"expected an HxWx3 image, got shape {image01.shape}")
        image01 = np.ascontiguousarray(image01, dtype=np.float32)
        h, w = image01.shape[:2]
        return run_tiled(self._run, image01, self.grid(h, w, tile), progress, cancel)

    def deblur_steps(self, image01: np.ndarray, grid: TileGrid):
        """Generator form of `deblur` for a grid from `grid()`: yields (done, tiles),
        returns the image (`result = yield from d.deblur_steps(...)`)."""
        image01 = np.ascontiguousarray(image01, dtype=np.float32)
        return (yield from iter_tiled(self._run, image01, grid))

