"""`deblur kernel`: estimate a photo's camera-shake kernel and write it as an image."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from core.cli.shake_args import add_shake_options, shake_options
from core.data.imageio import read_rgb, write_image
from core.fileutil import atomic_save
from core.shake import ShakeReducer


def add_parser(sub) -> None:
    p = sub.add_parser("kernel", help="estimate a photo's camera-shake blur kernel",
                       description="Estimate the blur kernel (the path the camera shook along) of one "
                       "photo and write it as a grey image, brightest where the camera stayed longest, "
                       "at full-resolution pixel size. Prints its size, the blur length and how reliable "
                       "the estimate looks.")
    p.add_argument("photo", type=Path, help="the blurred photo")
    p.add_argument("-o", "--out", type=Path, help="kernel image to write (PNG; default: PHOTO_kernel.png)")
    p.add_argument("--npy", type=Path, help="also write the kernel's values (sum 1) as a .npy file")
    add_shake_options(p)
    p.set_defaults(func=run)


def kernel_image(kernel):
    """The kernel as uint8, scaled so its peak is white."""
    k = np.asarray(kernel, np.float64)
    return np.round(255 * k / max(k.max(), 1e-12)).astype(np.uint8)


def run(args: argparse.Namespace) -> int:
    engine = ShakeReducer(shake_options(args))
    rgb = read_rgb(args.photo)
    report = engine.estimate(rgb)
    out = args.out or args.photo.with_name(f"{args.photo.stem}_kernel.png")
    img = kernel_image(report.kernel).astype(np.float32) / 255
    write_image(out, np.repeat(img[..., None], 3, axis=2))
    if args.npy:
        def save(tmp):
            with open(tmp, "wb") as f:
                np.save(f, report.kernel)
        atomic_save(args.npy, save)
    print(f"{args.photo}: kernel {report.kernel_size}x{report.kernel_size} px, blur path about "
          f"{report.extent_px:.0f} px, confidence {report.confidence:.2f}, noise {report.noise * 255:.1f}/255 "
          f"-> {report.path}")
    print(f"wrote {out}" + (f" and {args.npy}" if args.npy else ""))
    return 0
