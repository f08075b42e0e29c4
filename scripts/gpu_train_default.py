"""Train the default model further on a GPU, in one short device run.

A session that is lent a GPU machine gets ~15 minutes of it, in all, and the machine
sees only the working tree (not ../shared). So:

  here:     .venv/bin/python scripts/gpu_train_default.py pack
            # the 32 product-safe training photos -> train_data/ (git-ignored), ~18 MB
  GPU:      device run, carry ["train_data"], timeout_s 600, command:
            PYTHONUNBUFFERED=1 PYTHONPATH=. python3 scripts/gpu_train_default.py train --budget 420 --out "$OUT"
  here:     cp <files_at>/default.safetensors resources/models/ and evaluate it as
            docs/default-model.md says (held-apart synthetic pairs and Levin 2009)

`train` fine-tunes the shipped default model (resources/models/default.safetensors,
which travels with the tree; its architecture comes from the file) with
scripts/train_default_gpu.json: the CPU recipe
(Charbonnier + FFT, AdamW cosine, EMA, mixed blur) with GPU-sized batches and crops.
A probe of two short epochs measures the time per epoch; the run then gets as many
epochs as fit in --budget seconds, so its cosine schedule ends on time. A watchdog
stops it (checkpoint saved) at 1.3x the budget should the probe have been optimistic.
Everything that comes back is in --out: default.safetensors, log.txt, metrics.jsonl,
config.json and summary.json (steps, seconds, device). Checkpoints (30 MB) stay behind.

Dry run on the CPU, to check the script before spending device time:
  .venv/bin/python scripts/gpu_train_default.py train --device cpu --budget 60 \
      --batch-size 2 --crop 64 --repeat 1 --out /tmp/gpu-dry
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from core.config import RunConfig  # noqa: E402
from core.events import Finished, Message, RunStarted, Step, Validated  # noqa: E402
from core.model_files import export_safetensors  # noqa: E402
from core.model_files import model_config  # noqa: E402
from core.training.loop import Trainer  # noqa: E402
import default_photos  # noqa: E402

CONFIG = ROOT / "scripts" / "train_default_gpu.json"
DATA = ROOT / "train_data"


def pack(shared: Path) -> None:
    """The photos scripts/train_default.sh links, copied (the GPU machine cannot follow
    links out of the tree), under the same names so the held-apart split is the same."""
    photos = default_photos.gather(shared, DATA, copy=True)
    mb = sum(p.stat().st_size for p in photos) / 1e6
    print(f"{len(photos)} photos in {DATA} ({mb:.1f} MB); carry it as 'train_data'")


def make_config(args: argparse.Namespace, epochs: int) -> RunConfig:
    cfg = RunConfig.load(CONFIG)
    cfg.data.root = str(args.data)
    cfg.train.epochs = epochs
    cfg.train.init_from = str(args.init_from)
    cfg.model = model_config(args.init_from).model  # fine-tuning keeps the model's architecture
    for name, section in (("batch_size", cfg.train), ("crop", cfg.data), ("repeat", cfg.data), ("device", cfg.train)):
        if getattr(args, name) is not None:
            setattr(section, name, getattr(args, name))
    wanted = args.workers if args.workers is not None else max(1, (os.cpu_count() or 2) - 2)
    cfg.data.num_workers = workers_for_shm(wanted, cfg.train.batch_size, cfg.data.crop)
    return cfg


def workers_for_shm(wanted: int, batch: int, crop: int, shm: str = "/dev/shm") -> int:
    """Loader workers hand batches over through /dev/shm, two batches in flight each. A
    container's /dev/shm can be 64 MB (Docker's default) while one batch of 32 blurred +
    sharp 256 px crops is 50 MB: too many workers then die with a bus error, and the
    loan is spent. Keep their batches within half of what is free."""
    try:
        free = shutil.disk_usage(shm).free
    except OSError:  # no /dev/shm (not Linux): torch shares memory another way
        return wanted
    per_worker = 2 * batch * 2 * 3 * crop * crop * 4  # prefetch 2 x (blur, sharp) float32
    fit = int(free // 2 // per_worker)
    if fit < wanted:
        say_once(f"/dev/shm has {free / 1e6:.0f} MB free: {fit} loader workers, not {wanted}")
    return max(0, min(wanted, fit))


@functools.cache  # make_config runs for the probe and again for the run: one line is enough
def say_once(line: str) -> None:
    print(line, flush=True)


def probe(args: argparse.Namespace) -> float:
    """Seconds per epoch, steady state: the second of two epochs (the first pays for
    cuDNN's autotuning and the first worker start)."""
    marks, folder = [], Path(f"{args.run}-probe")
    shutil.rmtree(folder, ignore_errors=True)
    for e in Trainer(make_config(args, epochs=2), folder):
        if isinstance(e, RunStarted):
            print(f"probe: {e}", flush=True)
        if isinstance(e, Validated):
            marks.append(time.perf_counter())
    shutil.rmtree(folder, ignore_errors=True)
    return marks[1] - marks[0]


def train(args: argparse.Namespace) -> None:
    import torch

    t0 = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    run = Path(args.run)
    if run.exists():
        shutil.rmtree(run)
    try:
        per_epoch = probe(args)
    except RuntimeError as e:  # a loader worker died (shared memory, fork): no workers then
        if args.workers == 0 or "worker" not in str(e).lower():
            raise
        print(f"probe failed with loader workers ({e}); again with none", flush=True)
        args.workers = 0
        per_epoch = probe(args)
    left = args.budget - (time.perf_counter() - t0)
    epochs = max(1, int(left / per_epoch))
    print(f"probe: {per_epoch:.2f} s per epoch; {left:.0f} s left -> {epochs} epochs", flush=True)
    trainer = Trainer(make_config(args, epochs), run)
    watchdog = threading.Timer(max(30.0, 1.3 * left), trainer.request_stop)
    watchdog.daemon = True
    watchdog.start()
    last_step, finished = None, None
    for e in trainer:
        if isinstance(e, Step):
            last_step = e
            if e.step == 1 and e.epoch % 10 == 1:
                print(e, flush=True)
        elif isinstance(e, (Validated, Message, RunStarted)) and (not isinstance(e, Validated) or e.is_best
                                                                  or e.epoch % 10 == 0):
            print(e, flush=True)
        elif isinstance(e, Finished):
            finished = e
            print(e, flush=True)
    watchdog.cancel()
    model = export_safetensors(run / "checkpoints" / "last.pt", out / "default.safetensors")
    for name in ("log.txt", "metrics.jsonl", "config.json"):
        if (run / name).exists():
            shutil.copyfile(run / name, out / name)
    summary = {
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else "cpu",
        "torch": torch.__version__, "probe_s_per_epoch": per_epoch, "epochs": epochs,
        "reason": finished.reason if finished else None,
        "global_steps": finished.global_step if finished else (last_step.global_step if last_step else 0),
        "wall_s": time.perf_counter() - t0, "model_mb": model.stat().st_size / 1e6,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary), flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="copy the training photos into train_data/ (run here)")
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    t = sub.add_parser("train", help="probe, train for --budget seconds, export (run on the GPU machine)")
    t.add_argument("--out", required=True, help="where the model, logs and summary go ($OUT there)")
    t.add_argument("--budget", type=float, default=420, help="seconds of training, probe included")
    t.add_argument("--data", type=Path, default=DATA)
    t.add_argument("--init-from", type=Path, default=ROOT / "resources" / "models" / "default.safetensors")
    t.add_argument("--run", default="/tmp/gpu-default-run", help="run folder (checkpoints stay there)")
    t.add_argument("--device")
    t.add_argument("--workers", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--crop", type=int)
    t.add_argument("--repeat", type=int)
    args = ap.parse_args(argv)
    if args.cmd == "pack":
        pack(args.shared)
    else:
        train(args)


if __name__ == "__main__":
    main()
