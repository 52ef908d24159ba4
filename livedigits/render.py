"""Draw a Reading over a frame. Drawing never infers: everything comes from the Reading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .types import Box, Reading

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Style:
    """How the overlay looks (BGR colours; sizes scale with the frame height)."""

    digit_color: Color = (40, 200, 40)
    number_color: Color = (0, 140, 255)
    caption_color: Color = (255, 255, 255)
    show_confidence: bool = True
    font: int = cv2.FONT_HERSHEY_SIMPLEX


def _overlap(a: Box, b: Box) -> int:
    """The area two boxes share."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0


def place_labels(anchors: Sequence[Box], sizes: Sequence[tuple[int, int]],
                 image_size: tuple[int, int], below: Sequence[bool] = (),
                 obstacles: Sequence[Box] = ()) -> list[Box]:
    """Where each label goes: next to its `anchors` box, inside the image (w, h), over no label
    placed before it and over as little of the `obstacles` (the boxes drawn) as can be.

    A label of size (w, h) tries the row just above its box (just below where `below` says so),
    the row above that, the row just below, then rows further out, each aligned to the box's
    left and right edge; the first free place wins, else the one overlapping least (an overlap
    with a label counts 100 times one with an obstacle).
    """
    placed: list[Box] = []
    width, height = image_size
    for i, ((x, y, w, h), (lw, lh)) in enumerate(zip(anchors, sizes, strict=True)):
        over, under = y - lh - 1, y + h + 1
        first, second = [over - k * lh for k in range(3)], [under + k * lh for k in range(3)]
        if i < len(below) and below[i]:
            first, second = second, first
        rows = [first[0], first[1], second[0], first[2], second[1], second[2]]
        # Only what lies within reach of the places tried can be in the way.
        x0, x1, y0, y1 = x - lw, x + w + lw, over - 3 * lh, under + 4 * lh
        labels = [b for b in placed if b[0] < x1 and b[0] + b[2] > x0 and b[1] < y1
                  and b[1] + b[3] > y0]
        walls = [b for b in obstacles if b[0] < x1 and b[0] + b[2] > x0 and b[1] < y1
                 and b[1] + b[3] > y0]
        best, best_cost = (0, 0, lw, lh), None
        for row in rows:
            cy = min(max(row, 0), max(0, height - lh))
            for left in (x, x + w - lw):
                box = (min(max(left, 0), max(0, width - lw)), cy, lw, lh)
                cost = (100 * sum(_overlap(box, p) for p in labels)
                        + sum(_overlap(box, o) for o in walls))
                if best_cost is None or cost < best_cost:
                    best, best_cost = box, cost
                if cost == 0:
                    break
            if best_cost == 0:
                break
        placed.append(best)
    return placed


def _text_size(text: str, scale: float, font: int) -> tuple[tuple[int, int], int, int]:
    """(label width, height), baseline and stroke of `text` on its filled box."""
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    return (tw + 4, th + base + 2), base, thick


def _draw_label(image: np.ndarray, text: str, box: Box, color: Color, scale: float,
                font: int, base: int, thick: int) -> None:
    """Text on a filled box at `box` (from place_labels); `base`, `thick` from _text_size."""
    x, y, w, h = box
    cv2.rectangle(image, (x, y), (x + w, y + h), color, -1)
    cv2.putText(image, text, (x + 2, y + h - base - 1), font, scale, (0, 0, 0), thick,
                cv2.LINE_AA)


def add_caption(image: np.ndarray, caption: str, style: Style = Style()) -> np.ndarray:
    """A copy of a rendered image with `caption` in its top left corner."""
    out = image.copy()
    scale = max(0.35, out.shape[0] / 1400) * 1.2
    size, base, thick = _text_size(caption, scale, style.font)
    _draw_label(out, caption, (4, 4, *size), style.caption_color, scale, style.font, base, thick)
    return out


def render(image: np.ndarray, reading: Reading, style: Style = Style(),
           caption: str | None = None) -> np.ndarray:
    """A BGR copy of `image` with digit boxes, labels, number strings and an optional caption.

    Labels are placed so that they stay inside the image and none covers another.
    """
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image[:, :, :3].copy()
    size = max(0.35, out.shape[0] / 1400)
    frames, labels = [], []  # boxes drawn; (text, colour, scale, box it belongs to, below)
    for number in reading.numbers:
        x, y, w, h = number.box
        pad = max(2, h // 10)
        frames.append(((x - pad, y - pad, w + 2 * pad, h + 2 * pad), style.number_color,
                       max(1, round(size * 3))))
        labels.append((number.text, style.number_color, size * 1.6, frames[-1][0], True))
    for digit in reading.digits:
        frames.append((digit.box, style.digit_color, max(1, round(size * 2))))
        text = str(digit.label)
        if style.show_confidence:
            text += f" {digit.confidence:.2f}"
        labels.append((text, style.digit_color, size, digit.box, False))
    for (x, y, w, h), color, thick in frames:
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thick)
    sizes = [_text_size(text, scale, style.font) for text, _, scale, _, _ in labels]
    places = place_labels([label[3] for label in labels], [size for size, _, _ in sizes],
                          (out.shape[1], out.shape[0]), [label[4] for label in labels],
                          [digit.box for digit in reading.digits])  # the ink stays in sight
    for (text, color, scale, _, _), box, (_, base, thick) in zip(labels, places, sizes,
                                                                  strict=True):
        _draw_label(out, text, box, color, scale, style.font, base, thick)
    return add_caption(out, caption, style) if caption else out
