"""Self-ensemble: `Deblurrer(ensemble=N)` is the mean of the net's results on flipped
(and, for 8, transposed) copies mapped back; it composes with tiling; `with_ensemble`
shares the weights; other counts are refused."""
from __future__ import annotations

import numpy as np
import pytest

from core.inference import Deblurrer


@pytest.fixture(scope="module")
def plain(spread_generator):
    return Deblurrer(*spread_generator, device="cpu")


def image(h, w, seed=0):
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def by_hand(d, x, transposes):
    """Mean over views, each run as a separate plain whole-image deblur and undone."""
    outs = []
    for t in ([False, True] if transposes else [False]):
        xt = x.transpose(1, 0, 2) if t else x
        for fy in (False, True):
            for fx in (False, True):
                v = xt[::-1] if fy else xt
                v = v[:, ::-1] if fx else v
                y = d.deblur(np.ascontiguousarray(v), tile=0)
                y = y[:, ::-1] if fx else y
                y = y[::-1] if fy else y
                outs.append(y.transpose(1, 0, 2) if t else y)
    return np.mean(outs, axis=0)


@pytest.mark.parametrize("n", [4, 8])
def test_ensemble_is_the_mean_of_the_flipped_views(plain, n):
    # whole tiles on the 16-px grid (no end padding, which a view would flip with the
    # photo), and not square: a transposed view has another shape
    x = image(48, 80)
    got = plain.with_ensemble(n).deblur(x, tile=0)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, by_hand(plain, x, transposes=n == 8), atol=1e-5)
    # the random net is not flip-symmetric, so the views really differ from one pass
    assert np.abs(got - plain.deblur(x, tile=0)).max() > 1e-2


def test_ensemble_composes_with_tiles(plain):
    d = plain.with_ensemble(8)
    x = image(150, 203, seed=1)
    np.testing.assert_allclose(d.deblur(x, tile=112), d.deblur(x, tile=0), atol=1e-5)


def test_with_ensemble_shares_weights_and_refuses_other_counts(plain):
    d4 = plain.with_ensemble(4)
    assert d4.generator is plain.generator and plain.ensemble == 1 and d4.ensemble == 4
    assert plain.with_ensemble(1) is plain
    assert "4-view self-ensemble" in d4.describe() and "ensemble" not in plain.describe()
    with pytest.raises(ValueError, match="1, 4 or 8"):
        plain.with_ensemble(2)
    with pytest.raises(ValueError, match="1, 4 or 8"):
        Deblurrer(plain.generator, plain.config, device="cpu", ensemble=3)
