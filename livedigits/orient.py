"""A page on its side: most of its digits read as no digit upright, and as sure digits when their
model inputs are given a quarter turn. A cheap probe on a frame that reads poorly says whether
and which way to read it turned. Pure functions over the classifier's batch and probabilities."""

from __future__ import annotations

import numpy as np

from .classify import confident

POOR = 5  # candidates read as no digit, at least, for a frame to be probed...
POOR_SHARE = 1.0  # ...and digits read at most as many as them
PROBED = 20  # the candidates read as no digit that stand out most are probed, at most
SURE = 0.9  # a probed candidate counts for a turn when it reads as a digit this surely...
TURNED = 3  # ...and a turn is tried when at least this many...
TURNED_SHARE = 0.3  # ...and this share of the probed count for it
# np.rot90 k (counter-clockwise quarter turns of a model input) -> the clockwise degrees that
# turn the frame upright (Reader's `rotate`)
DEGREES = {1: 270, 3: 90}


def reads_poorly(digits: int, rejected: int) -> bool:
    """Whether a frame with `digits` read and `rejected` candidates read as no digit is worth a
    probe: a page on its side, or texture (which the probe then rules out)."""
    return rejected >= POOR and digits <= POOR_SHARE * rejected


def probe_batch(batch: np.ndarray) -> np.ndarray:
    """The (N, 28, 28, C) model inputs of the probed candidates turned both ways: 2N rows, first
    a quarter turn counter-clockwise, then clockwise."""
    return np.ascontiguousarray(np.concatenate([np.rot90(batch, k, axes=(1, 2))
                                                for k in DEGREES]))


def turns_of(probs: np.ndarray) -> tuple[int, ...]:
    """From the probabilities of `probe_batch`'s rows: the clockwise degrees (90, 270) that may
    turn the frame upright, the way that reads more sure digits first, or none when neither way
    reads enough. Both may pass (upside down, 0, 1, 6, 8 and 9 still read as digits): the
    reader then reads both ways and keeps the one that finds more."""
    ways = np.split(probs, len(DEGREES))
    counts = np.array([len(confident(way, SURE)) for way in ways])
    enough = counts >= max(TURNED, TURNED_SHARE * len(ways[0]))
    order = np.argsort(-counts, kind="stable")
    return tuple(list(DEGREES.values())[i] for i in order.tolist() if enough[i])
