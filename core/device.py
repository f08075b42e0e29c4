"""Device choice, autocast and seeding: the only place that knows about backends."""
from __future__ import annotations

import contextlib
import random

import numpy as np
import torch


def pick_device(name: str | None = "auto") -> torch.device:
    """'auto' picks CUDA > MPS > CPU; otherwise the name is taken as given and checked."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError as e:
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps") from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available here")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device {name!r} asked for, but only {torch.cuda.device_count()} GPU(s) exist")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' asked for, but MPS is not available here")
    return dev


def describe_device(dev: torch.device) -> str:
    if dev.type == "cuda":
        i = dev.index if dev.index is not None else torch.cuda.current_device()
        p = torch.cuda.get_device_properties(i)
        return f"cuda:{i} ({p.name}, {p.total_memory / 2**30:.0f} GiB)"
    if dev.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def list_devices() -> list[str]:
    out = ["auto", "cpu"]
    if torch.cuda.is_available():
        out += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        out.append("mps")
    return out


def amp_dtype(dev: torch.device, enabled: bool) -> torch.dtype | None:
    """Mixed precision only on CUDA: bf16 where supported, else fp16 (with a GradScaler)."""
    if not enabled or dev.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(dev: torch.device, dtype: torch.dtype | None):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=dev.type, dtype=dtype)


def seed_everything(seed: int) -> None:
    """Python's, numpy's and torch's global generators. (PYTHONHASHSEED is not set here:
    Python reads it once, at interpreter start, so setting it in a running process changes
    nothing in that process. Nothing in core depends on str hash order: per-item
    randomness is keyed by the index (datasets) or zlib.crc32 of the name (deblur synth),
    never by hash().)"""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
