"""The model library: the user's own and imported models in one folder, each with a card.

    add_model("runs/seed-2026.../checkpoints/best.pt", name="my-gopro")   # or a published .pth
    for card in list_models(): print(card.name, card.architecture, card.parameters)
    remove_model("my-gopro")

Folder: `<user data dir>/models` (platformdirs), the folder `resolve_model` searches, so
`deblur run --model my-gopro` finds what was added. Each model is `<name>.safetensors`
(weights only, nothing to unpickle: a training checkpoint loses its optimizer state, a
published .pth becomes safetensors) plus `<name>.json`, its card. Models shipped with the
app (resources/models) are listed too, as "bundled".
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from core.fileutil import atomic_write_text
from core.model_files import export_safetensors, load_model
from core.models import count_parameters
from core.models.imported import PREFIX, save_library_copy
from core.paths import default_runs_dir, resource_path, user_data_dir
from core.run_folder import RunFolder
from core.safetensors_file import UNREADABLE, read_safetensors_file

log = logging.getLogger(__name__)

CARD_VERSION = 1


class LibraryError(ValueError):
    pass


@dataclass
class ModelCard:
    name: str
    file: str  # absolute path of the weights
    architecture: str  # our registered name ("seed", "nafnet-s") or a published one ("NAFNet")
    parameters: int | None
    kind: str  # "trained" (ours) | "published" (imported through spandrel) | "bundled"
    source: str = ""  # where it was added from
    added: str = ""  # UTC, ISO 8601
    notes: str = ""

    def to_json(self) -> str:
        return json.dumps({"card_version": CARD_VERSION, **asdict(self)}, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "ModelCard":
        d = json.loads(text)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def __str__(self) -> str:
        params = f"{self.parameters:,}" if self.parameters is not None else "?"
        return f"{self.name}: {self.architecture}, {params} parameters, {self.kind} ({self.file})"


def library_dir() -> Path:
    return user_data_dir() / "models"


def _checkpoint_of(path: Path) -> Path:
    """A run folder stands for its best checkpoint (else its last)."""
    if path.is_dir():
        found = RunFolder(path).model_checkpoint()
        if found is not None:
            return found[1]
        raise LibraryError(f"{path}: a folder without checkpoints/best.pt or last.pt "
                           f"(give a model file or a training run folder)")
    return path


def identify(path: str | Path) -> ModelCard:
    """What a model file is (architecture, parameter count) without adding it. Refusals
    (a pickle with code, an upscaler, a missing extra) come as ValueErrors naming the file."""
    path = _checkpoint_of(Path(path).expanduser())
    g, cfg = load_model(path)
    name = cfg.model.name
    kind = "published" if name.startswith(PREFIX) else "trained"
    return ModelCard(name=path.stem, file=str(path.resolve()), architecture=name.removeprefix(PREFIX),
                     parameters=count_parameters(g), kind=kind, source=str(path.resolve()))


def valid_name(name: str) -> str:
    name = name.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}", name) or name.endswith((".safetensors", ".json")):
        raise LibraryError(f"model name {name!r}: use letters, digits, '.', '_' or '-' "
                           f"(it becomes a file name and what --model takes)")
    return name


def add_model(path: str | Path, name: str | None = None, *, replace: bool = False,
              notes: str = "", library: Path | None = None) -> ModelCard:
    """Copy a model into the library as safetensors with a card; returns the card."""
    lib = library or library_dir()
    src = _checkpoint_of(Path(path).expanduser())
    if name is None:
        run = RunFolder.of_checkpoint(src)
        stem = run.name if run is not None else src.stem
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "model"
    name = valid_name(name)
    target = lib / f"{name}.safetensors"
    if (target.exists() or (lib / f"{name}.json").exists()) and not replace:
        raise LibraryError(f"{target}: a model named {name!r} is already in the library "
                           f"(choose another name or replace it)")
    card = identify(src)
    if card.kind == "published":
        save_library_copy(src, target, source=src.name)
    else:
        g, cfg = load_model(src)
        export_safetensors(g, target, cfg)
    card.name, card.file, card.notes = name, str(target), notes
    card.added = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    atomic_write_text(lib / f"{name}.json", card.to_json())
    return card


def _bundled() -> list[ModelCard]:
    out = []
    folder = resource_path("models")
    for f in sorted(folder.glob("*.safetensors")) if folder.is_dir() else []:
        card_file = f.with_suffix(".json")
        if card_file.is_file():
            try:
                c = ModelCard.from_json(card_file.read_text(encoding="utf-8"))
                c.file, c.kind = str(f), "bundled"
                out.append(c)
                continue
            except (ValueError, TypeError) as e:  # listed from the file's own metadata instead
                log.warning("%s: model card unreadable, listed from its weights file (%s)", card_file, e)
        out.append(ModelCard(f.stem, str(f), _arch_from_metadata(f), None, "bundled"))
    return out


def _arch_from_metadata(f: Path) -> str:
    """The architecture a safetensors file names in its metadata, without loading weights."""
    try:
        meta, _ = read_safetensors_file(f, weights=False)
    except UNREADABLE:  # a listing shows "?" rather than failing
        return "?"
    return meta.get("model") or meta.get("architecture") or "?"


def list_models(library: Path | None = None, include_bundled: bool = True) -> list[ModelCard]:
    """Bundled models, then the library's (by name). A weights file without a card (copied
    in by hand) is listed from its metadata; a card whose file is gone is skipped."""
    lib = library or library_dir()
    cards = _bundled() if include_bundled else []
    if lib.is_dir():
        for f in sorted(lib.glob("*.safetensors")):
            card_file = f.with_suffix(".json")
            try:
                c = ModelCard.from_json(card_file.read_text(encoding="utf-8"))
                c.file = str(f)  # the library folder may have moved
            except (OSError, ValueError, TypeError):
                c = ModelCard(f.stem, str(f), _arch_from_metadata(f), None, "trained",
                              notes="no card (added by hand)")
            cards.append(c)
    return cards


def remove_model(name: str, library: Path | None = None) -> None:
    lib = library or library_dir()
    files = [lib / f"{valid_name(name)}.safetensors", lib / f"{name}.json"]
    if not any(f.exists() for f in files):
        raise LibraryError(f"no model named {name!r} in {lib}")
    for f in files:
        f.unlink(missing_ok=True)


def find_models() -> list[tuple[str, Path]]:
    """(label, file) of every model the app offers: the bundled models, the user's library,
    then each training run under the runs folder (its best checkpoint, else its last)."""
    out = [("default model" if c.kind == "bundled" and c.name == "default" else c.name, Path(c.file))
           for c in list_models()]
    runs = default_runs_dir()
    if runs.is_dir():
        for run in sorted(runs.iterdir()):
            found = RunFolder(run).model_checkpoint()
            if found is not None:
                out.append((f"run {run.name} ({found[0]})", found[1]))
    return out
