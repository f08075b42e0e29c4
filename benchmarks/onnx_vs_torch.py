"""Is onnxruntime faster than PyTorch on CPU for the default model? (issue 12)

    python benchmarks/onnx_vs_torch.py [--size 512] [--repeats 3] [--arch nafnet-s | --model PATH]

Times one whole-image forward pass (no tiling) of the same graph both ways, same thread
count, best of N; without --model the --arch architecture with random weights (speed does
not depend on the weights).
Both are timed in alternation so a busy machine slows both alike.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from core.config import RunConfig
from core.models import build_generator, get_spec, run_generator
from core.onnx_export import export_generator


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", help="a model file or name (default: --arch with random weights)")
    ap.add_argument("--arch", default="nafnet-s", help="registered architecture (default nafnet-s, the shipped default's)")
    a = ap.parse_args()
    import onnxruntime as ort

    if a.model:
        from core.inference import resolve_model
        from core.model_files import load_model
        g, cfg = load_model(resolve_model(a.model))
    else:
        cfg = RunConfig()
        cfg.model.name = a.arch
        g = build_generator(cfg.model)
    g.eval()
    spec = get_spec(cfg.model.name)
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.onnx"
        export_generator(g, cfg, path, check=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        x = np.random.default_rng(0).random((1, 3, a.size, a.size), dtype=np.float32)

        def best(fns):
            times = [[] for _ in fns]
            for f in fns:
                f()  # warm-up
            for _ in range(a.repeats):
                for f, ts in zip(fns, times):
                    t = time.perf_counter()
                    f()
                    ts.append(time.perf_counter() - t)
            return [min(ts) for ts in times]

        def run_torch():
            with torch.inference_mode():
                run_generator(g, spec, torch.from_numpy(x))

        def run_ort():
            sess.run(None, {"image": x})

        t_torch, t_ort = best([run_torch, run_ort])
    print(f"{cfg.model.name} {a.size}x{a.size}, {threads} threads, best of {a.repeats}: "
          f"PyTorch {t_torch:.3f} s, onnxruntime {t_ort:.3f} s ({t_torch / t_ort:.2f}x)")


if __name__ == "__main__":
    main()
