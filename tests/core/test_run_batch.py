"""Model files and batch deblurring: exports rebuild the model, bad files never stop a
batch, cancel leaves no partial outputs, `deblur run` exits non-zero on failures."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open

from core.cli import main
from core.config import RunConfig
from core.data.imageio import to_uint8
from core.events import BatchFinished, FileDone, FileFailed, FileSkipped, FileStarted, TileProgress
from core.inference import Deblurrer, resolve_model
from core.model_files import ModelLoadError, export_safetensors, load_model
from core.inference import loading
from core.inference.batch import OutputFolderError, deblur_paths
from core.model_files import save_checkpoint


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, spread_generator):
    """A tiny random seed generator saved through the real checkpoint and export paths."""
    d = tmp_path_factory.mktemp("models")
    g, cfg = spread_generator
    save_checkpoint(d / "tiny.pt", cfg, g, epoch=1)
    export_safetensors(d / "tiny.pt", d / "tiny.safetensors")
    return d / "tiny.pt", d / "tiny.safetensors"


@pytest.fixture(scope="module")
def deblurrer(model_files):
    return Deblurrer.from_file(model_files[1], device="cpu")


def photo(path, h=40, w=56, mode="RGB", seed=0):
    a = (np.random.default_rng(seed).random((h, w, len(mode))) * 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a if len(mode) > 1 else a[..., 0], mode).save(path)
    return path


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# ---- model files ---------------------------------------------------------------------
def test_export_rebuilds_the_model_from_the_file_alone(model_files):
    ckpt, st = model_files
    with safe_open(str(st), "pt") as f:
        meta = f.metadata()
    assert RunConfig.from_json(meta["config"]).model.options == {"num_residual_blocks": 1}
    g1, _ = load_model(ckpt)
    g2, cfg2 = load_model(st)
    assert cfg2.model.name == "seed" and not g2.training
    x = torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        assert torch.equal(g1(x), g2(x))
    umask = os.umask(0)
    os.umask(umask)
    # safetensors writes its file 0600: the export must still be readable like any file
    assert st.stat().st_mode & 0o777 == 0o666 & ~umask


def test_bad_model_files_give_clear_errors(tmp_path, monkeypatch):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ModelLoadError, match="junk.safetensors"):
        load_model(junk)
    with pytest.raises(ModelLoadError, match="not found"):
        resolve_model(tmp_path / "nothing.pt")
    monkeypatch.setattr(loading, "default_model_path", lambda: tmp_path / "default.safetensors")
    with pytest.raises(ModelLoadError, match="default model is not installed"):
        resolve_model(None)


def test_resolve_model_default_and_names(model_files, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "default.safetensors").write_bytes(model_files[1].read_bytes())
    (models / "fast.safetensors").write_bytes(model_files[1].read_bytes())
    monkeypatch.setattr(loading, "default_model_path", lambda: models / "default.safetensors")
    monkeypatch.setattr(loading, "model_dirs", lambda: [models])
    assert resolve_model(None) == models / "default.safetensors"
    assert resolve_model("fast") == models / "fast.safetensors"
    assert resolve_model(str(model_files[0])) == model_files[0]


# ---- batch ---------------------------------------------------------------------------
def test_batch_mirrors_paths_and_reports_bad_files(tmp_path, deblurrer):
    src = tmp_path / "in"
    photo(src / "a.jpg")
    photo(src / "sub" / "b.png", mode="RGBA")
    (src / "broken.png").write_bytes(photo(tmp_path / "x.png").read_bytes()[:70])  # truncated
    (src / "notes.png").write_text("a text file with an image name")
    (src / "readme.txt").write_text("ignored in folders: not an image type")
    out = tmp_path / "out"
    events = list(deblur_paths([src], out, deblurrer, recursive=True, suffix="_sharp"))
    fin = events[-1]
    assert isinstance(fin, BatchFinished)
    assert (fin.done, fin.failed, fin.skipped, fin.cancelled) == (2, 2, 0, False)
    failed = {os.path.basename(p): r for p, r in fin.failures}
    assert set(failed) == {"broken.png", "notes.png"}
    assert "not a readable image" in failed["notes.png"]
    assert files_under(out) == ["a_sharp.jpg", "sub/b_sharp.png"]
    assert Image.open(out / "sub" / "b_sharp.png").mode == "RGBA"
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "a_sharp.jpg").stat().st_mode & 0o777 == 0o666 & ~umask  # not the temp file's 0600
    kinds = [type(e) for e in events]
    assert kinds.count(FileStarted) == 2 and kinds.count(FileDone) == 2 and kinds.count(FileFailed) == 2
    assert TileProgress in kinds


def test_existing_outputs_policy(tmp_path, deblurrer):
    a = photo(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "a.png").write_bytes(b"old")
    fin = list(deblur_paths([a], out, deblurrer))[-1]
    assert fin.failed == 1 and "--overwrite" in fin.failures[0][1] and (out / "a.png").read_bytes() == b"old"
    events = list(deblur_paths([a], out, deblurrer, existing="skip"))
    assert any(isinstance(e, FileSkipped) for e in events) and (out / "a.png").read_bytes() == b"old"
    fin = list(deblur_paths([a], out, deblurrer, existing="overwrite"))[-1]
    assert fin.done == 1 and Image.open(out / "a.png").size == (56, 40)
    # writing over the input itself is refused even with --overwrite
    fin = list(deblur_paths([a], a.parent, deblurrer, existing="overwrite"))[-1]
    assert fin.failed == 1 and "replace the input" in fin.failures[0][1]


def test_cancel_mid_batch_leaves_no_partial_files(tmp_path, deblurrer):
    src = tmp_path / "in"
    for i in range(3):
        photo(src / f"p{i}.png", h=170, w=170, seed=i)
    out = tmp_path / "out"
    progress = 0

    def cancel():
        return progress >= 2  # stop inside the second photo, between its tiles

    events = []
    for e in deblur_paths([src], out, deblurrer, tile=160, cancel=cancel):
        events.append(e)
        if isinstance(e, FileDone):
            progress = 1
        elif isinstance(e, TileProgress) and e.index == 2:
            progress = 2
    fin = events[-1]
    assert fin.cancelled and fin.done == 1
    assert sum(isinstance(e, TileProgress) and e.index == 2 for e in events) == 1  # cut mid-photo
    assert files_under(out) == ["p0.png"]  # no partial p1, no temp files


class OneSecondPerKilopixel:
    """An engine that takes 1 s of the fake `clock` per 1000 px, a photo as one tile."""
    def __init__(self, clock):
        self.clock = clock

    def describe(self):
        return "timed stand-in"

    def grid(self, h, w, tile):
        return [(0, 0, h, w)]

    def deblur_steps(self, rgb, grid):
        self.clock[0] += rgb.shape[0] * rgb.shape[1] / 1000
        yield 1, 1
        return rgb


def test_one_batch_over_several_folders_has_one_eta_for_all_of_them(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from core.inference import batch
    from core.inference.batch import deblur_jobs

    clock = [0.0]
    monkeypatch.setattr(batch, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    a = [photo(tmp_path / "a" / f"{i}.png", seed=i) for i in range(2)]  # 40x56 = 2240 px each
    b = [photo(tmp_path / "b" / f"{i}.png", h=80, seed=i) for i in range(2)]  # 4480 px each
    jobs = [(a, tmp_path / "out-a"), (b, tmp_path / "out-b")]
    events = list(deblur_jobs(jobs, OneSecondPerKilopixel(clock)))
    ticks = [e for e in events if isinstance(e, TileProgress)]
    assert [(t.index, t.total) for t in ticks] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # at the first photo: 1000 px/s so far, and the other three photos of both folders left
    assert ticks[0].eta_s == pytest.approx((2240 + 2 * 4480) / 1000)
    assert ticks[0].megapixels_per_s == pytest.approx(1e-3)
    assert [t.eta_s for t in ticks[1:]] == pytest.approx([8.96, 4.48, 0.0])
    fins = [e for e in events if isinstance(e, BatchFinished)]
    assert len(fins) == 1 and (fins[0].done, fins[0].failed, fins[0].out_dir) == (4, 0, "")
    assert files_under(tmp_path / "out-a") == ["0.png", "1.png"] == files_under(tmp_path / "out-b")

    # a folder that cannot be written fails its own files; the others go on, and their
    # ETA no longer counts the failed ones
    clock[0] = 0.0
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    events = list(deblur_jobs([(a, blocked), (b, tmp_path / "out-c")], OneSecondPerKilopixel(clock)))
    failed = [e for e in events if isinstance(e, FileFailed)]
    assert [(e.index, e.total) for e in failed] == [(1, 4), (2, 4)] and "is a file" in failed[0].reason
    assert [t.eta_s for t in events if isinstance(t, TileProgress)] == pytest.approx([4.48, 0.0])
    assert events[-1].done == 2 and events[-1].failed == 2 and files_under(tmp_path / "out-c") == ["0.png", "1.png"]


def test_read_only_output_folder_is_a_clear_error(tmp_path, deblurrer, monkeypatch):
    a = photo(tmp_path / "a.png")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root ignores permissions: make the probe write fail the same way
        import tempfile

        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        with pytest.raises(OutputFolderError, match="not writable") as e:
            list(deblur_paths([a], ro, deblurrer))
        assert str(ro) in str(e.value) and "Permission denied" in str(e.value)
    finally:
        ro.chmod(0o755)
    with pytest.raises(OutputFolderError, match="is a file"):
        list(deblur_paths([a], a, deblurrer))


def test_cli_run_exit_codes(tmp_path, model_files, capsys):
    good = photo(tmp_path / "in" / "good.png")
    out = tmp_path / "out"
    assert main(["run", str(good), "-o", str(out), "--model", str(model_files[1]), "--format", "jpeg", "-q"]) == 0
    assert files_under(out) == ["good.jpg"]
    bad = tmp_path / "in" / "bad.jpg"
    bad.write_text("nope")
    code = main(["run", str(good), str(bad), "-o", str(out), "--model", str(model_files[0]), "--overwrite", "-q"])
    assert code == 1
    text = capsys.readouterr().out
    assert "1 done" in text and "1 failed" in text and "bad.jpg" in text
    assert main(["run", str(good), "-o", str(out), "--model", str(tmp_path / "missing.pt")]) == 2


def test_cli_run_and_eval_take_a_self_ensemble(tmp_path, model_files, deblurrer, capsys):
    src = photo(tmp_path / "in" / "p.png", h=48, w=80)
    for n in (1, 4):
        assert main(["run", str(src), "-o", str(tmp_path / f"x{n}"), "--model", str(model_files[1]),
                     "--ensemble", str(n), "-q"]) == 0
    got = {n: np.asarray(Image.open(tmp_path / f"x{n}" / "p.png")).astype(int) for n in (1, 4)}
    want = to_uint8(deblurrer.with_ensemble(4).deblur(np.asarray(Image.open(src), np.float32) / 255, tile=0))
    assert np.abs(got[4] - want).max() <= 1 and np.abs(got[4] - got[1]).max() > 2
    pairs = tmp_path / "pairs"
    photo(pairs / "blur" / "a.png")
    photo(pairs / "sharp" / "a.png", seed=1)
    capsys.readouterr()
    assert main(["eval", "--data", str(pairs), "--model", str(model_files[1]), "--ensemble", "4",
                 "--out", str(tmp_path / "ev"), "--quiet"]) == 0
    assert "x4 self-ensemble" in (tmp_path / "ev" / "per_image.csv").read_text()
    with pytest.raises(SystemExit):
        main(["run", str(src), "-o", str(tmp_path / "x2"), "--ensemble", "2"])


def test_a_raw_photo_is_named_as_the_tiff_it_is_written_as():
    # RAW is read only (16-bit TIFF out): the existence check must look for the .tif
    from pathlib import Path

    from core.inference.batch import output_path
    assert output_path(Path("out"), Path("trip/IMG_1.NEF"), "_sharp") == Path("out/trip/IMG_1_sharp.tif")
    assert output_path(Path("out"), Path("x.dng"), fmt="PNG") == Path("out/x.png")
    assert output_path(Path("out"), Path("x.jpg")) == Path("out/x.jpg")
