"""Benchmark reading an archive of videos: --jobs 1 against --jobs 2, a local Ray cluster against
--jobs 2, memory per worker, and memory over one long video. Prints markdown tables.

    python tools/bench_archive.py                  # everything; the long video is 1 hour
    python tools/bench_archive.py --hour-minutes 10 --repeat 1

The videos are made here from samples/video.mp4 (1280x720, 15 fps, 120 frames): 8 videos of
150 frames (10 s, the sample and its first 30 frames again), and one long video that repeats
the sample for --hour-minutes minutes. Every run is the real command in a fresh process, with
JSON Lines and annotated videos written as a user would; the time is the wall time of the
whole command. The Ray cluster (ray.init(num_cpus=2), needs the cluster extra) is started
once, its start-up timed apart; the command joins it with --ray ADDRESS and says how long
joining took and, with --jobs or --ray, when its workers were started with their model
loaded; both are reported apart, and throughput is given with and without them (with --jobs
the first worker may start reading before the last is ready, so its figure after start-up is
a little high). Peak memory
per worker is the largest peak resident memory (VmHWM) of the worker processes, as the
command's summary gives it; the long video's memory is sampled from /proc every second while
it is read (Linux). CPU ms per frame (user + system time of the command and its worker
processes) shows what parallel reading costs apart from how much of the machine it was given.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "video.mp4"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--videos", type=int, default=8, help="videos in the archive (default 8)")
    p.add_argument("--seconds", type=float, default=10, help="length of each video (default 10)")
    p.add_argument("--repeat", type=int, default=2, help="runs of each setting (median, default 2)")
    p.add_argument("--hour-minutes", type=float, default=60, metavar="M",
                   help="length of the long video in minutes (default 60; 0 skips it)")
    p.add_argument("--no-ray", action="store_true", help="skip the Ray measurement")
    p.add_argument("--long-only", action="store_true", help="only the long video")
    p.add_argument("--workdir", type=Path, help="where to make the videos (default: a temp dir)")
    return p.parse_args()


def sample_frames() -> tuple[list, float]:
    capture = cv2.VideoCapture(str(SAMPLE))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while (frame := capture.read()[1]) is not None:
        frames.append(frame)
    capture.release()
    return frames, fps


def write_video(path: Path, frames: list, fps: float, count: int) -> None:
    """`count` frames of the sample, played again from its start as often as needed."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for index in range(count):
        writer.write(frames[index % len(frames)])
    writer.release()


def command(*args) -> list[str]:
    return [sys.executable, "-m", "livedigits", *map(str, args)]


def run(args: list, out: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system of the command and the worker processes it waited
    for; Ray's workers are not its children) and stderr of one command run into `out`."""
    for old in out.glob("*") if out.exists() else []:
        old.unlink()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command(*args, "--json", out, "-o", out), capture_output=True,
                            text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, args))} failed:\n{result.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, result.stderr


def figure(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    return float(match.group(1)) if match else float("nan")


def archive_bench(folder: Path, out: Path, frames: int, repeat: int,
                  ray_address: str | None) -> dict[str, dict]:
    settings = {"--jobs 1": ["--jobs", "1"], "--jobs 2": ["--jobs", "2"]}
    if ray_address:
        settings["--ray (local, 2 CPUs)"] = ["--ray", ray_address]
    rows = {}
    for name, options in settings.items():
        runs = [run([folder, *options], out) for _ in range(repeat)]
        wall = statistics.median(seconds for seconds, _, _ in runs)
        join = statistics.median(_join_seconds(err) for _, _, err in runs)
        ready = statistics.median(_ready_seconds(err) for _, _, err in runs)
        memory = max(figure(r"peak memory per worker (\d+) MB", err) for _, _, err in runs)
        rows[name] = {"wall": wall, "join": join, "ready": ready, "fps": frames / wall,
                      "fps_after_join": frames / (wall - join),
                      "fps_after_start": frames / (wall - join - ready), "memory": memory,
                      "cpu_ms": 1000 * statistics.median(cpu for _, cpu, _ in runs) / frames,
                      "runs": [round(seconds, 1) for seconds, _, _ in runs]}
    return rows


def _ready_seconds(stderr: str) -> float:
    match = re.search(r"workers? ready .* in ([\d.]+) s", stderr)
    return float(match.group(1)) if match else 0.0


def _join_seconds(stderr: str) -> float:
    match = re.search(r"joined the Ray cluster .* in ([\d.]+) s", stderr)
    return float(match.group(1)) if match else 0.0


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def long_video_bench(path: Path, out: Path, frames: int) -> dict:
    """Read one long video (serially), sampling the process's resident memory every second."""
    process = subprocess.Popen(command(path, "--json", out / "long.jsonl", "-o", out / "long.mp4",
                                       "--no-display"), stderr=subprocess.PIPE, text=True)
    start, samples = time.perf_counter(), []
    while process.poll() is None:
        samples.append((time.perf_counter() - start, rss_mb(process.pid)))
        time.sleep(1.0)
    stderr = process.stderr.read()
    if process.returncode != 0:
        sys.exit(f"bench: the long video failed:\n{stderr}")
    wall = time.perf_counter() - start
    memory = [mb for _, mb in samples if mb == mb and mb > 5]  # not the process before exec
    steady = memory[len(memory) // 10:]  # past the start-up (imports, model, first frames)
    return {"wall": wall, "fps": frames / wall, "steady_min": min(steady),
            "steady_max": max(steady), "max": max(memory), "samples": len(memory),
            "profile": [round(memory[int(i * (len(memory) - 1) / 10)]) for i in range(11)]}


def start_ray() -> tuple[str | None, float]:
    """A local cluster of 2 CPUs: its address and how long it took to start."""
    try:
        import ray
    except ImportError:
        print("Ray: not measured, the cluster extra is not installed\n")
        return None, float("nan")
    # Ray runs its workers at nice 15 by default: on a machine others are using, that alone
    # would make Ray slower than --jobs (whose workers run at the command's niceness).
    os.environ.setdefault("RAY_worker_niceness", "0")
    begin = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    return ray.get_runtime_context().gcs_address, time.perf_counter() - begin


def archive_section(args: argparse.Namespace, work: Path, frames: list, fps: float) -> None:
    folder, out = work / "archive", work / "out"
    folder.mkdir(parents=True, exist_ok=True)
    per_video = round(args.seconds * fps)
    for index in range(args.videos):
        write_video(folder / f"video_{index}.mp4", frames, fps, per_video)
    total = args.videos * per_video
    print(f"{args.videos} videos of {per_video} frames (1280x720, {args.seconds:g} s each, "
          f"{total} frames), JSON Lines and annotated videos written, median of {args.repeat} "
          f"runs; wall time of the whole command, its start-up included.\n")
    ray_address, ray_start = (None, float("nan")) if args.no_ray else start_ray()
    rows = archive_bench(folder, out, total, args.repeat, ray_address)
    print("| setting | wall s (runs) | frames/s | join s | workers ready s | frames/s after "
          "start-up | peak MB per worker | CPU ms per frame |\n|---|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        cpu = "(workers not counted)" if name.startswith("--ray") else f"{row['cpu_ms']:.1f}"
        print(f"| {name} | {row['wall']:.1f} ({', '.join(map(str, row['runs']))}) | "
              f"{row['fps']:.1f} | {row['join']:.1f} | {row['ready']:.1f} | "
              f"{row['fps_after_start']:.1f} | {row['memory']:.0f} | {cpu} |")
    one, two = rows["--jobs 1"], rows["--jobs 2"]
    print(f"\n--jobs 2 / --jobs 1 throughput: {two['fps'] / one['fps']:.2f}x whole command")
    if ray_address:
        ray_row = next(row for name, row in rows.items() if name.startswith("--ray"))
        print(f"Ray / --jobs 2 throughput: {ray_row['fps'] / two['fps']:.2f}x whole command, "
              f"{ray_row['fps_after_start'] / two['fps_after_start']:.2f}x after start-up "
              f"(joining the cluster, and for both the workers started with their model "
              f"loaded: the 'workers ready' line); the local cluster took {ray_start:.1f} s to "
              f"start (not in the figures)")
        import ray

        ray.shutdown()


def long_section(args: argparse.Namespace, work: Path, frames: list, fps: float) -> None:
    count = round(args.hour_minutes * 60 * fps)
    long, out = work / "long" / "long.mp4", work / "long_out"
    long.parent.mkdir(parents=True, exist_ok=True)
    out.mkdir(exist_ok=True)
    begin = time.perf_counter()
    write_video(long, frames, fps, count)
    made = time.perf_counter() - begin
    row = long_video_bench(long, out, count)
    print(f"\n## One long video\n\n{args.hour_minutes:g} min ({count} frames, 1280x720, "
          f"{long.stat().st_size / 2**20:.0f} MB, made in {made:.0f} s), read with JSON Lines "
          f"and annotated video out in {row['wall']:.0f} s ({row['fps']:.1f} frames/s). "
          f"Resident memory, sampled every second ({row['samples']} samples): "
          f"{row['steady_min']:.0f}-{row['steady_max']:.0f} MB from a tenth of the run to its "
          f"end, {row['max']:.0f} MB at most; at every tenth of the run: {row['profile']} MB.")


def main() -> None:
    args = parse_args()
    frames, fps = sample_frames()
    print(f"# Archive benchmark\n\n{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average before: "
          f"{os.getloadavg()[0]:.2f}\n")
    with tempfile.TemporaryDirectory(prefix="bench_archive_") as temp:
        work = args.workdir or Path(temp)
        if not args.long_only:
            archive_section(args, work, frames, fps)
        if args.hour_minutes > 0:
            long_section(args, work, frames, fps)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
