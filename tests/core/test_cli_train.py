"""`deblur train` as a new user meets it: good runs write a run folder, bad input fails
clearly, with a non-zero exit and nothing written."""
import json
import subprocess
import sys

import numpy as np
from PIL import Image

from core.config import RunConfig


def deblur(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def test_train_writes_run_folder(make_flat, tmp_path):
    data = make_flat(n=3, size=(64, 64))
    out = tmp_path / "run"
    r = deblur("train", "--data", data, "--epochs", 1, "--batch-size", 2, "--crop", 64,
               "--device", "cpu", "--log-every", 1, "--keep-every", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "Epoch [1/1], Step [1/1], D Loss:" in r.stdout and "Validation Loss:" in r.stdout
    cfg = RunConfig.load(out / "config.json")
    assert cfg.data.root == str(data) and cfg.train.epochs == 1 and cfg.model.name == "seed"
    events = [json.loads(line)["event"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert "Step" in events and "Validated" in events
    assert (out / "checkpoints" / "last.pt").is_file() and (out / "checkpoints" / "best.pt").is_file()
    assert cfg.train.keep_every == 1 and (out / "checkpoints" / "epoch-0001.pt").is_file()
    # An existing run is not overwritten by accident.
    again = deblur("train", "--data", data, "--out", out)
    assert again.returncode != 0 and "--resume" in again.stderr


def _fails_cleanly(r, out, *needles):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr
    assert not out.exists()


def test_bad_input_fails_clearly_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    empty = tmp_path / "empty"
    empty.mkdir()
    _fails_cleanly(deblur("train", "--data", empty, "--out", out), out, str(empty), "no usable image pairs")
    _fails_cleanly(deblur("train", "--data", tmp_path / "missing", "--out", out), out, "folder not found")

    unmatched = tmp_path / "unmatched"
    for sub, name in (("blur", "a.png"), ("sharp", "b.png")):
        (unmatched / sub).mkdir(parents=True)
        Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(unmatched / sub / name)
    _fails_cleanly(deblur("train", "--data", unmatched, "--out", out), out, "a.png", "no sharp image named a.png")

    text = tmp_path / "text"
    for sub in ("blur", "sharp"):
        (text / sub).mkdir(parents=True)
        (text / sub / "x.png").write_text("hello")
    _fails_cleanly(deblur("train", "--data", text, "--out", out), out, "x.png", "not a readable image")

    sizes = tmp_path / "sizes"
    for sub, size in (("blur", (64, 64)), ("sharp", (64, 80))):
        (sizes / sub).mkdir(parents=True)
        Image.fromarray(np.zeros((*size, 3), np.uint8)).save(sizes / sub / "p.png")
    _fails_cleanly(deblur("train", "--data", sizes, "--out", out), out, "p.png", "differs")

    _fails_cleanly(deblur("train", "--data", sizes, "--crop", 16, "--out", out), out, "crop must be at least 64")
    _fails_cleanly(deblur("train", "--resume", "--out", out), out, "cannot resume")


def test_config_round_trips_through_json(tmp_path):
    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 9}
    cfg.train.betas = (0.9, 0.99)
    cfg.save(tmp_path / "c.json")
    back = RunConfig.load(tmp_path / "c.json")
    assert back == cfg and back.train.betas == (0.9, 0.99)
    (tmp_path / "typo.json").write_text(json.dumps({"train": {"epocs": 3}}))
    r = deblur("train", "--config", tmp_path / "typo.json", "--data", tmp_path)
    assert r.returncode != 0 and "unknown setting(s) epocs" in r.stderr
