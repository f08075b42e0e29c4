"""The Train tab's sample strip: three columns for a plain model, four (blurred |
deconvolved | refined | sharp) for the kernel-aware refiner, switching with the rows."""
import numpy as np

from deblur_desktop.widgets.sample_strip import SampleStrip


def rows(n_rows: int, n_cols: int):
    rng = np.random.default_rng(n_cols)
    return [tuple((rng.random((24, 32, 3)) * 255).astype(np.uint8) for _ in range(n_cols)) for _ in range(n_rows)]


def test_strip_shows_four_columns_for_the_refiner_and_three_otherwise(qtbot):
    strip = SampleStrip()
    qtbot.addWidget(strip)
    strip.resize(600, 300)
    strip.show()
    strip.add(1, rows(2, 4))
    assert [h.text() for h in strip.headers] == ["blurred", "deconvolved", "refined", "sharp"]
    assert len(strip.cells) == 2 and all(len(r) == 4 for r in strip.cells)
    assert all(not lab.pixmap().isNull() for lab in strip.cells[1])
    strip.clear()
    strip.add(1, rows(3, 3))
    assert [h.text() for h in strip.headers] == ["blurred", "generated", "sharp"]
    assert len(strip.cells) == 3 and all(len(r) == 3 for r in strip.cells)
