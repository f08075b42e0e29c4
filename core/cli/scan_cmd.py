"""`deblur scan`: score every photo below some folders for blur, most blurred first,
so only the photos that need it get deblurred; bursts show which shot to keep."""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

from core.cli.common import CliError
from core.events import BurstFound, FileFailed, PhotoScored, ScanFinished, ScanStarted
from core.triage import THRESHOLD, scan

ACTION_KEEP, ACTION_DEBLUR, ACTION_DROP = "keep", "deblur", "drop"


def add_parser(sub) -> None:
    p = sub.add_parser("scan", help="find the blurred photos in folders (blur score per photo, bursts)",
                       description="Score every photo below FOLDER (recursive; JPEG, PNG, TIFF, WebP, "
                       "HEIC, AVIF, camera RAW) for blur and print them most blurred first with a suggested "
                       "action. The score is the width in px of the photo's sharper edges at screen size "
                       "(long side 1280 px): about 1-2 for a crisp photo; at or above --threshold it reads "
                       "as blurred. A file that cannot be read is reported and the scan goes on.")
    p.add_argument("folders", nargs="+", type=Path, metavar="FOLDER", help="folders (or single photos)")
    p.add_argument("--threshold", type=float, default=None,
                   help="blur score from which a photo counts as blurred (default: the calibrated value)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    out.add_argument("--json", action="store_true", help="print JSON instead of a table")
    out.add_argument("--list", action="store_true",
                     help="print only the paths of the blurred photos, one a line (for scripts)")
    p.add_argument("--move-blurred", type=Path, metavar="DIR",
                   help="move the blurred photos into DIR, keeping their folders below FOLDER")
    p.add_argument("--bursts", action="store_true",
                   help="group near-identical consecutive shots and mark the sharpest of each")
    p.add_argument("--kernel", action="store_true",
                   help="also estimate the blur length in px (shake engine) for blurred photos; ~1-2 s each")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for f in args.folders:
        if not f.exists():
            raise CliError(f"{f}: no such folder or file")
    threshold = THRESHOLD if args.threshold is None else args.threshold
    scored: list[PhotoScored] = []
    failed: list[FileFailed] = []
    bursts: list[BurstFound] = []
    finished = None
    bar = None
    for ev in scan(args.folders, threshold=threshold, bursts=args.bursts, kernel=args.kernel):
        if isinstance(ev, ScanStarted) and not args.quiet:
            from tqdm import tqdm  # late: only with a progress bar, as in `deblur run`
            bar = tqdm(total=ev.total, unit="photo", file=sys.stderr, leave=False, dynamic_ncols=True)
        elif isinstance(ev, PhotoScored):
            scored.append(ev)
        elif isinstance(ev, FileFailed):
            failed.append(ev)
            (bar.write if bar else lambda s: print(s, file=sys.stderr))(f"deblur scan: {ev.path}: {ev.reason}")
        elif isinstance(ev, BurstFound):
            bursts.append(ev)
        elif isinstance(ev, ScanFinished):
            finished = ev
        if bar is not None and isinstance(ev, (PhotoScored, FileFailed)):
            bar.update(1)
    if bar is not None:
        bar.close()
    rows = table_rows(scored, bursts)
    if args.json:
        print_json(rows, bursts, failed)
    elif args.csv:
        print_csv(rows)
    elif args.list:
        for r in rows:
            if r["blurred"]:
                print(r["path"])
    else:
        print_table(rows, bursts)
    if args.move_blurred:
        move_blurred([r["path"] for r in rows if r["blurred"]], args.folders, args.move_blurred)
    if finished is not None and not (args.json or args.csv or args.list):
        print(finished, f"({finished.cpu_seconds:.1f} CPU-s)")
    return 0 if scored or not failed else 2


def table_rows(scored, bursts) -> list[dict]:
    """One dict per photo, most blurred first, with the suggested action."""
    burst_of = {}
    for n, b in enumerate(bursts, 1):
        for p in b.paths:
            burst_of[p] = (n, b.sharpest)
    rows = []
    for ev in sorted(scored, key=lambda e: -e.score):
        action = ACTION_DEBLUR if ev.blurred else ACTION_KEEP
        burst, sharpest = burst_of.get(ev.path, (None, None))
        if burst is not None and ev.path != sharpest:
            action = ACTION_DROP  # a sharper shot of the same moment exists
        rows.append({"path": ev.path, "score": ev.score, "blurred": ev.blurred,
                     "blur_px": None if ev.blur_px is None else round(ev.blur_px, 1),
                     "action": action, "burst": burst, "sharpest_in_burst": burst is not None and ev.path == sharpest,
                     "width": ev.width, "height": ev.height, "decoded": ev.source})
    return rows


def print_table(rows: list[dict], bursts) -> None:
    if not rows:
        print("no photos scored")
        return
    print(f"{'score':>6}  {'blur px':>7}  {'action':<7} {'burst':<6} path")
    for r in rows:
        px = f"{r['blur_px']:.0f}" if r["blur_px"] is not None else "-"
        burst = "" if r["burst"] is None else f"#{r['burst']}" + ("*" if r["sharpest_in_burst"] else "")
        print(f"{r['score']:6.2f}  {px:>7}  {r['action']:<7} {burst:<6} {r['path']}")
    if bursts:
        print()
        for n, b in enumerate(bursts, 1):
            print(f"burst #{n}: {len(b.paths)} shots, sharpest (*) {b.sharpest}")
            for p in b.paths:
                print(f"    {'*' if p == b.sharpest else ' '} {p}")


def print_csv(rows: list[dict]) -> None:
    w = csv.writer(sys.stdout)
    w.writerow(["path", "score", "blur_px", "action", "burst", "sharpest_in_burst"])
    for r in rows:
        w.writerow([r["path"], f"{r['score']:.3f}", "" if r["blur_px"] is None else r["blur_px"], r["action"],
                    "" if r["burst"] is None else r["burst"], int(r["sharpest_in_burst"])])


def print_json(rows: list[dict], bursts, failed) -> None:
    print(json.dumps({"photos": rows,
                      "bursts": [{"paths": b.paths, "sharpest": b.sharpest} for b in bursts],
                      "failed": [{"path": f.path, "reason": f.reason} for f in failed]}, indent=1))


def move_blurred(paths: list[str], roots: list[Path], dest: Path) -> None:
    """Move each file to DEST/<its path below the root it was found under>, never
    overwriting (a name taken gets ' (2)', ' (3)'...)."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in map(Path, paths):
        rel = Path(p.name)
        for root in roots:
            if root.is_dir():
                try:
                    rel = p.relative_to(root)
                    break
                except ValueError:
                    continue
        target = dest / rel
        n = 2
        while target.exists():
            target = target.with_name(f"{rel.stem} ({n}){rel.suffix}")
            n += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(p), str(target))
        print(f"moved {p} -> {target}", file=sys.stderr)
