"""Issue 25 item 6: the Dataset tab and Evaluate read the phone formats the Deblur tab
reads (one reader, core.data.imageio, and its suffix list): a paired folder holding a
HEIC and an AVIF pair is listed, its thumbnails and pair view load, and evaluation
scores every pair."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, features
from PySide6.QtCore import Qt

from deblur_desktop import workers

pytest.importorskip("pillow_heif")

COLOURS = {"a.heic": (220, 40, 40), "b.avif": (40, 200, 60), "c.png": (40, 60, 220)}


def _write(path, colour, blurred: bool):
    from core.data.imageio import heif_support

    rng = np.random.default_rng(abs(hash(path.name)) % 2**32)
    a = np.empty((48, 64, 3), np.float32)
    a[:] = colour
    a += rng.normal(0, 6 if blurred else 14, a.shape)  # the sharp one differs: a PSNR to show
    im = Image.fromarray(a.clip(0, 255).astype(np.uint8))
    if path.suffix == ".heic":
        heif_support()
        im.save(path, format="HEIF", quality=95)
    elif path.suffix == ".avif":
        im.save(path, format="AVIF", quality=95)
    else:
        im.save(path)


@pytest.fixture
def phone_pairs(tmp_path):
    root = tmp_path / "phone_pairs"
    for sub in ("blur", "sharp"):
        (root / sub).mkdir(parents=True)
    names = [n for n in COLOURS if not n.endswith(".avif") or features.check("avif")]
    for name in names:
        _write(root / "blur" / name, COLOURS[name], True)
        _write(root / "sharp" / name, COLOURS[name], False)
    return root, names


@pytest.fixture
def tab(qtbot):
    from deblur_desktop.tabs.dataset.tab import DatasetTab

    t = DatasetTab()
    for i in range(t.evaluate.models.count()):  # the baseline only: no model this machine has
        item = t.evaluate.models.item(i)
        if item.text() != "blurred input (baseline)":
            item.setCheckState(Qt.CheckState.Unchecked)
    qtbot.addWidget(t)
    t.resize(1200, 700)
    t.show()
    yield t
    t.shutdown()
    assert workers.stop_all(60_000)


def test_pair_discovery_lists_heic_and_avif_pairs(phone_pairs):
    from core.data.pairs import discover

    root, names = phone_pairs
    ps = discover(root)
    assert ps.layout == "flat" and not ps.problems
    assert sorted(p.sharp.name for p in ps.pairs) == sorted(names)
    assert all(p.size == (64, 48) for p in ps.pairs)


def test_dataset_tab_lists_shows_and_evaluates_heic_pairs(qtbot, tab, phone_pairs):
    root, names = phone_pairs
    tab.open_folder(str(root))
    qtbot.waitUntil(lambda: tab.pairset is not None and tab.pairset.root == root, timeout=60_000)
    assert tab.tree.topLevelItem(0).text(1) == str(len(names)) and tab.problems.count() == 0
    qtbot.waitUntil(lambda: tab.grid.loaded == len(names), timeout=60_000)
    for i in range(tab.grid.count()):  # each thumbnail is the photo itself, not an error
        pair = tab.grid.pairs[tab.grid.item(i).data(Qt.ItemDataRole.UserRole)]
        colour = tab.grid.item(i).icon().pixmap(112, 112).toImage().pixelColor(56, 56)
        want = COLOURS[pair.sharp.name]
        assert max(abs(colour.red() - want[0]), abs(colour.green() - want[1]),
                   abs(colour.blue() - want[2])) < 40, (pair.sharp.name, colour.name())
    heic = next(i for i in range(tab.grid.count()) if tab.grid.item(i).text() == "a")
    tab.grid.setCurrentRow(heic)
    qtbot.waitUntil(lambda: "a.heic" in tab.pair_info.text() and "PSNR" in tab.pair_info.text(), timeout=60_000)
    assert tab.viewer.labels == ["Blurred", "Sharp"] and tab.viewer.images[0].width() == 64

    ev = tab.evaluate
    assert ev.run_btn.isEnabled()
    ev.start()
    qtbot.waitUntil(lambda: ev.job is None, timeout=60_000)
    rows = sorted(ev.per_image.item(r, 1).text() for r in range(ev.per_image.rowCount()))
    assert rows == sorted(names)  # the baseline scored every pair, HEIC and AVIF included
