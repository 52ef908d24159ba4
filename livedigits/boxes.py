"""Box geometry shared by segmentation, grouping, tracking and scoring: the union of a few
boxes, pairwise overlap, greedy one-to-one matching and chains of neighbouring boxes.

Boxes are x, y, w, h: tuples for `union`, (N, 4) arrays for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .types import Box


def union(boxes: Iterable[Box]) -> Box:
    """The box around a few (x, y, w, h) tuples. Plain Python: for the handful of boxes of one
    number, numpy's call overhead would dominate."""
    boxes = list(boxes)
    if len(boxes) == 1:
        return boxes[0]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def overlaps(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far every box of `a` (N, 4) overlaps every box of `b` (M, 4) along x and along y:
    two (N, M) float32 arrays, negative for the gap between boxes apart on that axis."""
    a = np.asarray(a, np.float32).reshape(-1, 4)[:, None, :]
    b = np.asarray(b, np.float32).reshape(-1, 4)[None, :, :]
    x = np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    y = np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    return x, y


def beside(a: np.ndarray, b: np.ndarray, reach: float, taller: float) -> np.ndarray:
    """(N, M) bool: box j of `b` (M, 4) stands beside box i of `a` (N, 4) on i's line: at most
    `reach` of j's heights apart along x, overlapping i's rows by half i's height, and at most
    `taller` times as tall as i. (A box stands beside itself.)"""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    x, y = overlaps(a, b)
    return (-x <= reach * b[None, :, 3]) & (y >= 0.5 * a[:, 3, None]) & (
        b[None, :, 3] <= taller * a[:, 3, None])


def near_alike(a: np.ndarray, b: np.ndarray, reach: float, like: float) -> np.ndarray:
    """(N, M) bool: box j of `b` (M, 4) has its centre within `reach` times the smaller of the
    two heights of the centre of box i of `a` (N, 4), in any direction (the lines of a turned
    page slope), and is at most `like` times as tall or short as it. (A box is near itself.)"""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    centre_a, centre_b = a[:, :2] + a[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2
    apart = np.linalg.norm(centre_a[:, None] - centre_b[None], axis=2)
    smaller = np.minimum(a[:, 3, None], b[None, :, 3])
    larger = np.maximum(a[:, 3, None], b[None, :, 3])
    return (apart <= reach * smaller) & (larger <= like * smaller)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of `a` (N, 4) with every box of `b` (M, 4)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    x, y = overlaps(a, b)
    inter = np.clip(x, 0, None) * np.clip(y, 0, None)
    area_a, area_b = a[:, 2] * a[:, 3], b[:, 2] * b[:, 3]
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def match(a: np.ndarray, b: np.ndarray, min_overlap: float) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (index in `a`, index in `b`), highest IoU first, each at least
    `min_overlap`. Greedy is as good as optimal assignment for digits, which do not overlap."""
    overlap = iou(a, b)
    rows, cols = np.nonzero(overlap >= min_overlap)
    order = np.argsort(-overlap[rows, cols], kind="stable")
    used_rows, used_cols, pairs = set(), set(), []
    for r, c in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if r not in used_rows and c not in used_cols:
            used_rows.add(r)
            used_cols.add(c)
            pairs.append((r, c))
    return pairs


def components(near: np.ndarray) -> np.ndarray:
    """Group ids 0..G-1 of the boxes of a symmetric (N, N) bool matrix of neighbours: the boxes
    joined by any chain of neighbour pairs share one (the pieces of a digit, the letters of a
    word). The pairs are few, so a relabel per pair is cheap, whatever order the boxes come in."""
    return joined(len(near), *np.nonzero(np.triu(near, 1)))


def joined(n: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """`components` of n boxes from the pairs joined (`first[k]` with `second[k]`, in any order
    and either way round), for a caller that has the pairs already."""
    group = np.arange(n)
    if not len(first):  # nothing joined, the usual case: ids are already 0..n-1
        return group
    # Each pair once, lower index first, in row order (a 1-D key sorts as the pair would, at a
    # tenth of the cost of np.unique over rows): the ids come out as `components` gives them.
    first, second = np.asarray(first, np.intp), np.asarray(second, np.intp)  # n^2 fits
    keys = np.minimum(first, second) * n + np.maximum(first, second)
    first, second = np.divmod(np.unique(keys), n)
    for i, j in zip(first.tolist(), second.tolist(), strict=True):
        gi, gj = group[i], group[j]
        if gi != gj:
            group[group == gj] = gi
    # Ids 0..G-1 in the order of the group labels (np.unique's inverse, without its sort).
    present = np.flatnonzero(np.bincount(group, minlength=n))
    ids = np.zeros(n, np.intp)
    ids[present] = np.arange(len(present))
    return ids[group]
