"""Published deblurring models (NAFNet, FFTformer, Uformer, KBNet... `.pth` files from
their authors) run like ours, recognised from their state dict by spandrel.

    net, cfg = load_published("NAFNet-GoPro-width64.pth")   # cfg.model.name == "published:NAFNet"
    Deblurrer(net, cfg).deblur(image01)                       # tiling, batch, eval as usual

Safety first: weights are read with `torch.load(weights_only=True)` or safetensors, so a
file that pickles anything beyond tensors and plain containers is refused before any of
it runs. Only image-to-image models at scale 1 with RGB in and out are accepted; a 4x
upscaler, a face restorer or an inpainting model gets a refusal that says what it is.

spandrel is an optional extra (`pip install 'deblur-studio[published]'`): it imports
torchvision, which must be built for the installed torch. Without it, the refusal says
how to install it; the rest of the app is unaffected. Restormer and MPRNet come from
spandrel_extra_arches (`[published-restricted]`: their licences restrict commercial use),
used when installed.
"""
from __future__ import annotations

import pickle
import warnings
import zipfile
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from core.config import RunConfig
from core.fileutil import atomic_save
from core.safetensors_file import UNREADABLE, read_safetensors_file

PREFIX = "published:"  # model names "published:<architecture>" (see core.models.get_spec)
PUBLISHED_FORMAT = "deblur-studio-published"  # safetensors metadata of a library copy
EXTRA_HINT = ("install the published-models extra: pip install 'deblur-studio[published]' "
              "(spandrel, with a torchvision built for your torch)")
# Where authors nest the weights (BasicSR: params/params_ema; Lightning: state_dict)
NESTS = ("params_ema", "params", "state_dict", "model", "net_g", "generator", "net")


class ImportRefused(ValueError):
    def __init__(self, path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def read_state_dict(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors by name, and the safetensors metadata ({} for .pth). Never runs pickled code."""
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(path, "file not found")
    with open(path, "rb") as f:
        head = f.read(2)
    meta: dict[str, str] = {}
    # torch.save writes a zip (PK) or, in the legacy format, a pickle (0x80 protocol byte)
    is_torch = head == b"PK" or head[:1] == b"\x80"
    if path.suffix.lower() == ".safetensors" or not is_torch:
        try:
            meta, tensors = read_safetensors_file(path)
            return tensors, meta
        except UNREADABLE as e:
            if path.suffix.lower() == ".safetensors":
                raise ImportRefused(path, f"not a readable safetensors file: {e}") from None
            raise ImportRefused(path, "not a PyTorch weights file (.pth zip or pickle) "
                                      "nor safetensors") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note on unusual pickle protocols
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # torch's first line suggests weights_only=False; keep only the line naming the culprit
        why = next((ln.strip() for ln in str(e).splitlines() if "GLOBAL" in ln or "Unsupported" in ln), "")
        raise ImportRefused(path, "refused without running it: the file pickles more than "
                                  "weights (objects or code that would run on load); ask for "
                                  "a plain state dict" + (f" ({why})" if why else "")) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as e:
        raise ImportRefused(path, f"not a readable PyTorch file (corrupt or truncated?): "
                                  f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    for _ in range(2):  # {"params_ema": {...}} or {"state_dict": {"model": ...}}
        if isinstance(obj, dict):
            inner = next((obj[k] for k in NESTS if isinstance(obj.get(k), dict)), None)
            if inner is not None and not any(isinstance(v, torch.Tensor) for v in obj.values()):
                obj = inner
    if not isinstance(obj, dict) or not obj:
        raise ImportRefused(path, "holds no state dict (expected parameter names -> tensors)")
    tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise ImportRefused(path, "holds no tensors at its top level or under "
                                  f"{', '.join(NESTS)}")
    return tensors, meta


def _spandrel(path: Path):
    try:
        import spandrel  # late: the optional published-models extra, only for a foreign file
    except ImportError as e:
        raise ImportRefused(path, f"this is not a Deblur Studio model; to use a published model, "
                                  f"{EXTRA_HINT} ({e})") from None
    except RuntimeError as e:  # torchvision built for another torch: "operator torchvision::nms does not exist"
        raise ImportRefused(path, f"spandrel is installed but does not import here ({e}); "
                                  f"torchvision must match torch: {EXTRA_HINT}") from None
    _install_extra_arches()
    return spandrel


def _install_extra_arches() -> None:
    """Restormer, MPRNet, MIRNet2... live in spandrel_extra_arches (non-commercial or
    copyleft licences, so only when the user installed it: the published-restricted extra)."""
    global _extra_done
    if _extra_done:
        return
    _extra_done = True
    try:
        import spandrel_extra_arches  # late: optional, as above
    except ImportError:
        return
    spandrel_extra_arches.install(ignore_duplicates=True)


_extra_done = False


class PublishedNet(nn.Module):
    """A spandrel model as one of our generators: [0, 1] in and out, any size (spandrel pads
    to the architecture's size multiple and crops back)."""

    def __init__(self, descriptor):
        super().__init__()
        self.net = descriptor.model  # a submodule, so .to() and .eval() reach the weights
        self._call = descriptor.__call__  # not an attribute nn.Module would register twice
        self.architecture = descriptor.architecture.id
        # Deblurrer aligns tile origins to this, so tiles see the whole image's grid
        self.multiple = descriptor.size_requirements.multiple_of

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._call(x)

    def to(self, *args, **kwargs):
        # channels_last needs 4-D weights; some architectures hold 5-D ones (FFTformer's
        # frequency filters), so those keep the default layout rather than failing
        try:
            return super().to(*args, **kwargs)
        except RuntimeError:
            if kwargs.pop("memory_format", None) is None:
                raise
            return super().to(*args, **kwargs)


def load_published(path: str | Path) -> tuple[PublishedNet, RunConfig]:
    """Identify a published state dict and wrap it; refuse anything but RGB scale-1
    image restoration, naming what the file is instead."""
    path = Path(path)
    state, meta = read_state_dict(path)
    spandrel = _spandrel(path)
    try:
        desc = spandrel.ModelLoader("cpu").load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        first = ", ".join(list(state)[:3])
        raise ImportRefused(path, f"no architecture spandrel knows matches these {len(state)} "
                                  f"weights (first: {first}); supported deblurring ones include "
                                  f"NAFNet, FFTformer, Uformer, KBNet (and Restormer, MPRNet with "
                                  f"the published-restricted extra)") from None
    except (RuntimeError, KeyError, ValueError, AssertionError) as e:
        raise ImportRefused(path, f"looks like a known architecture but its weights do not "
                                  f"load ({str(e).splitlines()[0][:200]})") from None
    arch = desc.architecture.name
    if not isinstance(desc, spandrel.ImageModelDescriptor):
        raise ImportRefused(path, f"is a {arch} {desc.purpose.lower()} model (it needs a mask), "
                                  f"not an image-to-image deblurring model")
    if desc.scale != 1:
        raise ImportRefused(path, f"is a {desc.scale}x upscaler ({arch}); deblurring models keep "
                                  f"the image size (scale 1), so it is not imported")
    if desc.purpose != "Restoration":
        raise ImportRefused(path, f"is a {arch} {desc.purpose} model, not image restoration")
    if desc.input_channels != 3 or desc.output_channels != 3:
        raise ImportRefused(path, f"is a {arch} model for {desc.input_channels}-channel images; "
                                  f"Deblur Studio runs RGB models")
    net = PublishedNet(desc).eval()
    cfg = RunConfig()
    cfg.model.name = PREFIX + desc.architecture.id
    cfg.model.options = {"file": str(path.resolve()), "source": meta.get("source", path.name)}
    return net, cfg


def save_library_copy(path: str | Path, out: str | Path, source: str) -> Path:
    """The weights of a published file as safetensors (nothing to unpickle ever again),
    with the architecture in the metadata."""
    net, cfg = load_published(path)
    state = {k: v.detach().contiguous().clone() for k, v in net.net.state_dict().items()}
    meta = {"format": PUBLISHED_FORMAT, "architecture": net.architecture, "source": source}
    atomic_save(Path(out), lambda tmp: save_file(state, str(tmp), metadata=meta))
    return Path(out)
