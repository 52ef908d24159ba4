"""The committed model files: contract, card, MNIST read end to end, and the shapes the page
shows around digits that the model must not read."""

from __future__ import annotations

import hashlib
import json
import sys

import cv2
import numpy as np
import pytest
from conftest import DATA, ROOT
from metrics import score
from mnist import load_mnist, mnist_mask

from livedigits import Reader
from livedigits.classify import NOT_A_DIGIT, Classifier, default_model
from livedigits.normalize import normalize_batch

CARD = json.loads((ROOT / "models" / "digits_cnn.json").read_text())


@pytest.fixture(scope="module")
def pages():
    """The 2,000 committed MNIST test digits drawn on 100 pages of 640x480, 20 each, 60 px tall
    (tools/mnist_pages.py): MNIST read end to end, as the command reads a camera."""
    sys.path.insert(0, str(ROOT / "tools"))
    from mnist_pages import COLUMNS, ROWS, page

    data = load_mnist(DATA / "mnist_small.npz")
    per = COLUMNS * ROWS
    return [page(data["x_test"][k : k + per], data["y_test"][k : k + per], k // per, 0)
            for k in range(0, len(data["y_test"]), per)]


# The target for MNIST read end to end is 99.0% (issue 12). The shipped model reads 99.15% (fp32
# and int8, 1,983 digits) of this subset and 99.0% (9,900) of all 10,000 test digits on pages
# (tools/mnist_pages.py); the model before it read 98.95% of both.
@pytest.fixture(scope="module")
def page_recall(pages):
    """The share of the subset read right, per model (fp32: False, int8: True)."""
    recall = {}
    for int8 in (False, True):
        reader = Reader(default_model(int8))
        result = score([truth for _, truth in pages],
                       [{**truth, **reader.read(image).as_dict()} for image, truth in pages])
        assert result.truth == 2000
        recall[int8] = result.recall
    return recall


@pytest.mark.parametrize("int8", [False, True])
def test_committed_model_reads_mnist_pages_at_the_target(page_recall, int8):
    assert page_recall[int8] >= 0.99, f"{page_recall[int8]:.4f} of 2,000 MNIST digits read right"


def test_default_model_is_the_packaged_fp32_file():
    assert default_model().name == "digits_cnn.onnx" and default_model().is_file()


@pytest.mark.parametrize("key", ["fp32", "int8"])
def test_model_card_matches_the_files(key):
    path = default_model(int8=key == "int8")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CARD[key]["sha256"]
    assert path.stat().st_size == CARD[key]["size_bytes"]
    assert CARD["classes"][NOT_A_DIGIT] == "not a digit" and len(CARD["classes"]) == 11


def test_fp32_model_is_small():
    assert default_model().stat().st_size < 1_000_000


def test_contract_and_dynamic_batch():
    data = load_mnist(DATA / "mnist_small.npz")
    x = normalize_batch([mnist_mask(image) for image in data["x_test"][:64]])
    classifier = Classifier()
    assert classifier.input_name == "image" and classifier.output_name == "probs"
    for n in (1, 7, 64):
        probs = classifier(x[:n])
        assert probs.shape == (n, 11) and probs.dtype == np.float32
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert classifier(x[:0]).shape == (0, 11)


def paper_frame(seed: int, size: tuple[int, int] = (480, 640)) -> np.ndarray:
    """Plain paper as a camera sees it: a level, a gradient of light, sensor noise (float32)."""
    rng = np.random.default_rng(seed)
    frame = np.full(size, 205.0, np.float32)
    frame += np.linspace(-10, 10, size[1], dtype=np.float32)[None]
    return frame + rng.normal(0, 2.5, size).astype(np.float32)


def camera(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(cv2.GaussianBlur(frame, (0, 0), 0.8), 0, 255).astype(np.uint8),
                        cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def test_a_thin_pen_one_on_paper_reads_one(reader):
    frame = paper_frame(1)
    cv2.line(frame, (322, 190), (316, 262), 45.0, 2, cv2.LINE_AA)  # 72 px tall, 2 px wide
    assert [d.label for d in reader.read(camera(frame)).digits] == [1]


def test_wood_grain_reads_as_no_digits(reader):
    """Streaks of a wood grain, a texture generated here, not one of the training scenes'."""
    rng = np.random.default_rng(7)
    streaks = cv2.GaussianBlur(rng.normal(0, 1, (480, 640)).astype(np.float32), (0, 0), 40, 1.5)
    rings = np.sin(np.linspace(0, 38, 480, dtype=np.float32))[:, None] * 0.6
    wood = 120 + 30 * (streaks / streaks.std() + rings)
    turned = cv2.warpAffine(wood, cv2.getRotationMatrix2D((320, 240), 70, 1.5), (640, 480),
                            borderMode=cv2.BORDER_REFLECT)
    assert reader.read(camera(turned)).digits == ()


@pytest.mark.parametrize("corner", [False, True])
def test_a_paper_edge_reads_as_no_digits(reader, corner):
    """A sheet on a dark desk, its edge (or its corner) in view."""
    frame = 45 + np.random.default_rng(3).normal(0, 3, (480, 640))  # the desk
    sheet = np.array([[120, -50], [700, -20], [700, 520], [160, 520]], np.int32)
    if corner:
        sheet = np.array([[260, 150], [700, 90], [700, 520], [300, 520]], np.int32)
    paper = np.zeros((480, 640), np.uint8)
    cv2.fillPoly(paper, [sheet], 255, cv2.LINE_AA)
    frame = frame + (paper_frame(4) - frame) * (paper.astype(np.float32) / 255)
    assert reader.read(camera(frame.astype(np.float32))).digits == ()
