"""Dataset tab: opening, tree and counts, problems, thumbnails, pair viewer, evaluation."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from deblur_desktop import workers


@pytest.fixture
def tab(qtbot):
    from deblur_desktop.tabs.dataset.tab import DatasetTab

    t = DatasetTab()
    # Tests choose their own models: untick whatever this machine has installed (the
    # shipped default model is ticked by default for users).
    for i in range(t.evaluate.models.count()):
        item = t.evaluate.models.item(i)
        if item.text() != "blurred input (baseline)":
            item.setCheckState(Qt.CheckState.Unchecked)
    qtbot.addWidget(t)
    t.resize(1200, 700)
    t.show()
    yield t
    t.shutdown()
    assert workers.stop_all(60_000)


def open_and_wait(qtbot, tab, folder):
    tab.open_folder(str(folder))
    qtbot.waitUntil(lambda: tab.pairset is not None and str(tab.pairset.root) == str(folder), timeout=60_000)


def test_gopro_tree_has_splits_scenes_counts_and_sizes(qtbot, tab, make_gopro):
    root = make_gopro(scenes=2, per_scene=3, test_scenes=1, size=(40, 56))
    open_and_wait(qtbot, tab, root)
    top = tab.tree.topLevelItem(0)
    assert top.text(1) == "9" and "gopro" in top.text(0)
    train = tab.tree.item_for("train")
    assert train.text(1) == "6" and train.childCount() == 2 and train.text(2) == "56x40"
    assert tab.tree.item_for("train", "GOPR0001_train").text(1) == "3"
    assert tab.tree.item_for("test").text(1) == "3"
    assert "9 usable pairs" in tab.summary.text()
    tab.tree.setCurrentItem(tab.tree.item_for("test"))
    assert tab.grid.count() == 3  # the grid follows the tree selection


def test_problems_are_listed(qtbot, tab, make_flat):
    root = make_flat(n=3)
    Image.new("RGB", (8, 8)).save(root / "blur" / "orphan.png")  # no sharp partner
    (root / "blur" / "broken.png").write_bytes(b"not a png")
    (root / "sharp" / "broken.png").write_bytes(b"not a png")
    open_and_wait(qtbot, tab, root)
    texts = [tab.problems.item(i).text() for i in range(tab.problems.count())]
    assert len(texts) == 2 and "Problems (2)" in tab.problems_title.text() and tab.problems.isVisible()
    assert any("orphan.png" in t and "no sharp" in t for t in texts)
    assert any("broken.png" in t and "readable" in t for t in texts)
    assert tab.tree.topLevelItem(0).text(1) == "3"


def test_dropping_a_folder_url_opens_it(qtbot, tab, make_flat):
    root = make_flat(n=2)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(root))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                    Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    tab.dropEvent(ev)
    qtbot.waitUntil(lambda: tab.pairset is not None, timeout=60_000)
    assert tab.pairset.root == root and tab.tree.topLevelItem(0).text(1) == "2"
    assert tab.recent.itemData(0) == str(root)  # remembered in the recent list


def test_selected_pair_shows_in_the_viewer_with_psnr_ssim(qtbot, tab, make_flat):
    from core.data.imageio import read_rgb, to_uint8
    from core.metrics import psnr

    root = make_flat(n=2)
    open_and_wait(qtbot, tab, root)
    qtbot.waitUntil(lambda: "PSNR" in tab.pair_info.text(), timeout=60_000)
    expected = psnr(to_uint8(read_rgb(root / "blur" / "img00.png")), to_uint8(read_rgb(root / "sharp" / "img00.png")))
    assert f"PSNR {expected:.2f} dB" in tab.pair_info.text() and "SSIM" in tab.pair_info.text()
    assert tab.viewer.labels == ["Blurred", "Sharp"] and tab.viewer.images[0].width() == 64


def _solid(color, h=40, w=60):
    a = np.zeros((h, w, 3), np.uint8)
    a[:] = color
    return a


def test_slider_moves_the_split(qtbot):
    from deblur_desktop.widgets.compare_view import CompareView

    v = CompareView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    v.set_images([("Blurred", _solid((255, 0, 0))), ("Sharp", _solid((0, 0, 255)))])
    pane = v.split_pane
    y = pane.height() // 2

    def color_at(x):
        return pane.grab().toImage().pixelColor(x, y)

    v.slider.setValue(250)
    assert v.split == pytest.approx(0.25)
    assert color_at(int(pane.width() * 0.5)).blue() > 200  # right of the divider: the second image
    v.slider.setValue(750)
    assert v.split == pytest.approx(0.75)
    assert color_at(int(pane.width() * 0.5)).red() > 200  # now left of it: the first image


def test_zoom_and_pan_are_synchronised_and_one_to_one(qtbot):
    from deblur_desktop.widgets.compare_view import CompareView

    v = CompareView()
    qtbot.addWidget(v)
    v.resize(600, 300)
    v.show()
    v.set_images([("a", _solid((10, 10, 10))), ("b", _solid((20, 20, 20))), ("c", _solid((30, 30, 30)))])
    v.set_mode("Side by side")
    a, b = v.side_panes[0], v.side_panes[1]
    a.zoom_at(QPointF(20, 20), 3.0)
    assert b.transform() == a.transform() and a.transform()[0] == 3.0
    qtbot.mousePress(a, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    qtbot.mouseMove(a, QPoint(80, 50))
    qtbot.mouseRelease(a, Qt.MouseButton.LeftButton, pos=QPoint(80, 50))
    assert b.transform() == a.transform()
    v.one_btn.click()
    assert a.transform()[0] == 1.0 and v.zoom_label.text() == "100%"
    v.fit_btn.click()
    assert v.state.fit


def test_thumbnails_load_off_the_gui_thread_and_stale_ones_are_dropped(qtbot, tab, make_flat, monkeypatch):
    from deblur_desktop.widgets import thumbnail_grid

    threads = []

    def fake_thumb(path, size=thumbnail_grid.THUMB):
        threads.append(threading.current_thread())
        time.sleep(0.02)
        return _solid((255, 0, 0) if "first" in str(path) else (0, 0, 255), 20, 20)

    monkeypatch.setattr(thumbnail_grid, "make_thumbnail", fake_thumb)
    first, second = make_flat(n=6, name="first"), make_flat(n=5, name="second")
    from core.data.pairs import discover

    tab.grid.set_pairs(discover(first).pairs)
    qtbot.waitUntil(lambda: bool(threads), timeout=60_000)  # the first list started loading: move on
    tab.grid.set_pairs(discover(second).pairs)
    qtbot.waitUntil(lambda: tab.grid.loaded == 5, timeout=60_000)
    qtbot.waitUntil(lambda: not workers.live_jobs(), timeout=60_000)  # the old list's job too: all in
    assert tab.grid.loaded == 5  # nothing from the first list counted into the second
    for i in range(tab.grid.count()):
        img = tab.grid.item(i).icon().pixmap(20, 20).toImage()
        assert img.pixelColor(10, 10).blue() > 200, f"row {i} shows a thumbnail of the old list"
    assert threads and all(t is not threading.main_thread() for t in threads)


def _tiny_model():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Conv2d(3, 3, 3, padding=1)

    def fn(x01):
        with torch.no_grad():
            y = net(torch.from_numpy(x01).permute(2, 0, 1)[None]).clamp(0, 1)
        return y[0].permute(1, 2, 0).numpy()

    return fn


def test_evaluation_fills_tables_opens_rows_and_exports(qtbot, tab, make_flat, tmp_path, request):
    """Also the debug check: no image read and no model call ever runs on the GUI thread."""
    from core.evaluate import EvalModel

    gui_hits = []
    remove_guard = workers.guard_gui_thread(gui_hits)
    request.addfinalizer(remove_guard)
    model = _tiny_model()

    def tiny(x01):
        if threading.current_thread() is threading.main_thread():
            gui_hits.append(("model", None))
        return model(x01)

    root = make_flat(n=4)
    open_and_wait(qtbot, tab, root)
    ev = tab.evaluate
    assert ev.run_btn.isEnabled()
    ev.add_model("tiny", EvalModel("tiny", tiny, "test"))
    ev.start()
    qtbot.waitUntil(lambda: ev.job is None, timeout=60_000)
    assert ev.per_image.rowCount() == 8  # 2 models x 4 images
    assert ev.summary.rowCount() == 4  # PSNR and SSIM per model
    models = {ev.summary.item(r, 0).text() for r in range(4)}
    assert models == {"blurred input (baseline)", "tiny"}
    assert ev.progress.value() == ev.progress.maximum() == 8

    row = next(r for r in range(8) if ev.per_image.item(r, 0).text() == "tiny")
    ev.per_image.cellClicked.emit(row, 0)
    qtbot.waitUntil(lambda: len(tab.viewer.labels) == 3, timeout=60_000)
    assert tab.viewer.labels == ["Blurred", "Result: tiny", "Sharp"]
    psnr_in_table = ev.per_image.item(row, 2).text()
    assert f"PSNR {psnr_in_table} dB" in tab.pair_info.text()

    ev.export_csv(tmp_path / "e.csv")
    ev.export_markdown(tmp_path / "e.md")
    assert len((tmp_path / "e.csv").read_text().splitlines()) == 9
    assert "| PSNR |" in (tmp_path / "e.md").read_text()
    assert gui_hits == []


def test_evaluation_can_be_cancelled(qtbot, tab, make_flat):
    from core.evaluate import EvalModel

    def slow(x01):
        time.sleep(0.2)
        return x01

    open_and_wait(qtbot, tab, make_flat(n=8))
    ev = tab.evaluate
    ev.limit.setValue(6)  # only the first 6 of the 8 pairs
    ev.add_model("slow", EvalModel("slow", slow, "test"))
    ev.start()
    qtbot.waitUntil(lambda: ev.per_image.rowCount() >= 7, timeout=60_000)  # baseline done, slow started
    ev.cancel_btn.click()
    qtbot.waitUntil(lambda: ev.job is None, timeout=60_000)
    assert 7 <= ev.per_image.rowCount() < 12 and "stopped" in ev.status.text()
    assert ev.progress.maximum() == 12  # 6 pairs x 2 models


def test_sharp_only_folder_previews_synthetic_blur(qtbot, tab, tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((48, 64, 3)) * 255).astype(np.uint8)).save(d / "a.png")
    open_and_wait(qtbot, tab, d)
    assert "sharp-only" in tab.summary.text()
    qtbot.waitUntil(lambda: "PSNR" in tab.pair_info.text(), timeout=60_000)
    assert tab.viewer.labels == ["Synthetic blur", "Sharp"]
    assert not tab.evaluate.run_btn.isEnabled()  # nothing to score without real pairs


def test_evaluating_a_model_file_goes_through_the_inference_engine(qtbot, tab, make_flat, tmp_path):
    import torch

    from core.config import RunConfig
    from core.model_files import export_safetensors
    from core.models import build_generator

    torch.manual_seed(0)
    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}  # a tiny seed generator
    path = export_safetensors(build_generator(cfg.model), tmp_path / "tiny.safetensors", cfg)
    open_and_wait(qtbot, tab, make_flat(n=2, size=(40, 52)))
    ev = tab.evaluate
    ev.add_model("tiny file", path)
    ev.start()
    qtbot.waitUntil(lambda: ev.job is None, timeout=60_000)
    rows = [(ev.per_image.item(r, 0).text(), ev.per_image.item(r, 1).text()) for r in range(ev.per_image.rowCount())]
    assert sorted(rows) == sorted([(m, f"img0{i}.png") for m in ("blurred input (baseline)", "tiny file")
                                   for i in range(2)]), ev.status.text()
    assert ev.result_path("tiny file", "img01.png").is_file()  # what a row click shows


def test_model_list_offers_library_models_and_trained_runs(qtbot, tab, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # platformdirs' user data dir
    from core.paths import default_runs_dir, user_data_dir

    ck = default_runs_dir() / "seed-1" / "checkpoints" / "best.pt"
    ck.parent.mkdir(parents=True)
    ck.write_bytes(b"x")
    (user_data_dir() / "models").mkdir(parents=True)
    (user_data_dir() / "models" / "mine.safetensors").write_bytes(b"x")
    tab.evaluate.refresh_models()
    items = {tab.evaluate.models.item(i).text(): tab.evaluate.models.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(tab.evaluate.models.count())}
    assert items["run seed-1 (best)"] == ("run seed-1 (best)", ck)
    assert items["mine"][1] == user_data_dir() / "models" / "mine.safetensors"
    assert "blurred input (baseline)" in items
    models = tab.evaluate.models
    models.item(0).setCheckState(Qt.CheckState.Unchecked)  # ticks survive a refresh
    tab.evaluate.refresh_models()
    assert models.item(0).checkState() == Qt.CheckState.Unchecked


def test_switching_to_a_smaller_folder_with_a_late_row_selected(qtbot, tab, make_flat):
    big, small = make_flat(n=9, name="big"), make_flat(n=2, name="small")
    open_and_wait(qtbot, tab, big)
    tab.grid.setCurrentRow(8)
    open_and_wait(qtbot, tab, small)  # an exception in a slot fails the test (pytest-qt)
    assert tab.grid.count() == 2 and tab.grid.currentRow() == 0
    qtbot.waitUntil(lambda: "img00" in tab.pair_info.text(), timeout=60_000)


def test_tree_size_column_names_the_common_size_and_counts_the_others():
    from pathlib import Path

    from core.data.pairs import ImagePair
    from deblur_desktop.widgets.dataset_tree import sizes_text, sizes_tooltip

    pairs = [ImagePair(None, Path(f"{i}.png"), size=s) for i, s in
             enumerate([(768, 512)] * 3 + [(512, 768)])]
    assert sizes_text(pairs) == "768x512 +1"
    assert sizes_tooltip(pairs) == "768x512: 3 images\n512x768: 1 image"
    assert sizes_text(pairs[:3]) == "768x512"


def _recent(tab):
    return [tab.recent.itemData(i) for i in range(tab.recent.count())]


def test_parent_of_a_pair_set_offers_the_set_and_warns(qtbot, tab, tmp_path, make_flat):
    """Issue 26: X/ holding levin2009/{blur,sharp} must not pass for sharp photos silently."""
    parent = tmp_path / "X"
    parent.mkdir()
    make_flat(n=3).rename(parent / "levin2009")
    open_and_wait(qtbot, tab, parent)
    assert tab.nested.isVisible() and "levin2009" in tab.nested.text.text()
    assert [b.text() for b in tab.nested.buttons] == ["Open levin2009"]
    texts = [tab.problems.item(i).text() for i in range(tab.problems.count())]
    assert tab.problems.isVisible() and any(t.startswith("Warning:") and "'blur'" in t for t in texts)
    assert "warning(s)" in tab.summary.text()
    tab.nested.buttons[0].click()  # opens the pair set itself
    qtbot.waitUntil(lambda: tab.pairset is not None and tab.pairset.root == parent / "levin2009", timeout=60_000)
    assert tab.pairset.layout == "flat" and tab.tree.topLevelItem(0).text(1) == "3"
    assert not tab.nested.isVisible() and not tab.problems.isVisible()


def test_folders_that_are_no_data_set_say_why_clear_the_view_and_stay_out_of_recent(qtbot, tab, tmp_path,
                                                                                       make_flat):
    good = make_flat(n=2)
    open_and_wait(qtbot, tab, good)
    assert tab.tree.topLevelItemCount() == 1 and tab.grid.count() == 2
    empty, notes = tmp_path / "empty", tmp_path / "notes"
    empty.mkdir()
    notes.mkdir()
    (notes / "readme.txt").write_text("not a photo")
    for folder, why in ((empty, "the folder is empty"), (notes, "none of its 1 file(s) is an image (.txt)")):
        tab.open_folder(str(folder))
        qtbot.waitUntil(lambda: "not a data set" in tab.summary.text(), timeout=60_000)
        text = tab.summary.text()
        assert str(folder) in text and why in text and "blur/ and sharp/" in text and "&lt;split&gt;" in text
        assert tab.pairset is None and tab.tree.topLevelItemCount() == 0 and tab.grid.count() == 0
        assert not tab.evaluate.run_btn.isEnabled()
        assert _recent(tab) == [str(good)]  # only the folder that opened
        open_and_wait(qtbot, tab, good)
    # a folder that has gone: the old tree goes too, and it leaves Recent
    gone = make_flat(n=2, name="gone")
    open_and_wait(qtbot, tab, gone)
    assert _recent(tab)[0] == str(gone)
    import shutil

    shutil.rmtree(gone)
    tab.open_folder(str(gone))
    qtbot.waitUntil(lambda: "folder not found" in tab.summary.text(), timeout=60_000)
    assert tab.pairset is None and tab.tree.topLevelItemCount() == 0 and tab.grid.count() == 0
    assert str(gone) in tab.summary.text() and _recent(tab) == [str(good)]


def test_the_evaluate_message_follows_the_folder(qtbot, tab, tmp_path, make_flat):
    """Issue 26: after a sharp-only folder, 'no blurred/sharp pairs' stayed for the next folder."""
    d = tmp_path / "photos"
    d.mkdir()
    Image.fromarray((np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)).save(d / "a.png")
    open_and_wait(qtbot, tab, d)
    assert "no blurred/sharp pairs" in tab.evaluate.status.text()
    open_and_wait(qtbot, tab, make_flat(n=2))
    assert "no blurred/sharp pairs" not in tab.evaluate.status.text()
    assert tab.evaluate.run_btn.isEnabled()
