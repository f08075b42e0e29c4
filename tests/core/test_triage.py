"""Blur triage (core/triage, `deblur scan`) on images the tests draw themselves."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.events import FileFailed
from core.triage import THRESHOLD, measure, scan
from core.events import BurstFound, PhotoScored, ScanFinished


def scene(seed: int = 0, h: int = 240, w: int = 320) -> np.ndarray:
    """Grey [0, 1] picture of overlapping rectangles: crisp edges in every direction."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w), 0.5, np.float32)
    for _ in range(40):
        y, x = rng.integers(0, h - 20), rng.integers(0, w - 20)
        img[y:y + rng.integers(10, 80), x:x + rng.integers(10, 80)] = rng.uniform(0.05, 0.95)
    return img


def shake(img: np.ndarray, length: int) -> np.ndarray:
    """Horizontal box blur (a straight camera shake), edges replicated."""
    p = np.pad(img, ((0, 0), (length, length)), mode="edge")
    c = np.cumsum(np.pad(p, ((0, 0), (1, 0))), axis=1)
    out = (c[:, length:] - c[:, :-length]) / length
    lo = (length + 1) // 2
    return out[:, lo:lo + img.shape[1]].astype(np.float32)


def save_jpeg(path: Path, grey: np.ndarray, taken: str | None = None) -> Path:
    rgb = np.repeat((np.clip(grey, 0, 1) * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=2)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    Image.fromarray(rgb).save(path, quality=95, exif=exif.tobytes())
    return path


def test_score_orders_blurred_above_its_sharp_source():
    sharp = scene()
    s = measure(sharp).score
    b = measure(shake(sharp, 9)).score
    assert s < THRESHOLD <= b
    assert measure(shake(sharp, 4)).score < b  # more blur, higher score


def test_noise_does_not_read_as_blur():
    sharp = scene(1)
    noisy = np.clip(sharp + np.random.default_rng(0).normal(0, 0.06, sharp.shape), 0, 1).astype(np.float32)
    assert measure(noisy).score < THRESHOLD


def test_burst_of_three_grouped_with_sharp_one_marked(tmp_path):
    base = scene(2)
    save_jpeg(tmp_path / "IMG_001.jpg", shake(base, 8), "2024:05:01 10:00:00")
    save_jpeg(tmp_path / "IMG_002.jpg", base, "2024:05:01 10:00:01")
    save_jpeg(tmp_path / "IMG_003.jpg", shake(base, 12), "2024:05:01 10:00:01")
    save_jpeg(tmp_path / "IMG_004.jpg", scene(3), "2024:05:01 10:00:02")   # another scene
    save_jpeg(tmp_path / "IMG_005.jpg", base, "2024:05:01 10:05:00")       # same scene, much later
    events = list(scan([tmp_path], bursts=True))
    bursts = [e for e in events if isinstance(e, BurstFound)]
    assert len(bursts) == 1
    assert [Path(p).name for p in bursts[0].paths] == ["IMG_001.jpg", "IMG_002.jpg", "IMG_003.jpg"]
    assert Path(bursts[0].sharpest).name == "IMG_002.jpg"


def test_corrupt_file_is_reported_and_scan_goes_on(tmp_path):
    save_jpeg(tmp_path / "good.jpg", scene(4))
    (tmp_path / "broken.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x17" * 200)
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "good.jpg").read_bytes()[:300])
    events = list(scan([tmp_path]))
    failed = {Path(e.path).name: e.reason for e in events if isinstance(e, FileFailed)}
    assert set(failed) == {"broken.heic", "cut.jpg"}
    assert all(r for r in failed.values())
    assert [Path(e.path).name for e in events if isinstance(e, PhotoScored)] == ["good.jpg"]
    assert isinstance(events[-1], ScanFinished) and events[-1].failed == 2


def test_scan_cli_table_json_list_and_move(tmp_path, capsys):
    from core.cli import main

    photos = tmp_path / "trip"
    (photos / "day2").mkdir(parents=True)
    save_jpeg(photos / "sharp.jpg", scene(5))
    save_jpeg(photos / "day2" / "shaky.jpg", shake(scene(6), 10))
    (photos / "notes.txt").write_text("not a photo")

    assert main(["scan", "-q", str(photos)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "shaky.jpg" in table[1] and "deblur" in table[1]  # most blurred first
    assert "sharp.jpg" in table[2] and "keep" in table[2]

    assert main(["scan", "-q", "--json", str(photos)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [Path(r["path"]).name for r in doc["photos"]] == ["shaky.jpg", "sharp.jpg"]
    assert doc["photos"][0]["score"] > doc["photos"][1]["score"] and doc["failed"] == []

    assert main(["scan", "-q", "--csv", str(photos)]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("path,score,blur_px,action")

    assert main(["scan", "-q", "--list", str(photos)]) == 0
    assert capsys.readouterr().out.split() == [str(photos / "day2" / "shaky.jpg")]

    dest = tmp_path / "blurred"
    assert main(["scan", "-q", "--list", "--move-blurred", str(dest), str(photos)]) == 0
    assert (dest / "day2" / "shaky.jpg").is_file() and not (photos / "day2" / "shaky.jpg").exists()
    assert (photos / "sharp.jpg").is_file()


def test_scan_cli_does_not_import_torch():
    import subprocess
    import sys
    code = ("import sys; from core.cli import build_parser; build_parser(); "
            "import core.cli.scan_cmd, core.triage; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"
