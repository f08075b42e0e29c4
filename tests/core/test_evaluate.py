"""The evaluation job on tiny pair folders: numbers, events, cancel, bad files, reports."""
import csv
import math

import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.data.imageio import read_rgb, to_uint8
from core.evaluate import PUBLISHED_NOTE, EvalModel, Evaluation, markdown_summary, write_csv
from core.events import EvalFinished, EvalStarted, ImageScored, Message, ModelSummary
from core.metrics import psnr, ssim


def test_baseline_scores_the_blurred_input(make_flat):
    root = make_flat(n=3)
    ev = Evaluation(root, [EvalModel.baseline(), EvalModel("brighter", lambda x: np.clip(x + 0.05, 0, 1))])
    events = list(ev)
    kinds = [type(e) for e in events]
    assert kinds == [EvalStarted] + [ImageScored] * 3 + [ModelSummary] + [ImageScored] * 3 + [ModelSummary, EvalFinished]
    assert events[-1].reason == "completed" and events[-1].rows == 6
    base = [r for r in ev.rows if r.model == "blurred input (baseline)"]
    for r in base:
        b = to_uint8(read_rgb(root / "blur" / r.image))
        s = to_uint8(read_rgb(root / "sharp" / r.image))
        assert r.psnr == pytest.approx(psnr(b, s)) and r.ssim == pytest.approx(ssim(b, s))
        assert r.psnr_shift is None
    st = ev.summaries()["blurred input (baseline)"]
    vals = [r.psnr for r in base]
    assert st["PSNR"].mean == pytest.approx(np.mean(vals))
    assert st["PSNR"].std == pytest.approx(np.std(vals, ddof=1))
    assert (st["PSNR"].min, st["PSNR"].max) == (min(vals), max(vals))
    # a worse model scores worse than the identity
    assert ev.summaries()["brighter"]["PSNR"].mean < st["PSNR"].mean
    assert "Metric" in str(events[4]) and "Mean" in str(events[4]) and "PSNR" in str(events[4])


def test_gopro_uses_its_test_split(make_gopro):
    root = make_gopro(scenes=2, per_scene=2, test_scenes=1)
    ev = Evaluation(root, [EvalModel.baseline()])
    assert ev.split == "test" and len(ev.pairs) == 2
    assert all(p.split == "test" for p in ev.pairs)


def _write(path, a):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)


def test_shifted_pairs_are_perfect_with_shift_search_and_inf_is_handled(tmp_path):
    rng = np.random.default_rng(3)
    sharp = rng.integers(0, 256, (40, 44, 3), dtype=np.uint8)
    _write(tmp_path / "d" / "sharp" / "a.png", sharp)
    _write(tmp_path / "d" / "blur" / "a.png", np.roll(sharp, (1, 2), axis=(0, 1)))
    _write(tmp_path / "d" / "sharp" / "b.png", sharp)
    _write(tmp_path / "d" / "blur" / "b.png", sharp)  # identical: PSNR +inf
    ev = Evaluation(tmp_path / "d", [EvalModel.baseline()], shift=3)
    list(ev)
    a, b = ev.rows
    assert a.psnr < 20 and a.psnr_shift == math.inf and (a.dy, a.dx) == (1, 2)  # the blur is the sharp image moved down 1, right 2
    assert b.psnr == math.inf
    st = ev.summaries()["blurred input (baseline)"]
    assert st["PSNR shift+-3"].mean == 100.0 and st["PSNR shift+-3"].perfect == 2
    assert math.isfinite(st["PSNR"].std)
    write_csv(ev, tmp_path / "out.csv")
    rows = list(csv.DictReader(open(tmp_path / "out.csv")))
    assert rows[1]["psnr"] == "inf" and float(rows[0]["psnr_shift"]) == math.inf


def test_cancel_stops_before_the_next_image(make_flat):
    ev = Evaluation(make_flat(n=4), [EvalModel.baseline()])
    seen = []
    for e in ev:
        seen.append(e)
        if isinstance(e, ImageScored):
            ev.request_stop()
    assert isinstance(seen[-1], EvalFinished) and seen[-1].reason == "stopped"
    assert len(ev.rows) == 1 and isinstance(seen[-2], ModelSummary)


def test_bad_image_and_bad_model_output_never_stop_the_batch(make_flat):
    root = make_flat(n=3)
    data = (root / "blur" / "img01.png").read_bytes()
    (root / "blur" / "img01.png").write_bytes(data[: len(data) // 2])  # header fine, pixels cut
    calls = []

    def half_size(x):
        calls.append(1)
        return x if len(calls) != 2 else x[:10]

    ev = Evaluation(root, [EvalModel("m", half_size)])
    events = list(ev)
    warnings = [str(e) for e in events if isinstance(e, Message)]
    assert any("img01.png" in w for w in warnings)
    assert any("the model returned" in w for w in warnings)
    assert [r.image for r in ev.rows] == ["img00.png"]
    assert events[-1].reason == "completed"


def test_markdown_marks_published_rows_and_images_are_saved(make_flat, tmp_path):
    root = make_flat(n=2)
    ev = Evaluation(root, [EvalModel.baseline(), EvalModel("same", lambda x: x)],
                    save_images=tmp_path / "imgs")
    list(ev)
    md = markdown_summary(ev)
    assert "| Metric | Mean | Std | Min | Max |" in md
    assert "| MIMO-UNet++ | 32.68 | 0.959 |" in md and PUBLISHED_NOTE in md
    assert "| same | " in md and "measured here" in md
    saved = sorted(p.name for p in (tmp_path / "imgs" / "same").iterdir())
    assert saved == ["img00.png", "img01.png"]
    a = ev.summaries()
    assert a["same"]["PSNR"].mean == pytest.approx(a["blurred input (baseline)"]["PSNR"].mean)


def test_cli_prints_the_table_and_writes_reports(make_flat, tmp_path, capsys):
    root = make_flat(n=2)
    rc = main(["eval", "--data", str(root), "--baseline", "--no-model", "--shift", "2", "--out", str(tmp_path / "ev")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Metric" in out and "Std" in out and "PSNR shift+-2" in out
    assert (tmp_path / "ev" / "per_image.csv").is_file() and (tmp_path / "ev" / "summary.md").is_file()
    rows = list(csv.DictReader(open(tmp_path / "ev" / "per_image.csv")))
    assert {r["model"] for r in rows} == {"blurred input (baseline)"}
    assert main(["eval", "--data", str(root), "--no-model"]) == 2  # nothing left to score
    assert "add --baseline" in capsys.readouterr().err
    assert main(["eval", "--data", str(tmp_path / "nowhere"), "--baseline", "--no-model"]) == 2
    assert "folder not found" in capsys.readouterr().err


def test_cli_baseline_alone_scores_the_shipped_model_next_to_its_input(make_flat, tmp_path):
    """The issue's command, `deblur eval --data D --baseline`, compares the default model
    (found through resource_path, as in a packaged app) with the blurred input."""
    root = make_flat(n=1, size=(40, 52))
    assert main(["eval", "--data", str(root), "--baseline", "--device", "cpu", "--out", str(tmp_path / "ev")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "ev" / "per_image.csv")))
    assert [r["model"] for r in rows] == ["blurred input (baseline)", "default model (default.safetensors)"]
    assert rows[0]["psnr"] != rows[1]["psnr"]  # the model changed the image


def test_cli_scores_a_model_file_through_the_inference_engine(make_flat, tmp_path, capsys):
    import torch

    from core.config import RunConfig
    from core.inference import Deblurrer
    from core.model_files import export_safetensors
    from core.models import build_generator

    torch.manual_seed(0)
    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}
    model = export_safetensors(build_generator(cfg.model), tmp_path / "tiny.safetensors", cfg)
    root = make_flat(n=1, size=(40, 52))
    rc = main(["eval", "--data", str(root), "--model", str(model), "--baseline", "--device", "cpu",
               "--csv", str(tmp_path / "s.csv"), "--markdown", str(tmp_path / "s.md"),
               "--save-images", str(tmp_path / "imgs")])
    assert rc == 0, capsys.readouterr().err
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert [r["model"] for r in rows] == ["blurred input (baseline)", str(model)]
    # the saved result is what was scored: rescoring it gives the CSV's figure
    d = Deblurrer.from_file(model, device="cpu")
    saved = to_uint8(read_rgb(tmp_path / "imgs" / "tiny" / "img00.png"))
    direct = to_uint8(d.deblur(read_rgb(root / "blur" / "img00.png")))
    assert np.array_equal(saved, direct)
    sharp = to_uint8(read_rgb(root / "sharp" / "img00.png"))
    row = next(r for r in rows if r["model"] == str(model) and r["image"] == "img00.png")
    assert float(row["psnr"]) == pytest.approx(psnr(direct, sharp), abs=1e-5)


def test_stop_interrupts_the_image_in_progress(make_flat):
    from core.inference.tiling import Cancelled

    holder = {}

    def slow_model(x, cancel):
        holder["ev"].request_stop()  # a stop arrives while this image is being deblurred
        if cancel():
            raise Cancelled()
        return x

    ev = Evaluation(make_flat(n=3), [EvalModel("slow", slow_model), EvalModel.baseline()])
    holder["ev"] = ev
    events = list(ev)
    assert ev.rows == [] and events[-1].reason == "stopped"
    assert not any(isinstance(e, ImageScored) for e in events)
