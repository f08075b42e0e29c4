"""Quality per CPU-second: the report's recipe against seed-plus and nafnet-s, same data.

    python benchmarks/quality_study.py prepare            # fixed pair set in runs/study-data
    nice python benchmarks/quality_study.py run NAME ...   # one config per process, in order
    python benchmarks/quality_study.py report             # table (Markdown) + docs/quality-study.png

Every config trains with `core.training.loop.Trainer` (the product's loop) on the same
synthetic camera-shake pairs (core.data.synth: BSDS train photos for training, Kodak
photos for validation) with the same crops and batch, and stops after the same budget
of *training* CPU time (process CPU seconds, validation excluded). CPU time rather than
wall time because this 2-core machine is shared: wall time would measure the
neighbours. One thread, because two OpenMP threads on a busy machine spin-wait.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.config import RunConfig  # noqa: E402
from core.events import Step, Validated  # noqa: E402

SHARED = Path(os.environ.get("SHARED_DATA", ROOT.parent / "shared" / "data"))
DATA = ROOT / "runs" / "study-data"
OUT = Path(os.environ.get("STUDY_OUT", ROOT / "runs" / "study"))
BUDGET_S = float(os.environ.get("STUDY_BUDGET_S", 180))


def base() -> RunConfig:
    cfg = RunConfig()
    cfg.data.root = str(DATA)
    cfg.data.max_side = None  # the pair set is already small
    cfg.data.crop = 128
    cfg.train.batch_size = 4
    cfg.train.epochs = 1000  # the budget stops the run
    cfg.train.log_every = 1
    cfg.train.device = "cpu"
    cfg.train.samples = 0
    return cfg


def _modern(cfg: RunConfig, gan: bool) -> RunConfig:
    from core.training.presets import preset

    best = preset("best")
    cfg.model.name = "nafnet-s"
    cfg.model.options = best.model.options
    cfg.loss = best.loss
    cfg.loss.gan = gan
    cfg.loss.d_warmup_steps = 50
    t, b = cfg.train, best.train
    t.optimizer, t.lr_g, t.lr_d, t.betas, t.weight_decay = b.optimizer, b.lr_g, b.lr_d, b.betas, b.weight_decay
    t.scheduler, t.warmup_steps, t.grad_clip, t.ema_decay = "constant", 50, b.grad_clip, b.ema_decay
    return cfg


def configs() -> dict[str, RunConfig]:
    out = {}
    out["seed-report"] = base()  # the report's model and losses
    c = base(); c.model.name = "seed-plus"; out["seed-plus-report"] = c
    c = base(); c.model.name = "nafnet-s"; out["nafnet-s-report"] = c
    out["nafnet-s-modern-nogan"] = _modern(base(), gan=False)
    out["nafnet-s-modern-gan"] = _modern(base(), gan=True)
    return out


def prepare() -> None:
    from core.data.synth import SynthOptions, synth_folder

    opts = SynthOptions(max_kernel=21)
    for split, src, files, side, seed in (("train", "bsds_train200", 64, 320, 0), ("val", "kodak24", 8, 256, 1)):
        dest = DATA / split / "s0"
        if (dest / "blur").is_dir():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for f in sorted((SHARED / "sharp" / src).glob("*.png"))[:files]:
                os.symlink(f, Path(tmp) / f.name)
            for ev in synth_folder(tmp, dest, seed=seed, opts=opts, max_side=side):
                print(ev)


def run(name: str) -> None:
    from core.training.loop import Trainer

    torch.set_num_threads(1)
    cfg = configs()[name]
    out = OUT / name
    if out.exists():
        raise SystemExit(f"{out} exists; delete it to rerun {name}")
    trainer = Trainer(cfg, out)
    train_cpu, mark, steps, curve = 0.0, time.process_time(), 0, []
    for ev in trainer:
        now = time.process_time()
        if isinstance(ev, Step):  # CPU time since the previous step (or the end of validation)
            train_cpu += now - mark
            steps = ev.global_step
            if train_cpu >= BUDGET_S:
                trainer.request_stop()
        if isinstance(ev, Validated):
            curve.append(dict(cpu_s=round(train_cpu, 1), step=steps, psnr=ev.psnr, ssim=ev.ssim,
                              val_loss=ev.val_loss))
            print(name, curve[-1], flush=True)
        mark = time.process_time()
    # The stop comes mid-epoch: validate the final weights once more so every config
    # ends on the same budget.
    from core.model_files import load_generator
    from core.models import get_spec

    g, _ = load_generator(out / "checkpoints" / "last.pt")
    _, _, val_ds = trainer._setup_data()
    _, p, s, _ = trainer._validate(g, get_spec(cfg.model.name), val_ds, torch.device("cpu"), None)
    curve.append(dict(cpu_s=round(train_cpu, 1), step=steps, psnr=p, ssim=s, final=True))
    print(name, curve[-1], flush=True)
    (out / "curve.json").write_text(json.dumps(curve, indent=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["prepare", "run", "report", "list"])
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    if a.what == "prepare":
        prepare()
    elif a.what == "list":
        print("\n".join(configs()))
    elif a.what == "run":
        for n in a.names or list(configs()):
            run(n)
    else:
        from benchmarks.study_report import report  # noqa: E402
        report(OUT, ROOT / "docs")
