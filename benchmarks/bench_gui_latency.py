"""GUI event-loop latency while the Train tab trains: does the window stay responsive?

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_latency.py [--seconds 30] [--threads N] [--data DIR]

A 10 ms QTimer runs on the GUI thread; its lateness (actual interval - 10 ms) is the
delay a click or a repaint would see. Measured first idle, then while the tab trains a
seed model on CPU (generated 96x128 pairs unless --data is given) with the real event
flow (a logged step every step, validation and sample previews every epoch). Prints
median / p95 / p99 / max lateness and how many events and redraws the GUI handled.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def measure(seconds: float, busy=lambda: True) -> np.ndarray:
    """Run the real Qt event loop for `seconds` (or until not busy()) with a 10 ms timer."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    ticks = []
    clock = QElapsedTimer()
    clock.start()
    loop = QEventLoop()
    timer = QTimer(interval=10, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))
    check = QTimer(interval=50)
    check.timeout.connect(lambda: None if busy() and clock.elapsed() < seconds * 1000 else loop.quit())
    timer.start()
    check.start()
    loop.exec()
    timer.stop()
    check.stop()
    return np.maximum(np.diff(ticks) - 10.0, 0.0)


def report(name: str, late: np.ndarray) -> None:
    if not len(late):
        print(f"{name:>10}: no ticks")
        return
    p = np.percentile(late, [50, 95, 99])
    print(f"{name:>10}: {len(late):5d} ticks, lateness median {p[0]:6.1f} ms, p95 {p[1]:6.1f} ms, "
          f"p99 {p[2]:6.1f} ms, max {late.max():6.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--data", help="a pair folder (default: generated pairs)")
    args = ap.parse_args()

    import torch
    from PySide6.QtCore import QSettings

    from deblur_desktop.app import make_app
    from deblur_desktop.tabs.train.tab import TrainTab

    if args.threads:
        torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp())
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))  # not the user's
    data = args.data
    if not data:
        from conftest import write_pair
        rng = np.random.default_rng(0)
        for i in range(24):
            write_pair(tmp / "pairs" / "blur", tmp / "pairs" / "sharp", f"{i:03d}.png", rng, (96, 128))
        data = str(tmp / "pairs")
    make_app()
    tab = TrainTab()
    tab.resize(1440, 860)
    tab.show()
    f = tab.form
    for key, value in {"data.root": data, "data.crop": 64, "data.val_max_images": 3,
                       "model.options": {"num_residual_blocks": 2}, "train.epochs": 1000,
                       "train.batch_size": 4, "train.log_every": 1, "train.device": "cpu"}.items():
        f.set_value(key, value)
    tab.setup.run_edit.setText(str(tmp / "run"))
    if not tab.validate():
        print(tab.setup.problem.text(), file=sys.stderr)
        return 1
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f}")
    report("idle", measure(min(5.0, args.seconds / 3)))
    spent = {"events": 0.0, "redraws": 0.0}  # the GUI thread's own work for the run

    def timed(fn, key):
        def wrapper(*a):
            t = time.perf_counter()
            fn(*a)
            spent[key] += time.perf_counter() - t
        return wrapper
    tab.on_event = timed(tab.on_event, "events")
    tab.monitor.plots.redraw = timed(tab.monitor.plots.redraw, "redraws")
    tab.start()
    measure(60, lambda: not tab.monitor.plots.steps)  # model built, first step done
    redraws0, steps0 = tab.monitor.plots.redraws, len(tab.monitor.plots.steps)
    late = measure(args.seconds, lambda: tab.is_running)
    steps = len(tab.monitor.plots.steps) - steps0
    report("training", late)
    print(f"{'':>10}  {steps} logged steps, {len(tab.monitor.plots.vals)} validations, "
          f"{tab.monitor.plots.redraws - redraws0} plot redraws in {args.seconds:.0f} s; GUI thread busy with "
          f"them {spent['events'] * 1000:.0f} ms (events) + {spent['redraws'] * 1000:.0f} ms (redraws)")
    tab.stop()
    measure(120, lambda: tab.is_running)
    print("stopped with a checkpoint:", (tmp / "run" / "checkpoints" / "last.pt").is_file())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
