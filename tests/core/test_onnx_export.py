"""ONNX export: the graph agrees with PyTorch on odd sizes and carries its config."""
import numpy as np
import pytest
import torch

from core.cli import main
from core.config import RunConfig
from core.model_files import export_safetensors
from core.models import build_generator, get_spec, run_generator
from core.onnx_export import FORMAT, export_generator, onnx_metadata

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module", params=["seed", "nafnet-s"])
def model_file(request, tmp_path_factory):
    """The shipped default's architecture (nafnet-s, scripts/train_default.json) and the
    report's seed model (1 residual block: same layer types, quicker), random weights
    (NAFNet starts as an identity: perturb it)."""
    torch.manual_seed(0)
    cfg = RunConfig()
    cfg.model.name = request.param
    if request.param == "seed":
        cfg.model.options = {"num_residual_blocks": 1}
    g = build_generator(cfg.model).eval()
    if request.param.startswith("nafnet"):
        with torch.no_grad():
            for p in g.parameters():
                p.add_(torch.randn_like(p) * 0.05)
    path = export_safetensors(g, tmp_path_factory.mktemp("m") / f"{request.param}.safetensors", cfg)
    return path, g, request.param


def test_export_matches_pytorch_on_3x67x91(model_file, tmp_path, capsys):
    path, g, name = model_file
    out = tmp_path / f"{name}.onnx"
    assert main(["export", str(path), "-o", str(out)]) == 0
    assert "matches PyTorch" in capsys.readouterr().out
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    spec = get_spec(name)
    rng = np.random.default_rng(5)
    for h, w in ((67, 91), (50, 36)):  # padding to the size multiple inside the graph, dynamic sizes
        x = rng.random((1, 3, h, w), dtype=np.float32)
        with torch.inference_mode():
            ref = run_generator(g, spec, torch.from_numpy(x)).numpy()
        got = sess.run(None, {"image": x})[0]
        assert got.shape == (1, 3, h, w)
        assert np.abs(ref - x).mean() > 1e-3  # the model really changes the image
        assert np.abs(got - ref).max() < 1e-4
    meta = onnx_metadata(out)
    assert meta["format"] == FORMAT and meta["model"] == name
    assert RunConfig.from_json(meta["config"]).model.name == name


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


def test_onnxruntime_backend_tiles_like_pytorch(tmp_path):
    from core.inference import Deblurrer
    from core.onnx_export import OnnxGenerator, onnx_deblurrer

    torch.manual_seed(1)
    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}  # seed: tanh range, multiple 4, handled by Deblurrer
    path = export_safetensors(build_generator(cfg.model).eval(), tmp_path / "m.safetensors", cfg)
    img = np.random.default_rng(2).random((100, 150, 3), dtype=np.float32)
    d_ort = onnx_deblurrer(path, cache_dir=tmp_path / "cache")
    assert isinstance(d_ort.generator, OnnxGenerator)
    d_pt = Deblurrer.from_file(path, device="cpu")
    assert len(d_pt.grid(100, 150, 128)) > 1
    a, b = d_ort.deblur(img, tile=128), d_pt.deblur(img, tile=128)
    assert np.abs(b - img).mean() > 1e-3 and np.abs(a - b).max() < 1e-4
    cached = list((tmp_path / "cache").iterdir())
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    onnx_deblurrer(path, cache_dir=tmp_path / "cache")  # exported once, then reused
    assert [p.stat().st_mtime_ns for p in (tmp_path / "cache").iterdir()] == [mtime]
