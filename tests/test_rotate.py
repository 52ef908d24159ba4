"""--rotate: a sideways page is read upright, with boxes in the source frame's pixels."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import SAMPLES, run_cli

import livedigits.reader as reader_module
from livedigits import Reader, Tracker
from livedigits.rotate import turn, unturn_boxes

# A frame turned by UNDO[d] is set upright again by turning it d degrees clockwise.
UNDO = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_boxes_map_back_exactly(degrees):
    frame = np.zeros((60, 100), np.uint8)
    frame[10:25, 30:70] = 255  # a box x 30, y 10, w 40, h 15
    turned = turn(frame, degrees)
    x, y, w, h = cv2.boundingRect(turned)
    assert unturn_boxes(np.array([[x, y, w, h]]), degrees, frame.shape).tolist() == [
        [30, 10, 40, 15]]


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_sideways_page_reads_as_the_upright_one(reader, degrees):
    """A quarter turn and back is lossless, so this checks the reading order of the upright
    page and the boxes mapped back, through Reader(rotate=)."""
    upright = cv2.imread(str(SAMPLES / "frames" / "frame_12.jpg"))
    expected = reader.read(upright)
    assert len(expected.numbers) >= 3
    sideways = cv2.rotate(upright, UNDO[degrees])
    reading = Reader(rotate=degrees).read(sideways)
    assert [n.text for n in reading.numbers] == [n.text for n in expected.numbers]
    # Each box is the upright box as it lies in the sideways frame.
    for got, want in zip(reading.digits, expected.digits, strict=True):
        mask = np.zeros(upright.shape[:2], np.uint8)
        x, y, w, h = want.box
        mask[y : y + h, x : x + w] = 255
        assert got.box == cv2.boundingRect(cv2.rotate(mask, UNDO[degrees]))


def test_rotate_on_the_command_line(tmp_path, reader):
    upright = cv2.imread(str(SAMPLES / "frames" / "frame_12.jpg"))
    sideways = tmp_path / "sideways.png"
    cv2.imwrite(str(sideways), cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE))
    out = tmp_path / "out.jsonl"
    result = run_cli(sideways, "--rotate", "90", "--json", out, "--no-display")
    assert result.returncode == 0, result.stderr
    record = json.loads(out.read_text().splitlines()[0])
    assert [n["text"] for n in record["numbers"]] == [n.text for n in reader.read(upright).numbers]
    bad = run_cli(sideways, "--rotate", "45", "--no-display")
    assert bad.returncode == 2 and "--rotate" in bad.stderr and "Traceback" not in bad.stderr


def test_rotate_is_validated():
    with pytest.raises(ValueError, match="rotate"):
        Reader(rotate=45)


@pytest.mark.parametrize("degrees", [90, 270])
def test_a_page_on_its_side_is_turned_by_the_reader_itself(reader, degrees):
    """Without rotate, a page on its side reads poorly, the probe finds its digits a quarter
    turn away, and the reader reads it turned: the same numbers as upright, boxes in the
    sideways frame's pixels."""
    upright = cv2.imread(str(SAMPLES / "frames" / "frame_12.jpg"))
    sideways = cv2.rotate(upright, UNDO[degrees])
    want = Reader(rotate=degrees).read(sideways)
    got = reader.read(sideways)
    assert [n.text for n in got.numbers] == [n.text for n in want.numbers]
    assert [d.box for d in got.digits] == [d.box for d in want.digits]
    detected = {tuple(box) for box in reader.detect(sideways).boxes.tolist()}
    assert {d.box for d in want.digits} <= detected


def no_probe(*_):
    raise AssertionError("probed")


def test_an_upright_page_a_stream_and_a_given_rotate_are_never_probed(reader, monkeypatch):
    upright = cv2.imread(str(SAMPLES / "frames" / "frame_12.jpg"))
    sideways = cv2.rotate(upright, UNDO[90])
    monkeypatch.setattr(reader_module, "probe_batch", no_probe)
    assert len(reader.read(upright).digits) > 20  # it reads well: no probe
    # A stream keeps its frames as they come: a tracker's boxes must stay in one frame.
    tracker = Tracker()
    assert len(reader.read(sideways, tracker).digits) < 5
    assert len(reader.detect(sideways, sideways=False).boxes) > 0
    # Told how the camera is mounted, the reader reads it so, even where that reads poorly.
    assert len(Reader(rotate=180).read(sideways).digits) < 5


def test_a_turned_reading_is_kept_only_when_it_finds_more_digits(reader, monkeypatch):
    """Whatever the probe says, an upright page read turned finds fewer digits: it stays."""
    upright = cv2.imread(str(SAMPLES / "frames" / "frame_12.jpg"))
    expected = reader.read(upright)
    monkeypatch.setattr(reader_module, "reads_poorly", lambda digits, rejected: True)
    monkeypatch.setattr(reader_module, "turns_of", lambda probs: (90, 270))
    assert reader.read(upright) == expected


def test_detect_and_read_is_detect_and_read(reader):
    """One pass for both, upright and on its side (turned by the reader itself)."""
    upright = cv2.imread(str(SAMPLES / "frames" / "frame_12.jpg"))
    for frame in (upright, cv2.rotate(upright, UNDO[90])):
        detections, reading = reader.detect_and_read(frame)
        assert reading == reader.read(frame)
        np.testing.assert_array_equal(detections.boxes, reader.detect(frame).boxes)
        np.testing.assert_array_equal(detections.probs, reader.detect(frame).probs)
