"""Draw a Reading over a frame. Drawing never infers: everything comes from the Reading."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import Reading

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Style:
    """How the overlay looks (BGR colours; sizes scale with the frame height)."""

    digit_color: Color = (40, 200, 40)
    number_color: Color = (0, 140, 255)
    caption_color: Color = (255, 255, 255)
    show_confidence: bool = True
    font: int = cv2.FONT_HERSHEY_SIMPLEX


def _label(image: np.ndarray, text: str, origin: tuple[int, int], color: Color, scale: float,
           font: int) -> None:
    """Text on a filled box, kept inside the image."""
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    x = min(max(origin[0], 0), max(0, image.shape[1] - tw - 4))
    y = min(max(origin[1], th + base + 2), image.shape[0] - 1)
    cv2.rectangle(image, (x, y - th - base - 2), (x + tw + 4, y), color, -1)
    cv2.putText(image, text, (x + 2, y - base), font, scale, (0, 0, 0), thick, cv2.LINE_AA)


def render(image: np.ndarray, reading: Reading, style: Style = Style(),
           caption: str | None = None) -> np.ndarray:
    """A BGR copy of `image` with digit boxes, labels, number strings and an optional caption."""
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image[:, :, :3].copy()
    size = max(0.35, out.shape[0] / 1400)
    for number in reading.numbers:
        x, y, w, h = number.box
        pad = max(2, h // 10)
        cv2.rectangle(out, (x - pad, y - pad), (x + w + pad, y + h + pad), style.number_color,
                      max(1, round(size * 3)))
        _label(out, number.text, (x - pad, y + h + pad + round(40 * size)), style.number_color,
               size * 1.6, style.font)
    for digit in reading.digits:
        x, y, w, h = digit.box
        cv2.rectangle(out, (x, y), (x + w, y + h), style.digit_color, max(1, round(size * 2)))
        text = str(digit.label)
        if style.show_confidence:
            text += f" {digit.confidence:.2f}"
        _label(out, text, (x, y - 2), style.digit_color, size, style.font)
    if caption:
        _label(out, caption, (4, round(30 * size) + 8), style.caption_color, size * 1.2,
               style.font)
    return out
