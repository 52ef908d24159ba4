"""Make MNIST look like our camera crops, and make the "not a digit" crops the camera also sees.

Every function returns a binary mask (uint8, 0/255) of the size a camera crop might have; the
caller gives it a grey picture (`on_paper`) and pushes both through
``livedigits.normalize.normalize_batch`` exactly as the reader does.
"""

from __future__ import annotations

import cv2
import numpy as np
from mnist import mnist_mask

from livedigits.segment import smooth

NOT_A_DIGIT = 10

# Letters and symbols that do not look like a handwritten digit: no O I l S Z B G T b g q s t y,
# and nothing tall and thin (! [ ] { } |), which deskews into a "1". Printed D and a are here:
# labels on forms ("Date") are printed, and a written 0 or 9 is not.
NEGATIVE_GLYPHS = "ADEFHKLMNPRUVWXYacdefhkmnruvwx+=*#%&@?<>$"
# Printed words run letters together into blobs no single glyph shows.
NEGATIVE_WORDS = ("Date", "Total", "No.", "Name", "kg", "cm", "Page", "Tel", "Sum", "am", "pm",
                  "Mr", "de", "at", "te", "ra", "ea", "ne", "Fax", "Nr", "km", "Qty")
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


def _binarize(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur a little and re-threshold at a random level: thin to thick strokes, ragged edges."""
    sigma = rng.uniform(0.0, 1.2)
    if sigma > 0.3:
        gray = cv2.GaussianBlur(gray, (0, 0), sigma)
    level = rng.uniform(0.25, 0.6) * 255
    return np.where(gray >= level, np.uint8(255), np.uint8(0))


def _elastic(image: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    h, w = image.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, gx + dx, gy + dy, cv2.INTER_LINEAR, borderValue=0)


def _affine(image: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Rotate +-15 deg, shear, squash/stretch and upscale into a larger canvas."""
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear = rng.uniform(-0.3, 0.3)
    sx, sy = scale * rng.uniform(0.85, 1.15), scale * rng.uniform(0.85, 1.15)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    h, w = image.shape
    side = int(np.ceil(max(h, w) * scale * 1.6))
    centre_in, centre_out = np.array([w / 2, h / 2]), np.array([side / 2, side / 2])
    matrix = np.hstack([linear, (centre_out - linear @ centre_in)[:, None]]).astype(np.float32)
    return cv2.warpAffine(image, matrix, (side, side), flags=cv2.INTER_LINEAR, borderValue=0)


def _break_strokes(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase a short thin band across the ink: a pen that skipped."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return mask
    i = rng.integers(len(xs))
    angle = rng.uniform(0, np.pi)
    length = rng.uniform(0.1, 0.3) * max(h, w)
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    p0 = (int(xs[i] - dx), int(ys[i] - dy))
    p1 = (int(xs[i] + dx), int(ys[i] + dy))
    out = mask.copy()
    cv2.line(out, p0, p1, 0, max(1, int(rng.uniform(0.02, 0.06) * max(h, w))))
    return out


def augment_digit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One MNIST image (28x28 uint8, white on black) -> a camera-like binary mask of that digit."""
    gray = image
    if rng.random() < 0.4:
        gray = _elastic(gray, rng, alpha=rng.uniform(1.0, 2.5), sigma=rng.uniform(2.5, 4.0))
    gray = _affine(gray, rng, scale=rng.uniform(1.2, 3.5))
    mask = _binarize(gray, rng)
    r = rng.random()
    side = max(3, round(rng.uniform(0.06, 0.12) * mask.shape[0] / 1.6))
    if r < 0.2:  # marker: thicker strokes
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    elif r < 0.3:  # fine ballpoint: thinner strokes
        mask = cv2.erode(mask, np.ones((2, 2), np.uint8))
        if not mask.any():
            mask = _binarize(gray, rng)
    if rng.random() < 0.08:
        mask = _break_strokes(mask, rng)
    return mask


# ---------------------------------------------------------------- negatives: not a digit


def _canvas(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    side = int(rng.integers(24, 96))
    return np.zeros((side, side), np.uint8), side


def _speck(rng):
    mask, side = _canvas(rng)
    r = max(1, int(side * rng.uniform(0.05, 0.3)))
    # Round-ish only: a tall thin blob is a marker "1".
    cv2.ellipse(mask, (side // 2, side // 2), (r, max(1, int(r * rng.uniform(0.6, 1.0)))),
                rng.uniform(0, 180), 0, 360, 255, -1)
    return mask


def _line(rng):
    """Underlines, ruled-line pieces, strike-throughs: long, thin and near horizontal.

    Steeper lines are left out on purpose: deskewing turns them upright, into a "1".
    """
    mask, side = _canvas(rng)
    angle = rng.uniform(-12, 12)
    length = side * rng.uniform(0.6, 1.0) / 2
    dx, dy = np.cos(np.deg2rad(angle)) * length, np.sin(np.deg2rad(angle)) * length
    c = side / 2
    thick = max(1, int(side * rng.uniform(0.02, 0.12)))
    cv2.line(mask, (int(c - dx), int(c - dy)), (int(c + dx), int(c + dy)), 255, thick)
    if rng.random() < 0.3:  # a ruled line with a wiggle: a crossing stroke or a tick
        cv2.line(mask, (int(c), int(c)), (int(c + rng.uniform(-0.2, 0.2) * side),
                 int(c - rng.uniform(0.05, 0.2) * side)), 255, thick)
    return mask


def _edge(rng):
    """A piece of paper edge, table or shadow border: a big solid region with a straight side."""
    mask, side = _canvas(rng)
    pts = rng.uniform(0, side, (2, 2))
    far = np.array([[0, 0], [side, 0], [side, side], [0, side]])
    poly = np.vstack([pts, far[rng.permutation(4)[: rng.integers(1, 3)]]]).astype(np.int32)
    cv2.fillPoly(mask, [cv2.convexHull(poly)], 255)
    return mask


def _ring(rng):
    """A coffee ring or circled mark: a large open arc.

    A closed ring is a 0 once normalized; the candidate size filter, not the model, drops those.
    """
    mask, side = _canvas(rng)
    start = rng.uniform(0, 360)
    sweep = rng.uniform(90, 250)
    axes = (int(side * 0.45), int(side * rng.uniform(0.35, 0.45)))
    cv2.ellipse(mask, (side // 2, side // 2), axes, rng.uniform(0, 180), start, start + sweep,
                255, max(1, int(side * rng.uniform(0.02, 0.06))))
    return mask


def _glyph(rng):
    """A letter or symbol in one of OpenCV's fonts, also slanted and thickened."""
    text = str(rng.choice(list(NEGATIVE_GLYPHS)))
    if rng.random() < 0.3:  # a piece of a printed word: two or three letters run together
        word = str(rng.choice(NEGATIVE_WORDS))
        start = int(rng.integers(0, max(1, len(word) - 1)))
        text = word[start : start + int(rng.integers(2, 4))]
    font = int(rng.choice(FONTS))
    scale = rng.uniform(1.5, 3.0)
    thick = int(rng.integers(1, 6))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    mask = np.zeros((th + base + 20, tw + 20), np.uint8)
    cv2.putText(mask, text, (10, th + 10), font, scale, 255, thick, cv2.LINE_AA)
    gray = _affine(mask, rng, scale=1.0)
    return _binarize(gray, rng)


def _digit_part(rng, images, labels):
    """Half of a round digit (a "(" or "c") or two digits run together.

    Only halves that are no digit themselves: the top of an 8 is a 0, the top of a 1 is a 1.
    """
    if rng.random() < 0.35:
        round_ones = np.flatnonzero(np.isin(labels, (0, 6, 8, 9)))
        mask = mnist_mask(images[rng.choice(round_ones)])
        return mask[:, : mask.shape[1] // 2].copy()
    a = images[rng.integers(len(images))]
    b = images[rng.integers(len(images))]
    overlap = int(rng.integers(4, 12))
    pair = np.zeros((28, 56 - overlap), np.uint8)
    pair[:, :28] = a
    pair[:, 28 - overlap :] = np.maximum(pair[:, 28 - overlap :], b)
    return _binarize(_affine(pair, rng, scale=rng.uniform(1.2, 2.5)), rng)


def _texture(rng):
    """Paper grain, crumpled-paper shading or sensor noise that survived thresholding."""
    _, side = _canvas(rng)
    noise = rng.uniform(0, 1, (side, side)).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), rng.uniform(0.8, 3.0))
    level = np.quantile(noise, rng.uniform(0.6, 0.9))
    return np.where(noise > level, np.uint8(255), np.uint8(0))


def make_negative(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One random "not a digit" mask; MNIST `images` and `labels` give halves and pairs."""
    kind = rng.choice(7, p=[0.12, 0.16, 0.12, 0.1, 0.24, 0.16, 0.1])
    if kind == 5:
        return _digit_part(rng, images, labels)
    return (_speck, _line, _edge, _ring, _glyph, None, _texture)[kind](rng)


def on_paper(mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A grey picture of `mask` written on plain paper (or chalk on a board, 1 in 10), for the
    model's grey channel: the uint8 frame, smoothed as the reader smooths it, and the (1, 4) box
    of the mask in it. Paper level, ink contrast, stroke softness and sensor noise vary."""
    h, w = mask.shape
    margin = max(h, w) // 2 + 2
    coverage = np.pad(mask.astype(np.float32) / 255, margin)
    coverage = cv2.GaussianBlur(coverage, (0, 0), rng.uniform(0.4, 1.5))
    if rng.random() < 0.1:  # chalk: light strokes on a dark board
        board = rng.uniform(25, 100)
        gray = board + rng.uniform(40, 255 - board) * coverage
    else:
        paper = rng.uniform(110, 250)
        gray = paper - rng.uniform(35, paper - 5) * coverage
    gray += rng.uniform(-12, 12) * np.linspace(-1, 1, gray.shape[1], dtype=np.float32)[None]
    gray += rng.normal(0, rng.uniform(0.5, 6), gray.shape).astype(np.float32)
    gray = smooth(np.clip(gray, 0, 255).astype(np.uint8))
    return gray, np.array([[margin, margin, w, h]], np.int32)
