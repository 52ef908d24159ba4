"""Frozen result types of the reader. No OpenCV here: results are plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Box = tuple[int, int, int, int]
"""x, y, width, height in the source frame's pixels."""


@dataclass(frozen=True, eq=False)
class Detections:
    """The candidates of one frame with their probabilities, before any is kept or dropped for
    its label or confidence (a cut candidate's whole or parts and the less confident of two
    digits on one spot are already left out; doubtful digits in printed words read as no digit,
    and a narrow candidate may read as its widened second look: see `reader.settle`).

    boxes: (N, 4) int32, x, y, w, h in the source frame's pixels; probs: (N, 11) float32 softmax,
    class 10 = not a digit.
    """

    boxes: np.ndarray
    probs: np.ndarray


@dataclass(frozen=True)
class Digit:
    """One digit read: `label` 0-9, softmax `confidence` 0..1, `track` id when tracking is on."""

    label: int
    confidence: float
    box: Box
    track: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "confidence": round(self.confidence, 4),
                               "box": list(self.box)}
        if self.track is not None:
            out["track"] = self.track
        return out


@dataclass(frozen=True)
class Number:
    """Neighbouring digits on one line read as one number; `confidence` is its weakest digit's."""

    text: str
    box: Box
    confidence: float
    digits: tuple[Digit, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 4)}


@dataclass(frozen=True)
class Reading:
    """Everything read in one frame, digits and numbers in reading order."""

    digits: tuple[Digit, ...] = ()
    numbers: tuple[Number, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"digits": [d.as_dict() for d in self.digits],
                "numbers": [n.as_dict() for n in self.numbers]}
