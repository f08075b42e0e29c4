"""Whole-process speed of `deblur scan` on 12-megapixel JPEGs (issue 25's budget:
<= 0.3 s a photo on two cores). Not a test; figures in docs/blur-triage.md.

    python benchmarks/bench_scan.py [N]

The 12 MP photos are made by upscaling sharp photos of ../shared/data/sharp/kodak24
(768x512) to 4000x3000 (bicubic) and saving them as JPEG q92 in a temporary folder;
upscaled photos decode like camera JPEGs of that size, though they hold less detail.
Each run is one fresh `deblur scan` process over the N photos (default 20), start-up
included; wall seconds and the child's CPU seconds (user + sys) per photo are printed.
Run it with `uptime` load < 0.5 for clean figures.
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
KODAK = ROOT.parent / "shared/data/sharp/kodak24"
DEBLUR = Path(sys.executable).with_name("deblur")


def main() -> None:
    from PIL import Image
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    sources = sorted(KODAK.glob("*.png"))
    if not sources:
        sys.exit(f"no photos in {KODAK}")
    print(f"load average {os.getloadavg()[0]:.2f} (quiet < 0.5)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(n):
            im = Image.open(sources[i % len(sources)]).convert("RGB")
            im.resize((4000, 3000), Image.BICUBIC).save(folder / f"img_{i:03d}.jpg", quality=92)
        for run in range(2):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([str(DEBLUR), "scan", "-q", "--bursts", str(folder)], check=True,
                           stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            print(f"run {run + 1}: {n} photos 4000x3000 JPEG: {wall:.2f} s wall, {cpu:.2f} CPU-s; "
                  f"{wall / n:.3f} s and {cpu / n:.3f} CPU-s per photo, start-up included")


if __name__ == "__main__":
    main()
