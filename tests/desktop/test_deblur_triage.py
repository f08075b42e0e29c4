"""Deblur tab, blur triage (issue 25 item 4): a dropped folder is scored in the
background and the Blur column fills; sort by it; "only photos that need it" hides the
sharp ones and says how many pass; a burst folds under its sharpest shot; only ticked
rows are deblurred; a photo that cannot be scored stays listed with the reason."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from deblur_desktop import workers

WAIT = 60_000  # generous: the machine may be busy; the waits end as soon as the state is there


@pytest.fixture
def tab(qtbot, tiny_model_file):
    from deblur_desktop.tabs.deblur.tab import DeblurTab

    t = DeblurTab()
    qtbot.addWidget(t)
    t.resize(1200, 760)
    t.show()
    t.options.set_model_file(str(tiny_model_file))
    t.options.device.setCurrentText("cpu")
    t.options.engine.set_engine("learned")
    yield t
    t.shutdown()
    assert workers.stop_all(WAIT)


def scene(seed: int, h: int = 96, w: int = 128) -> np.ndarray:
    """A textured grey 'photo': overlapping flat rectangles, so crisp edges everywhere."""
    rng = np.random.default_rng(seed)
    a = np.full((h, w), 128.0, np.float32)
    for _ in range(60):
        y, x = int(rng.integers(0, h - 8)), int(rng.integers(0, w - 8))
        a[y:y + int(rng.integers(4, 28)), x:x + int(rng.integers(4, 28))] = rng.integers(0, 256)
    return np.repeat(a[..., None], 3, axis=2)


def line_blur(a: np.ndarray, length: int) -> np.ndarray:
    """A horizontal camera shake of `length` px: a box along the rows."""
    p = np.pad(a, ((0, 0), (length // 2, length - 1 - length // 2), (0, 0)), mode="edge")
    return np.mean([p[:, i:i + a.shape[1]] for i in range(length)], axis=0)


def save(a: np.ndarray, path, taken: str | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8))
    if taken is None:
        im.save(path)
    else:
        exif = Image.Exif()
        exif[306] = taken  # DateTime: what core.triage.decode reads when DateTimeOriginal is absent
        im.save(path, quality=95, exif=exif.tobytes())
    return path


def drop(widget, *paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    widget.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def item(tab, name):
    return next(i for i in tab.queue.items if i.path.name == name)


def row(tab, name) -> int:
    return tab.queue.rows[item(tab, name).key]


def blur_cell(tab, name):
    from deblur_desktop.tabs.deblur.queue_table import COL_BLUR

    return tab.queue.item(row(tab, name), COL_BLUR)


def scored(tab) -> bool:
    return not tab.triage.scoring and all(it.score is not None or it.score_error
                                          for it in tab.queue.items if it.usable)


@contextlib.contextmanager
def no_gui_thread_work():
    hits: list = []
    remove = workers.guard_gui_thread(hits)
    try:
        yield
    finally:
        remove()
    assert hits == []


def test_dropped_folder_is_scored_sorted_and_filtered(qtbot, tab, tmp_path):
    from deblur_desktop.tabs.deblur.queue_table import COL_BLUR

    src = tmp_path / "trip"
    sharp = scene(1)
    save(sharp, src / "a_sharp.png")
    save(line_blur(scene(2), 9), src / "b_shaken.png")
    (src / "c_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    tab.triage.only_needing.setChecked(False)
    with no_gui_thread_work():
        drop(tab, src)
        qtbot.waitUntil(lambda: tab.queue.rowCount() == 3, timeout=WAIT)
        qtbot.waitUntil(lambda: scored(tab), timeout=WAIT)
    a, b = item(tab, "a_sharp.png"), item(tab, "b_shaken.png")
    assert a.score < 2.5 <= b.score  # the calibrated threshold is the default
    assert tab.triage.threshold == pytest.approx(2.5)
    assert blur_cell(tab, "b_shaken.png").text().startswith(f"{b.score:.1f}")
    assert "Blur score" in blur_cell(tab, "a_sharp.png").toolTip()
    # a photo that cannot be scored stays listed, its Blur cell says why
    broken = item(tab, "c_broken.jpg")
    assert broken.score is None and "not a readable image" in broken.score_error
    assert blur_cell(tab, "c_broken.jpg").text() == "not scored"
    assert "not a readable image" in blur_cell(tab, "c_broken.jpg").toolTip()
    assert not tab.queue.isRowHidden(row(tab, "c_broken.jpg"))

    # sort by Blur: most blurred first, the photo without a score last
    tab.queue.horizontalHeader().sectionClicked.emit(COL_BLUR)
    assert [it.path.name for it in tab.queue.items] == ["b_shaken.png", "a_sharp.png", "c_broken.jpg"]
    tab.queue.horizontalHeader().sectionClicked.emit(COL_BLUR)  # again: the other way round
    assert [it.path.name for it in tab.queue.items] == ["a_sharp.png", "b_shaken.png", "c_broken.jpg"]

    # only the photos that need it: the sharp one is hidden, the count says how many pass
    assert "1 of 2 pass" in tab.triage.count.text()
    tab.triage.only_needing.setChecked(True)
    assert tab.queue.isRowHidden(row(tab, "a_sharp.png"))
    assert not tab.queue.isRowHidden(row(tab, "b_shaken.png"))
    assert [it.path.name for it in tab.queue.runnable()] == ["b_shaken.png", "c_broken.jpg"]
    # a threshold above the blurred photo's score: none passes
    tab.triage.set_threshold(b.score + 0.5)
    assert "0 of 2 pass" in tab.triage.count.text() and tab.queue.isRowHidden(row(tab, "b_shaken.png"))
    tab.triage.set_threshold(1.5)
    assert "blur ≥ 1.5" in tab.triage.threshold_label.text()
    assert not tab.queue.isRowHidden(row(tab, "b_shaken.png"))


def test_a_burst_folds_under_its_sharpest_shot(qtbot, tab, tmp_path):
    src = tmp_path / "burst"
    base = scene(7)
    save(line_blur(base, 7), src / "IMG_0001.jpg", "2024:05:01 12:00:01")
    save(base, src / "IMG_0002.jpg", "2024:05:01 12:00:02")  # the sharp one, in the middle
    save(line_blur(base, 11), src / "IMG_0003.jpg", "2024:05:01 12:00:03")
    save(scene(8), src / "IMG_0100.jpg", "2024:05:01 12:05:00")  # another moment: no burst
    drop(tab, src)
    qtbot.waitUntil(lambda: tab.queue.rowCount() == 4, timeout=WAIT)
    qtbot.waitUntil(lambda: scored(tab), timeout=WAIT)
    shots = [item(tab, f"IMG_000{i}.jpg") for i in (1, 2, 3)]
    sharp = shots[1]
    assert all(s.burst == sharp.key and s.burst_size == 3 for s in shots)
    assert sharp.sharpest and not item(tab, "IMG_0100.jpg").burst
    assert "★ best of 3" in blur_cell(tab, "IMG_0002.jpg").text()
    # the sharpest stays ticked, the other shots are unticked and folded away under it
    assert [s.ticked for s in shots] == [False, True, False]
    assert tab.queue.item(row(tab, "IMG_0001.jpg"), 0).checkState() == Qt.CheckState.Unchecked
    assert [tab.queue.isRowHidden(row(tab, s.path.name)) for s in shots] == [True, False, True]
    assert row(tab, "IMG_0001.jpg") == row(tab, "IMG_0002.jpg") + 1  # under the sharpest, sharper first
    assert row(tab, "IMG_0003.jpg") == row(tab, "IMG_0002.jpg") + 2
    assert "1 burst(s)" in tab.triage.details.text()
    tab.triage.show_bursts.setChecked(True)  # unfolded: every shot shows, under its sharpest
    assert not any(tab.queue.isRowHidden(r) for r in range(4))
    assert tab.queue.item(row(tab, "IMG_0003.jpg"), 0).text().strip().startswith("↳")
    assert {it.path.name for it in tab.queue.runnable()} == {"IMG_0002.jpg", "IMG_0100.jpg"}
    # the filter goes by a burst's sharpest shot: with a sharp one kept, none of its shots needs deblurring
    tab.triage.only_needing.setChecked(True)
    assert all(tab.queue.isRowHidden(row(tab, s.path.name)) for s in shots)
    assert tab.triage.count.text() == "0 of 4 pass"


def test_only_ticked_rows_that_the_filter_shows_are_deblurred(qtbot, tab, tmp_path):
    src = tmp_path / "mixed"
    save(scene(3), src / "sharp.png")
    save(line_blur(scene(4), 9), src / "shaken_a.png")
    save(line_blur(scene(5), 9), src / "shaken_b.png")
    drop(tab, src)
    qtbot.waitUntil(lambda: tab.queue.rowCount() == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: scored(tab), timeout=WAIT)
    tab.queue.item(row(tab, "shaken_b.png"), 0).setCheckState(Qt.CheckState.Unchecked)  # the user unticks it
    assert not item(tab, "shaken_b.png").ticked
    tab.triage.only_needing.setChecked(True)  # the sharp one is ticked, but filtered out
    assert "1 ticked to deblur" in tab.queue_info.text()
    assert tab.batch.start_btn.isEnabled()
    tab.batch.start_btn.click()
    qtbot.waitUntil(lambda: tab.job is None, timeout=WAIT)
    out = tmp_path / "mixed_deblurred"
    assert sorted(p.name for p in out.iterdir()) == ["shaken_a.png"]
    assert item(tab, "shaken_a.png").status == "done"
    assert item(tab, "sharp.png").status == "queued" and item(tab, "shaken_b.png").status == "queued"
    tab.queue.item(row(tab, "shaken_a.png"), 0).setCheckState(Qt.CheckState.Unchecked)
    assert not tab.batch.start_btn.isEnabled()  # nothing ticked: nothing to start


def test_scoring_can_be_stopped_and_clear_drops_it(qtbot, tab, tmp_path, monkeypatch):
    import importlib
    import threading
    import time

    scan_mod = importlib.import_module("core.triage.scan")  # the module; core.triage.scan is also its function

    gate = threading.Event()
    real = scan_mod.measure

    def slow(grey):
        gate.wait(5)
        time.sleep(0.05)
        return real(grey)

    monkeypatch.setattr(scan_mod, "measure", slow)
    src = tmp_path / "many"
    for i in range(6):
        save(scene(20 + i), src / f"p{i}.png")
    drop(tab, src)
    qtbot.waitUntil(lambda: tab.queue.rowCount() == 6, timeout=WAIT)
    assert tab.triage.scoring and tab.triage.stop_btn.isVisible()
    assert tab.batch.start_btn.isEnabled()  # scoring never holds the batch back
    tab.triage.stop_btn.click()
    gate.set()
    qtbot.waitUntil(lambda: not tab.triage.scoring, timeout=WAIT)
    done = [it for it in tab.queue.items if it.score is not None]
    assert len(done) <= 2  # stopped between two photos, not at the end of the folder
    stopped = [it for it in tab.queue.items if it.score is None]
    assert stopped and all(it.score_stopped and blur_cell(tab, it.path.name).text() == "" for it in stopped)
    assert not tab.triage.stop_btn.isVisible()
    tab.clear()
    assert tab.queue.rowCount() == 0 and not tab.triage.scoring
