"""binarize and find_candidates: both polarities, shadows, ruled lines, merged pieces, holes,
flat digits, the cap."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import DATA, SAMPLES, digit_mask

from livedigits import segment
from livedigits.segment import (
    MAX_CANDIDATES,
    _squeeze_x4,
    beside_digits,
    binarize,
    find_candidates,
    ink_contrast,
    integral,
    min_height,
    remove_lines,
    smooth,
    to_gray,
)


def page(digits: str = "2045", height: int = 60, ink: int = 30, paper: int = 220,
         size: tuple[int, int] = (480, 640)) -> np.ndarray:
    """A gray page with `digits` written left to right; returns the image."""
    image = np.full(size, paper, np.uint8)
    x = 60
    for ch in digits:
        mask = digit_mask(ch, height)
        h, w = mask.shape
        region = image[150 : 150 + h, x : x + w]
        region[mask > 0] = ink
        x += w + 10
    return image


def boxes_of(gray: np.ndarray, ink_is_dark: bool = True) -> np.ndarray:
    return find_candidates(binarize(gray, ink_is_dark)).boxes


def test_dark_ink_and_light_chalk_give_the_same_boxes():
    dark_on_light = page(ink=30, paper=220)
    light_on_dark = 255 - dark_on_light
    a, b = boxes_of(dark_on_light), boxes_of(light_on_dark, ink_is_dark=False)
    assert len(a) == 4
    np.testing.assert_allclose(np.sort(a, axis=0), np.sort(b, axis=0), atol=2)


def test_heavy_marker_on_overexposed_paper_is_cut_whole():
    """Thick strokes on bright paper: the dark mask holds the strokes, one candidate each."""
    image = page(ink=20, paper=250, height=90)
    image = cv2.erode(image, np.ones((7, 7), np.uint8))  # thick marker strokes
    mask = binarize(image)
    assert mask[image < 100].mean() > 200, "the strokes are the ink"
    assert len(find_candidates(mask).boxes) == 4


def test_thick_marker_on_ruled_paper_gives_its_digits():
    """A generated frame (make_samples.py --seed 13, frame 12) whose marker is so thick that
    the paper's halo around it stands out from the local mean as much as the ink does."""
    gray = to_gray(cv2.imread(str(DATA / "heavy_marker.jpg")))  # 640x480, segmented as it is
    assert len(find_candidates(binarize(gray)).boxes) >= 7


def test_a_flat_two_is_a_candidate():
    """A 2 written wide and low, 2.2 times as wide as tall, is kept for the classifier."""
    mask = np.zeros((240, 400), np.uint8)
    cv2.ellipse(mask, (70, 50), (45, 25), 0, 180, 360, 255, 6)
    cv2.line(mask, (115, 50), (30, 90), 255, 6)
    cv2.line(mask, (30, 90), (180, 90), 255, 6)
    (box,) = find_candidates(mask).boxes
    assert box[2] > 2 * box[3]


def test_shadow_across_the_page_does_not_hide_digits():
    image = page().astype(np.float32)
    image *= np.linspace(1.0, 0.35, image.shape[1])[None, :]  # dark towards the right
    assert len(boxes_of(image.astype(np.uint8))) == 4


def test_ruled_lines_do_not_chain_digits_together():
    image = page()
    for y in range(20, 480, 28):
        image[y : y + 2, :] = 160  # ruled lines through the digits
    assert len(boxes_of(image)) == 4


def test_a_light_ruled_line_cut_by_the_median_is_still_taken_out(monkeypatch):
    """Light ink must outshine the median background too, and where that steps up it cuts a
    light ruled line into pieces shorter than a line (seen on a held-out frame of light ink on
    ruled paper). Here a stand-in median steps up twice along a line on a plain board. Lines
    are found before that test, so no piece is left to join the digits written on it."""
    board = np.full((360, 640), 40, np.uint8)
    board[200:203, :] = 90  # a light ruled line across the board
    steps = np.full_like(board, 40)
    steps[:, 100:220] = steps[:, 340:460] = 85  # the median steps up twice along it
    monkeypatch.setattr(segment, "background", lambda blurred, block: steps)
    mask = binarize(board, ink_is_dark=False)
    assert not mask.any(), "no piece of the line is left"


def test_a_five_with_a_detached_bar_is_one_candidate():
    mask = np.zeros((200, 200), np.uint8)
    cv2.line(mask, (70, 60), (120, 60), 255, 6)  # the bar, detached
    cv2.line(mask, (70, 70), (68, 108), 255, 6)  # the stem runs into the belly
    cv2.ellipse(mask, (95, 125), (30, 28), 0, -150, 160, 255, 6)
    candidates = find_candidates(mask)
    assert len(candidates.boxes) == 1
    _x, y, _w, h = candidates.boxes[0]
    assert y <= 58 and y + h >= 150, "the bar belongs to the digit's box"


def test_a_five_whose_bar_sticks_out_to_the_right_is_one_candidate():
    """The bar overlaps the body by under half its own width, as many MNIST 5s draw it."""
    mask = np.zeros((200, 200), np.uint8)
    cv2.line(mask, (103, 55), (168, 50), 255, 6)  # the bar, off to the right
    cv2.line(mask, (70, 70), (68, 108), 255, 6)
    cv2.ellipse(mask, (95, 125), (30, 28), 0, -150, 160, 255, 6)
    (box,) = find_candidates(mask).boxes
    assert box[1] <= 48 and box[0] + box[2] >= 168, "the bar belongs to the digit's box"


def test_a_five_whose_bar_floats_beside_the_top_of_its_body_is_one_candidate():
    """The bar at the top right, above the body's top and reaching only 3 px over its right
    edge: it is not above the body, so only the bar rule joins them (mnist_val: 16 digits)."""
    mask = np.zeros((200, 200), np.uint8)
    cv2.line(mask, (70, 70), (68, 108), 255, 6)  # the body's stem, its top at y = 67
    cv2.ellipse(mask, (95, 125), (30, 28), 0, -150, 160, 255, 6)
    cv2.line(mask, (130, 76), (175, 62), 255, 8)  # the bar: x 126-179, y 58-80
    (box,) = find_candidates(mask).boxes
    assert box[0] <= 68 and box[0] + box[2] >= 175, "the bar belongs to the digit's box"


def test_a_short_neighbour_beside_a_digit_stays_apart():
    """A small digit written beside a tall one (a 1 and a small 0, as in "10" with a lower-case
    0) is not taken for a bar: it is not flat."""
    image = np.full((300, 400), 220, np.uint8)
    cv2.line(image, (100, 100), (100, 190), 30, 6)  # a 1, 90 px
    cv2.ellipse(image, (128, 120), (16, 20), 0, 0, 360, 30, 6)  # a 0 half as tall, 5 px clear
    assert len(boxes_of(image)) == 2


def test_a_flat_bit_joined_to_one_digit_is_no_bar_of_another():
    """A pen lying just above a 7 joins it (a piece stacked on a digit); at the same time it
    lies level with the top of a 1 at its left, as a 5's bar would. It may join one digit,
    not chain the two into one shape."""
    image = np.full((300, 400), 220, np.uint8)
    cv2.line(image, (100, 100), (100, 190), 30, 6)  # the 1: x 97-103
    cv2.line(image, (140, 100), (190, 100), 30, 6)  # the 7's bar
    cv2.line(image, (190, 100), (160, 185), 30, 6)  # the 7's stem
    cv2.line(image, (110, 88), (175, 76), 30, 8)  # the pen: flat, above the 7, beside the 1
    boxes = boxes_of(image)
    assert len(boxes) == 2 and boxes[:, 2].min() < 15, "the 1 stays a shape of its own"


def test_a_digit_broken_across_its_waist_is_one_candidate():
    """An 8 whose thin waist the threshold lost: two loops, one on the other, 1 px apart."""
    mask = np.zeros((200, 200), np.uint8)
    cv2.ellipse(mask, (100, 74), (20, 20), 0, 0, 360, 255, 5)  # top loop, y 51-97
    cv2.ellipse(mask, (100, 128), (26, 26), 0, 0, 360, 255, 5)  # bottom loop, y 99-157
    (box,) = find_candidates(mask).boxes
    assert box[1] <= 52 and box[1] + box[3] >= 155


def test_digits_on_two_lines_stay_apart():
    """Two lines of digits 4 px apart: no digit joins the one below it (their union is twice
    as tall as either and narrow, unlike the halves of a broken digit)."""
    image = np.full((480, 640), 220, np.uint8)
    top, bottom = page("0808", size=(240, 640)), page("8080", size=(240, 640))
    image[:240] = top
    image[51:291] = np.minimum(image[51:291], bottom)  # digits 47 px tall, lines 4 px apart
    assert len(boxes_of(image)) == 8
    # Each guard of the waist rule on its own: two flat 0s (wide enough, but together twice as
    # tall as one) and a 1 over a shorter 1 (short enough together, but a thin column).
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (80, 60), (30, 18), 0, 0, 360, 255, 5)  # y 40-80
    cv2.ellipse(mask, (80, 104), (30, 18), 0, 0, 360, 255, 5)  # y 84-124
    cv2.line(mask, (200, 40), (200, 90), 255, 5)  # y 38-92
    cv2.line(mask, (200, 100), (200, 130), 255, 5)  # y 98-132
    assert len(find_candidates(mask).boxes) == 4


def test_small_digits_below_a_wide_blob_are_not_taken_in():
    """A blob of texture 160 px wide and 150 tall just above a line of digits 14 px tall (as
    on a card lying on fabric, in light ink): the digits are far smaller than it both ways, so
    they are no 5's bar or half of it, and each stays a candidate of its own."""
    mask = np.zeros((360, 640), np.uint8)
    cv2.ellipse(mask, (300, 80), (80, 75), 0, 0, 360, 255, -1)  # y 5-155, x 220-380
    x = 280
    for ch in "358":
        digit = digit_mask(ch, 14, thickness=2)
        h, w = digit.shape
        mask[158 : 158 + h, x : x + w] |= digit  # the ink from y 168: 13 px below the blob
        x += w - 8
    boxes = find_candidates(mask).boxes
    small = boxes[boxes[:, 3] < 30]
    assert len(small) == 3, boxes.tolist()


def test_ink_contrast_is_against_the_darkest_side():
    """Dark ink is measured against the darkest of the four strips around its box; a strip
    outside the frame does not count, and a box filling the frame scores 255."""
    gray = np.full((120, 160), 200, np.uint8)
    gray[40:80, 60:80] = 60  # the ink
    mask = np.where(gray < 100, np.uint8(255), np.uint8(0))
    box = np.array([[60, 40, 20, 40]], np.int32)
    assert ink_contrast(gray, mask, box, True) == pytest.approx(140)
    sums = integral(gray)
    assert ink_contrast(gray, mask, box, True, sums) == ink_contrast(gray, mask, box, True)
    gray[40:80, 80:90] = 150  # something darker than the paper just right of the box
    assert ink_contrast(gray, mask, box, True) == pytest.approx(90)
    edge = np.zeros_like(mask)
    edge[40:80, 0:20] = 255
    gray[40:80, 0:20] = 60  # ink at the left edge: its left strip is outside the frame
    assert ink_contrast(gray, edge, np.array([[0, 40, 20, 40]]), True) == pytest.approx(140)
    whole = np.array([[0, 0, 160, 120]], np.int32)
    assert ink_contrast(gray, mask, whole, True) == 255
    assert ink_contrast(255 - gray, mask, box, False) == pytest.approx(90), "light ink alike"


def test_a_broken_four_is_one_candidate():
    mask = np.zeros((200, 200), np.uint8)
    cv2.line(mask, (80, 40), (60, 120), 255, 6)
    cv2.line(mask, (60, 120), (130, 120), 255, 6)
    cv2.line(mask, (110, 60), (110, 170), 255, 6)
    mask[100:112, 104:117] = 0  # the pen skipped on the upright, just above the bar
    assert len(find_candidates(mask).boxes) == 1


def test_neighbouring_digits_stay_apart_even_on_a_slant():
    image = page("3333")
    rotated = cv2.warpAffine(image, cv2.getRotationMatrix2D((320, 240), 35, 1.0), (640, 480),
                             borderValue=220)
    assert len(boxes_of(rotated)) == 4


def test_candidate_crops_are_binary_masks_of_their_box():
    """The contract normalize_batch(binary=True) relies on."""
    for path in sorted((SAMPLES / "frames").glob("*.jpg"))[:6]:
        frame = cv2.imread(str(path))
        candidates = find_candidates(binarize(to_gray(frame)))
        for crop, (_, _, w, h) in zip(candidates.masks, candidates.boxes, strict=True):
            assert crop.dtype == np.uint8 and crop.shape == (h, w)
            assert set(np.unique(crop)) <= {0, 255} and crop.any()


def test_holes_are_not_candidates():
    mask = np.zeros((200, 200), np.uint8)
    cv2.circle(mask, (100, 100), 40, 255, 6)  # a 0: ring and hole
    assert len(find_candidates(mask).boxes) == 1


def test_candidate_masks_hold_only_their_own_ink():
    mask = np.zeros((160, 200), np.uint8)
    cv2.line(mask, (40, 20), (90, 20), 255, 4)  # a 7 ...
    cv2.line(mask, (90, 20), (60, 90), 255, 4)
    cv2.line(mask, (45, 60), (45, 120), 255, 4)  # ... and a 1 reaching into the 7's box
    candidates = find_candidates(mask)
    assert len(candidates.boxes) == 2
    for box, crop in zip(candidates.boxes, candidates.masks, strict=True):
        assert crop.shape == (box[3], box[2]) and crop.dtype == np.uint8
    # Every ink pixel is in exactly one crop: the 1's stroke inside the 7's box is not the 7's.
    assert sum(int(np.count_nonzero(c)) for c in candidates.masks) == np.count_nonzero(mask)


def test_noise_frame_respects_the_cap():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (720, 1280), dtype=np.uint8)
    for dark in (True, False):
        assert len(find_candidates(binarize(noise, dark)).boxes) <= MAX_CANDIDATES


def candidates_of(gray: np.ndarray, ink_is_dark: bool, max_candidates: int = MAX_CANDIDATES):
    """find_candidates as the reader calls it: with the smoothed frame, so halos are known."""
    blurred = smooth(gray)
    return find_candidates(binarize(gray, ink_is_dark), max_candidates, blurred, ink_is_dark)


def test_the_paper_around_dark_ink_is_no_light_candidate():
    """Beside dark strokes the local mean is pulled down, so the paper there is lighter than it:
    a halo. The light mask leaves it out, since light ink must also be lighter than the median
    background (`segment.background`), which is the paper. Chalk's dark halo on a board stays
    in the dark mask (the dark polarity has no median: dense dark ink must stay whole), and
    drops out as no darker than the board around it."""
    gray = page("2045")
    digits = candidates_of(gray, True).boxes
    assert len(digits) == 4
    light = binarize(gray, False)
    mean = cv2.blur(smooth(gray), (41, 41))  # over the block a 480x640 frame is thresholded with
    local_only = cv2.compare(smooth(gray), cv2.add(mean, 12), cv2.CMP_GT)
    assert cv2.countNonZero(local_only) > 5000  # the halos the local mean alone would give...
    assert cv2.countNonZero(light) == 0  # ...are out
    board = 255 - gray  # light ink on a dark board
    assert len(find_candidates(binarize(board, True)).boxes) > 2  # dark halos in the mask...
    kept = candidates_of(board, True).boxes  # ...dropped, but the board inside 0's and 4's loops
    assert len(kept) <= 2
    for x, y, w, h in kept:
        assert any(dx < x and x + w < dx + dw and dy < y and y + h < dy + dh
                   for dx, dy, dw, dh in digits)
    assert len(candidates_of(board, False).boxes) == 4


def test_the_cap_keeps_the_digits_that_stand_out():
    """Of more candidates than the cap, the ones whose ink stands out most are kept: a real
    digit beside larger, fainter texture blobs (which the largest-first cap kept instead)."""
    gray = page("4", height=40)
    for k in range(6):  # six blobs larger than the digit, 20 grey levels under the paper
        cv2.ellipse(gray, (300 + 50 * (k % 3), 100 + 150 * (k // 3)), (18, 30), 0, 0, 360,
                    200, 6)
    assert len(candidates_of(gray, True, max_candidates=100).boxes) == 7
    (box,) = candidates_of(gray, True, max_candidates=1).boxes
    assert box[0] < 120, "the digit, at x 60; the blobs are right of x 280"


def test_to_gray_reads_every_layout():
    bgr = np.dstack([np.full((4, 4), v, np.uint8) for v in (10, 100, 200)])
    gray = to_gray(bgr)
    assert to_gray(np.dstack([bgr, np.full((4, 4), 255, np.uint8)])).tolist() == gray.tolist()
    assert to_gray(bgr.astype(np.uint16) * 257).tolist() == gray.tolist()
    assert to_gray(bgr.astype(np.float32) / 255).max() in (gray.max(), gray.max() - 1)
    assert to_gray(gray[:, :, None]).tolist() == gray.tolist()


def test_squeeze_x4_is_an_area_resize_thresholded_at_half():
    rng = np.random.default_rng(0)
    for height, width, ink in [(480, 640, 0.5), (37, 8, 0.3), (1, 4, 0.5), (90, 124, 0.8)]:
        mask = np.where(rng.random((height, width)) < ink, np.uint8(255), np.uint8(0))
        area = cv2.resize(mask, (width // 4, height), interpolation=cv2.INTER_AREA)
        expected = cv2.threshold(area, 127, 255, cv2.THRESH_BINARY)[1]
        np.testing.assert_array_equal(_squeeze_x4(mask), expected)


def test_lines_are_removed_where_they_are_whatever_the_width():
    """The squeeze drops up to 3 columns at the right edge; the line map must not shift right."""
    mask = np.zeros((50, 591), np.uint8)
    mask[20:22, :560] = 255  # a ruled line
    mask[22, 560:570] = 255  # a stroke running on from its end, one row lower
    removed = remove_lines(mask)
    assert not removed[20:22, :550].any()  # the line is gone ...
    np.testing.assert_array_equal(removed[:, :588], remove_lines(mask[:, :588]))  # ... not more


def test_small_candidates_are_kept_beside_digits_of_their_line_only():
    """Boxes (x, y, w, h); shorter than 10 px is small. A small 0 beside a digit up to 3x its
    height, on its line, stays; a small speck alone, one beside a far taller shape, one a line
    below and one more than a digit's height away go."""
    tall = [100, 100, 12, 24]
    boxes = np.array([tall,
                      [116, 115, 6, 9],    # beside the tall one, standing on its line
                      [400, 300, 6, 9],    # alone
                      [116, 135, 6, 9],    # below its line
                      [140, 115, 6, 9],    # 28 px away: more than the tall one's height
                      [300, 100, 12, 40],  # a shape 5x taller than...
                      [316, 131, 6, 8]])   # ...this one beside it
    assert beside_digits(boxes, 10).tolist() == [True, True, False, False, False, True, False]
    assert beside_digits(boxes[[0, 5]], 10).all(), "no small box: all stay"
    assert not beside_digits(boxes[[1, 2]], 10).any(), "only small boxes: none stays"


def test_a_frame_sets_the_shortest_digit():
    assert min_height((480, 640)) == pytest.approx(9.6)  # 2% of the shorter side
    assert min_height((200, 300)) == 8  # at least 8 px
    assert min_height((480, 640), (6.0, 0.012)) == 6
