"""Building blocks shared by the non-report models (NAFNet family, seed-plus, PatchGAN).

NAFBlock follows Chen et al., "Simple Baselines for Image Restoration" (NAFNet, 2022):
LayerNorm over channels, a depthwise 3x3 conv, SimpleGate (split channels, multiply)
instead of a nonlinearity, and simplified channel attention. On a laptop CPU depthwise
convs and LayerNorm are memory-bound (4-9 GMAC/s against ~43 for dense 3x3 convs), so a
block can also be built `dense`: a full 3x3 conv in place of the 1x1-expand + depthwise
pair, which costs more MACs but runs far more of them per second at low resolution.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LayerNorm2d(nn.Module):
    """LayerNorm over the channel axis of an NCHW tensor (per pixel)."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps
        self.channels = channels  # a Python int: ONNX export needs a constant normalized_shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # One fused layer_norm kernel over the last axis of an NHWC view: on a CPU this
        # is several times faster than mean/var/normalise as separate memory passes
        # (and free of copies when the tensor is channels_last).
        y = F.layer_norm(x.permute(0, 2, 3, 1), (self.channels,), self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2)


class SimpleGate(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=1)
        return a * b


class NAFBlock(nn.Module):
    def __init__(self, c: int, expand: int = 2, ffn_expand: int = 2, dense: bool = False):
        super().__init__()
        dw = c * expand
        self.norm1 = LayerNorm2d(c)
        if dense:  # one full 3x3 conv c -> dw: compute-bound, fast on CPUs at low resolution
            self.spatial = nn.Conv2d(c, dw, 3, padding=1)
        else:  # NAFNet's 1x1 expand + depthwise 3x3
            self.spatial = nn.Sequential(nn.Conv2d(c, dw, 1), nn.Conv2d(dw, dw, 3, padding=1, groups=dw))
        self.gate = SimpleGate()
        self.sca = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(dw // 2, dw // 2, 1))
        self.proj = nn.Conv2d(dw // 2, c, 1)
        self.norm2 = LayerNorm2d(c)
        self.ffn_in = nn.Conv2d(c, c * ffn_expand, 1)
        self.ffn_out = nn.Conv2d(c * ffn_expand // 2, c, 1)
        # Zero-initialised branch scales: every block starts as the identity, so a deep
        # stack trains stably without normalisation of the residual stream.
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.gate(self.spatial(self.norm1(inp)))
        x = self.proj(x * self.sca(x))
        y = inp + x * self.beta
        x = self.ffn_out(self.gate(self.ffn_in(self.norm2(y))))
        return y + x * self.gamma


class PatchDiscriminator(nn.Module):
    """PatchGAN (pix2pix, 70x70 receptive field): one real/fake logit per patch.

    Works on any input of at least ~32 px. `spectral_norm=True` constrains every conv
    (Miyato et al. 2018) and drops the normalisation layers, the usual stable choice
    with hinge or LSGAN losses; otherwise InstanceNorm, which unlike BatchNorm behaves
    the same in train and eval mode and needs no cross-GPU synchronisation.
    `forward(x, logits=False)` returns probabilities like the report's discriminator;
    training asks for logits.
    """

    def __init__(self, in_channels: int = 3, width: int = 64, spectral_norm: bool = False):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = [sn(nn.Conv2d(in_channels, width, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
        c = width
        for stride, mult in ((2, 2), (2, 4), (1, 8)):
            layers.append(sn(nn.Conv2d(c, width * mult, 4, stride, 1)))
            if not spectral_norm:
                layers.append(nn.InstanceNorm2d(width * mult, affine=True))
            layers.append(nn.LeakyReLU(0.2, True))
            c = width * mult
        layers.append(sn(nn.Conv2d(c, 1, 4, 1, 1)))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, logits: bool = False) -> torch.Tensor:
        out = self.model(x)
        return out if logits else torch.sigmoid(out)
