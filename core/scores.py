"""What an evaluation records: one `Row` per image scored for one model, a model's
`Stats` per metric, and the report's table of them. Plain records (numpy for the
statistics only), so the events that carry them (core.events) stay light.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

# PSNR of a perfect image is +inf; statistics count it as this many dB (finite_mean's cap).
INF_CAP_DB = 100.0


@dataclass(frozen=True)
class Row:
    """One image scored for one model. *_shift are None unless a shift search ran."""
    model: str
    image: str
    psnr: float
    ssim: float
    psnr_shift: float | None = None
    ssim_shift: float | None = None
    dy: int = 0
    dx: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Stats:
    mean: float
    std: float  # sample std (ddof=1), as pandas' describe() the report's table came from
    min: float
    max: float
    count: int
    perfect: int = 0  # values that were +inf (counted as INF_CAP_DB)

    @classmethod
    def of(cls, values: Sequence[float]) -> "Stats":
        if not values:
            nan = float("nan")
            return cls(nan, nan, nan, nan, 0)
        a = np.minimum(np.asarray(values, dtype=np.float64), INF_CAP_DB)
        std = float(a.std(ddof=1)) if len(a) > 1 else 0.0
        return cls(float(a.mean()), std, float(a.min()), float(a.max()), len(a),
                   sum(1 for v in values if math.isinf(v)))


def format_table(stats: dict[str, Stats]) -> str:
    """The report's table: Metric | Mean | Std | Min | Max, six decimals as printed there."""
    w = max([6] + [len(k) for k in stats])
    lines = [f"{'Metric':<{w}}  {'Mean':>10}  {'Std':>10}  {'Min':>10}  {'Max':>10}"]
    for k, s in stats.items():
        lines.append(f"{k:<{w}}  {s.mean:>10.6f}  {s.std:>10.6f}  {s.min:>10.6f}  {s.max:>10.6f}")
    if any(s.perfect for s in stats.values()):
        lines.append(f"(perfect results, PSNR +inf, counted as {INF_CAP_DB:.0f} dB)")
    return "\n".join(lines)
