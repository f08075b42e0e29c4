"""Table and plot of the quality study (benchmarks/quality_study.py): PSNR against
training CPU-seconds per config, drawn with Pillow (no plotting dependency)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]


def blurred_baseline(data_root: Path) -> tuple[float, float]:
    """PSNR/SSIM of the blurred validation inputs themselves (what doing nothing scores)."""
    from core.data.imageio import read_rgb, to_uint8
    from core.metrics import psnr, ssim

    ps, ss = [], []
    for b in sorted((data_root / "val" / "s0" / "blur").glob("*.png")):
        s = data_root / "val" / "s0" / "sharp" / b.name
        b8, s8 = to_uint8(read_rgb(b)), to_uint8(read_rgb(s))
        ps.append(psnr(b8, s8))
        ss.append(ssim(b8, s8))
    return float(np.mean(ps)), float(np.mean(ss))


def plot(curves: dict[str, list[dict]], baseline: float, path: Path, size=(900, 540), ylim=None) -> None:
    """`ylim` zooms in: points outside it are left out (a curve far below stays off the chart)."""
    w, h = size
    left, right, top, bottom = 70, 250, 30, 50
    img = Image.new("RGB", size, "white")
    dr = ImageDraw.Draw(img)
    xs = [p["cpu_s"] for c in curves.values() for p in c]
    ys = [p["psnr"] for c in curves.values() for p in c] + [baseline]
    x1 = max(xs) * 1.02
    y0, y1 = ylim or (np.floor(min(ys)) - 0.5, np.ceil(max(ys)) + 0.5)
    curves = {k: [p for p in c if y0 <= p["psnr"] <= y1] for k, c in curves.items()}
    fx = lambda x: left + (w - left - right) * x / x1  # noqa: E731
    fy = lambda y: h - bottom - (h - top - bottom) * (y - y0) / (y1 - y0)  # noqa: E731
    dr.rectangle([left, top, w - right, h - bottom], outline="black")
    grid = 0.1 if y1 - y0 < 1.5 else 1 if y1 - y0 < 12 else 2
    for yv in np.arange(np.ceil(y0 / grid) * grid, y1, grid):
        dr.line([left, fy(yv), w - right, fy(yv)], fill=(225, 225, 225))
        dr.text((left - 40, fy(yv) - 6), f"{yv:.1f}" if grid < 1 else f"{yv:.0f}", fill="black")
    step = 30 if x1 <= 300 else 60
    for xv in range(0, int(x1) + 1, step):
        dr.line([fx(xv), h - bottom, fx(xv), h - bottom + 4], fill="black")
        dr.text((fx(xv) - 8, h - bottom + 8), f"{xv}", fill="black")
    dr.text(((w - right) / 2 - 60, h - 20), "training CPU-seconds (1 thread)", fill="black")
    dr.text((5, top - 20), "validation PSNR (dB)", fill="black")
    for xv in range(int(fx(0)), int(fx(x1 / 1.02)), 8):  # dashed baseline
        dr.line([xv, fy(baseline), xv + 4, fy(baseline)], fill=(90, 90, 90), width=2)
    ly = top + 10 + 20 * len(curves)
    dr.line([w - right + 10, ly + 6, w - right + 35, ly + 6], fill=(90, 90, 90), width=1)
    dr.text((w - right + 40, ly), "blurred input (no model)", fill="black")
    for i, (name, c) in enumerate(curves.items()):
        col = COLOURS[i % len(COLOURS)]
        pts = [(fx(p["cpu_s"]), fy(p["psnr"])) for p in c]
        if len(pts) > 1:
            dr.line(pts, fill=col, width=3)
        for x, y in pts:
            dr.ellipse([x - 3, y - 3, x + 3, y + 3], fill=col)
        ly = top + 10 + 20 * i
        dr.line([w - right + 10, ly + 6, w - right + 35, ly + 6], fill=col, width=3)
        dr.text((w - right + 40, ly), name, fill="black")
    img.save(path)


def at_budget(curve: list[dict], budget: float) -> dict | None:
    """The last validation done within `budget` training CPU-seconds."""
    inside = [p for p in curve if p["cpu_s"] <= budget * 1.1]  # validations fall every 16 steps
    return inside[-1] if inside else None


def report(out: Path, docs: Path, budgets=(90, 180)) -> None:
    from benchmarks.quality_study import DATA, configs

    curves = {}
    for name in configs():
        f = out / name / "curve.json"
        if f.is_file():
            curves[name] = json.loads(f.read_text())
    base_p, base_s = blurred_baseline(DATA)
    plot(curves, base_p, docs / "quality-study.png")
    top = max(p["psnr"] for c in curves.values() for p in c)
    plot(curves, base_p, docs / "quality-study-zoom.png", ylim=(base_p - 0.1, top + 0.05))
    print(f"Blurred input (no model): PSNR {base_p:.2f} dB, SSIM {base_s:.4f}\n")
    head = " | ".join(f"PSNR / SSIM within {b} CPU-s" for b in budgets)
    print(f"| config | steps done | CPU s / step | {head} |")
    print("|---|---|---|" + "---|" * len(budgets))
    for name, c in curves.items():
        last = c[-1]
        cells = []
        for b in budgets:
            p = at_budget(c, b) if last["cpu_s"] >= b * 0.95 else None
            cells.append(f"{p['psnr']:.2f} / {p['ssim']:.4f}" if p else "not run")
        print(f"| {name} | {last['step']} | {last['cpu_s'] / max(last['step'], 1):.2f} | " + " | ".join(cells) + " |")
