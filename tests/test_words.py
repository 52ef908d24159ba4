"""Digits among the letters of printed words are letters; handwritten numbers keep theirs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from livedigits.classify import NOT_A_DIGIT
from livedigits.reader import choose_parts, prepare, suppress
from livedigits.types import Detections
from livedigits.words import in_words


def probs_of(*reads: tuple[int, float]) -> np.ndarray:
    """One softmax row per (label, confidence); label 10 is "not a digit"."""
    probs = np.zeros((len(reads), NOT_A_DIGIT + 1), np.float32)
    for row, (label, confidence) in enumerate(reads):
        probs[row] = (1 - confidence) / NOT_A_DIGIT
        probs[row, label] = confidence
    return probs


def line(*widths: int, height: int = 30, gap: int = 6, y: int = 100) -> np.ndarray:
    """Boxes side by side on one line, `gap` pixels apart."""
    x = np.concatenate([[0], np.cumsum(np.array(widths) + gap)[:-1]]) + 50
    return np.array([(int(a), y, w, height) for a, w in zip(x, widths, strict=True)], np.int32)


LETTER = (NOT_A_DIGIT, 0.99)


def test_a_doubtful_digit_among_letters_is_a_letter():
    # "objects": the o reads 0 at 0.8, b, j, e read as no digit
    boxes = line(22, 20, 12, 20)
    assert in_words(boxes, probs_of((0, 0.8), LETTER, LETTER, LETTER)).tolist() == [
        True, False, False, False]


def test_a_sure_digit_beside_letters_stays():
    boxes = line(22, 20)
    assert not in_words(boxes, probs_of((0, 0.99), LETTER)).any()


def test_digits_that_outnumber_the_letters_of_their_run_stay():
    # "1 0 x 5": a handwritten number with one digit the model rejects
    boxes = line(10, 22, 22, 22)
    assert not in_words(boxes, probs_of((1, 0.9), (0, 0.9), LETTER, (5, 0.9))).any()


@pytest.mark.parametrize("width, why", [(8, "a bar: a thin 1 read as none"),
                                         (40, "two touching digits read as none")])
def test_shapes_unlike_a_letter_are_no_evidence(width, why):
    boxes = line(22, width)
    assert not in_words(boxes, probs_of((0, 0.8), LETTER)).any(), why


def test_a_shape_read_as_no_digit_without_much_certainty_is_no_letter():
    boxes = line(22, 20)
    assert not in_words(boxes, probs_of((0, 0.8), (NOT_A_DIGIT, 0.6))).any()


@pytest.mark.parametrize("box, why", [((78, 140, 20, 30), "on the next line"),
                                      ((110, 100, 20, 30), "too far along the line"),
                                      ((76, 100, 10, 12), "much smaller")])
def test_letters_that_are_no_line_neighbour_are_no_evidence(box, why):
    boxes = np.array([(50, 100, 22, 30), box], np.int32)
    assert not in_words(boxes, probs_of((0, 0.8), LETTER)).any(), why


def test_a_word_reaches_its_digits_through_a_chain_of_letters():
    # "lessons": doubtful 1, 0, 5 among e, s, n (3 letters to 3 digits in one run)
    boxes = line(8, 20, 20, 20, 22, 20)
    reads = probs_of((1, 0.9), LETTER, LETTER, LETTER, (0, 0.7), (5, 0.6))
    assert in_words(boxes, reads).tolist() == [True, False, False, False, True, True]


def test_the_letters_of_a_scanned_page_the_model_takes_for_digits_are_left_out(reader):
    """scikit-image's scanned page (never in the training scenes) at 2x: read without word
    context, its o, s and l read as digits; the reader leaves out those among letters."""
    skimage_data = pytest.importorskip("skimage.data")
    page = cv2.resize(skimage_data.page(), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    batch, boxes, parents = prepare(page)
    probs = reader.classifier(batch)
    chosen = choose_parts(parents, probs)
    boxes, probs = boxes[chosen], probs[chosen]
    keep = suppress(boxes, probs)
    alone = Detections(boxes[keep], probs[keep])
    taken = int(((alone.probs.argmax(axis=1) != NOT_A_DIGIT)
                 & (alone.probs.max(axis=1) >= reader.min_confidence)).sum())
    assert taken >= 3  # the case this guards: letters read one by one are digits
    assert len(reader.read(page).digits) <= taken - 3
