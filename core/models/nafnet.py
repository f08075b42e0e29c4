"""NAFNet-style U-Net generator (Chen et al. 2022), sized by width and blocks per level.

Images in [0, 1] in and out; the network predicts a correction added to the input
(global residual), so an untrained model is the identity instead of noise. Any H and W
work: the model pads to its own size multiple (2^levels) and crops back.
"""
from __future__ import annotations

import torch
from torch import nn

from core.data.tensors import pad_to_multiple
from core.models.blocks import NAFBlock


class NAFNet(nn.Module):
    def __init__(self, width: int = 16, enc_blocks=(1, 1, 1, 28), middle_blocks: int = 1,
                 dec_blocks=(1, 1, 1, 1), dense_from_level: int | None = None, stem: int = 1):
        """`dense_from_level`: levels >= this (0 = full resolution; the middle is level
        len(enc_blocks)) use dense 3x3 blocks, which run ~5x more MACs/s on a CPU.
        `stem=2` folds 2x2 pixels into channels first (PixelUnshuffle) so no block runs
        at full resolution, where a CPU spends its time on memory traffic."""
        super().__init__()
        if len(enc_blocks) != len(dec_blocks):
            raise ValueError(f"enc_blocks {enc_blocks} and dec_blocks {dec_blocks} need the same length")
        dense = (lambda lvl: dense_from_level is not None and lvl >= dense_from_level)
        self.stem = stem
        self.intro = nn.Sequential(nn.PixelUnshuffle(stem), nn.Conv2d(3 * stem * stem, width, 3, padding=1))
        self.encoders, self.downs, self.ups, self.decoders = (nn.ModuleList() for _ in range(4))
        c = width
        for lvl, n in enumerate(enc_blocks):
            self.encoders.append(nn.Sequential(*[NAFBlock(c, dense=dense(lvl)) for _ in range(n)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, stride=2))
            c *= 2
        levels = len(enc_blocks)
        self.middle = nn.Sequential(*[NAFBlock(c, dense=dense(levels)) for _ in range(middle_blocks)])
        for lvl, n in zip(reversed(range(levels)), dec_blocks):
            # 1x1 conv + PixelShuffle: learned upsampling without transposed-conv checkerboards
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[NAFBlock(c, dense=dense(lvl)) for _ in range(n)]))
        self.ending = nn.Sequential(nn.Conv2d(width, 3 * stem * stem, 3, padding=1), nn.PixelShuffle(stem))
        self.multiple = stem * 2 ** levels
        # Zero last conv: with the blocks' zero branch scales the untrained model is the
        # identity, so training starts from the blurred input, not from noise.
        nn.init.zeros_(self.ending[0].weight)
        nn.init.zeros_(self.ending[0].bias)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x, h, w = pad_to_multiple(inp, self.multiple)
        skip_in = x
        x = self.intro(x)
        skips = []
        for enc, down in zip(self.encoders, self.downs):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.middle(x)
        for up, dec, skip in zip(self.ups, self.decoders, reversed(skips)):
            x = dec(up(x) + skip)
        x = self.ending(x) + skip_in
        return x[..., :h, :w]


# Named sizes. -s is for a laptop CPU: measured on a 2-core AVX2 CPU, depthwise blocks
# and full-resolution work dominate the time (memory-bound), so -s folds 2x2 pixels into
# channels and uses dense 3x3 blocks below half resolution: ~3 GMAC per 256x256 crop but
# ~1 s per 1280x720 frame, against ~7 s for a depthwise NAFNet of the same MACs
# (benchmarks/bench_train.py). -m and -l are the paper's U-Net for GPUs; -l is exactly
# NAFNet-GoPro-width32 (17.1 M parameters, 33.7 dB on GoPro in the paper).
SIZES: dict[str, dict] = {
    "nafnet-s": dict(width=32, enc_blocks=(1, 2), middle_blocks=4, dec_blocks=(1, 1), dense_from_level=1, stem=2),
    "nafnet-m": dict(width=32, enc_blocks=(1, 1, 1, 8), middle_blocks=1, dec_blocks=(1, 1, 1, 1)),
    "nafnet-l": dict(width=32, enc_blocks=(1, 1, 1, 28), middle_blocks=1, dec_blocks=(1, 1, 1, 1)),
}
