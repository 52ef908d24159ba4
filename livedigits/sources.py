"""Where frames come from: camera, stream, video file, image files. Parsed once, fail fast.

Every source is a context manager (it releases what it opened) and an iterator of Frames. Files
give every frame in order; the first frame is read when the source opens, so a source that
cannot deliver fails right there with a clear message instead of later or silently.

Cameras and streams are live: a capture thread reads the device as fast as it delivers and
keeps only the newest frame, so the reader always works on the present, never on a queue of
the past. Frames that arrive while the reader is busy are dropped and counted.
"""

from __future__ import annotations

import glob
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from .images import load_image

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
    files: tuple[Path, ...] = ()  # the input files read (images, a video): never overwritten
    error: str | None = None  # why a live source ended early

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the device or file."""

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError


@dataclass(frozen=True)
class CameraRequest:
    """What to ask a camera for; None leaves the device's default. `mjpg` asks a USB webcam
    for compressed frames, which many need for 720p at 30 fps over USB 2."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    mjpg: bool = False


class Device(Protocol):
    """What a live source reads: cv2.VideoCapture, a Picamera2 adapter, a replayed recording.

    read() gives (ok, BGR image); a failed read is a fault, EOFError a normal end."""

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


def _first_frame(device: Device, description: str) -> np.ndarray:
    ok, first = device.read()
    if not ok or first is None or first.size == 0:
        device.release()
        raise SourceError(f"{description}: cannot read the first frame")
    return first


def open_capture(target: int | str, description: str, request: CameraRequest = CameraRequest(),
                 live: bool = True) -> cv2.VideoCapture:
    """cv2.VideoCapture with the requested format, or SourceError when it does not open."""
    # A stream that hangs must not hang us: FFmpeg would wait 30 s for a frame by default.
    timeouts = ([cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 10000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5000]
                if isinstance(target, str) and "://" in target else [])
    capture = cv2.VideoCapture(target, cv2.CAP_ANY, timeouts)
    if not capture.isOpened():
        what = "could not be opened" if live else "cannot be opened (corrupt or unsupported?)"
        raise SourceError(f"{description} {what}")
    if request.mjpg:  # before the size: V4L2 picks the sizes it offers per pixel format
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
    for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, request.width),
                        (cv2.CAP_PROP_FRAME_HEIGHT, request.height),
                        (cv2.CAP_PROP_FPS, request.fps)):
        if value:
            capture.set(prop, value)
    if live:
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # where supported: no stale frames in the driver
    return capture


def _fps_of(capture: cv2.VideoCapture) -> float:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return fps if 1.0 <= fps <= 1000.0 else DEFAULT_FPS


class VideoFileSource(Source):
    """A video file, read frame by frame, every frame, in order."""

    def __init__(self, path: str, description: str):
        self.description, self.files = description, (Path(path),)
        self.capture = open_capture(path, description, live=False)
        self._first: np.ndarray | None = _first_frame(self.capture, description)
        self.fps = _fps_of(self.capture)
        self.size = (self._first.shape[1], self._first.shape[0])
        frames = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.count = frames if frames > 0 else None

    def close(self) -> None:
        self.capture.release()

    def __iter__(self) -> Iterator[Frame]:
        index, image = 0, self._first
        self._first = None
        while image is not None:
            yield Frame(_as_bgr(image), index, index / self.fps, None, time.perf_counter())
            ok, image = self.capture.read()
            if not ok:
                return
            index += 1


@dataclass(frozen=True)
class Retry:
    """How a live source rides out faults: `stall` failed reads in a row mean the device has
    stopped; then `attempts` reopenings, `backoff` seconds before the first, doubling."""

    stall: int = 10
    attempts: int = 3
    backoff: float = 0.5


class LiveSource(Source):
    """A camera or stream: a capture thread keeps only the newest frame.

    `open_device` opens (and reopens, after a fault) the device. The thread starts with the
    first iteration; `close` stops it, joins it and releases the device. Counters: `dropped`
    frames were replaced by newer ones before the reader took them, `corrupt` reads failed
    and were skipped, `reconnects` reopenings succeeded; `error` says why a source ended early.
    """

    live = True

    def __init__(self, open_device: Callable[[], Device], description: str,
                 retry: Retry = Retry(), fps: float | None = None,
                 log: Callable[[str], None] | None = None):
        self.description, self.retry, self.log = description, retry, log or (lambda _: None)
        self._open = open_device
        self.device = open_device()
        first = _first_frame(self.device, description)
        self.size = (first.shape[1], first.shape[0])
        self.fps = fps or (_fps_of(self.device) if isinstance(self.device, cv2.VideoCapture)
                           else getattr(self.device, "fps", DEFAULT_FPS))
        self.dropped = self.corrupt = self.reconnects = 0
        self.error: str | None = None
        self._started = time.perf_counter()
        self._newest: Frame | None = None
        self._captured = 0  # number of the next frame
        self._taken = -1  # index of the last frame handed to the reader
        self._ended = False
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._publish(first, self._started)

    def _publish(self, image: np.ndarray, captured: float) -> None:
        # A replayed recording knows its frame numbers; a camera's frames are counted here.
        index = getattr(self.device, "position", self._captured)
        frame = Frame(_as_bgr(image), index, captured - self._started, None, captured)
        with self._changed:
            if self._newest is not None and self._newest.index > self._taken:
                self.dropped += 1
            self._newest = frame
            self._captured = index + 1
            self._changed.notify_all()

    def _capture(self) -> None:
        try:
            self._read_until_stopped()
        finally:  # whatever happens here, the reader must not wait forever
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def _read_until_stopped(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                ok, image = self.device.read()
            except EOFError:  # a replayed recording came to its end: not a fault
                return
            except Exception:  # a driver error (libcamera timeout ...) is a failed read
                ok, image = False, None
            if ok and image is not None and image.size > 0:
                failures = 0
                self._publish(image, time.perf_counter())
                continue
            self.corrupt += 1
            failures += 1
            if failures >= self.retry.stall:
                if not self._reconnect():
                    return
                failures = 0

    def _reconnect(self) -> bool:
        """Reopen the device with backoff; False (and `error` set) when every attempt failed."""
        self.device.release()
        delay = self.retry.backoff
        for attempt in range(1, self.retry.attempts + 1):
            self.log(f"{self.description} stopped delivering frames; reconnecting "
                     f"({attempt}/{self.retry.attempts}) in {delay:g} s")
            if self._stop.wait(delay):
                return False
            try:
                self.device = self._open()
                self.reconnects += 1
                return True
            except SourceError:
                delay *= 2
        self.error = (f"{self.description} stopped delivering frames "
                      f"({self.retry.attempts} reconnect attempts failed)")
        return False

    def __iter__(self) -> Iterator[Frame]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._capture, name="livedigits-capture",
                                            daemon=True)
            self._thread.start()
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stop.is_set() or self._ended
                                       or self._newest.index > self._taken)
                if self._stop.is_set() or self._newest.index <= self._taken:
                    return
                frame = self._newest
                self._taken = frame.index
            yield frame

    def close(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
        self.device.release()


class ImageSource(Source):
    """One image file or many, read in sorted order."""

    def __init__(self, paths: list[Path], description: str):
        self.paths, self.description, self.count = paths, description, len(paths)
        self.files = tuple(paths)
        first = _read_image(paths[0])
        self.size = (first.shape[1], first.shape[0])
        self._first: np.ndarray | None = first

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            image = self._first if index == 0 and self._first is not None else _read_image(path)
            self._first = None
            yield Frame(image, index, 0.0, path.name, time.perf_counter())


class Replay:
    """A recording played back as if it were a camera: frames become available on the clock
    of its frame rate, whether or not anyone reads them (a Device for LiveSource)."""

    def __init__(self, path: str, description: str, speed: float = 1.0):
        self.capture = open_capture(path, description, live=False)
        self.fps = _fps_of(self.capture)
        self.period = 1.0 / (self.fps * speed)
        self.start: float | None = None
        self.position = -1  # index of the last frame read from the file

    def read(self) -> tuple[bool, np.ndarray | None]:
        """Wait for the next frame on the clock, skipping the ones whose time has passed."""
        now = time.perf_counter()
        if self.start is None:
            self.start = now
        due = max(self.position + 1, int((now - self.start) / self.period))
        while self.position < due - 1:  # frames nobody was there to see
            if not self.capture.grab():
                raise EOFError
            self.position += 1
        time.sleep(max(0.0, self.start + due * self.period - time.perf_counter()))
        ok, image = self.capture.read()
        if not ok:
            raise EOFError
        self.position += 1
        return True, image

    def release(self) -> None:
        self.capture.release()


class Picamera:
    """A Raspberry Pi camera module through Picamera2 (libcamera), as a Device.

    cv2.VideoCapture cannot open these cameras under libcamera. Picamera2's "RGB888" format
    is, despite its name, B, G, R in memory: what OpenCV expects.
    """

    def __init__(self, request: CameraRequest):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError("--picamera needs the picamera2 module: sudo apt install "
                              "python3-picamera2, and a venv made with "
                              "--system-site-packages") from None
        try:
            self.camera = Picamera2()
            size = (request.width or 1280, request.height or 720)
            controls = {"FrameRate": request.fps} if request.fps else {}
            self.camera.configure(self.camera.create_video_configuration(
                main={"size": size, "format": "RGB888"}, controls=controls))
            self.camera.start()
        except Exception as error:  # libcamera raises RuntimeError, IndexError (no camera) ...
            raise SourceError(f"Pi camera could not be opened: {error}") from None

    def read(self) -> tuple[bool, np.ndarray | None]:
        return True, self.camera.capture_array("main")

    def release(self) -> None:
        self.camera.close()


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Camera and video frames as 3-channel BGR uint8 (some devices give gray or BGRA)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _read_image(path: Path) -> np.ndarray:
    """Any image OpenCV reads (gray, BGRA, 16-bit) as BGR uint8; a clear error otherwise."""
    try:
        return load_image(path)
    except (FileNotFoundError, ValueError) as error:
        raise SourceError(str(error)) from None


def _image_paths(paths) -> list[Path]:
    return sorted(p for p in map(Path, paths) if p.suffix.lower() in IMAGE_SUFFIXES
                  and p.is_file())


def camera_hint(index: int, devices: list[Path] | None = None) -> str:
    """What to try when camera `index` does not open; on Linux from the /dev/video* devices
    (`devices`, default: those of this machine)."""
    if not sys.platform.startswith("linux"):
        return "try another index, and check that no other program is using the camera"
    if devices is None:
        devices = list(Path("/dev").glob("video*"))
    numbers = sorted(int(d.name[5:]) for d in devices if d.name[5:].isdigit())
    if not numbers:
        return ("no /dev/video* device on this machine: is a camera connected? (a Raspberry Pi "
                "camera module needs --picamera)")
    denied = [str(d) for d in sorted(devices) if not os.access(d, os.R_OK | os.W_OK)]
    if denied:
        return (f"no permission for {', '.join(denied)}: add yourself to the video group "
                "(sudo usermod -aG video $USER, then log in again)")
    listed = ", ".join(f"/dev/video{n}" for n in numbers)
    return (f"devices here: {listed} (try their numbers; a webcam often has two, one of them "
            "for metadata), and check that no other program is using the camera")


def open_source(spec: str, request: CameraRequest = CameraRequest(), live: bool = False,
                log: Callable[[str], None] | None = None) -> Source:
    """Parse a source string once: a camera index ("0"), "picamera", a stream URL (rtsp://,
    http://...), an image or video file, a directory of images, or a glob ("shots/*.png").

    `request` applies to cameras; `live` plays a video file back on its own clock through the
    capture thread, as a camera would deliver it; `log` hears about reconnections.
    """
    spec = spec.strip()
    if spec == "picamera":
        return LiveSource(lambda: Picamera(request), "Pi camera", fps=request.fps, log=log)
    if spec.isdigit() or "://" in spec:
        target: int | str = int(spec) if spec.isdigit() else spec
        description = f"camera {spec}" if spec.isdigit() else f"stream {spec}"
        try:
            return LiveSource(lambda: open_capture(target, description, request), description,
                              log=log)  # the frame rate the camera reports, not the one we asked
        except SourceError as error:
            if isinstance(target, int):
                raise SourceError(f"{error}: {camera_hint(target)}") from None
            raise
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
    if live:
        source = LiveSource(lambda: Replay(str(path), f"video {path}"), f"video {path} (live)",
                            log=log)
        source.files = (path,)
        return source
    return VideoFileSource(str(path), f"video {path}")
