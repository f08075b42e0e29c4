"""Two CPU processes (gloo) train with DistributedDataParallel as torchrun would run them:
identical weights on both ranks, one set of checkpoints, logged losses = mean over ranks,
the same result as one process on the same global batches, and resume on one process."""
import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from core.model_files import load_checkpoint
from core.training import distributed
from core.training.distributed import DistInfo, shard
from core.training.loop import Trainer
from core.training.presets import preset


def tiny_config(root, epochs=1):
    cfg = preset("best")  # nafnet-s + (switched on) PatchGAN with spectral norm, EMA, AdamW
    cfg.data.root, cfg.data.crop = str(root), 64
    # LSGAN, not the preset's RaGAN-LS: its "average" is over the batch a process sees, so
    # with RaGAN two half batches legitimately differ from one whole batch
    cfg.loss.gan, cfg.loss.d_warmup_steps, cfg.loss.adversarial = True, 0, "lsgan"
    t = cfg.train
    t.epochs, t.batch_size, t.log_every, t.device, t.samples, t.warmup_steps = epochs, 4, 1, "cpu", 0, 0
    return cfg


def _rank(rank, world, port, root, run, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    # This process's own losses (before the mean over ranks) and its generator, recorded by
    # wrapping two of core.training.distributed's functions: a fresh spawned process, so
    # nothing to undo, and the trainer carries no test-only state.
    local, wrapped = [], []
    mean_over_ranks, wrap = distributed.mean_over_ranks, distributed.wrap

    def recording_mean(values, dev):
        local.append(tuple(values))  # (d, g, pixel) at each logged step
        return mean_over_ranks(values, dev)

    def recording_wrap(module, dev):
        wrapped.append(module)  # the generator first, then the discriminator
        return wrap(module, dev)

    distributed.mean_over_ranks, distributed.wrap = recording_mean, recording_wrap
    events = [type(ev).__name__ for ev in Trainer(tiny_config(root), run)]
    torch.save({"events": events, "local": local, "weights": wrapped[0].state_dict()},
               os.path.join(out, f"rank{rank}.pt"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_shard_splits_a_global_batch_evenly_with_padding():
    order = [5, 3, 8, 1, 0, 7, 2]
    parts = [shard([2, 9, 4], DistInfo(r, 2), order) for r in range(2)]
    assert parts == [[2, 9], [4, 5]]  # padded with the epoch's first index
    assert shard([1, 2, 3, 4], DistInfo(1, 2), order) == [3, 4]


def test_two_processes_train_like_one(make_flat, tmp_path):
    root = make_flat(n=9, size=(64, 72))  # 8 train / 1 val -> 2 global batches of 4 per epoch
    ddp_run, out = tmp_path / "ddp", tmp_path / "out"
    out.mkdir()
    mp.start_processes(_rank, args=(2, _free_port(), str(root), str(ddp_run), str(out)), nprocs=2,
                       join=True, start_method="spawn")
    r0, r1 = (torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2))
    for k in r0["weights"]:  # DDP kept the replicas identical
        torch.testing.assert_close(r0["weights"][k], r1["weights"][k], rtol=0, atol=0, msg=k)
    assert r1["events"] == [] and "Validated" in r0["events"]  # only rank 0 reports
    assert sorted(p.name for p in (ddp_run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    logged = [json.loads(line) for line in (ddp_run / "metrics.jsonl").read_text().splitlines()]
    steps = [m for m in logged if m["event"] == "Step"]
    assert len(steps) == 2
    for m, a, b in zip(steps, r0["local"], r1["local"]):
        assert a[1] != b[1]  # the ranks saw different images...
        assert m["g_loss"] == pytest.approx((a[1] + b[1]) / 2, rel=1e-6)  # ...and the log is their mean
        assert m["d_loss"] == pytest.approx((a[0] + b[0]) / 2, rel=1e-6)

    # One process on the same global batches reaches the same weights (up to float
    # summation order), and a run resumes with a different number of processes.
    single = tmp_path / "single"
    list(Trainer(tiny_config(root), single))
    a = load_checkpoint(single / "checkpoints" / "last.pt")["generator_raw"]
    for k in a:
        torch.testing.assert_close(a[k], r0["weights"][k], rtol=0, atol=1e-6, msg=k)
    events = list(Trainer(None, ddp_run, resume=True, epochs=2))
    assert events[-1].reason == "completed" and events[-1].global_step == 4
