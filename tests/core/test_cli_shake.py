"""The command line's shake reduction: `deblur run --engine shake`, `deblur kernel`,
`deblur eval --engine shake`, on small blurred photos the tests write."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from tests.core.shake_scenes import blurred_pair, l_kernel, rgb


def write_png(path, image01):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(np.clip(image01, 0, 1) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def shaken(tmp_path_factory):
    """A 96x128 (HxW) colour photo blurred by an L-shaped 13 px camera path, and its sharp original."""
    folder = tmp_path_factory.mktemp("shaken")
    sharp, blur = blurred_pair((96, 128), l_kernel(13), seed=0)
    return write_png(folder / "photo.png", rgb(blur)), write_png(folder / "sharp.png", rgb(sharp))


def test_run_engine_shake_writes_a_same_size_result_and_names_the_kernel(shaken, tmp_path, capsys):
    photo, _ = shaken
    out = tmp_path / "out"
    assert main(["run", str(photo), "-o", str(out), "--engine", "shake", "--kernel-size", "15"]) == 0
    written = out / "photo.png"
    with Image.open(written) as im:
        assert im.size == (128, 96) and im.mode == "RGB"
    text = capsys.readouterr().out
    done = [line for line in text.splitlines() if "wrote" in line and "photo.png" in line]
    assert len(done) == 1 and "kernel 15 px" in done[0] and "deconvolved" in done[0], text
    assert not np.array_equal(np.asarray(Image.open(written)), np.asarray(Image.open(photo)))


def test_kernel_command_writes_the_kernel_image_and_values(shaken, tmp_path, capsys):
    photo, _ = shaken
    png, npy = tmp_path / "k.png", tmp_path / "k.npy"
    assert main(["kernel", str(photo), "-o", str(png), "--npy", str(npy), "--kernel-size", "15"]) == 0
    k = np.load(npy)
    assert k.shape == (15, 15) and k.min() >= 0 and k.sum() == pytest.approx(1.0)
    img = np.asarray(Image.open(png))
    assert img.shape[:2] == (15, 15) and img.max() == 255
    grey = img[..., 0] if img.ndim == 3 else img
    # the picture is the kernel: brightest where it is largest, black where it is zero
    assert grey[np.unravel_index(k.argmax(), k.shape)] == 255  # (ties after 8-bit rounding are fine)
    assert np.corrcoef(grey.ravel(), k.ravel())[0, 1] > 0.99
    assert (grey[k == 0] == 0).all()
    text = capsys.readouterr().out
    assert "kernel 15x15 px" in text and str(png) in text and str(npy) in text
    length = float(re.search(r"blur path about (\d+) px", text).group(1))
    assert 4 <= length <= 15     # an ~8 px L-shaped path


def test_run_engine_shake_refuses_a_self_ensemble(shaken, tmp_path, capsys):
    photo, _ = shaken
    code = main(["run", str(photo), "-o", str(tmp_path / "out"), "--engine", "shake", "--ensemble", "4"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--ensemble" in err and "learned" in err
    assert not (tmp_path / "out").exists()


def test_eval_engine_shake_scores_a_shake_reduction_row(shaken, tmp_path, capsys):
    photo, sharp = shaken
    data = tmp_path / "pairs"
    (data / "blur").mkdir(parents=True)
    (data / "sharp").mkdir()
    (data / "blur" / "a.png").write_bytes(photo.read_bytes())
    (data / "sharp" / "a.png").write_bytes(sharp.read_bytes())
    out = tmp_path / "ev"
    assert main(["eval", "--engine", "shake", "--baseline", "--data", str(data), "--shift", "2",
                 "--kernel-size", "15", "--out", str(out), "--quiet"]) == 0
    summary = (out / "summary.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in summary.splitlines()
            if line.startswith("| ") and "| measured here, pairs |" in line}
    assert set(rows) == {"blurred input (baseline)", "shake reduction"}, summary
    psnr = {name: float(line.split("|")[2]) for name, line in rows.items()}
    # the engine removes a real blur: it must beat its own input
    assert psnr["shake reduction"] > psnr["blurred input (baseline)"] + 1.0, psnr
    assert "shake reduction" in (out / "per_image.csv").read_text()
