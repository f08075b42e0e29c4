"""The one config type: typed dataclasses that round-trip through JSON.

A run folder and every checkpoint carry `RunConfig.to_dict()`, so a model can be
rebuilt and a run reproduced from the file alone. Unknown keys are refused with
their name so that a typo in a hand-edited config never passes silently.
"""
from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The losses a config may name (core.losses implements them; kept here so that reading
# a config or building the CLI does not import torch)
PIXEL_LOSSES = ("l1", "charbonnier", "mse", "psnr")
ADVERSARIAL_LOSSES = ("bce", "lsgan", "ragan-ls", "hinge")


@dataclass
class DataConfig:
    root: str = ""
    # The report resized GoPro 1280x720 -> 640x360: downscale (never upscale) so the
    # longer side is at most this many pixels, keeping the aspect ratio. None = native.
    max_side: int | None = 640
    crop: int = 256  # random training crop (after resizing); 0 = whole images
    val_fraction: float = 0.1  # held apart (seeded) when the data has no val/test split
    # Seed of that split; None = train.seed. A fine-tuning run sets a new train.seed (new
    # crops and blur) and keeps its parent's split, so held-apart photos stay unseen.
    val_seed: int | None = None
    val_crop: int | None = None  # None = whole images, as the report validated
    val_max_images: int | None = None
    flips: bool = True
    num_workers: int = 0
    # Sharp-only folders: blur synthesised on the fly (see core.data.synth)
    synthetic: bool = False
    synth_max_kernel: int = 31
    # Share of pairs blurred in linear light; the rest blur the stored sRGB values
    # (real benchmark pairs such as Levin 2009 behave so). See core.data.synth.
    synth_linear_light: float = 0.5
    # Training crops drawn from each photo per epoch. A few dozen photos on a fast GPU
    # would otherwise make epochs of one step, spent mostly on validation and saving.
    repeat: int = 1
    # Kernel-aware refiner (core.data.refine_pairs): share of training pairs deconvolved
    # with the real estimator's kernel instead of a perturbed true one, and how many
    # such pairs are made (~1 s each) before they are reused.
    refine_estimator_share: float = 0.1
    refine_estimator_pool: int = 256


@dataclass
class ModelConfig:
    name: str = "seed"
    # Architecture options passed to the registered builder, e.g. num_residual_blocks.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class LossConfig:
    pixel: str = "l1"
    pixel_weight: float = 100.0  # the report: G loss = BCE + 100 x L1
    psnr_weight: float = 0.0  # PSNR loss on [0,1] images (NAFNet's), in units of 10 dB
    fft_weight: float = 0.0
    ssim_weight: float = 0.0
    gan: bool = True
    adversarial: str = "bce"
    adv_weight: float = 1.0
    d_warmup_steps: int = 0


@dataclass
class TrainConfig:
    epochs: int = 80
    batch_size: int = 8
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"
    weight_decay: float = 0.0
    scheduler: str = "constant"
    warmup_steps: int = 0
    grad_clip: float = 0.0
    ema_decay: float = 0.0  # > 0: validate and save the EMA of G's weights as the model
    grad_accum: int = 1  # split each batch into this many chunks (same gradients, less memory)
    compile: bool = False  # torch.compile the generator (GPU; did not help on the 2-core CPU)
    init_from: str = ""  # fine-tune: start from this checkpoint's generator (and D when it fits)
    log_every: int = 5  # the report logged D/G loss every 5 steps
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # mixed precision on CUDA only; never on CPU (bf16 is ~500x slower here)
    channels_last: bool = False
    samples: int = 3  # fixed validation images previewed after each validation
    keep_every: int = 0  # > 0: also keep checkpoints/epoch-NNNN.pt every N epochs, to pick or average mid-run weights


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return to_dict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        return from_dict(cls, d)

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        from core.fileutil import atomic_write_text

        atomic_write_text(Path(path), self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        path = Path(path)
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as e:
            raise ConfigError(f"{path}: not a valid run config ({e})") from e


class ConfigError(ValueError):
    """A setting that cannot work. `key` names it ("data.crop") when the error is about
    one setting, so a front end can point at it without reading the message."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


def to_dict(obj) -> dict:
    out = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            v = to_dict(v)
        elif isinstance(v, tuple):
            v = list(v)
        elif isinstance(v, dict):
            v = dict(v)
        out[f.name] = v
    return out


def from_dict(cls, d: dict):
    if not isinstance(d, dict):
        raise ConfigError(f"{cls.__name__}: expected an object, got {type(d).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ConfigError(f"{cls.__name__}: unknown setting(s) {', '.join(sorted(unknown))}")
    kwargs = {}
    for name, value in d.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            value = from_dict(hint, value)
        elif typing.get_origin(hint) is tuple and isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def field_docs(cls) -> list[tuple[str, type, Any]]:
    """(name, type, default) for each field: what a generated form or CLI needs."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        out.append((f.name, hints[f.name], default))
    return out
