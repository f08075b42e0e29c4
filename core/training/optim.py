"""Optimisers and the learning-rate schedule, chosen by name from the config.

The schedule is a pure function of the optimiser step, so resuming at step N gives the
same rate as never stopping: the checkpoint's global_step is the scheduler's state.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from core.config import TrainConfig

OPTIMIZERS = ("adam", "adamw")
SCHEDULERS = ("constant", "cosine")


def make_optimizer(t: TrainConfig, module: nn.Module, lr: float) -> torch.optim.Optimizer:
    params = [p for p in module.parameters() if p.requires_grad]
    if t.optimizer == "adam":  # the report: Adam, no weight decay
        return torch.optim.Adam(params, lr=lr, betas=tuple(t.betas), weight_decay=t.weight_decay)
    if t.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(t.betas), weight_decay=t.weight_decay)
    raise ValueError(f"unknown optimizer {t.optimizer!r} ({', '.join(OPTIMIZERS)})")


def lr_factor(t: TrainConfig, step: int, total_steps: int) -> float:
    """Multiplier of the base rate at optimiser step `step` (0-based): linear warm-up
    over warmup_steps, then constant or a cosine decay to zero at total_steps."""
    if t.warmup_steps and step < t.warmup_steps:
        return (step + 1) / t.warmup_steps
    if t.scheduler == "constant":
        return 1.0
    if t.scheduler == "cosine":
        span = max(1, total_steps - t.warmup_steps)
        progress = min(1.0, (step - t.warmup_steps) / span)
        return 0.5 * (1 + math.cos(math.pi * progress))
    raise ValueError(f"unknown scheduler {t.scheduler!r} ({', '.join(SCHEDULERS)})")


def set_lr(opt: torch.optim.Optimizer | None, base: float, factor: float) -> None:
    if opt is not None:
        for group in opt.param_groups:
            group["lr"] = base * factor
