"""Calibration of the blur score (core/triage/score.py): how well it separates blurred
from sharp photos, and how often it calls a sharp but compressed or noisy photo
blurred. Not a test; the figures and the chosen threshold are in docs/blur-triage.md.

    python benchmarks/calibrate_triage.py [WORK_DIR]

Sharp sources: ../shared/data/sharp kodak24 (24) + mcmaster18 (18) + the first 40 of
bsds_train200, copied to WORK_DIR/src (default /tmp/deblur-triage-cal, never the repo).
1. Synthetic: `deblur synth WORK_DIR/src -o WORK_DIR/synth --seed 1` (camera shake
   3-31 px, noise, sometimes JPEG; its ~5 % pairs left unblurred are dropped, as their
   "blurred" photo is sharp); AUC of blurred vs their sharp sources.
2. Levin 2009 real camera shake: 32 blurred vs 32 sharp (255x255 grey).
3. Sharp sources saved as JPEG q30/q50/q75 and with Gaussian noise sigma 5, 10, 20/255:
   the share flagged as blurred at each threshold (must stay < 1 in 20 at q50 and heavy noise).
Every photo goes through core.triage.scan, as `deblur scan` reads it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared/data"
sys.path.insert(0, str(ROOT))


def auc(pos, neg) -> float:
    """ROC AUC = P(a blurred photo scores above a sharp one), ties half."""
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def scores(folder: Path) -> dict[str, float]:
    from core.triage import scan
    from core.events import PhotoScored
    return {Path(e.path).name: e.score for e in scan([folder]) if isinstance(e, PhotoScored)}


def variants(src: Path, work: Path) -> dict[str, Path]:
    from PIL import Image
    rng = np.random.default_rng(0)
    out = {}
    for q in (30, 50, 75):
        d = out[f"JPEG q{q}"] = work / f"q{q}"
        d.mkdir(exist_ok=True)
        for p in sorted(src.glob("*.png")):
            Image.open(p).convert("RGB").save(d / f"{p.stem}.jpg", quality=q)
    for s in (5, 10, 20):
        d = out[f"noise {s}/255"] = work / f"noise{s}"
        d.mkdir(exist_ok=True)
        for p in sorted(src.glob("*.png")):
            a = np.asarray(Image.open(p).convert("RGB"), np.float32)
            a = np.clip(a + rng.normal(0, s, a.shape), 0, 255)
            Image.fromarray((a + 0.5).astype(np.uint8)).save(d / p.name)
    return out


def main() -> None:
    from core.triage.score import THRESHOLD
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/deblur-triage-cal")
    src = work / "src"
    if not src.is_dir():
        src.mkdir(parents=True)
        for sub, n in (("kodak24", None), ("mcmaster18", None), ("bsds_train200", 40)):
            for p in sorted((DATA / "sharp" / sub).glob("*.png"))[:n]:
                shutil.copy(p, src / p.name)
    synth = work / "synth"
    if not (synth / "blur").is_dir():
        subprocess.run([str(Path(sys.executable).with_name("deblur")), "synth", str(src), "-o", str(synth),
                        "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    blur, sharp = scores(synth / "blur"), scores(synth / "sharp")
    moved = [n for n in blur if (np.load(synth / "kernels" / f"{Path(n).stem}.npy") > 1e-3).sum() > 1]
    sb = [blur[n] for n in moved]
    ss = [sharp[n] for n in moved]
    print(f"synthetic: {len(moved)} blurred vs their sharp sources: AUC {auc(sb, ss):.4f}")
    lb = list(scores(DATA / "real_pairs/levin2009/blur").values())
    ls = list(scores(DATA / "real_pairs/levin2009/sharp").values())
    print(f"Levin 2009: {len(lb)} blurred vs {len(ls)} sharp: AUC {auc(lb, ls):.4f}")
    extra = {name: list(scores(d).values()) for name, d in variants(src, work).items()}
    thresholds = (2.0, 2.25, 2.5, 2.75, 3.0)
    print("\nshare flagged as blurred (score >= threshold):")
    print(f"{'set':<26}" + "".join(f"{t:>7}" for t in thresholds))
    rows = {"synthetic blurred": sb, "synthetic sharp sources": ss, "Levin blurred": lb,
            "Levin sharp": ls, **{f"sharp, {k}": v for k, v in extra.items()}}
    for name, vals in rows.items():
        v = np.asarray(vals)
        print(f"{name:<26}" + "".join(f"{(v >= t).mean():7.3f}" for t in thresholds) + f"   (n={v.size})")
    print(f"\nthreshold in force: {THRESHOLD}")


if __name__ == "__main__":
    main()
