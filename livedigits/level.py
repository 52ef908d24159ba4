"""Pages turned in the camera's view (a phone held askew, a note lying at an angle): the frame
is turned so that the lines run level and read again.

The classifier knows digits upright and tilted a little (MNIST's own slant plus the training
augmentation): on generated stills turned 30 degrees it misses one digit in seven, turned 40
degrees two in five. The lines' direction comes from the digits the first reading found, the
same nearest-neighbour measure that groups sloping lines into numbers (`group`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .group import neighbour_angles

LEVEL = math.radians(12)  # lines steeper than this are read again from the frame turned level
MIN_PAIRS = 3  # digits with a neighbour on their right the angle is measured from, at least
AGREE = math.radians(10)  # ... of which at least half lie this close to their median angle


def line_angle(boxes: np.ndarray) -> float | None:
    """The direction the lines of the digits in `boxes` run (radians, image y down), if at
    least MIN_PAIRS digits agree on it, else None."""
    angles = neighbour_angles(np.asarray(boxes, np.float64).reshape(-1, 4))
    if len(angles) < MIN_PAIRS:
        return None
    middle = float(np.median(angles))
    if np.count_nonzero(np.abs(angles - middle) <= AGREE) * 2 < len(angles):
        return None
    return middle


def level(image: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """`image` turned by `angle` (radians, image y down) so that lines running at that angle
    run level, on a canvas large enough to hold all of it (the corners filled with the nearest
    edge's pixels); and the 2x3 affine matrix from `image`'s pixels to the turned one's."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), math.degrees(angle), 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (math.ceil(width * cos + height * sin), math.ceil(width * sin + height * cos))
    matrix[:, 2] += (size[0] - width) / 2, (size[1] - height) / 2
    turned = cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return turned, matrix


def unlevel(boxes: np.ndarray, masks: list[np.ndarray], matrix: np.ndarray,
            shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Candidates of the turned image of `level`, their (N, 4) x, y, w, h boxes and ink masks
    -> the boxes of their ink turned back into the source image of `shape`, clipped to it (as
    the reader gives for an upright page: the box around a turned box would be up to 1.4x
    larger); and the rows whose centre lies in the source image (the others were read from
    the filled corners)."""
    if not len(boxes):
        return boxes, np.zeros(0, np.intp)
    points, counts = [], []
    for (x, y, w, h), mask in zip(boxes.tolist(), masks, strict=True):
        ink = cv2.findNonZero(mask)
        ink = (np.array([[0, 0], [w - 1, h - 1]]) if ink is None else ink.reshape(-1, 2))
        points.append(ink + np.array([x, y]))
        counts.append(len(ink))
    back = cv2.invertAffineTransform(matrix)
    # OpenCV's maps take integer coordinates as pixel centres: the ink's centres turned back,
    # each box from its outermost centres' pixels.
    source = np.concatenate(points) @ back[:, :2].T + back[:, 2]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    low, high = np.minimum.reduceat(source, starts), np.maximum.reduceat(source, starts)
    height, width = shape[:2]
    centre = (low + high) / 2  # before clipping: a box read in a filled corner lies outside
    inside = np.flatnonzero((centre[:, 0] >= 0) & (centre[:, 0] < width)
                            & (centre[:, 1] >= 0) & (centre[:, 1] < height))
    low = np.clip(np.round(low), 0, [width, height])
    high = np.clip(np.round(high) + 1, 0, [width, height])
    return np.concatenate([low, high - low], axis=1).astype(boxes.dtype), inside
