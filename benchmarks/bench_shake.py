"""Whole-process time of `deblur run --engine shake` on one photo (not a test; the figures
are in docs/shake-reduction.md and docs/refine-model.md). Two variants: the engine alone
(`--no-refine`; issue 23's budget: <= 3 s for 1280x720, <= 10 s for 12 megapixels) and
the whole pipeline with the shipped kernel-aware refiner (issue 24's: <= 4 s and <= 15 s),
on two cores.

    python benchmarks/bench_shake.py [PHOTO] [REPEATS] [--refiner MODEL]

PHOTO defaults to ../shared/data/real_blur_only/SRN-Deblur__testing_set_01.png (a real
1280x720 handheld photo). Its 12-megapixel case is the same photo upscaled to 4000x3000
and saved as JPEG q92 (upscaling also scales its blur, ~70 px, as a 12 MP sensor would
see the same shake). Each run is a fresh `deblur` process, as a user runs it: start-up,
reading, estimation, deconvolution and writing included. Wall seconds and the CPU
seconds of the child process (user + sys) are printed; run it with `uptime` load < 0.5.
Without a shipped refiner (resources/models/refine.safetensors) the second variant is the
engine alone again, so time a trained one with `--refiner MODEL` (a checkpoint or export).
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared/data/real_blur_only/SRN-Deblur__testing_set_01.png"
DEBLUR = Path(sys.executable).with_name("deblur")


VARIANTS = {"engine alone (--no-refine)": ["--no-refine"], "engine + refiner": []}


def run_once(photo: Path, out: Path, flags: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([str(DEBLUR), "run", "-q", "--engine", "shake", *flags, str(photo), "-o", str(out),
                    "--overwrite"], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    from PIL import Image
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photo", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("repeats", nargs="?", type=int, default=3)
    ap.add_argument("--refiner", help="time this refiner instead of the shipped one")
    args = ap.parse_args()
    photo, repeats = args.photo, args.repeats
    if args.refiner:
        VARIANTS["engine + refiner"] = ["--refiner", args.refiner]
    print(f"load average {os.getloadavg()[0]:.2f} (quiet < 0.5)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "photo_12mp.jpg"
        Image.open(photo).convert("RGB").resize((4000, 3000), Image.BICUBIC).save(big, quality=92)
        for p in (photo, big):
            w, h = Image.open(p).size
            for name, flags in VARIANTS.items():
                times = [run_once(p, tmp / "out", flags) for _ in range(repeats)]
                best = min(times)
                med = sorted(times)[len(times) // 2]
                print(f"{p.name} {w}x{h}, {name}: median {med[0]:.2f} s wall ({med[1]:.2f} CPU-s), "
                      f"best {best[0]:.2f} s over {repeats} runs")


if __name__ == "__main__":
    main()
