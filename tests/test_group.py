"""Digits -> numbers in reading order."""

from __future__ import annotations

import math

from livedigits.group import group
from livedigits.types import Digit


def d(label: int, x: int, y: int, w: int = 20, h: int = 40, conf: float = 0.9) -> Digit:
    return Digit(label, conf, (x, y, w, h))


def texts(digits) -> list[str]:
    return [n.text for n in group(digits)[1]]


def test_lines_top_to_bottom_left_to_right_whatever_the_input_order():
    digits = [d(8, 130, 200), d(4, 100, 100), d(0, 125, 102), d(7, 150, 98), d(1, 100, 205)]
    ordered, numbers = group(digits)
    assert [x.label for x in ordered] == [4, 0, 7, 1, 8]
    assert [n.text for n in numbers] == ["407", "18"]


def test_a_wide_gap_splits_numbers_on_one_line():
    assert texts([d(1, 0, 0), d(2, 25, 0), d(3, 120, 0), d(4, 145, 0)]) == ["12", "34"]


def test_a_year_written_with_gaps_of_a_digit_width_is_one_number():
    """ "2 0 1 9" spaced about one digit width apart, with a short 0 (a gap over 0.9 of the
    0's height): one number."""
    digits = [d(2, 0, 0, 24, 40), d(0, 54, 14, 22, 26), d(1, 106, 0, 10, 40), d(9, 146, 2, 24, 40)]
    assert texts(digits) == ["2019"]


def test_wide_spacing_throughout_keeps_numbers_whole_but_not_two_apart_numbers():
    spaced = [d(i, 45 * i, 0) for i in range(4)]  # every gap 25 px, 0.6 heights
    wide = [d(i, 60 * i, 0) for i in range(4)]  # every gap 40 px, a whole height
    assert texts(spaced) == ["0123"] and texts(wide) == ["0123"]
    assert texts([d(1, 0, 0), d(2, 25, 0), d(3, 140, 0), d(4, 165, 0)]) == ["12", "34"]
    singles = [d(i, 84 * i, 0) for i in range(4)]  # one-digit numbers 64 px (1.6 heights) apart
    assert texts(singles) == ["0", "1", "2", "3"]


def test_a_slanted_line_stays_one_number():
    digits = [d(i, 25 * i, 100 + 12 * i) for i in range(6)]  # drifts a whole height down
    assert texts(digits) == ["012345"]


def test_number_box_and_confidence():
    _, (number,) = group([d(5, 10, 10, conf=0.9), d(6, 35, 14, conf=0.6)])
    assert number.box == (10, 10, 45, 44)
    assert number.confidence == 0.6 and len(number.digits) == 2


def test_nothing_in_nothing_out():
    assert group([]) == ((), ())


def test_a_line_written_uphill_is_read_in_order():
    """Upright digits climbing 35 degrees, each higher than the whole of the one before: one
    line, left to right (as photo r049 of the shared set)."""
    digits = [d(i, 60 * i, 400 - 42 * i, 40, 40) for i in range(6)]
    ordered, numbers = group(digits[::-1])
    assert [x.label for x in ordered] == [0, 1, 2, 3, 4, 5]
    assert [n.text for n in numbers] == ["012345"]


def test_a_page_turned_40_degrees_keeps_its_lines_and_numbers():
    angle = math.radians(40)
    written = [("1234", 0, 0), ("56", 0, 1), ("9", 0, 2), ("78", 180, 2)]  # text, start, line
    digits = []
    for text, start, line in written:
        for k, ch in enumerate(text):
            u, v = start + 36 * k, 80 * line  # along the line, down the page
            x = 300 + u * math.cos(angle) - v * math.sin(angle)
            y = 100 + u * math.sin(angle) + v * math.cos(angle)
            digits.append(d(int(ch), round(x), round(y), 20, 40))
    ordered, numbers = group(digits)
    assert "".join(str(x.label) for x in ordered) == "123456978"
    assert [n.text for n in numbers] == ["1234", "56", "9", "78"]
