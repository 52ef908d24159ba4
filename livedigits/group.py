"""Digits -> numbers in reading order: lines top to bottom, left to right within a line."""

from __future__ import annotations

from itertools import pairwise

from .types import Box, Digit, Number

NUMBER_GAP = 0.9  # a gap wider than this many digit heights ends a number


def _union(boxes: list[Box]) -> Box:
    # Plain Python: for the handful of boxes of one number, numpy's call overhead dominates.
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def _vertical_overlap(a: Box, b: Box) -> float:
    top, bottom = max(a[1], b[1]), min(a[1] + a[3], b[1] + b[3])
    return (bottom - top) / max(1, min(a[3], b[3]))


def lines_of(digits: list[Digit]) -> list[list[Digit]]:
    """Chain digits left to right into text lines, top line first.

    A digit joins the line whose rightmost digit overlaps it most vertically (at least half the
    smaller height), so a slanted line of handwriting stays one line.
    """
    lines: list[list[Digit]] = []
    for digit in sorted(digits, key=lambda d: (d.box[0], d.box[1])):
        overlap, best = max(((_vertical_overlap(line[-1].box, digit.box), i)
                             for i, line in enumerate(lines)),
                            key=lambda pair: pair[0], default=(0.0, -1))  # first of equals
        if overlap >= 0.5:
            lines[best].append(digit)
        else:
            lines.append([digit])
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
                   box=_union([d.box for d in run]),
                   confidence=min(d.confidence for d in run),
                   digits=tuple(run)) for run in runs]


def group(digits: list[Digit]) -> tuple[tuple[Digit, ...], tuple[Number, ...]]:
    """Digits and numbers, both in reading order."""
    lines = lines_of(digits)
    ordered = tuple(d for line in lines for d in line)
    numbers = tuple(n for line in lines for n in numbers_of(line))
    return ordered, numbers
