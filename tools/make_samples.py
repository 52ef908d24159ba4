"""Compose realistic camera frames of handwritten MNIST *test* digits, with exact ground truth.

    python tools/make_samples.py --data ../shared/data/mnist --out samples --seed 0

The reader is scored on these frames, so they use only MNIST's test split (the model never
trained on it), and every box comes from the rendered ink itself rather than from the layout:
each digit's coverage patch goes through the same page-to-camera warp as the page, and its box
is the bounding box of the warped pixels with coverage > 0.5.

Writes into --out: frames/frame_NN.jpg + frames.jsonl (stills), video.mp4 + video.jsonl (one
sheet filmed by a handheld camera) and README.md. The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from compose import (
    FULL,
    SMALL,
    DigitPool,
    Number,
    Size,
    camera,
    desk,
    ground_truth,
    handheld,
    lighting,
    motion_blur,
    page_warp,
    sheet,
    view,
)
from metrics import write_jsonl
from mnist import load_mnist

REPO = Path(__file__).resolve().parents[1]
VIDEO_SIZE = FULL
STILL_QUALITY = 90
VIDEO_STREAM = 1_000_000  # rng stream of the video, apart from the stills' streams 0..N-1
TURN_STREAM = 2_000_000  # the angle of a turned still: its own stream, so --turn 0 changes nothing
MARGIN = 0.05  # of the frame: a turned page's digits stay this far inside it


def frame_plan(count: int, small: bool = False) -> list[tuple[Size, str]]:
    """Fixed slots for the special stills, so every seed has an empty frame and chalkboards.
    Every fifth still is 640x480, or every still with `small`."""
    kinds = ["paper"] * count
    for k, kind in ((0.9, "chalk"), (0.6, "chalk"), (0.3, "empty")):
        if count >= 4:
            kinds[int(k * count)] = kind
    return [(SMALL if small or i % 5 == 2 else FULL, kind) for i, kind in enumerate(kinds)]


def make_still(index: int, size: Size, kind: str, pool: DigitPool, seed: int, turn: float = 0.0,
               ) -> tuple[np.ndarray, list[Number], np.ndarray]:
    rng = np.random.default_rng([seed, index])
    style, numbers, page = sheet(size, kind, (1, 5), pool, rng)
    warp = page_warp(size, style.desk_edge, rng)
    if turn:
        angle = np.random.default_rng([seed, index, TURN_STREAM]).uniform(-turn, turn)
        warp = turned(warp, angle, numbers, size) @ warp
    frame = view(page, warp, size, desk(size, rng)) * lighting(size, rng)
    image = camera(frame, rng.uniform(0.4, 1.1), rng.uniform(1.5, 4.5), int(rng.integers(60, 91)),
                   rng)
    return image, numbers, warp


def turned(warp: np.ndarray, angle: float, numbers: list[Number], size: Size) -> np.ndarray:
    """A camera turned by `angle` degrees about the frame's centre, and moved back just enough
    to keep every digit inside the frame: a 3x3 matrix applied after `warp`."""
    centre = (size[0] / 2, size[1] / 2)
    rotation = np.vstack([cv2.getRotationMatrix2D(centre, angle, 1.0), [0, 0, 1]])
    if not numbers:
        return rotation
    corners = np.float32([[x + dx, y + dy] for n in numbers for d in n.digits
                          for x, y, w, h in [d.box] for dx in (0, w) for dy in (0, h)])
    seen = cv2.perspectiveTransform(corners[:, None], rotation @ warp)[:, 0] - centre
    room = np.array(size) * (0.5 - MARGIN)
    scale = min(1.0, float((room / np.maximum(np.abs(seen).max(axis=0), 1)).min()))
    return np.vstack([cv2.getRotationMatrix2D(centre, angle, scale), [0, 0, 1]])


def make_video(path: Path, seconds: float, fps: float, pool: DigitPool, seed: int,
               ) -> list[dict]:
    """One sheet with 3-4 numbers filmed handheld; boxes come from the render before encoding."""
    rng = np.random.default_rng([seed, VIDEO_STREAM])
    size = VIDEO_SIZE
    _, numbers, page = sheet(size, "paper", (3, 4), pool, rng)
    base = page_warp(size, None, rng, overscan=35)
    light, backdrop = lighting(size, rng), desk(size, rng)
    n = round(seconds * fps)
    moves = handheld(n, size, rng)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path} with fourcc mp4v")
    records = []
    for t, move in enumerate(moves):
        warp = move @ base
        frame = view(page, warp, size, backdrop) * light * rng.uniform(0.98, 1.02)
        if rng.random() < 0.15:
            frame = motion_blur(frame, rng.uniform(3, 7), rng.uniform(0, np.pi))
        writer.write(camera(frame, 0.6, rng.uniform(0.6, 1.2), None, rng))  # phones denoise
        records.append(ground_truth(t, round(t / fps, 6), None, numbers, warp, size))
    writer.release()
    check_video(path, n, size)
    return records


def check_video(path: Path, frames: int, size: Size) -> None:
    """Decode the whole file: a writer can 'succeed' and leave an unreadable or short video."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if (image.shape[1], image.shape[0]) != size:
            raise RuntimeError(f"{path}: frame {count} is {image.shape[1]}x{image.shape[0]}")
        count += 1
    capture.release()
    if count != frames:
        raise RuntimeError(f"{path}: read back {count} frames, wrote {frames}")


# --- main ------------------------------------------------------------------------------------


def write_readme(out: Path, command: str, stills: list[dict], video: list[dict],
                 args: argparse.Namespace) -> None:
    n_digits = sum(len(r["digits"]) for r in stills)
    n_numbers = sum(len(r["numbers"]) for r in stills)
    width, height = VIDEO_SIZE
    sizes = ("640x480 (digits 22-60 px tall)," if args.small
             else "1280x720 (digits 30-90 px tall) and 640x480\n  (22-60 px),")
    stills_line = (f"- `frames/frame_*.jpg`: {len(stills)} stills, {sizes} with {n_numbers} "
                   f"numbers and {n_digits} digits; one has no digits at all, and\n  some are "
                   "chalkboards.")
    if args.turn:
        stills_line += (f" Each is seen by a camera turned up to {args.turn:g} degrees either way,"
                        "\n  moved back to keep its digits in view.")
    video_lines = "- no video (`--video-seconds 0`).\n"
    if video:
        video_lines = (
            f"- `video.mp4`: {args.video_seconds:g} s at {args.fps:g} fps, {width}x{height}, "
            f"one sheet\n  ({' '.join(g['text'] for g in video[0]['numbers'])}) filmed by a "
            "slightly moving handheld camera.\n- `video.jsonl`: its ground truth per frame, "
            "boxes from the render before video encoding.\n")
    (out / "README.md").write_text(f"""# Sample frames

Synthetic camera frames of handwritten digits with exact ground truth, made by

    {command}

(run from the repository root; the same seed gives the same files).

The digits are **MNIST test-set digits** (never the training set), composed onto paper or a
chalkboard with texture, ruled lines, shadows, a mild perspective warp, stray pen marks and
printed letters (not digits, so not in the ground truth), then blurred, noised and JPEG-compressed.

{stills_line}
- `frames.jsonl`: their ground truth, one line per frame in the reader's output shape.
{video_lines}
Boxes are the tight box of each digit's ink (coverage > 0.5) after the perspective warp.
""")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist",
                        help="MNIST folder or mnist.npz (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO / "samples",
                        help="output folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same files")
    parser.add_argument("--frames", type=int, default=16, help="number of stills")
    parser.add_argument("--video-seconds", type=float, default=8.0, help="video length")
    parser.add_argument("--fps", type=float, default=15.0, help="video frame rate")
    parser.add_argument("--small", action="store_true",
                        help="every still 640x480, as a VGA camera sees the page (default: 1 in 5)")
    parser.add_argument("--turn", type=float, default=0.0, metavar="DEG",
                        help="turn each still's camera by up to DEG degrees either way (a page "
                             "seen askew), moved back to keep its digits in view")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    mnist = load_mnist(args.data)
    pool = DigitPool(mnist["x_test"], mnist["y_test"])
    frames_dir = args.out / "frames"
    frames_dir.mkdir(parents=True, exist_ok=True)
    for stale in frames_dir.glob("frame_*.jpg"):
        stale.unlink()

    width = max(2, len(str(args.frames - 1)))
    stills = []
    for index, (size, kind) in enumerate(frame_plan(args.frames, args.small)):
        image, numbers, warp = make_still(index, size, kind, pool, args.seed, args.turn)
        name = f"frame_{index:0{width}d}.jpg"
        cv2.imwrite(str(frames_dir / name), image, [cv2.IMWRITE_JPEG_QUALITY, STILL_QUALITY])
        # Turned, the upright boxes of neighbouring digits may overlap: no overlap check then.
        stills.append(ground_truth(index, 0.0, name, numbers, warp, size, check=not args.turn))
    write_jsonl(args.out / "frames.jsonl", stills)

    video = []  # --video-seconds 0: stills only (e.g. a larger validation set)
    if args.video_seconds > 0:
        video = make_video(args.out / "video.mp4", args.video_seconds, args.fps, pool, args.seed)
        write_jsonl(args.out / "video.jsonl", video)

    out = "samples" if args.out == REPO / "samples" else args.out  # as typed, but the default
    command = (f"python tools/make_samples.py --data ../shared/data/mnist --out {out}"
               f" --seed {args.seed} --frames {args.frames}"
               f" --video-seconds {args.video_seconds:g} --fps {args.fps:g}"
               + (" --small" if args.small else "")
               + (f" --turn {args.turn:g}" if args.turn else ""))
    write_readme(args.out, command, stills, video, args)
    counts = [len(r["digits"]) for r in stills]
    print(f"{len(stills)} stills, {sum(counts)} digits (per frame {counts}); "
          f"video {len(video)} frames; {time.perf_counter() - started:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
