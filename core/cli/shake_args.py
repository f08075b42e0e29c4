"""Options shared by the commands that run shake reduction (run, eval, kernel)."""
from __future__ import annotations

import argparse

from core.cli.common import CliError
from core.engines import ENGINE_HELP, ENGINES
from core.shake import ShakeOptions

__all__ = ["ENGINES", "ENGINE_HELP", "add_shake_options", "shake_options", "parse_region", "refiner_choice"]


def add_shake_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("shake reduction (--engine shake or auto)")
    g.add_argument("--kernel-size", type=int, metavar="PX",
                   help="largest blur to look for, in px at full size (default: from each photo, "
                        "5%% of its short side and at least 31; at most a fifth of the short side)")
    g.add_argument("--region", type=parse_region, metavar="X,Y,W,H",
                   help="estimate the blur from this part of the photo (px; default: the part with "
                        "the most edges)")
    g.add_argument("--strength", type=float, default=1.0,
                   help="smoothing of the deconvolution: below 1 sharper but noisier, above 1 "
                        "smoother (default 1, set from each photo's noise)")
    g.add_argument("--linear", action="store_true",
                   help="deconvolve in linear light instead of the stored values")
    g.add_argument("--no-refine", action="store_true",
                   help="leave out the last stage, the kernel-aware model that cleans up the "
                        "deconvolution (ringing, noise, kernel errors): the deconvolution alone")
    g.add_argument("--refiner", metavar="MODEL",
                   help="kernel-aware model for that last stage (file or library name; default: "
                        "the shipped resources/models/refine.safetensors)")


def parse_region(text: str) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y,W,H in pixels (got {text!r})") from None
    if w < 16 or h < 16 or x < 0 or y < 0:
        raise argparse.ArgumentTypeError(f"the region must start inside the photo and be at least 16x16 px (got {text})")
    return x, y, w, h


def shake_options(args: argparse.Namespace):
    if args.kernel_size is not None and not 3 <= args.kernel_size <= 1001:
        raise CliError(f"--kernel-size must be between 3 and 1001 px (got {args.kernel_size})")
    if not 0.05 <= args.strength <= 20:
        raise CliError(f"--strength must be between 0.05 and 20 (got {args.strength})")
    return ShakeOptions(kernel_size=args.kernel_size, region=args.region, strength=args.strength,
                        linear=args.linear)


def refiner_choice(args: argparse.Namespace):
    """make_engine's `refiner`: False (--no-refine), a model (--refiner) or True (shipped)."""
    if args.no_refine and args.refiner:
        raise CliError("--no-refine and --refiner exclude each other")
    return False if args.no_refine else (args.refiner or True)
