"""Frames handed to the API: arrays are checked, paths are loaded, anything else is refused."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLES

FRAME = SAMPLES / "frames" / "frame_12.jpg"


@pytest.mark.parametrize("as_path", [str, Path], ids=["str", "Path"])
def test_read_and_detect_take_a_path(reader, as_path):
    expected = reader.read(cv2.imread(str(FRAME)))
    assert expected.numbers
    assert reader.read(as_path(FRAME)) == expected
    np.testing.assert_array_equal(reader.detect(as_path(FRAME)).boxes,
                                  reader.detect(cv2.imread(str(FRAME))).boxes)


def test_none_says_what_went_wrong(reader, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the usual cause: a relative path from another directory
    with pytest.raises(ValueError, match=r"None.*imread"):
        reader.read(cv2.imread("samples/frames/frame_12.jpg"))


def write_text(path: Path) -> Path:
    path.write_text("this is not a picture")
    return path


BAD = {
    "missing file": (lambda tmp: tmp / "nope.jpg", FileNotFoundError, "nope.jpg"),
    "not an image file": (lambda tmp: write_text(tmp / "text.png"), ValueError, "text.png"),
    "a directory": (lambda tmp: str(tmp), FileNotFoundError, "no such image file"),
    "1-D array": (lambda tmp: np.zeros(5, np.uint8), ValueError, r"shape \(5,\)"),
    "2 channels": (lambda tmp: np.zeros((8, 8, 2), np.uint8), ValueError, "expected"),
    "strings": (lambda tmp: np.full((8, 8), "x"), ValueError, "dtype"),
    "a list": (lambda tmp: [[0, 1], [1, 0]], TypeError, "not list"),
}


@pytest.mark.parametrize("case", BAD)
@pytest.mark.parametrize("method", ["read", "detect"])
def test_what_is_not_an_image_raises_a_clear_error(reader, tmp_path, case, method):
    make, error, words = BAD[case]
    with pytest.raises(error, match=words):
        getattr(reader, method)(make(tmp_path))
