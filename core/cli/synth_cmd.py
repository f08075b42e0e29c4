"""`deblur synth`: a flat pair folder (blur/, sharp/, kernels/) from a folder of sharp
photos, with synthetic camera shake, to look at or to evaluate on."""
from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.common import CliError


def add_parser(sub) -> None:
    p = sub.add_parser("synth", help="make blurred/sharp pairs from sharp photos (synthetic camera shake)",
                       description="Blur every photo under SHARP_DIR with a random camera-shake (or "
                       "linear) kernel (in linear light or in the stored values), add sensor noise, 8-bit quantisation and "
                       "sometimes JPEG, and write PAIRS_DIR/blur, PAIRS_DIR/sharp (same names, PNG) and "
                       "PAIRS_DIR/kernels (.npy and a .png to look at). The same --seed gives the same pairs.")
    p.add_argument("sharp_dir", type=Path, metavar="SHARP_DIR")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="PAIRS_DIR")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-kernel", type=int, default=31, help="longest blur in px (default 31)")
    p.add_argument("--min-kernel", type=int, default=3, help="shortest blur in px (default 3)")
    p.add_argument("--max-side", type=int, default=0, help="downscale so the long side is at most this (0 = native)")
    p.add_argument("--no-noise", action="store_true", help="no sensor noise")
    p.add_argument("--linear-light", type=float, default=0.5, metavar="P",
                   help="share of pairs blurred in linear light, the rest in stored sRGB values (default 0.5)")
    p.add_argument("--no-jpeg", action="store_true", help="never JPEG-compress the blurred image")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.data.synth import SynthOptions, synth_folder  # late: torch; --help stays fast

    if args.min_kernel < 1 or args.max_kernel < args.min_kernel:
        raise CliError(f"need 1 <= --min-kernel <= --max-kernel (got {args.min_kernel}, {args.max_kernel})")
    opts = SynthOptions(max_kernel=args.max_kernel, min_kernel=args.min_kernel,
                        noise_prob=0.0 if args.no_noise else SynthOptions.noise_prob,
                        jpeg_prob=0.0 if args.no_jpeg else SynthOptions.jpeg_prob,
                        linear_light_prob=args.linear_light)
    done = skipped = 0
    for ev in synth_folder(args.sharp_dir, args.out, args.seed, opts, args.max_side or None):
        print(ev, flush=True)
        skipped += bool(ev.error)
        done += not ev.error
    print(f"Wrote {done} pair(s) to {args.out}" + (f"; {skipped} file(s) skipped" if skipped else ""))
    return 0 if done else 2
