"""Turn one candidate into the model input: its mask the way MNIST digits are made, and the grey
picture around it.

Channel 0 is the candidate's binary mask as MNIST digits are made: deskewed, fitted into a 20x20
box (aspect ratio kept), centred by centre of mass in a 28x28 field, white ink on black.
Channel 1 is the grey frame under the same deskew, fit and shift, so it lines up with channel 0,
but it also shows the 4-pixel margin of the field around the digit and every grey level: a
pen stroke on clean paper, a streak of wood grain and the edge of a sheet are one picture in
channel 0 and three in channel 1. It is contrast-normalized per candidate: (grey - background) /
(ink - background), so the ink is about 1 and the paper about 0 whatever the light and polarity.

Training, evaluation and the reader all call :func:`normalize_batch`, so the model sees at run
time exactly what it was trained on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

SIZE = 28  # model input side
BOX = 20  # the digit's longer side inside the 28x28 field
CHANNELS = 2  # the mask, the grey picture
MAX_SKEW = 1.0  # 45 degrees; beyond that the "slant" is a shape, not handwriting
MIN_CONTRAST = 8.0  # grey levels: a fainter candidate is stretched no further than this
CONTEXT_RANGE = (-1.0, 2.0)  # channel 1 is clipped here: texture darker than paper, blacker ink
SHRINK = 2.0  # channel 1 samples a frame averaged down to at most this many times the field's scale


def _shear(ink: np.ndarray) -> tuple[float, float, int]:
    """The shear x' = x - skew * y + shift that makes `ink`'s moment skew mu11/mu02 zero:
    (skew, shift, the pad it adds per side; 0 when there is nothing to shear).

    The shear pivots on the centre of mass, and the canvas grows so no ink is cut off.
    """
    # Moments of the 0/255 image: 255 times those of the binary one, the same ratios, and 2x
    # faster here than binaryImage=True.
    m = cv2.moments(ink)
    if m["m00"] == 0 or m["mu02"] < 255e-2:
        return 0.0, 0.0, 0
    skew = min(max(m["mu11"] / m["mu02"], -MAX_SKEW), MAX_SKEW)
    pad = math.ceil(abs(skew) * ink.shape[0] / 2) + 1
    # x' = x - skew * (y - cy): rows below the centre move left when the digit leans right.
    return skew, skew * m["m01"] / m["m00"] + pad, pad


def _sheared(ink: np.ndarray, skew: float, shift: float, pad: int) -> np.ndarray:
    h, w = ink.shape
    matrix = np.array([[1.0, -skew, shift], [0.0, 1.0, 0.0]], np.float32)
    return cv2.warpAffine(ink, matrix, (w + 2 * pad, h), flags=cv2.INTER_LINEAR)


def deskew(ink: np.ndarray) -> np.ndarray:
    """Shear `ink` (uint8, 0/255) so that its second-order moment skew mu11/mu02 becomes 0."""
    skew, shift, pad = _shear(ink)
    return _sheared(ink, skew, shift, pad) if pad else ink


def normalize(mask: np.ndarray) -> np.ndarray:
    """Return channel 0, the (28, 28) float32 mask input, 0..1, for one 2-D mask (nonzero = ink).

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


def _fit(ink: np.ndarray, out: np.ndarray, origin: tuple[int, int] = (0, 0),
         min_width: float = 0.0) -> np.ndarray | None:
    """Normalize a 2-D uint8 0/255 mask into `out`, a zeroed (28, 28) uint8 array (0..255),
    stretched along x to at least `min_width` times its fitted height.

    Returns the 2x3 affine map to the field's pixels from those of the image in which `ink`'s
    top left corner lies at `origin`, or None for no ink.
    """
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0 or h == 0:
        return None
    crop = ink[y : y + h, x : x + w]
    skew, shift, pad = _shear(crop)
    if pad:
        crop = _sheared(crop, skew, shift, pad)
    x2, y2, w, h = cv2.boundingRect(crop)
    if w == 0 or h == 0:
        return None
    crop = crop[y2 : y2 + h, x2 : x2 + w]

    scale = BOX / max(w, h)
    fit_w, fit_h = max(1, round(w * scale)), max(1, round(h * scale))
    fit_w = max(fit_w, round(min_width * fit_h))
    # INTER_AREA averages when shrinking, giving the soft grey edges MNIST strokes have.
    patch = cv2.resize(crop, (fit_w, fit_h), interpolation=cv2.INTER_AREA)

    m = cv2.moments(patch)
    cx, cy = (m["m10"] / m["m00"], m["m01"] / m["m00"]) if m["m00"] > 0 else (fit_w / 2, fit_h / 2)
    left, top = round(SIZE / 2 - cx), round(SIZE / 2 - cy)
    # Paste with clipping: a lopsided shape may push part of the box outside the field.
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + fit_w, SIZE), min(top + fit_h, SIZE)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]

    # The same steps as one map, multiplied out by hand (a 3x3 product per candidate costs more
    # than the rest of the fit): move to the crop, shear, crop again, resize (pixel centres:
    # (v + 0.5) s - 0.5), shift. Channel 1 samples the grey frame with it.
    sx, sy = fit_w / w, fit_h / h
    x0, y0 = x + origin[0], y + origin[1]
    return np.array([[sx, -sx * skew, sx * (shift - x0 + skew * y0 + 0.5 - x2) - 0.5 + left],
                     [0.0, sy, sy * (0.5 - y2 - y0) - 0.5 + top]])


def _contrast(grey: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(grey - background) / (ink - background) per candidate, vectorized over the batch.

    grey: (N, 28, 28) float32 0..255; mask: (N, 28, 28) float32 0..1 (channel 0), whose ink
    weighs the ink level and whose rest weighs the background level.
    """
    ink_w = mask.sum(axis=(1, 2))
    ink = (grey * mask).sum(axis=(1, 2)) / np.maximum(ink_w, 1e-6)
    paper_w = SIZE * SIZE - ink_w
    paper = (grey.sum(axis=(1, 2)) - ink * ink_w) / np.maximum(paper_w, 1e-6)
    span = ink - paper
    span = np.where(span < 0, np.minimum(span, -MIN_CONTRAST), np.maximum(span, MIN_CONTRAST))
    out = (grey - paper[:, None, None]) / span[:, None, None]
    return np.clip(out, *CONTEXT_RANGE)


_FIELD = np.array([[0, 0], [SIZE, 0], [0, SIZE], [SIZE, SIZE]], np.float64)  # corners


def _shrunk(source: np.ndarray, warp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a digit shrunk more than SHRINK times into the field: the part of `source` the field
    sees, averaged down (INTER_AREA, as channel 0 is) to about SHRINK times the field's scale,
    and the map from it. Sampling the full-size frame would skip thin strokes of a big digit.
    """
    scale = max(abs(warp[0, 0]), abs(warp[1, 1]))
    if scale * SHRINK >= 1:
        return source, warp
    linear, shift = warp[:, :2], warp[:, 2]
    (a, b), (c, d) = linear.tolist()
    inverse = np.array([[d, -b], [-c, a]]) / (a * d - b * c)  # of the 2x2 part, by hand: cheaper
    seen = (_FIELD - shift) @ inverse.T
    height, width = source.shape
    x0, y0 = np.clip(np.floor(seen.min(axis=0)).astype(int) - 2, 0, [width - 1, height - 1])
    x1, y1 = np.clip(np.ceil(seen.max(axis=0)).astype(int) + 3, [x0 + 1, y0 + 1],
                     [width, height])
    zoom = scale * SHRINK
    small = cv2.resize(source[y0:y1, x0:x1], (max(1, round((x1 - x0) * zoom)),
                                               max(1, round((y1 - y0) * zoom))),
                       interpolation=cv2.INTER_AREA)
    zx, zy = small.shape[1] / (x1 - x0), small.shape[0] / (y1 - y0)
    # A small pixel q came from (q + 0.5) / z - 0.5 + origin of the full-size one.
    back = np.array([[1 / zx, 0, 0.5 / zx - 0.5 + x0], [0, 1 / zy, 0.5 / zy - 0.5 + y0]])
    return small, np.hstack([linear @ back[:, :2], (linear @ back[:, 2] + shift)[:, None]])


def normalize_batch(masks: Sequence[np.ndarray], boxes: np.ndarray | None = None,
                    gray: np.ndarray | None = None, binary: bool = False,
                    min_width: float = 0.0) -> np.ndarray:
    """Normalize candidates into one (N, 28, 28, 2) float32 batch for the classifier.

    masks: each candidate's 2-D mask (nonzero = ink); boxes: (N, 4) x, y, w, h of each mask in
    `gray`, the uint8 grey frame they were cut from (as the reader smooths it for thresholding).
    Without `gray`, channel 1 shows each mask as if scanned from blank paper.
    binary: every mask is a non-empty 2-D uint8 array of 0 and 255 (as `find_candidates` makes
    them), so the check and conversion per mask are skipped; the result is the same.
    min_width: the fitted ink is stretched along x to at least this share of its height (0: the
    aspect ratio is kept, as MNIST's; the reader's second look at narrow candidates widens them).
    """
    n = len(masks)
    if gray is not None and (boxes is None or len(boxes) != n):
        raise ValueError(f"normalize_batch: {n} masks need {n} boxes in `gray`, got "
                         f"{None if boxes is None else len(boxes)}")
    # Filled as uint8 and scaled to 0..1 once for the whole batch: per digit, every numpy call
    # counts.
    fitted = np.zeros((n, SIZE, SIZE), np.uint8)
    grey = np.zeros((n, SIZE, SIZE), np.uint8)
    for i, mask in enumerate(masks):
        ink = mask if binary else _binary(mask)
        if ink is None:
            continue
        origin = (0, 0) if gray is None else (int(boxes[i, 0]), int(boxes[i, 1]))
        warp = _fit(ink, fitted[i], origin, min_width)
        if warp is None:
            continue
        source, warp = _shrunk(ink if gray is None else gray, warp)
        # Outside the frame the nearest edge pixel goes on: no black border that looks like ink.
        cv2.warpAffine(source, warp, (SIZE, SIZE), grey[i], flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    batch = np.empty((n, SIZE, SIZE, CHANNELS), np.float32)
    batch[..., 0] = fitted * np.float32(1 / 255)
    batch[..., 1] = _contrast(grey.astype(np.float32), batch[..., 0])
    return batch
