"""The kernel-aware refiner (issue 24): its training pairs, its model type, the engine's
last stage and the command line's switch, on small images the tests make."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.cli import main
from core.config import DataConfig, RunConfig
from core.data import refine_pairs as rp
from core.data import synth
from core.data.dataset import PairDataset
from core.data.pairs import discover
from core.model_files import export_safetensors, load_model
from core.inference.refine import Refiner
from core.models import build_generator, get_spec
from tests.core.shake_scenes import blurred_pair, l_kernel, rgb


def line_kernel(length: int, angle: float = 0.3) -> np.ndarray:
    return synth.rasterize(np.linspace(0, 1, 64) * np.exp(1j * angle), length)


# ---- the pair generator's perturbations ------------------------------------------------
def test_scaling_a_kernel_scales_its_second_moment_and_keeps_its_centroid():
    k = line_kernel(15)
    for s in (0.8, 1.25):
        k2 = rp.scale_kernel(k, s)
        assert k2.sum() == pytest.approx(1, abs=1e-5)
        # a line of length L has second moment L^2/12; stretched by s it is s^2 times that
        # (linear resampling adds a little spread of its own)
        ratio = rp.second_moment(k2) / rp.second_moment(k)
        assert ratio == pytest.approx(s * s, rel=0.12), (s, ratio)
        c = k2.shape[0] // 2
        assert np.allclose(rp.centroid(k2), (c, c), atol=0.05)


def test_each_perturbation_does_what_its_record_says():
    k = line_kernel(17)
    m0 = rp.second_moment(k)
    seen = {"scale": 0, "sigma": 0, "kept": 0, "specks": 0, "exact": 0}
    for seed in range(60):
        # one kind at a time, so each record can be checked against the moments alone
        for kind in ("scale", "thicken", "partial"):
            errors = rp.KernelErrors(exact_prob=0.0, scale_prob=float(kind == "scale"),
                                     thicken_prob=float(kind == "thicken"),
                                     partial_prob=float(kind == "partial"), speck_prob=0.0)
            k2, rec = rp.perturb_kernel(k, np.random.default_rng(seed), errors)
            assert k2.sum() == pytest.approx(1, abs=1e-5) and (k2 >= 0).all()
            m = rp.second_moment(k2)
            if kind == "scale":
                assert errors.scale_range[0] <= rec.scale <= errors.scale_range[1]
                assert m / m0 == pytest.approx(rec.scale ** 2, rel=0.15)
                seen["scale"] += 1
            elif kind == "thicken":
                # a Gaussian of sigma adds 2 sigma^2 (two axes) to the second moment
                assert m - m0 == pytest.approx(2 * rec.sigma ** 2, abs=0.25)
                seen["sigma"] += 1
            else:
                assert errors.partial_keep[0] - 1e-6 <= rec.kept <= errors.partial_keep[1] + 1e-6
                # mass was taken from one end of the path: the centroid moves towards the other
                shift = np.hypot(*(np.subtract(rp.centroid(k2), rp.centroid(k))))
                assert shift > 0.1
                seen["kept"] += 1
    k3, rec = rp.perturb_kernel(k, np.random.default_rng(0), rp.KernelErrors(exact_prob=1.0))
    assert rec.exact and np.array_equal(k3, k.astype(np.float32))
    specky, rec = rp.perturb_kernel(k, np.random.default_rng(1), rp.KernelErrors(
        exact_prob=0, scale_prob=0, thicken_prob=0, partial_prob=0, speck_prob=1))
    # specks: that share of the mass now lies off the path
    off = specky[k <= 0].sum()
    assert 0.5 * rec.specks <= off <= rec.specks + 1e-6
    assert all(v > 0 for k_, v in seen.items() if k_ not in ("specks", "exact"))


def test_refiner_pairs_stack_blurred_and_deconvolved_and_the_exact_kernel_helps(tmp_path):
    sharp_dir = tmp_path / "sharp"
    sharp_dir.mkdir()
    for i in range(3):
        Image.fromarray((rgb(blurred_pair((160, 160), l_kernel(13), seed=i)[0]) * 255).astype(np.uint8)).save(
            sharp_dir / f"{i}.png")
    cfg = DataConfig(root=str(sharp_dir), synthetic=True, crop=64, max_side=None, synth_max_kernel=15,
                     refine_estimator_share=0.0, flips=False)
    ds = PairDataset(discover(sharp_dir).pairs, cfg, True, 0, kernel_aware=True)
    x, sharp = ds[0]
    assert x.shape == (6, 64, 64) and sharp.shape == (3, 64, 64)
    # with the true kernel, deconvolution is nearer the sharp crop than the blurred one
    region = torch.from_numpy(rgb(blurred_pair((120, 120), l_kernel(13), seed=5)[0]).transpose(2, 0, 1).copy()).float()
    k = l_kernel(13)
    clean = synth.SynthOptions(noise_prob=0, jpeg_prob=0, highlight_prob=0)
    blur, sharp_r = synth.degrade(region, k, np.random.default_rng(0), clean), region
    dec = rp.deconvolve_like_engine(blur, k)
    inner = (slice(None), slice(20, 100), slice(20, 100))
    err_b = float((blur - sharp_r)[inner].abs().mean())
    err_d = float((dec - sharp_r)[inner].abs().mean())
    assert err_d < 0.7 * err_b, (err_d, err_b)


# ---- the model type ----------------------------------------------------------------------
def test_refine_model_trains_one_step_and_round_trips(tmp_path):
    spec = get_spec("refine")
    assert spec.kernel_aware
    cfg = RunConfig()
    cfg.model.name = "refine"
    cfg.model.options = {"width": 8, "blocks": [1, 1], "middle_blocks": 1}
    g = build_generator(cfg.model)
    x = torch.rand(2, 6, 40, 56)
    # untrained, it is the identity on the deconvolved half
    assert torch.allclose(g(x), x[:, 3:], atol=1e-6)
    opt = torch.optim.Adam(g.parameters(), 1e-3)
    target = torch.rand(2, 3, 40, 56)
    loss0 = (g(x) - target).abs().mean()
    loss0.backward()
    opt.step()
    with torch.no_grad():
        assert float((g(x) - target).abs().mean()) < float(loss0)
    path = export_safetensors(g, tmp_path / "r.safetensors", cfg)
    g2, cfg2 = load_model(path)
    assert cfg2.model.name == "refine" and cfg2.model.options == cfg.model.options
    with torch.no_grad():
        assert torch.allclose(g2(x), g(x), atol=1e-6)
    with pytest.raises(ValueError, match="6 channels"):
        g(torch.rand(1, 3, 16, 16))


def _refiner_file(tmp_path, trained: bool):
    cfg = RunConfig()
    cfg.model.name = "refine"
    cfg.model.options = {"width": 8, "blocks": [1, 1], "middle_blocks": 1}
    g = build_generator(cfg.model)
    if trained:  # a stand-in for training: any non-zero last layer changes the output
        torch.manual_seed(0)
        with torch.no_grad():
            g.ending[0].weight.normal_(0, 0.02)
    return export_safetensors(g, tmp_path / f"refine-{trained}.safetensors", cfg)


def test_refiner_runs_on_stacked_tiles_and_refuses_a_plain_model(tmp_path):
    r = Refiner.from_file(_refiner_file(tmp_path, False), device="cpu")
    blur = np.random.default_rng(0).random((50, 70, 3)).astype(np.float32)
    dec = np.random.default_rng(1).random((50, 70, 3)).astype(np.float32)
    np.testing.assert_allclose(r.refine(blur, dec), dec, atol=1e-5)
    plain = RunConfig()
    plain.model.name = "nafnet-s"
    path = export_safetensors(build_generator(plain.model), tmp_path / "plain.safetensors", plain)
    with pytest.raises(ValueError, match="not a kernel-aware refiner"):
        Refiner.from_file(path, device="cpu")


# ---- the command line's switch -------------------------------------------------------
def test_cli_refine_switch(tmp_path, capsys):
    sharp, blur = blurred_pair((96, 128), l_kernel(13), seed=0)
    photo = tmp_path / "photo.png"
    Image.fromarray(np.round(rgb(blur) * 255).astype(np.uint8)).save(photo)
    outs = {}
    for name, flags in {"plain": ["--no-refine"],
                        "identity": ["--refiner", str(_refiner_file(tmp_path, False))],
                        "trained": ["--refiner", str(_refiner_file(tmp_path, True))]}.items():
        out = tmp_path / name
        assert main(["run", str(photo), "-o", str(out), "--engine", "shake", "--kernel-size", "15", *flags]) == 0
        text = capsys.readouterr().out
        line = next(l for l in text.splitlines() if "wrote" in l)
        assert "deconvolved" in line and (("refined" in line) == (name != "plain")), line
        outs[name] = np.asarray(Image.open(out / "photo.png"), np.int16)
    # an untrained refiner is the identity: the same photo as the deconvolution alone
    assert np.abs(outs["identity"] - outs["plain"]).max() <= 1
    assert np.abs(outs["trained"] - outs["plain"]).mean() > 0.5
    assert main(["run", str(photo), "-o", str(tmp_path / "x"), "--engine", "shake", "--no-refine",
                 "--refiner", "m"]) == 2
    assert "exclude each other" in capsys.readouterr().err


def test_a_refiner_given_as_the_learned_model_is_refused_with_a_reason(tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(photo)
    path = _refiner_file(tmp_path, False)
    assert main(["run", str(photo), "-o", str(tmp_path / "out"), "--model", str(path)]) == 2
    assert "kernel-aware refiner" in capsys.readouterr().err
    assert not (tmp_path / "out" / "photo.png").exists()


def test_batch_events_say_the_refiner_ran(tmp_path):
    from core.engines import make_engine
    from core.events import KernelEstimated
    from core.inference.batch import deblur_paths
    from core.shake import ShakeOptions

    _, blur = blurred_pair((96, 128), l_kernel(13), seed=0)
    photo = tmp_path / "photo.png"
    Image.fromarray(np.round(rgb(blur) * 255).astype(np.uint8)).save(photo)
    engine = make_engine("shake", shake=ShakeOptions(kernel_size=15), refiner=_refiner_file(tmp_path, True))
    found = [e for e in deblur_paths([photo], tmp_path / "out", engine) if isinstance(e, KernelEstimated)]
    assert len(found) == 1 and found[0].what_ran == "deconvolved + refined"
