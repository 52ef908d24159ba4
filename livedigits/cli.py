"""The command line: ``livedigits SOURCE [options]``. The only module that reads argv."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import threading
import time
from collections import deque
from contextlib import ExitStack, closing
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported lazily, so that --help stays fast
    from .types import Reading

EXAMPLES = """examples:
  livedigits --camera 0                         live window (headless: JSON Lines to stdout)
  livedigits 0 --width 1280 --height 720 --mjpg -o live.mp4
  livedigits --picamera --scale 0.5 --int8      Raspberry Pi camera module
  livedigits samples/video.mp4 -o out.mp4 --json out.jsonl
  livedigits samples/frames -o annotated/ --json -
"""


class StopOnInterrupt:
    """The first Ctrl-C ends the run after the frame in hand, so that frame's JSON line and video
    frames are all written or none; a second Ctrl-C interrupts at once.

    Installed only over Python's default handler in the main thread: a run started with SIGINT
    ignored (`livedigits ... &` in a script) stays deaf to it.
    """

    def __init__(self) -> None:
        self.requested = False
        self._installed = False

    def __enter__(self) -> StopOnInterrupt:
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        # os.write, not print: print may be in the middle of a write when the signal lands.
        os.write(2, b"livedigits: stopping after this frame (Ctrl-C again to stop now)\n")

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """One line, not a usage block: `livedigits: error: ...`."""
        print(f"livedigits: error: {message} (see livedigits --help)", file=sys.stderr)
        sys.exit(2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from . import __version__

    p = _Parser(prog="livedigits", epilog=EXAMPLES,
                formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Read handwritten digits and numbers from a camera, video or images.")
    p.add_argument("source", nargs="?", help="camera index (0), video file, image file, directory "
                   "or glob of images, or a stream URL (rtsp://, http://)")
    p.add_argument("--camera", type=int, metavar="INDEX", help="same as SOURCE=INDEX")
    p.add_argument("--picamera", action="store_true",
                   help="a Raspberry Pi camera module through Picamera2")
    p.add_argument("-o", "--output", metavar="PATH", help="annotated video (video, camera), or "
                   "annotated image file or directory (image inputs)")
    p.add_argument("--json", metavar="PATH", help="JSON Lines, one object per frame; - for stdout")
    p.add_argument("--no-display", action="store_true", help="never open a window")
    model = p.add_argument_group("reading")
    model.add_argument("--model", metavar="PATH", help="ONNX model (default: the shipped one)")
    model.add_argument("--int8", action="store_true", help="use the shipped int8 model")
    model.add_argument("--min-confidence", type=float, default=0.5, metavar="P",
                       help="drop digits read with less confidence (default 0.5)")
    model.add_argument("--threads", type=int, default=1, metavar="N",
                       help="threads of onnxruntime and OpenCV (default 1; 0 lets each choose)")
    model.add_argument("--scale", type=float, metavar="F", help="resize factor before "
                       "segmentation (default: frames over 640 px are reduced to 640)")
    model.add_argument("--rotate", type=int, default=0, choices=(0, 90, 180, 270),
                       metavar="DEG", help="turn frames this many degrees clockwise before "
                       "reading (0, 90, 180, 270): a camera mounted sideways, a page on its side")
    model.add_argument("--every", type=int, default=1, metavar="N",
                       help="read every Nth frame only; the others show the last reading")
    model.add_argument("--no-smooth", action="store_true", help="per-frame labels: no smoothing "
                       "over frames of a video or camera (digits still get track ids)")
    live = p.add_argument_group("cameras")
    live.add_argument("--width", type=int, metavar="PX", help="ask the camera for this width")
    live.add_argument("--height", type=int, metavar="PX", help="ask the camera for this height")
    live.add_argument("--fps", type=float, help="ask the camera for this frame rate")
    live.add_argument("--mjpg", action="store_true",
                      help="ask a USB webcam for MJPG (often needed for 720p at 30 fps)")
    live.add_argument("--live", action="store_true", help="play a video file as if it were a "
                      "camera: on its own clock, frames dropped when reading is slower")
    p.add_argument("--version", action="version", version=f"livedigits {__version__}")
    args = p.parse_args(argv)
    given = [name for name, on in (("SOURCE", args.source is not None),
                                   ("--camera", args.camera is not None),
                                   ("--picamera", args.picamera)) if on]
    if len(given) > 1:
        p.error(f"give one of SOURCE, --camera and --picamera, not {' and '.join(given)}")
    if args.camera is not None:
        args.source = str(args.camera)
    elif args.picamera:
        args.source = "picamera"
    if args.source is None:
        p.error("no SOURCE given")
    if not 0.0 <= args.min_confidence <= 1.0:
        p.error("--min-confidence must be between 0 and 1")
    if args.threads < 0:
        p.error("--threads must be 0 or more")
    if args.every < 1:
        p.error("--every must be 1 or more")
    if args.model and args.int8:
        p.error("give either --model or --int8")
    for name in ("width", "height", "fps"):
        if getattr(args, name) is not None and getattr(args, name) <= 0:
            p.error(f"--{name} must be positive")
    return args


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int | None):
        self.total = total or 0
        self.enabled = self.total > 0 and sys.stderr.isatty()

    def update(self, done: int) -> None:
        if self.enabled:
            filled = int(30 * done / self.total)
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total}", end="",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


class Stats:
    """What the summary line and the overlay caption report."""

    def __init__(self) -> None:
        self.frames = self.digits = self.numbers = 0
        self.reading_s = 0.0
        # Bounded: a camera may run for days; the median is of the newest frames.
        self.latencies: deque[float] = deque(maxlen=10_000)
        self.started = time.perf_counter()

    def add(self, reading: Reading, seconds: float) -> None:
        self.frames += 1
        self.digits += len(reading.digits)
        self.numbers += len(reading.numbers)
        self.reading_s += seconds

    @property
    def ms_per_frame(self) -> float:
        return 1000 * self.reading_s / max(self.frames, 1)

    def caption(self) -> str:
        """Frames read per second and the newest capture-to-overlay latency."""
        recent = self.latencies[-1] if self.latencies else 0.0
        return (f"{self.frames / max(time.perf_counter() - self.started, 1e-9):.1f} fps, "
                f"{self.ms_per_frame:.1f} ms reading, "
                f"latency {1000 * recent:.0f} ms")

    def summary(self, source) -> str:
        total = time.perf_counter() - self.started
        text = (f"{self.frames} frames, {self.digits} digits, {self.numbers} numbers; "
                f"{self.ms_per_frame:.1f} ms per frame reading, "
                f"{self.frames / max(total, 1e-9):.1f} frames/s overall")
        if self.latencies:
            text += f", latency median {1000 * statistics.median(self.latencies):.0f} ms"
        if source.live:
            text += (f"; {source.dropped} frames dropped while busy, {source.corrupt} bad reads"
                     f", {source.reconnects} reconnects")
        return text


def open_outputs(args: argparse.Namespace, source, stack: ExitStack):
    """The window, JSON Lines and annotated output asked for; each closed by `stack`."""
    from .sinks import ImageSink, JsonlSink, VideoSink, Window, display_available
    from .sources import ImageSource

    json_path, window = args.json, None
    if not args.no_display:
        if display_available():
            window = stack.enter_context(closing(Window()))
        else:
            print("livedigits: no display, running without a window", file=sys.stderr)
            if not (args.output or json_path):
                json_path = "-"  # headless with no output: still show the results
    jsonl = stack.enter_context(closing(JsonlSink(json_path))) if json_path else None
    out = None
    if args.output:
        out = (ImageSink(args.output, single=source.count == 1)
               if isinstance(source, ImageSource) else VideoSink(args.output, source.fps,
                                                                 source.size))
        stack.enter_context(closing(out))
    return window, jsonl, out


def run(args: argparse.Namespace) -> int:
    """Read every frame of the source into the chosen sinks; return the exit code."""
    import cv2

    from .classify import default_model
    from .reader import Reader
    from .render import render
    from .sources import CameraRequest, ImageSource, open_source
    from .track import NO_SMOOTHING, Tracker, TrackerSettings
    from .types import Reading

    if args.threads:  # 0: OpenCV keeps its own default, as onnxruntime does
        cv2.setNumThreads(args.threads)
    reader = Reader(model=args.model or default_model(args.int8), threads=args.threads or None,
                    min_confidence=args.min_confidence, scale=args.scale,
                    rotate=args.rotate)
    request = CameraRequest(args.width, args.height, args.fps, args.mjpg)
    stats, source, interrupted = Stats(), None, False
    with ExitStack() as stack:
        # Entered first, left last: a Ctrl-C while the outputs are finalized cannot cut them.
        stop = stack.enter_context(StopOnInterrupt())
        source = stack.enter_context(open_source(
            args.source, request, live=args.live,
            log=lambda message: print(f"livedigits: {message}", file=sys.stderr)))
        if source.live and (args.width or args.height or args.fps):
            print(f"livedigits: {source.description} gives {source.size[0]}x{source.size[1]} "
                  f"at {source.fps:g} fps", file=sys.stderr)
        window, jsonl, out = open_outputs(args, source, stack)
        tracker = (None if isinstance(source, ImageSource)  # stills are not one scene
                   else Tracker(NO_SMOOTHING if args.no_smooth else TrackerSettings()))
        progress = stack.enter_context(closing(Progress(source.count)))
        reading, last_index = Reading(), -1
        try:
            for count, frame in enumerate(source):
                if count % args.every == 0:
                    tick = time.perf_counter()
                    reading = reader.read(frame.image, tracker)
                    stats.add(reading, time.perf_counter() - tick)
                    if jsonl:
                        jsonl.write(frame, reading)
                overlay = render(frame.image, reading, caption=stats.caption()) if (
                    out or window) else None
                stats.latencies.append(time.perf_counter() - frame.captured)
                if out:  # a live video keeps real time: the overlay stands in for dropped frames
                    for _ in range(frame.index - last_index if source.live else 1):
                        out.write(frame, overlay)
                if window:
                    shown = (reader.mask(frame.image)[0]
                             if window.show_mask else overlay)  # both polarities
                    if window.show(shown) == "quit":
                        break
                last_index = frame.index
                progress.update(count + 1)
                if stop.requested:
                    break
        except KeyboardInterrupt:
            interrupted = True  # leaving the with-block finalizes every sink
        interrupted |= stop.requested  # the first Ctrl-C, after the frame in hand
    print(f"livedigits: {stats.summary(source)}" + (" (interrupted)" if interrupted else ""),
          file=sys.stderr)
    if interrupted:
        return 130
    if source.error:
        print(f"livedigits: error: {source.error}", file=sys.stderr)
        return 1
    return 0


def quiet_opencv() -> None:
    """Our one-line errors say what went wrong; OpenCV's and FFmpeg's own logs would bury them."""
    import os

    import cv2

    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET, read at capture open
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `livedigits` command; returns the exit code."""
    args = parse_args(argv)
    quiet_opencv()
    from .classify import ModelError
    from .sinks import SinkError
    from .sources import SourceError

    try:
        return run(args)
    except (SourceError, SinkError, ModelError) as error:
        print(f"livedigits: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the first frame: nothing to finalize
        print("livedigits: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `--json - | head`: the reader of our output left
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
