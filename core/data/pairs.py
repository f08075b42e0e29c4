"""Find blurred <-> sharp pairs in the layouts people have, and report what is wrong.

Layouts:
- GoPro: <root>/<split>/<scene>/blur|sharp/<name>   (blur_gamma is ignored)
- flat:  <root>/blur/<name> and <root>/sharp/<name>  (same file names)
- RealBlur lists: <root>/*_list.txt, lines "<sharp path> <blur path>" relative to root
- sharp-only: a folder of photos (blur synthesised on the fly)

Discovery never raises on bad files: it returns the usable pairs plus a list of
`Problem`s (unmatched names, size mismatches, unreadable images) for the user.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from core.data.imageio import ImageReadError, image_size, is_image_path


@dataclass(frozen=True)
class ImagePair:
    blur: Path | None  # None for sharp-only data (blur is synthesised)
    sharp: Path
    split: str = ""  # "train", "test", "val" or "" when the data has no split
    scene: str = ""
    size: tuple[int, int] = (0, 0)  # (width, height) of the sharp image

    @property
    def name(self) -> str:
        return f"{self.scene}/{self.sharp.name}" if self.scene else self.sharp.name


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class PairSet:
    root: Path
    layout: str  # "gopro" | "flat" | "realblur" | "sharp-only" | "empty"
    pairs: list[ImagePair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def splits(self) -> dict[str, list[ImagePair]]:
        out: dict[str, list[ImagePair]] = defaultdict(list)
        for p in self.pairs:
            out[p.split].append(p)
        return dict(out)

    def summary(self) -> str:
        counts = ", ".join(f"{k or 'all'}: {len(v)}" for k, v in sorted(self.splits().items()))
        s = f"{self.root}: {self.layout} layout, {len(self.pairs)} usable pairs ({counts or 'none'})"
        if self.problems:
            s += f", {len(self.problems)} problem(s)"
        return s


class DataError(ValueError):
    """The folder cannot be used at all (missing, empty, nothing matched)."""


def _images(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and is_image_path(p)}


def _pair_folder(blur_dir: Path, sharp_dir: Path, split: str, scene: str, out: PairSet, check: bool) -> None:
    blurs, sharps = _images(blur_dir), _images(sharp_dir)
    for name in sorted(set(blurs) - set(sharps)):
        out.problems.append(Problem(blurs[name], f"no sharp image named {name} in {sharp_dir}"))
    for name in sorted(set(sharps) - set(blurs)):
        out.problems.append(Problem(sharps[name], f"no blurred image named {name} in {blur_dir}"))
    for name in sorted(set(blurs) & set(sharps)):
        _add_pair(blurs[name], sharps[name], split, scene, out, check)


def _add_pair(blur: Path, sharp: Path, split: str, scene: str, out: PairSet, check: bool) -> None:
    size = (0, 0)
    if check:
        try:
            bs = image_size(blur)
            size = image_size(sharp)
        except ImageReadError as e:
            out.problems.append(Problem(e.path, e.problem))
            return
        if bs != size:
            out.problems.append(Problem(blur, f"size {bs[0]}x{bs[1]} differs from its sharp image "
                                              f"{sharp.name} ({size[0]}x{size[1]})"))
            return
    out.pairs.append(ImagePair(blur, sharp, split, scene, size))


def discover(root: str | Path, check: bool = True) -> PairSet:
    """Detect the layout under `root` and list its pairs. `check` reads image headers."""
    root = Path(root).expanduser()
    if not root.exists():
        raise DataError(f"{root}: folder not found")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    out = PairSet(root=root, layout="empty")

    lists = sorted(root.glob("*_list.txt"))
    if (root / "blur").is_dir() and (root / "sharp").is_dir():
        out.layout = "flat"
        _pair_folder(root / "blur", root / "sharp", "", "", out, check)
    elif lists:
        out.layout = "realblur"
        for lst in lists:
            split = "train" if "train" in lst.stem.lower() else "test" if "test" in lst.stem.lower() else ""
            for n, line in enumerate(lst.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) < 2:
                    out.problems.append(Problem(lst, f"line {n}: expected '<sharp path> <blur path>'"))
                    continue
                sharp, blur = root / parts[0], root / parts[1]
                missing = [p for p in (sharp, blur) if not p.is_file()]
                if missing:
                    out.problems.append(Problem(missing[0], f"listed in {lst.name} line {n} but missing"))
                    continue
                scene = sharp.parent.parent.name if sharp.parent.name.lower() in ("gt", "sharp") else ""
                _add_pair(blur, sharp, split, scene, out, check)
    else:
        gopro = sorted(p.parent for p in root.glob("*/*/blur") if p.is_dir()
                       and (p.parent / "sharp").is_dir())
        if gopro:
            out.layout = "gopro"
            for scene_dir in gopro:
                _pair_folder(scene_dir / "blur", scene_dir / "sharp", scene_dir.parent.name,
                             scene_dir.name, out, check)
        else:
            sharp_only = sorted(p for p in root.rglob("*") if p.is_file() and is_image_path(p))
            if sharp_only:
                out.layout = "sharp-only"
                for p in sharp_only:
                    rel = p.parent.relative_to(root)
                    size = (0, 0)
                    if check:
                        try:
                            size = image_size(p)
                        except ImageReadError as e:
                            out.problems.append(Problem(e.path, e.problem))
                            continue
                    out.pairs.append(ImagePair(None, p, "", "" if str(rel) == "." else str(rel), size))
    return out
