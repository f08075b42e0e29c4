"""The one model registry: an explicit name -> spec table (no scanning, no yaml).

A `ModelSpec` says how to build the generator and discriminator from options and how
images must be presented to the generator (value range, size multiple). Everything
that runs a model (training, inference, evaluation, export) goes through it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from core.config import ModelConfig
from core.data.tensors import pad_to_multiple
from core.models import seed, seed_plus
from core.models.blocks import PatchDiscriminator
from core.models.nafnet import SIZES, NAFNet
from core.models.refine import RefineUNet
from core.models.imported import PREFIX, load_published


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    build_generator: Callable[..., nn.Module]
    build_discriminator: Callable[..., nn.Module]
    value_range: str = "unit"  # "unit": [0,1] in and out; "tanh": [-1,1] in and out
    size_multiple: int = 1  # H and W the generator needs (callers pad); 1 = any size
    default_options: dict[str, Any] = field(default_factory=dict)
    # Kernel-aware (the refiner): its input is the blurred photo and its deconvolution
    # with the estimated kernel stacked (6 channels), not the blurred photo alone.
    kernel_aware: bool = False

    @property
    def input_channels(self) -> int:
        return 6 if self.kernel_aware else 3

    def to_model(self, x01: torch.Tensor) -> torch.Tensor:
        return x01 * 2 - 1 if self.value_range == "tanh" else x01

    def from_model(self, y: torch.Tensor) -> torch.Tensor:
        return (y + 1) / 2 if self.value_range == "tanh" else y


REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    REGISTRY[spec.name] = spec
    return spec


register(ModelSpec(
    name="seed",
    description="The report's ResNet generator (6 residual blocks) and conv discriminator",
    build_generator=lambda num_residual_blocks=6: seed.Generator(num_residual_blocks),
    build_discriminator=lambda **_: seed.Discriminator(),
    value_range="tanh",
    size_multiple=4,
    default_options={"num_residual_blocks": 6},
))


def _register_seed_plus() -> None:
    register(ModelSpec(
        name="seed-plus",
        description="The report's generator fixed: no BatchNorm, resize-conv upsampling, global residual; PatchGAN D",
        build_generator=lambda num_residual_blocks=6: seed_plus.Generator(num_residual_blocks),
        build_discriminator=lambda **o: PatchDiscriminator(**o),
        value_range="unit",
        default_options={"num_residual_blocks": 6},
    ))


_register_seed_plus()


def _register_nafnet(name: str, description: str) -> None:

    register(ModelSpec(
        name=name, description=description,
        build_generator=lambda **o: NAFNet(**o),
        build_discriminator=lambda **o: PatchDiscriminator(**o),
        value_range="unit", size_multiple=1,  # pads to its own multiple inside
        default_options=dict(SIZES[name]),
    ))


_register_nafnet("nafnet-s", "NAFNet-style U-Net sized for a laptop CPU (~1 s per 720p frame), PatchGAN D")
_register_nafnet("nafnet-m", "NAFNet U-Net, width 32, 8 blocks at the lowest level (GPU), PatchGAN D")
_register_nafnet("nafnet-l", "NAFNet-GoPro-width32 as published, 17 M parameters (GPU), PatchGAN D")


def _register_refine() -> None:
    register(ModelSpec(
        name="refine",
        description="Kernel-aware refiner: cleans up shake reduction's deconvolution (ringing, noise, "
                    "kernel errors); input blurred + deconvolved; PatchGAN D",
        build_generator=lambda **o: RefineUNet(**o),
        build_discriminator=lambda **o: PatchDiscriminator(**o),
        value_range="unit", size_multiple=1,  # pads to its own multiple inside
        default_options={"width": 24, "blocks": [1, 1, 2], "middle_blocks": 2},
        kernel_aware=True,
    ))


_register_refine()


class UnknownModelError(KeyError):
    def __str__(self) -> str:
        return f"unknown model {self.args[0]!r}; registered: {', '.join(sorted(REGISTRY))}"


def get_spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        # Imported published models ("published:NAFNet") run like ours but are not in
        # REGISTRY: they are built from their file and cannot be trained from scratch.
        if name.startswith(PREFIX):
            return published_spec(name)
        raise UnknownModelError(name) from None


def published_spec(name: str) -> ModelSpec:
    """The ModelSpec for "published:<architecture>": built from its file, inference only."""
    def build(file: str | None = None, **_):
        if not file:
            raise ValueError(f"{name}: a published model is built from its file (options.file)")
        return load_published(file)[0]

    def no_discriminator(**_):
        raise ValueError(f"{name}: published models are for inference; train one of ours instead")

    return ModelSpec(name=name, description=f"published {name[len(PREFIX):]} model (spandrel)",
                     build_generator=build, build_discriminator=no_discriminator,
                     value_range="unit", size_multiple=1)


def _options(spec: ModelSpec, cfg: ModelConfig) -> dict[str, Any]:
    gen_opts = dict(spec.default_options)
    gen_opts.update(cfg.options)
    gen_opts.pop("discriminator", None)  # the discriminator's own options (build_discriminator)
    return gen_opts


def build_generator(cfg: ModelConfig) -> nn.Module:
    spec = get_spec(cfg.name)
    try:
        return spec.build_generator(**_options(spec, cfg))
    except TypeError as e:
        raise ValueError(f"model {cfg.name!r}: bad options {cfg.options}: {e}") from e


def build_discriminator(cfg: ModelConfig) -> nn.Module:
    return get_spec(cfg.name).build_discriminator(**cfg.options.get("discriminator", {}))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def run_generator(g: nn.Module, spec: ModelSpec, x01: torch.Tensor) -> torch.Tensor:
    """Images in [0,1] (NxCxHxW, any H and W) -> the generator's result in [0,1].

    Pads by reflection to the spec's size multiple and crops back, so every model
    maps an image to one of the same size.
    """
    x, h, w = pad_to_multiple(x01, spec.size_multiple)
    y = spec.from_model(g(spec.to_model(x)))
    return y[..., :h, :w].clamp(0, 1)
