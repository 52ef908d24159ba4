"""Digits -> numbers in reading order: lines top to bottom, left to right within a line."""

from __future__ import annotations

from itertools import pairwise

from .boxes import union
from .types import Digit, Number

NUMBER_GAP = 0.9  # a gap wider than this many digit heights ends a number


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
    """Split one line where the gap between neighbours is wider than NUMBER_GAP digit heights."""
    runs: list[list[Digit]] = [[line[0]]]
    for prev, digit in pairwise(line):
        gap = digit.box[0] - (prev.box[0] + prev.box[2])
        if gap > NUMBER_GAP * (prev.box[3] + digit.box[3]) / 2:
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
