"""The one reader/writer: depth, grey, alpha, EXIF orientation and ICC survive a round trip."""
from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from core.data import imageio
from core.data.imageio import ImageReadError, encode_png16, image_size, read_image, read_rgb, write_image

RNG = np.random.default_rng(0)


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_bit_depth(path) -> int:
    return path.read_bytes()[24]  # IHDR's bit-depth byte


def test_16bit_png_stays_16bit(tmp_path):
    a = (RNG.random((24, 40, 3)) * 65535).astype(np.uint16)
    src = tmp_path / "a.png"
    src.write_bytes(encode_png16(a))
    rgb, info = read_image(src)
    assert info.bit_depth == 16 and not info.grey
    # every 16-bit value survives, not just the high byte Pillow alone would give
    assert np.array_equal(np.round(rgb * 65535).astype(np.uint16), a)
    out = write_image(tmp_path / "out.png", rgb, like=info)
    assert png_bit_depth(out) == 16
    back, info2 = read_image(out)
    assert info2.bit_depth == 16
    assert np.array_equal(np.round(back * 65535).astype(np.uint16), a)


def test_16bit_png_written_by_pillow_with_filters(tmp_path):
    # grey 16-bit from Pillow (its own filters), kept grey and 16-bit
    g = (RNG.random((20, 30)) * 65535).astype(np.uint16)
    Image.fromarray(g).save(tmp_path / "g.png")
    rgb, info = read_image(tmp_path / "g.png")
    assert info.grey and info.bit_depth == 16
    out = write_image(tmp_path / "g_out.png", rgb, like=info)
    with Image.open(out) as im:
        assert im.mode.startswith("I")
        assert np.array_equal(np.asarray(im), g)


def test_16bit_tiff_stays_16bit_with_icc(tmp_path):
    a = (RNG.random((16, 20, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "a.tif", a)
    rgb, info = read_image(tmp_path / "a.tif")
    assert info.bit_depth == 16
    info.icc = srgb_icc()
    out = write_image(tmp_path / "b.tif", rgb, like=info)
    back = tifffile.imread(out)
    assert back.dtype == np.uint16 and np.array_equal(back, a)
    assert read_image(out)[1].icc == info.icc


@pytest.mark.parametrize("depth", [8, 16])
def test_rgba_keeps_alpha_untouched(tmp_path, depth):
    if depth == 8:
        a = (RNG.random((20, 30, 4)) * 255).astype(np.uint8)
        Image.fromarray(a, "RGBA").save(tmp_path / "a.png")
    else:
        a = (RNG.random((20, 30, 4)) * 65535).astype(np.uint16)
        (tmp_path / "a.png").write_bytes(encode_png16(a))
    rgb, info = read_image(tmp_path / "a.png")
    assert rgb.shape == (20, 30, 3) and info.alpha is not None
    # the "deblurred" colour changes, the alpha must not
    out = write_image(tmp_path / "out.png", 1.0 - rgb, like=info)
    _, info2 = read_image(out)
    assert info2.alpha.dtype == a.dtype and np.array_equal(info2.alpha, a[..., 3])


def test_alpha_in_webp_and_dropped_for_jpeg(tmp_path):
    a = (RNG.random((20, 30, 4)) * 255).astype(np.uint8)
    Image.fromarray(a, "RGBA").save(tmp_path / "a.png")
    rgb, info = read_image(tmp_path / "a.png")
    write_image(tmp_path / "o.webp", rgb, like=info)
    assert read_image(tmp_path / "o.webp")[1].alpha is not None
    write_image(tmp_path / "o.jpg", rgb, like=info)
    with Image.open(tmp_path / "o.jpg") as im:
        assert im.mode == "RGB"


def test_grey_stays_grey(tmp_path):
    g = (RNG.random((20, 30)) * 255).astype(np.uint8)
    Image.fromarray(g, "L").save(tmp_path / "g.jpg", quality=95)
    rgb, info = read_image(tmp_path / "g.jpg")
    assert info.grey and rgb.shape == (20, 30, 3)
    out = write_image(tmp_path / "o.jpg", rgb, like=info)
    with Image.open(out) as im:
        assert im.mode == "L"


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_exif_orientation_applied_and_metadata_carried(tmp_path, suffix):
    # a 20 wide x 30 high image stored sideways with orientation 6 (rotate 90 CW to view)
    stored = np.zeros((20, 30, 3), np.uint8)
    stored[:, :10] = (255, 0, 0)  # left third red: after a CW turn it is the top third
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    icc = srgb_icc()
    src = tmp_path / "src.jpg"
    Image.fromarray(stored).save(src, exif=exif.tobytes(), icc_profile=icc, quality=98)
    assert image_size(src) == (20, 30)
    rgb, info = read_image(src)
    assert rgb.shape == (30, 20, 3)
    assert rgb[:8, :, 0].mean() > 0.9 and rgb[-8:, :, 0].mean() < 0.1  # red on top
    assert info.icc == icc
    out = write_image(tmp_path / f"out{suffix}", rgb, like=info)
    with Image.open(out) as im:
        e = im.getexif()
        assert im.size == (20, 30)
        assert e.get(0x0112, 1) == 1  # pixels are upright now: a viewer must not turn them again
        assert e.get(0x010F) == "TestCam"
        assert im.info.get("icc_profile") == icc


def test_jpeg_quality_setting(tmp_path):
    rgb = RNG.random((64, 64, 3)).astype(np.float32)
    small = write_image(tmp_path / "q20.jpg", rgb, quality=20).stat().st_size
    big = write_image(tmp_path / "q95.jpg", rgb, quality=95).stat().st_size
    assert small < big


def test_format_follows_suffix_or_request(tmp_path):
    rgb = RNG.random((8, 8, 3)).astype(np.float32)
    for fmt, name in [(None, "x.bmp"), ("png", "y.bin"), ("webp", "z.img")]:
        out = write_image(tmp_path / name, rgb, format=fmt)
        with Image.open(out) as im:
            assert im.format == (fmt or "bmp").upper()
    with pytest.raises(imageio.ImageWriteError, match="suffix"):
        write_image(tmp_path / "x.unknown", rgb)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bmp", "y.bin", "z.img"]  # no temp files left


def test_bad_files_give_clear_errors(tmp_path, monkeypatch):
    good = tmp_path / "good.png"
    Image.fromarray((RNG.random((40, 40, 3)) * 255).astype(np.uint8)).save(good)
    truncated = tmp_path / "trunc.png"
    truncated.write_bytes(good.read_bytes()[:80])
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    for path, words in [(truncated, "truncated"), (text, "not a readable image"),
                        (tmp_path / "missing.png", "not found")]:
        with pytest.raises(ImageReadError, match=words) as e:
            read_image(path)
        assert str(path) in str(e.value)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageReadError, match="too large"):
        read_image(good)


def test_read_rgb_is_the_same_reader(tmp_path):
    a = (RNG.random((10, 12, 3)) * 255).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "a.png")
    x = read_rgb(tmp_path / "a.png")
    assert x.dtype == np.float32 and np.allclose(x * 255, a, atol=1e-3)
