"""Tiled inference: every pixel covered, tiles match an untiled run, cancel stops it.

The bound: tiles carry `context` pixels that get weight 0. With context >= the model's
receptive-field radius, tiled and untiled outputs agree to float rounding; we test
max |difference| <= 1e-5 (on [0, 1] pixels) with the 1-block seed generator, whose
receptive-field radius is 23 px (7x7 conv 3 + strided convs 1+2 + 2 convs at 1/4 scale
2x4 + transposed convs 4+2 + 7x7 conv 3), and context 32 (the default).
"""
from __future__ import annotations

import numpy as np
import pytest

from core.inference import Cancelled, Deblurrer, TileGrid
from core.inference.tiling import run_tiled


@pytest.fixture(scope="module")
def deblurrer(spread_generator):
    return Deblurrer(*spread_generator, device="cpu")


def image(h, w, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


@pytest.mark.parametrize("h,w,tile", [(150, 203, 112), (97, 64, 112), (300, 41, 120), (5, 7, 112)])
def test_grid_covers_every_pixel_on_aligned_origins(h, w, tile):
    grid = TileGrid(h, w, tile, context=32, blend=16, align=8)
    wsum = np.zeros((h, w))
    for y, x, weight in grid.tiles():
        assert y % 8 == 0 and x % 8 == 0
        wsum[y:y + weight.shape[0], x:x + weight.shape[1]] += weight
    assert wsum.min() > 0.0


def test_blending_reproduces_a_pointwise_function_exactly():
    img = image(150, 203)
    grid = TileGrid(150, 203, 112, context=16, blend=16, align=8)
    assert len(grid) > 4
    out = run_tiled(lambda t: t * 2.0 + 1.0, img, grid)
    np.testing.assert_allclose(out, img * 2.0 + 1.0, atol=1e-5)


def test_tiled_matches_untiled_within_bound(deblurrer):
    img = image(184, 264)
    whole = deblurrer.deblur(img, tile=0)
    assert len(deblurrer.grid(184, 264, 160)) == 6  # really tiled: 2 x 3 tiles
    tiled = deblurrer.deblur(img, tile=160)
    assert tiled.shape == img.shape
    assert np.abs(tiled - whole).max() <= 1e-5
    # the bound is not vacuous: the same tiles without context show the tile borders
    deblurrer.context, saved = 0, deblurrer.context
    try:
        seamy = deblurrer.deblur(img, tile=160)
    finally:
        deblurrer.context = saved
    assert np.abs(seamy - whole).max() > 1e-3


def test_output_is_not_just_the_input(deblurrer):
    img = image(40, 56)
    out = deblurrer.deblur(img)
    assert out.shape == img.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and np.abs(out - img).mean() > 1e-3


def test_progress_and_cancel_between_tiles(deblurrer):
    img = image(184, 264)
    seen = []
    deblurrer.deblur(img, tile=160, progress=lambda d, n: seen.append((d, n)))
    n = seen[-1][1]
    assert n > 1 and [d for d, _ in seen] == list(range(1, n + 1))
    calls = []
    with pytest.raises(Cancelled):
        deblurrer.deblur(img, tile=160, progress=lambda d, n: calls.append(d), cancel=lambda: len(calls) >= 2)
    assert len(calls) == 2  # stopped inside the image, after two tiles


def test_tiles_are_evened_out_to_keep_overlap_small():
    grid = TileGrid(4000, 6000, 1024, context=32, blend=32, align=16)
    assert len(grid) == 35 and (grid.th, grid.tw) == (880, 944)  # not 35 x 1024^2
    for starts, length in ((grid.ys, grid.th), (grid.xs, grid.tw)):
        assert all(b - a <= length - 96 for a, b in zip(starts, starts[1:]))  # context + blend kept


def test_auto_tile_is_aligned_and_bounded(deblurrer):
    t = deblurrer.auto_tile()
    assert t % deblurrer.align == 0 and 256 <= t <= 2048
    assert deblurrer.auto_tile(40, 56) == 0  # a small image runs whole
    assert 0 < deblurrer.auto_tile(20000, 20000) <= 2048
    assert deblurrer.bytes_per_pixel() > 64
    with pytest.raises(ValueError, match="too small"):
        deblurrer.grid(500, 500, 64)
