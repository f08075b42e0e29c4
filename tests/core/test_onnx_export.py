"""ONNX export: the graph agrees with PyTorch on odd sizes and carries its config."""
import numpy as np
import pytest
import torch

from core.cli import main
from core.config import RunConfig
from core.inference import export_safetensors
from core.models import build_generator, get_spec, run_generator
from core.onnx_export import FORMAT, export_generator, onnx_metadata

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory):
    """The default model's architecture (seed, 6 residual blocks), random weights."""
    torch.manual_seed(0)
    cfg = RunConfig()
    g = build_generator(cfg.model).eval()
    path = export_safetensors(g, tmp_path_factory.mktemp("m") / "seed.safetensors", cfg)
    return path, g


def test_export_matches_pytorch_on_3x67x91(seed_file, tmp_path, capsys):
    path, g = seed_file
    out = tmp_path / "seed.onnx"
    assert main(["export", str(path), "-o", str(out)]) == 0
    assert "matches PyTorch" in capsys.readouterr().out
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    spec = get_spec("seed")
    rng = np.random.default_rng(5)
    for h, w in ((67, 91), (50, 36)):  # padding to the size multiple inside the graph, dynamic sizes
        x = rng.random((1, 3, h, w), dtype=np.float32)
        with torch.inference_mode():
            ref = run_generator(g, spec, torch.from_numpy(x)).numpy()
        got = sess.run(None, {"image": x})[0]
        assert got.shape == (1, 3, h, w)
        assert np.abs(got - ref).max() < 1e-4
    meta = onnx_metadata(out)
    assert meta["format"] == FORMAT and meta["model"] == "seed"
    assert RunConfig.from_json(meta["config"]).model.name == "seed"


def test_export_refuses_a_graph_that_disagrees(tmp_path, monkeypatch):
    import core.onnx_export as ox

    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}
    g = build_generator(cfg.model)
    monkeypatch.setattr(ox, "_compare", lambda *a: (0.5, "onnxruntime"))
    with pytest.raises(ox.ExportError, match="differs from PyTorch"):
        export_generator(g, cfg, tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists()  # nothing half-trusted left behind


def test_export_of_a_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope.safetensors"), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "nope.safetensors" in capsys.readouterr().err
