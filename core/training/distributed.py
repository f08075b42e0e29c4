"""Multi-process training with PyTorch's own engine: torchrun + DistributedDataParallel.

    torchrun --nproc_per_node=4 -m core train --data DIR ...      # one machine, 4 GPUs
    deblur train --distributed ...                                  # the same, launched for you

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT; `setup()` reads
them and joins the process group (NCCL on CUDA, gloo on CPU). Every rank runs the same
loop on its slice of each *global* batch (so a checkpoint's position in an epoch means
the same for any number of processes, and a run resumes with a different world size);
gradients are averaged by DDP, logged losses are averaged over ranks, and only rank 0
validates, logs and writes files.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SINGLE = DistInfo()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device_name: str = "auto") -> tuple[DistInfo, str]:
    """Join the process group torchrun describes; returns (info, device name for this rank)."""
    if not launched_by_torchrun():
        return SINGLE, device_name
    info = DistInfo(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", 0)))
    use_cuda = device_name in ("auto", "cuda") and torch.cuda.is_available() or device_name.startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(info.local_rank)
        device_name = f"cuda:{info.local_rank}"
    elif device_name == "auto":
        device_name = "cpu"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", rank=info.rank, world_size=info.world_size,
                                timeout=timedelta(minutes=30))
    return info, device_name


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def wrap(module: nn.Module, dev: torch.device) -> nn.Module:
    """DDP around a module; BatchNorm becomes SyncBatchNorm on GPUs (PyTorch supports it
    only there: on CPU each rank keeps its own batch statistics)."""
    if dev.type == "cuda":
        module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
    # Depthwise-conv weight gradients (Cx1x3x3) come back with a different but equivalent
    # stride on the size-1 axis; DDP warns on every process though nothing is wrong.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    return nn.parallel.DistributedDataParallel(module, device_ids=[dev.index] if dev.type == "cuda" else None)


def mean_over_ranks(values: list[float], dev: torch.device) -> list[float]:
    t = torch.tensor(values, dtype=torch.float64, device=dev)
    dist.all_reduce(t)
    return (t / dist.get_world_size()).tolist()


def any_rank(*flags: bool, dev: torch.device) -> list[bool]:
    """Each flag true on every rank when it is true on one (a stop request reaches one
    process); all flags in one collective, since this runs after every step."""
    t = torch.tensor([1.0 if f else 0.0 for f in flags], device=dev)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def shard(batch: list[int], info: DistInfo, pad_from: list[int]) -> list[int]:
    """This rank's part of a global batch. A batch that does not split evenly is padded
    with the epoch's first indices (as DistributedSampler pads) so every rank takes the
    same number of images: DDP's averaged gradient is then the global batch's mean."""
    per = -(-len(batch) // info.world_size)
    padded = batch + [pad_from[i % len(pad_from)] for i in range(per * info.world_size - len(batch))]
    return padded[info.rank * per:(info.rank + 1) * per]
