"""Screenshot of the Deblur tab after a finished batch, with the compare slider.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_deblur_screenshot.py [MODEL]
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_deblur_screenshot.py --engine shake

MODEL defaults to the shipped default model (resources/models/default.safetensors).
--engine learned (default) writes deblur.png; shake or auto write deblur-shake.png /
deblur-auto.png, showing a shake-reduced photo with its kernel inset. --size WxH sets
the window (e.g. 1366x768 to check a laptop screen) and --out another file name.
Real camera-shake photos from ../shared/data/real_blur_only are copied to a temporary
folder (the data folder is read-only, and the default output is a sibling folder), with
a text file among them to show how non-images are listed. Needs ImageMagick's `import`.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from take_screenshots import DATA, pump, shot  # noqa: E402

PHOTOS = {  # short name -> file in real_blur_only (provenance in ../shared/data/README.md)
    "roma.png": "image_deblur_code__13_camera_shake_paul_data_roma.png",
    "postcard.png": "image_deblur_code__13_camera_shake_paul_data_postcard.png",
    "clock.png": "skimage_clock_motion.png",
    "toy.png": "image_deblur_code__16_cvpr_dark_channel_deblur_code_v1_image_toy.png",
    "street/img2.png": "image_deblur_code__16_cvpr_dark_channel_deblur_code_v1_image_real_img2.png",
    "street/harbour.png": "SRN-Deblur__testing_set_07.png",
    "fishes.png": "SelfDeblur__datasets_real_fishes.png",
}
# engine -> (photo shown, image point at the view's centre at 1:1 or None to fit, divider position /1000)
SHOW = {"learned": ("street/harbour.png", (430, 360), 300),  # the divider across one car's licence plate
        "shake": ("fishes.png", None, 500),  # the whole photo: the divider through a fish's head
        "auto": ("fishes.png", None, 500)}


def main(argv: list[str]) -> int:
    from core.engines import ENGINES
    from core.inference import resolve_model
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--engine", choices=ENGINES, default="learned")
    ap.add_argument("--size", default="1440x900")
    ap.add_argument("--out")
    args = ap.parse_args(argv[1:])
    width, height = (int(v) for v in args.size.split("x"))
    out = args.out or ("deblur.png" if args.engine == "learned" else f"deblur-{args.engine}.png")
    show, centre, split = SHOW[args.engine]
    model = resolve_model(args.model)
    tmp = Path(tempfile.mkdtemp(prefix="deblur-shot-"))
    photos = tmp / "holiday"
    for short, name in PHOTOS.items():
        (photos / short).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / "real_blur_only" / name, photos / short)
    (photos / "notes.txt").write_text("not a photo: listed as skipped")

    make_app()
    win = MainWindow()
    win.setGeometry(0, 0, width, height)
    win.show()
    tab = win.deblur_tab
    win.tabs.setCurrentWidget(tab)
    tab.options.set_model_file(str(model))
    tab.options.engine.set_engine(args.engine)
    tab.options.out_dir.clear()  # the defaults, whatever this machine's settings remember
    tab.options.suffix.clear()
    for combo in (tab.options.format, tab.options.existing, tab.options.tile, tab.options.device):
        combo.setCurrentIndex(0)
    tab.options.keep_structure.setChecked(True)
    tab.options.keep_meta.setChecked(True)
    tab.add_paths([str(photos)])
    pump(20, lambda: tab.queue.rowCount() == len(PHOTOS) + 1)
    pump(5, lambda: "parameters" in tab.options.model_info.text())
    tab.start()
    pump(900, lambda: tab.job is None)
    row = next(i for i, it in enumerate(tab.queue.items) if str(it.rel) == show)
    tab.queue.selectRow(row)
    pump(20, lambda: tab.preview.compare.labels == ["Original", "Deblurred"] and tab.preview.shown.endswith(show))
    tab.preview.compare.slider.setValue(split)
    from PySide6.QtCore import QPointF

    if centre:  # 1:1, the divider across one object: the same both sides
        tab.preview.compare.state.set(1.0, QPointF(*centre))
    else:
        tab.preview.compare.state.set_fit()
    shot(out)
    win.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
