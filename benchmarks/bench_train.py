"""Training speed and memory per registered model (not a test; see docs/quality-study.md).

    python benchmarks/bench_train.py                         # every model, batch 4, crop 256, CPU
    python benchmarks/bench_train.py --models seed nafnet-s --batch 8 --device cuda

One training step = the product's `gan_step` (report losses: D on real and fake, then
G with L1 + BCE; `--no-gan` for G alone) with Adam. Each case runs in a fresh
subprocess so its peak RSS (ru_maxrss) is its own; on CUDA peak memory is
torch.cuda.max_memory_allocated. FLOPs of one step (forward and backward) are counted
with torch's FlopCounterMode and set against the measured fp32 matmul peak: on a
shared CPU, per CPU-second (robust to other processes' load), on CUDA per wall second.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_inference import cpu_seconds, machine, matmul_peak  # noqa: E402


def one(args) -> None:
    import resource

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from core.config import LossConfig, ModelConfig
    from core.models import build_discriminator, build_generator, count_parameters, get_spec
    from core.training.step import gan_step

    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    torch.manual_seed(0)
    cfg = ModelConfig(name=args.model)
    spec = get_spec(args.model)
    g = build_generator(cfg).to(dev)
    d = None if args.no_gan else build_discriminator(cfg).to(dev)
    if args.channels_last:
        g = g.to(memory_format=torch.channels_last)
        d = d.to(memory_format=torch.channels_last) if d is not None else None
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999)) if d is not None else None
    amp = None
    if dev.type == "cuda" and args.amp:
        amp = torch.bfloat16
    loss = LossConfig(gan=not args.no_gan)
    blur = spec.to_model(torch.rand(args.batch, 3, args.crop, args.crop, device=dev))
    sharp = spec.to_model(torch.rand(args.batch, 3, args.crop, args.crop, device=dev))
    if args.channels_last:
        blur, sharp = (t.contiguous(memory_format=torch.channels_last) for t in (blur, sharp))

    def step():
        gan_step(g, d, opt_g, opt_d, blur, sharp, loss, amp, dev, use_gan=d is not None, to01=spec.from_model)

    with FlopCounterMode(display=False) as fc:
        step()  # also the warm-up: allocator, oneDNN plans
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    sync()
    t, c = time.perf_counter(), cpu_seconds()
    for _ in range(args.steps):
        step()
    sync()
    sec, cpu = (time.perf_counter() - t) / args.steps, (cpu_seconds() - c) / args.steps
    gflop = fc.get_total_flops() / 1e9
    out = {"model": args.model, "device": str(dev), "batch": args.batch, "crop": args.crop,
           "gan": d is not None, "params_g": count_parameters(g), "step_s": sec, "cpu_s": cpu,
           "images_per_s": args.batch / sec, "cpu_s_per_image": cpu / args.batch, "gflop_per_step": gflop,
           "gflop_per_s": gflop / sec, "gflop_per_cpu_s": gflop / max(cpu, 1e-9),
           "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": torch.get_num_threads()}
    if dev.type == "cuda":
        out["gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))


def case(args, model: str) -> dict:
    cmd = [sys.executable, __file__, "--one", "--models", model, "--device", args.device, "--batch", str(args.batch),
           "--crop", str(args.crop), "--steps", str(args.steps)]
    cmd += [f for f, on in (("--no-gan", args.no_gan), ("--channels-last", args.channels_last),
                            ("--amp", args.amp)) if on]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return {"model": model, "error": (r.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="*", help="default: every registered model")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--steps", type=int, default=2, help="timed steps after one warm-up step")
    p.add_argument("--threads", type=int)
    p.add_argument("--no-gan", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA only; ~500x slower on this CPU)")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        args.model = args.models[0]
        one(args)
        return
    from core.models import REGISTRY

    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    peak = matmul_peak(args.device)
    cuda = args.device.startswith("cuda")
    print(f"Machine: {machine(args.device, peak)}\n")
    print(f"Batch {args.batch}, crop {args.crop}, {'G + D (report losses)' if not args.no_gan else 'G alone'}"
          f"{', channels_last' if args.channels_last else ''}{', bf16' if args.amp else ''}; "
          f"{args.steps} timed steps after one warm-up\n")
    print(f"| model | G params (M) | images/s (wall) | CPU s / image | GFLOP / step | GFLOP/s (wall) "
          f"| GFLOP per {'s' if cuda else 'CPU-s'} (of matmul's) | peak {'GPU MB' if cuda else 'RSS MB'} |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.models or list(REGISTRY):
        r = case(args, name)
        if "error" in r:
            print(f"| {name} | failed: {r['error']} |", flush=True)
            continue
        eff = r["gflop_per_s"] if cuda else r["gflop_per_cpu_s"]
        mem = r["gpu_mb"] if cuda else r["rss_mb"]
        print(f"| {name} | {r['params_g'] / 1e6:.2f} | {r['images_per_s']:.2f} | {r['cpu_s_per_image']:.2f} "
              f"| {r['gflop_per_step']:.0f} | {r['gflop_per_s']:.1f} "
              f"| {eff:.1f} ({100 * eff / peak[0 if cuda else 1]:.0f}%) | {mem:.0f} |", flush=True)


if __name__ == "__main__":
    main()
