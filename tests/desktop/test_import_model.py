"""File > Import a model: identified and copied off the GUI thread, then offered by the
Deblur tab's picker; a refused file explains itself in a dialog."""
from __future__ import annotations

import os

import torch

from core.config import RunConfig
from core.model_files import export_safetensors
from core.models import build_generator


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_import_lists_the_model_in_the_deblur_tab(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}
    src = export_safetensors(build_generator(cfg.model), tmp_path / "my-seed.safetensors", cfg)
    job = window.import_model(str(src))
    qtbot.waitUntil(lambda: "Added to the model library" in window.statusBar().currentMessage(), timeout=60_000)
    assert job.wait(60_000)
    labels = [window.deblur_tab.options.model.itemText(i) for i in range(window.deblur_tab.options.model.count())]
    assert "my-seed" in labels
    assert (tmp_path / "data" / "DeblurStudio" / "models" / "my-seed.json").is_file()


def test_refused_file_shows_why(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    shown = []
    monkeypatch.setattr("deblur_desktop.main_window.QMessageBox.warning",
                        lambda parent, title, text: shown.append((title, text)))
    evil = _Payload()
    evil.marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(1), "x": evil}, path)
    window.import_model(str(path))
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    assert shown[0][0] == "Model not imported" and "refused" in shown[0][1]
    assert not evil.marker.exists()
