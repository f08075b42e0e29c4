"""Screenshot of the Deblur tab's blur triage: a scored folder sorted by blur, the
"only photos that need it" filter with its count, and a burst folded under its sharpest.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/take_triage_screenshot.py FOLDER [FOLDER...]
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_triage_screenshot.py \\
        ../shared/data/real_blur_only ../shared/data/sharp/kodak24 --burst

Nothing is written into the folders (scoring only reads them). --burst adds a burst of
three shots made from the first photo found (three mirrored copies shaken along the rows by 9,
5 and 15 px, with EXIF times a second apart: a shaky burst whose best shot still needs
deblurring, so the filter shows it) in a temporary folder, so
the shot shows a group even when the folders hold none. The window is grabbed by Qt
itself (works offscreen and under Xvfb); --out names the file (default triage.png here),
--size the window, --threshold the filter's, --all shows the sharp photos too, --folded
keeps the burst folded.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent


def pump(seconds: float, until=lambda: False) -> bool:
    from PySide6.QtCore import QCoreApplication

    end = time.time() + seconds
    while time.time() < end and not until():
        QCoreApplication.processEvents()
        time.sleep(0.02)
    QCoreApplication.processEvents()
    return until()


def make_burst(photo: Path, folder: Path) -> None:
    """Three shots of one moment, shaken 9, 5 and 15 px (EXIF times 1 s apart)."""
    from core.data.imageio import read_rgb, to_uint8

    sharp = read_rgb(photo)[:, ::-1]  # mirrored: another framing, so the photo itself joins no burst
    folder.mkdir(parents=True, exist_ok=True)
    for i, length in enumerate((9, 5, 15), 1):  # the least shaken in the middle
        p = np.pad(sharp, ((0, 0), (length // 2, length - 1 - length // 2), (0, 0)), mode="edge")
        a = np.mean([p[:, k:k + sharp.shape[1]] for k in range(length)], axis=0)
        exif = Image.Exif()
        exif[306] = f"2024:05:01 12:00:0{i}"
        Image.fromarray(to_uint8(a)).save(folder / f"IMG_90{i:02d}.jpg", quality=92, exif=exif.tobytes())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--burst", action="store_true", help="add a burst made from the first photo")
    ap.add_argument("--threshold", type=float, default=None, help="the filter's threshold (default: core's)")
    ap.add_argument("--all", action="store_true", help="filter off: the sharp photos are listed too")
    ap.add_argument("--folded", action="store_true", help="keep the burst folded under its sharpest")
    ap.add_argument("--size", default="1440x900")
    ap.add_argument("--out", default=str(HERE / "triage.png"))
    args = ap.parse_args(argv[1:])
    width, height = (int(v) for v in args.size.split("x"))
    for f in args.folders:
        if not f.exists():
            print(f"{f}: no such folder", file=sys.stderr)
            return 2

    from PySide6.QtWidgets import QAbstractItemView

    from core.triage import THRESHOLD, find_photos
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow
    from deblur_desktop.tabs.deblur.queue_table import COL_BLUR

    paths = [str(f.resolve()) for f in args.folders]
    tmp = None
    if args.burst:
        photos = find_photos(args.folders)
        if not photos:
            print("no photo to make a burst from", file=sys.stderr)
            return 2
        tmp = Path(tempfile.mkdtemp(prefix="deblur-triage-shot-"))
        make_burst(photos[0], tmp / "burst")
        paths.append(str(tmp / "burst"))

    make_app()
    win = MainWindow()
    win.setGeometry(0, 0, width, height)
    win.show()
    tab = win.deblur_tab
    win.tabs.setCurrentWidget(tab)
    tab.clear()
    t = tab.triage
    t.set_threshold(THRESHOLD if args.threshold is None else args.threshold)
    t.only_needing.setChecked(not args.all)
    t.show_bursts.setChecked(not args.folded)
    tab.add_paths(paths)
    if not pump(120, lambda: tab.queue.rowCount() > 0 and not tab._scans):
        print("the folders were not listed in time", file=sys.stderr)
    if not pump(1800, lambda: not t.scoring):
        print("scoring did not finish in time; the shot shows what came", file=sys.stderr)
    tab.queue.sort_by(COL_BLUR, descending=True)
    first = next((r for r in range(tab.queue.rowCount()) if not tab.queue.isRowHidden(r)), None)
    if first is not None:
        tab.queue.selectRow(first)
        tab.queue.scrollToTop()
    lead = next((r for r, it in enumerate(tab.queue.items) if it.sharpest and not tab.queue.isRowHidden(r)), None)
    if lead is not None and lead > 1:  # the burst in view (the most blurred photo stays in the preview)
        tab.queue.scrollToItem(tab.queue.item(lead - 1, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    pump(60, lambda: not any(j.is_running for j in tab._thumbs)
         and tab.preview.compare.labels == ["Original"])
    pump(0.8)
    win.grab().save(args.out)
    print("wrote", args.out, "·", t.count.text(), "·", tab.queue_info.text())
    win.close()
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
