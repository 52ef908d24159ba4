"""Reader: the stages composed for one frame. It never draws, opens files or starts threads."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .classify import CLASSES, NOT_A_DIGIT, Classifier
from .group import group
from .normalize import normalize_batch
from .segment import MAX_CANDIDATES, binarize, find_candidates, to_gray
from .track import Tracker
from .types import Detections, Digit, Reading

MAX_SIDE = 640  # frames are segmented at most this large: 720p is halved exactly (fast)


def work_scale(shape: tuple[int, ...], scale: float | None = None) -> float:
    """The factor a frame is resized by before segmentation (<= 1; `scale` overrides)."""
    if scale is not None:
        return float(scale)
    return min(1.0, MAX_SIDE / max(shape[0], shape[1]))


def decide(detections: Detections, min_confidence: float) -> list[Digit]:
    """Keep candidates where a digit wins with at least `min_confidence`."""
    probs = detections.probs
    labels = probs.argmax(axis=1)
    confidence = probs[np.arange(len(probs)), labels]
    keep = np.flatnonzero((labels != NOT_A_DIGIT) & (confidence >= min_confidence))
    # Python numbers in one call each: indexing numpy scalars per digit costs more than the rest.
    return [Digit(label, score, tuple(box)) for label, score, box in
            zip(labels[keep].tolist(), confidence[keep].tolist(),
                detections.boxes[keep].tolist(), strict=True)]


class Reader:
    """Reads the digits and numbers of one frame at a time.

    >>> reading = Reader().read(frame_bgr)
    >>> [n.text for n in reading.numbers]

    model: path to an ONNX model (default: the shipped one); threads: onnxruntime threads;
    min_confidence: weaker digits are dropped; scale: resize factor before segmentation
    (default: frames larger than 640 px are reduced to 640).
    """

    def __init__(self, model: str | Path | None = None, threads: int | None = 1,
                 min_confidence: float = 0.5, scale: float | None = None,
                 max_candidates: int = MAX_CANDIDATES):
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in 0..1, got {min_confidence}")
        if scale is not None and not 0.05 <= scale <= 4.0:
            raise ValueError(f"scale must be in 0.05..4, got {scale}")
        self.classifier = Classifier(model, threads)
        self.min_confidence = min_confidence
        self.scale = scale
        self.max_candidates = max_candidates

    def mask(self, frame: np.ndarray,
             ink_is_dark: bool | None = None) -> tuple[np.ndarray, float, bool | None]:
        """The ink mask the digits are cut from, the scale it was made at, and the polarity."""
        gray = to_gray(frame)
        scale = work_scale(gray.shape, self.scale)
        if scale != 1.0:
            size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        mask, ink_is_dark = binarize(gray, ink_is_dark=ink_is_dark)
        return mask, scale, ink_is_dark

    def detect(self, frame: np.ndarray, ink_is_dark: bool | None = None) -> Detections:
        """Every candidate of one frame with its class probabilities, boxes in frame pixels.

        `ink_is_dark`: the polarity if known (see `Tracker.ink_is_dark`); decided otherwise.
        """
        if frame.size == 0:
            return Detections(np.zeros((0, 4), np.int32), np.zeros((0, CLASSES), np.float32))
        mask, scale, ink_is_dark = self.mask(frame, ink_is_dark)
        candidates = find_candidates(mask, self.max_candidates)
        probs = self.classifier(normalize_batch(candidates.masks, binary=True))
        return Detections(np.round(candidates.boxes / scale).astype(np.int32), probs, ink_is_dark)

    def read(self, frame: np.ndarray, tracker: Tracker | None = None) -> Reading:
        """Digits and numbers of one frame (BGR, BGRA or gray; 8-bit, 16-bit or float).

        With a `tracker` (one per camera or video), labels are smoothed over frames, each digit
        carries a stable `.track` id, and the ink polarity is decided only now and then.
        """
        if tracker is None:
            return Reading(*group(decide(self.detect(frame), self.min_confidence)))
        detections = self.detect(frame, tracker.ink_is_dark)
        return Reading(*group(tracker.update(detections, self.min_confidence)))
