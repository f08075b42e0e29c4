"""Shake reduction in the app: the engine choice (saved, and building that engine), a
batch that writes a sharper photo and shows its kernel as an inset, Cancel in the middle
of a kernel estimate, the blur-region re-run, the visible-area preview, and the Evaluate
view scoring the engine. Photos: a small textured image the tests blur with a line."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from scipy import ndimage
from test_deblur_tab import add_and_wait, files_under, no_gui_thread_work, status, tab, tiny_model  # noqa: F401

from deblur_desktop import workers


def shaken(path, size=96, seed=0):
    """Write a camera-shake photo: rectangles of many greys, blurred along a 9 px line.
    Returns (sharp, blurred) as floats in [0, 1]."""
    rng = np.random.default_rng(seed)
    sharp = np.full((size, size), 0.5)
    for _ in range(30):
        y, x = rng.integers(0, size - 10, 2)
        h, w = rng.integers(4, 24, 2)
        sharp[y:y + h, x:x + w] = rng.random()
    sharp = ndimage.gaussian_filter(sharp, 0.7)
    k = np.zeros((9, 9))
    k[4, 1:8] = 1 / 7
    blurred = ndimage.convolve(sharp, k, mode="reflect")
    save_grey(path, blurred)
    return sharp, blurred


def save_grey(path, a):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.repeat((a * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=2)).save(path)


def grey(path):
    return np.asarray(Image.open(path).convert("L"), np.float64) / 255


@pytest.fixture
def built(monkeypatch):
    """Every engine the app builds, as (engine name, ShakeOptions or None); a fresh cache."""
    import core.engines
    from deblur_desktop.tabs.deblur import jobs as deblur_jobs

    calls = []
    real = core.engines.make_engine

    def spy(engine, model=None, device="auto", precision=None, shake=None, **kw):
        calls.append((engine, shake))
        return real(engine, model, device, precision, shake, **kw)

    monkeypatch.setattr(core.engines, "make_engine", spy)
    monkeypatch.setattr(deblur_jobs, "_cache", {})
    return calls


def drag(pane, a, b):
    """Press at image point a, move, release at image point b (a left-button drag)."""
    s, c = pane.transform()

    def at(p):
        return QPointF((p[0] - c.x()) * s + pane.width() / 2, (p[1] - c.y()) * s + pane.height() / 2)

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, p, button, held in ((QEvent.Type.MouseButtonPress, a, left, left),
                                  (QEvent.Type.MouseMove, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), none, left),
                                  (QEvent.Type.MouseButtonRelease, b, left, none)):
        pos = at(p)
        QApplication.sendEvent(pane, QMouseEvent(kind, pos, pane.mapToGlobal(pos), button, held,
                                                 Qt.KeyboardModifier.NoModifier))


def test_a_new_user_gets_auto_and_each_choice_builds_its_engine(qtbot, tiny_model, built):
    from core.engines import ENGINE_HELP, AutoEngine
    from core.inference import Deblurrer
    from core.shake import ShakeReducer
    from deblur_desktop.tabs.deblur.jobs import get_deblurrer
    from deblur_desktop.tabs.deblur.tab import DeblurTab

    t = DeblurTab()
    qtbot.addWidget(t)
    assert t.options.engine.engine() == "auto" and [t.options.engine.itemText(i) for i in range(3)] == [
        "Learned model", "Shake reduction", "Auto"]
    assert "kernel estimate is reliable" in t.options.engine.toolTip()  # core's ENGINE_HELP
    assert not t.options.ensemble.isEnabled() and t.options.model.isEnabled()  # auto: the model is its fallback
    t.options.engine.set_engine("shake")
    assert not t.options.model.isEnabled() and not t.options.ensemble.isEnabled()
    assert t.options.engine.toolTip().lower() == ENGINE_HELP["shake"]
    t.options.engine.set_engine("learned")
    assert t.options.ensemble.isEnabled() and t.options.model.isEnabled()
    t.options.ensemble.setCurrentIndex(t.options.ensemble.findData(4))
    t.options.engine.set_engine("shake")
    assert t.options.output_options().ensemble == 1  # the self-ensemble is the learned model's only

    assert type(get_deblurrer(tiny_model, "cpu", 1, "learned")) is Deblurrer
    assert type(get_deblurrer(None, "cpu", 1, "shake")) is ShakeReducer
    auto = get_deblurrer(tiny_model, "cpu", 1, "auto")
    assert type(auto) is AutoEngine and type(auto.learned()) is Deblurrer  # the picked model as fallback
    assert [e for e, _ in built] == ["learned", "shake", "auto"]
    with pytest.raises(ValueError, match="self-ensemble"):
        get_deblurrer(None, "cpu", 4, "shake")


def test_shake_batch_writes_a_sharper_photo_and_shows_its_kernel(qtbot, tab, tmp_path, built):
    from deblur_desktop.tabs.deblur.tab import DeblurTab

    src = tmp_path / "in" / "shaken.png"
    sharp, blurred = shaken(src)
    tab.options.engine.set_engine("shake")
    assert tab.batch.start_btn.isEnabled() is False  # nothing queued yet
    with no_gui_thread_work():
        add_and_wait(qtbot, tab, src, rows=1)
        tab.batch.start_btn.click()
        qtbot.waitUntil(lambda: tab.job is None, timeout=60_000)
        qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original", "Deblurred"], timeout=60_000)
    assert built == [("shake", None)]  # the kernel size and region come from the photo
    out = tmp_path / "in_deblurred" / "shaken.png"
    assert status(tab, "shaken.png")[0] == "done" and out.is_file()
    inner = np.s_[12:-12, 12:-12]  # edges aside: both methods guess what lies past them
    err_before = np.abs(blurred - sharp)[inner].mean()
    err_after = np.abs(grey(out) - sharp)[inner].mean()
    assert err_after < 0.75 * err_before, (err_before, err_after)

    ev = tab.queue.items[0].kernel
    assert ev is not None and ev.what_ran == "deconvolved" and abs(ev.kernel.sum() - 1) < 1e-6
    ys, xs = np.nonzero(ev.kernel > ev.kernel.max() * 0.2)
    assert np.ptp(xs) >= 4 and np.ptp(ys) <= 2  # it found the horizontal line
    inset = tab.preview.compare.kernel_inset
    assert inset.isVisible() and inset.text.startswith(f"{ev.kernel.shape[0]} px · confidence ")
    assert inset.text.endswith("deconvolved")
    assert tab.preview.compare.stack.geometry().contains(inset.geometry())  # in the image's corner
    r, n = inset.kernel_rect(), ev.kernel.shape[0]
    assert inset.image.width() == n and r.width() == r.height() == n * (r.width() // n) >= 120  # whole px each
    img = inset.grab().toImage()  # white kernel on black: the trace's middle is bright, its corner dark
    mid = r.x() + (n // 2 + 0.5) * r.width() / n
    assert img.pixelColor(int(mid), int(mid - r.x() + r.y())).lightness() > 200
    assert img.pixelColor(r.x() + 2, r.y() + 2).lightness() < 40

    # the choice is kept for next time
    again = DeblurTab()
    qtbot.addWidget(again)
    assert again.options.engine.engine() == "shake"

    # a learned-model result has no kernel to show
    tab.options.engine.set_engine("learned")
    tab.options.existing.setCurrentIndex(tab.options.existing.findData("overwrite"))
    tab.batch.start_btn.click()
    qtbot.waitUntil(lambda: tab.job is None, timeout=60_000)
    assert tab.last_result.done == 1 and tab.queue.items[0].kernel is None
    qtbot.waitUntil(lambda: not inset.isVisible(), timeout=60_000)


def _steps_done(text: str) -> int:
    head = text.split("/")[0]
    return int(head) if head.isdigit() else 0


def test_cancel_in_the_middle_of_a_kernel_estimate(qtbot, tab, tmp_path, monkeypatch):
    import core.shake.engine as shake_engine

    real = shake_engine.estimate_kernel_steps

    clicked, after_click = threading.Event(), []

    def slow_steps(*a, **k):  # each estimation step takes 0.3 s: the click lands inside the estimate
        gen = real(*a, **k)
        while True:
            if clicked.is_set() and threading.current_thread().name != "shake-cross-check":
                after_click.append(1)  # a step of the main estimate (the batch's worker thread)
            try:
                step = next(gen)
            except StopIteration as stop:
                return stop.value
            time.sleep(0.3)
            yield step

    monkeypatch.setattr(shake_engine, "estimate_kernel_steps", slow_steps)
    src = tmp_path / "in" / "shaken.png"
    shaken(src)
    tab.options.engine.set_engine("shake")
    add_and_wait(qtbot, tab, src, rows=1)
    tab.batch.start_btn.click()
    # inside the estimate: two steps or more done (the count is the sum of the main and
    # the cross-check estimate's steps, so it may pass 2 without showing it)
    qtbot.waitUntil(lambda: _steps_done(status(tab, "shaken.png")[1]) >= 2, timeout=60_000)
    tab.batch.cancel_btn.click()
    clicked.set()
    assert "step" in tab.batch.summary.text()
    qtbot.waitUntil(lambda: tab.job is None, timeout=60_000)
    # Counted, not timed: cancel is polled before each step, so the main estimate runs at
    # most the one step that passed its poll just before the click.
    assert len(after_click) <= 1
    out = tmp_path / "in_deblurred"
    assert not out.exists() or files_under(out) == []  # no result, no temporary file
    assert status(tab, "shaken.png") == ("queued", "cancelled") and tab.queue.items[0].kernel is None
    assert tab.last_result.cancelled and not tab.preview.compare.kernel_inset.isVisible()


def test_a_drawn_blur_region_reruns_the_photo_with_that_region(qtbot, tab, tmp_path, built):
    src = tmp_path / "in" / "shaken.png"
    shaken(src)
    tab.options.engine.set_engine("shake")
    pane = tab.preview.compare.split_pane
    with no_gui_thread_work():
        add_and_wait(qtbot, tab, src, rows=1)
        qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original"], timeout=60_000)
        btn = tab.preview.compare.region_btn
        assert btn.isVisible() and btn.isEnabled()
        btn.click()
        assert btn.isChecked()
        drag(pane, (10.2, 20.2), (70.2, 80.2))
        assert tab.job is not None and not btn.isChecked()  # started at once; the tool is off again
        qtbot.waitUntil(lambda: tab.job is None, timeout=60_000)
        qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original", "Deblurred"], timeout=60_000)
    assert len(built) == 1 and built[0][0] == "shake"
    x, y, w, h = built[0][1].region
    assert abs(x - 10) <= 1 and abs(y - 20) <= 1 and abs(w - 60) <= 2 and abs(h - 60) <= 2
    r = tab.preview.compare.state.region  # still drawn over the result
    assert (round(r.x()), round(r.y()), round(r.width()), round(r.height())) == (x, y, w, h)
    assert (tmp_path / "in_deblurred" / "shaken.png").is_file() and tab.preview.compare.kernel_inset.isVisible()
    assert tab.queue.items[0].kernel.what_ran == "deconvolved"

    # drawn again on a finished photo: its result is replaced (the output already exists)
    before = (tmp_path / "in_deblurred" / "shaken.png").stat().st_mtime_ns
    tab.options.existing.setCurrentIndex(tab.options.existing.findData("skip"))
    btn.click()
    drag(pane, (5, 5), (90, 60))
    qtbot.waitUntil(lambda: tab.job is None, timeout=60_000)
    assert built[-1][1].region[:2] == (5, 5) and status(tab, "shaken.png")[0] == "done"
    assert (tmp_path / "in_deblurred" / "shaken.png").stat().st_mtime_ns != before
    # a click is not a region; the learned model has none to use
    btn.click()
    drag(pane, (30, 30), (32, 31))
    assert tab.job is None and tab.preview.compare.state.region is None
    tab.options.engine.set_engine("learned")
    assert not btn.isEnabled() and not btn.isChecked()


def test_try_on_visible_area_with_shake_reduction(qtbot, tab, tmp_path):
    src = tmp_path / "shaken.png"
    shaken(src)
    tab.options.engine.set_engine("shake")
    v = tab.preview.compare
    with no_gui_thread_work():
        add_and_wait(qtbot, tab, src, rows=1)
        qtbot.waitUntil(lambda: v.labels == ["Original"], timeout=60_000)
        assert tab.preview.crop_btn.isEnabled()
        tab.preview.crop_btn.click()
        qtbot.waitUntil(lambda: v.labels == ["Original", "Preview: shake reduction"], timeout=60_000)
    assert v.kernel_inset.isVisible() and "deconvolved" in v.kernel_inset.text
    res = v.images[1].convertToFormat(v.images[1].Format.Format_RGB888)
    res = np.frombuffer(res.constBits(), np.uint8).reshape(96, res.bytesPerLine())[:, :96 * 3]
    assert np.abs(res.astype(int) - np.asarray(Image.open(src).convert("RGB")).reshape(96, -1)).max() > 20


def test_evaluate_view_scores_shake_reduction(qtbot, tmp_path):
    from deblur_desktop.tabs.dataset.tab import DatasetTab

    pairs = tmp_path / "pairs"
    for i in range(2):
        sharp, _ = shaken(pairs / "blur" / f"img{i}.png", size=64, seed=i)
        save_grey(pairs / "sharp" / f"img{i}.png", sharp)
    t = DatasetTab()
    qtbot.addWidget(t)
    ev = t.evaluate
    items = {ev.models.item(i).text(): ev.models.item(i) for i in range(ev.models.count())}
    for name, item in items.items():
        item.setCheckState(Qt.CheckState.Checked if name in ("shake reduction", "blurred input (baseline)")
                           else Qt.CheckState.Unchecked)
    assert items["shake reduction"].toolTip().lower().startswith("shake reduction: estimates")
    t.open_folder(str(pairs))
    qtbot.waitUntil(lambda: ev.run_btn.isEnabled(), timeout=60_000)
    ev.shift.setValue(2)
    ev.start()
    qtbot.waitUntil(lambda: ev.job is None, timeout=60_000)
    rows = {}
    for r in range(ev.per_image.rowCount()):
        rows.setdefault(ev.per_image.item(r, 0).text(), []).append(
            (float(ev.per_image.item(r, 2).text()), float(ev.per_image.item(r, 4).text())))
    assert sorted(rows) == ["blurred input (baseline)", "shake reduction"], ev.status.text()
    base, shake = np.mean(rows["blurred input (baseline)"], axis=0), np.mean(rows["shake reduction"], axis=0)
    assert shake[0] > base[0] + 1 and shake[1] > base[1] + 1  # raw and shift-tolerant PSNR: sharper
    assert ev.result_path("shake reduction", "img0.png").is_file()
    t.shutdown()
    assert workers.stop_all(60_000)
