"""Time the reader stage by stage on synthetic frames; print markdown tables with the machine.

    python tools/bench.py            # medians of 50 runs
    python tools/bench.py --quick    # medians of 10 runs, fewer startup runs

The bench frames are made here, deterministically: a paper-like background (light grey, a
gradient, mild noise) with N handwritten digits in a grid. The digits are cut from the committed
sample frames with their ground-truth boxes (samples/frames.jsonl): the ink of each box becomes
an alpha mask, scaled to 40-60 px tall at 1280x720 and 30-40 px at 640x480. Each frame is read
once to check the reader finds about N digits ("found" in the table).

Also measured: a frame of uniform noise (the candidate cap must keep it fast), startup and peak
memory in fresh subprocesses, one classifier call per digit against one batched call, the
fp32 model against the int8 model, and the capture-to-overlay latency of the sample video
replayed as a camera at 15 and 30 fps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from metrics import read_jsonl, sequence_accuracy

from livedigits import Reader, Reading, render
from livedigits.classify import Classifier, default_model
from livedigits.group import group
from livedigits.reader import classifier_batch, decide, prepare, segment_frame, settle, working_gray
from livedigits.segment import MAX_CANDIDATES
from livedigits.sources import LiveSource, Replay
from livedigits.track import Tracker

REPO = Path(__file__).resolve().parents[1]
SIZES = {(640, 480): (30, 40), (1280, 720): (40, 60)}  # frame (w, h): digit height range, px
COUNTS = (1, 20, 80)
STAGES = ("gray+resize", "binarize+candidates", "normalize", "classify", "numbers", "render")
INK = np.array([48, 38, 34], np.float32)  # BGR of a dark ballpoint
SEED = 7


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=50, help="timed runs per measurement (median)")
    p.add_argument("--quick", action="store_true", help="10 runs, 3 startup runs")
    p.add_argument("--startup-runs", type=int, default=5, metavar="N")
    p.add_argument("--samples", type=Path, default=REPO / "samples",
                   help="where frames/ and frames.jsonl are (the digit crops)")
    p.add_argument("--save-frames", type=Path, metavar="DIR", help="also write the bench frames")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat, args.startup_runs = min(args.repeat, 10), min(args.startup_runs, 3)
    return args


# ---------------------------------------------------------------- machine


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [f"- CPU: {cpu}; {os.cpu_count()} logical cores, {usable} usable",
            f"- {platform.platform()}; Python {platform.python_version()}",
            f"- onnxruntime {ort.__version__}, OpenCV {cv2.__version__}, numpy {np.__version__}"]


# ---------------------------------------------------------------- bench frames


@dataclass(frozen=True)
class Crop:
    label: int
    alpha: np.ndarray  # float32 0..1 ink coverage, the box plus a margin


def digit_crops(samples: Path, min_height: int = 28) -> list[Crop]:
    """Ink of every true digit of the sample frames with dark ink on light paper.

    Darkness is taken from the brightest channel, so blue ruled lines count as paper; the alpha
    is cleared outside the box, so neighbours and stray marks stay out.
    """
    crops = []
    for truth in read_jsonl(samples / "frames.jsonl"):
        image = cv2.imread(str(samples / "frames" / truth["source"]))
        if image is None:
            continue
        value = image.max(axis=2).astype(np.float32)
        for digit in truth["digits"]:
            x, y, w, h = digit["box"]
            if h < min_height:
                continue
            pad = max(3, h // 8)
            y0, x0 = max(0, y - pad), max(0, x - pad)
            patch = value[y0 : y + h + pad, x0 : x + w + pad]
            paper, ink = np.median(patch), np.percentile(patch, 2)
            if paper < 130 or paper - ink < 50:  # chalkboard or faint: not paper-like
                continue
            alpha = np.clip((paper - patch) / (paper - ink), 0.0, 1.0)
            alpha[alpha < 0.15] = 0.0
            left, top = x - x0, y - y0
            if ruled(alpha[:, : left - 1], alpha[:, left + w + 1 :]):
                continue
            inside = np.zeros_like(alpha)
            inside[max(0, top - 1) : top + h + 1, max(0, left - 1) : left + w + 1] = 1
            crops.append(Crop(digit["label"], alpha * inside))
    if not crops:
        raise SystemExit(f"bench: no usable digit crops in {samples}")
    return crops


def ruled(left: np.ndarray, right: np.ndarray) -> bool:
    """Whether a line crosses both margins of a crop at the same row (ruled paper)."""
    if left.shape[1] == 0 or right.shape[1] == 0:
        return True
    return bool(((left.mean(axis=1) > 0.1) & (right.mean(axis=1) > 0.1)).any())


def paper(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Light grey paper (float32 BGR) with a lighting gradient and mild sensor noise."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 212 + 22 * (xx / w - 0.5) - 14 * (yy / h - 0.5)
    frame = light[:, :, None] + np.array([-4, 0, 3], np.float32)  # slightly warm
    return frame + rng.normal(0, 3, frame.shape).astype(np.float32)


def bench_frame(size: tuple[int, int], count: int, crops: list[Crop],
                seed: int = SEED) -> tuple[np.ndarray, str]:
    """A frame with `count` digits in a grid, and their labels in reading order."""
    rng = np.random.default_rng(seed + 1000 * count + size[0])
    w, h = size
    frame = paper(size, rng)
    cols = max(1, int(np.ceil(np.sqrt(count * w / h))))
    rows = int(np.ceil(count / cols))
    margin = h // 12
    cell_w, cell_h = (w - 2 * margin) / cols, (h - 2 * margin) / rows
    low, high = SIZES[size]
    labels = []
    for i in range(count):
        crop = crops[int(rng.integers(len(crops)))]
        alpha = crop.alpha
        height = min(rng.uniform(low, high), 0.7 * cell_h)
        scale = min(height / alpha.shape[0] * 1.25, 0.85 * cell_w / alpha.shape[1])
        dw, dh = max(1, round(alpha.shape[1] * scale)), max(1, round(alpha.shape[0] * scale))
        alpha = cv2.resize(alpha, (dw, dh), interpolation=cv2.INTER_AREA)[:, :, None]
        row, col = divmod(i, cols)
        cx = margin + (col + 0.5) * cell_w + rng.uniform(-0.05, 0.05) * cell_w
        cy = margin + (row + 0.5) * cell_h + rng.uniform(-0.05, 0.05) * cell_h
        x0 = min(max(0, int(cx - dw / 2)), w - dw)
        y0 = min(max(0, int(cy - dh / 2)), h - dh)
        region = frame[y0 : y0 + dh, x0 : x0 + dw]
        region[:] = region * (1 - alpha) + INK * alpha
        labels.append(str(crop.label))
    return np.clip(frame, 0, 255).astype(np.uint8), "".join(labels)


def turned_frame(frame: np.ndarray, degrees: float, scale: float = 0.6) -> np.ndarray:
    """`frame` as a camera turned `degrees` about its centre sees it, from `1 / scale` times as
    far (so the digits stay in view), the paper's edge pixels filling the corners."""
    h, w = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    return cv2.warpAffine(frame, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def noise_frame(size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    return np.random.default_rng(SEED).integers(0, 256, (size[1], size[0], 3), np.uint8)


# ---------------------------------------------------------------- timing


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def durations(call: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """Seconds taken by each of `repeat` calls of `call`, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def timed(call: Callable[[], object], repeat: int, warmup: int = 2) -> float:
    """Median milliseconds of `call`."""
    return median_ms(durations(call, repeat, warmup))


@dataclass
class StageTimes:
    ms: dict[str, float]  # stage -> median ms
    read_ms: float  # reader.read end to end
    stream_ms: tuple[float, float]  # reader.read with a tracker: median, mean
    candidates: int
    found: int
    read: str  # the digits read, in reading order


def time_stages(reader: Reader, frame: np.ndarray, repeat: int, warmup: int = 2) -> StageTimes:
    """Reader.read taken apart stage by stage (the same composition), each stage timed."""
    times: dict[str, list[float]] = {s: [] for s in STAGES}
    for run in range(warmup + repeat):
        t0 = time.perf_counter()
        blurred, scale = working_gray(frame, reader.scale)
        t1 = time.perf_counter()
        candidates, parents = segment_frame(blurred, reader.ink_is_dark, reader.max_candidates)
        t2 = time.perf_counter()
        batch, boxes, parents = classifier_batch(candidates, parents, blurred)
        t3 = time.perf_counter()
        probs = reader.classifier(batch)
        t4 = time.perf_counter()
        boxes = np.round(boxes / scale).astype(np.int32)
        reading = Reading(*group(decide(settle(boxes, probs, parents, min(frame.shape[:2])),
                                           reader.min_confidence)))
        t5 = time.perf_counter()
        render(frame, reading)
        t6 = time.perf_counter()
        if run >= warmup:
            for stage, took in zip(STAGES, np.diff([t0, t1, t2, t3, t4, t5, t6]), strict=True):
                times[stage].append(took)
    direct = reader.read(frame)
    if direct != reading:
        print("bench: warning: the stage-by-stage reading differs from Reader.read",
              file=sys.stderr)
    return StageTimes({s: median_ms(t) for s, t in times.items()},
                      timed(lambda: reader.read(frame), repeat, warmup), stream_ms(
                          reader, frame, repeat), len(batch),
                      len(direct.digits), "".join(str(d.label) for d in direct.digits))


def stream_ms(reader: Reader, frame: np.ndarray, repeat: int) -> tuple[float, float]:
    """Median and mean ms of reader.read in a stream (one Tracker), as the command reads a
    camera or a video."""
    tracker = Tracker()
    times = durations(lambda: reader.read(frame, tracker), repeat, warmup=2)
    return median_ms(times), 1000 * statistics.fmean(times)


def stage_table(rows: list[tuple[str, int, str, StageTimes]]) -> list[str]:
    head = ["frame", "digits", "found", "threads", *STAGES, "sum w/o render", "read()",
            "read() fps", "stream read(): median / mean"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for name, placed, threads, t in rows:
        stages = [f"{t.ms[s]:.2f}" for s in STAGES]
        stages[1] += f" ({t.candidates})"
        total = sum(t.ms[s] for s in STAGES[:-1])
        lines.append(f"| {name} | {placed} | {t.found} | {threads} | " + " | ".join(stages)
                     + f" | {total:.2f} | **{t.read_ms:.2f}** | {1000 / t.read_ms:.0f} | "
                     f"**{t.stream_ms[0]:.2f}** / {t.stream_ms[1]:.2f} |")
    return lines


# ---------------------------------------------------------------- batching and int8


def batch_of(reader: Reader, frame: np.ndarray) -> np.ndarray:
    return prepare(frame, reader.scale, None, reader.max_candidates)[0]


def batching_table(reader: Reader, batches: dict[int, np.ndarray], repeat: int) -> list[str]:
    lines = ["| digits | batch rows | one call per digit, ms | one batched call, ms "
             "| per digit: looped / batched, us | batching speedup |", "|" + "---:|" * 6]
    for count, batch in batches.items():
        rows = [batch[i : i + 1] for i in range(len(batch))]

        def looped(rows=rows):
            for row in rows:
                reader.classifier(row)

        loop_ms = timed(looped, repeat)
        one_ms = timed(lambda batch=batch: reader.classifier(batch), repeat)
        n = len(batch)
        lines.append(f"| {count} | {n} | {loop_ms:.2f} | {one_ms:.2f} | "
                     f"{1000 * loop_ms / n:.0f} / {1000 * one_ms / n:.0f} | "
                     f"{loop_ms / one_ms:.1f}x |")
    return lines


def int8_table(batch: np.ndarray, repeat: int) -> list[str]:
    """fp32 against int8 at batch 32 on one thread; label agreement on the whole batch."""
    batch32 = np.resize(batch, (32, *batch.shape[1:])) if len(batch) else batch
    lines = ["| model | file, KB | batch 32, ms | per digit, us | labels equal to fp32 |",
             "|---|---:|---:|---:|---:|"]
    reference = None
    for int8 in (False, True):
        path = default_model(int8=int8)
        classifier = Classifier(path, threads=1)
        ms = timed(lambda c=classifier: c(batch32), repeat * 4)
        labels = classifier(batch).argmax(axis=1)
        reference = labels if reference is None else reference
        same = f"{(labels == reference).mean():.1%} of {len(labels)}"
        lines.append(f"| {path.name} | {path.stat().st_size / 1024:.0f} | {ms:.3f} | "
                     f"{1000 * ms / 32:.1f} | {same} |")
    return lines


# ---------------------------------------------------------------- live latency


def live_table(reader: Reader, video: Path) -> list[str]:
    """The sample video played as a camera (on its clock, through the capture thread), read,
    tracked and rendered: capture-to-overlay latency against the processing time."""
    lines = ["| camera rate | frames read / dropped | processing (read + track + render), ms "
             "| latency median / p95, ms | latency - processing: median / max, ms "
             "| one frame, ms |", "|---|---:|---:|---:|---:|---:|"]
    for speed in (1.0, 2.0):
        device = Replay(str(video), "bench video", speed)
        source = LiveSource(lambda device=device: device, "bench video")
        tracker, work, latency = Tracker(), [], []
        with source:
            for frame in source:
                start = time.perf_counter()
                render(frame.image, reader.read(frame.image, tracker))
                done = time.perf_counter()
                work.append(done - start)
                latency.append(done - frame.captured)
        wait = np.array(latency) - np.array(work)
        lines.append(f"| {source.fps * speed:g} fps | {len(work)} / {source.dropped} | "
                     f"{median_ms(work):.1f} | {median_ms(latency):.1f} / "
                     f"{1000 * np.percentile(latency, 95):.1f} | {1000 * np.median(wait):.1f} / "
                     f"{1000 * wait.max():.1f} | {1000 / (source.fps * speed):.1f} |")
    return lines


# ---------------------------------------------------------------- fresh subprocesses

STARTUP = """
import json, sys, time
t0 = time.perf_counter()
import livedigits
t1 = time.perf_counter()
import numpy as np
reader = livedigits.Reader()
t2 = time.perf_counter()
frame = np.load(sys.argv[1])
t3 = time.perf_counter()
reader.read(frame)
t4 = time.perf_counter()
reader.read(frame)
t5 = time.perf_counter()
print(json.dumps({"import livedigits": t1 - t0, "Reader() (model load)": t2 - t1,
                  "first read()": t4 - t3, "second read()": t5 - t4}))
"""

MEMORY = """
import json, resource, sys
def peak():
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss = kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024
    try:
        status = open("/proc/self/status").read().split("VmHWM:")[1]
        return rss, int(status.split()[0]) / 1024
    except (OSError, IndexError):
        return rss, None
out = {"python": peak()}
import numpy as np, livedigits
out["import livedigits"] = peak()
reader = livedigits.Reader()
out["Reader()"] = peak()
frame = np.load(sys.argv[1])
for _ in range(100):
    reader.read(frame)
out["100 reads of the 720p 20-digit frame"] = peak()
print(json.dumps(out))
"""


def run_child(code: str, *args: object, via_shell: bool = False, tree: Path | None = None,
              ) -> tuple[dict, float]:
    """Run `code` with `args` in a fresh interpreter; its last stdout line is JSON. Raises
    CalledProcessError if it fails, ValueError if it prints nothing.

    via_shell: start it from /bin/sh, not from this process. On Linux a child's ru_maxrss
    starts at its parent's peak RSS (the forked copy's high-water mark survives exec), so a
    child of this big process would report this process's memory, not its own.
    tree: run it in that source tree, whose livedigits then comes first on sys.path (the
    current directory; PYTHONPATH keeps it there for anything the child starts).
    """
    command = [sys.executable, "-c", code, *map(str, args)]
    if via_shell and Path("/bin/sh").exists():
        command = ["/bin/sh", "-c", '"$0" "$@"; exit $?', *command]
    env = None if tree is None else {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env, cwd=tree)
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise ValueError("it printed nothing")
    return json.loads(lines[-1]), time.perf_counter() - start


def startup_table(frame_path: Path, runs: int) -> list[str]:
    results = [run_child(STARTUP, frame_path) for _ in range(runs)]
    lines = [f"| step (median of {runs} fresh processes) | ms |", "|---|---:|"]
    for step in results[0][0]:
        lines.append(f"| {step} | {1000 * statistics.median(r[step] for r, _ in results):.0f} |")
    whole = 1000 * statistics.median(w for _, w in results)
    lines.append(f"| whole process (interpreter start to exit) | {whole:.0f} |")
    return lines


def memory_table(frame_path: Path) -> list[str]:
    peaks, _ = run_child(MEMORY, frame_path, via_shell=True)
    lines = ["| after | ru_maxrss, MB | VmHWM, MB |", "|---|---:|---:|"]
    for step, (rss, hwm) in peaks.items():
        lines.append(f"| {step} | {rss:.0f} | {'-' if hwm is None else f'{hwm:.0f}'} |")
    return lines


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    crops = digit_crops(args.samples)
    out = ["# livedigits bench", "", *machine(),
           f"- medians of {args.repeat} runs; {len(crops)} digit crops from "
           f"{args.samples.name}/frames.jsonl", ""]

    frames = {(size, n): bench_frame(size, n, crops) for size in SIZES for n in COUNTS}
    if args.save_frames:
        args.save_frames.mkdir(parents=True, exist_ok=True)
        for (size, n), (image, _) in frames.items():
            cv2.imwrite(str(args.save_frames / f"bench_{size[0]}x{size[1]}_{n}.png"), image)

    readers = {"1": Reader(threads=1), "auto": Reader(threads=None)}
    rows, accuracy = [], []
    opencv_threads = cv2.getNumThreads()
    for threads, reader in readers.items():
        cv2.setNumThreads(1 if threads == "1" else opencv_threads)
        for (size, n), (image, labels) in frames.items():
            t = time_stages(reader, image, args.repeat)
            rows.append((f"{size[0]}x{size[1]}", n, threads, t))
            if threads == "1":
                accuracy.append(f"{size[0]}x{size[1]} {n}: {sequence_accuracy(labels, t.read):.0%}")
    cv2.setNumThreads(1)  # from here on everything runs on one thread
    noise = time_stages(readers["1"], noise_frame(), args.repeat)
    rows.append(("noise 1280x720", 0, "1", noise))
    normal = next(t for name, n, th, t in rows if (name, n, th) == ("1280x720", 20, "1"))
    upright, labels = frames[((1280, 720), 80)]  # digits close enough to form lines
    turns = []
    for degrees in (0, 30):  # both from 0.6x as far, so only the turn differs
        image = turned_frame(upright, degrees)
        read = "".join(str(d.label) for d in readers["1"].read(image).digits)
        turns.append((degrees, timed(lambda image=image: readers["1"].read(image), args.repeat),
                      sequence_accuracy(labels, read)))

    out += ["## Time per stage, ms (median)", "",
            f"binarize+candidates: time (rows classified: wholes, at most {MAX_CANDIDATES} for "
            "both polarities, the parts of cut ones and second looks at narrow ones). normalize: "
            "the model input of every row. numbers: second looks, choose parts, suppress, "
            "words, decide, group. "
            "threads 1: one thread for OpenCV and onnxruntime; auto: both pick their own "
            f"(OpenCV {opencv_threads}). stream read(): read() with a Tracker, as the command "
            "reads a camera or video. Both ink polarities are read.", "",
            *stage_table(rows), "",
            "Share of placed digits read right in order (threads 1): " + ", ".join(accuracy)
            + ".", "",
            f"Noise frame (uniform random 1280x720x3): read() {noise.read_ms:.2f} ms = "
            f"{noise.read_ms / normal.read_ms:.2f}x the 1280x720 20-digit frame "
            f"({normal.read_ms:.2f} ms); {noise.candidates} candidates classified, "
            f"{noise.found} digits 'found'.", "",
            "A page turned in view (the 1280x720 80-digit frame seen from 0.6x as far, turned; "
            "lines steeper than 12 degrees are read a second time from the frame turned level): "
            + ", ".join(f"turned {d} degrees: read() {ms:.2f} ms, {acc:.0%} read right in order"
                        for d, ms, acc in turns) + ".", ""]

    batches = {n: batch_of(readers["1"], frames[((1280, 720), n)][0]) for n in (20, 80)}
    out += ["## Batching: one classifier call per digit vs one per frame (1280x720, 1 thread)",
            "", *batching_table(readers["1"], batches, args.repeat), "",
            "## fp32 vs int8 model, classify stage (1 thread)", "",
            *int8_table(batches[80], args.repeat), ""]

    out += ["## Live: capture-to-overlay latency (samples/video.mp4 replayed as a camera)", "",
            "Latency runs from the moment the capture thread has a frame to the moment its "
            "overlay is drawn; the part beyond processing is the wait for the reader to be free.",
            "", *live_table(readers["1"], args.samples / "video.mp4"), ""]

    with tempfile.TemporaryDirectory(prefix="livedigits-bench-") as tmp:
        frame_path = Path(tmp) / "frame.npy"
        np.save(frame_path, frames[((1280, 720), 20)][0])
        out += ["## Startup (fresh process, 1280x720 20-digit frame)", "",
                *startup_table(frame_path, args.startup_runs), "",
                "## Peak memory (fresh process, max RSS so far)", "",
                *memory_table(frame_path), ""]

    out.append(f"bench took {time.perf_counter() - started:.0f} s")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
