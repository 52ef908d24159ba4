"""normalize: upright, not stretched, centred by mass, never raising; the grey channel lines up
with the mask, ignores polarity and light, and shows what surrounds the digit."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from livedigits.normalize import CHANNELS, SIZE, normalize, normalize_batch
from livedigits.segment import smooth


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    m = cv2.moments(image.astype(np.float32))
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


def skew(image: np.ndarray) -> float:
    m = cv2.moments(image.astype(np.float32))
    return m["mu11"] / m["mu02"]


def test_sheared_bar_comes_out_upright():
    upright = np.zeros((80, 80), np.uint8)
    cv2.rectangle(upright, (35, 10), (45, 70), 255, -1)
    cv2.rectangle(upright, (25, 10), (55, 20), 255, -1)  # a T, so it is not symmetric
    shear = np.float32([[1, 0.5, -20], [0, 1, 0]])
    sheared = cv2.warpAffine(upright, shear, (80, 80))
    assert abs(skew(sheared.astype(np.float32))) > 0.3
    out = normalize(sheared)
    assert abs(skew(out)) < 0.05


def test_thin_one_stays_thin_and_centred():
    one = np.zeros((100, 60), np.uint8)
    one[10:90, 30:33] = 255
    out = normalize(one)
    columns = np.flatnonzero(out.max(axis=0) > 0.1)
    rows = np.flatnonzero(out.max(axis=1) > 0.1)
    assert len(columns) <= 3, "a thin 1 must not be stretched into a block"
    assert 19 <= len(rows) <= 21, "the longer side fills the 20 px box"
    cx, cy = centre_of_mass(out)
    assert abs(cx - SIZE / 2) <= 1 and abs(cy - SIZE / 2) <= 1


@pytest.mark.parametrize("shape", [(30, 90), (90, 30), (50, 50)])
def test_centre_of_mass_lands_at_14_14(shape):
    rng = np.random.default_rng(sum(shape))
    mask = np.zeros(shape, np.uint8)
    mask[rng.random(shape) > 0.7] = 255
    mask[: shape[0] // 3, : shape[1] // 3] = 255  # lopsided: mass far from the box centre
    out = normalize(mask)
    cx, cy = centre_of_mass(out)
    assert abs(cx - 14) <= 1 and abs(cy - 14) <= 1
    assert out.dtype == np.float32 and out.shape == (SIZE, SIZE)
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("mask", [
    np.zeros((0, 0), np.uint8),
    np.zeros((10, 10), np.uint8),
    np.full((1, 1), 255, np.uint8),
    np.full((40, 1), 255, np.uint8),  # a 1-px-wide "1"
    np.full((1, 40), 255, np.uint8),  # a 1-px-high dash
    np.full((2000, 1500), 255, np.uint8),  # a huge blob
    np.eye(50, dtype=np.uint8) * 255,  # a 45-degree line: maximum skew
    np.ones((5, 5), bool),
])
def test_degenerate_masks_do_not_raise(mask):
    out = normalize(mask)
    assert out.shape == (SIZE, SIZE) and np.isfinite(out).all()


def test_batch_matches_single():
    masks = [np.pad(np.full((30, 8), 255, np.uint8), 3), np.zeros((5, 5), np.uint8)]
    batch = normalize_batch(masks)
    assert batch.shape == (2, SIZE, SIZE, CHANNELS) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[0, :, :, 0], normalize(masks[0]))
    assert normalize_batch([]).shape == (0, SIZE, SIZE, CHANNELS)


def test_a_two_pixel_wide_fit_is_centred_by_its_mass():
    """A digit that fits 20x2 (a thin 1 with a heavy top): its moments must be an image's, not
    those of a list of 20 points, which is how OpenCV reads a float (N, 2) array."""
    one = np.zeros((80, 8), np.uint8)
    one[:16] = 255
    one[16:, 2:6] = 255  # symmetric in x, so deskewing leaves it as it is
    out = normalize(one)
    assert np.flatnonzero(out.max(axis=0) > 0).size == 2
    cx, cy = centre_of_mass(out)
    assert abs(cx - SIZE / 2) <= 1 and abs(cy - SIZE / 2) <= 1, (cx, cy)


def written(mask: np.ndarray, paper: float, ink: float, surround: np.ndarray | None = None,
            margin: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """`mask` drawn with grey `ink` on a smoothed frame of grey `paper` (or `surround`), and
    the (1, 4) box of the mask in that frame."""
    h, w = mask.shape
    frame = np.full((h + 2 * margin, w + 2 * margin), paper, np.float32)
    if surround is not None:
        frame = surround[: h + 2 * margin, : w + 2 * margin].astype(np.float32).copy()
    frame[margin : margin + h, margin : margin + w][mask > 0] = ink
    return smooth(np.clip(frame, 0, 255).astype(np.uint8)), np.array([[margin, margin, w, h]])


def sheared_seven() -> np.ndarray:
    mask = np.zeros((70, 60), np.uint8)
    cv2.line(mask, (10, 8), (50, 8), 255, 6)
    cv2.line(mask, (50, 8), (22, 64), 255, 6)
    return cv2.warpAffine(mask, np.float32([[1, 0.25, 0], [0, 1, 0]]), (60, 70))


def test_grey_channel_lines_up_with_the_mask():
    mask = sheared_seven()
    gray, box = written(mask, paper=200, ink=60)
    batch = normalize_batch([mask], box, gray)
    ink, grey = batch[0, :, :, 0], batch[0, :, :, 1]
    assert np.corrcoef(ink.ravel(), grey.ravel())[0, 1] > 0.9
    assert grey[ink > 0.8].mean() > 0.8 and abs(grey[ink == 0].mean()) < 0.1


def test_a_widened_look_stretches_the_ink_and_its_grey_picture_alike():
    mask = np.zeros((90, 14), np.uint8)  # a long-stemmed 7, 0.15 as wide as tall
    cv2.polylines(mask, [np.array([(2, 3), (11, 3), (6, 86)], np.int32)], False, 255, 3)
    gray, box = written(mask, paper=200, ink=60)
    plain, wide = (normalize_batch([mask], box, gray, min_width=w)[0] for w in (0.0, 0.5))
    columns = [int((b[..., 0] > 0.2).any(axis=0).sum()) for b in (plain, wide)]
    assert columns[0] <= 5 and columns[1] >= 9  # 20 px tall: stretched to about 10 wide
    ink, grey = wide[..., 0], wide[..., 1]
    assert np.corrcoef(ink.ravel(), grey.ravel())[0, 1] > 0.9


def test_grey_channel_is_the_same_for_chalk_and_pen_in_any_light():
    mask = sheared_seven()
    pen = normalize_batch([mask], *written(mask, paper=210, ink=50)[::-1])
    chalk = normalize_batch([mask], *written(mask, paper=40, ink=220)[::-1])
    dim = normalize_batch([mask], *written(mask, paper=90, ink=40)[::-1])
    np.testing.assert_allclose(chalk[..., 1], pen[..., 1], atol=0.05)
    np.testing.assert_allclose(dim[..., 1], pen[..., 1], atol=0.05)


def test_grey_channel_shows_the_surroundings():
    """The same mask on clean paper and on wood grain: one mask channel, two grey channels."""
    mask = sheared_seven()
    rng = np.random.default_rng(0)
    streaks = cv2.GaussianBlur(rng.normal(0, 1, (200, 200)).astype(np.float32), (0, 0), 12, 1)
    grain = 150 + 40 * streaks / streaks.std()
    clean = normalize_batch([mask], *written(mask, 200, 60)[::-1])
    wood = normalize_batch([mask], *written(mask, 200, 60, surround=grain)[::-1])
    np.testing.assert_array_equal(clean[..., 0], wood[..., 0])
    paper = clean[0, :, :, 0] == 0
    assert wood[0, :, :, 1][paper].std() > 3 * clean[0, :, :, 1][paper].std()


def test_a_candidate_at_the_frame_edge_has_no_black_border():
    """Outside the frame the edge pixels go on: no dark band that would look like ink."""
    mask = np.zeros((70, 50), np.uint8)  # a 0, which sits in the middle of the field
    cv2.ellipse(mask, (25, 35), (19, 29), 0, 0, 360, 255, 5)  # the frame ends 3 px beyond it
    gray, _ = written(mask, 200, 60, margin=0)
    batch = normalize_batch([mask], np.array([[0, 0, mask.shape[1], mask.shape[0]]]), gray)
    border = np.r_[batch[0, 0, :, 1], batch[0, -1, :, 1], batch[0, :, 0, 1], batch[0, :, -1, 1]]
    assert border.max() < 0.5
