"""MNIST test, end to end: all 10,000 test digits drawn as dark ink on white paper, 20 to a
640x480 frame, about 60 px tall, for the reader to find and read as a camera would.

    python tools/mnist_pages.py --out runs/mnist_pages          # 500 frames, about a minute
    python tools/evaluate.py --samples runs/mnist_pages --photos none --steady

"Read right" (recall) on this set is the MNIST figure the project reports: each digit must be
found by the segmentation and read by the classifier, as in the command. Writes frames/ and
frames.jsonl in the shape make_samples.py writes. `--split val` draws the 5,000 MNIST train
digits train.py holds out instead (250 pages), a set to choose models and settings on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compose import Digit, Glyph, Number, Style, camera, digit_alpha, ground_truth, render_page
from metrics import write_jsonl
from mnist import load_mnist
from splits import split_digits

REPO = Path(__file__).resolve().parents[1]
SIZE = (640, 480)
COLUMNS, ROWS = 5, 4  # 20 digits a frame, each in its own cell: one number each
HEIGHT = 60.0


def page(images: np.ndarray, labels: np.ndarray, index: int, seed: int,
         ) -> tuple[np.ndarray, dict]:
    """One frame of up to 20 digits in a 5x4 grid and its truth record."""
    rng = np.random.default_rng([seed, index])
    style = Style(chalk=False, ink=np.array([38, 36, 40], np.float32),
                  print_ink=np.array([45, 42, 40], np.float32), level=float(rng.uniform(0.4, 0.5)),
                  thicken=0.0, ruled=False, desk_edge=None)
    cell_w, cell_h = SIZE[0] // COLUMNS, SIZE[1] // ROWS
    numbers = []
    for k, (image, label) in enumerate(zip(images, labels, strict=True)):
        alpha, inner = digit_alpha(image, HEIGHT, style)
        if alpha.shape[1] > cell_w - 4:  # a rare very wide digit: smaller, so it keeps its cell
            alpha, inner = digit_alpha(image, HEIGHT * (cell_w - 12) / alpha.shape[1], style)
        row, column = divmod(k, COLUMNS)
        x = column * cell_w + (cell_w - inner[2]) // 2 - inner[0]
        y = row * cell_h + (cell_h - inner[3]) // 2 - inner[1]
        numbers.append(Number([Digit(int(label), Glyph(alpha, style.ink, x, y), inner)]))
    sheet = render_page(SIZE, style, [n.digits[0].glyph for n in numbers], rng)
    image = camera(sheet, 0.6, rng.uniform(1.0, 2.5), 90, rng)
    return image, ground_truth(index, 0.0, f"mnist_{index:04d}.png", numbers, np.eye(3), SIZE)


def crowded_page(images: np.ndarray, labels: np.ndarray, index: int, seed: int,
                 small: float = 0.0) -> tuple[np.ndarray, dict, int]:
    """A crowded 1280x720 page: lines of numbers written small (18-45 px) with their digits 2-8
    px apart, 40-100 digits; its truth record and how many digits it used. `small`: the share
    of digits written at 0.45-0.7 of their line's height, as hurried writers write 0s (drawn
    from a stream of their own, so a page with none is the page made without the option)."""
    rng = np.random.default_rng([seed, index, 1])
    shrink = np.random.default_rng([seed, index, 2])
    size = (1280, 720)
    style = Style(chalk=False, ink=np.array([38, 36, 40], np.float32),
                  print_ink=np.array([45, 42, 40], np.float32), level=float(rng.uniform(0.4, 0.5)),
                  thicken=0.0, ruled=False, desk_edge=None)
    want, used, numbers, y = int(rng.integers(40, 101)), 0, [], 30
    while used < want:
        height = float(rng.uniform(18, 45))
        x, line_bottom = 30, y
        while used < want:
            run = []
            for _ in range(int(rng.integers(2, 7))):
                if used >= len(images):
                    break
                scale = shrink.uniform(0.45, 0.7) if shrink.random() < small else 1.0
                alpha, inner = digit_alpha(images[used], height * scale, style)
                if x + inner[2] > size[0] - 30:
                    break
                # A small digit sits on the line, as handwriting does: bottoms aligned.
                drop = round(height * (1 - scale)) if scale < 1 else 0
                glyph = Glyph(alpha, style.ink, x - inner[0], y + drop - inner[1])
                run.append(Digit(int(labels[used]), glyph, inner))
                x += inner[2] + int(rng.integers(2, 9))
                line_bottom = max(line_bottom, y + drop + inner[3])
                used += 1
            if run:
                numbers.append(Number(run))
            if not run or x > size[0] - 30 - 3 * height:
                break
            x += int(1.6 * height) + int(rng.integers(0, 40))
        y = line_bottom + int(0.9 * height) + int(rng.integers(2, 12))
        if y > size[1] - 80:
            break
    sheet = render_page(size, style, [d.glyph for n in numbers for d in n.digits], rng)
    image = camera(sheet, 0.6, rng.uniform(1.0, 2.5), 90, rng)
    record = ground_truth(index, 0.0, f"crowded_{index:04d}.png", numbers, np.eye(3), size)
    return image, record, used


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--digits", type=int, default=10000, help="the first N digits of the split")
    p.add_argument("--split", choices=("test", "val"), default="test",
                   help="MNIST test digits (scoring, the default) or the MNIST train digits held "
                   "out of training (tools/splits.py: 5,000), to choose on")
    p.add_argument("--crowded", type=int, default=0, metavar="FRAMES",
                   help="instead: this many crowded 1280x720 pages (40-100 digits, 18-45 px "
                   "tall, 2-8 px apart), the crowded-page validation set")
    p.add_argument("--small", type=float, default=0.0, metavar="SHARE",
                   help="with --crowded: this share of the digits written at 0.45-0.7 of their "
                   "line's height (hurried writers' 0s)")
    args = p.parse_args(argv)
    if not 0.0 <= args.small <= 1.0:
        p.error(f"--small is a share, 0..1: got {args.small}")
    if args.small and not args.crowded:
        p.error("--small applies to crowded pages: give --crowded FRAMES too")
    started = time.perf_counter()
    mnist = load_mnist(args.data)
    images, labels = split_digits(mnist, args.split)
    images, labels = images[: args.digits], labels[: args.digits]
    (args.out / "frames").mkdir(parents=True, exist_ok=True)
    per = COLUMNS * ROWS
    records = []
    start = 0
    for index in range(args.crowded):
        image, record, used = crowded_page(images[start:], labels[start:], index, args.seed,
                                            args.small)
        cv2.imwrite(str(args.out / "frames" / record["source"]), image)
        records.append(record)
        start += used
    for index, start in enumerate(range(0, len(images) if not args.crowded else 0, per)):
        image, record = page(images[start : start + per], labels[start : start + per], index,
                             args.seed)
        cv2.imwrite(str(args.out / "frames" / record["source"]), image)  # PNG: no JPEG loss
        records.append(record)
    write_jsonl(args.out / "frames.jsonl", records)
    digits = sum(len(r["digits"]) for r in records)
    print(f"{len(records)} frames, {digits} digits -> {args.out} in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
