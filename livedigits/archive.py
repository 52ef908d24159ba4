"""An archive of recorded videos as one source: a directory or glob read video by video, in
this process, in worker processes (--jobs N) or as tasks on a Ray cluster (--ray ADDRESS).

Each video is one task, `read_video`, the same function on all three paths: it reads the video
with the command's own loop (`cli.read_frames`) into DIR/<stem>.jsonl and DIR/<stem>.mp4 under
temporary names (<stem>.partial.jsonl, <stem>.partial.mp4) and renames them only when the video
has been read to its end. A file under its final name is therefore always complete, which is
what --resume trusts. The driver (`run_archive`) plans the tasks, shows one progress line, asks
the workers to stop on Ctrl-C, and ends with a summary.
"""

from __future__ import annotations

import argparse
import functools
import glob
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .reader import Reader
    from .track import Tracker

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg",
                            ".ts", ".mts", ".m2ts", ".wmv", ".flv", ".3gp", ".ogv"})
PARTIAL = ".partial"  # <stem>.partial.<suffix>: an output still being written
REPORT_EVERY_S = 0.25  # how often a worker process tells the driver how far it is
READY = ""  # the video name of a pool worker's "Reader loaded" message


class ArchiveError(RuntimeError):
    """The archive or the options given with it cannot be used."""


@dataclass(frozen=True)
class Archive:
    """The videos of a directory or glob in name order, and the other files it leaves out."""

    videos: tuple[Path, ...]
    skipped: tuple[Path, ...]
    description: str


def is_video(path: Path) -> bool:
    """A video file by its suffix (and not one of our own outputs still being written)."""
    return path.suffix.lower() in VIDEO_SUFFIXES and not path.stem.endswith(PARTIAL)


def find_archive(spec: str) -> Archive | None:
    """The videos of the directory or glob `spec`; None when it names none (images, a file, a
    camera...), which leaves `spec` to `sources.open_source`."""
    spec = spec.strip()
    path = Path(spec)
    if path.is_dir():
        files, description = [p for p in path.iterdir() if p.is_file()], f"directory {path}"
    elif any(c in spec for c in "*?[") and not path.exists():
        files, description = [p for p in map(Path, glob.glob(spec)) if p.is_file()], spec
    else:
        return None
    videos = sorted(p for p in files if is_video(p))
    if not videos:
        return None
    return Archive(tuple(videos), tuple(sorted(set(files) - set(videos))), description)


@dataclass(frozen=True)
class ReadSettings:
    """How a video is read, as the command's options say; what every worker needs."""

    model: str | None = None  # None: the model shipped in the (worker's) installed package
    int8: bool = False
    min_confidence: float = 0.5
    threads: int = 1  # 0 lets onnxruntime and OpenCV choose
    scale: float | None = None
    every: int = 1
    smooth: bool = True
    rotate: int = 0  # degrees clockwise the frames are turned before reading
    ink_is_dark: bool | None = None  # None: both polarities (--ink both)
    caption: bool = False  # burn the timing caption into annotated videos

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ReadSettings:
        model = str(Path(args.model).resolve()) if args.model else None  # workers' cwd differs
        ink = {"both": None, "dark": True, "light": False}[args.ink]
        return cls(model, args.int8, args.min_confidence, args.threads, args.scale, args.every,
                   smooth=not args.no_smooth, rotate=args.rotate, ink_is_dark=ink,
                   caption=args.caption)

    def make_reader(self) -> Reader:
        """A Reader with these settings; OpenCV's threads set for this process."""
        import cv2

        from .classify import default_model
        from .reader import Reader

        if self.threads:  # 0: OpenCV keeps its own default, as onnxruntime does
            cv2.setNumThreads(self.threads)
        return Reader(model=self.model or default_model(self.int8), threads=self.threads or None,
                      min_confidence=self.min_confidence, scale=self.scale, rotate=self.rotate,
                      ink_is_dark=self.ink_is_dark)

    def make_tracker(self) -> Tracker:
        """A new tracker for one video or camera: smoothing labels unless told not to."""
        from .track import NO_SMOOTHING, Tracker, TrackerSettings

        return Tracker(TrackerSettings() if self.smooth else NO_SMOOTHING)


@functools.lru_cache(maxsize=1)
def worker_reader(settings: ReadSettings) -> Reader:
    """The Reader of this process, made (and its model loaded) once for all its tasks."""
    return settings.make_reader()


def partial_path(path: str | Path) -> Path:
    """Where an output is written until it is complete: <stem>.partial<suffix> beside it."""
    path = Path(path)
    return path.with_name(path.stem + PARTIAL + path.suffix)


@dataclass(frozen=True)
class VideoTask:
    """One video to read and where its outputs go (absolute paths; None: not asked for)."""

    video: str
    jsonl: str | None
    output: str | None
    settings: ReadSettings

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(p for p in (self.jsonl, self.output) if p)

    def complete(self) -> bool:
        """Whether every output is already there under its final name (so complete)."""
        return all(Path(p).is_file() for p in self.outputs)


@dataclass(frozen=True)
class VideoResult:
    """How a task ended. `status`: complete, failed (see `error`), interrupted (its outputs
    stay under their partial names), not started (the run was stopped first)."""

    video: str
    status: str
    frames: int = 0  # frames of the video gone through (read or, with --every, shown)
    digits: int = 0
    numbers: int = 0
    error: str | None = None
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # the worker process's peak resident memory so far


class Channel(Protocol):
    """How a running task talks to the driver."""

    def report(self, video: str, frames: int) -> bool:
        """Frames gone through so far; returns True when the driver asks to stop."""
        ...


def read_video(task: VideoTask, channel: Channel) -> VideoResult:
    """The per-video task of every path (serial, process pool, Ray): read `task.video` into its
    outputs, renamed to their final names once the video was read to its end."""
    from .classify import ModelError
    from .cli import Stats, read_frames
    from .sinks import JsonlSink, SinkError, VideoSink
    from .sources import SourceError, VideoFileSource

    name = Path(task.video).name
    if channel.report(task.video, 0):
        return VideoResult(task.video, "not started")
    started, stats = time.perf_counter(), Stats()

    def result(status: str, error: str | None = None) -> VideoResult:
        return VideoResult(task.video, status, stats.frames, stats.digits, stats.numbers, error,
                           time.perf_counter() - started, peak_rss_mb())

    try:
        reader = worker_reader(task.settings)
        with ExitStack() as stack:  # closes (finalizes) the outputs however the loop ends
            source = stack.enter_context(VideoFileSource(task.video, f"video {name}"))
            jsonl = (stack.enter_context(closing(JsonlSink(str(partial_path(task.jsonl)))))
                     if task.jsonl else None)
            out = (stack.enter_context(closing(VideoSink(str(partial_path(task.output)),
                                                         source.fps, source.size)))
                   if task.output else None)
            ended = read_frames(source, reader, task.settings.make_tracker(), stats,
                                task.settings.every, jsonl, out, None, task.settings.caption,
                                lambda: channel.report(task.video, stats.frames))
    except (SourceError, SinkError, ModelError) as error:
        return result("failed", str(error))
    if not ended:
        return result("interrupted")
    for final in task.outputs:
        os.replace(partial_path(final), final)
    return result("complete")


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM on Linux (ru_maxrss there would also
    count the parent that forked this process before exec), ru_maxrss elsewhere, 0 without."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)  # bytes on macOS, KiB else


# --- the driver: plan, run on one of three paths, summarize -------------------------------------

def check_not_archive(args: argparse.Namespace) -> None:
    """The archive options given with a source that is not an archive: a clear error."""
    given = [name for name, on in (("--jobs", args.jobs > 1), ("--ray", args.ray is not None),
                                   ("--resume", args.resume)) if on]
    if given:
        from .cli import UsageError

        raise UsageError(f"{' and '.join(given)} read a directory or glob of videos, and "
                         f"{args.source} is none")


def output_dir(path: str | None, option: str) -> Path | None:
    """An output directory, made if missing; ArchiveError when it cannot be written."""
    if path is None:
        return None
    from .cli import UsageError

    if path == "-":
        raise UsageError(f"{option} -: each video of an archive gets its own file; give a "
                         f"directory")
    folder = Path(path).resolve()
    if folder.suffix.lower() in VIDEO_SUFFIXES | {".jsonl", ".json"} and not folder.is_dir():
        raise UsageError(f"{option} {path}: an archive writes one file per video into a "
                         f"directory; give a directory")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ArchiveError(f"cannot create {path}: {error.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise ArchiveError(f"cannot write to {path}")
    return folder


def plan(archive: Archive, settings: ReadSettings, json_dir: Path | None,
         out_dir: Path | None) -> tuple[list[VideoTask], list[Path]]:
    """One task per video, and the outputs that exist already; UsageError when two videos would
    write the same file or an output would replace an input (sinks.refuse_clobbering)."""
    from .cli import UsageError
    from .sinks import refuse_clobbering

    tasks = [VideoTask(str(video.resolve()),
                       str(json_dir / f"{video.stem}.jsonl") if json_dir else None,
                       str(out_dir / f"{video.stem}.mp4") if out_dir else None, settings)
             for video in archive.videos]
    outputs: dict[str, list[Path]] = {}  # every file each option writes, partial ones too
    if json_dir:
        outputs[f"--json {json_dir}"] = [p for t in tasks for p in (Path(t.jsonl),
                                                                    partial_path(t.jsonl))]
    if out_dir:
        outputs[f"-o {out_dir}"] = [p for t in tasks for p in (Path(t.output),
                                                               partial_path(t.output))]
    try:
        existing = refuse_clobbering(outputs, archive.videos)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return tasks, existing


def frame_count(path: str) -> int:
    """The frame count a video's header gives (0 when unknown or unreadable)."""
    import cv2

    capture = cv2.VideoCapture(path)
    try:
        return max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))) if capture.isOpened() else 0
    finally:
        capture.release()


class ArchiveProgress:
    """One progress bar on stderr for the whole run (a terminal only, not with --quiet): frames,
    rate and time left, the videos done in front; notes and errors printed above it."""

    def __init__(self, videos: int, frames: int, quiet: bool = False):
        from tqdm import tqdm

        self.videos, self.quiet, self._shown = videos, quiet, 0.0
        self.bar = tqdm(total=frames or None, unit="frame", file=sys.stderr, leave=False,
                        disable=True if quiet else None, dynamic_ncols=True, mininterval=0.25,
                        desc=f"0/{videos} videos")

    def due(self) -> bool:
        """Whether to count again (at most 5 times a second, and only when shown)."""
        return not self.bar.disable and time.perf_counter() - self._shown >= 0.2

    def update(self, videos_done: int, frames_done: int) -> None:
        if not self.bar.disable:
            self._shown = time.perf_counter()
            self.bar.set_description_str(f"{videos_done}/{self.videos} videos", refresh=False)
            self.bar.update(frames_done - self.bar.n)

    def note(self, message: str) -> None:
        """What a run says about itself: not with --quiet."""
        if not self.quiet:
            self.error(message)

    def error(self, message: str) -> None:
        self.bar.write(f"livedigits: {message}", file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


class Board:
    """The driver's view of a run: frames gone through per video and whether to stop.

    The driver keeps it in-process for the serial and pool paths; on Ray it is an actor that
    the tasks report to."""

    def __init__(self) -> None:
        self.frames: dict[str, int] = {}
        self.halt = False

    def report(self, video: str, frames: int) -> bool:
        self.frames[video] = frames
        return self.halt

    def stop(self) -> None:
        self.halt = True

    def snapshot(self) -> dict[str, int]:
        return dict(self.frames)

    def total(self) -> int:
        return sum(self.frames.values())


class _Serial:
    """The channel of a task run in the driver's own process."""

    def __init__(self, board: Board, show: Callable[[], None], stop_requested: Callable[[], bool]):
        self.board, self.show, self.stop_requested = board, show, stop_requested

    def report(self, video: str, frames: int) -> bool:
        self.board.report(video, frames)
        self.show()
        return self.stop_requested()


class _Throttled:
    """A channel to another process: sends at most every REPORT_EVERY_S, and keeps the last
    stop answer in between."""

    def __init__(self, send: Callable[[str, int], bool]):
        self.send, self.last, self.halt = send, 0.0, False

    def report(self, video: str, frames: int) -> bool:
        now = time.perf_counter()
        if frames == 0 or now - self.last >= REPORT_EVERY_S:
            self.last = now
            self.halt = self.send(video, frames)
        return self.halt


_worker_channel: _Throttled | None = None  # a pool worker's channel, set by _init_worker


def _init_worker(updates, halt, settings: ReadSettings) -> None:
    """A pool worker: Ctrl-C (sent by a terminal to the whole process group) only asks to stop,
    so the task in hand finishes its frame and finalizes its outputs. It loads its Reader now
    and says so (READY), so the driver can tell start-up from reading."""
    global _worker_channel
    from .cli import quiet_opencv

    quiet_opencv()
    interrupted = []
    signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))

    def send(video: str, frames: int) -> bool:
        updates.put((video, frames))
        return halt.is_set() or bool(interrupted)

    _worker_channel = _Throttled(send)
    try:
        worker_reader(settings)
    except Exception:  # not ready: each task meets the error again and reports it for its video
        return
    updates.put((READY, 0))


def _pool_task(task: VideoTask) -> VideoResult:
    return read_video(task, _worker_channel)


def _ray_warm_up(settings: ReadSettings) -> int:
    """Start a Ray worker process and load its Reader (cached for the tasks it runs next)."""
    from .cli import quiet_opencv

    quiet_opencv()
    worker_reader(settings)
    return os.getpid()


def _ray_task(task: VideoTask, board) -> VideoResult:
    import ray

    from .cli import quiet_opencv

    quiet_opencv()
    return read_video(task, _Throttled(
        lambda video, frames: ray.get(board.report.remote(video, frames))))


def _ready_line(workers: int, seconds: float) -> str:
    """The start-up line of the parallel paths (bench_archive.py reads it)."""
    return f"{_count(workers, 'worker')} ready (started, model loaded) in {seconds:.1f} s"


def _failed(task: VideoTask, error: BaseException) -> VideoResult:
    return VideoResult(task.video, "failed", error=f"{type(error).__name__}: {error}")


def run_serial(tasks: list[VideoTask], board: Board, show: Callable[[], None],
               stop_requested: Callable[[], bool],
               on_result: Callable[[VideoResult], None]) -> None:
    channel = _Serial(board, show, stop_requested)
    for task in tasks:
        on_result(read_video(task, channel))


def run_pool(tasks: list[VideoTask], jobs: int, board: Board, show: Callable[[], None],
             stop_requested: Callable[[], bool], on_result: Callable[[VideoResult], None],
             log: Callable[[str], None] = lambda message: None) -> None:
    """The tasks on `jobs` worker processes (spawned: no threads or model inherited)."""
    context = multiprocessing.get_context("spawn")
    updates, halt = context.Queue(), context.Event()
    workers, starting, ready = min(jobs, len(tasks)), time.perf_counter(), 0
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(updates, halt, tasks[0].settings)) as pool:
        futures = {pool.submit(_pool_task, task): task for task in tasks}
        pending = set(futures)

        def drain() -> None:
            nonlocal ready
            while not updates.empty():
                video, frames = updates.get()
                if video != READY:
                    board.report(video, frames)
                    continue
                ready += 1
                if ready == workers:
                    log(_ready_line(workers, time.perf_counter() - starting))

        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            drain()
            for future in sorted(done, key=lambda f: futures[f].video):
                try:
                    on_result(future.result())
                except Exception as error:  # a worker that died (out of memory ...)
                    on_result(_failed(futures[future], error))
            if stop_requested():
                halt.set()
            show()
    drain()  # a worker that got no task may say READY only as the pool shuts down


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """ArchiveError unless something listens at a Ray address (host:port or ray://host:port):
    ray.init would otherwise retry an address where nothing answers for ever. "auto" is left
    to Ray, which fails at once when it finds no cluster."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except ValueError:
        raise ArchiveError(f"--ray {address}: give host:port, ray://host:port or auto") from None
    except OSError as error:
        raise ArchiveError(f"cannot join the Ray cluster at {address}: nothing answers there "
                           f"({error.strerror or error}); start one with `ray start --head`"
                           ) from None


def run_ray(tasks: list[VideoTask], address: str, board: Board, show: Callable[[], None],
            stop_requested: Callable[[], bool], on_result: Callable[[VideoResult], None],
            log: Callable[[str], None] = lambda message: None) -> None:
    """The tasks as Ray tasks (one CPU each) on the cluster at `address` ("auto": the one this
    machine belongs to). Each worker process loads the model once, from its installed package."""
    if not tasks:
        return
    try:
        import logging

        import ray
    except ImportError:
        raise ArchiveError('--ray needs Ray: pip install "livedigits[cluster]"') from None
    joining = time.perf_counter()
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except Exception as error:  # ConnectionError, ValueError ... all mean: no cluster there
        raise ArchiveError(f"cannot join the Ray cluster at {address}: {error}") from None
    log(f"joined the Ray cluster at {address} ({ray.cluster_resources().get('CPU', 0):g} CPUs) "
        f"in {time.perf_counter() - joining:.1f} s")
    try:
        # Start-up apart from reading: the progress actor and one worker per task the cluster
        # can run at once, each with its Reader loaded (Ray reuses them for the tasks).
        starting = time.perf_counter()
        actor = ray.remote(num_cpus=0)(Board).remote()
        workers = min(len(tasks), max(1, int(ray.cluster_resources().get("CPU", 1))))
        warm = ray.remote(num_cpus=1)(_ray_warm_up)
        ray.get(actor.snapshot.remote())
        try:
            pids = ray.get([warm.remote(tasks[0].settings) for _ in range(workers)])
            log(_ready_line(len(set(pids)), time.perf_counter() - starting))
        except Exception as error:  # the tasks meet it again and report it, one per video
            log(f"Ray workers not ready: {type(error).__name__}")
        remote = ray.remote(num_cpus=1)(_ray_task)
        refs = {remote.remote(task, actor): task for task in tasks}
        pending, halted = list(refs), False
        while pending:
            done, pending = ray.wait(pending, num_returns=len(pending), timeout=0.2)
            for ref in sorted(done, key=lambda r: refs[r].video):
                try:
                    on_result(ray.get(ref))
                except Exception as error:  # RayTaskError, a worker or node that died
                    on_result(_failed(refs[ref], error))
            for video, frames in ray.get(actor.snapshot.remote()).items():
                board.report(video, frames)
            if stop_requested() and not halted:
                actor.stop.remote()
                halted = True
            show()
    finally:
        ray.shutdown()


def check_archive_options(args: argparse.Namespace) -> None:
    """UsageError for options that do not fit an archive."""
    from .cli import UsageError

    if args.live:
        raise UsageError("--live plays one video file as a camera would; an archive is read "
                         "file by file")
    if args.serve:
        raise UsageError("--serve shows one source as it is read; an archive is read video by "
                         "video")
    if args.width or args.height or args.fps or args.mjpg:
        raise UsageError("--width, --height, --fps and --mjpg are for cameras; an archive is "
                         "not one")
    if not (args.json or args.output):
        raise UsageError("an archive needs --json DIR and/or -o DIR for its outputs")


def run_archive(archive: Archive, args: argparse.Namespace) -> int:
    """Read every video of `archive` as `args` say; return the exit code."""
    from .cli import StopOnInterrupt

    check_archive_options(args)
    json_dir, out_dir = output_dir(args.json, "--json"), output_dir(args.output, "-o")
    settings = ReadSettings.from_args(args)
    tasks, existing = plan(archive, settings, json_dir, out_dir)
    worker_reader(settings)  # a wrong model is one error now, not one per video (serial: reused)
    if args.ray is not None:
        check_reachable(args.ray)
    done_before = [task for task in tasks if args.resume and task.complete()]
    todo = [task for task in tasks if task not in done_before]
    board, results = Board(), []
    progress = ArchiveProgress(len(todo), sum(frame_count(task.video) for task in todo),
                               args.quiet)
    progress.note(f"{archive.description}: {_count(len(tasks), 'video')}" + (
        f"; skipping {_count(len(archive.skipped), 'other file')} (not a video by its suffix): "
        f"{_names(archive.skipped)}" if archive.skipped else ""))
    if done_before:
        progress.note(f"--resume: {_count(len(done_before), 'video')} already complete, "
                      f"{len(todo)} to read")
    elif existing:
        progress.note(f"overwriting {_names(existing, 2)}")

    def on_result(result: VideoResult) -> None:
        results.append(result)
        board.report(result.video, result.frames)
        if result.status == "failed":
            progress.error(f"skipped {Path(result.video).name}: {result.error}")

    def show(force: bool = False) -> None:
        if force or progress.due():
            progress.update(len(results), board.total())

    started, interrupted = time.perf_counter(), False
    with StopOnInterrupt() as stop:
        try:
            if args.ray is not None:
                run_ray(todo, args.ray, board, show, lambda: stop.requested, on_result,
                        progress.note)
            elif args.jobs > 1 and len(todo) > 1:
                run_pool(todo, args.jobs, board, show, lambda: stop.requested, on_result,
                         progress.note)
            else:
                run_serial(todo, board, show, lambda: stop.requested, on_result)
        except KeyboardInterrupt:  # a second Ctrl-C: the task in hand finalized its outputs
            interrupted = True
        show(force=True)
        progress.close()
        interrupted |= stop.requested or any(r.status in ("interrupted", "not started")
                                             for r in results)
    lines = summary(results, len(todo), len(done_before), time.perf_counter() - started,
                    interrupted)
    for line in lines:
        (progress.error if line.startswith("error:") else progress.note)(line)
    if interrupted:
        return 130
    return 1 if any(r.status == "failed" for r in results) else 0


def summary(results: list[VideoResult], todo: int, already: int, seconds: float,
            interrupted: bool = False) -> list[str]:
    """The closing lines: what was read, how fast, what is left and what failed."""
    complete = [r for r in results if r.status == "complete"]
    failed = [r for r in results if r.status == "failed"]
    frames = sum(r.frames for r in results)
    lines = [f"{_count(len(complete), 'video')} read"
             + (f", {already} already complete" if already else "")
             + f"; {frames} frames, {sum(r.digits for r in results)} digits, "
             f"{sum(r.numbers for r in results)} numbers in {seconds:.1f} s "
             f"({frames / max(seconds, 1e-9):.1f} frames/s); peak memory per worker "
             f"{max((r.peak_rss_mb for r in results), default=0):.0f} MB"]
    if interrupted:
        unfinished = sum(r.status == "interrupted" for r in results)
        lines.append(f"interrupted: {todo - len(complete) - len(failed)} of {todo} videos left "
                     f"({unfinished} unfinished, their outputs stay as <stem>.partial.*); "
                     f"--resume reads them")
    if failed:
        lines.append(f"error: {len(failed)} of {_count(len(results), 'video')} could not be "
                     f"read: {_names(Path(r.video) for r in failed)}")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _names(paths: Iterable[Path], most: int = 5) -> str:
    names = [p.name for p in paths]
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most
                                      else "")

