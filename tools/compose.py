"""The scene composer: handwritten digits on paper or a chalkboard, seen by a camera.

Shared by tools/make_samples.py (the scored samples, from MNIST test digits) and tools/scenes.py
(the training scenes, from MNIST train digits): paper, ink, marks, layout, lighting, the page's
perspective, the camera's blur, noise and JPEG, and exact ground truth. The digit pool a caller
passes decides which MNIST split a scene is made of.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from livedigits.boxes import union

Box = tuple[int, int, int, int]  # x, y, w, h
Size = tuple[int, int]  # width, height

FULL, SMALL = (1280, 720), (640, 480)
DIGIT_HEIGHT = {FULL: (30.0, 90.0), SMALL: (22.0, 60.0)}  # px, per frame size
BOX_LEVEL = 0.5  # coverage above which a camera pixel counts as visible ink
RAMP = 0.25  # MNIST intensity span of the anti-aliased stroke edge
# Spacing in digit heights, each a little inside the rule it serves so that it survives the warp:
DIGIT_GAP = (0.2, 0.46)  # between digits of a number (rule: 0.15-0.5)
NUMBER_GAP = 1.6  # at least, between numbers on a line (rule: >= 1.5)
LINE_GAP = 0.9  # at least, between text lines (rule: >= 0.8)
KEEP_OUT = 0.6  # at least, from a mark or letter to a digit (rule: >= 0.5)
LETTERS = ("Total:", "No.", "A", "x", "kg", "Date", "cm")
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX)

@dataclass(frozen=True)
class Style:
    """How one sheet looks, drawn once per sheet so that its digits match, as one writer's do."""

    chalk: bool
    ink: np.ndarray  # BGR of digits and pen marks
    print_ink: np.ndarray  # BGR of printed letters
    level: float  # MNIST intensity at the stroke edge: higher = thinner pen
    thicken: float  # stroke radius change, fraction of digit height: + marker/chalk, - fine pen
    ruled: bool
    desk_edge: int | None  # 0..3: the top, right, bottom or left frame edge shows the desk
    tint: tuple[float, float, float] | None = None  # BGR of the paper (None: white paper)
    # A ballpoint's own width in page px (0: none): the digit is redrawn along its skeleton this
    # wide, whatever its size. A scaled MNIST stroke grows with the digit: a tenth of its height,
    # 5.5-6% (median) thinned by a close-up's `thicken` of -0.045.
    pen: float = 0.0

    def stroke(self, height: float) -> int:
        """Pen width for marks, matching the digits' strokes."""
        if self.pen:
            return max(1, round(self.pen))
        return max(1, round(height * (0.16 - 0.1 * self.level + 2 * self.thicken)))


@dataclass
class Glyph:
    """One ink item on the page: a coverage patch (float32, 0..1), its colour and position."""

    alpha: np.ndarray
    color: np.ndarray
    x: int = 0
    y: int = 0

    @property
    def rect(self) -> Box:
        return (self.x, self.y, self.alpha.shape[1], self.alpha.shape[0])


@dataclass
class Digit:
    label: int
    glyph: Glyph
    inner: Box  # tight ink box inside the patch

    @property
    def box(self) -> Box:
        x, y, w, h = self.inner
        return (self.glyph.x + x, self.glyph.y + y, w, h)


@dataclass
class Number:
    digits: list[Digit]

    @property
    def text(self) -> str:
        return "".join(str(d.label) for d in self.digits)

    @property
    def box(self) -> Box:
        return union(d.box for d in self.digits)

    @property
    def height(self) -> int:
        return max(d.box[3] for d in self.digits)

    def move(self, dx: int, dy: int) -> None:
        for digit in self.digits:
            digit.glyph.x += dx
            digit.glyph.y += dy


class DigitPool:
    """MNIST digits by label, of one split: test digits for scoring, train digits for training."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images = images
        self.by_label = [np.flatnonzero(labels == d) for d in range(10)]

    def pick(self, label: int, rng: np.random.Generator) -> np.ndarray:
        return self.images[rng.choice(self.by_label[label])]


# --- boxes -----------------------------------------------------------------------------------


def grow(box: Box, pad: int) -> Box:
    return (box[0] - pad, box[1] - pad, box[2] + 2 * pad, box[3] + 2 * pad)


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def contains(outer: Box, inner: Box) -> bool:
    return union([outer, inner]) == outer


# --- ink -------------------------------------------------------------------------------------


def trim(alpha: np.ndarray) -> tuple[np.ndarray, Box]:
    """Crop a coverage canvas to its ink (+1 px) and return it with its tight box (> BOX_LEVEL)."""
    x, y, w, h = cv2.boundingRect((alpha > 0.02).astype(np.uint8))
    x0, y0 = max(x - 1, 0), max(y - 1, 0)
    crop = np.ascontiguousarray(alpha[y0 : y + h + 1, x0 : x + w + 1])
    return crop, cv2.boundingRect((crop > BOX_LEVEL).astype(np.uint8))


def digit_alpha(image: np.ndarray, height: float, style: Style) -> tuple[np.ndarray, Box]:
    """Scale an MNIST digit so its ink is about `height` px tall, as stroke coverage + tight box."""
    rows = np.flatnonzero((image >= 128).any(axis=1))
    scale = height / (rows[-1] - rows[0] + 1)
    big = cv2.resize(np.pad(image, 4), None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    alpha = np.clip((big.astype(np.float32) / 255 - style.level) / RAMP + 0.5, 0, 1)
    if style.pen:
        # Smoothed first (0.8 MNIST px), or the skeleton of its blocky upscaled outline sprouts
        # spurs at corners and stroke ends.
        return trim(pen_stroke(cv2.GaussianBlur(alpha, (0, 0), 0.8 * scale), style.pen))
    radius = round(abs(style.thicken) * height)
    while radius:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        changed = (cv2.dilate if style.thicken > 0 else cv2.erode)(alpha, disc)
        # A fine pen thins a stroke, it does not wipe it out: a thin 1 eroded to a speck would
        # still be labelled a 1.
        if style.thicken > 0 or changed.sum() >= 0.25 * alpha.sum():
            alpha = changed
            break
        radius //= 2
    return trim(alpha)


def pen_stroke(alpha: np.ndarray, width: float) -> np.ndarray:
    """The ink of `alpha` redrawn along its skeleton `width` px wide, edges anti-aliased."""
    from skimage.morphology import skeletonize  # the train extra: tools only, never at run time

    core = skeletonize(alpha >= 0.5)
    if not core.any():
        return alpha
    # Distance to the nearest skeleton pixel (the zeros of the map).
    distance = cv2.distanceTransform((~core).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.clip(width / 2 + 0.5 - distance, 0, 1).astype(np.float32)


def drawn(width: int, height: int, draw: Callable[[np.ndarray], object], color: np.ndarray,
          ) -> Glyph:
    """A glyph from OpenCV drawing calls on an 8-bit canvas (anti-aliasing needs 8 bits)."""
    canvas = np.zeros((height, width), np.uint8)
    draw(canvas)
    return Glyph(trim(canvas.astype(np.float32) / 255)[0], color)


def polyline(points: np.ndarray, thickness: int) -> Callable[[np.ndarray], object]:
    pts = [np.round(points * 16).astype(np.int32)]  # 4 fractional bits: smooth sub-pixel curves
    return lambda c: cv2.polylines(c, pts, False, 255, thickness, cv2.LINE_AA, shift=4)


def make_mark(kind: str, size: float, width: float, text: str, style: Style,
              rng: np.random.Generator) -> Glyph:
    """A stray mark or printed `text`: a distractor the reader must not report as a digit."""
    t = style.stroke(size)
    pad = 2 * t + 2
    if kind == "dot":
        r = max(1, round(0.6 * t))
        return drawn(2 * pad, 2 * pad, lambda c: cv2.circle(c, (pad, pad), r, 255, -1, cv2.LINE_AA),
                     style.ink)
    if kind == "letters":
        font = FONTS[rng.integers(len(FONTS))]
        scale = rng.uniform(0.35, 0.7) * size / cv2.getTextSize("A", font, 1.0, 1)[0][1]
        weight = max(1, round(scale * rng.uniform(1.0, 2.0)))
        (tw, th), base = cv2.getTextSize(text, font, scale, weight)
        return drawn(tw + 2 * pad, th + base + 2 * pad, lambda c: cv2.putText(
            c, text, (pad, pad + th), font, scale, 255, weight, cv2.LINE_AA), style.print_ink)
    if kind == "scribble":  # a zig-zag crossing-out
        n = int(rng.integers(5, 10))
        w, h = rng.uniform(0.5, 1.2) * size, rng.uniform(0.3, 0.6) * size
        xs = np.linspace(0, w, n) + rng.uniform(-0.1, 0.1, n) * w
        ys = (np.arange(n) % 2) * h + rng.uniform(-0.15, 0.15, n) * h
        points = np.stack([xs - xs.min(), ys - ys.min()], 1) + pad
    else:  # "stroke" or "underline": a near-horizontal, slightly bowed pen line
        length = width if kind == "underline" else rng.uniform(0.4, 1.5) * size
        xs = np.linspace(0, length, 12)
        ys = rng.uniform(-0.04, 0.04) * xs + rng.uniform(-0.06, 0.06) * size * np.sin(
            np.pi * xs / length)
        points = np.stack([xs, ys - ys.min()], 1) + pad
    w, h = np.ceil(points.max(0)).astype(int) + pad
    return drawn(int(w), int(h), polyline(points, t), style.ink)


# --- layout ----------------------------------------------------------------------------------


def number_text(length: int, rng: np.random.Generator) -> str:
    """Random digits without a leading zero (except "0" itself), as people write numbers."""
    first = int(rng.integers(0 if length == 1 else 1, 10))
    return str(first) + "".join(str(d) for d in rng.integers(0, 10, length - 1))


def make_number(text: str, size: float, pool: DigitPool, style: Style,
                rng: np.random.Generator, gap: tuple[float, float] = DIGIT_GAP) -> Number:
    """Digits of one number on a common baseline y = 0, starting at x = 0, `gap` (a range, in
    digit heights; below 0 the digits overlap and their strokes touch) apart."""
    digits: list[Digit] = []
    x = 0
    for ch in text:
        alpha, inner = digit_alpha(pool.pick(int(ch), rng), size * rng.uniform(0.87, 1.13), style)
        if digits:
            left = digits[-1].box
            x = left[0] + left[2] + round(rng.uniform(*gap) * max(left[3], inner[3]))
        bottom = round(rng.uniform(-0.1, 0.1) * size)
        glyph = Glyph(alpha, style.ink, x - inner[0], bottom - inner[1] - inner[3])
        digits.append(Digit(int(ch), glyph, inner))
    return Number(digits)


def spread(free: float, parts: int, rng: np.random.Generator) -> np.ndarray:
    """Split free space into `parts` offsets: wide margins first and last, small extra gaps."""
    weights = np.r_[2.0, np.full(parts - 2, 0.4), 2.0]
    return np.floor(rng.dirichlet(weights) * free).astype(int)


def arrange(numbers: list[Number], n_lines: int, region: Box, rng: np.random.Generator) -> bool:
    """Lay numbers out in text lines inside `region` with the spacing rules; False if too big."""
    cuts = sorted(rng.choice(np.arange(1, len(numbers)), n_lines - 1, replace=False).tolist())
    lines = [numbers[a:b] for a, b in zip([0, *cuts], [*cuts, len(numbers)], strict=True)]
    rx, ry, rw, rh = region
    gaps = [[math.ceil(NUMBER_GAP * max(a.height, b.height)) for a, b in itertools.pairwise(line)]
            for line in lines]
    widths = [sum(n.box[2] for n in line) + sum(g) for line, g in zip(lines, gaps, strict=True)]
    if max(widths) > rw:
        return False
    for line, line_gaps, width in zip(lines, gaps, widths, strict=True):
        extra = spread(rw - width, len(line) + 1, rng)
        x = rx + extra[0]
        for k, number in enumerate(line):
            x += (line_gaps[k - 1] + extra[k]) if k else 0
            number.move(x - number.box[0], 0)
            x += number.box[2]
    boxes = [union(n.box for n in line) for line in lines]
    heights = [max(n.height for n in line) for line in lines]
    leads = [math.ceil(LINE_GAP * max(a, b)) for a, b in itertools.pairwise(heights)]
    total = sum(b[3] for b in boxes) + sum(leads)
    if total > rh:
        return False
    extra = spread(rh - total, len(lines) + 1, rng)
    y = ry + extra[0]
    for k, (line, box) in enumerate(zip(lines, boxes, strict=True)):
        y += (leads[k - 1] + extra[k]) if k else 0
        for number in line:
            number.move(0, y - box[1])
        y += box[3]
    return True


def sample_numbers(pool: DigitPool, style: Style, heights: tuple[float, float], region: Box,
                   counts: tuple[int, int], rng: np.random.Generator,
                   total: tuple[int, int] = (4, 25),
                   gap: tuple[float, float] = DIGIT_GAP) -> list[Number]:
    """Draw numbers until a set fits: retries keep every spacing rule exact instead of squeezing.

    counts: numbers on the page; total: digits on the page (both inclusive ranges); gap: between
    the digits of a number (`make_number`)."""
    lo, hi = heights[0] / 0.87, heights[1] / 1.13  # per-digit jitter stays inside `heights`
    for _ in range(500):
        n = int(rng.integers(counts[0], counts[1] + 1, 2).max())  # larger of two: most sheets
        lengths = rng.integers(1, 7, n)  # have several numbers
        if not total[0] <= lengths.sum() <= total[1]:
            continue
        writer = rng.uniform(lo, hi)
        numbers = [make_number(number_text(int(k), rng),
                               float(np.clip(writer * rng.uniform(0.85, 1.18), lo, hi)),
                               pool, style, rng, gap) for k in lengths]
        if arrange(numbers, int(rng.integers(1, min(4, len(numbers)) + 1)), region, rng):
            return numbers
    raise RuntimeError(f"no layout of {counts} numbers fits {region}")


def add_marks(numbers: list[Number], region: Box, size: float, count: int, style: Style,
              rng: np.random.Generator) -> list[Glyph]:
    """Distractors kept clear of every digit; a label or underline goes next to a number."""
    taken = [grow(d.glyph.rect, math.ceil(KEEP_OUT * n.height)) for n in numbers for d in n.digits]
    kinds = ["dot", "stroke", "scribble", "letters", "letters"] + ["underline"] * bool(numbers)
    words = iter(rng.permutation(LETTERS).tolist())  # no word twice on a sheet
    marks: list[Glyph] = []
    for _ in range(count):
        kind = kinds[rng.integers(len(kinds))]
        near = numbers[rng.integers(len(numbers))] if numbers else None
        anchor = near.box if near else region
        width = anchor[2] * rng.uniform(0.9, 1.2)
        glyph = make_mark(kind, size, width, next(words, "x"), style, rng)
        gw, gh = glyph.alpha.shape[1], glyph.alpha.shape[0]
        spots = [(int(rng.integers(region[0], region[0] + max(1, region[2] - gw))),
                  int(rng.integers(region[1], region[1] + max(1, region[3] - gh))))
                 for _ in range(40)]
        if kind == "underline" and near:
            spots = [(anchor[0] - round(0.1 * anchor[2]),
                      anchor[1] + anchor[3] + round(rng.uniform(0.6, 0.8) * near.height))]
        elif kind == "letters" and near:
            spots.insert(0, (anchor[0] - gw - round(rng.uniform(0.7, 1.0) * near.height),
                             anchor[1] + anchor[3] - gh))
        for x, y in spots:
            glyph.x, glyph.y = x, y
            if contains(region, glyph.rect) and not any(overlaps(glyph.rect, t) for t in taken):
                marks.append(glyph)
                taken.append(grow(glyph.rect, 4))
                break
    return marks


# --- surfaces and camera ---------------------------------------------------------------------


def normalized(noise: np.ndarray) -> np.ndarray:
    return (noise - noise.mean()) / (noise.std() + 1e-6)


def lowfreq(size: Size, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth unit-variance field with ~`cells` bumps across: uneven light, paper cockle."""
    w, h = size
    coarse = rng.standard_normal((max(2, cells * h // w), cells)).astype(np.float32)
    return normalized(cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC))


def grain(size: Size, rng: np.random.Generator, sx: float = 0.7, sy: float = 0.7) -> np.ndarray:
    """Fine unit-variance noise; a long sx gives streaks (wood grain, eraser swipes)."""
    noise = rng.standard_normal((size[1], size[0]), dtype=np.float32)
    return normalized(cv2.GaussianBlur(noise, (0, 0), sigmaX=sx, sigmaY=sy))


def surface(color: Iterable[float], texture: np.ndarray) -> np.ndarray:
    return np.asarray(color, np.float32) + texture[..., None]


def paper(size: Size, ruled: bool, rng: np.random.Generator,
          tint: tuple[float, float, float] | None = None) -> np.ndarray:
    tint = np.array(tint or (228, 234, 237), np.float32) + rng.uniform(-8, 4, 3)
    page = surface(tint, 5 * lowfreq(size, 5, rng) + 2.5 * grain(size, rng))
    if ruled:  # light blue lines under the ink
        w, h = size
        canvas = np.zeros((h, w), np.uint8)
        for y in np.arange(rng.uniform(0.05, 0.1) * h, h, rng.uniform(0.042, 0.058) * h):
            polyline(np.array([[0, y], [w, y]]), 1 + int(h > 600))(canvas)
        color = np.array([200, 170, 140], np.float32) + rng.uniform(-15, 15, 3)
        blend(page, Glyph(canvas.astype(np.float32) / 255, color), rng.uniform(0.45, 0.75))
    return page


def chalkboard(size: Size, rng: np.random.Generator) -> np.ndarray:
    base = [(52, 72, 44), (46, 48, 47)][rng.integers(2)] + rng.uniform(-5, 5, 3)
    haze = 10 * np.maximum(lowfreq(size, 6, rng), 0)  # half-erased chalk dust
    swipes = 1.5 * grain(size, rng, sx=30, sy=4)
    return surface(base, haze + swipes + 2.5 * grain(size, rng))


def desk(size: Size, rng: np.random.Generator) -> np.ndarray:
    base = [(55, 88, 128), (72, 74, 78), (40, 60, 85)][rng.integers(3)] + rng.uniform(-8, 8, 3)
    return surface(base, 8 * lowfreq(size, 4, rng) + 5 * grain(size, rng, sx=25, sy=1.2))


def blend(canvas: np.ndarray, glyph: Glyph, opacity: np.ndarray | float) -> None:
    x, y, w, h = glyph.rect
    region = canvas[y : y + h, x : x + w]
    region += (glyph.color - region) * (glyph.alpha * opacity)[..., None]


def ink_opacity(shape: tuple[int, ...], style: Style, rng: np.random.Generator) -> np.ndarray:
    """Pen ink is nearly opaque and even; chalk is grainy (but every stroke pixel stays visible)."""
    noise = normalized(cv2.GaussianBlur(rng.standard_normal(shape, dtype=np.float32), (0, 0), 0.6))
    if style.chalk:
        return np.clip(0.78 + 0.25 * noise, 0.5, 1.0)
    return np.clip(rng.uniform(0.85, 0.97) + 0.03 * noise, 0.6, 1.0)


def render_page(size: Size, style: Style, glyphs: list[Glyph], rng: np.random.Generator,
                ) -> np.ndarray:
    page = chalkboard(size, rng) if style.chalk else paper(size, style.ruled, rng, style.tint)
    for glyph in glyphs:
        blend(page, glyph, ink_opacity(glyph.alpha.shape, style, rng))
    return page


def page_warp(size: Size, desk_edge: int | None, rng: np.random.Generator,
              overscan: float = 0.0) -> np.ndarray:
    """Mild perspective: corners pushed out (page covers the frame) or one edge in (desk shows).

    `overscan` px more page around the frame keeps the desk hidden while the camera moves.
    """
    w, h = size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    outward = np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]])
    dst = src + outward * (rng.uniform(0, 1, (4, 2)) * [0.035 * w, 0.05 * h] + overscan)
    if desk_edge is not None:
        corners = [desk_edge, (desk_edge + 1) % 4]  # the two corners on that edge
        axis = 1 - desk_edge % 2  # top/bottom move in y, left/right in x
        dst[corners, axis] = src[corners, axis] - outward[corners, axis] * rng.uniform(
            0.03, 0.08, 2) * size[axis]
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def view(page: np.ndarray, warp: np.ndarray, size: Size, backdrop: np.ndarray) -> np.ndarray:
    """The page as the camera sees it, on the desk, with the page's soft shadow around it."""
    flags = cv2.INTER_LINEAR
    seen = cv2.warpPerspective(page, warp, size, flags=flags)  # premultiplied at the page edge
    cover = cv2.warpPerspective(np.ones(page.shape[:2], np.float32), warp, size, flags=flags)
    shadow = 1 - 0.45 * cv2.GaussianBlur(cover, (0, 0), 0.012 * size[0])
    return seen + (backdrop * (shadow * (1 - cover))[..., None])


def lighting(size: Size, rng: np.random.Generator) -> np.ndarray:
    """Vignette, a brightness gradient, sometimes a soft shadow band, and a colour cast."""
    w, h = size
    xx, yy = np.meshgrid(np.linspace(-1, 1, w, dtype=np.float32),
                         np.linspace(-1, 1, h, dtype=np.float32))
    light = 1 - rng.uniform(0.05, 0.25) * (xx**2 + yy**2) / 2
    theta = rng.uniform(0, 2 * np.pi)
    light *= 1 + rng.uniform(0, 0.12) * (xx * np.cos(theta) + yy * np.sin(theta))
    if rng.random() < 0.5:
        phi = rng.uniform(0, 2 * np.pi)
        d = xx * np.cos(phi) + yy * np.sin(phi) - rng.uniform(-0.7, 0.5)
        soft, width = rng.uniform(0.05, 0.2), rng.uniform(0.3, 0.9)
        band = 1 / (1 + np.exp(-d / soft)) - 1 / (1 + np.exp(-(d - width) / soft))
        light *= 1 - rng.uniform(0.15, 0.35) * band
    cast = np.array([0.98, 1.0, 1.01], np.float32) + rng.uniform(-0.02, 0.02, 3)
    return light[..., None] * (cast * rng.uniform(0.9, 1.05)).astype(np.float32)


def motion_blur(frame: np.ndarray, length: float, angle: float) -> np.ndarray:
    n = 2 * math.ceil(length / 2) + 1
    kernel = np.zeros((n, n), np.float32)
    c, dx, dy = n // 2, math.cos(angle) * length / 2, math.sin(angle) * length / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    return cv2.filter2D(frame, -1, kernel / kernel.sum())


def camera(frame: np.ndarray, blur: float, noise: float, quality: int | None,
           rng: np.random.Generator) -> np.ndarray:
    """Lens blur, sensor noise (mostly luminance) and optionally a JPEG round trip."""
    frame = cv2.GaussianBlur(frame, (0, 0), blur)
    luma = rng.standard_normal(frame.shape[:2], dtype=np.float32)[..., None]
    frame = frame + noise * (luma + 0.4 * rng.standard_normal(frame.shape, dtype=np.float32))
    image = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    if quality is None:
        return image
    _, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


# --- ground truth ----------------------------------------------------------------------------


def shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], np.float64)


def warped_box(glyph: Glyph, warp: np.ndarray, size: Size) -> Box:
    """Box of a glyph's ink in the camera frame: its coverage warped exactly like the page."""
    x, y, w, h = glyph.rect
    corners = np.float32([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])[:, None]
    ends = cv2.perspectiveTransform(corners, warp)[:, 0]
    x0, y0 = np.maximum(np.floor(ends.min(0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(ends.max(0)).astype(int) + 2, size)
    local = shift(-x0, -y0) @ warp @ shift(x, y)
    seen = cv2.warpPerspective(glyph.alpha, local, (int(x1 - x0), int(y1 - y0)),
                               flags=cv2.INTER_LINEAR)
    bx, by, bw, bh = cv2.boundingRect((seen > BOX_LEVEL).astype(np.uint8))
    return (int(x0 + bx), int(y0 + by), bw, bh)


def ground_truth(index: int, seconds: float, source: str | None, numbers: list[Number],
                 warp: np.ndarray, size: Size, check: bool = True) -> dict:
    """One JSON Lines record in the reader's output shape, digits in reading order.

    check: raise if a box is empty, leaves the frame or overlaps another (a page turned by
    tens of degrees has neighbours whose upright boxes overlap: scenes pass False).
    """
    digits, groups = [], []
    for number in numbers:
        boxes = [warped_box(d.glyph, warp, size) for d in number.digits]
        digits += [{"label": d.label, "confidence": 1.0, "box": list(b)}
                   for d, b in zip(number.digits, boxes, strict=True)]
        groups.append({"text": number.text, "box": list(union(boxes)), "confidence": 1.0})
    boxes = [tuple(d["box"]) for d in digits]
    frame = (0, 0, *size)
    for k, box in enumerate(boxes if check else ()):
        if box[2] <= 0 or box[3] <= 0 or not contains(frame, box):
            raise RuntimeError(f"frame {index}: digit box {box} is empty or outside the frame")
        if any(overlaps(box, other) for other in boxes[k + 1 :]):
            raise RuntimeError(f"frame {index}: digit box {box} overlaps another digit")
    return {"frame": index, "time": seconds, "source": source, "digits": digits,
            "numbers": groups}


# --- sheets -----------------------------------------------------------------------------------


def sample_style(chalk: bool, rng: np.random.Generator) -> Style:
    """Chalk, or paper written with a marker, a ballpoint or a fine pen (thin strokes)."""
    if chalk:
        ink = np.array([(225, 230, 232), (150, 218, 236)][rng.integers(2)], np.float32)
        return Style(chalk=True, ink=ink, print_ink=ink, level=0.35, thicken=0.02, ruled=False,
                     desk_edge=None)
    pen = ("marker", "pen", "fine")[rng.choice(3, p=[0.35, 0.35, 0.3])]
    black = np.array([38, 36, 40], np.float32)
    blue = np.array([125, 55, 30], np.float32) + rng.uniform(-20, 20, 3)
    ink = black if pen != "pen" and rng.random() < 0.6 else blue
    return Style(
        chalk=False,
        ink=ink,
        print_ink=np.array([45, 42, 40], np.float32),
        level=0.3 if pen == "marker" else float(rng.uniform(0.4, 0.6)),
        thicken={"marker": 0.025, "pen": 0.0, "fine": -0.02}[pen],
        ruled=bool(rng.random() < 0.5),
        desk_edge=int(rng.integers(4)) if rng.random() < 0.35 else None,
    )


def content_region(size: Size) -> Box:
    """Where ink may go: inside every page warp, so nothing is cut off by the frame edge."""
    mx, my = round(0.08 * size[0]), round(0.11 * size[1])
    return (mx, my, size[0] - 2 * mx, size[1] - 2 * my)


def sheet(size: Size, kind: str, counts: tuple[int, int], pool: DigitPool,
          rng: np.random.Generator, heights: tuple[float, float] | None = None,
          restyle: Callable[[Style, np.random.Generator], Style] | None = None,
          total: tuple[int, int] = (4, 25), gap: tuple[float, float] = DIGIT_GAP,
          ) -> tuple[Style, list[Number], np.ndarray]:
    """One written-on page of `size` (page coordinates) and its numbers.

    heights: digit heights on the page (default: DIGIT_HEIGHT of a page that fills the frame);
    restyle: changes the sampled style (a pencil, a sticky note); total: digits on the page;
    gap: between the digits of a number, in digit heights (below 0: touching digits).
    """
    style = sample_style(kind == "chalk", rng)
    if restyle is not None:
        style = restyle(style, rng)
    region = content_region(size)
    heights = heights or DIGIT_HEIGHT[size]
    numbers = [] if kind == "empty" else sample_numbers(pool, style, heights, region, counts, rng,
                                                              total, gap)
    mark_size = np.mean([n.height for n in numbers]) if numbers else rng.uniform(*heights)
    if not numbers:
        n_marks = int(rng.integers(3, 7))
    else:
        n_marks = int(rng.integers(1, 5)) if rng.random() < 0.65 else 0
    marks = add_marks(numbers, region, float(mark_size), n_marks, style, rng)
    ink = [d.glyph for n in numbers for d in n.digits] + marks
    return style, numbers, render_page(size, style, ink, rng)


def smooth_noise(n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """n x 4 random signals in [-1, 1], Gaussian-smoothed over time with `sigma` frames."""
    taps = np.arange(-math.ceil(3 * sigma), math.ceil(3 * sigma) + 1)
    kernel = np.exp(-0.5 * (taps / sigma) ** 2)
    raw = rng.standard_normal((n + len(taps) - 1, 4))
    smooth = np.stack([np.convolve(raw[:, i], kernel, "valid") for i in range(4)], 1)
    return smooth / np.abs(smooth).max(0)


def handheld(n: int, size: Size, rng: np.random.Generator) -> list[np.ndarray]:
    """Per-frame camera motion: slow drift plus tremor in x, y (px), rotation (deg), zoom."""
    drift = smooth_noise(n, 12, rng) * [7, 5, 0.6, 0.015]
    tremor = smooth_noise(n, 1.5, rng) * [1.2, 1.2, 0.08, 0.002]
    centre = (size[0] / 2, size[1] / 2)
    moves = []
    for dx, dy, angle, zoom in drift + tremor:
        matrix = np.vstack([cv2.getRotationMatrix2D(centre, angle, 1 + zoom), [0, 0, 1]])
        moves.append(shift(dx, dy) @ matrix)
    return moves
