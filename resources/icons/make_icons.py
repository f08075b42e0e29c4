"""Draw the app icon with Pillow and write every size the platforms want.

    python resources/icons/make_icons.py

The design: a blue rounded tile with a white lens ring; the left half of the disc is
smeared by horizontal motion streaks, the right half is crisp (blurred -> sharp).
Drawn once at 1024 px and downsampled, so small sizes stay clean.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
N = 1024


def _tile() -> Image.Image:
    grad = Image.new("RGBA", (N, N))
    top, bottom = (58, 123, 213), (22, 52, 120)
    px = grad.load()
    for y in range(N):
        t = y / (N - 1)
        c = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)) + (255,)
        for x in range(N):
            px[x, y] = c
    mask = Image.new("L", (N, N), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, N - 40, N - 40), radius=200, fill=255)
    out = Image.new("RGBA", (N, N), (0, 0, 0, 0))
    out.paste(grad, (0, 0), mask)
    return out


def _disc() -> Image.Image:
    """The subject: a white ring with a warm centre."""
    im = Image.new("RGBA", (N, N), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    c, r = N // 2, 300
    d.ellipse((c - r, c - r, c + r, c + r), outline=(255, 255, 255, 255), width=70)
    d.ellipse((c - 120, c - 120, c + 120, c + 120), fill=(255, 214, 90, 255))
    return im


def draw(size: int = N) -> Image.Image:
    tile, disc = _tile(), _disc()
    # motion blur on the left half: average horizontally shifted copies
    shifted = [disc.transform(disc.size, Image.Transform.AFFINE, (1, 0, dx, 0, 1, 0)) for dx in range(-90, 91, 10)]
    blurred = Image.new("RGBA", disc.size, (0, 0, 0, 0))
    for i, s in enumerate(shifted, 1):
        blurred = Image.blend(blurred, s, 1 / i)
    blurred = blurred.filter(ImageFilter.GaussianBlur(6))
    half = Image.new("L", (N, N), 0)
    ImageDraw.Draw(half).rectangle((0, 0, N // 2, N), fill=255)
    subject = Image.composite(blurred, disc, half)
    out = Image.alpha_composite(tile, subject)
    ImageDraw.Draw(out).line((N // 2, 150, N // 2, N - 150), fill=(255, 255, 255, 200), width=14)
    return out if size == N else out.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    big = draw()
    for s in SIZES:
        (big if s == N else big.resize((s, s), Image.Resampling.LANCZOS)).save(HERE / f"deblur-studio-{s}.png", optimize=True)
    big.save(HERE / "deblur-studio.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    big.save(HERE / "deblur-studio.icns")
    print(f"wrote {len(SIZES)} PNGs, .ico and .icns to {HERE}")


if __name__ == "__main__":
    main()
