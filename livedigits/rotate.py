"""Quarter turns for a camera mounted sideways or a page lying on its side: the frame is turned
upright before reading, and every box is mapped back to the source frame's pixels."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from .types import Digit, Number, Reading

TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def check(degrees: int) -> int:
    """The turn, validated: 0, 90, 180 or 270 (clockwise)."""
    if degrees not in (0, *TURNS):
        raise ValueError(f"rotate must be 0, 90, 180 or 270 degrees, got {degrees}")
    return degrees


def turn(frame: np.ndarray, degrees: int) -> np.ndarray:
    """`frame` turned `degrees` clockwise (0: the frame itself)."""
    return frame if not degrees else cv2.rotate(frame, TURNS[degrees])


def unturn_boxes(boxes: np.ndarray, degrees: int, shape: tuple[int, ...]) -> np.ndarray:
    """(N, 4) x, y, w, h boxes in the turned frame -> boxes in the source frame of `shape`."""
    if not degrees or not len(boxes):
        return boxes
    height, width = shape[:2]
    x, y, w, h = (boxes[:, i] for i in range(4))
    if degrees == 90:  # a turned pixel (x, y) came from (y, height - 1 - x)
        out = (y, height - x - w, h, w)
    elif degrees == 180:
        out = (width - x - w, height - y - h, w, h)
    else:  # 270: from (width - 1 - y, x)
        out = (width - y - h, x, h, w)
    return np.stack(out, axis=1).astype(boxes.dtype)


def unturn_reading(reading: Reading, degrees: int, shape: tuple[int, ...]) -> Reading:
    """A reading made on the turned frame, its boxes in the source frame (order unchanged)."""
    if not degrees:
        return reading

    def box(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return tuple(unturn_boxes(np.array([b]), degrees, shape)[0].tolist())

    def digit(d: Digit) -> Digit:
        return dataclasses.replace(d, box=box(d.box))

    moved = {id(d): digit(d) for d in reading.digits}
    numbers = tuple(Number(n.text, box(n.box), n.confidence,
                           tuple(moved.get(id(d)) or digit(d) for d in n.digits))
                    for n in reading.numbers)
    return Reading(tuple(moved[id(d)] for d in reading.digits), numbers)
