"""Digits -> numbers in reading order: lines top to bottom, left to right within a line.

Lines may slope (a page turned up to about 50 degrees, a line written uphill): the digits are
grouped in the frame of the lines' own direction, measured from each digit to its nearest
neighbour on the right.
"""

from __future__ import annotations

import math
from itertools import pairwise
from statistics import median

import numpy as np

from .boxes import union
from .types import Box, Digit, Number

NUMBER_GAP = 0.9  # a gap wider than this many digit heights ends a number; on a line spaced
# widely throughout, the limit rises to twice the line's median gap, but to this many heights
# at most, so numbers a few digit widths apart stay apart however one writes.
SPACED_GAP = 1.4
MAX_SLOPE = math.radians(50)  # steeper lines are a page on its side: that is --rotate's work
MIN_SLOPE = math.radians(5)  # flatter lines are grouped as they are: the rules hold there
NEIGHBOUR = 2.5  # a neighbour is at most this many digit heights away, centre to centre


def slope(digits: list[Digit]) -> float:
    """The lines' angle in radians (image y down, so uphill is negative): the median direction
    from each digit to its nearest neighbour on the right, within MAX_SLOPE of horizontal."""
    angles = neighbour_angles(np.array([d.box for d in digits], np.float64).reshape(-1, 4))
    return float(np.median(angles)) if len(angles) else 0.0


def neighbour_angles(boxes: np.ndarray) -> np.ndarray:
    """For each (x, y, w, h) box with a neighbour on its right (centre within NEIGHBOUR heights
    and MAX_SLOPE of horizontal), the direction to the nearest one, radians, image y down."""
    if len(boxes) < 2:
        return np.zeros(0)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    dx = centres[None, :, 0] - centres[:, None, 0]  # from box i (row) to box j (column)
    dy = centres[None, :, 1] - centres[:, None, 1]
    distance = dx * dx + dy * dy  # squared: arctan2 and sqrt only for the pairs found, not N^2
    reach = NEIGHBOUR * np.maximum(boxes[:, None, 3], boxes[None, :, 3])
    ok = (dx > 0) & (np.abs(dy) < math.tan(MAX_SLOPE) * dx) & (distance < reach * reach)
    distance[~ok] = np.inf
    nearest = distance.argmin(axis=1)
    found = np.flatnonzero(np.isfinite(distance[np.arange(len(boxes)), nearest]))
    return np.arctan2(dy[found, nearest[found]], dx[found, nearest[found]])


def along(digits: list[Digit], angle: float) -> list[Box]:
    """Each digit's box in a frame turned by -angle, so that lines at `angle` run level: its
    centre turned, its size kept. (The box around its turned corners would be up to 1.4x too
    large and close the gaps between numbers. Keeping the size is close for round digits; a
    thin 1 on a page turned 35 degrees keeps a box several times too wide, narrowing its gaps.)"""
    c, s = math.cos(angle), math.sin(angle)
    out = []
    for digit in digits:
        x, y, w, h = digit.box
        cx, cy = x + w / 2, y + h / 2
        left, top = round(cx * c + cy * s - w / 2), round(cy * c - cx * s - h / 2)
        out.append((left, top, w, h))
    return out


Placed = tuple[Box, Digit]  # a digit and its box in the lines' frame


def lines_of(placed: list[Placed]) -> list[list[Placed]]:
    """Chain digits left to right into text lines, top line first (in the lines' frame).

    A digit joins the line whose rightmost digit overlaps it most vertically (at least half the
    smaller height; the first line of equals), so a slanted line of handwriting stays one line.
    """
    lines: list[list[Placed]] = []
    ends: list[tuple[int, int, int]] = []  # top, bottom, height of each line's rightmost digit
    for item in sorted(placed, key=lambda p: (p[0][0], p[0][1])):
        _, top, _, height = item[0]
        bottom = top + height
        best, most = -1, 0.0
        for i, (line_top, line_bottom, line_height) in enumerate(ends):
            if line_top >= bottom or line_bottom <= top:
                continue  # no vertical overlap: most lines, for most digits
            overlap = (min(bottom, line_bottom) - max(top, line_top)) / max(1, min(height,
                                                                                  line_height))
            if overlap > most:
                best, most = i, overlap
        if most >= 0.5:
            lines[best].append(item)
            ends[best] = (top, bottom, height)
        else:
            lines.append([item])
            ends.append((top, bottom, height))
    return sorted(lines, key=lambda line: sum(b[1] + b[3] / 2 for b, _ in line) / len(line))


def numbers_of(line: list[Placed]) -> list[Number]:
    """Split one line where the gap between neighbours is wider than the line's own measure.

    The measure is NUMBER_GAP times the line's median digit height (so one short digit, the
    0 of a "2019", does not shrink it); on a line of three gaps or more it grows to twice the
    median gap, up to SPACED_GAP heights (who spaces every digit widely writes numbers so).
    """
    gaps = [box[0] - (prev[0] + prev[2]) for (prev, _), (box, _) in pairwise(line)]
    height = median(box[3] for box, _ in line)
    widest = NUMBER_GAP * height
    if len(gaps) >= 3:
        widest = max(widest, min(2 * median(gaps), SPACED_GAP * height))
    runs: list[list[Digit]] = [[line[0][1]]]
    for gap, (_, digit) in zip(gaps, line[1:], strict=True):
        if gap > widest:
            runs.append([])
        runs[-1].append(digit)
    return [Number(text="".join(str(d.label) for d in run),
                   box=union(d.box for d in run),
                   confidence=min(d.confidence for d in run),
                   digits=tuple(run)) for run in runs]


def group(digits: list[Digit]) -> tuple[tuple[Digit, ...], tuple[Number, ...]]:
    """Digits and numbers, both in reading order."""
    angle = slope(digits)
    boxes = along(digits, angle) if abs(angle) >= MIN_SLOPE else [d.box for d in digits]
    lines = lines_of(list(zip(boxes, digits, strict=True)))
    ordered = tuple(d for line in lines for _, d in line)
    numbers = tuple(n for line in lines for n in numbers_of(line))
    return ordered, numbers
