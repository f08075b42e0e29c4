"""Synthetic camera shake: kernels, pairs, the on-the-fly dataset and `deblur synth`."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.cli import main
from core.config import DataConfig
from core.data import synth
from core.data.dataset import PairDataset
from core.data.pairs import discover
from core.metrics import psnr

from tests.conftest import _photo


def _centroid(k: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[: k.shape[0], : k.shape[1]]
    return float((k * ys).sum()), float((k * xs).sum())


@pytest.mark.parametrize("extent", [3, 8, 17, 31])
def test_kernels_sum_to_one_centred_with_requested_extent(extent):
    rng = np.random.default_rng(extent)
    for linear in (0.0, 1.0):
        k = synth.random_kernel(rng, synth.SynthOptions(linear_prob=linear, lens_sigma=0), extent=extent)
        assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
        assert k.min() >= 0 and abs(float(k.sum()) - 1) < 1e-5
        c = (k.shape[0] - 1) / 2
        cy, cx = _centroid(k.astype(np.float64))
        assert abs(cy - c) < 1e-3 and abs(cx - c) < 1e-3
        assert extent <= synth.support_extent(k) <= extent + 1


def test_lens_width_keeps_sum_and_centre_and_widens():
    k = synth.rasterize(synth.line_path(np.random.default_rng(1)), 15)
    w = synth.widen(k, 0.6)
    assert abs(float(w.sum()) - 1) < 1e-5 and w.max() < k.max()
    c = (w.shape[0] - 1) / 2
    assert np.allclose(_centroid(w.astype(np.float64)), (c, c), atol=1e-3)
    assert synth.support_extent(w, 1e-6) == synth.support_extent(k) + 4


def test_shake_kernels_vary_and_are_not_all_lines():
    rng = np.random.default_rng(0)
    ks = [synth.random_kernel(rng, synth.SynthOptions(linear_prob=0.0, lens_sigma=0), extent=21) for _ in range(6)]
    assert len({k.tobytes() for k in ks}) == 6
    # a straight line of 21 px covers ~21-42 pixels; curved shake paths cover more
    assert max(int((k > 1e-4).sum()) for k in ks) > 45


def _sharp(seed=0, h=64, w=80) -> torch.Tensor:
    a = _photo(np.random.default_rng(seed), h, w).astype(np.float32) / 255
    return torch.from_numpy(a.transpose(2, 0, 1).copy())


def test_same_seed_same_pair_other_seed_other_pair():
    sharp = _sharp()
    a, ka = synth.make_pair(sharp, np.random.default_rng([1, 2]))
    b, kb = synth.make_pair(sharp, np.random.default_rng([1, 2]))
    c, _ = synth.make_pair(sharp, np.random.default_rng([1, 3]))
    assert a.shape == sharp.shape and torch.equal(a, b) and np.array_equal(ka, kb)
    assert not torch.equal(a, c)


def test_psnr_drops_as_the_kernel_grows():
    sharp = _sharp(1, 96, 96)
    s8 = (sharp.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    opts = synth.SynthOptions(noise_prob=0, jpeg_prob=0, highlight_prob=0, linear_prob=1)
    scores = []
    for extent in (3, 9, 21):
        blur, _ = synth.make_pair(sharp, np.random.default_rng(7), opts, extent=extent)
        scores.append(psnr((blur.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8), s8))
    assert scores[0] > scores[1] > scores[2]


def test_convolution_matches_direct_sum_and_keeps_flat_images_flat():
    k = np.zeros((5, 5), np.float32)
    k[2, 0], k[2, 4] = 0.25, 0.75  # asymmetric: catches a missing kernel flip
    img = torch.zeros(1, 9, 9)
    img[0, 4, 4] = 1
    out = synth.convolve(img, k)[0]
    # a point light spreads into the kernel itself, centred where the point was
    assert out[4, 2] == pytest.approx(0.25, abs=1e-5) and out[4, 6] == pytest.approx(0.75, abs=1e-5)
    flat = torch.full((3, 20, 20), 0.4)
    assert torch.allclose(synth.convolve(flat, synth.random_kernel(np.random.default_rng(0), extent=9)), flat, atol=1e-5)


def test_highlights_spread_into_streaks_and_clip():
    img = torch.full((3, 40, 40), 0.2)
    img[:, 20, 20] = 1.0
    k = synth.rasterize(synth.line_path(np.random.default_rng(0)), 9)
    plain = synth.degrade(img, k, np.random.default_rng(0), synth.SynthOptions(highlight_prob=0, noise_prob=0, jpeg_prob=0))
    boosted = synth.degrade(img, k, np.random.default_rng(0), synth.SynthOptions(highlight_prob=1, noise_prob=0, jpeg_prob=0))
    assert boosted.max() <= 1 and boosted.sum() > plain.sum()
    # only clipped pixels hide brighter light: a bright but unclipped image is not boosted
    img[:, 20, 20] = 0.95  # sRGB 242: linear 0.89
    opts = dict(noise_prob=0, jpeg_prob=0)
    assert torch.equal(synth.degrade(img, k, np.random.default_rng(0), synth.SynthOptions(highlight_prob=1, **opts)),
                       synth.degrade(img, k, np.random.default_rng(0), synth.SynthOptions(highlight_prob=0, **opts)))


def _sharp_folder(root, n=4, size=(72, 96)):
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(_photo(rng, *size)).save(root / f"p{i}.png")
    return root


def test_on_the_fly_dataset_from_a_sharp_folder(tmp_path):
    ps = discover(_sharp_folder(tmp_path / "photos"))
    assert ps.layout == "sharp-only"
    cfg = DataConfig(root=str(ps.root), synthetic=True, synth_max_kernel=15, crop=48, max_side=None)
    ds = PairDataset(ps.pairs, cfg, train=True, seed=3)
    b1, s1 = ds[0]
    assert b1.shape == s1.shape == (3, 48, 48) and not torch.equal(b1, s1)
    assert torch.equal(ds[0][0], b1)  # deterministic within an epoch
    ds.set_epoch(1)
    assert not torch.equal(ds[0][0], b1)  # every epoch sees new blur
    val = PairDataset(ps.pairs, cfg, train=False, seed=3)
    v0 = val[1]
    assert v0[0].shape == (3, 72, 96)  # whole image
    val.set_epoch(5)
    assert torch.equal(val[1][0], v0[0])  # validation blur never changes


def test_whole_sharp_only_photos_take_the_same_synthetic_path_as_crops(tmp_path):
    """No crop (validation without val_crop, or crop 0) is no second way: the whole photo
    goes through synth.training_pair, grey sometimes, as every crop does (issue 27)."""
    ps = discover(_sharp_folder(tmp_path / "photos", n=2, size=(40, 48)))
    cfg = DataConfig(root=str(ps.root), synthetic=True, synth_max_kernel=7, crop=0, max_side=None,
                     repeat=30, flips=False)
    ds = PairDataset(ps.pairs, cfg, train=True, seed=3)
    grey = 0
    for i in range(len(ds)):
        blur, sharp = ds[i]
        rng = np.random.default_rng([3, 0, i])  # the item's own generator (epoch 0)
        want_blur, want_sharp = synth.training_pair(ds._read_sharp(ds.photo(i)), rng, cfg)
        assert torch.equal(blur, want_blur) and torch.equal(sharp, want_sharp)
        assert sharp.shape == (3, 40, 48)  # the whole photo
        grey += bool(torch.equal(sharp[0], sharp[1]))
    assert 1 <= grey <= 15  # ~10 % of 60 items


def test_preloaded_photos_give_the_same_crops_without_reading_the_files(tmp_path):
    ps = discover(_sharp_folder(tmp_path / "photos"))
    cfg = DataConfig(root=str(ps.root), synthetic=True, synth_max_kernel=15, crop=48, max_side=None)
    ds, held = PairDataset(ps.pairs, cfg, train=True, seed=3), PairDataset(ps.pairs, cfg, train=True, seed=3)
    assert not held.preload(max_bytes=3 * 4 * 72 * 96 * 4 - 1)  # one byte short: nothing held
    assert held.preload(max_bytes=3 * 4 * 72 * 96 * 4)
    expected = [ds[i] for i in range(len(ds))]
    for p in ps.pairs:
        p.sharp.unlink()
    for (b, s), (eb, es) in zip((held[i] for i in range(len(held))), expected):
        assert torch.equal(b, eb) and torch.equal(s, es)
    assert torch.equal(held[0][1], expected[0][1])  # crops did not change the held photos
    assert not PairDataset([], cfg, train=True).preload()


def test_training_runs_on_a_sharp_folder(tmp_path):
    from core.config import RunConfig
    from core.training.loop import Trainer

    cfg = RunConfig()
    cfg.data = DataConfig(root=str(_sharp_folder(tmp_path / "photos", size=(40, 48))), synthetic=True, synth_max_kernel=9,
                          crop=32, max_side=None, val_fraction=0.25)
    cfg.loss.gan = False
    cfg.model.options = {"num_residual_blocks": 1}
    cfg.train.epochs, cfg.train.batch_size, cfg.train.samples = 1, 2, 0
    events = list(Trainer(cfg, tmp_path / "run"))
    assert type(events[-1]).__name__ == "Finished" and events[-1].reason == "completed"
    assert (tmp_path / "run" / "checkpoints" / "last.pt").exists()


def test_synth_command_writes_a_flat_pair_folder(tmp_path, capsys):
    src = _sharp_folder(tmp_path / "photos", n=2, size=(40, 56))
    (src / "sub").mkdir()
    Image.fromarray(_photo(np.random.default_rng(5), 40, 56)).save(src / "sub" / "x.jpg")
    (src / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "pairs"
    assert main(["synth", str(src), "-o", str(out), "--seed", "4", "--max-kernel", "11"]) == 0
    names = sorted(p.name for p in (out / "blur").iterdir())
    assert names == ["p0.png", "p1.png", "sub_x.png"]
    assert sorted(p.name for p in (out / "sharp").iterdir()) == names
    k = np.load(out / "kernels" / "p0.npy")
    assert abs(k.sum() - 1) < 1e-5 and synth.support_extent(k) <= 12
    assert "broken.png" in capsys.readouterr().out
    ps = discover(out)
    assert ps.layout == "flat" and len(ps.pairs) == 3
    first = (out / "blur" / "p0.png").read_bytes()
    assert main(["synth", str(src), "-o", str(tmp_path / "again"), "--seed", "4", "--max-kernel", "11"]) == 0
    assert (tmp_path / "again" / "blur" / "p0.png").read_bytes() == first


def test_training_pairs_are_sometimes_grey_and_match_their_blur():
    cfg = DataConfig(synthetic=True, synth_max_kernel=5)
    img = _sharp(2, 24, 24)
    grey = 0
    for i in range(60):
        blur, sharp = synth.training_pair(img, np.random.default_rng(i), cfg)
        assert blur.shape == sharp.shape == img.shape
        if torch.equal(sharp[0], sharp[1]):
            grey += 1
            assert torch.equal(blur[0], blur[1])  # grey in, grey out, noise included
        else:
            assert torch.equal(sharp, img)
    assert 1 <= grey <= 15  # ~10 %


def test_blur_in_linear_light_brightens_texture_and_blur_of_stored_values_does_not():
    # A fine black-and-white texture: in linear light its blur is the mean of 0 and 1
    # light (sRGB ~0.735), in stored values the mean of the values (0.5).
    sharp = torch.zeros(3, 48, 48)
    sharp[:, :, ::2] = 1.0
    k = np.zeros((9, 9), np.float32)
    k[4, :] = 1 / 9  # horizontal motion across the vertical stripes
    clean = dict(noise_prob=0, jpeg_prob=0, highlight_prob=0)
    light = synth.degrade(sharp, k, np.random.default_rng(0), synth.SynthOptions(linear_light_prob=1, **clean))
    stored = synth.degrade(sharp, k, np.random.default_rng(0), synth.SynthOptions(linear_light_prob=0, **clean))
    inner = (slice(None), slice(8, -8), slice(8, -8))
    assert light[inner].mean() > sharp[inner].mean() + 0.15
    assert abs(stored[inner].mean() - sharp[inner].mean()) < 0.01
    # the default mixes both conventions, so a model cannot learn one brightness shift
    means = {round(float(synth.degrade(sharp, k, np.random.default_rng(s), synth.SynthOptions(**clean))[inner].mean()), 2)
             for s in range(12)}
    assert len(means) == 2
