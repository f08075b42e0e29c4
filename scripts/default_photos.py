"""The photos the default model is trained on, gathered into one flat folder.

Only photos free to use in a product: Kodak's 24 (Kodak: unrestricted usage) and eight
public-domain/CC0 photos that ship inside scikit-image. McMaster and BSDS (research or
non-commercial only) are for evaluation, never for training. The folder is flat and the
names fixed, so the seeded validation split holds the same photos apart (kodim04,
kodim08, kodim21, skimage_grass) wherever it is built.

    python scripts/default_photos.py DEST [--shared ../shared/data] [--copy]

Links by default (scripts/train_default.sh); --copy for a folder that must travel on
its own (scripts/gpu_train_default.py pack: the GPU machine cannot follow links).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

SKIMAGE_PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "camera.png", "brick.png",
                  "grass.png", "gravel.png")


def sources(shared: Path) -> dict[str, Path]:
    """Name in the training folder -> the photo."""
    import skimage

    kodak = sorted((shared / "sharp" / "kodak24").glob("kodim*.png"))
    if len(kodak) != 24:
        sys.exit(f"{shared}/sharp/kodak24: expected Kodak's 24 photos, found {len(kodak)}")
    sk = Path(skimage.__file__).parent / "data"
    return {p.name: p for p in kodak} | {f"skimage_{n}": sk / n for n in SKIMAGE_PHOTOS}


def gather(shared: Path, dest: Path, copy: bool = False) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name, src in sources(shared).items():
        target = dest / name
        if target.is_symlink() or target.exists():
            target.unlink()
        if copy:
            shutil.copyfile(src, target)
        else:
            os.symlink(src.resolve(), target)
        out.append(target)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    ap.add_argument("--copy", action="store_true", help="copy the files instead of linking them")
    args = ap.parse_args()
    photos = gather(args.shared, args.dest, args.copy)
    mb = sum(p.stat().st_size for p in photos) / 1e6
    print(f"{len(photos)} photos in {args.dest} ({mb:.1f} MB, {'copied' if args.copy else 'linked'})")


if __name__ == "__main__":
    main()
