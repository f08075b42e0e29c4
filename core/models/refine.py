"""Kernel-aware refiner: finishes what shake reduction's deconvolution starts.

Input: the blurred photo and its deconvolution with the estimated kernel, stacked
(6 channels, [0, 1]). Output: the sharp photo, as the deconvolution plus a learned
correction (global residual on the deconvolved half), so an untrained refiner returns
the deconvolution unchanged and training only has to learn what deconvolution got
wrong: ringing, halos, amplified noise, the traces of a wrong kernel. The blurred
half shows the network what the photo really looked like where the deconvolution
invented structure.

Plain dense 3x3 convolutions, no full-resolution layer (2x2 pixels folded into
channels first): on these CPUs dense convolutions run at 75-90 % of the matmul rate,
depthwise/LayerNorm blocks at 20-30 % (docs/benchmarks-inference.md), and the
full-resolution layers of a U-Net are where a CPU waits on memory.
"""
from __future__ import annotations

import torch
from torch import nn

from core.data.tensors import pad_to_multiple


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.LeakyReLU(0.1, inplace=True),
                                  nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class RefineUNet(nn.Module):
    in_channels = 6  # blurred RGB + deconvolved RGB

    def __init__(self, width: int = 24, blocks: tuple[int, ...] = (1, 1, 2), middle_blocks: int = 2):
        """`blocks[i]`: residual blocks at level i on each side (level 0 is half
        resolution, after the 2x2 fold); `middle_blocks` at the lowest level, which sees
        the farthest (a 35 px kernel's ringing is ~35 px wide)."""
        super().__init__()
        self.intro = nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(4 * self.in_channels, width, 3, padding=1))
        self.encoders, self.downs, self.ups, self.decoders = (nn.ModuleList() for _ in range(4))
        c = width
        for n in blocks:
            self.encoders.append(nn.Sequential(*[ResBlock(c) for _ in range(n)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, stride=2))
            c *= 2
        self.middle = nn.Sequential(*[ResBlock(c) for _ in range(middle_blocks)])
        for n in reversed(blocks):
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[ResBlock(c) for _ in range(n)]))
        self.ending = nn.Sequential(nn.Conv2d(width, 4 * 3, 3, padding=1), nn.PixelShuffle(2))
        self.multiple = 2 * 2 ** len(blocks)
        # zero last conv: the untrained refiner is the identity on the deconvolution
        nn.init.zeros_(self.ending[0].weight)
        nn.init.zeros_(self.ending[0].bias)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        if inp.shape[1] != self.in_channels:
            raise ValueError(f"the refiner takes the blurred photo and its deconvolution stacked "
                             f"({self.in_channels} channels), got {inp.shape[1]}")
        x, h, w = pad_to_multiple(inp, self.multiple)
        deconvolved = x[:, 3:]
        x = self.intro(x)
        skips = []
        for enc, down in zip(self.encoders, self.downs):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.middle(x)
        for up, dec, skip in zip(self.ups, self.decoders, reversed(skips)):
            x = dec(up(x) + skip)
        return (self.ending(x) + deconvolved)[..., :h, :w]
