"""scripts/gpu_train_default.py is run once, on a GPU a session may be lent for 15
minutes: a broken script there wastes the whole loan. Its whole path (probe, budgeted
run, export, files back) runs here on the CPU on a few tiny photos."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from core.model_files import load_model
from tests.conftest import _photo

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_train_default.py"


def test_the_prepared_gpu_run_trains_within_its_budget_and_returns_a_model(tmp_path, tiny_model_file):
    spec = importlib.util.spec_from_file_location("gpu_train_default", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(8):
        Image.fromarray(_photo(rng, 48, 64)).save(photos / f"p{i}.png")
    out = tmp_path / "out"
    real_trainer = script.Trainer

    def trainer_whose_workers_die(cfg, folder):  # as with a too-small /dev/shm in a container
        if cfg.data.num_workers:
            raise RuntimeError("DataLoader worker (pid 123) is killed by signal: Bus error.")
        return real_trainer(cfg, folder)

    script.Trainer = trainer_whose_workers_die
    # a seed-architecture model to start from: small and fast on this CPU
    script.main(["train", "--device", "cpu", "--budget", "6", "--batch-size", "2", "--crop", "32",
                 "--repeat", "2", "--workers", "1", "--data", str(photos), "--init-from", str(tiny_model_file),
                 "--run", str(tmp_path / "run"), "--out", str(out)])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reason"] == "completed" and summary["epochs"] >= 1 and summary["global_steps"] > 0
    assert summary["wall_s"] < 6 * 1.3 + 30  # the budget holds, give or take the final export
    g, cfg = load_model(out / "default.safetensors")
    assert cfg.model.options == {"num_residual_blocks": 1} and cfg.data.repeat == 2
    assert cfg.data.num_workers == 0  # the probe's loader failure switched the workers off
    assert {"log.txt", "metrics.jsonl", "config.json"} <= {p.name for p in out.iterdir()}
    assert not (tmp_path / "run-probe").exists()  # the probe cleans up after itself


def test_the_gpu_script_imports_with_only_the_gpu_machines_packages():
    """The lent GPU machine has torch, numpy, Pillow, scikit-image and safetensors, but not
    platformdirs or the app's Qt packages, and nothing can be installed there: the
    script's imports must not need them (they did: core.paths imported platformdirs)."""
    code = (
        "import sys\n"
        "for m in ('platformdirs', 'PySide6', 'superqt', 'pyqtgraph'): sys.modules[m] = None\n"
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('g', {str(SCRIPT)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "import core.training.loop, core.inference.loading\n"
        "print('ok', callable(m.main))\n"
    )
    root = SCRIPT.parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok True"


def test_loader_workers_fit_in_the_shared_memory_that_is_free(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("gpu_train_default", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    batch_bytes = 32 * 2 * 3 * 256 * 256 * 4  # 50 MB: 32 blurred + sharp 256 px crops
    for free, want in ((64e6, 0), (8 * batch_bytes, 2), (1e12, 14)):  # Docker's 64 MB; 4 batches; plenty
        monkeypatch.setattr(script.shutil, "disk_usage", lambda p, f=free: type("U", (), {"free": f})())
        assert script.workers_for_shm(14, 32, 256, shm=str(tmp_path)) == want
        assert script.workers_for_shm(14, 32, 256, shm=str(tmp_path)) == want  # the probe's and the run's config
        said = capsys.readouterr().out
        assert said.count("loader workers, not 14") == (want < 14)  # said once, and only when it cuts
    monkeypatch.setattr(script.shutil, "disk_usage", lambda p: (_ for _ in ()).throw(FileNotFoundError(p)))
    assert script.workers_for_shm(14, 32, 256, shm="/nonexistent") == 14
