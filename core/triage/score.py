"""How blurred a photo is, from the width of its sharpest strong edges.

Camera shake and missed focus widen every edge of a photo; a sharp photo keeps at
least some edges one or two pixels wide, even with a soft background. So the score
is the width, in pixels, of the photo's sharper strong edges, measured along rows and
along columns separately and the larger taken: a straight shake along x widens only
the edges crossed along x and leaves the others crisp, so a minimum over directions
would call it sharp.

An edge is a run of same-signed differences along a row (Marziliano et al. 2002 walk
from one extremum to the next); its width is its step (the run's total change)
divided by its steepest difference, which is the blur's length for a box blur and
about 2.5 sigma for a Gaussian one, and stays about 1 for a crisp edge whatever its
contrast. Noise only breaks runs and steepens them, so a noisy photo reads sharper,
never blurred (the false alarm the triage must avoid); JPEG blocking adds weak steps
that the contrast floor leaves out.

The score is measured on the photo scaled to at most `ANALYSIS_SIDE` px on its long
side (see decode.py), so it is the blur a person sees at screen size, not at 100 %.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANALYSIS_SIDE = 1280
THRESHOLD = 2.5          # score at or above: blurred (calibration in docs/blur-triage.md)
MIN_STEP = 0.06          # an edge's total change, fraction of full scale (~15/255)
MIN_EDGES = 200          # fewer edges above MIN_STEP: take the strongest this many
SMOOTH_WIDTH2 = 3.5      # squared width taken off per pass: 2.5 is what a pass adds to a crisp
                         # edge; 3.5 errs towards calling noisy photos sharp (docs/blur-triage.md)
PASS_LIMITS = ((0, 0.006), (1, 0.012), (2, 0.024))  # noise sigma below which so many passes do
PERCENTILE = 25          # the sharper quarter of the strong edges speaks for the photo


@dataclass(frozen=True)
class BlurMeasure:
    score: float      # edge width in analysis px, the larger direction; ~1-2 crisp
    width_x: float    # along rows (what a horizontal shake widens)
    width_y: float
    edges: int        # strong edges measured (few: the score means little)


def edge_widths(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(widths, steps) of every monotonic run along the rows of `grey` (HxW float)."""
    g = np.asarray(grey, np.float32)
    # smoothing across the rows (along the edges being crossed) halves the noise
    # without widening what the rows cross
    sm = g.copy()
    sm[1:-1] = 0.5 * g[1:-1] + 0.25 * (g[:-2] + g[2:])
    d = np.diff(sm, axis=1)
    d[np.abs(d) < 0.5 / 255] = 0.0  # quantisation wobble ends no run and starts none
    h, w1 = d.shape
    # a zero column after each row keeps runs from crossing row ends
    d = np.concatenate([d, np.zeros((h, 1), np.float32)], axis=1).ravel()
    s = np.sign(d)
    starts = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    sign = s[starts]
    total = np.add.reduceat(d, starts)
    peak = np.maximum.reduceat(np.abs(d), starts)
    keep = sign != 0
    steps = np.abs(total[keep])
    widths = steps / np.maximum(peak[keep], 1e-12)
    return widths, steps


def direction_width(grey: np.ndarray) -> tuple[float, int]:
    widths, steps = edge_widths(grey)
    if widths.size == 0:
        return float("nan"), 0
    strong = steps >= MIN_STEP
    if strong.sum() < MIN_EDGES:
        order = np.argsort(steps)[::-1][:MIN_EDGES]
        strong = np.zeros_like(strong)
        strong[order] = True
    return float(np.percentile(widths[strong], PERCENTILE)), int(strong.sum())


def noise_sigma(grey: np.ndarray) -> float:
    """Noise standard deviation, from the median response of a filter that cancels
    planes and ramps (Immerkaer 1996, median instead of mean so edges count less)."""
    g = np.asarray(grey, np.float32)
    if min(g.shape) < 3:
        return 0.0
    r = (g[:-2, :-2] + g[:-2, 2:] + g[2:, :-2] + g[2:, 2:]
         - 2 * (g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1]) + 4 * g[1:-1, 1:-1])
    return float(np.median(np.abs(r)) / 0.6745 / 6.0)


def smoothing_passes(sigma: float) -> int:
    """Binomial passes that bring heavy noise down to where runs survive it."""
    for passes, below in PASS_LIMITS:
        if sigma < below:
            return passes
    return 4


def binomial(g: np.ndarray, passes: int) -> np.ndarray:
    """[1 2 1]/4 both ways, `passes` times (variance 0.5 px^2 per pass and axis)."""
    for _ in range(passes):
        p = np.pad(g, 1, mode="edge")
        g = 0.25 * (p[:-2, 1:-1] + p[2:, 1:-1]) + 0.5 * p[1:-1, 1:-1]
        p = np.pad(g, 1, mode="edge")
        g = 0.25 * (p[1:-1, :-2] + p[1:-1, 2:]) + 0.5 * p[1:-1, 1:-1]
    return g.astype(np.float32)


def unsmoothed(width: float, passes: int) -> float:
    """Width before `passes` of smoothing: widths of blurs add roughly in quadrature."""
    if passes == 0 or not np.isfinite(width):
        return width
    return float(np.sqrt(max(width ** 2 - SMOOTH_WIDTH2 * passes, 1.0)))


def measure(grey: np.ndarray) -> BlurMeasure:
    """The blur of a grey HxW image in [0, 1] (already at analysis size)."""
    passes = smoothing_passes(noise_sigma(grey))
    g = binomial(np.asarray(grey, np.float32), passes)
    wx, nx = direction_width(g)
    wy, ny = direction_width(np.ascontiguousarray(g.T))
    wx, wy = unsmoothed(wx, passes), unsmoothed(wy, passes)
    score = float(np.nanmax([wx, wy])) if nx + ny else float("nan")
    return BlurMeasure(score=score, width_x=wx, width_y=wy, edges=nx + ny)
