"""Before/after crops of real camera-shake photos for the README and docs/shake-reduction.md.

    .venv/bin/python docs/make_shake_crops.py [../shared/data/real_blur_only]

Runs `deblur run --engine shake` on two real handheld photos (no ground truth exists for
them) and writes docs/shake-before-after.png: for each, the centre crop blurred | result,
with the estimated kernel inset in the result's corner, at 1:1 pixels.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ["SRN-Deblur__testing_set_07.png", "image_deblur_code__13_camera_shake_paul_data_wall.png"]
CROP = (360, 240)


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/data/real_blur_only"
    deblur = Path(sys.executable).with_name("deblur")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in PHOTOS:
            subprocess.run([str(deblur), "run", "-q", "--engine", "shake", str(src / name), "-o", tmp, "--overwrite"],
                           check=True)
            subprocess.run([str(deblur), "kernel", str(src / name), "-o", f"{tmp}/k.png"], check=True,
                           stdout=subprocess.DEVNULL)
            a, b = Image.open(src / name).convert("RGB"), Image.open(Path(tmp) / name).convert("RGB")
            w, h = a.size
            x, y = (w - CROP[0]) // 2, (h - CROP[1]) // 2
            box = (x, y, x + CROP[0], y + CROP[1])
            after = b.crop(box)
            k = Image.open(f"{tmp}/k.png").convert("RGB")
            k = k.resize((k.width * 2, k.height * 2), Image.NEAREST)
            after.paste(k, (CROP[0] - k.width - 4, CROP[1] - k.height - 4))
            rows.append((a.crop(box), after))
    gap, label = 6, 18
    sheet = Image.new("RGB", (2 * CROP[0] + gap, len(rows) * (CROP[1] + gap) + label), "white")
    d = ImageDraw.Draw(sheet)
    d.text((4, 2), "blurred (real handheld shake)", fill="black")
    d.text((CROP[0] + gap + 4, 2), "shake reduction (estimated kernel in the corner)", fill="black")
    for i, (before, after) in enumerate(rows):
        yy = label + i * (CROP[1] + gap)
        sheet.paste(before, (0, yy))
        sheet.paste(after, (CROP[0] + gap, yy))
    out = ROOT / "docs" / "shake-before-after.png"
    sheet.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
