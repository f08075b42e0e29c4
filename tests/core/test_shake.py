"""Shake reduction (core.shake): a known blur kernel is recovered from the blurred image
alone, the result does not move, sharp and flat photos come back unchanged, bad input
is refused by name, cancel is prompt, and the helpers (padding, noise level, kernel
clean-up) do what the estimator relies on."""
from __future__ import annotations


import numpy as np
import pytest
from scipy import ndimage, signal

from core.engines import PATH_SHARP, make_engine
from core.inference.tiling import Cancelled
from core.shake import ShakeError, ShakeOptions, ShakeReducer
from core.shake.analysis import noise_sigma
from core.shake.deconv import deconvolve
from core.shake.engine import PATH_DECONVOLVED, PATH_FLAT
from core.shake.fft import convolve, pad_periodic
from core.shake.kernel import KernelOptions, clean_kernel, estimate_kernel
from tests.core.shake_scenes import blurred_pair, centroid, curved_kernel, l_kernel, psnr, rgb, scene


def kernel_similarity(est: np.ndarray, true: np.ndarray) -> float:
    """Max normalised cross-correlation over all relative shifts (1 = same shape)."""
    c = signal.correlate2d(est, true, mode="full")
    return float(c.max() / np.sqrt((est ** 2).sum() * (true ** 2).sum()))


def luma(rgb01: np.ndarray) -> np.ndarray:
    return np.asarray(rgb01, np.float64) @ np.array([0.299, 0.587, 0.114])


def shift_errors(a: np.ndarray, b: np.ndarray, r: int = 3) -> dict[tuple[int, int], float]:
    """Mean squared difference of `a` and `b` shifted by (dy, dx), |dy|, |dx| <= r,
    over the part that no shift moves out of the frame."""
    inner = (slice(r, -r), slice(r, -r))
    return {(dy, dx): float(np.mean((a[inner] - np.roll(b, (dy, dx), axis=(0, 1))[inner]) ** 2))
            for dy in range(-r, r + 1) for dx in range(-r, r + 1)}


def kernel_between(x: np.ndarray, y: np.ndarray, n: int = 15) -> np.ndarray:
    """The n x n kernel h (centre at n // 2) that best explains y = h * x, by regularised
    least squares on the two images' gradients, borders tapered; negatives cut off.
    (On a sharp/blurred pair it finds the true kernel's centroid to ~0.05 px.)"""
    taper = np.outer(signal.windows.tukey(x.shape[0], 0.3), signal.windows.tukey(x.shape[1], 0.3))
    num = den = 0
    for axis in (0, 1):
        fx = np.fft.fft2(np.diff(x, axis=axis, append=np.take(x, [-1], axis)) * taper)
        fy = np.fft.fft2(np.diff(y, axis=axis, append=np.take(y, [-1], axis)) * taper)
        num, den = num + np.conj(fx) * fy, den + np.abs(fx) ** 2
    h = np.real(np.fft.ifft2(num / (den + 1e-3 * den.mean())))
    return np.maximum(np.roll(h, (n // 2, n // 2), axis=(0, 1))[:n, :n], 0)


class LearnedModelLoaded(AssertionError):
    """The auto engine asked for the learned model where it should not need one."""


def no_learned_model():
    raise LearnedModelLoaded("the auto engine loaded the learned model")


# ---- the estimator and the engine on blur we made ------------------------------------
@pytest.mark.parametrize("make_kernel, seed", [(l_kernel, 0), (curved_kernel, 1)], ids=["L-path", "curved-path"])
def test_a_known_kernel_is_recovered_and_deconvolution_gains(make_kernel, seed):
    true = make_kernel(13)
    sharp, blur = blurred_pair(128, true, seed)
    support = np.argwhere(true > 0)
    length = int((support.max(0) - support.min(0) + 1).max())          # ~8-10 px
    ksize = int(round(1.5 * length)) | 1
    est = estimate_kernel(blur, KernelOptions(ksize=ksize))
    assert est.shape == (ksize, ksize)
    assert est.min() >= 0 and est.sum() == pytest.approx(1.0)
    cy, cx = centroid(est)
    assert abs(cy - ksize // 2) <= 0.5 and abs(cx - ksize // 2) <= 0.5
    assert kernel_similarity(est, true) >= 0.8
    # the estimate is good enough to use: deconvolving with it beats the blurred input
    # (the true kernel is centred on its centroid, as the estimate is: no shift to undo)
    restored = np.clip(deconvolve(blur, est, lam=3e-3), 0, 1)
    before, after = psnr(blur, sharp, border=8), psnr(restored, sharp, border=8)
    assert after >= before + 2.0, (before, after)


def test_our_convolution_matches_scipy_away_from_the_border():
    """core.shake.fft.convolve is circular with the kernel's centre at n // 2, the same
    convention as fftconvolve(mode='same') that the tests blur with."""
    img = scene(64, 3)
    k = l_kernel(13)
    ours, ref = convolve(img, k), signal.fftconvolve(img, k, mode="same")
    assert np.abs(ours - ref)[13:-13, 13:-13].max() < 1e-9


def test_the_result_does_not_move():
    """A blur whose kernel is centred on its centroid moves nothing on average; the
    deblurred photo must sit where the sharp and the blurred ones do, to the pixel."""
    sharp, blur = blurred_pair(128, l_kernel(15), seed=3)
    engine = ShakeReducer(ShakeOptions(kernel_size=15))
    out = engine.deblur(rgb(blur))
    assert out.shape == (128, 128, 3) and out.dtype == np.float32
    assert engine.last.path == PATH_DECONVOLVED
    result, target, blurred = (luma(a) for a in (out, rgb(sharp), rgb(blur)))
    errors = shift_errors(result, target)
    assert min(errors, key=errors.get) == (0, 0)
    assert psnr(result, target, 8) >= psnr(blurred, target, 8) + 2.0
    # nor relative to the input: the blur that takes the result to the blurred input
    # (fitted by least squares) is centred on its centroid, as the true one is
    cy, cx = centroid(kernel_between(target, blurred))
    assert abs(cy - 7) < 0.1 and abs(cx - 7) < 0.1        # the measurement itself is sound
    cy, cx = centroid(kernel_between(result, blurred))
    assert abs(cy - 7) < 0.5 and abs(cx - 7) < 0.5, (cy, cx)
    # and the kernel the report gives is the one applied: centred, sums to 1
    k = engine.last.kernel
    assert k.shape == (15, 15) and k.sum() == pytest.approx(1.0)
    cy, cx = centroid(k)
    assert abs(cy - 7) <= 0.5 and abs(cx - 7) <= 0.5


# ---- photos with nothing to do --------------------------------------------------------
def test_a_sharp_photo_comes_back_unchanged_from_shake_and_auto():
    photo = rgb(scene(128, 0))
    engine = ShakeReducer(ShakeOptions(kernel_size=15))
    out = engine.deblur(photo)
    assert engine.last.path == PATH_SHARP and "unchanged" in engine.last.path and "sharp" in engine.last.path
    assert out.shape == photo.shape and psnr(out, photo) >= 40
    auto = make_engine("auto", shake=ShakeOptions(kernel_size=15))
    auto._learned_factory = no_learned_model   # a sharp photo must not need the model
    out = auto.deblur(photo)
    assert auto.last_path == PATH_SHARP and auto.last.path == PATH_SHARP
    assert psnr(out, photo) >= 40


@pytest.mark.xfail(strict=True, reason="known limit (docs/shake-reduction.md): asked for kernels up to 21 px, "
                   "the estimator finds a spurious ~6 px blur path in this clean synthetic sharp scene and the "
                   "cross-check reproduces it (confidence 0.81), so the sharp photo is deconvolved")
def test_a_sharp_photo_comes_back_unchanged_with_a_larger_kernel_window():
    photo = rgb(scene(128, 5))
    engine = ShakeReducer(ShakeOptions(kernel_size=21))
    out = engine.deblur(photo)
    assert engine.last.path == PATH_SHARP, str(engine.last)
    assert psnr(out, photo) >= 40


def test_a_flat_photo_comes_back_unchanged_with_the_reason():
    flat = np.full((64, 80, 3), 0.4, np.float32)
    engine = ShakeReducer(ShakeOptions(kernel_size=15))
    out = engine.deblur(flat)
    assert engine.last.path == PATH_FLAT and "unchanged" in engine.last.path
    assert np.array_equal(out, flat)


def test_auto_leaves_a_flat_photo_alone_without_the_learned_model():
    flat = np.full((64, 80, 3), 0.4, np.float32)
    auto = make_engine("auto", shake=ShakeOptions(kernel_size=15))
    auto._learned_factory = no_learned_model
    out = auto.deblur(flat)
    assert np.array_equal(out, flat) and auto.last.path == PATH_FLAT


@pytest.mark.parametrize("side", [1, 5])
def test_tiny_photos_are_refused_naming_the_size(side):
    with pytest.raises(ShakeError, match=f"{side}x{side} px"):
        ShakeReducer(ShakeOptions(kernel_size=15)).deblur(np.zeros((side, side, 3), np.float32))


def test_cancel_stops_within_a_step():
    _, blur = blurred_pair(128, l_kernel(13), seed=2)
    state = {"stop": False, "calls": 0}

    def progress(done, total):
        state["calls"] += 1
        state["stop"] = True

    with pytest.raises(Cancelled):
        ShakeReducer(ShakeOptions(kernel_size=15)).deblur(rgb(blur), progress=progress,
                                                          cancel=lambda: state["stop"])
    assert state["calls"] == 1  # no step after the one the stop came in (counted, not timed)


# ---- helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize("m, shape", [(8, None), (8, (64, 80)), (11, (63, 77))])
def test_pad_periodic_keeps_the_image_and_wraps_smoothly(m, shape):
    yy, xx = np.mgrid[:40, :50]
    img = 0.2 + 0.3 * yy / 39 + 0.3 * np.sin(xx / 9.0) ** 2     # smooth, far from periodic
    out = pad_periodic(img, m, shape)
    assert out.shape == (shape or (40 + 2 * m, 50 + 2 * m))
    assert np.array_equal(out[m:m + 40, m:m + 50], img)
    colour = pad_periodic(np.stack([img, 1 - img], axis=-1), m, shape)
    assert colour.shape == out.shape + (2,) and np.allclose(colour[..., 0], out)
    for axis, n in ((0, 40), (1, 50)):
        raw = np.abs(np.take(img, 0, axis) - np.take(img, -1, axis)).max()
        jump = np.abs(np.take(out, 0, axis) - np.take(out, -1, axis)).max()
        gap = out.shape[axis] - n
        assert raw > 0.15                      # the unpadded image would wrap with a step
        assert jump <= 2 * raw / (gap + 1)     # no worse than twice a straight ramp's step


def test_noise_sigma_reads_the_noise_level():
    rng = np.random.default_rng(0)
    field = ndimage.gaussian_filter(rng.random((160, 160)), 8)
    smooth = 0.2 + 0.6 * (field - field.min()) / np.ptp(field)
    assert noise_sigma(smooth) < 0.002
    for image in (smooth, scene(160, 4)):     # smooth, and with edges to ignore
        noisy = image + np.random.default_rng(1).normal(0, 0.02, image.shape)
        assert noise_sigma(noisy) == pytest.approx(0.02, rel=0.3)


def test_clean_kernel_is_a_centred_non_negative_unit_kernel():
    rng = np.random.default_rng(0)
    stroke = np.zeros((7, 7))
    stroke[1, 1:6] = 1.0
    stroke[1:6, 5] = 1.0
    for trial in range(20):
        n = 21
        k = rng.normal(0, 0.01, (n, n))                # the solver's noise, both signs
        y, x = rng.integers(2, n - 9, 2)               # the path anywhere, off-centre
        k[y:y + 7, x:x + 7] += stroke * rng.uniform(0.5, 1.5)
        k[rng.integers(0, n), rng.integers(0, n)] += 0.3   # one stray speck
        out = clean_kernel(k)
        assert out.shape == (n, n)
        assert out.min() >= 0 and out.sum() == pytest.approx(1.0)
        cy, cx = centroid(out)
        assert abs(cy - n // 2) <= 0.5 and abs(cx - n // 2) <= 0.5
        assert kernel_similarity(out, stroke) >= 0.95   # the path survives, the clutter does not


@pytest.mark.parametrize("case", ["two-blobs", "stroke-filling-the-window"])
def test_clean_kernel_centres_kernels_that_reach_the_border(case):
    k = np.zeros((9, 9))
    if case == "two-blobs":
        k[0, 0], k[8, 8] = 1.0, 0.5          # -> a single point at (1, 1), 3 px off
    else:
        k[4, 0:3], k[4, 3:9] = 1.0, 0.3      # -> centroid column 3.33 instead of 4
    out = clean_kernel(k)
    assert out.min() >= 0 and out.sum() == pytest.approx(1.0)
    cy, cx = centroid(out)
    assert abs(cy - 4) <= 0.5 and abs(cx - 4) <= 0.5, (cy, cx)
