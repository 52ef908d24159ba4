"""Sinks write real files that OpenCV reads back; output names are checked before writing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from livedigits.sinks import VideoSink, is_directory, output_files
from livedigits.sources import Frame


def write_video(path: Path, frames: int = 5) -> VideoSink:
    sink = VideoSink(str(path), 15.0, (160, 120))
    for k in range(frames):
        sink.write(Frame(np.zeros((1, 1, 3), np.uint8), k, k / 15), np.full((120, 160, 3),
                                                                           40 * k, np.uint8))
    sink.close()
    return sink


def read_back(path: Path) -> tuple[int, str]:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    capture.release()
    return count, fourcc.to_bytes(4, "little").decode("latin-1")


def test_webm_is_vp8_and_plays_back(tmp_path):
    sink = write_video(tmp_path / "out.webm")
    assert sink.fourcc == "VP80"
    assert read_back(tmp_path / "out.webm") == (5, "VP80")


@pytest.mark.parametrize("suffix", [".mp4", ".m4v", ".mov", ".avi", ".mkv"])
def test_every_video_suffix_writes_a_video_that_plays_back(tmp_path, suffix):
    sink = write_video(tmp_path / f"out{suffix}")
    assert sink.fourcc in VideoSink.CODECS[suffix]
    assert read_back(tmp_path / f"out{suffix}")[0] == 5


def test_mp4_is_h264_when_this_opencv_can_encode_it(tmp_path):
    """avc1 is tried first; a build without an H.264 encoder (the PyPI wheels) gets mp4v."""
    probe = cv2.VideoWriter(str(tmp_path / "probe.mp4"), cv2.VideoWriter_fourcc(*"avc1"), 15,
                            (160, 120))
    can = probe.isOpened()
    probe.release()
    assert write_video(tmp_path / "out.mp4").fourcc == ("avc1" if can else "mp4v")


def test_image_output_names(tmp_path):
    inputs = [Path("shots/a.jpg"), Path("other/b.png")]
    assert output_files(str(tmp_path / "one.png"), inputs[:1]) == [tmp_path / "one.png"]
    assert output_files("annotated", inputs) == [Path("annotated/a.jpg"),
                                                 Path("annotated/b.png")]
    assert is_directory("out.v2/") and is_directory(str(tmp_path)) and is_directory("out")
    assert not is_directory("out.png")
