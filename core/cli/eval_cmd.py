"""`deblur eval`: the report's per-image PSNR/SSIM evaluation, headless."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from core.cli.common import CliError, stop_on_first_ctrl_c
from core.events import ImageScored
from core.fileutil import atomic_write_text
from core.cli.shake_args import ENGINES, add_shake_options, refiner_choice, shake_options
from core.paths import user_data_dir


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score models (PSNR/SSIM) on a folder of blurred/sharp pairs",
                       description="Score each model on every pair (batch size 1, whole images at "
                       "native size, 8-bit results) and print the report's table (Metric | Mean | "
                       "Std | Min | Max) per model. Writes a per-image CSV and a Markdown summary "
                       "that also lists the published GoPro figures quoted in the report.")
    p.add_argument("--data", required=True, help="pairs: GoPro tree (its test split), blur/+sharp/ "
                   "folders, or RealBlur lists")
    p.add_argument("--model", action="append", default=[], metavar="NAME|PATH",
                   help="a model to score (repeat for several; default: the shipped default model)")
    p.add_argument("--engine", action="append", choices=ENGINES, default=[],
                   help="score an engine (repeat for several): learned scores the --model(s); shake "
                        "and auto score shake reduction (auto falls back to --model or the default)")
    p.add_argument("--baseline", action="store_true",
                   help="add the blurred input itself as a row (the identity every model must beat)")
    p.add_argument("--no-model", action="store_true",
                   help="score no model, only the blurred input (with --baseline): the data's own figures")
    p.add_argument("--shift", type=int, default=0, metavar="N",
                   help="also score the best alignment within +-N px (Levin/Koehler benchmarks)")
    p.add_argument("--y-channel", action="store_true", help="score BT.601 luma instead of RGB (RealBlur convention)")
    p.add_argument("--split", help="which split to score (default: test when the data has one, else all)")
    p.add_argument("--limit", type=int, help="score only the first N pairs")
    p.add_argument("--csv", type=Path, help="per-image CSV (default: in the output folder)")
    p.add_argument("--markdown", type=Path, help="Markdown summary (default: in the output folder)")
    p.add_argument("--out", type=Path, help=f"output folder (default: {user_data_dir()}/evaluations/<data>-<time>)")
    p.add_argument("--save-images", type=Path, metavar="DIR", help="also save every model's results as PNG here")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--backend", choices=["torch", "onnxruntime"], default="torch",
                   help="onnxruntime: run our models as ONNX on the CPU (faster there; docs/onnx.md)")
    p.add_argument("--ensemble", type=int, choices=[1, 4, 8], default=1, metavar="N",
                   help="score every model with an N-view self-ensemble (4 flips or 8 flips and transposes; "
                        "default 1: off), as `deblur run --ensemble N` deblurs")
    p.add_argument("--quiet", action="store_true", help="print only the tables, not every image")
    add_shake_options(p)
    p.set_defaults(func=run)


def load_models(names: list[str], device: str | None, backend: str = "torch", ensemble: int = 1):
    """EvalModels for the names/paths given, through the inference engine (its tiling)."""
    from core.evaluate import EvalModel  # late: evaluation and inference load torch; --help stays fast
    from core.inference import Deblurrer, resolve_model

    out = []
    for name in names:
        path = resolve_model(name)
        if backend == "onnxruntime":
            from core.onnx_export import onnx_deblurrer  # late: onnxruntime only when asked for
            d = onnx_deblurrer(path)
        else:
            d = Deblurrer.from_file(path, device=device)
        d = d.with_ensemble(ensemble)
        label = (name or f"default model ({path.name})") + (f" x{ensemble} self-ensemble" if ensemble > 1 else "")
        out.append(EvalModel(label, d.deblur, str(path)))
    return out


def run(args: argparse.Namespace) -> int:
    # late: evaluation loads torch; --help stays fast
    from core.evaluate import EvalModel, Evaluation, markdown_summary, write_csv

    if args.no_model and args.model:
        raise CliError("--no-model and --model exclude each other")
    if args.no_model and not args.baseline:
        raise CliError("--no-model leaves nothing to score: add --baseline")
    # `--baseline` alone compares the shipped model with its input: what a user means
    engines = args.engine or ["learned"]
    if args.no_model and args.engine:
        raise CliError("--no-model and --engine exclude each other")
    # learned models: the --model(s), or the default one when learned is asked for
    names = [] if args.no_model or "learned" not in engines else list(args.model) or [None]
    if args.shift < 0:
        raise CliError(f"--shift must be 0 or more pixels (got {args.shift})")
    models = [EvalModel.baseline()] if args.baseline else []
    if names:
        models += load_models(names, args.device, args.backend, args.ensemble)
    for engine in (e for e in engines if e != "learned"):
        from core.engines import make_engine  # late: as above
        eng = make_engine(engine, args.model[0] if args.model else None, args.device or "auto",
                          shake=shake_options(args), backend=args.backend, refiner=refiner_choice(args))
        refined = (eng if engine == "shake" else eng.shake).refiner is not None
        label = "shake reduction" if engine == "shake" else "auto (shake reduction, else learned)"
        models.append(EvalModel(label.replace("reduction", "reduction + refiner", 1) if refined else label,
                                eng.deblur, engine))
    ev = Evaluation(args.data, models, shift=args.shift, y_channel=args.y_channel,
                    split=args.split, limit=args.limit, save_images=args.save_images)
    out = args.out or user_data_dir() / "evaluations" / f"{Path(args.data).resolve().name}-{time.strftime('%Y%m%d-%H%M%S')}"
    csv_path = args.csv or out / "per_image.csv"
    md_path = args.markdown or out / "summary.md"

    with stop_on_first_ctrl_c("\nStopping after this image (partial results are written); Ctrl+C again to abort.",
                              ev.request_stop):
        for event in ev:
            if not (args.quiet and isinstance(event, ImageScored)):
                print(event, flush=True)
    if ev.rows:
        write_csv(ev, csv_path)
        atomic_write_text(md_path, markdown_summary(ev))
        print(f"Per-image scores: {csv_path}\nSummary: {md_path}")
    return 0
