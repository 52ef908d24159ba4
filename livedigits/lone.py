"""Lone doubtful digits: a small digit with no other digit beside it, read with doubt, is far
more often texture, a letter or a pen than a digit (people write numbers, and show a single
digit up close). Pure functions over boxes and probabilities."""

from __future__ import annotations

import numpy as np

from .boxes import beside, near_alike
from .classify import NOT_A_DIGIT
from .segment import BESIDE, TALLER

SURE = 0.9  # digits read at least this surely always stay
# Of the frame's shorter side: taller digits are shown up close, alone or not. (0.2 kept 3 more
# false digits out on validation, but doubted a thin pen "1" held at arm's length: 16%.)
SMALL = 0.15
# A neighbour: another digit whose centre is at most NEAR times the smaller height away, in any
# direction (the lines of a page turned in view slope), and at most LIKE times as tall or short:
# the digits of a number are of a size, a blob of texture beside a speck is no number.
NEAR = 3.0
LIKE = 1.5
# Or a digit standing beside it on its line, at most TALLER times as tall, within BESIDE of its
# height along x: the rule `segment.beside_digits` keeps small candidates by (its constants).


def lone_doubts(boxes: np.ndarray, probs: np.ndarray, side: int) -> np.ndarray:
    """Per row, True for a digit read under SURE, shorter than SMALL of `side` (the frame's
    shorter side, in the boxes' pixels), with no other row read as a digit beside it.

    Chosen on validation frames (15 sets, 10,760 digits): 10 digits lost, 47 false digits fewer,
    F1 93.3 -> 93.5% (bare surfaces: 18 -> 11 false digits in 100 frames at 1280x720, 38 -> 25
    at mixed sizes; without LIKE, 8 lost and 39 fewer). Neighbours found along lines only
    (vertical overlap; with SMALL 0.2) lost 18 digits, 8 of them on pages turned in view;
    SURE 0.8 or 0.85 kept fewer false digits out. A digit standing beside it on its line, up
    to TALLER times as tall, is company too: the small 0s `segment.beside_digits` keeps were
    otherwise doubted away when read under SURE (validation: +31 digits read right, 30 of them
    on pages with small digits, +4 false digits, none on bare surfaces; resized and turned
    views +9 false digits).
    """
    labels = probs.argmax(axis=1)
    digit = labels != NOT_A_DIGIT
    b = boxes.astype(np.float32)
    doubtful = (digit & (probs[np.arange(len(probs)), labels] < SURE)
                & (b[:, 3] < SMALL * side))
    out = np.zeros(len(boxes), bool)
    if not doubtful.any():
        return out
    company = (near_alike(b[doubtful], b[digit], NEAR, LIKE)
               | beside(b[doubtful], b[digit], BESIDE, TALLER))  # a hurried writer's small 0
    # A doubtful digit is its own neighbour: it needs one more.
    out[doubtful] = company.sum(axis=1) < 2
    return out
