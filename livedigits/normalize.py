"""Turn the binary mask of one candidate into the model input, the way MNIST digits are made.

MNIST digits sit in a 20x20 box (aspect ratio kept) centred by centre of mass in a 28x28 field,
white ink on black. Training, evaluation and the reader all call :func:`normalize`, so the model
sees at run time exactly what it was trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

SIZE = 28  # model input side
BOX = 20  # the digit's longer side inside the 28x28 field
MAX_SKEW = 1.0  # 45 degrees; beyond that the "slant" is a shape, not handwriting


def deskew(ink: np.ndarray) -> np.ndarray:
    """Shear `ink` (uint8, 0/255) so that its second-order moment skew mu11/mu02 becomes 0.

    The shear pivots on the centre of mass, and the canvas grows so no ink is cut off.
    """
    # Moments of the 0/255 image: 255 times those of the binary one, the same ratios, and 2x
    # faster here than binaryImage=True.
    m = cv2.moments(ink)
    if m["m00"] == 0 or m["mu02"] < 255e-2:
        return ink
    skew = min(max(m["mu11"] / m["mu02"], -MAX_SKEW), MAX_SKEW)
    h, w = ink.shape
    pad = math.ceil(abs(skew) * h / 2) + 1
    cy = m["m01"] / m["m00"]
    # x' = x - skew * (y - cy): rows below the centre move left when the digit leans right.
    shear = np.array([[1.0, -skew, skew * cy + pad], [0.0, 1.0, 0.0]], np.float32)
    return cv2.warpAffine(ink, shear, (w + 2 * pad, h), flags=cv2.INTER_LINEAR)


def normalize(mask: np.ndarray) -> np.ndarray:
    """Return the (28, 28) float32 model input, 0..1, for one candidate's 2-D mask (nonzero = ink).

    Deskew by moments, fit the ink into 20x20 keeping the aspect ratio, then place it so that its
    centre of mass lands on (14, 14). An empty mask gives all zeros; nothing here raises on odd
    shapes (a 1-px line, a single pixel, a huge blob).
    """
    return normalize_batch([mask])[0, :, :, 0]


def _binary(mask: np.ndarray) -> np.ndarray | None:
    """Any 2-D mask -> uint8 0/255 (None for an empty or non-2-D one)."""
    if mask.ndim != 2 or mask.size == 0:
        return None
    if mask.dtype == np.uint8:
        return cv2.threshold(mask, 0, 255, cv2.THRESH_BINARY)[1]
    return np.where(mask != 0, np.uint8(255), np.uint8(0))


def _fit(ink: np.ndarray, out: np.ndarray) -> None:
    """Normalize a 2-D uint8 0/255 mask into `out`, a zeroed (28, 28) uint8 array (0..255)."""
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return
    ink = deskew(ink[y : y + h, x : x + w])
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return
    ink = ink[y : y + h, x : x + w]

    scale = BOX / max(w, h)
    fit_w, fit_h = max(1, round(w * scale)), max(1, round(h * scale))
    # INTER_AREA averages when shrinking, giving the soft grey edges MNIST strokes have.
    patch = cv2.resize(ink, (fit_w, fit_h), interpolation=cv2.INTER_AREA)

    m = cv2.moments(patch)
    cx, cy = (m["m10"] / m["m00"], m["m01"] / m["m00"]) if m["m00"] > 0 else (fit_w / 2, fit_h / 2)
    left, top = round(SIZE / 2 - cx), round(SIZE / 2 - cy)
    # Paste with clipping: a lopsided shape may push part of the box outside the field.
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + fit_w, SIZE), min(top + fit_h, SIZE)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]


def normalize_batch(masks: Sequence[np.ndarray], binary: bool = False) -> np.ndarray:
    """Normalize many masks into one (N, 28, 28, 1) float32 batch for the classifier.

    binary: every mask is a non-empty 2-D uint8 array of 0 and 255 (as `find_candidates` makes
    them), so the check and conversion per mask are skipped; the result is the same.
    """
    # Filled as uint8 and scaled to 0..1 once for the whole batch: per digit, every numpy call
    # counts.
    batch = np.zeros((len(masks), SIZE, SIZE, 1), np.uint8)
    for i, mask in enumerate(masks):
        ink = mask if binary else _binary(mask)
        if ink is not None:
            _fit(ink, batch[i, :, :, 0])
    return batch.astype(np.float32) * np.float32(1 / 255)
