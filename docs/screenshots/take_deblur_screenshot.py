"""Screenshot of the Deblur tab after a finished batch, with the compare slider.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_deblur_screenshot.py [MODEL]

MODEL defaults to the shipped default model (resources/models/default.safetensors).
Real camera-shake photos from ../shared/data/real_blur_only are copied to a temporary
folder (the data folder is read-only, and the default output is a sibling folder), with
a text file among them to show how non-images are listed. Needs ImageMagick's `import`.
"""
from __future__ import annotations

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
}
SHOW = "street/harbour.png"
CENTRE = (430, 360)  # image point at the view's centre


def main(argv: list[str]) -> int:
    from core.inference import resolve_model
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    model = resolve_model(argv[1] if len(argv) > 1 else None)
    tmp = Path(tempfile.mkdtemp(prefix="deblur-shot-"))
    photos = tmp / "holiday"
    for short, name in PHOTOS.items():
        (photos / short).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DATA / "real_blur_only" / name, photos / short)
    (photos / "notes.txt").write_text("not a photo: listed as skipped")

    make_app()
    win = MainWindow()
    win.setGeometry(0, 0, 1440, 900)
    win.show()
    tab = win.deblur_tab
    win.tabs.setCurrentWidget(tab)
    tab.set_model_file(str(model))
    tab.out_dir.clear()  # the defaults, whatever this machine's settings remember
    tab.suffix.clear()
    for combo in (tab.format, tab.existing, tab.tile, tab.device):
        combo.setCurrentIndex(0)
    tab.keep_structure.setChecked(True)
    tab.keep_meta.setChecked(True)
    tab.add_paths([str(photos)])
    pump(20, lambda: tab.queue.rowCount() == len(PHOTOS) + 1)
    pump(5, lambda: "parameters" in tab.model_info.text())
    tab.start()
    pump(900, lambda: tab.job is None)
    row = next(i for i, it in enumerate(tab.queue.items) if str(it.rel) == SHOW)
    tab.queue.selectRow(row)
    pump(20, lambda: tab.compare.labels == ["Original", "Deblurred"] and tab._shown.endswith(SHOW))
    tab.compare.slider.setValue(300)  # the divider through the licence plate
    from PySide6.QtCore import QPointF

    tab.compare.state.set(1.0, QPointF(*CENTRE))  # 1:1, the divider across one car: same object both sides
    shot("deblur.png")
    win.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
