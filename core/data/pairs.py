"""Find blurred <-> sharp pairs in the layouts people have, and report what is wrong.

Layouts:
- GoPro: <root>/<split>/<scene>/blur|sharp/<name>   (blur_gamma is ignored)
- flat:  <root>/blur/<name> and <root>/sharp/<name>  (same file names)
- RealBlur lists: <root>/*_list.txt, lines "<sharp path> <blur path>" relative to root
- sharp-only: a folder of photos (blur synthesised on the fly)

Discovery never raises on bad files: it returns the usable pairs plus a list of
`Problem`s (unmatched names, size mismatches, unreadable images) for the user.
A folder read as sharp-only that holds paired sets below it, or photos in a folder
named like blurred ones (blur/, input/...), gets warnings in that list and the sets in
`PairSet.nested` (core.data.layouts), so nobody trains on blurred photos as sharp ones
without being told. A folder with no image at all says why in `PairSet.note`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from core.data.imageio import ImageReadError, image_size, is_image_path
from core.data.layouts import BLUR_NAMES, find_pair_sets, not_a_dataset_message, why_not_a_dataset


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
    warning: bool = False  # the data is usable but probably not what the user meant

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class PairSet:
    root: Path
    layout: str  # "gopro" | "flat" | "realblur" | "sharp-only" | "empty"
    pairs: list[ImagePair] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    nested: list[Path] = field(default_factory=list)  # paired sets below a root that is not one
    note: str = ""  # "empty" layout: what the folder holds instead of images

    @property
    def is_dataset(self) -> bool:
        """False when nothing usable was recognised (the app keeps such folders out of Recent)."""
        return self.layout != "empty"

    def splits(self) -> dict[str, list[ImagePair]]:
        out: dict[str, list[ImagePair]] = defaultdict(list)
        for p in self.pairs:
            out[p.split].append(p)
        return dict(out)

    def summary(self) -> str:
        if not self.is_dataset:
            return not_a_dataset_message(self.root, self.note or "no images found")
        counts = ", ".join(f"{k or 'all'}: {len(v)}" for k, v in sorted(self.splits().items()))
        s = f"{self.root}: {self.layout} layout, {len(self.pairs)} usable pairs ({counts or 'none'})"
        warnings = sum(p.warning for p in self.problems)
        if len(self.problems) > warnings:
            s += f", {len(self.problems) - warnings} problem(s)"
        if warnings:
            s += f", {warnings} warning(s)"
        if self.nested:
            s += f"; paired set(s) below it: {', '.join(str(p.relative_to(self.root)) for p in self.nested[:3])}"
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
                _warn_sharp_only(out)
            else:
                out.note = why_not_a_dataset(root)
                out.nested = find_pair_sets(root)
    return out


def _warn_sharp_only(out: PairSet) -> None:
    """Sharp-only data: say so when the photos are probably blurred ones, or when real
    pairs sit below the folder (the user most likely opened their parent). Warnings
    go first in the problems list: they concern the whole set, not one file."""
    warnings: list[Problem] = []
    out.nested = find_pair_sets(out.root)
    if out.nested:
        names = ", ".join(str(p.relative_to(out.root)) for p in out.nested[:4])
        warnings.append(Problem(out.root, f"read as sharp photos, but paired data set(s) lie below it "
                                          f"({names}{', …' if len(out.nested) > 4 else ''}): open one of "
                                          f"those to use its blurred/sharp pairs", warning=True))
    named: dict[Path, int] = {}  # the shallowest blur-named folder -> its photos
    for p in out.pairs:
        rel_parts = p.sharp.relative_to(out.root).parts[:-1]
        hit = next((i for i, part in enumerate(rel_parts) if part.lower() in BLUR_NAMES), None)
        if hit is not None:
            folder = out.root.joinpath(*rel_parts[:hit + 1])
        elif out.root.name.lower() in BLUR_NAMES:
            folder = out.root
        else:
            continue
        named[folder] = named.get(folder, 0) + 1
    for folder, n in sorted(named.items()):
        warnings.append(Problem(folder, f"{n} photo(s) in a folder named '{folder.name}' are taken as sharp "
                                        f"ones (sharp-only layout); if they are blurred, a model trained on "
                                        f"them learns to keep the blur", warning=True))
    out.problems[:0] = warnings
