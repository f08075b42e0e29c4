"""Inference speed and memory per registered model (not a test; see docs/benchmarks-inference.md).

    python benchmarks/bench_inference.py models                 # every model, 1280x720 and 24 MP
    python benchmarks/bench_inference.py models --sizes 720p --models seed nafnet-s
    python benchmarks/bench_inference.py options --model seed   # what each default option buys

Each case runs in a fresh subprocess, so its peak RSS (ru_maxrss) is its own. Models
have random weights (speed does not depend on them). FLOPs are counted with torch's
FlopCounterMode on the tiles actually run (overlap included) and set against the
machine's measured fp32 matmul peak.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = {"720p": (720, 1280), "24mp": (4000, 6000)}


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def matmul_peak(device: str, seconds: float = 3.0) -> tuple[float, float]:
    """fp32 GFLOP/s of 2048^3 matmuls, the best this device does on dense math:
    (per wall second, per CPU second). On a shared machine the wall figure drops with
    the load while the CPU-second one does not, so the table compares CPU seconds."""
    import torch

    n = 2048
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(2):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    count, t, c = 0, time.perf_counter(), cpu_seconds()
    while time.perf_counter() - t < seconds:
        a @ b
        count += 1
    if device == "cuda":
        torch.cuda.synchronize()
    flop = 2 * n ** 3 * count / 1e9
    return flop / (time.perf_counter() - t), flop / max(cpu_seconds() - c, 1e-9)


def flops_per_pixel(deblurrer) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    s = 4 * deblurrer.align
    x = torch.rand(1, 3, s, s, device=deblurrer.device)
    with FlopCounterMode(display=False) as fc, torch.inference_mode():
        deblurrer.generator(deblurrer.spec.to_model(x))
    return fc.get_total_flops() / (s * s)


def one(args) -> dict:
    """A single case, in this process: prints one JSON line."""
    import numpy as np
    import torch

    from core.config import RunConfig
    from core.inference import Deblurrer
    from core.models import build_generator, run_generator

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = RunConfig()
    cfg.model.name = args.model
    torch.manual_seed(0)
    g = build_generator(cfg.model)
    d = Deblurrer(g, cfg, device=args.device, precision=args.precision,
                  channels_last=args.channels_last, fuse_bn=not args.no_fuse)
    h, w = SIZES[args.size]
    img = np.random.default_rng(0).random((h, w, 3), dtype=np.float32)
    tile = args.tile
    if args.no_grad:  # the plain baseline: autograd's no_grad instead of inference_mode
        def run(t):
            with torch.no_grad():
                x = torch.from_numpy(t).permute(2, 0, 1).unsqueeze(0).to(d.device)
                return run_generator(d.generator, d.spec, x)[0].permute(1, 2, 0).cpu().numpy()
        d._run = run
    if args.compile:
        d.generator = torch.compile(d.generator)
    grid = d.grid(h, w, tile)
    run_px = len(grid) * grid.th * grid.tw
    fpp = flops_per_pixel(d)
    if args.warmup:  # one tile, so one-off costs (allocator, oneDNN plans, compile) are not timed
        s = min(256, grid.th, grid.tw)
        d._run(np.ascontiguousarray(img[:s, :s]))
    if d.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        torch.cuda.synchronize()
    t, c = time.perf_counter(), cpu_seconds()
    d.deblur(img, tile=tile)
    if d.device.type == "cuda":
        torch.cuda.synchronize()
    sec = time.perf_counter() - t
    cpu = cpu_seconds() - c
    out = {"model": args.model, "size": args.size, "device": str(d.device), "tile": grid.th if len(grid) > 1 else 0,
           "tiles": len(grid), "seconds": sec, "cpu_s": cpu, "mp_per_s": h * w / 1e6 / sec,
           "gflop": fpp * run_px / 1e9, "gflop_per_s": fpp * run_px / 1e9 / sec,
           "gflop_per_cpu_s": fpp * run_px / 1e9 / max(cpu, 1e-9),
           "overlap": run_px / (h * w), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "threads": torch.get_num_threads()}
    if d.device.type == "cuda":
        out["gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(out))
    return out


def case(**kw) -> dict:
    cmd = [sys.executable, __file__, "one"]
    for k, v in kw.items():
        if v is True and k != "channels_last":
            cmd.append(f"--{k.replace('_', '-')}")
        elif v is not None and (v is not False or k == "channels_last"):
            cmd += [f"--{k.replace('_', '-')}", str(v)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1], **kw}
    return json.loads(r.stdout.strip().splitlines()[-1])


def row(label: str, r: dict, peak: tuple[float, float]) -> str:
    if "error" in r:
        return f"| {label} | failed: {r['error']} |"
    gpu = f" / {r['gpu_mb']:.0f}" if "gpu_mb" in r else ""
    # on CPU, FLOP per CPU-second against matmul's: robust to other processes' load
    cpu_side = r["device"] == "cpu"
    eff = r["gflop_per_cpu_s"] if cpu_side else r["gflop_per_s"]
    return (f"| {label} | {r['seconds']:.1f} | {r['cpu_s']:.1f} | {r['mp_per_s']:.3f} "
            f"| {r['tiles']} x {r['tile'] or 'whole'} | {r['rss_mb']:.0f}{gpu} "
            f"| {r['gflop_per_s']:.1f} | {eff:.1f} ({100 * eff / peak[1 if cpu_side else 0]:.0f}%) |")


HEADER = ("| case | wall s | CPU s | MP/s (wall) | tiles | peak RSS MB{gpu} | GFLOP/s (wall) "
          "| GFLOP per {unit} (of matmul's) |\n|---|---|---|---|---|---|---|---|")


def machine(device: str, peak: float) -> str:
    import torch
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, torch "
            f"{torch.__version__}, {torch.get_num_threads()} threads, device {device}; fp32 matmul "
            f"{peak[0]:.0f} GFLOP per wall second, {peak[1]:.0f} per CPU second; load average at start {load:.1f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["models", "options", "one"])
    p.add_argument("--models", nargs="*", help="default: every registered model")
    p.add_argument("--sizes", nargs="*", default=["720p", "24mp"], choices=list(SIZES))
    p.add_argument("--device", default="cpu")
    # for `one` and `options`
    p.add_argument("--model", default="seed")
    p.add_argument("--size", default="720p", choices=list(SIZES))
    p.add_argument("--tile", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--precision")
    p.add_argument("--channels-last", type=lambda v: v.lower() in ("1", "true", "yes"), default=None)
    p.add_argument("--no-fuse", action="store_true")
    p.add_argument("--no-grad", action="store_true")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--rows", nargs="*", type=int, help="options: run only these rows (1-based)")
    p.add_argument("--warmup", action="store_true")
    args = p.parse_args()
    if args.what == "one":
        one(args)
        return
    from core.models import REGISTRY

    peak = matmul_peak(args.device)
    gpu = " / GPU MB" if args.device.startswith("cuda") else ""
    print(f"Machine: {machine(args.device, peak)}\n")
    print(HEADER.format(gpu=gpu, unit="CPU-s" if args.device == "cpu" else "s"))
    if args.what == "models":
        for name in args.models or list(REGISTRY):
            for size in args.sizes:
                print(row(f"{name} {size}", case(model=name, size=size, device=args.device, warmup=True), peak),
                      flush=True)
    else:
        m, dev = args.model, args.device
        variants = [
            ("baseline: no_grad, NCHW, BatchNorm unfolded", dict(no_grad=True, no_fuse=True, channels_last=False)),
            ("+ inference_mode", dict(no_fuse=True, channels_last=False)),
            ("+ BatchNorm folded into convs", dict(channels_last=False)),
            ("+ channels_last = **default**", dict()),
            ("default + bf16 autocast", dict(precision="bf16")),
            ("default, 1 thread", dict(threads=1)),
            ("default, tile 256", dict(tile=256)),
            ("default, tile 512", dict(tile=512)),
            ("default, whole image (tile 0)", dict(tile=0)),
        ]
        variants = [v for i, v in enumerate(variants) if not args.rows or i + 1 in args.rows]
        if args.compile:
            variants.append(("default + torch.compile", dict(compile=True)))
        for label, kw in variants:
            print(row(label, case(model=m, size=args.size, device=dev, warmup=True, **kw), peak), flush=True)


if __name__ == "__main__":
    main()
