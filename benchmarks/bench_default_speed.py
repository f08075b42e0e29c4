"""Seconds per 1280x720 frame for the shipped default model (not a test; the figure is in
resources/models/default.md and docs/benchmarks-inference.md).

    python benchmarks/bench_default_speed.py [THREADS] [MODEL] [ENSEMBLE]

MODEL '' = the default; ENSEMBLE = views averaged, 1, 4 or 8 (`deblur run --ensemble`).

One warm-up run, then three timed ones: wall seconds and CPU seconds of this process.
Run it on a quiet machine; other jobs on the cores slow it 2-7x.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.inference import Deblurrer, resolve_model  # noqa: E402


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    model = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    ensemble = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    d = Deblurrer.from_file(resolve_model(model), device="cpu", ensemble=ensemble)
    img = np.random.default_rng(0).random((720, 1280, 3), dtype=np.float32)
    d.deblur(img)  # warm-up: allocations, oneDNN kernel choice
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        d.deblur(img)
        print(f"{threads} thread(s), {ensemble} view(s): {time.perf_counter() - t:.2f} s wall, {time.process_time() - c:.2f} CPU-s")


if __name__ == "__main__":
    main()
