"""`deblur-studio --self-test` from source: passes with a real model (window, deblur,
one training epoch), and fails with the reason when the model or the samples are missing
or the model does nothing."""
from __future__ import annotations

import re
import shutil

import pytest

from core.paths import resource_path
from deblur_desktop.__main__ import main


@pytest.fixture(scope="module")
def model_file(tiny_model_file):
    """The bundled default model when it is there, else a tiny seed generator written
    through the real checkpoint + export path."""
    if resource_path("models", "default.safetensors").is_file():
        return resource_path("models", "default.safetensors")
    return tiny_model_file


@pytest.fixture
def resources(tmp_path, monkeypatch):
    """A copy of resources/ without models, that the resource helper points to."""
    root = tmp_path / "resources"
    shutil.copytree(resource_path("icons"), root / "icons")
    shutil.copytree(resource_path("samples"), root / "samples")
    (root / "models").mkdir()
    monkeypatch.setattr("core.paths.resource_root", lambda: root)
    return root


def test_self_test_passes_with_the_bundled_default_model(resources, model_file, capsys):
    shutil.copy(model_file, resources / "models" / "default.safetensors")
    assert main(["deblur-studio", "--self-test"]) == 0
    out = capsys.readouterr().out
    # the smallest bundled sample, at its own size, through the default model
    assert re.search(r"window opened in [0-9.]+ s \(Dataset, Train, Deblur", out)
    assert "deblurred clock_motion.png (400x300)" in out and "default.safetensors" in out
    assert "trained a tiny seed GAN for one epoch" in out
    assert "self-test OK" in out


def test_self_test_fails_with_the_reason_when_the_default_model_is_absent(resources, capsys):
    assert main(["deblur-studio", "--self-test"]) == 1
    err = capsys.readouterr().err
    assert "self-test FAILED: cannot load the model" in err and "default model is not installed" in err


def test_self_test_fails_without_samples(resources, model_file, capsys):
    shutil.rmtree(resources / "samples")
    assert main(["deblur-studio", "--self-test", "--model", str(model_file)]) == 1
    assert "no readable sample image" in capsys.readouterr().err


def test_self_test_fails_when_the_model_does_nothing(resources, tmp_path, capsys):
    """An untrained NAFNet is the identity (zero-initialised global residual): a model
    whose output equals its input must not pass as working."""
    from core.config import RunConfig
    from core.model_files import export_safetensors
    from core.models import build_generator

    cfg = RunConfig()
    cfg.model.name = "nafnet-s"
    cfg.model.options = {"width": 8, "enc_blocks": [1, 1], "middle_blocks": 1, "dec_blocks": [1, 1]}
    g = build_generator(cfg.model)
    path = export_safetensors(g, tmp_path / "identity.safetensors", cfg)
    assert main(["deblur-studio", "--self-test", "--model", str(path)]) == 1
    assert "identical to the input" in capsys.readouterr().err


def test_self_test_as_a_process_exits_0_and_quits_cleanly(model_file, tmp_path):
    """As the packaged binary runs it: a fresh process, whose exit code is the verdict
    (a crash while quitting, with the tabs' background jobs still running, shows here)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-m", "deblur_desktop", "--self-test", "--model", str(model_file)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "self-test OK" in r.stdout
