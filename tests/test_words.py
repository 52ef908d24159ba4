"""Digits among the letters of printed words are letters; handwritten numbers keep theirs."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import probs_of

import livedigits.reader as reader_module
import livedigits.words as words_module
from livedigits.classify import NOT_A_DIGIT
from livedigits.reader import settle
from livedigits.words import among_letters, in_words, line_runs


def line(*widths: int, height: int = 30, gap: int = 3, y: int = 100) -> np.ndarray:
    """Boxes side by side on one line, `gap` pixels apart."""
    x = np.concatenate([[0], np.cumsum(np.array(widths) + gap)[:-1]]) + 50
    return np.array([(int(a), y, w, height) for a, w in zip(x, widths, strict=True)], np.int32)


LETTER = (NOT_A_DIGIT, 0.99)
DOUBTFUL_0 = (0, 0.8)


def test_a_doubtful_digit_among_letters_is_a_letter():
    # "objects": the o reads 0 at 0.8, b, j, e read as no digit
    boxes = line(22, 20, 12, 20)
    assert in_words(boxes, probs_of(DOUBTFUL_0, LETTER, LETTER, LETTER)).tolist() == [
        True, False, False, False]


@pytest.mark.parametrize("confidence, dropped", [(0.97, True), (0.985, False)])
def test_only_a_doubtful_digit_is_taken_for_a_letter(confidence, dropped):
    boxes = line(22, 20)
    assert in_words(boxes, probs_of((0, confidence), LETTER))[0] == dropped


def test_digits_that_outnumber_the_letters_of_their_run_stay():
    # "1 0 x 5": a handwritten number with one digit the model rejects; the sure 1 counts too
    boxes = line(12, 22, 22, 22)
    assert not in_words(boxes, probs_of((1, 0.99), (0, 0.9), LETTER, (5, 0.9))).any()
    assert in_words(boxes, probs_of(LETTER, (0, 0.9), LETTER, (5, 0.9))).tolist() == [
        False, True, False, True]


def test_a_wide_shape_read_as_none_links_a_word_but_is_no_letter():
    # "two": t, a "w" wider than tall, o read 0 at 0.8. Without the w in the run, the t (a
    # letter) is too far from the o to be its neighbour.
    boxes = line(14, 40, 22)
    assert in_words(boxes, probs_of(LETTER, LETTER, DOUBTFUL_0)).tolist() == [False, False, True]
    # "[96] 1": a merged pair of digits read as none beside a doubtful digit is no letter (were
    # it one, the run would hold as many letters as digits); a letter on another line.
    boxes = np.concatenate([line(40, 12), line(20, y=300)])
    assert not in_words(boxes, probs_of(LETTER, (1, 0.9), LETTER)).any()


@pytest.mark.parametrize("width, letter", [(9, False), (12, True), (29, True), (33, False)])
def test_a_letter_is_shaped_like_one(width, letter):
    """0.35-1 times as wide as tall: narrower is a bar (a thin 1 read as none), wider may be
    two touching digits read as none."""
    boxes = line(22, width)
    assert in_words(boxes, probs_of(DOUBTFUL_0, LETTER))[0] == letter


@pytest.mark.parametrize("certainty, letter", [(0.85, False), (0.92, True)])
def test_a_letter_reads_as_no_digit_surely(certainty, letter):
    boxes = line(22, 20)
    assert in_words(boxes, probs_of(DOUBTFUL_0, (NOT_A_DIGIT, certainty)))[0] == letter


@pytest.mark.parametrize("box, neighbour", [
    ((80, 100, 20, 30), True),  # 8 px apart: 0.27 heights
    ((83, 100, 20, 30), False),  # 11 px: 0.37, a word space
    ((70, 100, 20, 30), True),  # overlapping by 2 px (italics)
    ((67, 100, 20, 30), False),  # by 5 px
    ((76, 110, 20, 22), True),  # 30 over 22: 1.36 times as tall
    ((76, 112, 20, 20), False),  # 1.5 times
    ((76, 112, 20, 30), True),  # 18 px of 30 side by side: 0.6
    ((76, 114, 20, 30), False),  # 16 px: the next line
])
def test_line_neighbours_are_near_on_one_line_and_alike(box, neighbour):
    boxes = np.array([(50, 100, 22, 30), box], np.int32)
    assert in_words(boxes, probs_of(DOUBTFUL_0, LETTER))[0] == neighbour


def test_a_printed_label_keeps_the_number_after_it():
    # "LOT 60": three letters, a word space (0.5 heights), two doubtful digits
    label, number = line(20, 20, 20), line(20, 20)
    number[:, 0] += label[-1, 0] + 20 + 15 - number[0, 0]
    boxes = np.concatenate([label, number])
    assert not in_words(boxes, probs_of(LETTER, LETTER, LETTER, (6, 0.9), (0, 0.9))).any()


def test_the_paper_in_a_digits_loop_is_no_letter(monkeypatch):
    # "00", both doubtful: the paper in each loop, read in the other polarity as no digit, lies
    # beside the other 0 like a letter
    boxes = np.array([(50, 100, 20, 30), (72, 100, 20, 30), (52, 103, 16, 24),
                      (74, 103, 16, 24)], np.int32)
    reads = probs_of((0, 0.9), (0, 0.9), LETTER, LETTER)
    assert not in_words(boxes, reads).any()
    monkeypatch.setattr(words_module, "INSIDE", 2.0)  # holes counted: 2 letters to 2 digits
    assert in_words(boxes, reads)[:2].all()


def test_a_word_reaches_its_digits_through_a_chain_of_letters():
    # "lessons": doubtful 1, 0, 5 among e, s, n (3 letters to 3 digits in one run)
    boxes = line(8, 20, 20, 20, 22, 20)
    reads = probs_of((1, 0.9), LETTER, LETTER, LETTER, (0, 0.7), (5, 0.6))
    assert in_words(boxes, reads).tolist() == [True, False, False, False, True, True]


def test_runs_are_the_chains_of_line_neighbours_in_any_row_order():
    rng = np.random.default_rng(0)
    words = [line(20, 20, 20, 20, y=100), line(20, 20, y=200), line(20, y=300)]
    order = rng.permutation(7)
    runs = line_runs(np.concatenate(words)[order])
    word_of = np.array([0, 0, 0, 0, 1, 1, 2])[order]
    assert all(len(set(runs[word_of == w])) == 1 for w in range(3))
    assert len(set(runs)) == 3
    assert line_runs(np.zeros((0, 4), np.int32)).shape == (0,)


def test_a_letter_stays_a_row_that_reads_as_no_digit():
    """The reader keeps the row (a tracker counts it against the digit), read as no digit."""
    boxes = line(22, 20, 12, 20)
    probs = probs_of(DOUBTFUL_0, LETTER, LETTER, LETTER)
    settled = settle(boxes, probs, np.full(4, -1), side=720)
    assert len(settled.boxes) == 4 and (settled.probs.argmax(axis=1) == NOT_A_DIGIT).all()
    assert probs[0].argmax() == 0, "the caller's array is left alone"


def test_the_letters_of_a_scanned_page_the_model_takes_for_digits_are_left_out(reader,
                                                                                monkeypatch):
    """scikit-image's scanned page (never in the training scenes) at 2x, its print thinned by a
    3x3 maximum: read without word context, some of its letters read as digits; the reader
    leaves out those among letters. (At the scan's own weight the shipped model reads at most
    one of its letters as a digit, too few for the case.)"""
    skimage_data = pytest.importorskip("skimage.data")
    page = cv2.resize(skimage_data.page(), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    page = cv2.dilate(page, np.ones((3, 3), np.uint8))  # dark print on light paper: thinner
    with_words = len(reader.read(page).digits)
    monkeypatch.setattr(reader_module, "in_words", lambda boxes, probs: np.zeros(len(boxes), bool))
    without = len(reader.read(page).digits)
    assert without >= 3  # the case this guards: letters read one by one are digits
    assert with_words <= without - 3


def page(*lines: str, height: int = 30, pitch: int = 24, spacing: int = 60
         ) -> tuple[np.ndarray, np.ndarray]:
    """Boxes and readings of a printed page, one string per line: "l" a letter read surely as
    no digit, a digit character that digit read at 1.0, a space nothing."""
    boxes, reads = [], []
    for row, text in enumerate(lines):
        for col, char in enumerate(text):
            if char != " ":
                boxes.append((50 + col * pitch, 100 + row * spacing, 20, height))
                reads.append(LETTER if char == "l" else (int(char), 1.0))
    return np.array(boxes, np.int32), probs_of(*reads)


def test_sure_digits_on_an_upside_down_page_are_letters():
    """ "the" upside down reads 2, 4, 7, each surely: no letter in its run for `in_words`, but
    the page around it is letters."""
    boxes, probs = page("lllllllll", "lll247lll", "lllllllll")
    assert among_letters(boxes, probs).tolist() == [False] * 12 + [True] * 3 + [False] * 12
    assert not in_words(boxes, probs).any()


def test_a_digit_taken_for_a_letter_counts_as_one_for_its_neighbours():
    # the 4 has 4 letters around it, the 7 only 3 until the 4 is taken
    boxes, probs = page("lll", "4l  7")
    assert among_letters(boxes, probs).tolist() == [False, False, False, True, False, True]
    probs[3] = probs_of(LETTER)  # the 4 as a letter from the start: the 7 falls in one pass
    assert among_letters(boxes, probs)[5]
    boxes, probs = page("lll", "l   7")  # with no 4 at all, only 3 letters around the 7
    assert not among_letters(boxes, probs).any()


def test_a_printed_label_on_its_own_line_keeps_its_number():
    """A line of letters beside a number is a label, not a page: no letters above or below."""
    boxes, probs = page("llll 2 llll")  # 8 letters around the 2, none off its line
    assert not among_letters(boxes, probs).any()


def test_a_number_among_fewer_letters_keeps_its_digits():
    boxes, probs = page("l   l", "2024513", "l   l")  # 4 letters, 7 digits
    assert not among_letters(boxes, probs).any()


def test_letters_of_another_size_are_no_page_around_a_digit():
    """A handwritten number twice the height of the print it is written on."""
    boxes, probs = page("lllllllll", "lll   lll", "lllllllll")
    number, number_probs = page("47", height=60, pitch=40)
    number[:, 0] += 100
    number[:, 1] += 40
    assert not among_letters(np.concatenate([boxes, number]),
                             np.concatenate([probs, number_probs]))[-2:].any()


@pytest.mark.parametrize("certainty, taken", [(0.97, False), (0.99, True)])
def test_a_page_is_letters_read_as_no_digit_very_surely(certainty, taken):
    boxes, probs = page("lllllllll", "lll247lll", "lllllllll")
    letters = probs[:, NOT_A_DIGIT] > 0.5
    probs[letters] = probs_of((NOT_A_DIGIT, certainty))
    assert among_letters(boxes, probs)[13] == taken


def test_a_digit_among_letters_stays_a_row_read_as_no_digit():
    boxes, probs = page("lllllllll", "lll247lll", "lllllllll")
    settled = settle(boxes, probs, np.full(len(boxes), -1), side=720)
    assert len(settled.boxes) == len(boxes)
    assert (settled.probs.argmax(axis=1) == NOT_A_DIGIT).all()
