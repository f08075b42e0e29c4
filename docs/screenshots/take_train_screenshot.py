"""Screenshot of the Train tab during a real run, taken on a virtual X screen.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshots/take_train_screenshot.py

Opens ../shared/data/real_pairs/levin2009 (32 real blurred/sharp pairs, not part of the
repository) in the Dataset tab, so the Train tab picks it up, trains a small seed model
on CPU and shoots the whole screen after a few validations. The run folder is a
temporary one; nothing is added to the user's runs.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from take_screenshots import DATA, HERE, pump


def main() -> int:
    import torch

    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    data = DATA / "real_pairs" / "levin2009"
    if not data.is_dir():
        print(f"no development data at {data}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)  # the 2-core box is shared: one thread is faster than two here
    from PySide6.QtCore import QSettings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())  # not the user's
    make_app()
    win = MainWindow()
    win.setGeometry(0, 0, 1440, 900)
    win.show()
    win.open_dataset(str(data))
    pump(20, lambda: win.dataset_tab.pairset is not None)
    win.tabs.setCurrentIndex(1)
    tab = win.train_tab
    tab.new_run()
    tab.setup.from_dataset.click()
    f = tab.form
    for key, value in {"data.crop": 64, "data.val_max_images": 3, "model.name": "seed",
                       "model.options": {"num_residual_blocks": 2}, "train.epochs": 12,
                       "train.batch_size": 4, "train.log_every": 1, "train.device": "cpu",
                       "train.samples": 3}.items():
        f.set_value(key, value)
    run = Path(tempfile.mkdtemp()) / "seed-levin"
    tab.setup.run_edit.setText(str(run))
    pump(0.5)
    if not tab.start():
        print("could not start:", tab.setup.problem.text(), file=sys.stderr)
        return 1
    pump(900, lambda: len(tab.monitor.plots.vals) >= 4 or not tab.is_running)
    pump(3, lambda: len(tab.monitor.plots.steps) > 60)  # a few steps into the next epoch
    tab.monitor.samples.slider.setValue(tab.monitor.samples.slider.maximum())
    pump(1.0)
    subprocess.run(["import", "-window", "root", str(HERE / "train.png")], check=True)
    print("wrote", HERE / "train.png")
    tab.stop()
    pump(60, lambda: not tab.is_running)
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
