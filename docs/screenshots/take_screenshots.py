"""Screenshots of every tab, taken from the running app on a virtual X screen.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_screenshots.py

Needs the development data in ../shared/data (not part of the repository) and
ImageMagick's `import`. Each shot is the whole X screen, so what you see is what the
window really painted.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent.parent / "shared" / "data"


def pump(seconds: float, until=lambda: False) -> None:
    end = time.time() + seconds
    while time.time() < end and not until():
        QCoreApplication.processEvents()
        time.sleep(0.02)
    QCoreApplication.processEvents()


def shot(name: str) -> None:
    pump(0.8)  # let the last paints reach the X server
    subprocess.run(["import", "-window", "root", str(HERE / name)], check=True)
    print("wrote", HERE / name)


def main() -> int:
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    if not DATA.is_dir():
        print(f"no development data at {DATA}", file=sys.stderr)
        return 2
    make_app()
    win = MainWindow()
    win.setGeometry(0, 0, 1440, 900)
    win.show()
    tab = win.dataset_tab

    # 1. real pairs: tree, thumbnails, a pair in the split view with its scores
    win.open_dataset(str(DATA / "real_pairs" / "levin2009"))
    pump(20, lambda: tab.pairset is not None)
    pump(10, lambda: tab.grid.loaded >= min(12, tab.grid.count()))
    tab.grid.setCurrentRow(9)
    pump(10, lambda: "PSNR" in tab.pair_info.text())
    tab.viewer.slider.setValue(420)
    shot("dataset.png")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from deblur_desktop.app import apply_palette

    apply_palette(QApplication.instance(), Qt.ColorScheme.Dark)  # what a dark desktop shows
    shot("dataset-dark.png")
    apply_palette(QApplication.instance())

    # 2. the evaluate view on the same pairs: every ticked model (the baseline at least)
    tab.right.setCurrentWidget(tab.evaluate)
    tab.evaluate.shift.setValue(4)
    tab.evaluate.start()
    pump(600, lambda: tab.evaluate.job is None)
    tab.evaluate.per_image.sortItems(2)
    shot("evaluate.png")
    # the default model's worst image (the table is sorted by PSNR): a result to look at,
    # not the baseline's copy of the blurred photo, which now fills the top rows
    rows = tab.evaluate.per_image
    first = next(r for r in range(rows.rowCount()) if rows.item(r, 0).text() == "default model")
    rows.cellClicked.emit(first, 0)
    pump(10, lambda: len(tab.viewer.labels) == 3)
    tab.viewer.set_mode("Side by side")
    shot("evaluate-result.png")
    tab.viewer.set_mode("Split")

    # 3. sharp photos: synthetic blur preview
    win.open_dataset(str(DATA / "sharp" / "kodak24"))
    pump(20, lambda: tab.pairset is not None and "kodak" in str(tab.pairset.root))
    pump(15, lambda: tab.grid.loaded >= min(8, tab.grid.count()))
    tab.grid.setCurrentRow(22)
    pump(20, lambda: "PSNR" in tab.pair_info.text() or "sharp only" in tab.pair_info.text())
    shot("dataset-sharp-only.png")

    # train.png and deblur.png come from a real run / batch: take_train_screenshot.py,
    # take_deblur_screenshot.py
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
