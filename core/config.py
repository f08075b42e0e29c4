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


def setting(default: Any = dataclasses.MISSING, help: str = "", *, factory: Any = dataclasses.MISSING):
    """A config field with its help text, kept in the field's metadata (`field_help`):
    what the Train form shows as tooltips. Metadata, not comments, because the frozen
    app has no .py sources to read comments from."""
    return field(default=default, default_factory=factory, metadata={"help": help})


@dataclass
class DataConfig:
    root: str = setting("", "Folder of training photos: blurred/sharp pairs (GoPro, flat blur/ + sharp/, "
                            "RealBlur lists) or sharp photos only with synthetic blur")
    # The report resized GoPro 1280x720 -> 640x360
    max_side: int | None = setting(640, "Downscale (never upscale) so the longer side is at most this many "
                                        "pixels, keeping the aspect ratio; none = native size")
    crop: int = setting(256, "Random training crop in px, taken after resizing; 0 = whole images")
    val_fraction: float = setting(0.1, "Share of the photos held apart (seeded) for validation when the "
                                       "data has no val/test split")
    val_seed: int | None = setting(None, "Seed of that split; none = the training seed. A fine-tuning run "
                                         "sets a new training seed (new crops and blur) and keeps its "
                                         "parent's split, so held-apart photos stay unseen")
    val_crop: int | None = setting(None, "Centre crop in px for validation; none = whole images, as the "
                                         "report validated")
    val_max_images: int | None = setting(None, "Validate on at most this many photos; none = all")
    flips: bool = setting(True, "Random horizontal and vertical flips of the training crops")
    num_workers: int = setting(0, "Processes that load and prepare training data beside the training; "
                                  "0 = in the training process")
    synthetic: bool = setting(False, "Sharp-only folders: blur synthesised on the fly (see core.data.synth)")
    synth_max_kernel: int = setting(31, "Longest synthetic blur in px (the kernel's longer side)")
    synth_linear_light: float = setting(0.5, "Share of synthetic pairs blurred in linear light; the rest "
                                             "blur the stored sRGB values (real benchmark pairs such as "
                                             "Levin 2009 behave so). See core.data.synth")
    repeat: int = setting(1, "Training crops drawn from each photo per epoch. A few dozen photos on a fast "
                             "GPU would otherwise make epochs of one step, spent mostly on validation "
                             "and saving")
    # Kernel-aware refiner (core.data.refine_pairs)
    refine_estimator_share: float = setting(0.1, "Kernel-aware refiner: share of training pairs deconvolved "
                                                 "with the real estimator's kernel instead of a perturbed "
                                                 "true one")
    refine_estimator_pool: int = setting(256, "Kernel-aware refiner: how many estimator pairs are made "
                                              "(~1 s each) before they are reused")


@dataclass
class ModelConfig:
    name: str = setting("seed", "The registered architecture to train (core.models)")
    options: dict[str, Any] = setting(factory=dict, help="Architecture options passed to its builder, as "
                                                         'JSON, e.g. {"num_residual_blocks": 9}')


@dataclass
class LossConfig:
    pixel: str = setting("l1", "Pixel loss between the result and the sharp photo: " + ", ".join(PIXEL_LOSSES))
    pixel_weight: float = setting(100.0, "Weight of the pixel loss (the report: G loss = BCE + 100 x L1)")
    psnr_weight: float = setting(0.0, "PSNR loss on [0, 1] images (NAFNet's), in units of 10 dB; 0 = off")
    fft_weight: float = setting(0.0, "L1 between the 2-D spectra of result and sharp photo, which sees the "
                                     "high frequencies blur removes; 0 = off")
    ssim_weight: float = setting(0.0, "1 - SSIM between result and sharp photo; 0 = off")
    gan: bool = setting(True, "Train adversarially, with a discriminator; off = the pixel losses alone")
    adversarial: str = setting("bce", "Adversarial loss: " + ", ".join(ADVERSARIAL_LOSSES))
    adv_weight: float = setting(1.0, "Weight of the adversarial loss in the generator's loss")
    d_warmup_steps: int = setting(0, "Steps trained on the pixel losses alone before the adversarial loss "
                                     "joins")


@dataclass
class TrainConfig:
    epochs: int = setting(80, "Passes over the training photos")
    batch_size: int = setting(8, "Crops per optimisation step")
    lr_g: float = setting(2e-4, "Learning rate of the generator (the deblurring network)")
    lr_d: float = setting(2e-4, "Learning rate of the discriminator")
    betas: tuple[float, float] = setting((0.5, 0.999), "Adam's beta1 and beta2: decay rates of its averages of "
                                                       "the gradients and of their squares")
    optimizer: str = setting("adam", "adam (the report's, no weight decay) or adamw")
    weight_decay: float = setting(0.0, "Weight decay of the optimiser")
    scheduler: str = setting("constant", "Learning rate schedule after the warm-up: constant, or cosine "
                                         "decay to zero at the last step")
    warmup_steps: int = setting(0, "Steps over which the learning rate rises linearly from zero")
    grad_clip: float = setting(0.0, "Clip the gradients' norm to this; 0 = no clipping")
    ema_decay: float = setting(0.0, "> 0: validate and save the exponential moving average of the "
                                    "generator's weights as the model")
    grad_accum: int = setting(1, "Split each batch into this many chunks: the same gradients, less memory")
    compile: bool = setting(False, "torch.compile the generator (GPU; did not help on the 2-core CPU)")
    init_from: str = setting("", "Fine-tune: start from this checkpoint's generator (and its discriminator "
                                 "when it fits)")
    log_every: int = setting(5, "Log the losses every this many steps (the report: 5)")
    seed: int = setting(0, "Random seed: crops, synthetic blur, weights")
    device: str = setting("auto", "Where to train: auto, cpu, cuda, cuda:N, mps")
    amp: bool = setting(True, "Mixed precision on CUDA only; never on CPU (bf16 is ~500x slower here)")
    channels_last: bool = setting(False, "Channels-last memory layout (faster convolutions on some GPUs)")
    samples: int = setting(3, "Fixed validation photos previewed after each validation")
    keep_every: int = setting(0, "> 0: also keep checkpoints/epoch-NNNN.pt every N epochs, to pick or "
                                 "average mid-run weights")


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


def field_help(cls) -> dict[str, str]:
    """The help text of each field of a config dataclass (from `setting`), by name."""
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}


def field_docs(cls) -> list[tuple[str, type, Any]]:
    """(name, type, default) for each field: what a generated form or CLI needs."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        out.append((f.name, hints[f.name], default))
    return out
