"""Where frames come from: camera, stream, video file, image files. Parsed once, fail fast.

Every source is a context manager (it releases what it opened) and an iterator of Frames. Files
give every frame in order; the first frame is read when the source opens, so a source that
cannot deliver fails right there with a clear message instead of later or silently.
"""

from __future__ import annotations

import glob
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
                  ".pbm", ".jp2", ".exr", ".hdr", ".pnm", ".sr", ".ras"}
DEFAULT_FPS = 30.0


class SourceError(RuntimeError):
    """The source cannot be opened or delivers no frame."""


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame: `image` BGR uint8 (H, W, 3); `time` seconds into the source (0 for images);
    `name` the image file's name for image inputs; `captured` perf_counter() when it arrived."""

    image: np.ndarray
    index: int
    time: float
    name: str | None = None
    captured: float = 0.0


class Source:
    """Base of all sources: `live`, `fps`, `size` (w, h), `description`, context manager."""

    live = False
    fps = DEFAULT_FPS
    size: tuple[int, int] = (0, 0)
    description = ""
    count: int | None = None  # frames, when known in advance (files)

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the device or file."""

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError


class CaptureSource(Source):
    """A video file, camera or stream read through cv2.VideoCapture, frame by frame."""

    def __init__(self, target: int | str, description: str, live: bool):
        self.description, self.live = description, live
        self.capture = cv2.VideoCapture(target)
        if not self.capture.isOpened():
            what = "could not be opened" if live else "cannot be opened (corrupt or unsupported?)"
            raise SourceError(f"{description} {what}")
        ok, first = self.capture.read()
        if not ok or first is None or first.size == 0:
            self.capture.release()
            raise SourceError(f"{description}: cannot read the first frame")
        self._first: np.ndarray | None = first
        self._first_time = time.perf_counter()
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 1.0 <= fps <= 1000.0 else DEFAULT_FPS
        self.size = (first.shape[1], first.shape[0])
        frames = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.count = frames if not live and frames > 0 else None

    def close(self) -> None:
        self.capture.release()

    def __iter__(self) -> Iterator[Frame]:
        index, started = 0, self._first_time
        image, captured = self._first, self._first_time
        self._first = None
        while image is not None:
            seconds = captured - started if self.live else index / self.fps
            yield Frame(_as_bgr(image), index, seconds, None, captured)
            ok, image = self.capture.read()
            captured = time.perf_counter()
            if not ok:
                return
            index += 1


class ImageSource(Source):
    """One image file or many, read in sorted order."""

    def __init__(self, paths: list[Path], description: str):
        self.paths, self.description, self.count = paths, description, len(paths)
        first = _read_image(paths[0])
        self.size = (first.shape[1], first.shape[0])
        self._first: np.ndarray | None = first

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            image = self._first if index == 0 and self._first is not None else _read_image(path)
            self._first = None
            yield Frame(image, index, 0.0, path.name, time.perf_counter())


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Camera and video frames as 3-channel BGR uint8 (some devices give gray or BGRA)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _read_image(path: Path) -> np.ndarray:
    """Any image OpenCV reads (gray, BGRA, 16-bit) as BGR uint8; a clear error otherwise."""
    if not path.is_file():
        raise SourceError(f"no such image file: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise SourceError(f"{path}: not an image OpenCV can read (empty or corrupt?)")
    return image


def _image_paths(paths) -> list[Path]:
    return sorted(p for p in map(Path, paths) if p.suffix.lower() in IMAGE_SUFFIXES
                  and p.is_file())


def open_source(spec: str) -> Source:
    """Parse a source string once: a camera index ("0"), a stream URL (rtsp://, http://...),
    an image or video file, a directory of images, or a glob ("shots/*.png")."""
    spec = spec.strip()
    if spec.isdigit():
        return CaptureSource(int(spec), f"camera {spec}", live=True)
    if "://" in spec:
        return CaptureSource(spec, f"stream {spec}", live=True)
    path = Path(spec)
    if path.is_dir():
        paths = _image_paths(path.iterdir())
        if not paths:
            raise SourceError(f"{path}: no image files in this directory")
        return ImageSource(paths, f"directory {path}")
    if any(c in spec for c in "*?[") and not path.exists():
        paths = _image_paths(glob.glob(spec))
        if not paths:
            raise SourceError(f"{spec}: no image files match")
        return ImageSource(paths, f"images {spec}")
    if not path.exists():
        raise SourceError(f"no such file, directory or camera: {spec}")
    if not path.is_file():
        raise SourceError(f"{spec}: not a file")
    if path.stat().st_size == 0:
        raise SourceError(f"{spec}: the file is empty")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], f"image {path}")
    return CaptureSource(str(path), f"video {path}", live=False)
