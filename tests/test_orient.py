"""The probe of a poorly read frame: which quarter turn, if any, reads its candidates as digits."""

from __future__ import annotations

import numpy as np
from conftest import probs_of

from livedigits.classify import NOT_A_DIGIT
from livedigits.orient import probe_batch, reads_poorly, turns_of

NONE = (NOT_A_DIGIT, 0.95)


def test_a_frame_reads_poorly_when_it_reads_no_more_digits_than_rejects():
    assert reads_poorly(digits=2, rejected=6)
    assert reads_poorly(digits=6, rejected=6)  # a page on its side: its 0s, 1s and 8s read
    assert not reads_poorly(digits=7, rejected=6)  # a page of digits with some texture
    assert not reads_poorly(digits=0, rejected=4)  # too little to go on


def test_the_probe_turns_each_input_a_quarter_each_way():
    batch = np.zeros((1, 28, 28, 2), np.float32)
    batch[0, 2, 20, 0] = 1  # top right
    turned = probe_batch(batch)
    assert turned.shape == (2, 28, 28, 2) and turned.flags.c_contiguous
    assert turned[0, 7, 2, 0] == 1  # counter-clockwise: top right -> top left
    assert turned[1, 20, 25, 0] == 1  # clockwise: top right -> bottom right


def test_the_turn_that_reads_sure_digits_wins():
    # 6 probed candidates: counter-clockwise rows first, then clockwise.
    ccw = [(7, 0.99)] * 4 + [NONE] * 2
    cw = [(4, 0.6)] * 2 + [NONE] * 4
    assert turns_of(probs_of(*ccw, *cw)) == (270,)  # turned counter-clockwise it reads: 270
    assert turns_of(probs_of(*cw, *ccw)) == (90,)


def test_both_turns_are_tried_when_both_read_enough_the_better_first():
    """Upside down, a 0, 1, 8 or a 6 for a 9 still reads: the reader reads both ways."""
    right = [(7, 0.99)] * 5 + [NONE]
    upside_down = [(8, 0.99)] * 3 + [NONE] * 3
    assert turns_of(probs_of(*upside_down, *right)) == (90, 270)
    assert turns_of(probs_of(*right, *right)) == (270, 90)


def test_no_turn_when_neither_way_reads_enough_sure_digits():
    texture = [(1, 0.95)] * 2 + [(4, 0.7)] * 3 + [NONE] * 5
    assert turns_of(probs_of(*texture, *texture)) == ()
    # 3 sure digits of 20 probed: under TURNED_SHARE
    many = [(7, 0.99)] * 3 + [NONE] * 17
    assert turns_of(probs_of(*many, *[NONE] * 20)) == ()
