"""Frame -> binary ink mask -> digit candidates. Pure functions over numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import beside, joined, overlaps

# Per frame, both polarities together (those that stand out most are kept): a frame of pure
# noise must stay about as fast as a normal one, and a dense page keep its thin 1s.
MAX_CANDIDATES = 150
MAX_SPLITS = 20  # wide candidates cut in two per polarity, the widest first
_MAX_PIECES = 400  # connected components considered for merging (largest first)
MAX_HEIGHT = 0.7  # of the frame: taller is a sheet, a shadow or a finger, not a digit
# Stacked pieces merge only if the lesser width or height is over this share of the greater.
ALIKE = 0.25
BAR_FLAT = (1.4, 4.0)  # width over height of a piece that may be a 5's bar (`_merge_pieces`)
# The shortest digit: 2% of the frame's shorter side, at least 8 px, for digits as tall as
# their neighbours; a hurried writer's 0 is half as tall as the digits beside it, so candidates
# go down to SMALLEST. Those shorter than SHORTEST are never cut in two (`split_touching`).
SHORTEST = (8.0, 0.02)
SMALLEST = (6.0, 0.012)
BESIDE = 1.0  # a small candidate is kept only this many heights of a taller one away...
TALLER = 3.0  # ...from one at most this many times taller (`beside_digits`)
SOLID = 0.85  # ink share of its box above which a wide shape is a blob, not a digit
# Width over height of a candidate at most: flat 2s and 5s are wider than tall; the classifier,
# which sees the grey picture too, tells a flat digit from a dash or two digits run together.
MAX_ASPECT = 2.5
# Grey levels a candidate's ink must stand out from its surroundings by (`ink_contrast`): half
# the 12 of `thresholds`, so faint ballpoint that passed the threshold passes this too.
HALO = 6.0
MEDIAN_STEP = 4  # the median background is taken on a copy reduced a quarter block per pixel...
MEDIAN_WINDOW = 7  # ...over this many of its pixels: about 1.75 threshold blocks
_VERTICAL_3 = cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3))
_VERTICAL_7 = cv2.getStructuringElement(cv2.MORPH_RECT, (1, 7))


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Any frame OpenCV may hand us (gray, BGR, BGRA; 8/16-bit, float, bool) -> uint8 gray."""
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.dtype == np.uint16:
        frame = (frame >> 8).astype(np.uint8)
    elif frame.dtype == bool:
        frame = frame.astype(np.uint8) * 255
    elif frame.dtype != np.uint8:
        values = np.nan_to_num(frame.astype(np.float32))
        if values.size and values.max() <= 1.0:
            values = values * 255.0
        frame = np.clip(values, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"not an image: array of shape {frame.shape}")


def binarize(gray: np.ndarray, ink_is_dark: bool = True, contrast: int = 12) -> np.ndarray:
    """Gray frame -> uint8 mask, 255 where there is ink of the polarity asked for.

    A Gaussian blur first, so sensor noise does not become thousands of specks; then a local-mean
    threshold over a window a few strokes wide, which survives shadows and uneven light (light
    ink must also be lighter than the median `background`, so the paper beside dark ink is no
    light ink); then ruled lines are taken out, so they do not chain a line of digits into one
    blob. The reader thresholds both polarities (dark pen on paper, chalk or a logo on a dark
    surface) and lets the classifier decide, since one frame can hold both.
    """
    return threshold(smooth(gray), ink_is_dark, contrast)


def smooth(gray: np.ndarray) -> np.ndarray:
    """The Gaussian blur thresholding starts from; the model's grey channel is cut from it too."""
    return cv2.GaussianBlur(gray, (5, 5), 0)


def threshold(blurred: np.ndarray, ink_is_dark: bool = True, contrast: int = 12) -> np.ndarray:
    """`binarize` after the blur: 255 where a pixel is `contrast` darker than its
    neighbourhood's mean (or lighter than it and than the median `background`), ruled lines
    taken out."""
    return thresholds(blurred, (ink_is_dark,), contrast)[0]


def thresholds(blurred: np.ndarray, polarities: tuple[bool, ...] = (True, False),
               contrast: int = 12, shape: tuple[int, int] | None = None) -> list[np.ndarray]:
    """`threshold` for each polarity in `polarities` (True: dark ink), the local mean, which
    both compare against, computed once. `shape`: the frame size the window and the ruled
    lines are measured against (default: `blurred`'s; see `find_candidates`)."""
    h, w = shape or blurred.shape
    block = max(15, min(h, w) // 12) | 1
    local = cv2.blur(blurred, (block, block))
    masks = []
    for dark in polarities:
        # dtype given: OpenCV takes an array of 4 elements for a scalar unless told otherwise.
        if dark:
            mask = cv2.compare(blurred, cv2.subtract(local, contrast, dtype=cv2.CV_8U),
                               cv2.CMP_LT)
            masks.append(remove_lines(mask, w))
        else:
            masks.append(_light_ink(blurred, local, block, contrast, w))
    return masks


def _light_ink(blurred: np.ndarray, local: np.ndarray, block: int, contrast: int,
               frame_width: int) -> np.ndarray:
    """The light mask: `contrast` lighter than the local mean and than the median `background`
    (so no halos beside dark ink), ruled lines taken out. Lines are found before the median
    test, which may cut a light ruled line into pieces too short to be taken for a line, left
    to join the digits written on it."""
    mask = cv2.compare(blurred, cv2.add(local, contrast, dtype=cv2.CV_8U), cv2.CMP_GT)
    level = cv2.add(background(blurred, block), contrast, dtype=cv2.CV_8U)
    lighter = cv2.compare(blurred, level, cv2.CMP_GT)
    ink = mask & lighter
    if not cv2.countNonZero(ink):  # most pages of dark ink: no line to take out
        return ink
    return remove_lines(mask, frame_width) & lighter


def background(blurred: np.ndarray, block: int) -> np.ndarray:
    """The level of the surface around each pixel that light ink must stand out from: the
    median over a window of about 1.75 threshold `block`s (on a copy reduced block/4 times,
    brought back to full size; 0.15-0.2 ms at 640x360).

    The local mean alone is pulled down beside dark ink, so the paper beside every dark stroke
    is lighter than it: a halo. Halos are seldom candidates (`ink_contrast` drops nearly all),
    but on a page of dark ink they are most of the light mask, and cost as much as the digits:
    0.6 of 1.9 ms on a frame of 20, 1.5 of 3.6 ms on a page of 80. The median is the paper
    wherever fewer than half of the window's cells (a quarter block each) hold ink, and the
    board under chalk likewise; light ink must be lighter than both. (A page dense with ink
    in every cell keeps its halos, and `ink_contrast` drops them, as before.)
    """
    height, width = blurred.shape
    step = max(2, round(block / MEDIAN_STEP))
    small = cv2.resize(blurred, (max(1, width // step), max(1, height // step)),
                       interpolation=cv2.INTER_AREA)
    small = cv2.medianBlur(small, MEDIAN_WINDOW)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def blobs(mask: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Outer contours of the ink shapes, their boxes (N, 4) and filled areas (N,) in pixels.

    Contours, not connected-component labelling: at these sizes findContours is 10-20x
    faster. Only outer outlines are kept (the holes of 0, 6, 8 and 9 are never candidates),
    but of every shape, also of those inside another's hole: digits on a sheet lie in the
    hole of a dark desk. The per-contour numbers are computed on all points at once.
    """
    # An empty mask (the light one of most pages of dark ink) is counted faster than traced.
    if not cv2.countNonZero(mask):
        return [], np.zeros((0, 4), np.int32), np.zeros(0, np.float32)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    contours = [contours[i] for i in np.flatnonzero(hierarchy[0, :, 3] < 0)]  # not holes
    lengths = np.fromiter(map(len, contours), np.intp, len(contours))
    points = np.concatenate(contours).reshape(-1, 2)  # int32, as findContours gives them
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    x0, y0 = np.minimum.reduceat(points, starts).T
    x1, y1 = np.maximum.reduceat(points, starts).T
    boxes = np.stack([x0, y0, x1 - x0 + 1, y1 - y0 + 1], axis=1)
    # Pick's theorem: the pixels of a traced outline = polygon area + boundary points / 2 + 1.
    following = np.arange(1, len(points) + 1)
    following[starts + lengths - 1] = starts
    nxt = points[following]
    cross = points[:, 0] * nxt[:, 1] - nxt[:, 0] * points[:, 1]
    step = np.abs(nxt - points)
    steps = np.maximum(step[:, 0], step[:, 1])  # .max(axis=1) over 2 columns: 12x slower
    area = np.abs(np.add.reduceat(cross, starts)) / 2
    filled = area + np.add.reduceat(steps, starts) / 2 + 1
    return contours, boxes, filled.astype(np.float32)


def remove_lines(mask: np.ndarray, frame_width: int | None = None) -> np.ndarray:
    """Take out long horizontal lines (ruled paper, underlines), then re-join strokes they cut.

    A line is ink that survives an opening with a flat kernel a quarter of the frame wide
    (`frame_width`, default the mask's): ruled lines span the page, and even a digit filling
    the frame has a shorter bar.
    """
    height, width = mask.shape
    if width < 4:  # narrower than one squeezed column: no room for a line
        return mask
    length = max(25, (frame_width or width) // 4)
    # The opening runs on a copy squeezed 4x along x: a line stays a line, and the long kernel
    # (the cost of an opening grows with it) gets 4x shorter.
    # An opening is an erosion, then a dilation: where the erosion leaves nothing (most frames)
    # the dilation is skipped.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, length // 4), 1))
    cores = cv2.erode(_squeeze_x4(mask), kernel)
    if not cv2.countNonZero(cores):
        return mask
    lines = cv2.dilate(cores, kernel)
    # Each squeezed column back to its 4; the (up to 3) columns the squeeze left out at the
    # right edge take their neighbour's.
    lines = cv2.resize(lines, (lines.shape[1] * 4, height), interpolation=cv2.INTER_NEAREST)
    if lines.shape[1] < width:
        lines = cv2.copyMakeBorder(lines, 0, 0, 0, width - lines.shape[1], cv2.BORDER_REPLICATE)
    lines = cv2.dilate(lines, _VERTICAL_3) & mask
    # Only where a line was: bridge the gap it leaves across a digit's stroke.
    without = cv2.subtract(mask, lines)
    bridged = cv2.morphologyEx(without, cv2.MORPH_CLOSE, _VERTICAL_7)
    return without | (bridged & lines)


def _squeeze_x4(mask: np.ndarray) -> np.ndarray:
    """255 where at least 2 of 4 pixels in a row are ink, for each run of 4 along x, in a mask
    of 0 and 255 (other values would be miscounted).

    The same as an INTER_AREA resize to a quarter of the width thresholded at half (up to 3
    columns left over at the right edge are dropped), at half the cost: each run of 4 bytes is
    read as one uint32 and its ink bytes counted with a multiply.
    """
    width = mask.shape[1]
    runs = np.ascontiguousarray(mask[:, : width // 4 * 4]).view(np.uint32)
    count = ((runs & 0x01010101) * 0x01010101) >> 24  # the byte sum lands in the top byte
    # bool -> 0/1 bytes -> 0/255: a third of the cost of np.where
    return (count >= 2).view(np.uint8) * np.uint8(255)


def _digit_like(boxes: np.ndarray, filled: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per box (x, y, w, h) with the area its shapes fill: size relative to the frame, aspect
    and ink of a digit? (A solid blob is told from a digit later, on its real ink.)"""
    w, h = boxes[:, 2], boxes[:, 3]
    density = filled / np.maximum(w * h, 1)
    return ((h >= min_height(shape, SMALLEST)) & (h <= MAX_HEIGHT * shape[0])
            & (w <= MAX_ASPECT * h) & (density >= 0.06))


def beside_digits(boxes: np.ndarray, shortest: float) -> np.ndarray:
    """Per box (x, y, w, h): False for a small one (shorter than `shortest`) with no box of a
    digit's height standing beside it on its line (`boxes.beside`: within BESIDE of that one's
    height along x, overlapping its line by half the small one's height, at most TALLER times
    taller). A hurried writer's small 0 sits in its number; small specks of texture and noise,
    which are many, mostly do not. The boxes here are digit-shaped ink of one polarity, before
    the contrast test, so the shape beside may yet drop out as a halo."""
    small = boxes[:, 3] < shortest
    keep = ~small
    if not small.any() or small.all():
        return keep
    keep[small] = beside(boxes[small], boxes[keep], BESIDE, TALLER).any(axis=1)
    return keep


def min_height(shape: tuple[int, ...], least: tuple[float, float] = SHORTEST) -> float:
    """The shortest candidate, in pixels, of a frame of `shape`: `least` = (pixels, share of
    the shorter side), whichever is more."""
    return max(least[0], least[1] * min(shape[:2]))


def ink_contrast(gray: np.ndarray, mask: np.ndarray, boxes: np.ndarray, ink_is_dark: bool,
                 sums: np.ndarray | None = None) -> np.ndarray:
    """Per box (x, y, w, h): how many grey levels its ink is darker (lighter, for light ink)
    than every one of the four strips just outside the box, i.e. than the darkest (lightest) of
    them; negative when it is not.

    The local-mean threshold also marks the board beside chalk, and inside a chalk 3's bays, as
    dark ink, since the local mean is pulled up there (the light mask is spared the mirror
    case, mostly, by the median `background`): such a halo is no darker (lighter) than the
    surface on at least one side of it, while chalk is lighter than the board all round and pen
    ink darker than its paper all round. Texture blobs stand out little and digits a lot, so
    the contrast also ranks candidates for the cap. A box filling the frame scores 255.
    `sums`: `gray`'s integral image (`integral`), when the caller has it for both polarities.
    """
    if len(boxes) == 0:
        return np.zeros(0, np.float64)
    if sums is None:
        sums = integral(gray)
    height, width = gray.shape
    x, y, w, h = boxes.T.astype(np.intp)
    margin = np.maximum(2, np.maximum(w, h) // 6)
    x0, y0 = np.maximum(x - margin, 0), np.maximum(y - margin, 0)
    x1, y1 = np.minimum(x + w + margin, width), np.minimum(y + h + margin, height)
    # The four strips (above, below, left, right) of every box at once: rows of (4, N).
    left, right = np.stack([x0, x0, x0, x + w]), np.stack([x1, x1, x, x1])
    top, bottom = np.stack([y0, y + h, y, y]), np.stack([y, y1, y + h, y + h])
    total = sums[bottom, right] - sums[top, right] - sums[bottom, left] + sums[top, left]
    area = (right - left) * (bottom - top)
    empty = np.inf if ink_is_dark else -np.inf  # an empty strip (at the frame's edge) never wins
    strips = np.where(area > 0, total / np.maximum(area, 1), empty)
    ink = np.array([cv2.mean(gray[t : t + bh, s : s + bw], mask[t : t + bh, s : s + bw])[0]
                    for s, t, bw, bh in boxes.tolist()])
    gap = strips.min(axis=0) - ink if ink_is_dark else ink - strips.max(axis=0)
    return np.where(np.isfinite(gap), gap, 255.0)


def integral(gray: np.ndarray) -> np.ndarray:
    """The integral image `ink_contrast` sums strips with: int32, one row and column larger.
    (Past 8.4 megapixels its corners wrap around, but a strip's sum, the difference of four
    corners, comes out right as long as the strip's own sum fits, which it always does.)"""
    return cv2.integral(gray, sdepth=cv2.CV_32S)


@dataclass(frozen=True, eq=False)
class Candidates:
    """Digit candidates of one mask.

    boxes: (N, 4) int32 x, y, w, h in mask pixels; masks: N uint8 crops of the box, 255 = ink of
    this candidate only (a neighbour's stroke inside the box is left out); rank: (N,) float64,
    what the candidate cap keeps the highest of (`ink_contrast`; the ink area without a grey
    frame).
    """

    boxes: np.ndarray
    masks: tuple[np.ndarray, ...]
    rank: np.ndarray

    def take(self, rows: np.ndarray) -> Candidates:
        """The candidates at `rows`, in that order."""
        return Candidates(self.boxes[rows], tuple(self.masks[i] for i in rows.tolist()),
                          self.rank[rows])


def _merge_pieces(boxes: np.ndarray) -> np.ndarray:
    """Group ids 0..G-1 so pieces of one digit (a 5's detached bar, a broken 4) become one
    candidate.

    A piece merges with a larger one when it is much shorter and sits just above or below it
    (overlapping in x by a quarter of its width: a 5's bar often sticks out to the right), when
    it is a flat bar level with the top of one body at its right, when the two are the halves
    of a digit broken across its waist, or when its box lies mostly inside the larger box.
    Pieces one on the other must be alike in width or height (ALIKE). Neighbouring digits,
    even on a slanted line, are none of these, so they stay apart.
    """
    n = len(boxes)
    if n < 2:
        return np.arange(n)
    b = boxes.astype(np.float32)
    x0, y0, w, h = b.T
    overlap_x, overlap_y = overlaps(b, b)
    # Every rule below wants a pair within a tenth of the taller one's height along x and a
    # quarter along y: the pairs that near, found against the tallest piece, are few, and the
    # rules run on them alone (a frame of noise has hundreds of pieces).
    top = h.max()
    i, j = np.nonzero((overlap_x > -0.1 * top) & (overlap_y > -0.25 * top))
    i, j = i[i != j], j[i != j]
    ox, oy, wi, wj, hi, hj = overlap_x[i, j], overlap_y[i, j], w[i], w[j], h[i], h[j]
    short, tall = np.minimum(hi, hj), np.maximum(hi, hj)
    union_w = np.maximum(x0[i] + wi, x0[j] + wj) - np.minimum(x0[i], x0[j])
    union_h = np.maximum(y0[i] + hi, y0[j] + hj) - np.minimum(y0[i], y0[j])
    # Pieces one on the other are of one digit only if they are alike in width or in height (a
    # 5's bar is as wide as a good part of its body; half an 8 as wide as the other half):
    # otherwise a blob of texture, or a ruled line on a page turned in view, takes in the small
    # digits just below it, and the group is no digit.
    alike = ((np.minimum(wi, wj) > ALIKE * np.maximum(wi, wj)) | (short > ALIKE * tall))
    stacked = ((ox > 0.25 * np.minimum(wi, wj)) & (short < 0.6 * tall) & (oy > -0.25 * tall)
               & (oy < 0.4 * short) & alike)
    inside = ((np.maximum(ox, 0) * np.maximum(oy, 0) > 0.6 * np.minimum(wi * hi, wj * hj))
              & (short > 0.3 * tall))
    # A digit broken across its waist (a thin stroke lost to the threshold): two pieces of
    # any height if alike, one on the other, nearly touching, together less than twice the
    # taller one (two digits of one size on two lines are at least that), not a thin column.
    halves = ((ox > 0.6 * np.minimum(wi, wj)) & (oy > -0.15 * tall) & (oy < 0.3 * short)
              & (union_h < 1.9 * tall) & (union_w > 0.5 * union_h) & alike)
    near = (((stacked | inside) & (union_h < 1.6 * tall)) | halves) & (union_w < 1.2 * union_h)
    # A 5's bar drawn apart often floats at the top right of its body, beside rather than above
    # it: a flat short piece (i) whose top is level with or above the body's (j), that starts
    # right of the body's left edge and at most a tenth of the body's height clear of its
    # right edge; their union is wider than a stacked pair's. It must be a stroke's thickness
    # (a bit of a ruled line is thinner), beside one body only and joined to nothing else, so
    # that no flat bit (a pen, a dash) chains neighbouring digits together.
    bar = ((wi >= BAR_FLAT[0] * hi) & (wi <= BAR_FLAT[1] * hi) & (hi < 0.6 * hj)
           & (hi > 0.15 * hj) & (y0[i] <= y0[j] + 0.25 * hj) & (oy > -0.25 * hj)
           & (x0[i] >= x0[j]) & (ox > -0.1 * hj) & (union_w < 1.6 * union_h)
           & (union_h < 1.7 * hj))
    taken = np.bincount(i[near], minlength=n) > 0
    bar &= (np.bincount(i[bar], minlength=n)[i] == 1) & ~taken[i]
    return joined(n, np.concatenate([i[near], i[bar]]), np.concatenate([j[near], j[bar]]))


def find_candidates(mask: np.ndarray, max_candidates: int = MAX_CANDIDATES,
                    gray: np.ndarray | None = None, ink_is_dark: bool = True,
                    sums: np.ndarray | None = None, shape: tuple[int, int] | None = None,
                    ) -> Candidates:
    """Outer ink shapes of `mask`, pieces merged, filtered to digit-like boxes.

    The holes of 0, 6, 8 and 9 are background, never candidates. With `gray`, the smoothed
    frame `mask` was thresholded from in the polarity `ink_is_dark`, candidates whose ink stands
    out from its surroundings by less than HALO grey levels are dropped, and the cap keeps those
    that stand out most (`ink_contrast`, given `sums` if known); without it, the largest.
    `shape`: the frame size the smallest and largest digit are measured against (default: the
    mask's; a frame turned level on a larger canvas keeps its own, see `level`).
    """
    contours, shape_boxes, filled = blobs(mask)
    if not contours:  # the light mask of most pages of dark ink (see `background`)
        return Candidates(np.zeros((0, 4), np.int32), (), np.zeros(0, np.float64))
    # Neither specks nor shapes larger than any digit (a sheet's edge) take part in merging.
    shape = shape or mask.shape
    height, width = shape
    w, h = shape_boxes[:, 2], shape_boxes[:, 3]
    keep = np.flatnonzero((h >= 3) & (filled >= 6) & (h <= MAX_HEIGHT * height)
                          & (w <= MAX_HEIGHT * width))
    keep = keep[np.argsort(-filled[keep], kind="stable")[:_MAX_PIECES]]
    stats, filled = shape_boxes[keep], filled[keep]

    # Union boxes and filled area of each group, vectorized: no Python loop over pieces.
    group = _merge_pieces(stats)
    n = group.max() + 1 if len(group) else 0
    if n == len(group):  # nothing merged (ids come in order): each piece its own candidate
        boxes, area = stats, filled.astype(np.float64)
    else:
        x0 = np.full(n, np.iinfo(np.int32).max, np.int32)
        y0 = x0.copy()
        x1 = np.zeros(n, np.int32)
        y1 = x1.copy()
        np.minimum.at(x0, group, stats[:, 0])
        np.minimum.at(y0, group, stats[:, 1])
        np.maximum.at(x1, group, stats[:, 0] + stats[:, 2])
        np.maximum.at(y1, group, stats[:, 1] + stats[:, 3])
        boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
        area = np.bincount(group, weights=filled, minlength=n)

    chosen = np.flatnonzero(_digit_like(boxes, area, shape))
    chosen = chosen[beside_digits(boxes[chosen], min_height(shape))]
    if gray is None:
        rank = area[chosen]
    else:  # halos out; of many candidates (texture), those that stand out most are kept
        rank = ink_contrast(gray, mask, boxes[chosen], ink_is_dark, sums)
        chosen, rank = chosen[rank >= HALO], rank[rank >= HALO]
    order = np.argsort(-rank, kind="stable")[:max_candidates]
    chosen, rank = chosen[order], rank[order]
    # Each candidate's own ink. Where no other shape's box reaches into its box, that is all the
    # ink of the box. Otherwise: its shapes filled, times the mask (which keeps the holes), so a
    # neighbour's stroke reaching into the box is left out.
    owner_of = np.full(len(contours), -1)
    owner_of[keep] = group
    reach_x, reach_y = overlaps(boxes[chosen], shape_boxes)
    shared = ((reach_x > 0) & (reach_y > 0) & (owner_of != chosen[:, None])).any(axis=1)
    owner = (np.zeros(mask.shape, np.uint8 if len(chosen) < 255 else np.int32)
             if shared.any() else None)
    for k in np.flatnonzero(shared):  # all drawn before any is cut out, as shapes may overlap
        cv2.drawContours(owner, [contours[keep[i]] for i in np.flatnonzero(group == chosen[k])],
                         -1, int(k) + 1, cv2.FILLED)
    crops, solid = [], np.zeros(len(chosen), bool)
    for k, (x, y, bw, bh) in enumerate(boxes[chosen].tolist()):
        crop = mask[y : y + bh, x : x + bw]
        if shared[k]:
            crop = cv2.compare(owner[y : y + bh, x : x + bw], k + 1, cv2.CMP_EQ) & crop
        solid[k] = cv2.countNonZero(crop) > SOLID * bw * bh and bw > 0.4 * bh
        crops.append(crop)
    return Candidates(boxes[chosen][~solid], tuple(c for c, s in zip(crops, solid, strict=True)
                                                   if not s), rank[~solid])


def _median(values: np.ndarray) -> float:
    """np.median of a short 1-D array, at a fifth of its call overhead (it runs per wide
    candidate)."""
    ordered = np.sort(values)
    return (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2


WIDE = 0.75  # width over height from which a candidate may be two touching digits
NECK = 0.75  # ... if the ink of its thinnest column is under this share of its median column


def split_touching(candidates: Candidates, most: int = MAX_SPLITS, shortest: float = 0.0,
                   ) -> tuple[Candidates, np.ndarray]:
    """Each candidate wide enough to be two touching digits and with a neck (a column of its
    middle half with little ink), cut in two at the thinnest column: the parts, two rows each,
    left then right, and the index of the candidate each part came from. The classifier then
    decides between the whole and the parts. A 0 or a flat 2 has no neck and is not cut, nor a
    candidate shorter than `shortest` (its parts would be shorter than any digit). At most
    `most` are cut, the widest first, so a frame of noise stays bounded.
    """
    boxes, masks, parents = [], [], []
    aspect = candidates.boxes[:, 2] / np.maximum(candidates.boxes[:, 3], 1)
    wide = np.flatnonzero((aspect >= WIDE) & (candidates.boxes[:, 3] >= shortest))
    if not len(wide):
        return candidates.take(wide), wide
    for k in wide[np.argsort(-aspect[wide], kind="stable")][:most].tolist():
        (x, y, w, h), mask = candidates.boxes[k].tolist(), candidates.masks[k]
        columns = np.count_nonzero(mask, axis=0)
        if not columns.any():  # its ink all in another candidate's shapes: nothing to cut
            continue
        profile = columns[w // 4 : w - w // 4]
        # The emptiest column; of equals, the one nearest the middle.
        middle = np.abs(np.arange(len(profile)) - len(profile) / 2)
        best = int(np.lexsort((middle, profile))[0])
        if profile[best] > NECK * _median(columns[columns > 0]):
            continue
        cut = w // 4 + best
        parts = []
        for left, part in ((0, mask[:, :cut]), (cut, mask[:, cut:])):
            px, py, pw, ph = cv2.boundingRect(part)
            if pw == 0 or ph < 0.4 * h:  # a part must be a digit's height, not a tail
                break
            parts.append(((x + left + px, y + py, pw, ph),
                          np.ascontiguousarray(part[py : py + ph, px : px + pw])))
        if len(parts) == 2:
            for box, crop in parts:
                boxes.append(box)
                masks.append(crop)
                parents.append(k)
    parents = np.array(parents, np.intp)
    return (Candidates(np.array(boxes, np.int32).reshape(-1, 4), tuple(masks),
                       candidates.rank[parents]), parents)
