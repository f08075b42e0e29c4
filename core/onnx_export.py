"""ONNX export of our generators, checked against PyTorch before it is handed over.

    report = export_onnx("path/to/model.safetensors", "model.onnx")   # or None: the default model
    report.max_abs_diff                                                # vs PyTorch on 3x67x91

The graph takes what `Deblurrer` takes: float32 RGB N x 3 x H x W in [0, 1], any H and W
(dynamic axes), and returns the same shape in [0, 1]. The model's value range and size
multiple are handled inside the graph (pad by reflection, crop back), so a deployer needs
no knowledge of the architecture. The run's config travels in the ONNX metadata.

Uses the TorchScript-based exporter (`dynamo=False`): it needs only the `onnx` package and
exports the seed model in ~3 s on CPU where the dynamo exporter took ~22 s and needs
onnxscript too; both gave the same numbers (max |diff| 6e-8).
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.config import RunConfig
from core.fileutil import atomic_path
from core.inference import Deblurrer, resolve_model
from core.model_files import load_model
from core.models import ModelSpec, count_parameters, get_spec, run_generator
from core.paths import user_data_dir

FORMAT = "deblur-studio-onnx"
CHECK_SHAPE = (1, 3, 67, 91)  # odd sizes on purpose: padding to the size multiple is exercised
TOLERANCE = 1e-4
OPSET = 17


class ExportError(ValueError):
    pass


class _Graph(nn.Module):
    """[0,1] in, [0,1] out, any size: the generator plus its spec's pre/post-processing."""

    def __init__(self, generator: nn.Module, spec: ModelSpec):
        super().__init__()
        self.generator, self.spec = generator, spec

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return run_generator(self.generator, self.spec, image)


@dataclass(frozen=True)
class ExportReport:
    path: Path
    model: str
    parameters: int
    max_abs_diff: float | None  # vs PyTorch on CHECK_SHAPE; None when onnxruntime is missing
    checked_with: str  # "onnxruntime" | "not checked (onnxruntime not installed)"

    def __str__(self) -> str:
        check = (f"matches PyTorch within {self.max_abs_diff:.1e} on a {CHECK_SHAPE[2]}x{CHECK_SHAPE[3]} "
                 f"image ({self.checked_with})" if self.max_abs_diff is not None else self.checked_with)
        return (f"Exported {self.model} ({self.parameters:,} parameters) to {self.path}: input 'image' "
                f"float32 Nx3xHxW in [0,1], any H and W; {check}")


def _require_onnx():
    try:
        import onnx  # late (and onnxruntime below): the optional onnx extra
    except ImportError:
        raise ExportError("ONNX export needs the onnx package: pip install 'deblur-studio[onnx]' "
                          "(or pip install onnx onnxruntime)") from None
    return onnx


def export_generator(generator: nn.Module, config: RunConfig, out: str | Path, *,
                     check: bool = True, opset: int = OPSET, raw: bool = False) -> ExportReport:
    """Export a generator built from `config` (registered architecture) to `out`.
    `raw=True` exports the bare network (the model's own value range, sizes its spec
    allows), for `OnnxGenerator`, where Deblurrer does the pre/post-processing."""
    onnx = _require_onnx()
    spec = get_spec(config.model.name)
    generator = generator.to("cpu").eval()
    graph = generator if raw else _Graph(generator, spec).eval()
    out = Path(out)
    gen = torch.Generator().manual_seed(0)
    example = torch.rand(CHECK_SHAPE, generator=gen)
    if raw:  # what Deblurrer feeds the bare network: its value range, padded to its multiple
        m = spec.size_multiple
        example = spec.to_model(torch.rand(1, 3, -(-67 // m) * m, -(-91 // m) * m, generator=gen))
    with atomic_path(out) as tmp, warnings.catch_warnings():
        # the tracer warns that Python-side size arithmetic is traced; the dynamic-size
        # check below is what proves the padding follows the input size
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (example,), str(tmp), dynamo=False, opset_version=opset,
                          input_names=["image"], output_names=["deblurred"],
                          dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                                        "deblurred": {0: "batch", 2: "height", 3: "width"}})
        m = onnx.load(str(tmp))
        io = ("float32 RGB Nx3xHxW in the model's value range (raw network)" if raw
              else "float32 RGB Nx3xHxW in [0,1]")
        meta = {"format": FORMAT, "model": config.model.name, "config": config.to_json(),
                "input": io, "output": io, "raw": str(raw).lower()}
        for k, v in meta.items():
            m.metadata_props.add(key=k, value=v)
        onnx.checker.check_model(m)
        onnx.save(m, str(tmp))
        diff, how = (_compare(graph, tmp, example, spec if raw else None) if check
                     else (None, "not checked (check=False)"))
        if diff is not None and diff > TOLERANCE:
            raise ExportError(f"{out}: the ONNX graph differs from PyTorch by {diff:.2e} "
                              f"(more than {TOLERANCE:.0e}); not written")
    return ExportReport(out, config.model.name, count_parameters(generator), diff, how)


def _compare(graph: nn.Module, onnx_path: Path, example: torch.Tensor,
             raw_spec: ModelSpec | None = None) -> tuple[float | None, str]:
    try:
        import onnxruntime as ort
    except ImportError:
        return None, "not checked (onnxruntime not installed)"
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    # the traced size and a different one (no padding needed): dynamic axes really work
    other = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(1))
    for x in (example, raw_spec.to_model(other) if raw_spec else other):
        with torch.inference_mode():
            ref = graph(x).numpy()
        got = sess.run(None, {"image": x.numpy()})[0]
        if got.shape != ref.shape:
            raise ExportError(f"{onnx_path}: ONNX output {got.shape} for input {tuple(x.shape)}, "
                              f"PyTorch gives {ref.shape}")
        worst = max(worst, float(np.abs(got - ref).max()))
    return worst, "onnxruntime"


def export_onnx(model: str | Path | None, out: str | Path, *, check: bool = True) -> ExportReport:
    """A model name, file (.safetensors export or training checkpoint) or None (the
    shipped default) -> an ONNX file at `out`."""
    path = resolve_model(model)
    g, cfg = load_model(path)
    return export_generator(g, cfg, out, check=check)


def onnx_metadata(path: str | Path) -> dict[str, str]:
    """The metadata an exported file carries (model name, config JSON, I/O convention)."""
    onnx = _require_onnx()
    m = onnx.load(str(path), load_external_data=False)
    meta = {p.key: p.value for p in m.metadata_props}
    if meta.get("format") != FORMAT:
        raise ExportError(f"{path}: not an ONNX file exported by Deblur Studio")
    return meta


# ---- onnxruntime as an inference backend ----------------------------------------------
# Measured faster than PyTorch on CPU for the default architecture (benchmarks/onnx_vs_torch.py,
# docs/onnx.md), so Deblurrer can run the exported graph instead of the module.
class OnnxGenerator(nn.Module):
    """A raw exported network run by onnxruntime, usable where a generator is (Deblurrer):
    same input and output as the PyTorch module, on the CPU."""

    def __init__(self, onnx_path: str | Path, multiple: int = 1, threads: int | None = None):
        super().__init__()
        try:
            import onnxruntime as ort
        except ImportError:
            raise ExportError("the onnxruntime backend needs onnxruntime: pip install "
                              "'deblur-studio[onnx]'") from None
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads or torch.get_num_threads()
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.multiple = multiple  # Deblurrer aligns tiles to the network's own grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.session.run(None, {"image": x.detach().to("cpu", torch.float32).contiguous().numpy()})[0]
        return torch.from_numpy(y).to(x.device)


def onnx_deblurrer(model: str | Path | None, cache_dir: str | Path | None = None, **kwargs):
    """A Deblurrer (CPU) whose network runs in onnxruntime. The model is exported once and
    checked against PyTorch; the .onnx is cached by the model file's path, size and time."""
    path = resolve_model(model)
    g, cfg = load_model(path)
    if cfg.model.name.startswith("published:"):
        raise ExportError(f"{path}: the onnxruntime backend runs our architectures only")
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    onnx_path = Path(cache_dir or user_data_dir() / "onnx-cache") / f"{path.stem}-{key}.onnx"
    if not onnx_path.is_file():
        export_generator(g, cfg, onnx_path, raw=True)
    net = OnnxGenerator(onnx_path, multiple=int(getattr(g, "multiple", 1)))
    kwargs.setdefault("source", path)
    return Deblurrer(net, cfg, device="cpu", fuse_bn=False, **kwargs)
