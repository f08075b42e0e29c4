"""Published models through spandrel (the `published` extra): run by
`bash scripts/test_published.sh`, skipped where spandrel does not import.

State dicts are made from spandrel's own architecture classes with random weights, saved
as the authors save them (.pth, BasicSR's {"params": ...}), then imported and run.
Restormer and MPRNet join when spandrel_extra_arches (published-restricted) is installed."""
import numpy as np
import pytest
import torch

try:
    import spandrel  # noqa: F401
except Exception as e:  # ImportError, or torchvision built for another torch (RuntimeError)
    pytest.skip(f"spandrel does not import here ({type(e).__name__}): install the published extra",
                allow_module_level=True)

from PIL import Image
from spandrel.architectures.ESRGAN import ESRGAN
from spandrel.architectures.FFTformer import FFTformer
from spandrel.architectures.NAFNet import NAFNet

from core.cli import main
from core.data.imageio import read_rgb, to_uint8
from core.inference import Deblurrer
from core.model_files import ModelLoadError, load_model
from core.model_library import add_model, list_models
from core.models import count_parameters


def _randomise(net: torch.nn.Module, seed: int) -> torch.nn.Module:
    # NAFNet starts as an identity (beta/gamma zero); small random weights give a real
    # change without saturating the output
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return net.eval()


NETS = {
    "NAFNet": lambda: NAFNet(img_channel=3, width=8, middle_blk_num=1, enc_blk_nums=[1, 1], dec_blk_nums=[1, 1]),
    "FFTformer": lambda: FFTformer(dim=8, num_blocks=[1, 1, 1], num_refinement_blocks=1),
}
try:  # the published-restricted extra: Restormer, MPRNet (non-commercial licences)
    from spandrel_extra_arches.architectures.MPRNet import MPRNet
    from spandrel_extra_arches.architectures.Restormer import Restormer

    NETS["Restormer"] = lambda: Restormer(dim=8, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1,
                                          heads=[1, 1, 1, 1])
    NETS["MPRNet"] = lambda: MPRNet(n_feat=8, scale_unetfeats=4, scale_orsnetfeats=4, num_cab=1)
except ImportError:
    pass


def _direct(net, img):
    with torch.inference_mode():
        out = net(torch.from_numpy(img).permute(2, 0, 1)[None])
    out = out[0] if isinstance(out, (list, tuple)) else out  # MPRNet returns its stages, finest first
    return out.clamp(0, 1)[0].permute(1, 2, 0).numpy()


@pytest.fixture
def library(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "DeblurStudio" / "models"


def _photo(h, w, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.random((h // 8, w // 8, 3))
    return np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)) / 255.0


@pytest.mark.parametrize("arch", sorted(NETS))
def test_published_model_runs_like_ours(arch, tmp_path, library):
    net = _randomise(NETS[arch](), 1)
    path = tmp_path / f"{arch}-GoPro.pth"
    torch.save({"params": net.state_dict()}, path)

    g, cfg = load_model(path)
    assert cfg.model.name == f"published:{arch}"
    assert count_parameters(g) == count_parameters(net)
    # 128x192: a multiple of every grid involved, so a one-tile run pads nothing and must
    # equal the network called directly
    img = _photo(128, 192).astype(np.float32)
    direct = _direct(net, img)
    assert np.abs(direct - img).mean() > 0.005 and 0 < direct.mean() < 1  # a real, unsaturated change
    d = Deblurrer(g, cfg, device="cpu")
    np.testing.assert_allclose(d.deblur(img, tile=0), direct, atol=1e-5)
    # several tiles: context and blend hide the seams (NAFNet's channel attention pools
    # globally, so tiles are not exact in general; here they agree to ~1e-7)
    assert len(d.grid(128, 192, 160)) > 1
    tiled = d.deblur(img, tile=160)
    if arch == "MPRNet":  # its stages cut the image into fixed halves/quarters: tiles see other cuts
        assert np.abs(tiled - direct).mean() < 5e-3
    else:
        assert np.abs(tiled - direct).max() < 1e-3

    # the command line, as a user runs it
    src = tmp_path / "in" / "photo.png"
    src.parent.mkdir()
    Image.fromarray(to_uint8(img)).save(src)
    assert main(["run", str(src), "-o", str(tmp_path / "out"), "--model", str(path), "--device", "cpu"]) == 0
    out = to_uint8(read_rgb(tmp_path / "out" / "photo.png"))
    assert np.abs(out.astype(int) - to_uint8(direct).astype(int)).max() <= 1

    # into the library: safetensors copy, listed with architecture and size
    card = add_model(path)
    assert (card.architecture, card.kind, card.parameters) == (arch, "published", count_parameters(net))
    assert [c.name for c in list_models(include_bundled=False)] == [f"{arch}-GoPro"]
    g2, _ = load_model(card.file)
    for a, b in zip(net.state_dict().values(), g2.net.state_dict().values()):
        assert torch.equal(a, b)


def test_upscaler_is_refused(tmp_path, library, capsys):
    net = ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=4)
    path = tmp_path / "4x-UltraSharp.pth"
    torch.save(net.state_dict(), path)
    with pytest.raises(ModelLoadError, match="4x upscaler"):
        load_model(path)
    assert main(["models", "add", str(path)]) == 2
    assert "upscaler" in capsys.readouterr().err
    assert list_models(include_bundled=False) == []


def test_unknown_architecture_is_refused(tmp_path, library):
    path = tmp_path / "mystery.pth"
    torch.save({"conv.weight": torch.zeros(4, 3, 3, 3)}, path)
    with pytest.raises(ModelLoadError, match="no architecture spandrel knows"):
        load_model(path)
