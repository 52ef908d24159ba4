"""The training-scene engine (tools/scenes.py): labels by overlap, the reader's own candidates,
the same crops for the same seed."""

from __future__ import annotations

import dataclasses
import itertools
import sys

import cv2
import numpy as np
import pytest
from conftest import DATA, ROOT

pytest.importorskip("skimage", reason="the train extra is not installed")
sys.path.insert(0, str(ROOT / "tools"))
import scenes
from backgrounds import PROCEDURAL
from compose import DigitPool
from mnist import load_mnist

from livedigits.boxes import iou, overlaps


@pytest.fixture(scope="module")
def pool() -> DigitPool:
    data = load_mnist(DATA / "mnist_small.npz")
    return DigitPool(data["x_train"], data["y_train"])


def truth(*boxes_and_labels):
    return [{"label": label, "box": list(box)} for box, label in boxes_and_labels]


def test_labels_by_overlap():
    digits = truth(((100, 100, 20, 40), 3), ((126, 100, 20, 40), 7))
    boxes = np.array([
        [100, 100, 20, 40],  # the 3 itself
        [127, 101, 19, 39],  # the 7, cut a pixel tighter
        [100, 100, 46, 40],  # the two run together
        [400, 300, 20, 40],  # background, far from both
        [100, 100, 20, 10],  # the top of the 3: a piece
        [98, 96, 22, 24],  # half of the 3 and a little more: neither clearly
    ], np.int32)
    labels = scenes.label_candidates(boxes, digits)
    assert labels.tolist() == [3, 7, scenes.NOT_A_DIGIT, scenes.NOT_A_DIGIT,
                               scenes.NOT_A_DIGIT, scenes.SKIP]
    assert scenes.label_candidates(boxes, []).tolist() == [scenes.NOT_A_DIGIT] * len(boxes)


def test_halves_of_one_digit_are_not_it_but_halves_of_a_merged_pair_are_theirs():
    zero = truth(((100, 100, 40, 44), 0))
    halves = np.array([[100, 100, 40, 44], [100, 100, 20, 44], [120, 100, 20, 44]], np.int32)
    parents = np.array([-1, 0, 0])
    assert scenes.label_candidates(halves, zero, parents).tolist() == [
        0, scenes.NOT_A_DIGIT, scenes.NOT_A_DIGIT]
    pair = truth(((100, 100, 20, 40), 4), ((121, 100, 20, 40), 7))
    cut = np.array([[100, 100, 41, 40], [100, 100, 21, 40], [121, 100, 20, 40]], np.int32)
    assert scenes.label_candidates(cut, pair, parents).tolist() == [scenes.NOT_A_DIGIT, 4, 7]


def test_workers_give_the_crops_one_process_gives(pool):
    one = scenes.make_crops(4, 3, "train", 1, pool)
    two = scenes.make_crops(4, 3, "train", 2, pool)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_every_found_digit_gets_its_label_and_background_none(pool):
    """Scenes of a small seed through the reader's own segmentation: each true digit that a
    candidate matches is labelled with its digit; candidates away from every digit (wood,
    walls, paper edges) are "not a digit"."""
    found = total = background = 0
    for index in range(6):
        x, boxes, labels, record = scenes.labelled_scene(index, 5, "train", pool)
        assert x.shape == (len(boxes), 28, 28, 2) and len(labels) == len(boxes)
        total += len(record["digits"])
        if not record["digits"]:
            assert (labels == scenes.NOT_A_DIGIT).all()
            background += len(labels)
            continue
        overlap = iou(boxes, np.array([d["box"] for d in record["digits"]]))
        for k, true in enumerate(record["digits"]):
            matches = np.flatnonzero(overlap[:, k] >= 0.6)
            if len(matches):
                found += 1
                assert true["label"] in labels[matches].tolist()
        away = overlap.max(axis=1) == 0
        assert (labels[away] == scenes.NOT_A_DIGIT).all()
        background += int(away.sum())
    assert total > 20 and found / total > 0.5 and background > 20, (found, total, background)


def test_merged_digits_are_not_a_digit():
    """Two true digits inside one candidate box are one "not a digit", never either digit."""
    digits = truth(((10, 10, 30, 50), 1), ((44, 12, 30, 48), 4))
    merged = np.array([[8, 8, 70, 56]], np.int32)
    assert scenes.label_candidates(merged, digits).tolist() == [scenes.NOT_A_DIGIT]


def test_the_same_seed_gives_the_same_crops(pool):
    a = scenes.labelled_scene(2, 9, "train", pool)
    b = scenes.labelled_scene(2, 9, "train", pool)
    for one, two in zip(a[:3], b[:3], strict=True):
        np.testing.assert_array_equal(one, two)
    c = scenes.labelled_scene(2, 10, "train", pool)
    assert len(c[0]) != len(a[0]) or not np.array_equal(c[0], a[0])


def test_close_ups_hold_big_digits_that_a_fine_pen_thins_but_never_wipes_out(pool):
    """--kind closeup: every scene of that kind, each true digit big (drawn 0.2-0.6 frame
    heights tall; its box, the ink's, is at least 0.15), and a thin stroke thinned, not wiped
    out (a thin 1 eroded by the fine pen once left a speck labelled 1)."""
    from compose import Style, digit_alpha

    for index in range(4):
        image, record = scenes.scene(index, 2, "train", pool, "closeup")
        height = image.shape[0]
        assert record["digits"]
        assert all(d["box"][3] >= 0.15 * height for d in record["digits"])
    thin_one = np.zeros((28, 28), np.uint8)
    thin_one[4:24, 14] = 255  # a 1 one pixel wide
    fine = Style(chalk=False, ink=np.zeros(3, np.float32), print_ink=np.zeros(3, np.float32),
                 level=0.5, thicken=-0.045, ruled=False, desk_edge=None)
    alpha, box = digit_alpha(thin_one, 200, fine)
    assert box[3] >= 180 and (alpha > 0.5).sum() >= 200, "a thin stroke, not a speck"


def stroke_width(alpha: np.ndarray) -> float:
    """Mean stroke width of the ink (coverage > 0.5): twice its area over its outline's length."""
    ink = (alpha > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return 2 * float(ink.sum()) / sum(cv2.arcLength(c, True) for c in contours)


def test_a_ballpoint_draws_strokes_its_own_width_on_digits_of_any_size(pool):
    """--pen: a close-up's digits drawn with a ballpoint are as thin as the pen whatever their
    size, where a fine pen's thinning keeps a stroke that grows with the digit; the digit keeps
    its height and its strokes stay joined. The pen is drawn from a stream of its own: at --pen 0
    a close-up is the one `compose_scene` draws from the scene's stream alone."""
    from compose import Style, digit_alpha

    style = Style(chalk=False, ink=np.zeros(3, np.float32), print_ink=np.zeros(3, np.float32),
                  level=0.5, thicken=-0.02, ruled=False, desk_edge=None)
    pen = dataclasses.replace(style, pen=3.0)
    for image in pool.images[:5]:
        for height in (80, 300):
            alpha, box = digit_alpha(image, height, pen)
            assert 2.0 <= stroke_width(alpha) <= 4.5, (height, stroke_width(alpha))
            assert box[3] >= 0.85 * height
            assert cv2.connectedComponents((alpha > 0.5).astype(np.uint8))[0] - 1 <= 2
        assert stroke_width(digit_alpha(image, 300, style)[0]) > 8  # twice the pen's, at least
    for index in range(3):
        drawn, _ = scenes.scene(index, 5, "train", pool, "closeup", pen=0.0)
        rng = np.random.default_rng([5, scenes.SPLIT_STREAM["train"], index])
        size = scenes.SIZES[int(rng.random() < 0.4)]
        before, _ = scenes.compose_scene(size, scenes.pick_kind(rng, "closeup"), pool, rng,
                                         False)
        np.testing.assert_array_equal(drawn, before)
        thin, _ = scenes.scene(index, 5, "train", pool, "closeup", pen=1.0)
        assert not np.array_equal(thin, drawn)


@pytest.mark.parametrize("name", sorted(PROCEDURAL))
def test_every_procedural_surface_fills_the_frame_with_texture(name):
    image = PROCEDURAL[name]((320, 200), np.random.default_rng(4))
    assert image.shape == (200, 320, 3) and np.isfinite(image).all()
    assert image.std() > 2, "a surface with something on it, not a flat colour"



def number_gaps(record: dict) -> list[float]:
    """Gaps between neighbouring digits of each number, in digit heights (boxes in the frame)."""
    gaps, digits = [], iter(record["digits"])
    for number in record["numbers"]:
        boxes = [next(digits)["box"] for _ in number["text"]]
        gaps += [(b[0] - a[0] - a[2]) / max(a[3], b[3]) for a, b in itertools.pairwise(boxes)]
    return gaps


def test_touching_scenes_hold_merged_pairs_whose_cut_parts_are_labelled_digits(pool):
    """--touching 1: neighbouring digits of a number touch or overlap, so the segmenter finds
    merged pairs, labelled "not a digit", and cuts them into parts labelled with their digits:
    what the classifier must learn to read cramped writing. --touching 0 keeps the usual gaps
    (at least 0.2 digit heights as drawn; the page's perspective may narrow that a little)."""
    touching, apart, merged, parts = [], [], 0, 0
    for index in range(8):
        apart += number_gaps(scenes.scene(index, 4, "train", pool, "page", touching=0.0)[1])
        image, record = scenes.scene(index, 4, "train", pool, "page", touching=1.0)
        touching += number_gaps(record)
        _, boxes, parents = scenes.prepare(image)
        labels = scenes.label_candidates(boxes, record["digits"], parents)
        true = np.array([d["box"] for d in record["digits"]], np.float32)
        ox, oy = overlaps(boxes, true)
        covered = np.clip(ox, 0, None) * np.clip(oy, 0, None) / (true[:, 2] * true[:, 3])
        pairs = (parents == -1) & ((covered >= 0.5).sum(axis=1) >= 2)
        assert (labels[pairs] == scenes.NOT_A_DIGIT).all()
        merged += int(pairs.sum())
        parts += int(((labels >= 0) & (labels < 10) & (parents >= 0)).sum())
    assert touching and max(touching) < 0.1, touching
    assert apart and min(apart) > 0.1, apart
    assert merged >= 4 and parts >= 4, (merged, parts)


def test_a_scene_drawn_apart_is_the_same_at_any_touching_share(pool):
    """Whether a scene's digits touch is drawn from a stream of its own, not the scene's: a
    scene drawn apart is the scene the generator drew before touching scenes existed (its
    stream composed as `scene` does), and raising the share turns some scenes touching and
    leaves every other exactly as it was."""
    same = 0
    for index in range(6):
        apart, record = scenes.scene(index, 3, "train", pool, "page", touching=0.0)
        rng = np.random.default_rng([3, scenes.SPLIT_STREAM["train"], index])
        size = scenes.SIZES[int(rng.random() < 0.4)]
        before, _ = scenes.compose_scene(size, scenes.pick_kind(rng, "page"), pool, rng, False)
        np.testing.assert_array_equal(apart, before)
        some, some_record = scenes.scene(index, 3, "train", pool, "page", touching=0.5)
        if min(number_gaps(some_record), default=1.0) >= 0.1:  # drawn apart at 0.5 too
            np.testing.assert_array_equal(apart, some)
            assert record == some_record
            same += 1
    assert 0 < same < 6, "both kinds among six scenes at a share of one half"
