"""`deblur run`: deblur photos and folders headless, with a progress bar."""
from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from core.cli.common import CliError, stop_on_first_ctrl_c
from core.events import BatchFinished, FileDone, FileFailed, FileSkipped, FileStarted, Message, TileProgress
from core.cli.shake_args import ENGINE_HELP, ENGINES, add_shake_options, refiner_choice, shake_options


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="deblur photos and folders of photos",
                       description="Deblur images into an output folder that mirrors the inputs' "
                       "relative paths. Output format, bit depth, alpha, EXIF and ICC profile follow "
                       "each input. Exit code 1 when any file failed.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and/or folders")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUT_DIR", help="output folder")
    p.add_argument("--engine", choices=ENGINES, default="learned",
                   help="; ".join(f"{k}: {v}" for k, v in ENGINE_HELP.items()) + " (default: learned)")
    p.add_argument("--model", help="model file (.safetensors export or .pt checkpoint) or name "
                                   "(default: the bundled default model)")
    add_shake_options(p)
    p.add_argument("--device", default="auto", help="auto (default: CUDA > MPS > CPU), cpu, cuda, cuda:N or mps")
    p.add_argument("--precision", choices=["fp32", "fp16", "bf16"], help="GPU only: half precision (default fp32)")
    p.add_argument("--backend", choices=["torch", "onnxruntime"], default="torch",
                   help="onnxruntime: run our models as ONNX on the CPU (faster there; docs/onnx.md)")
    p.add_argument("--tile", type=int, help="tile side in px (default: from free memory; 0 = whole image)")
    p.add_argument("--ensemble", type=int, choices=[1, 4, 8], default=1, metavar="N",
                   help="self-ensemble: average the model over 4 flips (or 8 flips and transposes) of "
                        "each photo; a little sharper, N times slower (default 1: off)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    g.add_argument("--skip-existing", action="store_true", help="leave outputs that exist alone")
    p.add_argument("-r", "--recursive", action="store_true", help="include subfolders of input folders")
    p.add_argument("--suffix", default="", help="added to each output name, e.g. _deblurred")
    p.add_argument("--format", choices=["jpeg", "png", "tiff", "webp", "bmp"], help="output format (default: as input)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality 1-100 (default 95)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, only failures and the summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # late: tqdm, and torch behind batch and engines, load only when a run starts (fast --help)
    from tqdm import tqdm

    from core.inference.batch import deblur_paths

    if not 1 <= args.quality <= 100:
        raise CliError(f"--quality must be between 1 and 100 (got {args.quality})")
    if args.tile is not None and args.tile < 0:
        raise CliError(f"--tile must be 0 (whole image) or a positive size (got {args.tile})")
    if args.ensemble != 1 and args.engine != "learned":
        raise CliError("--ensemble is for learned models; use it with --engine learned")
    from core.engines import make_engine  # late: as above
    deblurrer = make_engine(args.engine, args.model, args.device, args.precision, shake_options(args),
                            args.backend, refiner=refiner_choice(args))
    deblurrer = deblurrer.with_ensemble(args.ensemble)
    if args.tile and args.tile < deblurrer.min_tile:
        raise CliError(f"--tile must be at least {deblurrer.min_tile} px (or 0 for the whole image)")
    existing = "overwrite" if args.overwrite else "skip" if args.skip_existing else "error"

    # First Ctrl+C stops after the current tile (nothing half-written); a second aborts.
    stop = threading.Event()
    bar = None
    finished = None
    with stop_on_first_ctrl_c("\nStopping after this tile; Ctrl+C again to abort.", stop.set, sys.stderr):
        try:
            events = deblur_paths(args.inputs, args.out, deblurrer, recursive=args.recursive, suffix=args.suffix,
                                  existing=existing, format=args.format, quality=args.quality, tile=args.tile,
                                  cancel=stop.is_set)
            for ev in events:
                if isinstance(ev, Message):
                    print(ev, flush=True)
                elif isinstance(ev, FileStarted) and not args.quiet:
                    if bar is not None:
                        bar.close()
                    bar = tqdm(total=ev.tiles, unit="tile", leave=False, dynamic_ncols=True,
                               desc=f"[{ev.index}/{ev.total}] {Path(ev.path).name}")
                elif isinstance(ev, TileProgress) and bar is not None:
                    bar.n = ev.tiles_done
                    if ev.eta_s is not None:
                        bar.set_postfix_str(f"batch ETA {ev.eta_s:.0f} s", refresh=False)
                    bar.refresh()
                elif isinstance(ev, (FileDone, FileSkipped, FileFailed)):
                    if bar is not None:
                        bar.close()
                        bar = None
                    if isinstance(ev, FileFailed) or not args.quiet:
                        tqdm.write(str(ev))
                elif isinstance(ev, BatchFinished):
                    finished = ev
        finally:
            if bar is not None:
                bar.close()
    print(finished, flush=True)
    if finished.cancelled:
        return 130
    return 1 if finished.failed else 0
