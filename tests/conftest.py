"""Shared fixtures: the repository's samples, one Reader, and a runner for the real command."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from metrics import read_jsonl

# The tests press Ctrl-C on the programs they start. Started in the background by a
# non-interactive shell, this process and its children would ignore SIGINT; a handled signal
# is reset to its default in every child, so the children can be interrupted as from a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)

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


def probs_of(*reads: tuple[int, float]) -> np.ndarray:
    """One softmax row per (label, confidence); label 10 is "not a digit"."""
    from livedigits.classify import NOT_A_DIGIT

    probs = np.zeros((len(reads), NOT_A_DIGIT + 1), np.float32)
    for row, (label, confidence) in enumerate(reads):
        probs[row] = (1 - confidence) / NOT_A_DIGIT
        probs[row, label] = confidence
    return probs


def drawn_digit(strokes: list[list[tuple[int, int]]], size: tuple[int, int] = (640, 360),
                width: int = 14) -> np.ndarray:
    """Dark strokes on a white canvas, as the /draw page sends them: BGR uint8."""
    canvas = np.full((size[1], size[0], 3), 255, np.uint8)
    for stroke in strokes:
        cv2.polylines(canvas, [np.array(stroke, np.int32)], False, (17, 17, 17), width,
                      cv2.LINE_AA)
    return canvas


SEVEN = [[(250, 80), (390, 80), (300, 290)]]  # one stroke: the bar, then down to the left


class Served:
    """`livedigits ARGS --serve 127.0.0.1:0` as a user runs it, in a new process without a
    display; `port` is read from the line it prints, its stderr collected in `lines`."""

    def __init__(self, *args: str, timeout: float = 60):
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livedigits", *map(str, args), "--serve", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        self.port = 0
        while not self.port and time.monotonic() < deadline and self.process.poll() is None:
            found = [re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
                     for line in list(self.lines)]
            self.port = next((int(m.group(1)) for m in found if m), 0)
            time.sleep(0.02)
        if not self.port:
            self.process.kill()
            raise AssertionError(f"the server did not start: {self.stderr()}")

    def _collect(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def wait(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code

    def stderr(self) -> str:
        return "".join(self.lines)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1: status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class Stream:
    """A GET of /stream.mjpg or /events read as it comes: `jpeg()` the next MJPEG part,
    `event()` the next Server-Sent Event as (name, data)."""

    def __init__(self, port: int, path: str, timeout: float = 60):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.socket.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.file = self.socket.makefile("rb")
        self.status = int(self.file.readline().split()[1])
        self.headers = self._headers()

    def _headers(self) -> dict[str, str]:
        headers = {}
        while (line := self.file.readline().decode().strip()):
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        return headers

    def jpeg(self) -> bytes:
        boundary = self.file.readline().strip()
        if not boundary:
            raise EOFError("the stream ended")
        assert boundary == b"--frame", boundary
        headers = self._headers()
        assert headers["content-type"] == "image/jpeg"
        data = self.file.read(int(headers["content-length"]))
        assert self.file.readline() == b"\r\n"
        return data

    def event(self) -> tuple[str, str]:
        name, data = "message", []
        while True:
            line = self.file.readline()
            if not line:
                raise EOFError("the stream ended")
            line = line.decode().rstrip("\n")
            if not line and data:
                return name, "\n".join(data)
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])

    def close(self) -> None:
        self.file.close()
        self.socket.close()


def sample_video_frames(size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The frames of samples/video.mp4, resized to `size` (w, h) if given."""
    capture = cv2.VideoCapture(str(SAMPLES / "video.mp4"))
    frames = []
    while (frame := capture.read()[1]) is not None:
        frames.append(frame if size is None else cv2.resize(frame, size,
                                                            interpolation=cv2.INTER_AREA))
    capture.release()
    return frames


def write_video(path: Path, frames: list[np.ndarray], fps: float = 15,
                fourcc: str = "mp4v") -> Path:
    """A real video file written by OpenCV."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="session")
def video_folder(tmp_path_factory) -> Path:
    """An archive: the sample video, a second video made here from the sample stills (MJPG in
    AVI, 640x360), a corrupt video and a text file."""
    folder = tmp_path_factory.mktemp("archive")
    (folder / "a_sample.mp4").write_bytes((SAMPLES / "video.mp4").read_bytes())
    stills = [cv2.resize(cv2.imread(str(p)), (640, 360), interpolation=cv2.INTER_AREA)
              for p in sorted((SAMPLES / "frames").glob("*.jpg"))]
    write_video(folder / "b_made.avi", [s for s in stills for _ in range(3)], 10, "MJPG")
    (folder / "c_corrupt.mp4").write_bytes(np.random.default_rng(0).bytes(20000))
    (folder / "notes.txt").write_text("not a video")
    return folder


@pytest.fixture(scope="session")
def serial_archive(video_folder, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The archive read by one process: the run and the folder of its outputs."""
    out = tmp_path_factory.mktemp("serial")
    result = run_cli(video_folder, "--json", out, "-o", out)
    return result, out
