"""The scene engine: camera frames of handwritten digits in realistic surroundings, cut into
candidates by the reader's own segmentation and labelled by their overlap with the truth.

    # training crops: MNIST train digits (less train.py's validation digits) on the training
    # backgrounds; validation crops: the validation digits on backgrounds held out of training
    python tools/scenes.py --frames 2000 --out runs/scenes_train.npz
    python tools/scenes.py --split val --frames 400 --out runs/scenes_val.npz
    # scored frames (frames/ + frames.jsonl, as make_samples writes) from MNIST test digits on
    # the held-out backgrounds; --empty: backgrounds only; --video: a handheld video
    python tools/scenes.py --split test --seed 1 --frames 100 --samples-out runs/val_scenes
    python tools/scenes.py --split test --seed 1 --frames 100 --empty --size 1280x720 \
        --samples-out runs/val_empty
    python tools/scenes.py --split test --seed 1 --frames 0 --video 10 --samples-out runs/val_video

A scene is a sheet (white paper, a sticky note, a chalkboard, a close-up of a few big digits;
marker, ballpoint, fine pen or pencil) lying on a surface (wood, carpet, fabric, leather, a dark
desk, a wall, a mouse pad with a logo, bundled photos), turned and seen in perspective, with its
edges and corners in view, tape strips, a second sheet, printed words, pens, shadows, blur,
noise and JPEG. Every frame goes through `livedigits.reader.prepare`, the segmentation and
normalize the reader runs, and each candidate is labelled: the digit whose true box it matches
(IoU >= 0.5, as the scoring does, and covering at least 3/4 of it), or "not a digit" (10) when
it matches none (IoU < 0.3: background, a piece of a digit) or covers two digits (a merged
pair). Candidates in between are left out. The two parts of a cut candidate are digits only when
their whole was a merged pair; the halves of one digit are not. The same seed gives the same
crops, whatever the number of workers. Rerun it whenever segmentation changes: the classifier
must learn from what the segmenter really cuts out.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backgrounds import background
from compose import (
    DIGIT_GAP,
    FONTS,
    DigitPool,
    Glyph,
    Number,
    Size,
    Style,
    blend,
    camera,
    content_region,
    drawn,
    ground_truth,
    handheld,
    lighting,
    motion_blur,
    page_warp,
    sheet,
    view,
)
from compose import overlaps as overlaps_box
from metrics import write_jsonl
from mnist import load_mnist
from splits import command_line, split_digits

from livedigits.boxes import iou, overlaps
from livedigits.reader import prepare

REPO = Path(__file__).resolve().parents[1]
NOT_A_DIGIT = 10
SKIP = -1  # a candidate neither clearly one digit nor clearly none: not trained on
DIGIT_IOU, NONE_IOU = 0.5, 0.3
SIZES: tuple[Size, ...] = ((1280, 720), (640, 480))
# Scene kinds and their shares: a sheet lying on a surface, a page filling the frame (its
# edge in view sometimes), a close-up (a few digits a fifth to over half the frame tall, as a
# webcam held near the paper sees them), a chalkboard, and the surface alone (nothing but
# negatives).
KINDS = {"sheet": 0.47, "page": 0.16, "closeup": 0.2, "chalk": 0.04, "empty": 0.13}
CLOSEUP_HEIGHT = (0.2, 0.6)  # digit heights in frame heights
STICKY = ((150, 230, 245), (200, 180, 245), (170, 235, 190), (240, 210, 160))  # BGR notes
SPLIT_STREAM = {"train": 0, "val": 1, "test": 2}
COVER = 0.75  # a digit candidate covers at least this share of its true box
# Share of written scenes whose digits touch, as in cramped real handwriting ("14", "3262"): the
# segmenter cuts such a pair (`split_touching`) and the classifier must read the parts as digits
# and the pair as none. Their gap, in digit heights: below 0 the strokes overlap.
TOUCHING = 0.3
# Share of close-ups drawn with a ballpoint's own width, px: 0.5-5% of their height, thinner
# than a fine pen's thinning (median 5.5-10%) and than the webcam photos of the shared set (median
# 6%, 4.5-8.7% from the 10th to the 90th percentile). 0 by default: a model trained with half of
# them read 35 more of the thin validation close-ups, but made more false digits on bare
# surfaces and read flagged 1s of webcam photos as 7 (README, The model); `--pen 1` makes the
# thin-pen validation and test sets.
PEN, PEN_WIDTH = 0.0, (1.5, 5.0)
TOUCHING_GAP = (-0.15, 0.02)


# ------------------------------------------------------------------------------ composing


def restyle(style: Style, rng: np.random.Generator, sticky: bool) -> Style:
    """Pencil now and then, and a sticky note's colour when asked."""
    if not style.chalk and rng.random() < 0.15:  # pencil: grey, thin, a little faint
        grey = float(rng.uniform(85, 135))
        style = dataclasses.replace(style, ink=np.full(3, grey, np.float32),
                                    level=float(rng.uniform(0.45, 0.6)), thicken=-0.01)
    if sticky:
        tint = STICKY[rng.integers(len(STICKY))]
        style = dataclasses.replace(style, tint=tint, ruled=False)
    return style


def closeup_style(style: Style, rng: np.random.Generator, pen: float) -> Style:
    """A few big digits near the camera: a pen's stroke is thin beside them, drawn as a ballpoint
    `pen` px wide, or with no `pen` as a fine pen's thinning of the MNIST stroke."""
    style = restyle(style, rng, False)
    if pen:
        return dataclasses.replace(style, pen=pen)
    return dataclasses.replace(style, thicken=float(rng.uniform(-0.045, -0.012)))


def sheet_warp(page: Size, frame: Size, rng: np.random.Generator,
               ) -> np.ndarray | None:
    """Page to frame: turned up to 30 degrees, seen a little from the side, its written region
    wholly inside the frame (edges and corners of the page may leave it). None if it won't fit."""
    pw, ph = page
    fw, fh = frame
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    rx, ry, rw, rh = content_region(page)
    region = np.float32([[rx, ry], [rx + rw, ry], [rx + rw, ry + rh], [rx, ry + rh]])
    for _ in range(30):
        angle = math.radians(rng.uniform(-30, 30) if rng.random() < 0.7 else rng.uniform(-8, 8))
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        centre = np.array([rng.uniform(0.3, 0.7) * fw, rng.uniform(0.3, 0.7) * fh])
        dst = (src - [pw / 2, ph / 2]) @ rot.T + centre
        dst += rng.uniform(-0.04, 0.04, (4, 2)) * [pw, ph]  # perspective
        warp = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
        seen = cv2.perspectiveTransform(region[:, None], warp)[:, 0]
        if (seen.min(0) >= 2).all() and (seen.max(0) <= [fw - 3, fh - 3]).all():
            return warp
    return None


def clutter(frame: np.ndarray, rng: np.random.Generator, avoid: list[tuple[int, ...]]) -> None:
    """Things on the surface, drawn into `frame` in place: printed words, pens, tape strips.

    Nothing is drawn over a box in `avoid` (the digits), so the truth stays true.
    """
    h, w = frame.shape[:2]
    for _ in range(int(rng.integers(0, 5))):
        kind = rng.choice(["words", "pen", "tape"])
        if kind == "words":
            text = "".join(rng.choice(list("ABCDEFGHIKLMNOPRSTUabcdeghkmnoprstuvxyz -:."),
                                      int(rng.integers(2, 10))))
            font = FONTS[rng.integers(len(FONTS))]
            scale = rng.uniform(0.015, 0.06) * h / cv2.getTextSize("A", font, 1.0, 1)[0][1]
            weight = max(1, round(scale * rng.uniform(1, 2.5)))
            (tw, th), base = cv2.getTextSize(text, font, scale, weight)
            glyph = drawn(tw + 4, th + base + 4, lambda c, t=text, f=font, s=scale, k=weight,
                          o=2 + th: cv2.putText(c, t, (2, o), f, s, 255, k, cv2.LINE_AA),
                          rng.uniform(0, 255, 3).astype(np.float32))
        elif kind == "pen":  # a long rounded bar
            length, width = rng.uniform(0.1, 0.3) * w, rng.uniform(0.008, 0.02) * w
            angle = rng.uniform(0, math.pi)
            dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
            side = int(length + 2 * width + 4)
            c = side / 2
            glyph = drawn(side, side, lambda cv, a=(c - dx, c - dy), b=(c + dx, c + dy), t=width:
                          cv2.line(cv, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])),
                                   255, max(1, round(t)), cv2.LINE_AA),
                          rng.uniform(0, 255, 3).astype(np.float32))
        else:  # a strip of translucent tape
            tw, th = int(rng.uniform(0.06, 0.15) * w), int(rng.uniform(0.02, 0.04) * w)
            glyph = Glyph(np.full((th, tw), rng.uniform(0.25, 0.5), np.float32),
                          np.float32([235, 238, 240]))
            glyph.alpha = cv2.warpAffine(glyph.alpha, cv2.getRotationMatrix2D(
                (tw / 2, th / 2), rng.uniform(-60, 60), 1.0), (tw, th))
        gh, gw = glyph.alpha.shape
        if gw >= w or gh >= h:
            continue
        glyph.x, glyph.y = int(rng.integers(0, w - gw)), int(rng.integers(0, h - gh))
        box = (glyph.x - 6, glyph.y - 6, gw + 12, gh + 12)
        if not any(overlaps_box(box, other) for other in avoid):
            blend(frame, glyph, 1.0)


def compose_scene(size: Size, kind: str, pool: DigitPool, rng: np.random.Generator,
                  held_out: bool, touching: bool = False, pen: float = 0.0,
                  ) -> tuple[np.ndarray, dict]:
    """One camera frame (uint8 BGR) of `kind` and its truth record (frame 0, no source);
    `touching`: the digits of each number touch; `pen`: a close-up's ballpoint width, px (0: a
    fine pen's thinning)."""
    fw, fh = size
    gap = TOUCHING_GAP if touching else DIGIT_GAP
    backdrop = background(size, rng, held_out)
    numbers: list[Number] = []
    warp = np.eye(3)
    if kind == "empty":
        frame = backdrop
    else:
        if kind == "sheet":
            sticky = rng.random() < 0.2
            side = rng.uniform(0.35, 0.6) if sticky else rng.uniform(0.45, 0.95)
            aspect = 1.0 if sticky else (1.414 if rng.random() < 0.5 else 1 / 1.414)
            ph = int(min(side * fh * (1.2 if aspect < 1 else 1), 1.1 * fh))
            page = (min(int(ph * aspect), int(1.2 * fw)), ph)
            top = max(16.0, min(0.16 * page[1], 80.0))
            heights = (min(14.0, top - 1), top)
            warp = sheet_warp(page, size, rng)
            if warp is None:
                return compose_scene(size, "empty", pool, rng, held_out)
            style, numbers, sheet_image = sheet(
                page, "paper", (1, 6), pool, rng, heights,
                lambda s, r, k=sticky: restyle(s, r, k), gap=gap)
            if rng.random() < 0.3:  # a second, blank-ish sheet under it
                _, _, other = sheet(page, "empty", (1, 1), pool, rng, heights)
                other_warp = sheet_warp(page, size, rng)
                if other_warp is not None:
                    backdrop = view(other, other_warp, size, backdrop)
        elif kind == "closeup":  # a pen's stroke is thin beside a digit this big
            style, numbers, sheet_image = sheet(
                size, "paper", (1, 2), pool, rng, tuple(h * fh for h in CLOSEUP_HEIGHT),
                lambda s, r: closeup_style(s, r, pen), total=(1, 4), gap=gap)
            warp = page_warp(size, style.desk_edge, rng)
        else:  # a page filling the frame, sometimes with an edge showing: as make_samples does
            style, numbers, sheet_image = sheet(size, "chalk" if kind == "chalk" else "paper",
                                                (1, 6), pool, rng,
                                                restyle=lambda s, r: restyle(s, r, False),
                                                gap=gap)
            warp = page_warp(size, style.desk_edge, rng)
        frame = view(sheet_image, warp, size, backdrop)
    record = ground_truth(0, 0.0, None, numbers, warp, size, check=False)
    clutter(frame, rng, [tuple(d["box"]) for d in record["digits"]]
            if numbers else [])
    frame = frame * lighting(size, rng)
    if rng.random() < 0.1:
        frame = motion_blur(frame, rng.uniform(3, 7), rng.uniform(0, np.pi))
    image = camera(frame, rng.uniform(0.4, 1.2), rng.uniform(1.0, 5.0),
                   int(rng.integers(55, 95)), rng)
    return image, record


def pick_kind(rng: np.random.Generator, kind: str | None) -> str:
    if kind is not None:
        return kind
    names = list(KINDS)
    return names[rng.choice(len(names), p=list(KINDS.values()))]


# ------------------------------------------------------------------------------ labelling


def label_candidates(boxes: np.ndarray, truth: list[dict],
                     parents: np.ndarray | None = None) -> np.ndarray:
    """Per candidate box (N, 4): its digit, NOT_A_DIGIT, or SKIP (see the module doc).

    parents: per row, the row it is a part of (-1 for a whole, below -1 for a widened second
    look at a narrow whole, labelled as a whole is), as `prepare` gives them.
    """
    labels = np.full(len(boxes), NOT_A_DIGIT, np.int64)
    if not len(boxes) or not truth:
        return labels
    true_boxes = np.array([d["box"] for d in truth], np.float32)
    overlap = iou(boxes, true_boxes)
    best = overlap.argmax(axis=1)
    best_iou = overlap[np.arange(len(boxes)), best]
    # The share of each true digit inside each candidate: a merged pair covers two.
    ox, oy = overlaps(boxes, true_boxes)
    covered = (np.clip(ox, 0, None) * np.clip(oy, 0, None)
               / np.maximum(true_boxes[:, 2] * true_boxes[:, 3], 1))
    merged = (covered >= 0.5).sum(axis=1) >= 2
    digit = ((best_iou >= DIGIT_IOU) & (covered[np.arange(len(boxes)), best] >= COVER)
             & ~merged)
    if parents is not None:  # a part is a digit only if it was cut from a merged pair
        part = parents >= 0
        digit[part] &= merged[parents[part]]
    labels[digit] = [truth[k]["label"] for k in best[digit]]
    labels[~digit & ~merged & (best_iou >= NONE_IOU)] = SKIP
    if parents is not None:
        labels[(parents >= 0) & ~digit & (best_iou >= NONE_IOU)] = NOT_A_DIGIT
    return labels


def scene(index: int, seed: int, split: str, pool: DigitPool, kind: str | None = None,
          size: Size | None = None, source: str | None = None,
          touching: float = TOUCHING, pen: float = PEN) -> tuple[np.ndarray, dict]:
    """Scene `index` of `seed` and `split` (the same seed, the same scene) and its truth
    record; `size` fixes the frame size (drawn otherwise); `touching`: the share of scenes
    whose digits touch; `pen`: the share of close-ups drawn with a ballpoint's own width."""
    rng = np.random.default_rng([seed, SPLIT_STREAM[split], index])
    # Drawn from streams of their own, so that a scene is the same at any share but in them.
    touch = np.random.default_rng([seed, SPLIT_STREAM[split], index, 1]).random() < touching
    pens = np.random.default_rng([seed, SPLIT_STREAM[split], index, 2])
    width = float(pens.uniform(*PEN_WIDTH)) if pens.random() < pen else 0.0
    size = size or SIZES[int(rng.random() < 0.4)]
    image, record = compose_scene(size, pick_kind(rng, kind), pool, rng,
                                  held_out=split != "train", touching=touch, pen=width)
    return image, {**record, "frame": index, "source": source}


def labelled_scene(index: int, seed: int, split: str, pool: DigitPool, kind: str | None = None,
                   touching: float = TOUCHING, pen: float = PEN,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Every candidate of one scene: the (N, 28, 28, 2) float32 model inputs, (N, 4) boxes,
    (N,) labels (SKIP included) and the scene's truth record."""
    image, record = scene(index, seed, split, pool, kind, touching=touching, pen=pen)
    batch, boxes, parents = prepare(image)
    return batch, boxes, label_candidates(boxes, record["digits"], parents), record


# ------------------------------------------------------------------------------ main

_pool: DigitPool | None = None  # the digits a worker draws from (set by _start)


def _start(pool: DigitPool) -> None:
    global _pool
    _pool = pool
    cv2.setNumThreads(1)  # one OpenCV thread per worker: the workers are the parallelism


def _work(job: tuple[int, int, str, str | None, float, float]) -> tuple[np.ndarray, np.ndarray]:
    index, seed, split, kind, touching, pen = job
    x, _, y, _ = labelled_scene(index, seed, split, _pool, kind, touching, pen)
    keep = y != SKIP
    return x[keep].astype(np.float16), y[keep].astype(np.int8)


def make_crops(frames: int, seed: int, split: str, workers: int, pool: DigitPool,
               kind: str | None = None, touching: float = TOUCHING, pen: float = PEN,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Crops of `frames` scenes (of `kind` only, if given), in frame order whatever the number
    of workers."""
    jobs = [(i, seed, split, kind, touching, pen) for i in range(frames)]
    # Spawned, not forked: a fork of a process whose OpenCV or onnxruntime threads hold a
    # lock can hang (a test process has them).
    with mp.get_context("spawn").Pool(workers, _start, (pool,)) as procs:
        parts = procs.map(_work, jobs, chunksize=8)
    x = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, 28, 28, 2), np.float16)
    y = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int8)
    return x, y


def write_samples(out: Path, frames: int, seed: int, split: str, kind: str | None,
                  pool: DigitPool, size: Size | None = None, touching: float = TOUCHING,
                  pen: float = PEN) -> None:
    """Scenes as scored frames: frames/scene_NNNN.jpg + frames.jsonl, in make_samples' shape."""
    (out / "frames").mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(frames):
        name = f"scene_{index:04d}.jpg"
        image, record = scene(index, seed, split, pool, kind, size, name, touching, pen)
        cv2.imwrite(str(out / "frames" / name), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        records.append(record)
    write_jsonl(out / "frames.jsonl", records)


def write_video(out: Path, seconds: float, seed: int, pool: DigitPool, fps: float = 15.0,
                ) -> None:
    """A handheld video of one sheet on a held-out surface: video.mp4 + video.jsonl."""
    rng = np.random.default_rng([seed, 7, 0])
    size = (1280, 720)
    page = (760, 540)
    warp = None
    while warp is None:
        warp = sheet_warp(page, size, rng)
    _, numbers, sheet_image = sheet(page, "paper", (3, 4), pool, rng, (30.0, 60.0))
    backdrop = background(size, rng, held_out=True)
    light = lighting(size, rng)
    moves = handheld(round(seconds * fps), size, rng)
    out.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out / "video.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    records = []
    for t, move in enumerate(moves):
        surface = cv2.warpPerspective(backdrop, move, size, borderMode=cv2.BORDER_REFLECT)
        frame = view(sheet_image, move @ warp, size, surface) * light
        if rng.random() < 0.15:
            frame = motion_blur(frame, rng.uniform(3, 7), rng.uniform(0, np.pi))
        writer.write(camera(frame, 0.6, rng.uniform(0.6, 1.2), None, rng))
        records.append(ground_truth(t, round(t / fps, 6), None, numbers, move @ warp, size,
                                    check=False))
    writer.release()
    write_jsonl(out / "video.jsonl", records)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    p.add_argument("--split", choices=sorted(SPLIT_STREAM), default="train",
                   help="train: MNIST train digits less train.py's validation digits, training "
                   "backgrounds; val: those validation digits, held-out backgrounds; test: "
                   "MNIST test digits, held-out backgrounds (scored sets)")
    p.add_argument("--frames", type=int, default=6000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kind", choices=list(KINDS), help="scenes of this kind only (default: "
                   "each kind drawn at its share)")
    p.add_argument("--empty", action="store_const", const="empty", dest="kind",
                   help="surfaces only, no sheet: --kind empty")
    p.add_argument("--size", type=lambda t: tuple(int(v) for v in t.split("x")),
                   help="with --samples-out: every frame this size, WxH (default: 1280x720 or "
                   "640x480 at random)")
    p.add_argument("--touching", type=float, default=TOUCHING, metavar="SHARE",
                   help=f"share of scenes whose digits touch (default {TOUCHING}; scored sets "
                   "made before it existed had 0)")
    p.add_argument("--pen", type=float, default=PEN, metavar="SHARE",
                   help=f"share of close-ups drawn with a ballpoint's own width, 1.5-5 px "
                   f"(default {PEN})")
    p.add_argument("--workers", type=int, default=mp.cpu_count())
    p.add_argument("--out", type=Path, help="write the labelled crops here (.npz)")
    p.add_argument("--samples-out", type=Path, help="write scored frames here instead")
    p.add_argument("--video", type=float, default=0, metavar="SECONDS",
                   help="with --samples-out: also a handheld video of this length")
    args = p.parse_args(argv)
    if (args.out is None) == (args.samples_out is None):
        p.error("give one of --out and --samples-out")
    started = time.perf_counter()
    mnist = load_mnist(args.data)
    pool = DigitPool(*split_digits(mnist, args.split))  # validation digits never in training
    if args.samples_out:
        if args.frames:
            write_samples(args.samples_out, args.frames, args.seed, args.split, args.kind, pool,
                          args.size, args.touching, args.pen)
        if args.video:
            write_video(args.samples_out, args.video, args.seed, pool)
        print(f"{args.frames} frames{' and a video' if args.video else ''} -> "
              f"{args.samples_out} in {time.perf_counter() - started:.0f} s")
        return 0
    x, y = make_crops(args.frames, args.seed, args.split, args.workers, pool, args.kind,
                      args.touching, args.pen)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # The command goes with the crops, so the model card trained on them can say how they were made.
    np.savez(args.out, x=x, y=y,
             command=np.array(command_line("scenes.py", sys.argv[1:] if argv is None else argv)))
    counts = np.bincount(y, minlength=11)
    print(f"{len(y)} crops from {args.frames} scenes ({counts[:10].sum()} digits, "
          f"{counts[10]} not a digit) -> {args.out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
