"""What a user waits for, measured whole (issue 26, item 1): CLI start-up, `deblur run` on
one and on 24 photos of 1280x720, the Deblur tab's per-photo time in a 24-photo batch,
the Train tab's time to its first plotted point, and the time to the first window.
Prints a Markdown table (wall seconds and CPU seconds, children included) with the
issue's targets beside the figures, and the command line that made it.

    .venv/bin/python benchmarks/bench_user_speed.py [--photos DIR] [--repeats 3] [--out FILE.md]
    .venv/bin/python benchmarks/bench_user_speed.py --smoke       # does it work? (small, 1 repeat)

Run it on a quiet machine (`uptime` load < 0.5; it says so when not). Every figure is a
fresh process, as a user starts it: `deblur` for the CLI, and for the app a Python process
that builds the real MainWindow offscreen (QT_QPA_PLATFORM=offscreen) and clicks its
buttons. User settings, logs and runs go to a temporary folder (XDG_CONFIG_HOME,
XDG_DATA_HOME, XDG_STATE_HOME and QSettings point there), never the user's own.

Photos: up to 24 images from --photos (default ../shared/data/real_blur_only), scaled to
cover 1280x720 and cropped to it (a folder with fewer is reused with other crops), saved
as PNG (--format jpg: JPEG q95) into a temporary folder. Rows:

1. `deblur --help`: whole process, median of --repeats (after one untimed warm-up run).
2. `deblur run` (default engine and model; device auto, tile auto) on 1 photo (median of
   --repeats) and on the 24 (one run; --batch-repeats for more). The CLI's own per-file
   times are read from its `[i/n] wrote ... (x s)` lines. Start-up overhead S = one-photo
   wall - that photo's own time; per photo in the batch = (24-photo wall - S) / 24.
   `deblur run --engine shake` on the 1 photo too.
3. In the app: the Deblur tab of a MainWindow gets the 24-photo folder (add_paths, as the
   "Add folder" button), waits until the queue, thumbnails and blur scores are done (no
   job left), ticks every photo, engine "learned" (the CLI's default; the tab's own default
   is auto), then clicks Start; timed from the click until the batch has ended (Start is
   enabled again). Per photo = that / 24; in-app/core ratio = that / the CLI's per photo.
4. The Train tab: a new run (model seed, crop 64, batch 4, 1 epoch, the rest the form's
   defaults) on 22 pairs made by `deblur synth --seed 0` from 22 of the photos
   (--sharp-only: the 22 sharp photos with synthetic blur on the fly), timed from the
   Start click until the loss plot first draws a step (its redraw with a step in it), and
   until it first draws a validation point; the first few status/log lines are listed
   with their times, to show what it did meanwhile.
5. First window: `deblur-studio`'s own start (deblur_desktop.app.run_app) in a fresh
   process, from process start until the shown window's first pass of the event loop;
   median of --repeats after one untimed warm-up run.

CPU seconds: resource.getrusage(RUSAGE_CHILDREN) deltas around each whole process (user +
sys); for the in-app intervals, the app process's own RUSAGE_SELF + RUSAGE_CHILDREN over
the interval (every thread).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = ROOT.parent / "shared/data/real_blur_only"
BIN = Path(sys.executable).parent
SIZE = (1280, 720)
N_BATCH, N_TRAIN = 24, 22

# issue 26, item 1
TARGET_START = 2.5       # s: CLI start-up before the first tile
TARGET_RATIO = 1.2       # in-app per-photo / core's per-photo, same photo and threads
TARGET_FIRST_POINT = 30  # s from Start to the first plotted training point (tiny run)
README_PER_PHOTO = "0.7-1.1 s"  # README (when issue 26 was filed): s per 1280x720 photo, two cores

FILE_DONE = re.compile(r"^\[(\d+)/(\d+)\] wrote .* \(([\d.]+) s")


# ---------------------------------------------------------------------------------------
# helpers (parent process)
# ---------------------------------------------------------------------------------------
def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], env: dict, timeout: float = 3600) -> tuple[float, float, str]:
    """(wall s, CPU-s of the process and its children, stdout) of one whole process."""
    c0 = cpu_children()
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    cpu = cpu_children() - c0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
    return wall, cpu, p.stdout


def median_run(runs: list[tuple]) -> tuple:
    """The run with the median wall time (its CPU goes with it)."""
    return sorted(runs, key=lambda r: r[0])[(len(runs) - 1) // 2]


def file_seconds(stdout: str) -> list[float]:
    return [float(m.group(3)) for m in map(FILE_DONE.match, stdout.splitlines()) if m]


def load_line() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def make_photos(src: Path | None, dst: Path, n: int, size: tuple[int, int], fmt: str) -> list[Path]:
    """n photos of exactly `size`, covering-scaled and cropped from the images in src (reused
    with larger scales and other crops when src has fewer); textured noise when src is None."""
    import numpy as np
    from PIL import Image

    dst.mkdir(parents=True, exist_ok=True)
    w, h = size
    ext = ".jpg" if fmt == "jpg" else ".png"
    sources = []
    if src is not None:
        sources = sorted(p for p in src.iterdir() if p.is_file() and p.suffix.lower() in
                         {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"})
    out = []
    for i in range(n):
        if sources:
            k, reuse = i % len(sources), i // len(sources)
            im = Image.open(sources[k]).convert("RGB")
            scale = max(w / im.width, h / im.height) * (1 + 0.2 * reuse)
            im = im.resize((max(w, round(im.width * scale)), max(h, round(im.height * scale))), Image.LANCZOS)
            fx, fy = ((0.5, 0.5) if reuse == 0 else ((0.618 * reuse) % 1, (0.382 * reuse) % 1))
            x0, y0 = round((im.width - w) * fx), round((im.height - h) * fy)
            im = im.crop((x0, y0, x0 + w, y0 + h))
            name = f"{i:02d}_{sources[k].stem[:40]}{ext}"
        else:  # smooth colour field with edges: something a model and a blur score can chew on
            rng = np.random.default_rng(i)
            small = (rng.random((h // 16, w // 16, 3)) * 255).astype(np.uint8)
            a = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC)).copy()
            for _ in range(12):
                y, x = rng.integers(0, h - h // 6), rng.integers(0, w - w // 6)
                a[y:y + h // 6, x:x + w // 6] = rng.integers(0, 256, 3)
            im = Image.fromarray(a)
            name = f"{i:02d}_generated{ext}"
        p = dst / name
        im.save(p, **({"quality": 95} if fmt == "jpg" else {}))
        out.append(p)
    return out


# ---------------------------------------------------------------------------------------
# child processes (the app, driven offscreen)
# ---------------------------------------------------------------------------------------
def _child_setup(settings_dir: str):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)


def _cpu_self() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _wait(pred, timeout_s: float, what: str) -> None:
    """Run the real event loop until pred() (checked every 10 ms) or raise after timeout_s."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    if pred():
        return
    loop = QEventLoop()
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: loop.quit() if pred() or time.monotonic() > deadline else None)
    timer.start()
    loop.exec()
    timer.stop()
    if not pred():
        raise TimeoutError(f"gave up after {timeout_s:.0f} s waiting for {what}")


def _make_window():
    from deblur_desktop.app import make_app
    from deblur_desktop.main_window import MainWindow

    app = make_app(["deblur-studio"])
    win = MainWindow()
    win.resize(1280, 800)
    win.show()
    return app, win


def _close(win) -> None:
    from deblur_desktop import workers

    for tab in (win.deblur_tab, win.train_tab, win.dataset_tab):
        if hasattr(tab, "shutdown"):
            tab.shutdown()
    workers.stop_all(60_000)


def child_window(out: str) -> int:
    """deblur-studio's own start (run_app), reporting when the window has been shown."""
    t_main = time.time()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    import deblur_desktop.app as app_module  # what `deblur-studio` imports first
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    t_imported = time.time()
    base = app_module.MainWindow

    class Timed(base):
        def show(self):
            super().show()
            QTimer.singleShot(0, self._shown)

        def _shown(self):
            QApplication.processEvents()  # the first paint of what was shown
            Path(out).write_text(json.dumps({"main": t_main, "imported": t_imported, "shown": time.time()}))
            self.close()
            QApplication.quit()

    app_module.MainWindow = Timed
    return app_module.run_app(["deblur-studio"])


def child_deblur(folder: str, n: int, out: str, settings_dir: str, timeout: float) -> int:
    _child_setup(settings_dir)
    import torch

    from deblur_desktop import workers

    app, win = _make_window()
    tab = win.deblur_tab
    win.tabs.setCurrentWidget(tab)
    o = tab.options
    o.engine.set_engine("learned")  # the CLI's default engine, so the two compare
    o.existing.setCurrentIndex(o.existing.findData("overwrite"))
    _wait(lambda: o.model_ok is not None, 120, "the model's description")
    t_add = time.perf_counter()
    tab.add_paths([folder])
    _wait(lambda: tab.queue.rowCount() == n and not tab._scans, timeout, f"{n} rows in the queue")
    t_rows = time.perf_counter()
    _wait(lambda: not workers.live_jobs(), timeout, "thumbnails and blur scores")
    t_settled = time.perf_counter()
    for it in tab.queue.items:  # crops of one photo may fold as a burst: deblur every one
        tab.queue.set_ticked(it.key, True)
    if tab.triage.only_needing.isChecked():
        tab.triage.only_needing.setChecked(False)
    tab._queue_changed()
    runnable = len(tab.queue.runnable())
    if runnable != n or not tab.batch.start_btn.isEnabled():
        raise RuntimeError(f"{runnable} runnable photos of {n}; Start enabled: {tab.batch.start_btn.isEnabled()}; "
                           f"model: {o.model_info.text()}")
    seconds: list[float] = []
    event = tab._event

    def spy(ev):
        from core.events import FileDone

        if isinstance(ev, FileDone):
            seconds.append(ev.seconds)
        event(ev)
    tab._event = spy  # start() hands tab._event to the job: the spy sees each event first
    threads = torch.get_num_threads()
    c0, t0 = _cpu_self(), time.perf_counter()
    tab.batch.start_btn.click()
    _wait(lambda: tab.job is None, timeout, "the batch to end")
    wall, cpu = time.perf_counter() - t0, _cpu_self() - c0
    res = tab.last_result
    info = {"wall": wall, "cpu": cpu, "done": getattr(res, "done", None), "file_seconds": seconds,
            "add_to_rows": t_rows - t_add, "add_to_settled": t_settled - t_add, "torch_threads": threads,
            "model": o.model.currentText(), "model_path": o.model_path(), "device": o.device.currentText(),
            "tile": o.tile.currentText(), "summary": re.sub(r"<br>.*|<[^>]+>", "", tab.batch.summary.text())}
    Path(out).write_text(json.dumps(info))
    _close(win)
    return 0 if info["done"] == n else 1


def child_train(data: str, run_dir: str, sharp_only: bool, out: str, settings_dir: str, timeout: float) -> int:
    _child_setup(settings_dir)
    import torch

    app, win = _make_window()
    tab = win.train_tab
    win.tabs.setCurrentWidget(tab)
    f = tab.form
    for key, value in {"data.root": data, "model.name": "seed", "data.crop": 64,
                       "train.batch_size": 4, "train.epochs": 1}.items():
        f.set_value(key, value)
    if sharp_only:
        f.set_value("data.synthetic", True)
    tab.setup.run_edit.setText(run_dir)
    if not tab.validate():
        raise RuntimeError(f"the form refuses the run: {tab.setup.problem.text()}")
    cfg = tab.config()
    marks: dict[str, float] = {}
    timeline: list[tuple[float, str]] = []
    t0 = 0.0

    def mark(name: str) -> None:
        marks.setdefault(name, time.perf_counter() - t0)

    plots = tab.monitor.plots
    redraw = plots.redraw

    def spy_redraw(*a):
        redraw(*a)
        if plots.steps:
            mark("first_point")
        if plots.vals:
            mark("first_validation_point")
    plots.redraw = spy_redraw  # the plot's timer calls self.redraw: the spy sees each redraw
    on_event = tab.on_event

    started: list = []

    def spy_event(ev):
        mark(f"event {type(ev).__name__}")
        if type(ev).__name__ == "RunStarted":
            started.append(ev)
        on_event(ev)
    tab.on_event = spy_event  # start() hands tab.on_event to the job
    set_state, add_log = tab.monitor.set_state, tab.monitor.add_log

    def spy_state(text):
        timeline.append((time.perf_counter() - t0, f"state: {text}"))
        set_state(text)

    def spy_log(line):
        if len(timeline) < 40:
            timeline.append((time.perf_counter() - t0, f"log: {line}"))
        add_log(line)
    tab.monitor.set_state, tab.monitor.add_log = spy_state, spy_log
    threads = torch.get_num_threads()
    c0 = _cpu_self()
    t0 = time.perf_counter()
    tab.setup.start_btn.click()
    cpu_at: dict[str, float] = {}
    # a point logged just before the run ended is still drawn by the plot's next timer tick
    _wait(lambda: "first_point" in marks or (not tab.is_running and not plots.steps), timeout,
          "the first plotted point")
    cpu_at["first_point"] = _cpu_self() - c0
    _wait(lambda: "first_validation_point" in marks or (not tab.is_running and not plots.vals), timeout,
          "the first validation point")
    cpu_at["first_validation_point"] = _cpu_self() - c0
    _wait(lambda: not tab.is_running, timeout, "the run to end")
    marks["ended"] = time.perf_counter() - t0
    cpu_at["ended"] = _cpu_self() - c0
    steps_per_epoch = started[0].steps_per_epoch if started else None
    info = {"marks": marks, "cpu": cpu_at, "timeline": timeline[:40], "torch_threads": threads,
            "device": cfg.train.device, "log_every": cfg.train.log_every, "max_side": cfg.data.max_side,
            "val_fraction": cfg.data.val_fraction, "steps_per_epoch": steps_per_epoch,
            "last_error": tab.last_error, "state": tab.monitor.state.text()}
    Path(out).write_text(json.dumps(info))
    _close(win)
    return 0 if "first_point" in marks else 1


# ---------------------------------------------------------------------------------------
# the benchmark (parent)
# ---------------------------------------------------------------------------------------
def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        kind, a = sys.argv[2], sys.argv[3:]
        if kind == "window":
            return child_window(a[0])
        if kind == "deblur":
            return child_deblur(a[0], int(a[1]), a[2], a[3], float(a[4]))
        if kind == "train":
            return child_train(a[0], a[1], a[2] == "1", a[3], a[4], float(a[5]))
        raise SystemExit(f"unknown child {kind}")

    ap = argparse.ArgumentParser(description="What a user waits for, measured whole (issue 26, item 1): "
                                 "CLI, Deblur tab, Train tab, first window. See the module docstring.")
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS,
                    help=f"folder of photos to make the 1280x720 set from (default {DEFAULT_PHOTOS}; "
                         "absent: generated images)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of the short rows, median taken (default 3)")
    ap.add_argument("--batch-repeats", type=int, default=1, help="runs of the 24-photo rows (default 1)")
    ap.add_argument("--format", choices=("png", "jpg"), default="png", help="the photos' file type (default png)")
    ap.add_argument("--sharp-only", action="store_true", help="train on the sharp photos with synthetic blur "
                    "instead of `deblur synth` pairs")
    ap.add_argument("--only", default="help,run,shake,app,train,window",
                    help="comma-separated rows to measure (default all: help,run,shake,app,train,window)")
    ap.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    ap.add_argument("--keep", type=Path, help="make the photos, pairs and outputs here and keep them")
    ap.add_argument("--timeout", type=float, default=1800, help="per app process, s (default 1800)")
    ap.add_argument("--smoke", action="store_true", help="does it work: 320x180 photos, 3 in the batch, "
                    "6 to train on, 1 repeat, no warm-up runs")
    args = ap.parse_args()
    only = set(args.only.split(","))
    n_batch, n_train, size, repeats = N_BATCH, N_TRAIN, SIZE, max(1, args.repeats)
    warmup = True
    if args.smoke:
        n_batch, n_train, size, repeats, warmup = 3, 6, (320, 180), 1, False
        args.batch_repeats = 1

    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, ROOT) if
                                                   sys.executable.startswith(str(ROOT)) else sys.executable,
                                                   os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    load0 = load_line()
    print(f"# {command}\n# {load0}", flush=True)
    if os.getloadavg()[0] > 0.5:
        print(f"WARNING: load average {os.getloadavg()[0]:.2f} > 0.5: not a quiet machine, the figures "
              "will be slow and noisy", flush=True)

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-user-speed-"))
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        env[var] = str(tmp / "user" / sub)
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    app_env = dict(env, QT_QPA_PLATFORM="offscreen")
    settings_dir = str(tmp / "user" / "qsettings")
    deblur = str(BIN / "deblur")
    me = [sys.executable, str(Path(__file__).resolve()), "_child"]

    src = args.photos if args.photos and args.photos.is_dir() else None
    t = time.perf_counter()
    photos = make_photos(src, tmp / "photos", n_batch, size, args.format)
    one = tmp / "one"
    one.mkdir(exist_ok=True)
    single = one / photos[0].name
    shutil.copy2(photos[0], single)
    w, h = size
    mp = f"{w}x{h}"
    print(f"# {n_batch} photos {mp} ({args.format}) from {src or 'generated images'} in {tmp} "
          f"({time.perf_counter() - t:.1f} s)", flush=True)

    rows: list[tuple[str, str, str, str]] = []  # what, wall, CPU-s, target / note
    notes: list[str] = []
    results: dict[str, object] = {}

    def row(what, wall, cpu, target=""):
        rows.append((what, f"{wall:.2f}" if isinstance(wall, float) else str(wall),
                     f"{cpu:.2f}" if isinstance(cpu, float) else str(cpu), target))
        print(f"  {what}: {rows[-1][1]} (s wall), {rows[-1][2] or '-'} (CPU-s)  {target}", flush=True)

    def ok(good: bool) -> str:
        return "met" if good else "**not met**"

    # 1. CLI start-up ---------------------------------------------------------------------
    if "help" in only:
        if warmup:
            timed([deblur, "--help"], env)
        runs = [timed([deblur, "--help"], env) for _ in range(repeats)]
        wall, cpu, _ = median_run(runs)
        results["help"] = wall
        row(f"`deblur --help`, whole process (median of {repeats})", wall, cpu,
            f"<= {TARGET_START} s: {ok(wall <= TARGET_START)}")

    # 2. deblur run ----------------------------------------------------------------------
    overhead = per_photo_cli = None
    if "run" in only:
        def run_cli(inputs: Path, out: Path, extra=()):
            shutil.rmtree(out, ignore_errors=True)
            return timed([deblur, "run", str(inputs), "-o", str(out), *extra], env, timeout=args.timeout)

        if warmup:
            run_cli(single, tmp / "out_warm")
        runs = [run_cli(single, tmp / "out_one") for _ in range(repeats)]
        wall1, cpu1, out1 = median_run(runs)
        photo1 = (file_seconds(out1) or [float("nan")])[0]
        overhead = wall1 - photo1
        results.update(cli_one=wall1, cli_one_photo=photo1, cli_overhead=overhead)
        row(f"`deblur run`, 1 photo {mp}, whole process (median of {repeats})", wall1, cpu1,
            f"the photo itself {photo1:.1f} s (CLI's own line)")
        row("  start-up overhead S = that - the photo's own time", overhead, "",
            f"<= {TARGET_START} s before the first tile: {ok(overhead <= TARGET_START)}")
        runs = [run_cli(tmp / "photos", tmp / "out_batch") for _ in range(max(1, args.batch_repeats))]
        wall24, cpu24, out24 = median_run(runs)
        secs = file_seconds(out24)
        per_photo_cli = (wall24 - overhead) / n_batch
        results.update(cli_batch=wall24, cli_batch_per_photo=per_photo_cli, cli_batch_file_seconds=secs)
        row(f"`deblur run`, {n_batch} photos {mp}, whole process", wall24, cpu24,
            f"{len(secs)} written; CLI's own per-file mean {statistics.fmean(secs) if secs else float('nan'):.2f} s")
        row(f"  per photo in the batch = (total - S) / {n_batch}", per_photo_cli, cpu24 / n_batch,
            f"README: {README_PER_PHOTO} (CPU-s: total / {n_batch})")

    if "shake" in only:
        runs = [timed([deblur, "run", "--engine", "shake", "--overwrite", str(single), "-o", str(tmp / "out_shake")],
                      env, timeout=args.timeout) for _ in range(repeats)]
        wall, cpu, out = median_run(runs)
        ps = (file_seconds(out) or [float("nan")])[0]
        results["cli_shake"] = wall
        row(f"`deblur run --engine shake`, 1 photo {mp}, whole process (median of {repeats})", wall, cpu,
            f"the photo itself {ps:.1f} s")

    # 3. the Deblur tab --------------------------------------------------------------------
    if "app" in only:
        runs = []
        for i in range(max(1, args.batch_repeats)):
            shutil.rmtree(tmp / "photos_deblurred", ignore_errors=True)
            res_file = tmp / f"app_deblur_{i}.json"
            wall_p, cpu_p, _ = timed([*me, "deblur", str(tmp / "photos"), str(n_batch), str(res_file), settings_dir,
                                      str(args.timeout)], app_env, timeout=args.timeout * 3)
            info = json.loads(res_file.read_text())
            runs.append((info["wall"], info["cpu"], info, wall_p, cpu_p))
        wall, cpu, info, wall_p, cpu_p = median_run(runs)
        per = wall / n_batch
        results.update(app_batch=wall, app_per_photo=per, app_info=info)
        fs = info["file_seconds"]
        row(f"Deblur tab: {n_batch} photos {mp}, Start click to batch ended", wall, cpu,
            f"{info['summary']}")
        ratio_txt = ""
        if per_photo_cli:
            ratio = per / per_photo_cli
            results["ratio"] = ratio
            ratio_txt = f"in-app/core ratio {ratio:.2f} (<= {TARGET_RATIO}: {ok(ratio <= TARGET_RATIO)})"
        row(f"  per photo in the app = that / {n_batch}", per, cpu / n_batch, ratio_txt or
            "no CLI row to compare with (--only run)")
        notes.append(f"Deblur tab: engine learned, model {info['model']} ({info['model_path']}), device "
                     f"{info['device']}, tiles {info['tile']}, torch threads {info['torch_threads']} (GUI process); "
                     f"the app's own per-file mean {statistics.fmean(fs) if fs else float('nan'):.2f} s "
                     f"(FileDone.seconds); adding the folder: rows after {info['add_to_rows']:.1f} s, "
                     f"thumbnails and blur scores done after {info['add_to_settled']:.1f} s (before Start, "
                     f"not timed); whole app process {wall_p:.1f} s wall, {cpu_p:.1f} CPU-s.")

    # 4. the Train tab ---------------------------------------------------------------------
    if "train" in only:
        sharp_dir = tmp / "train_sharp"
        if sharp_dir.exists():
            shutil.rmtree(sharp_dir)
        sharp_dir.mkdir()
        for i in range(n_train):
            shutil.copy2(photos[i % len(photos)], sharp_dir / f"{i:02d}_{photos[i % len(photos)].name}")
        if args.sharp_only:
            data = sharp_dir
        else:
            data = tmp / "train_pairs"
            shutil.rmtree(data, ignore_errors=True)
            t = time.perf_counter()
            timed([deblur, "synth", str(sharp_dir), "-o", str(data), "--seed", "0"], env, timeout=args.timeout)
            print(f"# {n_train} pairs made with `deblur synth` in {time.perf_counter() - t:.1f} s (not timed)",
                  flush=True)
        run_dir = tmp / "train_run"
        shutil.rmtree(run_dir, ignore_errors=True)
        res_file = tmp / "app_train.json"
        wall_p, cpu_p, _ = timed([*me, "train", str(data), str(run_dir), "1" if args.sharp_only else "0",
                                  str(res_file), settings_dir, str(args.timeout)], app_env, timeout=args.timeout * 3)
        info = json.loads(res_file.read_text())
        m, c = info["marks"], info["cpu"]
        results["train"] = info
        what = f"{n_train} {'sharp photos, synthetic blur' if args.sharp_only else 'synth pairs'} {mp}"
        fp = m.get("first_point")
        row(f"Train tab: tiny run ({what}; seed, crop 64, batch 4, 1 epoch), Start to first plotted point",
            fp if fp is not None else "never", c["first_point"],
            f"<= {TARGET_FIRST_POINT} s: {ok(fp is not None and fp <= TARGET_FIRST_POINT)}")
        fv = m.get("first_validation_point")
        row("  Start to first plotted validation point", fv if fv is not None else "never",
            c["first_validation_point"], "")
        row("  Start to run ended (1 epoch)", m["ended"], c["ended"], info["state"])
        firsts = ", ".join(f"{k[6:]} {v:.1f} s" for k, v in sorted(m.items(), key=lambda kv: kv[1])
                           if k.startswith("event "))
        notes.append(f"Train tab: device {info['device']}, torch threads {info['torch_threads']}, "
                     f"max_side {info['max_side']}, val_fraction {info['val_fraction']}, log_every "
                     f"{info['log_every']}, {info['steps_per_epoch']} steps per epoch; first arrival of each "
                     f"event at the GUI after Start: {firsts}; whole app process {wall_p:.1f} s wall, "
                     f"{cpu_p:.1f} CPU-s." + (f" Error: {info['last_error']}" if info["last_error"] else ""))
        notes.append("Train tab, what it showed meanwhile (s after Start): " + "; ".join(
            f"{t:.1f} {text[:90]}" for t, text in info["timeline"][:12]))

    # 5. first window ----------------------------------------------------------------------
    if "window" in only:
        def window_once():
            res_file = tmp / "window.json"
            res_file.unlink(missing_ok=True)
            c0 = cpu_children()
            t_start = time.time()
            t = time.perf_counter()
            subprocess.run([*me, "window", str(res_file)], env=app_env, check=True, timeout=args.timeout,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall_exit, cpu = time.perf_counter() - t, cpu_children() - c0
            r = json.loads(res_file.read_text())
            return r["shown"] - t_start, cpu, r["imported"] - t_start, wall_exit

        if warmup:
            window_once()
        runs = [window_once() for _ in range(repeats)]
        shown, cpu, imported, wall_exit = median_run(runs)
        results["window"] = shown
        row(f"First window: process start to window shown (median of {repeats}, warm)", shown, cpu,
            f"imports done at {imported:.1f} s; process exit {wall_exit:.1f} s (CPU-s: whole process)")

    load1 = load_line()
    lines = [f"Measured by `{command}` on {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, "
             f"{platform.system()} {platform.release()}, Python {platform.python_version()}), "
             f"{time.strftime('%Y-%m-%d %H:%M')}.", "",
             f"Load before: `{load0}`; after: `{load1}`.", "",
             "| what | wall s | CPU-s (incl. children) | target / note |", "|---|---:|---:|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    report = "\n".join(lines)
    print("\n" + report)
    if args.out:
        args.out.write_text(report + "\n")
        print(f"\n(written to {args.out})")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
