"""Phone and camera formats in the one reader/writer: HEIC/HEIF, AVIF, camera RAW (DNG)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from core.data.imageio import ImageInfo, ImageReadError, image_size, read_image, write_image


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif() -> bytes:
    e = Image.Exif()
    e[0x010F] = "TestMake"
    e[0x0110] = "TestModel"
    e.get_ifd(0x8769)[36867] = "2024:05:01 10:00:00"  # DateTimeOriginal
    return e.tobytes()


def picture(h: int = 48, w: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([x / w, y / h, 0.5 + 0.4 * np.sin(x / 5)], axis=2).astype(np.float32)


def exif_of(info: ImageInfo) -> Image.Exif:
    e = Image.Exif()
    e.load(info.exif)
    return e


@pytest.mark.parametrize("suffix", [".heic", ".avif"])
def test_heic_and_avif_round_trip_keep_exif_and_icc(tmp_path, suffix):
    if suffix == ".heic":
        pytest.importorskip("pillow_heif")
    else:
        from PIL import features
        if not features.check("avif"):
            pytest.skip("this Pillow has no AVIF")
    icc = srgb_icc()
    src = picture()
    path = write_image(tmp_path / f"photo{suffix}", src, ImageInfo(exif=camera_exif(), icc=icc), quality=95)
    rgb, info = read_image(path)
    assert info.format == {".heic": "HEIF", ".avif": "AVIF"}[suffix]
    assert rgb.shape == src.shape and np.abs(rgb - src).mean() < 0.03
    assert info.icc == icc
    e = exif_of(info)
    assert e[0x010F] == "TestMake" and e.get_ifd(0x8769)[36867] == "2024:05:01 10:00:00"
    # written again like the source: same format, EXIF and ICC carried
    again = write_image(tmp_path / f"again{suffix}", rgb, info)
    rgb2, info2 = read_image(again)
    assert info2.icc == icc and exif_of(info2)[0x0110] == "TestModel"


def test_avif_orientation_applied(tmp_path):
    from PIL import features
    if not features.check("avif"):
        pytest.skip("this Pillow has no AVIF")
    a = np.zeros((40, 60, 3), np.uint8)
    a[:10, :20] = 255
    e = Image.Exif()
    e[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(a).save(tmp_path / "r.avif", exif=e.tobytes(), quality=95)
    rgb, info = read_image(tmp_path / "r.avif")
    assert rgb.shape[:2] == (60, 40) and image_size(tmp_path / "r.avif") == (40, 60)
    assert rgb[:10, -5:].mean() > 0.8  # the white corner went to the top right


def test_corrupt_heic_gives_clear_error(tmp_path):
    pytest.importorskip("pillow_heif")
    bad = tmp_path / "IMG_0001.HEIC"
    bad.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x17" * 200)
    with pytest.raises(ImageReadError) as e:
        read_image(bad)
    assert str(bad) in str(e.value) and "readable" in e.value.problem


def test_missing_library_named(tmp_path, monkeypatch):
    (tmp_path / "a.heic").write_bytes(b"whatever")
    (tmp_path / "a.nef").write_bytes(b"whatever")
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "rawpy", None)
    with pytest.raises(ImageReadError, match="pillow-heif"):
        read_image(tmp_path / "a.heic")
    with pytest.raises(ImageReadError, match="rawpy"):
        read_image(tmp_path / "a.nef")


def write_dng(path: Path, h: int = 64, w: int = 96) -> None:
    """A minimal uncompressed Bayer (RGGB) DNG that LibRaw reads: left half orange,
    right half blue, with camera name and capture time. rawpy cannot write; tifffile
    writes the TIFF structure with the DNG tags by number."""
    import tifffile

    scene = np.zeros((h, w, 3))
    scene[:, : w // 2] = (0.8, 0.5, 0.2)
    scene[:, w // 2:] = (0.1, 0.3, 0.6)
    cfa = np.zeros((h, w), np.uint16)
    for (dy, dx), c in {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}.items():
        cfa[dy::2, dx::2] = (scene[dy::2, dx::2, c] * 4000 + 64).astype(np.uint16)
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    tags = [(50706, "B", 4, (1, 4, 0, 0), True),       # DNGVersion
            (50708, "s", 0, "Test Camera", True),      # UniqueCameraModel
            (33421, "H", 2, (2, 2), True),             # CFARepeatPatternDim
            (33422, "B", 4, (0, 1, 1, 2), True),       # CFAPattern: RGGB
            (50714, "H", 1, 64, True),                 # BlackLevel
            (50717, "H", 1, 4095, True),               # WhiteLevel
            (50721, "2i", 9, identity, True),          # ColorMatrix1
            (50778, "H", 1, 21, True),                 # CalibrationIlluminant1: D65
            (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
            (271, "s", 0, "TestMake", True),
            (272, "s", 0, "TestModel", True),
            (306, "s", 0, "2024:05:01 10:00:00", True)]
    tifffile.imwrite(path, cfa, photometric=32803, compression=None, subfiletype=0, extratags=tags)


def test_dng_reads_as_16_bit_and_writes_16_bit_tiff_with_exif(tmp_path):
    pytest.importorskip("rawpy")
    dng = tmp_path / "DSC_0001.dng"
    write_dng(dng)
    assert image_size(dng) == (96, 64)
    rgb, info = read_image(dng)
    assert rgb.shape == (64, 96, 3) and rgb.dtype == np.float32 and info.bit_depth == 16
    left, right = rgb[8:-8, 8:40].mean((0, 1)), rgb[8:-8, 56:-8].mean((0, 1))
    assert left[0] > left[2] and right[2] > right[0]  # orange stays orange, blue blue
    assert exif_of(info)[0x010F] == "TestMake"
    out = write_image(tmp_path / "out" / "DSC_0001.dng", rgb, info)
    assert out.suffix == ".tif"  # never TIFF bytes under a RAW name
    back, binfo = read_image(out)
    assert binfo.bit_depth == 16 and np.abs(back - rgb).max() < 1e-4
    with Image.open(out) as im:
        e = im.getexif()
        assert e[0x010F] == "TestMake"
        assert e[306] == "2024:05:01 10:00:00"


def test_dng_scored_by_scan(tmp_path):
    pytest.importorskip("rawpy")
    from core.triage import scan
    from core.events import PhotoScored

    write_dng(tmp_path / "a.dng")
    scored = [e for e in scan([tmp_path]) if isinstance(e, PhotoScored)]
    assert len(scored) == 1 and scored[0].width == 96 and scored[0].taken is not None
