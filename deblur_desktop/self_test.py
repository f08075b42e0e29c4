"""`deblur-studio --self-test`: the packaging smoke test, also runnable from source.

It opens the main window offscreen (Qt, plugins, icons found), deblurs the smallest
bundled sample with the default model through core's batch engine (the Deblur tab's
engine) into a temporary folder and checks the result, trains a tiny model for one epoch
on pairs cut from that sample (the Train tab's engine), and exits 0, or 1 with the reason
on stderr (and in the log file). In a frozen bundle this proves that torch, Qt and the resources all made it.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger("deblur_desktop.self_test")


class SelfTestFailed(Exception):
    pass


def smallest_sample() -> Path:
    """The quickest bundled sample to deblur (cold start is what the test measures)."""
    from core.data.imageio import ImageReadError, image_size, is_image_path
    from core.paths import resource_path

    folder = resource_path("samples")
    found = []
    for p in sorted(folder.glob("*")) if folder.is_dir() else []:
        if p.is_file() and is_image_path(p):
            try:
                w, h = image_size(p)
            except ImageReadError:
                continue
            found.append((w * h, p))
    if not found:
        raise SelfTestFailed(f"no readable sample image in {folder} (the bundle lacks resources/samples)")
    return min(found)[1]


def check_window(t0: float) -> str:
    from PySide6.QtWidgets import QApplication

    from deblur_desktop.main_window import MainWindow

    win = MainWindow()
    win.show()
    QApplication.processEvents()
    try:
        tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
        if tabs != ["Dataset", "Train", "Deblur"]:
            raise SelfTestFailed(f"the window has tabs {tabs}, expected Dataset, Train, Deblur")
        if win.windowIcon().isNull():
            raise SelfTestFailed("the window has no icon (resources/icons not found)")
        # the Train form's tooltips come from core's field metadata: a bundle without .py
        # sources once showed none (issue 27)
        bare = [k for k, ed in win.train_tab.setup.form.editors.items() if not ed.widget.toolTip().strip()]
        if bare:
            raise SelfTestFailed(f"Train form fields without a tooltip: {', '.join(bare)}")
        # from the start of the self-test: imports of torch and Qt, the window and its tabs
        return f"window opened in {time.perf_counter() - t0:.1f} s ({', '.join(tabs)}; {win.device})"
    finally:
        win.close()  # stops the tabs' background jobs (model scans), as quitting does


def check_deblur(model: str | Path | None = None, sample: Path | None = None) -> str:
    import numpy as np

    from core.data.imageio import ImageReadError, read_image
    from core.events import BatchFinished, FileFailed
    from core.inference import Deblurrer, resolve_model
    from core.model_files import ModelLoadError
    from core.inference.batch import deblur_paths

    try:
        model_path = resolve_model(model)
        # CPU on purpose: the same verdict on every machine, and no GPU driver involved
        deblurrer = Deblurrer.from_file(model_path, device="cpu")
    except (ModelLoadError, ValueError, OSError) as e:
        raise SelfTestFailed(f"cannot load the model: {e}") from None
    sample = sample or smallest_sample()
    src, _ = read_image(sample)
    with tempfile.TemporaryDirectory(prefix="deblur-self-test-") as tmp:
        t0 = time.perf_counter()
        events = list(deblur_paths([sample], tmp, deblurrer))
        seconds = time.perf_counter() - t0
        failed = [e for e in events if isinstance(e, FileFailed)]
        if failed:
            raise SelfTestFailed(f"deblurring {sample} failed: {failed[0].reason}")
        end = events[-1]
        if not isinstance(end, BatchFinished) or end.done != 1:
            raise SelfTestFailed(f"deblurring {sample} wrote no output ({end})")
        out = Path(tmp) / sample.name
        if not out.is_file() or out.stat().st_size == 0:
            raise SelfTestFailed(f"the output {out} was not written")
        try:
            res, _ = read_image(out)
        except ImageReadError as e:
            raise SelfTestFailed(f"the output cannot be read back: {e}") from None
    if res.shape != src.shape:
        raise SelfTestFailed(f"output size {res.shape[1]}x{res.shape[0]} differs from the input's "
                             f"{src.shape[1]}x{src.shape[0]}")
    diff = float(np.abs(res - src).mean())
    if diff == 0.0:
        raise SelfTestFailed("the output is identical to the input: the model did nothing")
    # A written PNG is always finite; NaNs would have become a flat image. So check the
    # network's own float output on a crop too.
    crop = src[:64, :64]
    raw = deblurrer.deblur(crop)
    if not np.isfinite(raw).all():
        raise SelfTestFailed("the model produces NaN or infinite values")
    if float(res.std()) == 0.0:
        raise SelfTestFailed("the output is a flat image")
    h, w = src.shape[:2]
    return (f"deblurred {sample.name} ({w}x{h}) with {deblurrer.describe()} in {seconds:.1f} s; "
            f"output same size, mean change {diff * 255:.1f}/255, finite")


def check_train(sample: Path | None = None) -> str:
    """One epoch of a tiny seed GAN on pairs cut from the sample: the Train tab's engine,
    which imports much more of torch than inference does (autograd, optimisers, torch's
    compile stack), so a bundle that lacks a piece fails here rather than in a user's run."""
    import numpy as np

    from core.config import RunConfig
    from core.data.imageio import read_image, write_image
    from core.events import Finished, Step
    from core.model_files import load_model
    from core.run_folder import RunFolder
    from core.training.loop import Trainer

    rgb, _ = read_image(sample or smallest_sample())
    h, w = 64, 80
    if rgb.shape[0] < 2 * h or rgb.shape[1] < 2 * w:
        raise SelfTestFailed(f"the sample is smaller than {2 * w}x{2 * h}, too small to train on")
    with tempfile.TemporaryDirectory(prefix="deblur-self-test-train-") as tmp:
        root = Path(tmp) / "data"
        for i, (y, x) in enumerate(((0, 0), (0, w), (h, 0), (h, w))):
            sharp = rgb[y:y + h, x:x + w]
            blur = sum(np.roll(sharp, s, axis=1) for s in range(-2, 3)) / 5  # a 5 px motion blur
            scene = root / "train" / f"scene{i // 2}"
            write_image(scene / "sharp" / f"{i}.png", sharp)
            write_image(scene / "blur" / f"{i}.png", blur)
        cfg = RunConfig()
        cfg.model.options = {"num_residual_blocks": 1}
        cfg.data.root, cfg.data.crop = str(root), 64
        cfg.train.epochs, cfg.train.batch_size, cfg.train.device = 1, 2, "cpu"
        t0 = time.perf_counter()
        try:
            events = list(Trainer(cfg, Path(tmp) / "run"))
        except Exception as e:
            raise SelfTestFailed(f"training failed: {e.__class__.__name__}: {e}") from None
        seconds = time.perf_counter() - t0
        losses = [e.g_loss for e in events if isinstance(e, Step)]
        if not events or not isinstance(events[-1], Finished) or events[-1].reason != "completed":
            raise SelfTestFailed(f"training did not complete ({events[-1] if events else 'no events'})")
        if not losses or not all(np.isfinite(losses)):
            raise SelfTestFailed(f"training losses are not finite: {losses}")
        try:
            load_model(RunFolder(Path(tmp) / "run").last)
        except Exception as e:
            raise SelfTestFailed(f"the training checkpoint cannot be loaded: {e}") from None
    return f"trained a tiny seed GAN for one epoch in {seconds:.1f} s; checkpoint written and loaded"


def run_self_test(model: str | Path | None = None) -> int:
    """Exit code 0 when everything works; otherwise 1 and the reason on stderr."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen needed, nothing flashes up
    t0 = time.perf_counter()
    try:
        from deblur_desktop.app import make_app  # late: the window's imports count as part of the test
        from deblur_desktop.error_log import setup_logging

        setup_logging()
        make_app([sys.argv[0] if sys.argv else "deblur-studio"])
        for step in (lambda: check_window(t0), lambda: check_deblur(model), check_train):
            line = f"self-test: {step()}"
            print(line, flush=True)
            log.info(line)
    except SelfTestFailed as e:
        return _fail(str(e))
    except Exception as e:  # anything else (a missing module in a bundle) is a failure too
        import traceback

        traceback.print_exc()
        return _fail(f"{e.__class__.__name__}: {e}", exc_info=True)
    ok = f"self-test OK in {time.perf_counter() - t0:.1f} s"
    print(ok, flush=True)
    log.info(ok)
    return 0


def _fail(reason: str, exc_info: bool = False) -> int:
    # Also to the log file: a windowed Windows build has no console to print on.
    log.error("self-test FAILED: %s", reason, exc_info=exc_info)
    print(f"self-test FAILED: {reason}", file=sys.stderr, flush=True)
    return 1
