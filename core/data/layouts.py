"""Which data set layout a folder has, judged from names alone (no image is read), the
paired sets just below a folder that is not one, and what to tell a user whose folder
is no data set at all.

Why this exists: the parent of a paired set (say `X/` holding `levin2009/blur` and
`levin2009/sharp`) is full of photos, so `discover` would read it as sharp-only data
and training would take the blurred photos for sharp ones. Finding the paired sets one
or two levels down lets the app and the CLI offer the right folder instead.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from core.data.imageio import IMAGE_SUFFIXES

# What `discover` accepts, in words for messages (the app and `deblur train` quote it).
ACCEPTED = ("blur/ and sharp/ folders holding the same file names",
            "a GoPro tree (<split>/<scene>/blur and sharp)",
            "RealBlur *_list.txt files",
            "a folder of sharp photos (" + ", ".join(sorted(IMAGE_SUFFIXES)) + ") for training with synthetic blur")
ACCEPTED_TEXT = "; ".join(ACCEPTED[:-1]) + "; or " + ACCEPTED[-1]

# Folder names that say "these photos are the blurred ones": taken as sharp photos
# (sharp-only layout) they would teach a model to keep the blur, so discovery warns.
BLUR_NAMES = frozenset({"blur", "blurred", "blurry", "blur_gamma", "input", "inputs"})

MAX_DIRS = 2000  # folders looked at by find_pair_sets: a huge photo library stays quick


def paired_layout(folder: Path) -> str | None:
    """'flat', 'realblur' or 'gopro' when `folder` is a paired set (same order of
    precedence as `discover`), else None. Cheap: lists at most three levels of names."""
    try:
        if (folder / "blur").is_dir() and (folder / "sharp").is_dir():
            return "flat"
        if any(folder.glob("*_list.txt")):
            return "realblur"
        if any(p.is_dir() and (p.parent / "sharp").is_dir() for p in folder.glob("*/*/blur")):
            return "gopro"
    except OSError:  # unreadable folder: not a set we can offer
        return None
    return None


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def find_pair_sets(root: str | Path, depth: int = 2) -> list[Path]:
    """Paired data sets one to `depth` levels below `root` (never `root` itself),
    shallowest first, then by name. A set's own sub-folders are not searched, so a
    GoPro tree is offered once, not once per scene."""
    root = Path(root).expanduser()
    found: list[Path] = []
    level, seen = [root], 0
    for _ in range(depth):
        below: list[Path] = []
        for d in level:
            for child in _subfolders(d):
                seen += 1
                if seen > MAX_DIRS:
                    return found
                if paired_layout(child):
                    found.append(child)
                else:
                    below.append(child)
        level = below
    return found


def nested_hint(root: str | Path) -> str | None:
    """'did you mean X/levin2009?' when `root` is not a paired set but holds some; None
    when it is one, or holds none (the CLI refuses to train on such a parent)."""
    root = Path(root).expanduser()
    if not root.is_dir() or paired_layout(root):
        return None
    sets = find_pair_sets(root)
    if not sets:
        return None
    more = f" (or {', '.join(str(s) for s in sets[1:4])}{' …' if len(sets) > 4 else ''})" if len(sets) > 1 else ""
    return (f"{root} is not a paired data set itself, but holds {len(sets)} below it: "
            f"did you mean {sets[0]}?{more} Its photos would otherwise be read as sharp ones, "
            f"blurred photos included.")


def why_not_a_dataset(root: Path) -> str:
    """What `root` holds, for a folder where `discover` found no image at all."""
    try:
        entries = [p for p in root.rglob("*") if not any(part.startswith(".") for part in p.relative_to(root).parts)]
    except OSError as e:
        return f"its contents cannot be listed ({e.strerror or e})"
    files = [p for p in entries if p.is_file()]
    if not entries:
        return "the folder is empty"
    if not files:
        return f"it holds only {len(entries)} empty sub-folder(s)"
    kinds = Counter(p.suffix.lower() or "(no extension)" for p in files)
    listed = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in kinds.most_common(4))
    return f"none of its {len(files)} file(s) is an image ({listed}{', …' if len(kinds) > 4 else ''})"


def not_a_dataset_message(root: Path, why: str) -> str:
    """Names the folder, what it holds, and what would have been accepted."""
    return f"{root} is not a data set: {why}. Accepted layouts: {ACCEPTED_TEXT}."
