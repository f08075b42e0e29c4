"""Bursts: near-identical consecutive shots, grouped so only the sharpest is kept.

Two neighbouring shots (in capture-time order) belong to one burst when they were
taken at most `max_gap_s` apart and their perceptual hashes differ in at most
`max_bits` of 64. The hash is imagehash's difference hash (dHash, Krawetz 2013): a
well-kept library, and dHash on a 9x8 thumbnail barely moves under blur or a few
pixels of hand shift, but changes with the framing. Photos without an EXIF time are
ordered by name and grouped on the hash alone, with a stricter limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image

MAX_GAP_S = 2.0
MAX_BITS = 10
MAX_BITS_UNTIMED = 6


@dataclass(frozen=True)
class Shot:
    path: str
    score: float           # blur score: lower is sharper
    taken: float | None
    phash: str | None


def perceptual_hash(grey: np.ndarray) -> str:
    """64-bit dHash of a grey [0, 1] image, as 16 hex digits."""
    import imagehash  # late: optional; without it a scan scores photos but finds no bursts

    im = Image.fromarray((np.clip(grey, 0, 1) * 255 + 0.5).astype(np.uint8))
    return str(imagehash.dhash(im, hash_size=8))


def hash_distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def _same_burst(a: Shot, b: Shot, max_gap_s: float, max_bits: int) -> bool:
    if a.phash is None or b.phash is None:
        return False
    if a.taken is not None and b.taken is not None:
        return abs(b.taken - a.taken) <= max_gap_s and hash_distance(a.phash, b.phash) <= max_bits
    return hash_distance(a.phash, b.phash) <= min(max_bits, MAX_BITS_UNTIMED)


def group_bursts(shots: Sequence[Shot], max_gap_s: float = MAX_GAP_S,
                 max_bits: int = MAX_BITS) -> list[tuple[list[Shot], Shot]]:
    """[(shots of one burst in capture order, the sharpest)] for every group of 2 or more."""
    ordered = sorted(shots, key=lambda s: (s.taken is None, s.taken or 0.0, s.path))
    groups: list[list[Shot]] = []
    for shot in ordered:
        if groups and _same_burst(groups[-1][-1], shot, max_gap_s, max_bits):
            groups[-1].append(shot)
        else:
            groups.append([shot])
    return [(g, min(g, key=lambda s: s.score)) for g in groups if len(g) > 1]
