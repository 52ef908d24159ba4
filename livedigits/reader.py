"""Reader: the stages composed for one frame. It never draws, opens files or starts threads."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .boxes import overlaps
from .classify import CLASSES, NOT_A_DIGIT, Classifier, confident
from .group import group
from .images import ImageLike, as_image
from .level import LEVEL, level, line_angle, unlevel
from .lone import lone_doubts
from .normalize import CHANNELS, SIZE, normalize_batch
from .orient import PROBED, probe_batch, reads_poorly, turns_of
from .rotate import check as check_turn
from .rotate import turn, unturn_boxes, unturn_reading
from .segment import (
    MAX_CANDIDATES,
    Candidates,
    find_candidates,
    integral,
    min_height,
    smooth,
    split_touching,
    thresholds,
    to_gray,
)
from .track import Tracker
from .types import Detections, Digit, Reading
from .words import among_letters, in_words

SPLIT_DEPTH = 2  # a part of a cut candidate may be cut again: up to 4 touching digits
# A second look at narrow candidates: long-stemmed 7s and 9s and thin 1s written narrower than
# any MNIST digit read as no digit when fitted keeping their aspect; widened they read right.
NARROW = 0.45  # width over height of a whole candidate below which it gets a second look...
WIDENED = 0.5  # ...with its ink stretched along x to this share of its height
MAX_LOOKS = 20  # per frame, the candidates that stand out most: a textured frame stays bounded
LOOK_SURE = 0.9  # the widened look's digit replaces a "no digit" only this sure
ONE_SIDED = 0.9  # a part read as a digit this sure replaces a whole read as none
WHOLE = -1  # `parents` of a whole candidate; a second look at row r has LOOK - r
LOOK = -2
MAX_SIDE = 640  # frames are segmented at most this large: 720p is halved exactly (fast)
NOISY = 12  # grey levels of `grain` above which a reduced frame is still blurred 5x5
READ_AS_NONE = np.eye(CLASSES, dtype=np.float32)[NOT_A_DIGIT]  # a letter's or a lone doubt's row


def work_scale(shape: tuple[int, ...], scale: float | None = None) -> float:
    """The factor a frame is resized by before segmentation (<= 1; `scale` overrides)."""
    if scale is not None:
        return float(scale)
    return min(1.0, MAX_SIDE / max(shape[0], shape[1]))


def working_gray(frame: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
    """The smoothed uint8 gray frame at the working size, and the factor it was resized by.

    A reduced frame is already smoothed by the reduction (each pixel the mean of the pixels it
    covers), and a 5x5 blur on top would join small digits a few pixels apart (on crowded
    1280x720 pages, with one model: F1 87.4% with it, 96.3% with no blur; on the same pages
    seen at 960x540 and reduced to 640x360, 89.4% with it, 97.3% without). It gets a 3-pixel
    blur along y only: that still fades thin ruled lines, which would otherwise be cut out of
    the digits they cross, and leaves the columns between neighbouring digits open. A grainy
    frame (`grain` over NOISY, strong sensor noise) still gets the 5x5 blur: without it, pure
    noise becomes tens of thousands of specks and costs 8x a normal frame. A frame kept at its
    own size gets the 5x5 blur too (the light blur there: 12 more false digits on validation).
    """
    gray = to_gray(frame)
    factor = work_scale(gray.shape, scale)
    if factor != 1.0:
        size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    if factor < 1.0 and grain(gray) <= NOISY:
        return cv2.GaussianBlur(gray, (1, 3), 0), factor
    return smooth(gray), factor


def grain(gray: np.ndarray) -> int:
    """The median absolute difference of horizontal neighbours, on every 8th row: 1-3 grey
    levels on paper seen by a camera, 24 on uniform random noise. (uint8 absdiff and a
    histogram: a tenth of the cost of np.median over int16 differences, on every frame.)"""
    if gray.shape[1] < 2:
        return 0
    steps = cv2.absdiff(gray[::8, 1:], gray[::8, :-1])
    counts = np.bincount(steps.ravel(), minlength=256)
    return int(np.searchsorted(np.cumsum(counts), (steps.size + 1) / 2))


def polarities(ink_is_dark: bool | None) -> tuple[bool, ...]:
    """The ink polarities to read (True: dark ink): both, unless one is named."""
    return (True, False) if ink_is_dark is None else (ink_is_dark,)


def segment_frame(blurred: np.ndarray, ink_is_dark: bool | None = None,
                  max_candidates: int = MAX_CANDIDATES, shape: tuple[int, int] | None = None,
                  ) -> tuple[Candidates, np.ndarray]:
    """The candidates of a smoothed working-size frame, both polarities unless one is named.

    The `max_candidates` of both polarities that stand out most from their surroundings are
    kept (`segment.ink_contrast`); after them come the two parts of
    each candidate that may be two touching digits, then the parts of those parts (up to
    SPLIT_DEPTH levels: "3262" written as one blob is cut into two pairs, each pair in two).
    Returns the candidates (boxes in working pixels) and, per row, the row it is a part of (-1
    for a whole candidate; parts come in pairs, left then right, after the row they are cut
    from). `shape`: the frame size that size limits are relative to (default: `blurred`'s; a
    frame turned level on a larger canvas keeps its own).
    """
    dark, sums = polarities(ink_is_dark), integral(blurred)
    masks = thresholds(blurred, dark, shape=shape)
    wholes = [find_candidates(mask, max_candidates, blurred, d, sums, shape)
              for mask, d in zip(masks, dark, strict=True)]
    if sum(len(c.masks) for c in wholes) > max_candidates:  # the best ranked of both polarities
        least = np.sort(np.concatenate([c.rank for c in wholes]))[-max_candidates]
        wholes = [c.take(np.flatnonzero(c.rank >= least)[:max_candidates]) for c in wholes]
    rows: list[Candidates] = []
    parents = [np.full(len(c.masks), WHOLE, np.intp) for c in wholes]
    level = wholes
    for depth in range(SPLIT_DEPTH + 1):
        # Each block's first row in the whole batch: a part's parent index is shifted by it.
        starts = sum(len(c.masks) for c in rows) + np.cumsum([0] + [len(c.masks) for c in level])
        rows += level
        if depth == SPLIT_DEPTH:
            break
        # Small wholes (`segment.beside_digits`) are never cut; parts may be, as before.
        shortest = min_height(shape or blurred.shape) if depth == 0 else 0.0
        cuts = [split_touching(block, shortest=shortest) for block in level]
        level = [parts for parts, _ in cuts]
        parents += [of + start for (_, of), start in zip(cuts, starts[:-1], strict=True)]
    return (Candidates(np.concatenate([c.boxes for c in rows]),
                       tuple(m for c in rows for m in c.masks),
                       np.concatenate([c.rank for c in rows])), np.concatenate(parents))


def prepare(frame: np.ndarray, scale: float | None = None, ink_is_dark: bool | None = None,
            max_candidates: int = MAX_CANDIDATES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment one frame and normalize its candidates: what the classifier is given.

    Candidates come from both ink polarities, dark ink on light paper and light ink (chalk, a
    logo) on a dark surface, unless `ink_is_dark` names one (faster, when it is known): a frame
    can hold both, and the classifier, which sees the grey picture, tells ink from the gaps
    between ink (see `segment_frame`). Returns the (N, 28, 28, 2) float32 batch, the (N, 4)
    int32 boxes in frame pixels and, per row, the row it is a part of (-1 for a whole; LOOK - r
    for a second look at row r, see `classifier_batch`). The training-data engine
    (tools/scenes.py) calls this; the reader composes the same steps (`Reader._detect_upright`),
    and reads a page turned in view a second time, turned level.
    """
    if frame.size == 0:
        return (np.zeros((0, SIZE, SIZE, CHANNELS), np.float32), np.zeros((0, 4), np.int32),
                np.zeros(0, np.intp))
    blurred, factor = working_gray(frame, scale)
    candidates, parents = segment_frame(blurred, ink_is_dark, max_candidates)
    batch, boxes, parents = classifier_batch(candidates, parents, blurred)
    return batch, np.round(boxes / factor).astype(np.int32), parents


def classifier_batch(candidates: Candidates, parents: np.ndarray, blurred: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The classifier's batch for the candidates of `segment_frame`: each normalized, then a
    second, widened look at up to MAX_LOOKS narrow whole ones (see NARROW). Returns the batch,
    the boxes (working pixels) and the parents, a second look's being LOOK - its row."""
    batch = normalize_batch(candidates.masks, candidates.boxes, blurred, binary=True)
    boxes = candidates.boxes
    narrow = np.flatnonzero((parents == WHOLE) & (boxes[:, 2] < NARROW * boxes[:, 3]))
    if not len(narrow):
        return batch, boxes, parents
    narrow = narrow[np.argsort(-candidates.rank[narrow], kind="stable")[:MAX_LOOKS]]
    widened = normalize_batch([candidates.masks[i] for i in narrow.tolist()], boxes[narrow],
                              blurred, binary=True, min_width=WIDENED)
    return (np.concatenate([batch, widened]), np.concatenate([boxes, boxes[narrow]]),
            np.concatenate([parents, LOOK - narrow]))


def take_second_looks(parents: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """`probs` where each narrow whole that reads as no digit takes its widened look's
    probabilities, if that reads as a digit at LOOK_SURE or more."""
    looks = np.flatnonzero(parents <= LOOK)
    if not len(looks):
        return probs
    wholes = LOOK - parents[looks]
    labels = probs.argmax(axis=1)
    take = ((labels[wholes] == NOT_A_DIGIT) & (labels[looks] != NOT_A_DIGIT)
            & (probs[looks].max(axis=1) >= LOOK_SURE))
    if take.any():
        probs = probs.copy()
        probs[wholes[take]] = probs[looks[take]]
    return probs


def choose_parts(parents: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Rows to keep: for each candidate cut in two, either the whole or its two parts (each of
    them, if cut again, by the same rule).

    The parts win when both read as digits (or as parts that won) and the least confident digit
    among them beats the whole (or the whole reads as no digit): touching digits. They also win
    when the whole reads as no digit and one part as a digit at ONE_SIDED or more: a digit
    touching junk (texture, the end of a line), which stays a row read as no digit (junk shaped
    like a letter may then make a doubtful digit a letter, `words.in_words`). Otherwise the
    whole stays.
    """
    labels = probs.argmax(axis=1)
    confidence = probs[np.arange(len(probs)), labels]
    # A row's score: the confidence of the weakest digit of its reading (of a one-sided cut, its
    # digit's), 0 if it reads as none.
    score = np.where(labels != NOT_A_DIGIT, confidence, 0.0)
    left = np.flatnonzero(parents >= 0)[::2]  # parts come in pairs: left, then right
    cut = np.zeros(len(parents), bool)
    # Parts lie after the row they were cut from: the last pairs first, so the parts of a part
    # are decided before it.
    for lft, whole in zip(left[::-1].tolist(), parents[left[::-1]].tolist(), strict=True):
        weakest, strongest = sorted((score[lft], score[lft + 1]))
        if weakest > score[whole]:  # so > 0: both parts read as digits
            cut[whole], score[whole] = True, weakest
        elif score[whole] == 0 and strongest >= ONE_SIDED:
            cut[whole], score[whole] = True, strongest
    keep = parents == WHOLE
    first_part = dict(zip(parents[left].tolist(), left.tolist(), strict=True))
    for row in np.flatnonzero(cut).tolist():  # a row before its parts: top down
        if keep[row]:
            keep[row] = False
            keep[first_part[row]] = keep[first_part[row] + 1] = True
    return np.flatnonzero(keep)


def settle(boxes: np.ndarray, probs: np.ndarray, parents: np.ndarray, side: int) -> Detections:
    """The rows that stay, with their probabilities (see `settled_rows`)."""
    rows, probs = settled_rows(boxes, probs, parents, side)
    return Detections(boxes[rows], probs)


def settled_rows(boxes: np.ndarray, probs: np.ndarray, parents: np.ndarray, side: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The rows that stay, and their probabilities: narrow wholes read as their second look
    where that is a digit (`take_second_looks`), each cut candidate's whole or parts
    (`choose_parts`), then of two digits on one spot the more confident (`suppress`). A doubtful
    digit among the letters of a printed word (`words.in_words`) or small and alone
    (`lone.lone_doubts`; `side`: the frame's shorter side in the boxes' pixels), and any digit on
    a page of print (`words.among_letters`), stays a row, read as no digit: a tracker counts
    that against it, where a missing row would only be a missed frame."""
    probs = take_second_looks(parents, probs)
    rows = choose_parts(parents, probs)
    rows = rows[suppress(boxes[rows], probs[rows])]
    probs = probs[rows]
    # probs[rows] is a copy (fancy indexing): rows can be set to "no digit" in place.
    probs[in_words(boxes[rows], probs)] = READ_AS_NONE
    probs[lone_doubts(boxes[rows], probs, side)] = READ_AS_NONE  # a letter is no company
    probs[among_letters(boxes[rows], probs)] = READ_AS_NONE  # those made letters above count
    return rows, probs


def suppress(boxes: np.ndarray, probs: np.ndarray, cover: float = 0.5) -> np.ndarray:
    """Indices of the candidates to keep: of two that both read as digits and overlap by more
    than `cover` of the smaller box (a digit and the paper in its loop, read in the other
    polarity), only the more confident one."""
    labels = probs.argmax(axis=1)
    digits = np.flatnonzero(labels != NOT_A_DIGIT)
    keep = np.ones(len(boxes), bool)
    if len(digits) < 2:
        return np.flatnonzero(keep)
    b = boxes[digits].astype(np.float32)
    ox, oy = overlaps(b, b)
    area = b[:, 2] * b[:, 3]
    inter = np.clip(ox, 0, None) * np.clip(oy, 0, None)
    clash = inter > cover * np.minimum(area[:, None], area[None, :])
    np.fill_diagonal(clash, False)
    if clash.any():
        confidence = probs[digits, labels[digits]]
        for i in np.argsort(-confidence, kind="stable"):  # the most confident first
            if keep[digits[i]]:
                losers = digits[clash[i]]
                keep[losers[confidence[clash[i]] <= confidence[i]]] = False
    return np.flatnonzero(keep)


def decide(detections: Detections, min_confidence: float) -> list[Digit]:
    """The digits of the candidates where a digit wins with at least `min_confidence`."""
    keep = confident(detections.probs, min_confidence)
    probs = detections.probs[keep]
    labels = probs.argmax(axis=1)
    confidence = probs[np.arange(len(probs)), labels]
    # Python numbers in one call each: indexing numpy scalars per digit costs more than the rest.
    return [Digit(label, score, tuple(box)) for label, score, box in
            zip(labels.tolist(), confidence.tolist(), detections.boxes[keep].tolist(),
                strict=True)]


def in_source(upright: Detections, rotate: int, shape: tuple[int, ...]) -> Detections:
    """Detections made on the frame turned `rotate` degrees, boxes back in the source frame."""
    return Detections(unturn_boxes(upright.boxes, rotate, shape), upright.probs)


class Reader:
    """Reads the digits and numbers of one frame at a time.

    >>> reading = Reader().read(frame_bgr)
    >>> [n.text for n in reading.numbers]

    model: path to an ONNX model (default: the shipped one); threads: onnxruntime threads;
    min_confidence: weaker digits are dropped; scale: resize factor before segmentation
    (default: frames larger than 640 px are reduced to 640); rotate: degrees clockwise (0, 90,
    180, 270) that turn the frame upright, for a camera mounted sideways or a page on its side
    (boxes stay in the source frame's pixels; with 0, `read` without a tracker and `detect`
    find and turn a page on its side themselves, see `_detect_oriented`; a page turned less,
    its lines sloping over `level.LEVEL`, is levelled by the reader itself); ink_is_dark: read
    only dark ink (True) or only light ink (False), faster when the scene is known; both by
    default.
    """

    def __init__(self, model: str | Path | None = None, threads: int | None = 1,
                 min_confidence: float = 0.5, scale: float | None = None,
                 max_candidates: int = MAX_CANDIDATES, rotate: int = 0,
                 ink_is_dark: bool | None = None):
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in 0..1, got {min_confidence}")
        if scale is not None and not 0.05 <= scale <= 4.0:
            raise ValueError(f"scale must be in 0.05..4, got {scale}")
        self.rotate = check_turn(rotate)
        self.classifier = Classifier(model, threads)
        self.min_confidence = min_confidence
        self.scale = scale
        self.max_candidates = max_candidates
        self.ink_is_dark = ink_is_dark

    def mask(self, frame: np.ndarray, ink_is_dark: bool | None = None) -> tuple[np.ndarray, float]:
        """The ink mask the digits are cut from (both polarities unless one is named) and the
        scale it was made at."""
        blurred, scale = working_gray(turn(frame, self.rotate), self.scale)
        masks = thresholds(blurred, polarities(ink_is_dark))
        return (masks[0] if len(masks) == 1 else masks[0] | masks[1]), scale

    def detect(self, frame: ImageLike, ink_is_dark: bool | None = None,
               sideways: bool = True) -> Detections:
        """Every candidate of one frame with its class probabilities, boxes in frame pixels.

        `frame`: as for `read`. `ink_is_dark`: read only dark ink (True) or only light ink
        (False); both by default. Of two candidates read as digits on the same spot, only the
        more confident is kept; doubtful digits among the letters of a printed word read as no
        digit, and a narrow candidate that reads as no digit as its widened second look where
        that reads as a digit (see `settle`). A page turned in view is read turned level, and,
        with `sideways`, a page on its side turned upright (see `_detect_oriented`): pass False
        for the frames of a stream fed to a `Tracker`, whose boxes must stay in one frame.
        """
        frame = as_image(frame)
        upright, rotate = self._detect_oriented(
            frame, self.ink_is_dark if ink_is_dark is None else ink_is_dark, sideways)
        return in_source(upright, rotate, frame.shape)

    def _detect_oriented(self, frame: np.ndarray, ink_is_dark: bool | None, sideways: bool
                         ) -> tuple[Detections, int]:
        """`detect` with boxes in the frame turned upright, and the clockwise degrees it was
        turned by: `rotate`, or, with `sideways` and no `rotate` given, a quarter turn where the
        frame reads poorly, a probe says that turned it reads as digits (`orient`), and read
        turned it finds more digits (a page on its side)."""
        best, turns = self._detect_upright(frame, ink_is_dark, self.rotate,
                                           probe=sideways and not self.rotate)
        best_rotate = self.rotate
        if not turns:
            return best, best_rotate
        most = len(confident(best.probs, self.min_confidence))
        for quarter in turns:
            rotate = (self.rotate + quarter) % 360
            turned, _ = self._detect_upright(frame, ink_is_dark, rotate)
            found = len(confident(turned.probs, self.min_confidence))
            if found > most:
                best, best_rotate, most = turned, rotate, found
        return best, best_rotate

    def _detect_upright(self, frame: np.ndarray, ink_is_dark: bool | None, rotate: int,
                        probe: bool = False) -> tuple[Detections, tuple[int, ...]]:
        """`detect` with boxes in the frame turned `rotate` degrees clockwise, and, with
        `probe`, the quarter turns the probe of a poorly read frame suggests (`_probe`).

        Where the digits read lie on lines steeper than LEVEL (a page turned in view), the frame
        is turned level and read again; that reading is kept if it finds at least as many
        digits, its boxes mapped back (`level`).
        """
        if frame.size == 0:
            return Detections(np.zeros((0, 4), np.int32), np.zeros((0, CLASSES), np.float32)), ()
        blurred, factor = working_gray(turn(frame, rotate), self.scale)
        candidates, rows, probs, batch, parents = self._read_working(blurred, ink_is_dark)
        boxes = candidates.boxes[rows]
        sure = confident(probs, self.min_confidence)
        turns = self._probe(batch, parents, candidates, rows, probs, len(sure),
                            blurred.shape) if probe else ()
        angle = line_angle(boxes[sure])
        if angle is not None and abs(angle) >= LEVEL:
            turned, matrix = level(blurred, angle)
            again, rows, again_probs, *_ = self._read_working(turned, ink_is_dark, blurred.shape)
            again_boxes, inside = unlevel(again.boxes[rows], [again.masks[i] for i in rows],
                                          matrix, blurred.shape)
            if len(confident(again_probs[inside], self.min_confidence)) >= len(sure):
                boxes, probs = again_boxes[inside], again_probs[inside]
        return Detections(np.round(boxes / factor).astype(np.int32), probs), turns

    def _read_working(self, blurred: np.ndarray, ink_is_dark: bool | None,
                      shape: tuple[int, int] | None = None
                      ) -> tuple[Candidates, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A smoothed working-size frame segmented (`shape`: see `segment_frame`), classified in
        one batch and settled: its candidates, the rows of them that stay, their probabilities,
        and the batch and parents classified (for `_probe`). Rows index the candidates
        themselves: a second look's row never stays."""
        candidates, parents = segment_frame(blurred, ink_is_dark, self.max_candidates, shape)
        batch, boxes, parents = classifier_batch(candidates, parents, blurred)
        side = min(shape or blurred.shape)
        rows, probs = settled_rows(boxes, self.classifier(batch), parents, side)
        return candidates, rows, probs, batch, parents

    def _probe(self, batch: np.ndarray, parents: np.ndarray, candidates: Candidates,
               rows: np.ndarray, probs: np.ndarray, digits: int, shape: tuple[int, int]
               ) -> tuple[int, ...]:
        """The clockwise quarter turns that may set a poorly read frame upright (none for a
        frame that reads well, `digits` read in it): the model inputs of the whole candidates
        read as no digit that stand out most, given a quarter turn each way and classified in a
        second, small run (`orient`). Only candidates of a digit's usual height in a frame of
        `shape` count (`segment.SHORTEST`): the small ones of a page on its side, bits of its
        digits and 1s lying flat, stand out as much and read as nothing either way."""
        tall = candidates.boxes[rows, 3] >= min_height(shape)
        wholes = rows[(probs.argmax(axis=1) == NOT_A_DIGIT) & (parents[rows] == WHOLE) & tall]
        if not reads_poorly(digits, len(wholes)):
            return ()
        probed = wholes[np.argsort(-candidates.rank[wholes], kind="stable")[:PROBED]]
        return turns_of(self.classifier(probe_batch(batch[probed])))

    def read(self, frame: ImageLike, tracker: Tracker | None = None) -> Reading:
        """Digits and numbers of one frame (BGR, BGRA or gray; 8-bit, 16-bit or float), or of
        the image file at a path (str or Path). ValueError for None or an array that is not an
        image, FileNotFoundError for a missing file.

        With a `tracker` (one per camera or video), labels are smoothed over frames and each
        digit carries a stable `.track` id.
        """
        frame = as_image(frame)
        detections, rotate = self._detect_oriented(frame, self.ink_is_dark,
                                                   sideways=tracker is None)
        return self._reading(detections, rotate, frame.shape, tracker)

    def detect_and_read(self, frame: ImageLike) -> tuple[Detections, Reading]:
        """`detect(frame)` and `read(frame)` (no tracker) from one pass over the frame, for a
        caller that wants both (the server's /read with probabilities)."""
        frame = as_image(frame)
        upright, rotate = self._detect_oriented(frame, self.ink_is_dark, sideways=True)
        return in_source(upright, rotate, frame.shape), self._reading(upright, rotate, frame.shape)

    def _reading(self, upright: Detections, rotate: int, shape: tuple[int, ...],
                 tracker: Tracker | None = None) -> Reading:
        """The reading of detections in the frame turned `rotate` degrees, its boxes back in
        the source frame of `shape` (reading order is the upright page's)."""
        if tracker is None:
            digits = decide(upright, self.min_confidence)
        else:
            digits = tracker.update(upright, self.min_confidence)
        return unturn_reading(Reading(*group(digits)), rotate, shape)
