"""Printed words: an "o", "s" or "l" of a printed page reads as 0, 5 or 1 on its own, and only
its neighbours on the line tell it is a letter. Pure functions over boxes and probabilities."""

from __future__ import annotations

import numpy as np

from .boxes import overlaps
from .classify import NOT_A_DIGIT

LETTER_SURE = 0.9  # a candidate read as no digit at least this surely may be a letter...
LETTER_WIDTH = (0.35, 1.0)  # ...if its width over height is a letter's: narrower is a bar (a
# thin 1 the model missed), wider may be two touching digits read as none.
DOUBT = 0.98  # digits read at least this surely are never taken for letters
# Line neighbours: heights within this ratio, vertical overlap of at least LINE of the smaller
# height, and at most GAP smaller heights apart (a little overlap allowed: italic letters).
HEIGHTS = 1.4
LINE = 0.6
GAP = (-0.1, 0.5)


def in_words(boxes: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per row, True for a doubtful digit in a printed word: a run of line neighbours holding at
    least one letter (a candidate read as no digit, a letter's shape) and no more digits than
    letters.

    Handwritten numbers next to a letter or a merged pair that reads as none keep their digits:
    they read surely (>= DOUBT), or outnumber the letters of their run. On validation frames
    this halves the false digits on bare surfaces, most of them letters of printed pages
    (28 -> 11 on 100 frames) and costs two digits of 5,400.
    """
    labels = probs.argmax(axis=1)
    digit = labels != NOT_A_DIGIT
    out = np.zeros(len(boxes), bool)
    doubtful = digit & (probs[np.arange(len(probs)), labels] < DOUBT)
    if not doubtful.any():
        return out
    b = boxes.astype(np.float32)
    width, height = b[:, 2], b[:, 3]
    letter = ((labels == NOT_A_DIGIT) & (probs[:, NOT_A_DIGIT] >= LETTER_SURE)
              & (width >= LETTER_WIDTH[0] * height) & (width <= LETTER_WIDTH[1] * height))
    if not letter.any():
        return out
    nodes = np.flatnonzero(digit | letter)
    run = line_runs(b[nodes])
    is_letter = letter[nodes]
    letters = np.bincount(run, weights=is_letter, minlength=len(nodes))
    digits = np.bincount(run, weights=~is_letter, minlength=len(nodes))
    wordy = letters[run] >= digits[run]  # >= 1 for a digit's run
    out[nodes[wordy & doubtful[nodes]]] = True
    return out


def line_runs(boxes: np.ndarray) -> np.ndarray:
    """Per box (N, 4 float32), the index of its run: boxes joined by line neighbours, chained."""
    height = boxes[:, 3]
    ox, oy = overlaps(boxes, boxes)
    smaller = np.minimum(height[:, None], height[None, :])
    larger = np.maximum(height[:, None], height[None, :])
    neighbours = ((larger <= HEIGHTS * smaller) & (oy >= LINE * smaller)
                  & (-ox >= GAP[0] * smaller) & (-ox <= GAP[1] * smaller))
    np.fill_diagonal(neighbours, True)
    run = np.arange(len(boxes))
    while True:  # each box takes its neighbours' least run index until nothing changes
        least = np.where(neighbours, run[None, :], len(boxes)).min(axis=1)
        least = least[least]  # and follows it: chains settle in log steps
        if np.array_equal(least, run):
            return run
        run = least
