"""Model library and foreign weights files: cards, names, refusals (no spandrel needed)."""
import os
import pickle

import pytest
import torch

from core.cli import main
from core.config import RunConfig
from core.inference import resolve_model
from core.model_files import ModelLoadError, export_safetensors, load_model
from core.model_library import LibraryError, add_model, identify, list_models, remove_model
from core.models import build_generator, count_parameters
from core.models.imported import ImportRefused, read_state_dict
from core.model_files import save_checkpoint


@pytest.fixture
def library(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # platformdirs' user data dir
    return tmp_path / "data" / "DeblurStudio" / "models"


def _tiny():
    torch.manual_seed(0)
    cfg = RunConfig()
    cfg.model.options = {"num_residual_blocks": 1}
    return build_generator(cfg.model).eval(), cfg


def test_add_list_resolve_remove(library, tmp_path, capsys):
    g, cfg = _tiny()
    run = tmp_path / "runs" / "seed-1"
    save_checkpoint(run / "checkpoints" / "best.pt", cfg, g, epoch=3,
                    optimizer_g={"junk": torch.zeros(1000)})
    card = add_model(run, notes="first try")  # a run folder stands for its best checkpoint
    assert card.name == "seed-1" and card.architecture == "seed" and card.kind == "trained"
    assert card.parameters == count_parameters(g)
    # weights only: the optimizer state stays behind, the copy loads like the original
    assert resolve_model("seed-1") == library / "seed-1.safetensors"
    g2, cfg2 = load_model(resolve_model("seed-1"))
    assert cfg2.model.options == cfg.model.options
    for (k, a), b in zip(g.state_dict().items(), g2.state_dict().values()):
        assert torch.equal(a, b), k
    assert [c.name for c in list_models(include_bundled=False)] == ["seed-1"]
    with pytest.raises(LibraryError, match="already in the library"):
        add_model(run)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "seed-1" in out and f"{count_parameters(g):,}" in out and "trained" in out
    remove_model("seed-1")
    assert list_models(include_bundled=False) == []
    with pytest.raises(LibraryError, match="no model named"):
        remove_model("seed-1")


def test_cardless_file_is_listed_and_bad_names_refused(library):
    g, cfg = _tiny()
    export_safetensors(g, library / "dropped.safetensors", cfg)
    (c,) = list_models(include_bundled=False)
    assert (c.name, c.architecture, c.parameters) == ("dropped", "seed", None)
    with pytest.raises(LibraryError, match="model name"):
        add_model(library / "dropped.safetensors", name="../evil")


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("how", ["zip", "legacy", "raw-pickle"])
def test_pickle_with_a_payload_is_refused_without_running(tmp_path, library, capsys, how):
    marker = tmp_path / "payload-ran"
    evil = _Payload()
    evil.marker = marker
    path = tmp_path / "evil.pth"
    obj = {"weight": torch.zeros(2), "x": evil}
    if how == "raw-pickle":
        path.write_bytes(pickle.dumps(obj, protocol=4))
    else:
        torch.save(obj, path, _use_new_zipfile_serialization=(how == "zip"))
    with pytest.raises(ValueError, match="refused"):
        load_model(path)
    assert main(["models", "add", str(path)]) == 2
    assert "refused" in capsys.readouterr().err
    with pytest.raises(ImportRefused, match="refused without running it"):
        read_state_dict(path)
    assert not marker.exists()


def test_foreign_state_dict_without_spandrel_names_the_extra(tmp_path, library):
    pytest.importorskip("torch")
    try:
        import spandrel  # noqa: F401
        pytest.skip("spandrel is installed: tests/published covers this path")
    except Exception:
        pass
    path = tmp_path / "NAFNet-GoPro.pth"
    torch.save({"params": {"intro.weight": torch.zeros(8, 3, 3, 3)}}, path)
    state, _ = read_state_dict(path)  # nested under "params", as BasicSR saves
    assert list(state) == ["intro.weight"]
    with pytest.raises(ModelLoadError, match="published-models extra"):
        load_model(path)
    with pytest.raises(ValueError, match="published-models extra"):
        identify(path)
