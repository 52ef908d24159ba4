"""Time this tree's reader against another tree's, alternated in the same minutes.

The development machine's speed moves by up to a third from one hour to the next, so a time in
ms says little across sessions; its ratio to a fixed reference read in the same minutes says
more. For example, against the one-channel release the 4 ms target was set with (3.2-3.3 ms
then):

    git worktree add ../ref 4a9e8c2
    python tools/bench_against.py ../ref            # 12 pairs, 100 reads a frame

Each pair runs the reference and this tree in fresh processes, one after the other (which goes
first alternates), each reading every bench frame (`tools/bench.py`'s 1280x720 frames) `--reads`
times with `Reader(threads=1)` and its own default model. The table gives each side's range of
medians over the pairs and the ratio's range and median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
from bench import REPO, bench_frame, digit_crops, machine, run_child

SIZE = (1280, 720)

# Run in a fresh interpreter in the tree to time, with it first on sys.path: prints where
# livedigits and its model came from and, per frame, the median ms of `reads` read() calls and
# the digits found. Self-contained, with no import from tools/: the reference tree's reader may
# lack what bench.py imports.
CHILD = """
import json, statistics, sys, time
import cv2
cv2.setNumThreads(1)
import livedigits
from livedigits import Reader
reads, paths = int(sys.argv[1]), sys.argv[2:]
reader = Reader(threads=1)
model = getattr(reader.classifier, "path", None)
out = {"package": livedigits.__file__, "model": model and str(model), "frames": {}}
for path in paths:
    frame = cv2.imread(path)
    for _ in range(3):
        reader.read(frame)
    times = []
    for _ in range(reads):
        start = time.perf_counter()
        reader.read(frame)
        times.append(time.perf_counter() - start)
    out["frames"][path] = [1000 * statistics.median(times), len(reader.read(frame).digits)]
print(json.dumps(out))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked: a bad reference, count or samples folder ends here."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("reference", type=Path, help="a source tree with the livedigits package "
                   "(a git worktree of the reference commit)")
    p.add_argument("--pairs", type=int, default=12,
                   help="alternated pairs of runs (default 12; an even number lets each side "
                   "go first as often)")
    p.add_argument("--reads", type=int, default=100, help="read() calls a frame a run (median)")
    p.add_argument("--counts", type=int, nargs="+", default=[20, 80], metavar="N",
                   help="bench frames of N digits at 1280x720 (default 20 80)")
    p.add_argument("--samples", type=Path, default=REPO / "samples",
                   help="where frames/ and frames.jsonl are (the digit crops)")
    args = p.parse_args(argv)
    if args.pairs < 1 or args.reads < 1 or min(args.counts) < 1:
        p.error("--pairs, --reads and --counts must be at least 1")
    if not (args.samples / "frames.jsonl").is_file():
        p.error(f"{args.samples} holds no frames.jsonl (the digits of the bench frames)")
    if not (args.reference / "livedigits" / "__init__.py").is_file():
        p.error(f"{args.reference} holds no livedigits package (livedigits/__init__.py)")
    return args


def timed_run(tree: Path, frames: list[Path], reads: int) -> list[tuple[float, int]]:
    """(median ms, digits found) per frame, read by the livedigits of `tree` in a new process."""
    try:
        result, _ = run_child(CHILD, reads, *frames, tree=tree)
    except subprocess.CalledProcessError as failed:
        last = (failed.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"bench_against: the reader of {tree} failed: {last}") from None
    except ValueError:
        raise SystemExit(f"bench_against: the reader of {tree} printed no times") from None
    for what in ("package", "model"):  # the model: where the tree's reader says (if it does)
        used = result[what] and Path(result[what]).resolve()
        if used and not used.is_relative_to(tree.resolve()):
            raise SystemExit(f"bench_against: the reader of {tree} took its {what} from {used}")
    return [tuple(result["frames"][str(frame)]) for frame in frames]


def span(values: list[float], digits: int = 2) -> str:
    """'low-high' of `values`."""
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


def table(counts: list[int], reference: list[list[tuple[float, int]]],
          this: list[list[tuple[float, int]]]) -> list[str]:
    """Markdown rows: per frame, each side's range of medians and the ratio's range and median."""
    lines = ["| bench frame, 1280x720 | reference, ms | this tree, ms | this / reference "
             "| median ratio | digits found (reference / this) |",
             "|---|---:|---:|---:|---:|---:|"]
    for k, count in enumerate(counts):
        ref = [run[k][0] for run in reference]
        now = [run[k][0] for run in this]
        ratios = [b / a for a, b in zip(ref, now, strict=True)]
        lines.append(f"| {count} digits | {span(ref)} | {span(now)} | {span(ratios)} | "
                     f"**{statistics.median(ratios):.2f}** | "
                     f"{reference[0][k][1]} / {this[0][k][1]} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cv2.setNumThreads(1)
    crops = digit_crops(args.samples)
    reference, this = [], []
    with tempfile.TemporaryDirectory(prefix="bench_against_") as folder:
        frames = []
        for count in args.counts:
            path = Path(folder) / f"bench_{SIZE[0]}x{SIZE[1]}_{count}.png"
            if not cv2.imwrite(str(path), bench_frame(SIZE, count, crops)[0]):
                raise SystemExit(f"bench_against: cannot write the bench frame {path}")
            frames.append(path)
        for pair in range(args.pairs):
            order = [(args.reference, reference), (REPO, this)]
            for tree, runs in order if pair % 2 == 0 else order[::-1]:
                runs.append(timed_run(tree, frames, args.reads))
    out = ["# livedigits against a reference tree", "", *machine(),
           f"- reference: {args.reference.resolve()}; this tree: {REPO}",
           f"- {args.pairs} alternated pairs of fresh processes, each frame the median of "
           f"{args.reads} `read()` calls on one thread", "",
           *table(args.counts, reference, this)]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("bench_against: stopped (Ctrl-C); nothing written")
