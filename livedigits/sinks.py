"""Where results go: JSON Lines, annotated video, annotated images, a window.

Sinks open (and so fail) when they are created, write each frame as it comes, and finalize on
close, also when the run is interrupted: a JSON line is flushed as soon as it is written and
a video is released, so it plays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, ClassVar

import cv2
import numpy as np

from .sources import IMAGE_SUFFIXES, Frame
from .types import Reading


class SinkError(RuntimeError):
    """An output cannot be written."""


def record(frame: Frame, reading: Reading) -> dict:
    """The JSON Lines object of one frame (the documented format)."""
    return {"frame": frame.index, "time": round(frame.time, 4), "source": frame.name,
            **reading.as_dict()}


class JsonlSink:
    """One JSON object per processed frame, flushed line by line; `-` is standard output."""

    def __init__(self, path: str):
        self.path = path
        if path == "-":
            self.file: IO[str] = sys.stdout
        else:
            try:
                self.file = open(path, "w", encoding="utf-8")  # noqa: SIM115 (closed in close)
            except OSError as error:
                raise SinkError(f"cannot write JSON Lines to {path}: {error.strerror}") from None

    def write(self, frame: Frame, reading: Reading) -> None:
        self.file.write(json.dumps(record(frame, reading)) + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.file is not sys.stdout:
            self.file.close()


class VideoSink:
    """An annotated video of the same size and frame rate as the source.

    `.fourcc` is the codec written: the first of CODECS[suffix] this OpenCV can encode. H.264
    (avc1) comes first for MP4 and MOV, for builds that have an encoder; the opencv-python
    wheels have none, so they write MPEG-4 part 2 (mp4v), which browsers do not play. WebM is
    VP8, which browsers play, but slow to encode.
    """

    CODECS: ClassVar[dict[str, tuple[str, ...]]] = {
        ".mp4": ("avc1", "mp4v"), ".m4v": ("avc1", "mp4v"), ".mov": ("avc1", "mp4v"),
        ".webm": ("VP80",), ".avi": ("MJPG",), ".mkv": ("MJPG",)}

    def __init__(self, path: str, fps: float, size: tuple[int, int]):
        suffix = Path(path).suffix.lower()
        if suffix not in self.CODECS:
            raise SinkError(f"{path}: choose a video file name ending in "
                            f"{', '.join(sorted(self.CODECS))}")
        _check_writable(Path(path))
        self.size = size
        for fourcc in self.CODECS[suffix]:
            self.writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, size)
            if self.writer.isOpened():
                self.fourcc = fourcc
                break
        else:
            raise SinkError(f"cannot write video {path}")

    def write(self, frame: Frame, image: np.ndarray) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size)
        self.writer.write(image)

    def close(self) -> None:
        self.writer.release()


class ImageSink:
    """Annotated images: to `path` itself for one input image with an image suffix, else into
    the directory `path` under each input's file name."""

    def __init__(self, path: str, single: bool):
        self.path = Path(path)
        self.single = single and self.path.suffix.lower() in IMAGE_SUFFIXES
        folder = self.path.parent if self.single else self.path
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SinkError(f"cannot create {folder}: {error.strerror}") from None
        _check_writable(self.path if self.single else self.path / ".livedigits-probe")

    def write(self, frame: Frame, image: np.ndarray) -> None:
        target = self.path if self.single else self.path / (frame.name or f"{frame.index}.png")
        if not cv2.imwrite(str(target), image):
            raise SinkError(f"cannot write image {target}")

    def close(self) -> None:
        pass


def is_directory(output: str) -> bool:
    """Whether an image output names a directory: an existing one, a name ending in a slash,
    or a name without a suffix."""
    return Path(output).is_dir() or output.endswith(("/", os.sep)) or not Path(output).suffix


def output_files(output: str, images: Sequence[Path] | None) -> list[Path]:
    """The files `-o output` will write, for input `images` (one file each, in order) or, when
    None, a video or camera. ValueError, saying what is expected, for a name that does not fit:
    a video writes a video file; images write one image file (one input) or a directory."""
    path = Path(output)
    if images is None:
        if path.suffix.lower() not in VideoSink.CODECS:
            raise ValueError(f"{output}: a video or camera is annotated into a video file: "
                             f"choose a name ending in {', '.join(sorted(VideoSink.CODECS))}")
        return [path]
    if is_directory(output):
        return [path / image.name for image in images]
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{output}: images are annotated into an image file (.png, .jpg ...) "
                         "or a directory (a name without a suffix, or ending in /)")
    if len(images) > 1:
        raise ValueError(f"{output}: {len(images)} images are annotated into a directory, not "
                         "one file (a name without a suffix, or ending in /)")
    return [path]


def refuse_clobbering(outputs: dict[str, Sequence[Path]], inputs: Sequence[Path]) -> list[Path]:
    """Check the files each output option (name -> files) will write, before any is written.

    ValueError if one is an input (the same file, also through a link) or two would write the
    same file; else the files that exist and will be overwritten.
    """
    def identity(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return stat.st_dev, stat.st_ino

    originals = {identity(path): path for path in inputs}
    writers: dict[Path, str] = {}
    existing = []
    for option, files in outputs.items():
        for file in files:
            if file.exists():
                if (source := originals.get(identity(file))) is not None:
                    raise ValueError(f"{option} would overwrite the input {source}: an "
                                     "output never replaces an input (choose another name)")
                existing.append(file)
            key = file.resolve()
            if key in writers:
                raise ValueError(f"{option} would write {file} twice (two inputs of that name)"
                                 if writers[key] == option else
                                 f"{writers[key]} and {option} would both write {file}")
            writers[key] = option
    return existing


def _check_writable(path: Path) -> None:
    """Fail before processing, not after: OpenCV's writers only return False."""
    try:
        existed = path.exists()
        with open(path, "ab"):
            pass
        if not existed:
            path.unlink()
    except OSError as error:
        raise SinkError(f"cannot write {path}: {error.strerror}") from None


def display_available() -> bool:
    """Whether a window can be opened, asked without risking this process.

    OpenCV's Qt backend aborts the whole process (no exception) when there is no display, so
    a headless Linux is detected from the environment and anything else is probed in a child.
    """
    build = cv2.getBuildInformation()
    gui = build[build.find("GUI:"):].split("\n", 1)[0]
    if "GUI:" not in gui or "NONE" in gui.upper():
        return False
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return False
    probe = "import cv2; cv2.namedWindow('probe'); cv2.waitKey(1); cv2.destroyAllWindows()"
    try:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Window:
    """The live overlay window and its keys: q or Esc quit, space pause, t mask, s snapshot."""

    TITLE = "livedigits"

    def __init__(self, snapshot_dir: Path = Path(".")):
        self.snapshot_dir = snapshot_dir
        self.show_mask = False
        self.snapshots = 0

    def show(self, image: np.ndarray) -> str | None:
        """Show a frame and act on a key; return "quit" when asked to stop."""
        cv2.imshow(self.TITLE, image)
        key = cv2.waitKey(1) & 0xFF
        if key == ord(" "):
            key = cv2.waitKey(0) & 0xFF  # paused until the next key; space only resumes
        if key in (ord("q"), 27):
            return "quit"
        if key == ord("t"):
            self.show_mask = not self.show_mask
        elif key == ord("s"):
            path = self.snapshot_dir / f"livedigits_{self.snapshots:03d}.png"
            cv2.imwrite(str(path), image)
            self.snapshots += 1
            print(f"saved {path}", file=sys.stderr)
        return None

    def close(self) -> None:
        cv2.destroyAllWindows()
