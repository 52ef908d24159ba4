"""The command line: ``livedigits SOURCE [options]``. The only module that reads argv."""

from __future__ import annotations

import argparse
import math
import os
import signal
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package is imported lazily, so that --help stays fast
    from .sources import Source
    from .types import Reading

EXAMPLES = """examples:
  livedigits --camera 0                         live window (headless: JSON Lines to stdout)
  livedigits 0 --width 1280 --height 720 --mjpg -o live.mp4
  livedigits --picamera --scale 0.5 --int8      Raspberry Pi camera module
  livedigits samples/video.mp4 -o out.mp4 --json out.jsonl
  livedigits samples/frames -o annotated/ --json -
  livedigits samples/video.mp4 --live --serve 8000   watch at http://127.0.0.1:8000/
  livedigits recordings/ --json readings/ --jobs 2 --resume     every video of a folder
"""
SCALE_RANGE = (0.05, 4.0)  # what Reader accepts (checked against it in tests/test_cli.py)


class UsageError(ValueError):
    """Options that do not fit the source: one line and exit code 2, as argparse does."""


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


def _number(kind: type, low: float, high: float = math.inf, what: str = "") -> Callable:
    """An argparse type: a finite `kind` number in [low, high], else a one-line error."""
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value
    return convert


COUNT = _number(int, 0, what="a whole number, 0 or more")
POSITIVE = _number(int, 1, what="a whole number, 1 or more")


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
    p.add_argument("--camera", type=COUNT, metavar="INDEX", help="same as SOURCE=INDEX")
    p.add_argument("--picamera", action="store_true",
                   help="a Raspberry Pi camera module through Picamera2")
    p.add_argument("-o", "--output", metavar="PATH", help="annotated video (.mp4, .webm, .avi "
                   "...) for a video or camera; annotated image file (one image) or directory "
                   "for images; never an input")
    p.add_argument("--json", metavar="PATH", help="JSON Lines, one object per frame; - for stdout")
    p.add_argument("--no-display", action="store_true", help="never open a window")
    p.add_argument("--caption", action=argparse.BooleanOptionalAction, default=False,
                   help="burn the caption (frames/s, ms per reading, latency) into the annotated "
                   "video too (default: no; the window always shows it; stills never)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar, summary or notes on stderr; errors only")
    p.add_argument("--serve", metavar="[HOST:]PORT", help="serve the live overlay at / and a "
                   "page to draw digits at /draw (binds 127.0.0.1 unless HOST is given); "
                   "without SOURCE, /draw and POST /read only")
    model = p.add_argument_group("reading")
    model.add_argument("--model", metavar="PATH", help="ONNX model (default: the shipped one)")
    model.add_argument("--int8", action="store_true", help="use the shipped int8 model")
    model.add_argument("--min-confidence", type=_number(float, 0, 1, "between 0 and 1"),
                       default=0.5, metavar="P",
                       help="drop digits read with less confidence (default 0.5)")
    model.add_argument("--threads", type=COUNT, default=1, metavar="N",
                       help="threads of onnxruntime and OpenCV (default 1; 0 lets each choose)")
    model.add_argument("--scale", type=_number(float, *SCALE_RANGE,
                                               "between {:g} and {:g}".format(*SCALE_RANGE)),
                       metavar="F", help="resize factor before "
                       "segmentation (default: frames over 640 px are reduced to 640)")
    model.add_argument("--ink", choices=("both", "dark", "light"), default="both",
                       help="the ink to read: dark on light paper, light on a dark board, or "
                       "both (the default; reading one is faster)")
    model.add_argument("--rotate", type=int, default=0, choices=(0, 90, 180, 270),
                       metavar="DEG", help="turn frames this many degrees clockwise before "
                       "reading (0, 90, 180, 270): a camera mounted sideways, a page on its "
                       "side (an image of a page on its side is found and turned without it)")
    model.add_argument("--every", type=POSITIVE, default=1, metavar="N",
                       help="read every Nth frame only; the others show the last reading")
    model.add_argument("--no-smooth", action="store_true", help="per-frame labels: no smoothing "
                       "over frames of a video or camera (digits still get track ids)")
    live = p.add_argument_group("cameras")
    live.add_argument("--width", type=POSITIVE, metavar="PX",
                      help="ask the camera for this width")
    live.add_argument("--height", type=POSITIVE, metavar="PX",
                      help="ask the camera for this height")
    live.add_argument("--fps", type=_number(float, 0.1, 1000, "between 0.1 and 1000"),
                      help="ask the camera for this frame rate")
    live.add_argument("--mjpg", action="store_true",
                      help="ask a USB webcam for MJPG (often needed for 720p at 30 fps)")
    live.add_argument("--live", action="store_true", help="play a video file as if it were a "
                      "camera: on its own clock, frames dropped when reading is slower")
    archive = p.add_argument_group("archives (a directory or glob of videos)")
    archive.add_argument("--jobs", type=POSITIVE, default=1, metavar="N",
                         help="read N videos at once in worker processes (default 1)")
    archive.add_argument("--ray", metavar="ADDRESS", help="read the videos as tasks on a Ray "
                         "cluster (ADDRESS or auto; needs livedigits[cluster])")
    archive.add_argument("--resume", action="store_true",
                         help="skip videos whose outputs are already complete")
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
    if args.source is None and args.serve is None:
        p.error("no SOURCE given")
    if args.serve is not None:
        from .server import parse_address

        try:
            args.serve = parse_address(args.serve)
        except ValueError as error:
            p.error(str(error))
    if args.model and args.int8:
        p.error("give either --model or --int8")
    if args.ray is not None and args.jobs > 1:
        p.error("give either --jobs or --ray")
    return args


class Stats:
    """What the summary line and the overlay caption report."""

    def __init__(self) -> None:
        self.frames = self.readings = self.digits = self.numbers = 0
        self.last_index = -1  # the source's number of the newest frame (a camera's count)
        self.reading_s = 0.0
        # Bounded: a camera may run for days; the median is of the newest frames.
        self.latencies: deque[float] = deque(maxlen=10_000)
        self.started = time.perf_counter()

    def add(self, reading: Reading, seconds: float) -> None:
        self.readings += 1
        self.digits += len(reading.digits)
        self.numbers += len(reading.numbers)
        self.reading_s += seconds

    @property
    def ms_per_reading(self) -> float:
        return 1000 * self.reading_s / max(self.readings, 1)

    @property
    def frames_per_s(self) -> float:
        return self.frames / max(time.perf_counter() - self.started, 1e-9)

    def caption(self) -> str:
        """Frames per second, ms per reading and, for a live source, the newest
        capture-to-overlay latency."""
        text = f"{self.frames_per_s:.1f} fps, {self.ms_per_reading:.1f} ms per reading"
        if self.latencies:
            text += f", latency {1000 * self.latencies[-1]:.0f} ms"
        return text

    def summary(self, source: Source, images: bool, every: int) -> str:
        """Each figure named for what it is: frames in the source, frames read, ms per reading;
        latency, drops and reconnects only for live sources."""
        ms = f"{self.ms_per_reading:.1f} ms per reading"
        if images:
            read = f"{self.readings} of {source.count}" if self.readings < source.count else (
                f"{self.readings}")
            return (f"{read} image{'s' * (source.count != 1)} read: {self.digits} digits, "
                    f"{self.numbers} numbers; {ms}")
        per_reading = (f"{self.digits / max(self.readings, 1):.1f} digits and "
                       f"{self.numbers / max(self.readings, 1):.1f} numbers per reading")
        read = f", {self.readings} read (--every {every})" if every > 1 else ""
        if not source.live:
            frames = (f"{self.frames} of {source.count} frames" if source.count
                      and self.frames < source.count else f"{self.frames} frames")
            return (f"{frames}{read}: {per_reading}; {ms}, "
                    f"{self.frames_per_s:.1f} frames/s overall")
        latency = (f", latency median {1000 * statistics.median(self.latencies):.0f} ms"
                   if self.latencies else "")
        return (f"{source.description}: {self.last_index + 1} frames captured, {self.frames} "
                f"taken, {source.dropped} frames dropped while busy{read}, {source.corrupt} bad "
                f"reads, {source.reconnects} reconnects: {per_reading}; {ms}{latency}")


def check_fits(args: argparse.Namespace, source: Source, images: bool) -> None:
    """UsageError for options that would be ignored with this source."""
    if images and args.live:
        raise UsageError(f"--live plays a video file as a camera would; {source.description} "
                         "is not a video")
    if images and args.caption:
        raise UsageError("--caption is for annotated videos; annotated images carry none")
    if images and args.every > 1:
        raise UsageError("--every is for videos and cameras; every image is read")
    if not source.live and (args.width or args.height or args.fps or args.mjpg):
        raise UsageError(f"--width, --height, --fps and --mjpg are for cameras; "
                         f"{source.description} is not one")


def plan_outputs(args: argparse.Namespace, source: Source, images: bool) -> list[Path]:
    """Check the files -o and --json will write before any is; return those that exist.

    UsageError when one would be an input or does not fit the source."""
    from .sinks import output_files, refuse_clobbering

    try:
        outputs = {}
        if args.output:
            outputs[f"-o {args.output}"] = output_files(args.output, source.files if images
                                                        else None)
        if args.json and args.json != "-":
            outputs[f"--json {args.json}"] = [Path(args.json)]
        return refuse_clobbering(outputs, source.files)
    except ValueError as error:
        raise UsageError(str(error)) from None


def open_outputs(args: argparse.Namespace, source: Source, images: bool, stack: ExitStack,
                 say: Callable[[str], None]):
    """The window, JSON Lines and annotated output asked for (checked by plan_outputs); each
    closed by `stack`."""
    from .sinks import ImageSink, JsonlSink, VideoSink, Window, display_available, is_directory

    json_path, window = args.json, None
    if not args.no_display:
        if display_available():
            window = stack.enter_context(closing(Window()))
        elif not (args.output or json_path or args.serve):
            # a window was wanted: say where results go (with --serve, the page shows them)
            say("no display: writing JSON Lines to standard output instead of a window")
            json_path = "-"
    jsonl = stack.enter_context(closing(JsonlSink(json_path))) if json_path else None
    out = None
    if args.output:
        out = (ImageSink(args.output, single=not is_directory(args.output)) if images
               else VideoSink(args.output, source.fps, source.size))
        stack.enter_context(closing(out))
        if not images and out.fourcc == "mp4v":
            say(f"{args.output}: MPEG-4 part 2 (mp4v; this OpenCV has no H.264 encoder): video "
                "players play it, browsers do not; a .webm plays in browsers (slow to write)")
    return window, jsonl, out


def read_frames(source: Source, reader, tracker, stats: Stats, every: int = 1, jsonl=None,
                out=None, window=None, caption: bool = False,
                after_frame: Callable[[], bool] = lambda: False, server=None) -> bool:
    """Read `source` into the sinks given (each may be None): every `every`th frame is read, the
    others show the last reading; `caption` burns the caption into the annotated video; a
    `server` (--serve) gets each reading. `after_frame()` returning True stops after that
    frame, as does the window's quit key. True when the source ran to its end.

    The one reading loop: of a single source (run) and of each video of an archive (archive.py).
    """
    from .render import add_caption, render
    from .types import Reading

    reading = Reading()
    for count, frame in enumerate(source):
        if count % every == 0:
            tick = time.perf_counter()
            reading = reader.read(frame.image, tracker)
            seconds = time.perf_counter() - tick
            stats.add(reading, seconds)
            if jsonl:
                jsonl.write(frame, reading)
            if server:
                server.publish(frame, reading, seconds, stats.caption())
        stats.frames += 1
        if source.live:
            stats.latencies.append(time.perf_counter() - frame.captured)
        overlay = render(frame.image, reading) if (out or window) else None
        if out:  # a live video keeps real time: the overlay stands in for dropped frames
            saved = add_caption(overlay, stats.caption()) if caption else overlay
            for _ in range(frame.index - stats.last_index if source.live else 1):
                out.write(frame, saved)
        if window:
            shown = (reader.mask(frame.image)[0]  # both polarities
                     if window.show_mask else add_caption(overlay, stats.caption()))
            if window.show(shown) == "quit":
                return False
        stats.last_index = frame.index
        if after_frame():
            return False
    return True


def run(args: argparse.Namespace) -> int:
    """Read every frame of the source into the chosen sinks; return the exit code."""
    from dataclasses import replace

    from tqdm import tqdm

    from .archive import ReadSettings, check_not_archive, find_archive, run_archive
    from .sources import CameraRequest, ImageSource, open_source

    archive = find_archive(args.source) if args.source is not None else None
    if archive is not None:
        return run_archive(archive, args)
    check_not_archive(args)
    settings = ReadSettings.from_args(args)

    def warn(message: str) -> None:  # through tqdm, so that a progress bar stays whole
        tqdm.write(f"livedigits: {message}", file=sys.stderr)

    say = (lambda message: None) if args.quiet else warn

    def make_reader(rotate: int = args.rotate):
        return replace(settings, rotate=rotate).make_reader()

    if args.source is None:  # --serve alone: /draw and /read until Ctrl-C
        return serve_only(args.serve, make_reader(rotate=0), say)
    request = CameraRequest(args.width, args.height, args.fps, args.mjpg)
    stats, source, interrupted = Stats(), None, False
    with ExitStack() as stack:
        # Entered first, left last: a Ctrl-C while the outputs are finalized cannot cut them.
        stop = stack.enter_context(StopOnInterrupt())
        source = stack.enter_context(open_source(args.source, request, live=args.live,
                                                 log=warn))
        images = isinstance(source, ImageSource)
        check_fits(args, source, images)
        existing = plan_outputs(args, source, images)  # before any output is opened
        reader = make_reader()
        if existing:
            more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
            say(f"overwriting {existing[0]}{more}")
        if source.live and (args.width or args.height or args.fps):
            say(f"{source.description} gives {source.size[0]}x{source.size[1]} "
                f"at {source.fps:g} fps")
        window, jsonl, out = open_outputs(args, source, images, stack, say)
        server = None
        if args.serve:  # images sent to /read get their own Reader; they come upright
            server = stack.enter_context(closing(open_server(args.serve, make_reader(rotate=0),
                                                             source, say)))
        tracker = None if images else settings.make_tracker()  # stills are not one scene
        # On stderr, only when it is a terminal (disable=None) and not --quiet.
        progress = stack.enter_context(tqdm(
            total=source.count, unit="image" if images else "frame", file=sys.stderr,
            disable=True if args.quiet else None, leave=False, dynamic_ncols=True,
            mininterval=0.25))

        def after_frame() -> bool:
            progress.update()
            return stop.requested

        try:
            read_frames(source, reader, tracker, stats, args.every, jsonl, out, window,
                        args.caption, after_frame, server)
        except KeyboardInterrupt:
            interrupted = True  # leaving the with-block finalizes every sink
        interrupted |= stop.requested  # the first Ctrl-C, after the frame in hand
    if not args.quiet:
        print(f"livedigits: {stats.summary(source, images, args.every)}"
              + (" (interrupted)" if interrupted else ""), file=sys.stderr)
    if interrupted:
        return 130
    if source.error:
        print(f"livedigits: error: {source.error}", file=sys.stderr)
        return 1
    return 0


def open_server(address: tuple[str, int], reader, source, log: Callable[[str], None]):
    """The --serve server; `log` hears its address."""
    from .server import Server

    return Server(address, reader, source, log=log)


def serve_only(address: tuple[str, int], reader, log: Callable[[str], None]) -> int:
    """--serve without a source: serve /draw and /read until Ctrl-C."""
    with StopOnInterrupt() as stop, closing(open_server(address, reader, None, log)):
        while not stop.requested:
            time.sleep(0.2)
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
    from .archive import ArchiveError
    from .classify import ModelError
    from .sinks import SinkError
    from .sources import SourceError

    try:
        return run(args)
    except UsageError as error:
        print(f"livedigits: error: {error}", file=sys.stderr)
        return 2
    except (SourceError, SinkError, ModelError, ArchiveError) as error:
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
