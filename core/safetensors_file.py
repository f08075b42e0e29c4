"""Opening a safetensors file: the one reader of its header (metadata) and tensors.

A leaf under both core.model_files (our exports) and core.models.imported (library copies
of published models), which each say what they expected when a file is unreadable.
"""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

UNREADABLE = (SafetensorError, OSError, ValueError)  # what a corrupt, truncated or foreign file raises


def read_safetensors_file(path: str | Path, weights: bool = True) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The file's metadata and, when asked, its tensors by name (else {}: only the header is
    read). Raises one of UNREADABLE for a file that is not readable safetensors."""
    with safe_open(str(path), framework="pt", device="cpu") as f:
        meta = f.metadata() or {}
        return meta, ({k: f.get_tensor(k) for k in f.keys()} if weights else {})
