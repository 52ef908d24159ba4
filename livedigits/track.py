"""Digits across frames: stable ids and smoothed class probabilities, so labels hold still.

A frame's candidates are matched to the tracks of earlier frames by box overlap (greedy, best
overlap first). Each track keeps an exponential average of its class probabilities, "not a
digit" included, so one bad frame cannot flip a label and a speck that is read as a digit now
and then stays hidden. A track is shown once it has been seen in `min_hits` frames and is kept
at its last box through up to `max_misses` frames without a match; whether it is shown follows
its averaged confidence with hysteresis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import match
from .classify import CLASSES, NOT_A_DIGIT
from .types import Detections, Digit


@dataclass(frozen=True)
class TrackerSettings:
    """How steady labels are.

    alpha: weight of the newest frame in the probability average (1 = no smoothing);
    min_hits: frames a digit must be seen before it is shown; max_misses: frames it is kept
    without being seen; hysteresis: width of the band around min_confidence in which a digit
    keeps its state (shown at min_confidence + hysteresis / 2, hidden below min_confidence -
    hysteresis / 2); margin: another class must beat the shown one by this much to replace it;
    min_overlap: box overlap (IoU) that links a candidate to a track.

    The defaults were chosen on five generated handheld videos (make_samples.py seeds 1-5),
    not on samples/video.mp4.
    """

    alpha: float = 0.2
    min_hits: int = 3
    max_misses: int = 5
    hysteresis: float = 0.3
    margin: float = 0.1
    min_overlap: float = 0.2


NO_SMOOTHING = TrackerSettings(alpha=1.0, min_hits=1, max_misses=0, hysteresis=0.0, margin=0.0)
HIDDEN = -1


class Tracker:
    """Follows the candidates of one camera or video from frame to frame.

    >>> tracker = Tracker()
    >>> for frame in frames:
    ...     reading = reader.read(frame, tracker)   # digits carry .track ids

    Use one Tracker per source; `Tracker(NO_SMOOTHING)` gives ids with per-frame labels.
    """

    def __init__(self, settings: TrackerSettings = TrackerSettings()):
        if not 0.0 < settings.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {settings.alpha}")
        self.settings = settings
        self.boxes = np.zeros((0, 4), np.int32)
        self.probs = np.zeros((0, CLASSES), np.float32)
        self.ids = np.zeros(0, np.int64)
        self.hits = np.zeros(0, np.int32)
        self.misses = np.zeros(0, np.int32)
        self.labels = np.zeros(0, np.int64)  # the label shown, HIDDEN when none
        self.next_id = 0

    def update(self, detections: Detections, min_confidence: float) -> list[Digit]:
        """Fold one frame's candidates in; return the digits to show, with track ids."""
        s = self.settings
        pairs = match(self.boxes, detections.boxes, s.min_overlap)
        old = np.array([p[0] for p in pairs], np.intp)
        new = np.array([p[1] for p in pairs], np.intp)
        seen = np.zeros(len(self.ids), bool)
        seen[old] = True
        self.boxes[old] = detections.boxes[new]
        self.probs[old] += s.alpha * (detections.probs[new] - self.probs[old])
        self.hits[old] += 1
        self.misses = np.where(seen, 0, self.misses + 1)

        unmatched = np.ones(len(detections.boxes), bool)
        unmatched[new] = False
        fresh = np.flatnonzero(unmatched)  # (np.setdiff1d costs 10x more)
        n = len(fresh)
        if n:  # (in a steady scene most frames bring no new track: no copies then)
            self.boxes = np.concatenate([self.boxes, detections.boxes[fresh]])
            self.probs = np.concatenate([self.probs, detections.probs[fresh]])
            self.ids = np.concatenate([self.ids, self.next_id + np.arange(n)])
            self.hits = np.concatenate([self.hits, np.ones(n, np.int32)])
            self.misses = np.concatenate([self.misses, np.zeros(n, np.int32)])
            self.labels = np.concatenate([self.labels, np.full(n, HIDDEN)])
            self.next_id += n

        alive = self.misses <= s.max_misses
        if not alive.all():
            for name in ("boxes", "probs", "ids", "hits", "misses", "labels"):
                setattr(self, name, getattr(self, name)[alive])
        self.labels = self._relabel(min_confidence)
        shown = np.flatnonzero((self.hits >= s.min_hits) & (self.labels != HIDDEN))
        labels = self.labels[shown]
        return [Digit(*fields) for fields in zip(
            labels.tolist(), self.probs[shown, labels].tolist(),
            map(tuple, self.boxes[shown].tolist()), self.ids[shown].tolist(), strict=True)]

    def _relabel(self, min_confidence: float) -> np.ndarray:
        """Each track's label after this frame: a Schmitt trigger around `min_confidence`.

        Borderline shapes (a printed "t" read as 1 at 0.4-0.6) would otherwise blink on and off
        as their averaged confidence wanders across one threshold.
        """
        half_band = self.settings.hysteresis / 2
        rows = np.arange(len(self.probs))
        best = self.probs.argmax(axis=1)
        candidate = np.where((best != NOT_A_DIGIT)
                             & (self.probs[rows, best] >= min_confidence + half_band), best, HIDDEN)
        shown = self.labels != HIDDEN
        current = self.probs[rows, np.where(shown, self.labels, 0)]
        keep = (shown & (current >= min_confidence - half_band)
                & (self.probs[rows, best] <= current + self.settings.margin))
        return np.where(keep, self.labels, candidate)
