"""The training-scene engine (tools/scenes.py): labels by overlap, the reader's own candidates,
the same crops for the same seed."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import DATA, ROOT

pytest.importorskip("skimage", reason="the train extra is not installed")
sys.path.insert(0, str(ROOT / "tools"))
import scenes
from compose import DigitPool

from livedigits.boxes import iou
from livedigits.mnist import load_mnist


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


def test_every_found_digit_gets_its_label_and_the_rest_none(pool):
    """Scenes of a small seed through the reader's own segmentation: each candidate that
    matches a true digit carries that digit, every other one is "not a digit" or left out."""
    found = total = 0
    for index in range(6):
        x, boxes, labels, record = scenes.labelled_scene(index, 5, "train", pool)
        assert x.shape == (len(boxes), 28, 28, 2) and len(labels) == len(boxes)
        total += len(record["digits"])
        matched = set()
        if record["digits"] and len(boxes):
            overlap = iou(boxes, np.array([d["box"] for d in record["digits"]]))
            for k, true in enumerate(record["digits"]):
                best = int(overlap[:, k].argmax())
                if overlap[best, k] >= 0.5:
                    found += 1
                    matched.add(best)
                    assert labels[best] == true["label"]
        others = [labels[i] for i in range(len(boxes)) if i not in matched]
        assert set(others) <= {scenes.NOT_A_DIGIT, scenes.SKIP}
    assert total > 20 and found / total > 0.7, (found, total)


def test_a_surface_alone_gives_only_negatives(pool):
    _, boxes, labels, record = scenes.labelled_scene(3, 1, "train", pool, empty=True)
    assert not record["digits"]
    assert len(boxes) > 0 and (labels == scenes.NOT_A_DIGIT).all()


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
