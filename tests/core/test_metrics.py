"""PSNR/SSIM against values computed by hand, and the two benchmark conventions."""
import math

import numpy as np
import pytest

from core.metrics import finite_mean, psnr, score, ssim, to_y


def _image(h=40, w=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_identical_images_are_perfect():
    a = _image()
    assert psnr(a, a.copy()) == math.inf
    assert ssim(a, a.copy()) == pytest.approx(1.0)
    s = score(a, a.copy(), shift=3)
    assert (s.psnr, s.dy, s.dx) == (math.inf, 0, 0) and s.ssim == pytest.approx(1.0)
    assert finite_mean([math.inf, 20.0]) == 60.0  # inf counts as 100 dB


def test_known_noise_gives_known_psnr():
    ref = np.full((32, 32, 3), 128, np.uint8)
    # +-5 in a checkerboard: MSE exactly 25
    sign = np.where((np.indices((32, 32)).sum(0) % 2)[..., None] == 0, 5, -5)
    res = (ref.astype(int) + sign).astype(np.uint8)
    expected = 10 * math.log10(255 ** 2 / 25)  # 34.151 dB
    assert psnr(res, ref) == pytest.approx(expected, abs=1e-9)
    assert score(res, ref).psnr == pytest.approx(expected, abs=1e-9)
    assert ssim(res, ref) < 1.0


def test_y_channel_uses_bt601_luma():
    assert to_y(np.zeros((1, 1, 3), np.uint8))[0, 0] == pytest.approx(16.0)
    assert to_y(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx(235.0)
    ref = np.full((16, 16, 3), 100, np.uint8)
    res = np.full((16, 16, 3), 110, np.uint8)
    d = 10 * 219 / 255  # a grey step of 10 is 8.59 luma levels
    assert score(res, ref, y_channel=True).psnr == pytest.approx(20 * math.log10(255 / d), abs=1e-9)
    assert score(res, ref).psnr == pytest.approx(20 * math.log10(255 / 10), abs=1e-9)


def test_shift_search_finds_the_offset_and_crops_the_border():
    ref = _image(48, 56, seed=1)
    res = np.roll(ref, (2, -3), axis=(0, 1))  # result[y, x] = ref[y-2, x+3]
    raw = score(res, ref)
    best = score(res, ref, shift=4)
    assert raw.psnr < 15  # random texture: misaligned it scores badly
    assert best.psnr == math.inf and best.ssim == pytest.approx(1.0)
    assert (best.dy, best.dx) == (2, -3)
    # a search window smaller than the offset cannot align it
    assert score(res, ref, shift=2).psnr < 15
    # same for Y
    assert score(res, ref, shift=3, y_channel=True).psnr == math.inf


def test_bad_inputs_are_refused_clearly():
    a = _image(20, 20)
    with pytest.raises(ValueError, match="differ in size"):
        score(a, _image(20, 22))
    with pytest.raises(ValueError, match="too small"):
        score(a, a, shift=8)
    with pytest.raises(ValueError, match="uint8"):
        score(a.astype(np.float32), a.astype(np.float32))
