"""Digits -> numbers in reading order: lines top to bottom, left to right within a line."""

from __future__ import annotations

from itertools import pairwise
from statistics import median

from .boxes import union
from .types import Digit, Number

NUMBER_GAP = 0.9  # a gap wider than this many digit heights ends a number; on a line spaced
# widely throughout, the limit rises to twice the line's median gap, but to this many heights
# at most, so numbers a few digit widths apart stay apart however one writes.
SPACED_GAP = 1.4


def lines_of(digits: list[Digit]) -> list[list[Digit]]:
    """Chain digits left to right into text lines, top line first.

    A digit joins the line whose rightmost digit overlaps it most vertically (at least half the
    smaller height; the first line of equals), so a slanted line of handwriting stays one line.
    """
    lines: list[list[Digit]] = []
    ends: list[tuple[int, int, int]] = []  # top, bottom, height of each line's rightmost digit
    for digit in sorted(digits, key=lambda d: (d.box[0], d.box[1])):
        _, top, _, height = digit.box
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
            lines[best].append(digit)
            ends[best] = (top, bottom, height)
        else:
            lines.append([digit])
            ends.append((top, bottom, height))
    return sorted(lines, key=lambda line: sum(d.box[1] + d.box[3] / 2 for d in line) / len(line))


def numbers_of(line: list[Digit]) -> list[Number]:
    """Split one line where the gap between neighbours is wider than the line's own measure.

    The measure is NUMBER_GAP times the line's median digit height (so one short digit, the
    0 of a "2019", does not shrink it); on a line of three gaps or more it grows to twice the
    median gap, up to SPACED_GAP heights (who spaces every digit widely writes numbers so).
    """
    gaps = [digit.box[0] - (prev.box[0] + prev.box[2]) for prev, digit in pairwise(line)]
    height = median(d.box[3] for d in line)
    widest = NUMBER_GAP * height
    if len(gaps) >= 3:
        widest = max(widest, min(2 * median(gaps), SPACED_GAP * height))
    runs: list[list[Digit]] = [[line[0]]]
    for gap, digit in zip(gaps, line[1:], strict=True):
        if gap > widest:
            runs.append([])
        runs[-1].append(digit)
    return [Number(text="".join(str(d.label) for d in run),
                   box=union(d.box for d in run),
                   confidence=min(d.confidence for d in run),
                   digits=tuple(run)) for run in runs]


def group(digits: list[Digit]) -> tuple[tuple[Digit, ...], tuple[Number, ...]]:
    """Digits and numbers, both in reading order."""
    lines = lines_of(digits)
    ordered = tuple(d for line in lines for d in line)
    numbers = tuple(n for line in lines for n in numbers_of(line))
    return ordered, numbers
