"""Tracking and smoothing: stable ids, steady labels, far less flicker than per-frame reading."""

from __future__ import annotations

from itertools import pairwise

import cv2
import numpy as np
import pytest
from conftest import SAMPLES

from livedigits.boxes import iou, match
from livedigits.group import group
from livedigits.reader import decide
from livedigits.track import NO_SMOOTHING, Tracker, TrackerSettings
from livedigits.types import Detections

FPS = 15  # samples/video.mp4


def detections(boxes: list[tuple[int, int, int, int]], labels: list[int],
               confidence: float = 0.9) -> Detections:
    probs = np.full((len(labels), 11), (1 - confidence) / 10, np.float32)
    probs[np.arange(len(labels)), labels] = confidence
    return Detections(np.array(boxes, np.int32).reshape(-1, 4), probs)


def test_iou_and_greedy_match():
    a = np.array([[0, 0, 10, 10], [100, 0, 10, 10]])
    b = np.array([[102, 1, 10, 10], [1, 0, 10, 10], [500, 500, 5, 5]])
    overlap = iou(a, b)
    assert overlap.shape == (2, 3) and overlap[0, 1] == pytest.approx(90 / 110)
    assert sorted(match(a, b, 0.2)) == [(0, 1), (1, 0)]
    assert match(a[:0], b, 0.2) == []


def test_digit_shown_after_min_hits_and_kept_through_short_misses():
    tracker = Tracker(TrackerSettings(min_hits=3, max_misses=2))
    seven = detections([(50, 50, 20, 40)], [7])
    none = detections([], [])
    shown = [len(tracker.update(d, 0.5)) for d in [seven] * 4 + [none] * 3 + [seven]]
    # hidden for 2 frames, shown, kept through 2 misses, gone after the third; a new track then
    assert shown == [0, 0, 1, 1, 1, 1, 0, 0]


def test_one_wrong_frame_does_not_flip_a_label_and_ids_stay():
    tracker = Tracker()
    box = [(50, 50, 20, 40)]
    frames = [detections(box, [3])] * 5 + [detections(box, [8], 0.95)] + [detections(box, [3])]
    digits = [tracker.update(d, 0.5) for d in frames][2:]
    assert [d[0].label for d in digits] == [3] * 5
    assert len({d[0].track for d in digits}) == 1


def test_no_smoothing_is_the_per_frame_decision_with_ids():
    tracker = Tracker(NO_SMOOTHING)
    box = [(50, 50, 20, 40), (90, 52, 20, 40)]
    for labels in ([3, 4], [8, 4], [3, 10]):
        d = detections(box, labels)
        tracked, plain = tracker.update(d, 0.5), decide(d, 0.5)
        assert [(t.label, t.box) for t in tracked] == [(p.label, p.box) for p in plain]
        assert all(t.track is not None for t in tracked)


def read_video(reader) -> list[Detections]:
    capture = cv2.VideoCapture(str(SAMPLES / "video.mp4"))
    frames = []
    while (image := capture.read()[1]) is not None:
        frames.append(reader.detect(image))
    return frames


@pytest.fixture(scope="module")
def video_detections(reader):
    return read_video(reader)


def number_strings(frames: list[Detections], tracker: Tracker | None) -> list[str]:
    strings = []
    for d in frames:
        digits = decide(d, 0.5) if tracker is None else tracker.update(d, 0.5)
        strings.append(" ".join(n.text for n in group(digits)[1]))
    return strings


def changes_per_second(strings: list[str]) -> float:
    return sum(a != b for a, b in pairwise(strings)) / (len(strings) / FPS)


def flickering(frames: list[Detections]) -> list[Detections]:
    """The video's detections disturbed as a hard scene disturbs them: one digit read as
    another every other frame, and a false digit every third frame, each time somewhere else
    on the desk (texture that catches the light as the camera moves)."""
    out = []
    for i, d in enumerate(frames):
        boxes, probs = d.boxes, d.probs.copy()
        first = int(np.flatnonzero(probs.argmax(axis=1) != 10)[0])
        label = int(probs[first].argmax())
        if i % 2:
            probs[first] = 0.0
            probs[first, label], probs[first, (label + 1) % 10] = 0.4, 0.6
        if i % 3 == 0:
            false = np.zeros((1, 11), np.float32)
            false[0, 1] = 0.9
            spot = [20 + 240 * (i // 3 % 5), 660, 12, 40]
            boxes, probs = np.vstack([boxes, [spot]]), np.vstack([probs, false])
        out.append(Detections(boxes.astype(np.int32), probs))
    return out


def test_smoothing_holds_a_flickering_reading_steady(video_detections):
    steady = number_strings(video_detections, None)
    expected = max(set(steady), key=steady.count)  # what the sheet says, per frame
    assert steady.count(expected) > 0.9 * len(steady)
    disturbed = flickering(video_detections)
    raw = changes_per_second(number_strings(disturbed, None))
    smooth_strings = number_strings(disturbed, Tracker())
    smooth = changes_per_second(smooth_strings)
    assert raw > 4
    assert smooth < raw / 10, (raw, smooth)
    assert smooth_strings.count(expected) > len(smooth_strings) / 2


def test_tracks_keep_their_ids_and_labels_on_the_sample_video(video_detections, video_truth):
    tracker = Tracker()
    owner: dict[int, set[int]] = {}  # ground-truth digit -> the track ids that covered it
    labels: dict[int, set[int]] = {}  # track id -> labels shown
    for d, truth in zip(video_detections, video_truth, strict=True):
        digits = tracker.update(d, 0.5)
        if not digits:
            continue
        boxes = np.array([t["box"] for t in truth["digits"]])
        for k, j in match(boxes, np.array([g.box for g in digits]), 0.5):
            owner.setdefault(k, set()).add(digits[j].track)
            labels.setdefault(digits[j].track, set()).add(digits[j].label)
    assert len(owner) == len(video_truth[0]["digits"])  # every digit was tracked
    assert all(len(ids) == 1 for ids in owner.values()), owner
    assert all(len(shown) == 1 for shown in labels.values()), labels


def test_a_stream_follows_paper_turning_into_a_board_at_once(reader):
    """Paper, then the same sheet inverted (chalk on a board): both polarities are read on
    every frame, so the first board frame reads the digits again."""
    paper = cv2.imread(str(SAMPLES / "frames" / "frame_00.jpg"))
    board = 255 - paper
    expected = [n.text for n in reader.read(paper).numbers]
    assert expected and [n.text for n in reader.read(board).numbers] == expected
    tracker = Tracker(NO_SMOOTHING)
    for _ in range(3):
        assert [n.text for n in reader.read(paper, tracker).numbers] == expected
    assert [n.text for n in reader.read(board, tracker).numbers] == expected
