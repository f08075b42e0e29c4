"""`deblur train`: the training loop headless, printing the report's log lines."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from core.cli.common import CliError, stop_on_first_ctrl_c
from core.config import ADVERSARIAL_LOSSES, RunConfig
from core.training.presets import PRESETS, preset
from core.data.layouts import nested_hint
from core.paths import default_runs_dir
from core.run_folder import RunFolder


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model on a paired (or sharp-only) data folder",
                       description="Train a deblurring model. Every run folder holds config.json, "
                       "log.txt, metrics.jsonl and checkpoints/{last,best}.pt.")
    p.add_argument("--data", help="data folder: GoPro tree, blur/+sharp/ folders, RealBlur lists")
    p.add_argument("--config", type=Path, help="start from a config.json (flags below override it)")
    p.add_argument("--preset", choices=PRESETS,
                   help="start from a named recipe: report (the report's, = defaults) or best "
                        "(nafnet-s, Charbonnier + FFT, AdamW + cosine, EMA; --gan adds a light RaGAN-LS term) "
                        "or refine (the kernel-aware model that finishes shake reduction, on synthetic "
                        "pairs from sharp photos); flags override it")
    p.add_argument("--model", help="registered model name (default: seed, the report's GAN)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--crop", type=int, help="training crop in px after resizing (0 = whole images)")
    p.add_argument("--max-side", type=int, help="downscale so the long side is at most this (0 = native)")
    p.add_argument("--lr", type=float, help="learning rate of G and D")
    p.add_argument("--seed", type=int)
    p.add_argument("--log-every", type=int, help="log D/G loss every N steps (default 5, as the report)")
    p.add_argument("--no-gan", action="store_true", help="train the generator alone (pixel loss only)")
    p.add_argument("--gan", action="store_true", help="switch the adversarial term on (e.g. with --preset best)")
    p.add_argument("--gan-loss", choices=ADVERSARIAL_LOSSES, help="adversarial loss (report: bce)")
    p.add_argument("--adv-weight", type=float, help="weight of the adversarial term in G's loss")
    p.add_argument("--ema", type=float, metavar="DECAY", help="keep an EMA of G's weights (e.g. 0.999); "
                   "it is validated and saved as the model")
    p.add_argument("--grad-accum", type=int, metavar="N", help="split each batch into N chunks (less memory)")
    p.add_argument("--channels-last", action="store_true", help="channels_last memory format")
    p.add_argument("--compile", action="store_true", help="torch.compile the generator (GPU)")
    p.add_argument("--init-from", type=Path, metavar="CKPT",
                   help="fine-tune: start from this checkpoint's generator (and discriminator when it fits), "
                        "or from a .safetensors model such as the default")
    p.add_argument("--synthetic", action="store_true", help="sharp-only folder: synthesise blur on the fly")
    p.add_argument("--workers", type=int, help="data loader worker processes")
    p.add_argument("--repeat", type=int, metavar="N", help="training crops per photo per epoch (default 1)")
    p.add_argument("--keep-every", type=int, metavar="N",
                   help="also keep checkpoints/epoch-NNNN.pt every N epochs (mid-run weights to pick or average)")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--out", type=Path, help=f"run folder (default: {default_runs_dir()}/<model>-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--distributed", type=int, metavar="N",
                   help="train on N processes with DDP (re-launches itself under torchrun: N GPUs, or N CPU "
                        "processes with gloo); for several machines run torchrun yourself (see README)")
    p.add_argument("--show-config", action="store_true", help="print the resulting config (JSON) and exit")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    if args.config and args.preset:
        raise CliError("--config and --preset both choose a starting config; give one")
    cfg = RunConfig.load(args.config) if args.config else preset(args.preset or "report")
    if args.data:
        cfg.data.root = str(Path(args.data).expanduser().resolve())
    for arg, (section, name) in {
        "model": ("model", "name"), "epochs": ("train", "epochs"), "batch_size": ("train", "batch_size"),
        "crop": ("data", "crop"), "seed": ("train", "seed"), "workers": ("data", "num_workers"),
        "device": ("train", "device"), "log_every": ("train", "log_every"),
        "gan_loss": ("loss", "adversarial"), "adv_weight": ("loss", "adv_weight"), "ema": ("train", "ema_decay"),
        "grad_accum": ("train", "grad_accum"), "repeat": ("data", "repeat"),
        "keep_every": ("train", "keep_every"),
    }.items():
        v = getattr(args, arg)
        if v is not None:
            setattr(getattr(cfg, section), name, v)
    if args.max_side is not None:
        cfg.data.max_side = args.max_side or None
    if args.lr is not None:
        cfg.train.lr_g = cfg.train.lr_d = args.lr
    if args.no_gan and args.gan:
        raise CliError("--gan and --no-gan contradict each other")
    if args.no_gan:
        cfg.loss.gan = False
    if args.gan:
        cfg.loss.gan = True
    if args.synthetic:
        cfg.data.synthetic = True
    if args.channels_last:
        cfg.train.channels_last = True
    if args.compile:
        cfg.train.compile = True
    if args.init_from:
        cfg.train.init_from = str(args.init_from.expanduser().resolve())
    return cfg


def relaunch_under_torchrun(args: argparse.Namespace, argv: list[str]) -> int:
    """`deblur train --distributed N ...` = `torchrun --nproc_per_node=N -m core train ...`
    with a fixed --out, so every process agrees on the run folder."""
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--distributed":
            skip = True
        elif not a.startswith("--distributed="):
            rest.append(a)
    if not args.out:
        rest += ["--out", str(RunFolder.new(args.model or "seed"))]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={args.distributed}",
           "-m", "core", *rest]
    print("Launching:", " ".join(cmd), flush=True)
    return subprocess.call(cmd, env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})


def run(args: argparse.Namespace) -> int:
    # late: these load torch; `deblur --help` and the other subcommands stay fast
    from core.training.distributed import launched_by_torchrun
    from core.training.loop import Trainer

    if args.distributed and not launched_by_torchrun():
        if args.distributed < 1:
            raise CliError("--distributed needs a number of processes (1 or more)")
        argv = sys.argv[1:]
        return relaunch_under_torchrun(args, argv[argv.index("train"):] if "train" in argv else argv)
    if launched_by_torchrun() and not args.out:
        raise CliError("under torchrun give --out RUN_DIR, so that every process uses the same run folder")

    if args.resume:
        if not args.out:
            raise CliError("--resume needs --out RUN_DIR (the run folder to continue)")
        trainer = Trainer(None, args.out, resume=True, epochs=args.epochs, device=args.device)
    elif args.show_config:
        print(config_from_args(args).to_json())
        return 0
    else:
        if not args.data and not args.config:
            raise CliError("--data DIR is required (or --config with data.root set)")
        cfg = config_from_args(args)
        if not cfg.data.root:
            raise CliError("--data DIR is required")
        out = args.out or RunFolder.new(cfg.model.name).path
        if RunFolder(out).holds_run():
            raise CliError(f"{out} already holds a run; use --resume to continue it or choose another --out")
        hint = nested_hint(cfg.data.root)  # the parent of a paired set would be read as sharp photos
        if hint:
            raise CliError(hint)
        trainer = Trainer(cfg, out)

    # First Ctrl+C asks the loop to checkpoint and stop; a second one aborts.
    with stop_on_first_ctrl_c("\nStopping after this step (checkpoint will be saved); Ctrl+C again to abort.",
                              trainer.request_stop):
        for event in trainer:
            if type(event).__name__ != "Sample":
                print(printed(event), flush=True)
    return 0


def printed(event) -> str:
    """The event's log line (log.txt's, the report's format); a Step's gets the run's ETA
    after it on the terminal: `Epoch [5/80], Step [6/129], D Loss: ..., G Loss: ... | ETA 1:02:03`."""
    eta = getattr(event, "eta_s", None) if type(event).__name__ == "Step" else None
    if eta is None:
        return str(event)
    s = int(eta)
    return f"{event} | ETA {s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
