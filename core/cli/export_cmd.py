"""`deblur export`: a model as ONNX, checked against PyTorch before it is kept."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a model to ONNX (dynamic height and width)",
                       description="Export one of our models to ONNX. The graph takes float32 RGB "
                       "Nx3xHxW in [0,1] of any size and returns the same; padding to the model's "
                       "size multiple happens inside. The file is checked against PyTorch with "
                       "onnxruntime (when installed) and kept only if they agree within 1e-4.")
    p.add_argument("model", nargs="?", help="model name or file (.safetensors or training checkpoint); "
                   "default: the shipped model")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .onnx file to write")
    p.add_argument("--no-check", action="store_true", help="skip the comparison with PyTorch")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.onnx_export import export_onnx  # late: torch and onnx; --help stays fast

    print(export_onnx(args.model, args.output, check=not args.no_check), flush=True)
    return 0
