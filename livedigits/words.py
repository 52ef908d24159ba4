"""Printed words: an "o", "s" or "l" of a printed page reads as 0, 5 or 1 on its own, and only
its neighbours on the line tell it is a letter. Pure functions over boxes and probabilities."""

from __future__ import annotations

import numpy as np

from .boxes import components, near_alike, overlaps
from .classify import NOT_A_DIGIT

LETTER_SURE = 0.9  # a candidate read as no digit at least this surely may be a letter...
LETTER_WIDTH = (0.35, 1.0)  # ...if its width over height is a letter's: narrower is a bar (a
# thin 1 the model missed), wider may be two touching digits read as none.
INSIDE = 0.5  # nor if more than this share of its box lies in a digit's: the paper in a 0's
# loop, read in the other polarity
DOUBT = 0.98  # digits read at least this surely are never taken for letters
# Line neighbours: heights within this ratio, vertical overlap of at least LINE of the smaller
# height, and at most GAP smaller heights apart (a little overlap allowed: italic letters; a
# word space wider than that ends a run, so a label and the number after it stay apart).
HEIGHTS = 1.4
LINE = 0.6
GAP = (-0.1, 0.3)
# A page of print: letters all around a digit, above and below it as well as beside it. Letters
# here read as no digit at least PRINT_SURE and count within AROUND smaller heights, centre to
# centre, at most LIKE times as tall or short; ABOVE_BELOW of them must lie off the digit's line,
# centres over OFF_LINE smaller heights higher or lower: a printed label before a number is one
# line of letters, a page is many.
PRINT_SURE = 0.98  # 0.9 or 0.95: 9 digits lost on resized and turned views (handwritten
# digits the model fails, read as none, are letters to their neighbours)
AROUND = 3.5  # 4: 4 digits lost on the digit sets; 3: 97 false digits left, not 71
LIKE = 1.5
OFF_LINE = 0.8
ABOVE_BELOW = 2
AMONG = 4  # letters around a digit, at least (3: 3 digits lost; 5: 80 false left)


def in_words(boxes: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per row, True for a doubtful digit in a printed word: a run of line neighbours holding at
    least one letter (a candidate read as no digit, a letter's shape) and no more digits than
    letters. Wider candidates read as no digit (a "w", letters run together, two touching
    digits) link the run but count as neither.

    Handwritten numbers next to a letter or a merged pair that reads as none keep their digits:
    they read surely (>= DOUBT), or outnumber the letters of their run, or a space (over 0.3
    heights) parts them from a printed label. Chosen on validation frames (bare surfaces: 28 ->
    11 false digits, most of them letters of printed pages; 2 of 10,221 digits lost; the wide
    links then 11 -> 8, one more digit lost); on the held-out surfaces 0.34 -> 0.27 false digits
    per frame.
    """
    labels = probs.argmax(axis=1)
    digit = labels != NOT_A_DIGIT
    out = np.zeros(len(boxes), bool)
    doubtful = digit & (probs[np.arange(len(probs)), labels] < DOUBT)
    if not doubtful.any():
        return out
    b = boxes.astype(np.float32)
    width, height = b[:, 2], b[:, 3]
    none = (labels == NOT_A_DIGIT) & (probs[:, NOT_A_DIGIT] >= LETTER_SURE)
    letter = none & letter_shaped(b)
    if not letter.any():
        return out
    ox, oy = overlaps(b[letter], b[digit])
    shared = np.clip(ox, 0, None) * np.clip(oy, 0, None)
    letter[letter] = ~(shared > INSIDE * (width * height)[letter, None]).any(axis=1)
    # Wider shapes read surely as none (a "w", letters run together) link a word's letters into
    # one run, counting as neither letter nor digit: a merged pair of digits stays neutral.
    nodes = np.flatnonzero(digit | letter | (none & (width > LETTER_WIDTH[1] * height)))
    run = line_runs(b[nodes])
    is_letter = letter[nodes]
    letters = np.bincount(run, weights=is_letter, minlength=len(nodes))
    digits = np.bincount(run, weights=digit[nodes], minlength=len(nodes))
    wordy = letters[run] >= digits[run]  # >= 1 for a digit's run
    out[nodes[wordy & doubtful[nodes]]] = True
    return out


def letter_shaped(boxes: np.ndarray) -> np.ndarray:
    """Per box (x, y, w, h): its width over height is a letter's (LETTER_WIDTH)."""
    width, height = boxes[:, 2], boxes[:, 3]
    return (width >= LETTER_WIDTH[0] * height) & (width <= LETTER_WIDTH[1] * height)


def line_runs(boxes: np.ndarray) -> np.ndarray:
    """Per box (N, 4), the id of its run: boxes joined by line neighbours, chained."""
    height = boxes[:, 3].astype(np.float32)
    ox, oy = overlaps(boxes, boxes)
    smaller = np.minimum(height[:, None], height[None, :])
    larger = np.maximum(height[:, None], height[None, :])
    return components((larger <= HEIGHTS * smaller) & (oy >= LINE * smaller)
                      & (-ox >= GAP[0] * smaller) & (-ox <= GAP[1] * smaller))


def among_letters(boxes: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per row, True for a digit, however sure, on a page of print: at least AMONG letters of
    its size around it, ABOVE_BELOW of them off its line, and no fewer letters than other
    digits of its size there. A digit taken is a letter for its neighbours (if shaped like one).

    A printed page upside down reads its "h" as a sure 4, its "t" as 7, its "e" as 2: every
    letter of "the" reads as a digit, so `in_words` finds no letter in the run, and the 4 reads
    at 1.00, beyond DOUBT. The page around it still reads as letters. A handwritten number has
    its own digits around each digit, and a printed label beside it is one line of letters.
    Chosen on validation frames: false digits on bare surfaces 127 -> 71 in 700 frames (7 sets;
    127 -> 73 with the small candidates of `segment.beside_digits`), no digit read right lost
    on the 13 digit sets nor on their resized, turned and upside-down views. Without the
    letters off the line: 85 false digits left, but 3 digits lost on pages seen upside down;
    without taking digits as letters for their neighbours: 88. Its weak side: a number
    printed inside a paragraph, letters above, below and beside it (8 pages of OpenCV print
    with numbers in the text: 230 -> 180 digits read).
    """
    labels = probs.argmax(axis=1)
    digit = labels != NOT_A_DIGIT
    out = np.zeros(len(boxes), bool)
    b = boxes.astype(np.float32)
    height = b[:, 3]
    shaped = letter_shaped(b)
    letter = (labels == NOT_A_DIGIT) & (probs[:, NOT_A_DIGIT] >= PRINT_SURE) & shaped
    if letter.sum() < AMONG or not digit.any():
        return out
    rows = np.flatnonzero(digit)  # each digit against every row
    around = near_alike(b[rows], b, AROUND, LIKE)
    centre = b[:, :2] + b[:, 2:] / 2
    smaller = np.minimum(height[rows, None], height[None, :])
    off_line = around & (np.abs(centre[rows, None, 1] - centre[None, :, 1]) > OFF_LINE * smaller)
    while True:  # a digit taken for a letter is one for its neighbours: "the" falls h, t, e
        letters = around[:, letter].sum(axis=1)
        taken = rows[digit[rows] & (letters >= AMONG)
                     & (letters >= around[:, digit].sum(axis=1) - 1)  # a digit is around itself
                     & (off_line[:, letter].sum(axis=1) >= ABOVE_BELOW)]
        if not len(taken):
            return out
        out[taken] = True
        digit[taken] = False
        letter[taken] = shaped[taken]
