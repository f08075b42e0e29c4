"""Every tab at a laptop's window sizes (issue 26 item 5): dataset-, train- and
deblur-<W>x<H>.png, by default at 1024x640 (the smallest the window is made for) and
1280x800 (where the Deblur queue shows at least six rows).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/take_tab_screenshots.py PAIRS
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_tab_screenshots.py \\
        ../shared/data/real_pairs/levin2009 --photos ../shared/data/real_blur_only

PAIRS is a data set folder: the Dataset tab opens it and shows one pair, the Train tab's
form takes it, and the Deblur tab lists its blurred photos (or the --photos folder) with
their blur scores and the first one in the compare view; no batch runs and nothing is
written into the folders. --out names the folder for the PNGs (default: here), --sizes
the window sizes. Settings go to a temporary folder, so the shots show the app's
defaults, not this machine's. The window is grabbed by Qt itself (offscreen or under X);
each shot's line says the window's minimum size and the queue's visible rows.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def pump(seconds: float, until=lambda: False) -> bool:
    from PySide6.QtCore import QCoreApplication

    end = time.time() + seconds
    while time.time() < end and not until():
        QCoreApplication.processEvents()
        time.sleep(0.02)
    QCoreApplication.processEvents()
    return until()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", type=Path, help="a data set folder (pairs, or sharp photos)")
    ap.add_argument("--photos", type=Path, help="photos for the Deblur tab (default: the data set's blurred ones)")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--sizes", default="1024x640,1280x800")
    ap.add_argument("--pair", type=int, default=0, help="which pair the Dataset tab shows")
    args = ap.parse_args(argv[1:])
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    for f in (args.dataset, args.photos):
        if f is not None and not f.is_dir():
            print(f"{f}: no such folder", file=sys.stderr)
            return 2
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen: Qt draws in memory
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="shots-"))
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    make_app()
    win = MainWindow()
    win.setGeometry(0, 0, *sizes[0])
    win.show()

    ds = win.dataset_tab
    win.open_dataset(str(args.dataset.resolve()))
    if not pump(120, lambda: ds.pairset is not None):
        print(f"{args.dataset} did not open as a data set: {ds.summary.text()}", file=sys.stderr)
        win.close()
        return 2
    pump(30, lambda: ds.grid.loaded >= min(12, ds.grid.count()))
    ds.grid.setCurrentRow(min(args.pair, ds.grid.count() - 1))
    pump(30, lambda: "PSNR" in ds.pair_info.text() or "sharp only" in ds.pair_info.text())

    db = win.deblur_tab
    if args.photos is not None:
        db.add_paths([str(args.photos.resolve())])
    else:  # the blurred photos (a sharp-only set: the sharp ones)
        db.add_paths([str(p.blur or p.sharp) for p in ds.pairset.pairs[:40]])
    pump(120, lambda: db.queue.rowCount() > 0 and not db._scans)
    pump(600, lambda: not db.triage.scoring)
    pump(60, lambda: not any(j.is_running for j in db._thumbs))
    pump(30, lambda: bool(db.preview.compare.labels))  # the first photo in the compare view
    pump(30, lambda: "Reading" not in db.options.model_info.text())

    args.out.mkdir(parents=True, exist_ok=True)
    q = db.queue
    for w, h in sizes:
        win.resize(w, h)
        for tab, name in ((ds, "dataset"), (win.train_tab, "train"), (db, "deblur")):
            win.tabs.setCurrentWidget(tab)
            pump(0.8)
            path = args.out / f"{name}-{w}x{h}.png"
            win.grab().save(str(path))
            rows = q.viewport().height() / max(q.rowHeight(0) if q.rowCount() else 46, 1)
            hint = win.minimumSizeHint()
            print(f"wrote {path} · window {win.width()}x{win.height()} (min {hint.width()}x{hint.height()})"
                  + (f" · queue shows {rows:.1f} rows" if name == "deblur" else ""))
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
