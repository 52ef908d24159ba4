"""Shared fixtures: the repository's samples, one Reader, and a runner for the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from metrics import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def reader():
    from livedigits import Reader

    return Reader()


@pytest.fixture(scope="session")
def sample_truth() -> list[dict]:
    return read_jsonl(SAMPLES / "frames.jsonl")


@pytest.fixture(scope="session")
def video_truth() -> list[dict]:
    return read_jsonl(SAMPLES / "video.jsonl")


def run_cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """The `livedigits` command as a user runs it: a new process, no display."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, "-m", "livedigits", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, **kwargs)


def digit_mask(text: str = "7", height: int = 60, thickness: int = 5) -> np.ndarray:
    """A handwritten-looking digit drawn with OpenCV's script font: uint8 mask, 255 = ink."""
    font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
    scale = cv2.getFontScaleFromHeight(font, height, thickness)
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    mask = np.zeros((h + base + 20, w + 20), np.uint8)
    cv2.putText(mask, text, (10, h + 10), font, scale, 255, thickness, cv2.LINE_AA)
    return np.where(mask > 127, np.uint8(255), np.uint8(0))
