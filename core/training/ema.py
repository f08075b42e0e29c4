"""Exponential moving average of the generator's weights (Polyak averaging).

The averaged copy is what gets validated and saved as the model: it is smoother than
the raw weights of the last step, usually by a few tenths of a dB. The decay ramps up
as (1 + n) / (10 + n) so early averages are not dominated by the random start.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, decay: float, updates: int = 0):
        self.decay = decay
        self.updates = updates
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = self.current_decay()
        src = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.lerp_(src[k].detach().to(v.dtype), 1 - d)
            else:  # counters such as BatchNorm's num_batches_tracked
                v.copy_(src[k])
