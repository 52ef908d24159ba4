"""A small doubtful digit alone is taken for texture; one with company, a sure one or one shown
up close stays a digit."""

from __future__ import annotations

import numpy as np
from conftest import probs_of

from livedigits.classify import NOT_A_DIGIT
from livedigits.lone import lone_doubts
from livedigits.reader import settle

SIDE = 720  # the frame's shorter side
DOUBTFUL_4 = (4, 0.7)
SURE_1 = (1, 0.99)


def boxes_of(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    return np.array(boxes, np.int32).reshape(-1, 4)


def test_a_small_doubtful_digit_alone_is_a_doubt():
    assert lone_doubts(boxes_of((600, 300, 20, 30)), probs_of(DOUBTFUL_4), SIDE).tolist() == [True]


def test_a_doubtful_digit_with_a_digit_beside_it_stays():
    boxes = boxes_of((600, 300, 20, 30), (625, 300, 12, 30))
    assert lone_doubts(boxes, probs_of(DOUBTFUL_4, SURE_1), SIDE).tolist() == [False, False]


def test_a_neighbour_on_a_sloping_line_counts():
    """A page turned 45 degrees: the next digit is down and to the right, no vertical overlap
    with a box one line-height lower."""
    boxes = boxes_of((600, 300, 20, 30), (640, 340, 20, 30))
    assert lone_doubts(boxes, probs_of(DOUBTFUL_4, SURE_1), SIDE).tolist() == [False, False]


def test_a_digit_far_away_is_no_company():
    boxes = boxes_of((600, 300, 20, 30), (800, 300, 20, 30))
    assert lone_doubts(boxes, probs_of(DOUBTFUL_4, SURE_1), SIDE).tolist() == [True, False]


def test_a_digit_of_another_size_is_no_company():
    """A speck read as a doubtful digit near a blob read as one, off its line: no number is
    written so."""
    boxes = boxes_of((600, 300, 20, 30), (625, 240, 40, 50))
    assert lone_doubts(boxes, probs_of(DOUBTFUL_4, SURE_1), SIDE).tolist() == [True, False]


def test_a_small_digit_on_the_line_of_taller_ones_has_company():
    """A hurried writer's 0, half as tall as the digits of its number, standing on their line;
    one 4 times smaller, or one a digit's height away, has none."""
    boxes = boxes_of((600, 300, 20, 60), (625, 330, 20, 30), (650, 300, 20, 60))
    assert lone_doubts(boxes, probs_of(SURE_1, (0, 0.7), SURE_1), SIDE).tolist() == [
        False, False, False]
    tiny = boxes_of((600, 300, 20, 60), (625, 345, 10, 15))
    assert lone_doubts(tiny, probs_of(SURE_1, (0, 0.7)), SIDE).tolist() == [False, True]
    apart = boxes_of((600, 300, 20, 60), (690, 330, 20, 30))
    assert lone_doubts(apart, probs_of(SURE_1, (0, 0.7)), SIDE).tolist() == [False, True]


def test_a_row_read_as_no_digit_is_no_company():
    boxes = boxes_of((600, 300, 20, 30), (625, 300, 20, 30))
    probs = probs_of(DOUBTFUL_4, (NOT_A_DIGIT, 0.99))
    assert lone_doubts(boxes, probs, SIDE).tolist() == [True, False]


def test_a_sure_digit_or_one_shown_up_close_stays():
    assert lone_doubts(boxes_of((600, 300, 20, 30)), probs_of((4, 0.95)), SIDE).tolist() == [False]
    close_up = boxes_of((400, 200, 80, 120))  # 120 px of 720: over SMALL
    assert lone_doubts(close_up, probs_of(DOUBTFUL_4), SIDE).tolist() == [False]


def test_the_reader_keeps_a_lone_doubt_as_a_row_read_as_no_digit():
    settled = settle(boxes_of((600, 300, 20, 30)), probs_of(DOUBTFUL_4), np.full(1, -1), SIDE)
    assert len(settled.boxes) == 1 and settled.probs.argmax(axis=1).tolist() == [NOT_A_DIGIT]
