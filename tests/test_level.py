"""A page turned in view is turned level and read again, boxes mapped back to the frame."""

from __future__ import annotations

import json
import math
import sys

import cv2
import numpy as np
import pytest
from conftest import DATA, ROOT, SAMPLES

from livedigits.level import MIN_PAIRS, level, line_angle, unlevel


def line(angle_deg: float, count: int, size: int = 40) -> np.ndarray:
    """`count` boxes of `size` px in a row running at `angle_deg` (image y down)."""
    a = math.radians(angle_deg)
    return np.array([[300 + 50 * k * math.cos(a), 300 + 50 * k * math.sin(a), size, size]
                     for k in range(count)])


@pytest.mark.parametrize("angle", [-40, -15, 0, 25, 45])
def test_the_lines_angle_is_measured_from_neighbours(angle):
    assert math.degrees(line_angle(line(angle, 6))) == pytest.approx(angle, abs=0.5)


def test_too_few_or_disagreeing_neighbours_give_no_angle():
    assert line_angle(line(30, MIN_PAIRS)) is None  # MIN_PAIRS boxes: one pair fewer
    assert line_angle(np.zeros((0, 4))) is None
    # Neighbours at +40 and -40 degrees, three each: no direction half of them agree on.
    zigzag = [[50 * k, 42 * (k % 2), 40, 40] for k in range(7)]
    assert line_angle(np.array(zigzag, np.float64)) is None


@pytest.mark.parametrize("degrees", [-30, 25])
def test_a_line_at_the_angle_runs_level_once_turned(degrees):
    """`level` turns the way `line_angle` measures (image y down): a line drawn at the angle
    comes out level: 200 px long, a few pixels tall."""
    a = math.radians(degrees)
    frame = np.zeros((300, 300), np.uint8)
    start = np.array([50, 150])
    cv2.line(frame, tuple(start), tuple(np.round(start + 200 * np.array([math.cos(a), math.sin(a)]))
                                        .astype(int)), 255, 3)
    turned, _ = level(frame, a)
    _, _, w, h = cv2.boundingRect((turned > 127).astype(np.uint8))
    assert w >= 198 and h <= 10  # turned the other way: about 150 px tall


@pytest.mark.parametrize("degrees", [-35, 20, 45])
def test_ink_boxes_map_back_to_the_source_frame(degrees):
    frame = np.zeros((240, 320), np.uint8)
    cv2.ellipse(frame, (100, 80), (9, 20), 15, 0, 360, 255, 3)  # a 0 leaning a little
    cv2.line(frame, (230, 150), (236, 200), 255, 3)  # a 1
    turned, matrix = level(frame, math.radians(degrees))
    assert turned.shape[0] >= frame.shape[0] and turned.shape[1] >= frame.shape[1]
    _, labels, stats, _ = cv2.connectedComponentsWithStats((turned > 127).astype(np.uint8))
    boxes = stats[1:, :4].astype(np.int32)
    masks = [np.where(labels[y : y + h, x : x + w] == k + 1, 255, 0).astype(np.uint8)
             for k, (x, y, w, h) in enumerate(boxes.tolist())]
    back, inside = unlevel(boxes, masks, matrix, frame.shape)
    assert inside.tolist() == [0, 1]
    want = sorted(cv2.boundingRect(c) for c in cv2.findContours(
        frame, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0])
    for got, expected in zip(sorted(map(tuple, back.tolist())), want, strict=True):
        np.testing.assert_allclose(got, expected, atol=2)  # interpolation: a pixel either side


def test_a_box_read_in_a_filled_corner_is_left_out():
    frame = np.zeros((100, 100), np.uint8)
    _, matrix = level(frame, math.radians(45))
    corner = np.array([[0, 0, 10, 10]], np.int32)  # beyond the source frame, turned
    _, inside = unlevel(corner, [np.full((10, 10), 255, np.uint8)], matrix, frame.shape)
    assert len(inside) == 0
    # Centred 8 px outside the frame's top edge but reaching into it: left out too.
    edge = matrix @ [50, -8, 1]
    box = np.array([[round(edge[0]) - 10, round(edge[1]) - 10, 21, 21]], np.int32)
    back, inside = unlevel(box, [np.full((21, 21), 255, np.uint8)], matrix, frame.shape)
    assert len(inside) == 0 and back[0, 3] > 0  # (clipped, it would look inside)


@pytest.mark.parametrize("degrees", [-35, 35])
def test_a_turned_page_reads_as_the_upright_one(reader, degrees):
    """Sample frame 7 seen by a camera turned 35 degrees either way: unlevelled, neither of its
    two numbers reads right; levelled, both do, and each digit's box lies where the digit is
    in the turned frame."""
    truth = json.loads((SAMPLES / "frames.jsonl").read_text().splitlines()[7])
    upright = cv2.imread(str(SAMPLES / "frames" / truth["source"]))
    turned, matrix = level(upright, math.radians(degrees))
    reading = reader.read(turned)
    assert [n.text for n in reading.numbers] == [n["text"] for n in truth["numbers"]]
    for digit, want in zip(reading.digits, truth["digits"], strict=True):
        x, y, w, h = want["box"]
        centre = matrix @ [x + w / 2, y + h / 2, 1]
        bx, by, bw, bh = digit.box
        assert digit.label == want["label"]
        assert np.hypot(bx + bw / 2 - centre[0], by + bh / 2 - centre[1]) < 0.25 * h


def test_make_samples_turns_the_camera_and_keeps_the_digits_in_view():
    """The generator of the turned validation sets (tools/make_samples.py --turn)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from compose import FULL, DigitPool, ground_truth
    from make_samples import make_still
    from mnist import load_mnist

    data = load_mnist(DATA / "mnist_small.npz")
    pool = DigitPool(data["x_test"], data["y_test"])
    upright, numbers, _ = make_still(1, FULL, "paper", pool, seed=3)
    same, _, _ = make_still(1, FULL, "paper", pool, seed=3, turn=0)
    np.testing.assert_array_equal(upright, same)  # --turn 0 changes nothing
    image, numbers, warp = make_still(1, FULL, "paper", pool, seed=3, turn=45)
    assert not np.array_equal(image, upright)
    truth = ground_truth(1, 0.0, None, numbers, warp, FULL, check=False)
    assert truth["digits"]
    width, height = FULL
    for digit in truth["digits"]:
        x, y, w, h = digit["box"]
        assert 0.04 * width <= x and x + w <= 0.96 * width  # 5% margin, a pixel of rounding
        assert 0.04 * height <= y and y + h <= 0.96 * height
