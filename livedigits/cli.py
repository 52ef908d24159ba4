"""The command line: ``livedigits SOURCE [options]``. The only module that reads argv."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack, closing

EXAMPLES = """examples:
  livedigits --camera 0                         live window (headless: JSON Lines to stdout)
  livedigits samples/video.mp4 -o out.mp4 --json out.jsonl
  livedigits samples/frames -o annotated/ --json -
"""


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
    p.add_argument("-o", "--output", metavar="PATH", help="annotated video (video, camera), or "
                   "annotated image file or directory (image inputs)")
    p.add_argument("--json", metavar="PATH", help="JSON Lines, one object per frame; - for stdout")
    p.add_argument("--no-display", action="store_true", help="never open a window")
    p.add_argument("--model", metavar="PATH", help="ONNX model (default: the shipped one)")
    p.add_argument("--int8", action="store_true", help="use the shipped int8 model")
    p.add_argument("--min-confidence", type=float, default=0.5, metavar="P",
                   help="drop digits read with less confidence (default 0.5)")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="onnxruntime threads (default 1; 0 lets onnxruntime choose)")
    p.add_argument("--scale", type=float, metavar="F", help="resize factor before segmentation "
                   "(default: frames over 640 px are reduced to 640)")
    p.add_argument("--version", action="version", version=f"livedigits {__version__}")
    args = p.parse_args(argv)
    if args.camera is not None:
        if args.source is not None:
            p.error("give either SOURCE or --camera, not both")
        args.source = str(args.camera)
    if args.source is None:
        p.error("no SOURCE given")
    if not 0.0 <= args.min_confidence <= 1.0:
        p.error("--min-confidence must be between 0 and 1")
    if args.threads < 0:
        p.error("--threads must be 0 or more")
    if args.model and args.int8:
        p.error("give either --model or --int8")
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


def run(args: argparse.Namespace) -> int:
    """Read every frame of the source into the chosen sinks; return the exit code."""
    from .classify import default_model
    from .reader import Reader
    from .render import render
    from .sinks import ImageSink, JsonlSink, VideoSink, Window, display_available
    from .sources import ImageSource, open_source

    reader = Reader(model=args.model or default_model(args.int8), threads=args.threads or None,
                    min_confidence=args.min_confidence, scale=args.scale)
    frames = digits = numbers = 0
    busy = 0.0
    interrupted = False
    started = time.perf_counter()
    with ExitStack() as stack:
        source = stack.enter_context(open_source(args.source))
        images = isinstance(source, ImageSource)
        json_path = args.json
        window = None
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
            out = (ImageSink(args.output, single=source.count == 1) if images
                   else VideoSink(args.output, source.fps, source.size))
            stack.enter_context(closing(out))
        progress = stack.enter_context(closing(Progress(source.count)))
        try:
            for frame in source:
                tick = time.perf_counter()
                reading = reader.read(frame.image)
                busy += time.perf_counter() - tick
                frames += 1
                digits += len(reading.digits)
                numbers += len(reading.numbers)
                if jsonl:
                    jsonl.write(frame, reading)
                if out or window:
                    caption = f"{1000 * busy / frames:.1f} ms/frame"
                    overlay = render(frame.image, reading, caption=caption)
                    if out:
                        out.write(frame, overlay)
                    if window:
                        shown = reader.mask(frame.image)[0] if window.show_mask else overlay
                        if window.show(shown) == "quit":
                            break
                progress.update(frames)
        except KeyboardInterrupt:
            interrupted = True  # leaving the with-block finalizes every sink
    total = time.perf_counter() - started
    print(f"livedigits: {frames} frames, {digits} digits, {numbers} numbers; "
          f"{1000 * busy / max(frames, 1):.1f} ms per frame reading, "
          f"{frames / max(total, 1e-9):.1f} frames/s overall"
          + (" (interrupted)" if interrupted else ""), file=sys.stderr)
    return 130 if interrupted else 0


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
