"""Deblur tab: drops fill the queue, a batch writes named outputs with their ICC profile,
Cancel stops within one image leaving no partial files, a corrupt file fails alone,
the compare view flickers and previews a crop."""
from __future__ import annotations

import contextlib
import threading
import time

import numpy as np
import pytest
from PIL import Image, ImageCms
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from deblur_desktop import workers


@pytest.fixture(scope="module")
def tiny_model(tiny_model_file):
    """A tiny random seed generator written through the real checkpoint + export path."""
    return tiny_model_file


@pytest.fixture
def tab(qtbot, tiny_model):
    from deblur_desktop.tabs.deblur.tab import DeblurTab

    t = DeblurTab()
    qtbot.addWidget(t)
    t.resize(1200, 760)
    t.show()
    t.options.set_model_file(str(tiny_model))
    t.options.device.setCurrentText("cpu")
    t.options.engine.set_engine("learned")  # these tests follow the model's path; the shake tests choose theirs
    yield t
    t.shutdown()
    assert workers.stop_all(60_000)


def photo(path, h=48, w=64, seed=0, **save):
    a = (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, **save)
    return path


def drop(widget, *paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(ev)
    return ev


def add_and_wait(qtbot, tab, *paths, rows):
    drop(tab, *paths)
    qtbot.waitUntil(lambda: tab.queue.rowCount() == rows, timeout=60_000)


def status(tab, name):
    it = next(i for i in tab.queue.items if i.path.name == name)
    return it.status, it.reason


def run_and_wait(qtbot, tab, timeout=60_000):
    assert tab.batch.start_btn.isEnabled()
    tab.batch.start_btn.click()
    assert tab.job is not None and not tab.options.isEnabled()
    qtbot.waitUntil(lambda: tab.job is None, timeout=timeout)


@contextlib.contextmanager
def no_gui_thread_work():
    """The user flow inside reads no image and calls no model on the GUI thread."""
    hits: list = []
    remove = workers.guard_gui_thread(hits)
    try:
        yield
    finally:
        remove()
    assert hits == []


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_dropped_folder_fills_the_queue_and_lists_non_images_as_skipped(qtbot, tab, tmp_path):
    src = tmp_path / "trip"
    photo(src / "a.png")
    photo(src / "day2" / "b.jpg", seed=1)
    (src / "notes.txt").write_text("not a photo")
    (src / ".thumbs.png").write_bytes(b"hidden files are left out")
    ev = drop(tab, src)
    assert ev.isAccepted()
    qtbot.waitUntil(lambda: tab.queue.rowCount() == 3, timeout=60_000)
    names = [str(it.rel) for it in tab.queue.items]
    assert names == ["a.png", "day2/b.jpg", "notes.txt"]
    assert status(tab, "a.png") == ("queued", "") and status(tab, "b.jpg") == ("queued", "")
    st, why = status(tab, "notes.txt")
    assert st == "skipped" and "not a supported image" in why and ".txt" in why
    assert tab.queue.item(0, 2).text().startswith("64×48")  # size column (after File and Blur)
    assert tab.queue.item(2, 3).text().startswith("skipped")  # status
    assert "2 photo(s)" in tab.queue_info.text() and tab.batch.start_btn.isEnabled()
    qtbot.waitUntil(lambda: tab.queue.item(1, 0).icon().pixmap(40, 40).toImage().pixelColor(20, 20).alpha() == 255,
                    timeout=60_000)  # a thumbnail replaced the translucent placeholder
    drop(tab, src / "a.png", src)  # the same files again: listed once
    assert tab._scans  # the drop's scan is listed at once; it is done when it leaves
    qtbot.waitUntil(lambda: not tab._scans, timeout=60_000)
    assert tab.queue.rowCount() == 3
    photo(tmp_path / "other" / "c.webp", seed=3)
    assert drop(tab.drop, tmp_path / "other" / "c.webp").isAccepted()  # the drop zone itself
    qtbot.waitUntil(lambda: tab.queue.rowCount() == 4, timeout=60_000)
    assert status(tab, "c.webp") == ("queued", "")


def test_batch_writes_named_outputs_keeps_icc_and_reruns_with_new_options(qtbot, tab, tmp_path):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = tmp_path / "in"
    photo(src / "a.png", icc_profile=icc)
    photo(src / "sub" / "b.jpg", seed=1, icc_profile=icc, quality=95)
    with no_gui_thread_work():
        add_and_wait(qtbot, tab, src, rows=2)
        tab.options.suffix.setText("_sharp")
        run_and_wait(qtbot, tab)
        # the first finished file is shown: original vs result
        qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original", "Deblurred"], timeout=60_000)
    out = tmp_path / "in_deblurred"  # the default: a sibling folder, originals untouched
    assert files_under(out) == ["a_sharp.png", "sub/b_sharp.jpg"]
    assert files_under(src) == ["a.png", "sub/b.jpg"]
    for f in ("a_sharp.png", "sub/b_sharp.jpg"):
        with Image.open(out / f) as im:
            assert im.info.get("icc_profile") == icc and im.size == (64, 48)
    assert status(tab, "a.png")[0] == "done" and status(tab, "b.jpg")[0] == "done"
    assert "2 done, 0 skipped, 0 failed" in tab.batch.summary.text() and tab.batch.open_out_btn.isEnabled()
    assert "MP/s" in tab.batch.rate.text() and tab.batch.total_bar.value() == 1000
    assert tab.batch.output_dirs == [str(out)]

    # all done: Start runs them again with the new options (16-bit TIFF, no metadata, flat)
    tab.options.format.setCurrentText("TIFF 16-bit")
    tab.options.keep_meta.setChecked(False)
    tab.options.keep_structure.setChecked(False)
    run_and_wait(qtbot, tab)
    import tifffile

    for name in ("a_sharp.tif", "b_sharp.tif"):
        with tifffile.TiffFile(out / name) as t:
            assert t.pages[0].dtype == np.uint16 and 34675 not in t.pages[0].tags  # no ICC tag
    assert tab.last_result.done == 2


def test_the_batch_panel_shows_cores_eta_for_the_whole_start(qtbot):
    from core.events import FileStarted, TileProgress
    from deblur_desktop.tabs.deblur.batch_panel import BatchPanel

    p = BatchPanel()
    qtbot.addWidget(p)
    p.show_event(FileStarted(1, 4, "a.png", "out/a.png", 64, 48, 2), None)
    p.show_event(TileProgress(1, 4, "a.png", 1, 2, None, None), None)
    assert p.rate.text().strip() == ""  # core cannot tell yet: nothing of the tab's own
    p.show_event(TileProgress(1, 4, "a.png", 2, 2, 125.0, 1.5), None)
    assert p.rate.text() == "ETA 2 min 05 s · 1.50 MP/s"


def test_cancel_stops_within_one_image_and_leaves_no_partial_files(qtbot, tab, tmp_path, monkeypatch):
    from core.inference.deblur import Deblurrer

    run = Deblurrer._run
    clicked, after_click = threading.Event(), []

    def slow(self, tile):  # a tile takes long enough for the click to land inside photo 2
        if clicked.is_set():
            after_click.append(tile)
        time.sleep(0.4)
        return run(self, tile)

    monkeypatch.setattr(Deblurrer, "_run", slow)
    src = tmp_path / "batch"
    for i in range(3):
        photo(src / f"p{i}.png", seed=i)
    add_and_wait(qtbot, tab, src, rows=3)
    seen = []
    tab.queue.itemChanged.connect(lambda cell: seen.append((cell.row(), cell.text())) if cell.column() == 3 else None)
    tab.batch.start_btn.click()
    qtbot.waitUntil(lambda: status(tab, "p1.png")[0] == "running", timeout=60_000)
    tab.batch.cancel_btn.click()
    clicked.set()
    qtbot.waitUntil(lambda: tab.job is None, timeout=60_000)
    # within one tile, not the rest of the batch: counted, not timed (a loaded machine is slow).
    # Cancel is polled before each tile, so at most the one that passed its poll just before the click.
    assert len(after_click) <= 1
    out = tmp_path / "batch_deblurred"
    assert files_under(out) == ["p0.png"]  # no p1 (partial or whole), no temp files
    assert status(tab, "p0.png")[0] == "done"
    assert status(tab, "p1.png") == ("queued", "cancelled") and status(tab, "p2.png")[0] == "queued"
    assert any(r == 1 and t.startswith("running") for r, t in seen)  # the record works...
    assert not any(r == 2 and t.startswith("running") for r, t in seen)  # ...photo 3 never started
    assert tab.last_result.cancelled and "Cancelled" in tab.batch.summary.text()
    assert tab.batch.start_btn.isEnabled() and not tab.batch.cancel_btn.isEnabled()


def test_corrupt_file_fails_while_the_others_finish(qtbot, tab, tmp_path):
    src = tmp_path / "mixed"
    photo(src / "a.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    photo(src / "c.png", seed=2)
    add_and_wait(qtbot, tab, src, rows=3)
    run_and_wait(qtbot, tab)
    st, why = status(tab, "broken.png")
    assert st == "failed" and "not a readable image" in why
    assert status(tab, "a.png")[0] == "done" and status(tab, "c.png")[0] == "done"
    assert files_under(tmp_path / "mixed_deblurred") == ["a.png", "c.png"]
    assert "2 done, 0 skipped, 1 failed" in tab.batch.summary.text()


def test_quality_choice_runs_the_self_ensemble(qtbot, tab, tmp_path, spread_generator):
    from core.data.imageio import read_rgb, to_uint8
    from core.inference import Deblurrer
    from core.model_files import export_safetensors

    g, cfg = spread_generator  # the tiny default model's output is too flat for views to differ
    model = export_safetensors(g, tmp_path / "spread.safetensors", config=cfg)
    tab.options.set_model_file(str(model))
    src = photo(tmp_path / "in" / "p.png", h=48, w=80)
    add_and_wait(qtbot, tab, src, rows=1)
    tab.options.ensemble.setCurrentIndex(tab.options.ensemble.findData(4))
    tab.options.tile.setCurrentIndex(tab.options.tile.findData(0))  # whole image, as the reference below
    run_and_wait(qtbot, tab)
    got = np.asarray(Image.open(tmp_path / "in_deblurred" / "p.png")).astype(int)
    d = Deblurrer.from_file(model, device="cpu")
    x = read_rgb(src)
    assert np.abs(got - to_uint8(d.with_ensemble(4).deblur(x, tile=0))).max() <= 1
    assert np.abs(got - to_uint8(d.deblur(x, tile=0))).max() > 2  # not the one-pass result


def test_flicker_and_try_on_the_visible_area(qtbot, tab, tmp_path):
    src = photo(tmp_path / "big.png", h=96, w=96)
    v = tab.preview.compare
    pane = v.split_pane
    with no_gui_thread_work():
        add_and_wait(qtbot, tab, src, rows=1)
        qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original"], timeout=60_000)  # selected on arrival
        pane.zoom_at(QPointF(pane.width() / 2, pane.height() / 2), 4 * pane.transform()[0])  # part in view
        box = pane.visible_image_rect()
        assert 0 < box.width() < 96 and 0 < box.height() <= 96
        assert tab.preview.crop_btn.isEnabled()
        tab.preview.crop_btn.click()
        qtbot.waitUntil(lambda: len(v.labels) == 2 and v.labels[1].startswith("Preview"), timeout=60_000)
    orig = np.asarray(Image.open(src).convert("RGB"))
    res = v.images[1]
    res = np.frombuffer(res.constBits(), np.uint8).reshape(res.height(), res.bytesPerLine())[:, :96 * 3]
    changed = np.abs(res.reshape(96, 96, 3).astype(int) - orig).sum(axis=2) > 0
    ys, xs = np.nonzero(changed)
    assert changed.any() and xs.min() >= box.x() and xs.max() < box.x() + box.width()
    assert ys.min() >= box.y() and ys.max() < box.y() + box.height()
    assert not changed[:, :box.x()].any()  # outside the visible area: the original
    # flicker: the second image, the first while held
    v.set_mode("Flicker")
    assert v.flicker_pane.labels[0].startswith("Preview") and v.hold_btn.isVisible()
    qtbot.mousePress(v.hold_btn, Qt.MouseButton.LeftButton)
    assert v.flicker_pane.labels == ["Original"]
    qtbot.mouseRelease(v.hold_btn, Qt.MouseButton.LeftButton)
    assert v.flicker_pane.labels[0].startswith("Preview")


def test_files_dropped_on_the_window_go_to_the_deblur_tab(qtbot, window, tmp_path):
    a = photo(tmp_path / "loose" / "a.png")
    ev = drop(window, a)
    assert ev.isAccepted() and window.tabs.currentWidget() is window.deblur_tab
    qtbot.waitUntil(lambda: window.deblur_tab.queue.rowCount() == 1, timeout=60_000)
    assert window.deblur_tab.queue.items[0].path == a


def test_output_options_are_saved_as_they_change_not_only_on_start(qtbot, tab, tmp_path):
    """Issue 26: options set and the app closed before any batch came back as defaults."""
    from deblur_desktop.tabs.deblur.tab import DeblurTab

    tab.options.suffix.setText("_fixed")
    tab.options.format.setCurrentText("JPEG")
    tab.options.quality.setValue(72)
    tab.options.keep_meta.setChecked(False)
    tab.options.existing.setCurrentIndex(tab.options.existing.findData("overwrite"))
    tab.options.out_dir.setText(str(tmp_path / "results"))
    assert tab.job is None  # no batch ran
    again = DeblurTab()  # the next session of the app
    qtbot.addWidget(again)
    try:
        assert again.options.suffix.text() == "_fixed" and again.options.format.currentText() == "JPEG"
        assert again.options.quality.value() == 72 and again.options.quality.isEnabled()
        assert not again.options.keep_meta.isChecked() and again.options.existing.currentData() == "overwrite"
        assert again.options.out_dir.text() == str(tmp_path / "results")
        assert again.options.model_path() == str(tab.options.model_path())
    finally:
        again.shutdown()


def test_a_result_from_an_earlier_run_is_compared_and_named(qtbot, tab, tmp_path):
    """Issue 26: a re-added folder's results were only 'skipped: exists', the view showing the original alone."""
    src = photo(tmp_path / "trip" / "a.png", seed=4)
    earlier = tmp_path / "trip_deblurred" / "a_sharp.png"  # where the default options write it
    old = photo(earlier, seed=9)
    tab.options.suffix.setText("_sharp")
    with no_gui_thread_work():
        add_and_wait(qtbot, tab, src.parent, rows=1)
        qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original", "Deblurred (earlier run)"], timeout=60_000)
    shown = tab.preview.compare.images[1]
    px = np.frombuffer(shown.constBits(), np.uint8).reshape(shown.height(), shown.bytesPerLine())[:, :64 * 3]
    assert np.array_equal(px.reshape(48, 64, 3), np.asarray(Image.open(old).convert("RGB")))  # that very file
    assert "earlier run" in tab.preview.view_info.text() and str(earlier) in tab.preview.view_info.text()
    before = earlier.read_bytes()
    run_and_wait(qtbot, tab)  # "If it exists: Skip" keeps it
    st, why = status(tab, "a.png")
    assert st == "skipped" and "earlier run" in why and "a_sharp.png" in why
    assert earlier.read_bytes() == before
    tab.show_item(tab.queue.items[0])
    qtbot.waitUntil(lambda: tab.preview.compare.labels == ["Original", "Deblurred (earlier run)"]
                    and "earlier run" in tab.preview.view_info.text(), timeout=60_000)


def test_an_unusable_model_disables_start_and_its_reason_wraps(qtbot, tab, tmp_path):
    """Issue 26: with a broken model file picked, Start stayed enabled and the red reason was
    cut off mid-word."""
    add_and_wait(qtbot, tab, photo(tmp_path / "in" / "a.png"), rows=1)
    qtbot.waitUntil(lambda: tab.batch.start_btn.isEnabled(), timeout=60_000)
    bad = tmp_path / "not a model.safetensors"
    bad.write_bytes(b"this is no safetensors file, whatever its name says " * 4)
    tab.options.set_model_file(str(bad))
    info = tab.options.model_info
    qtbot.waitUntil(lambda: "Cannot use this model" in info.text(), timeout=60_000)
    assert not tab.batch.start_btn.isEnabled()
    assert not tab.preview.crop_btn.isEnabled()
    assert info.wordWrap()
    # every line of the reason is shown, once the layout has run (later under load)
    qtbot.waitUntil(lambda: info.height() >= info.heightForWidth(info.width()), timeout=60_000)
    tab.options.set_model_file(str(tab.options.model.itemData(0)))  # a good one again
    qtbot.waitUntil(lambda: tab.batch.start_btn.isEnabled(), timeout=60_000)
