"""Score readings against ground truth in the JSON Lines shape (tests and tools/evaluate.py).

A predicted digit matches a true one when their boxes overlap with IoU >= 0.5 (greedy, best
overlap first); it is "read right" when the labels agree too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from livedigits.boxes import match

IOU_MATCH = 0.5


@dataclass
class Score:
    """Counts over many frames; the rates are properties."""

    truth: int = 0  # true digits
    predicted: int = 0  # predicted digits
    found: int = 0  # predicted boxes matching a true one
    read_right: int = 0  # ... with the right label
    numbers: int = 0  # true numbers
    numbers_right: int = 0  # true numbers read exactly (text and box)
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((10, 11), np.int64))
    misses: list[tuple[int, dict]] = field(default_factory=list)  # (frame, true digit)
    heights: list[tuple[int, bool]] = field(default_factory=list)  # (true height, read right)

    def add(self, truth: dict, predicted: dict) -> None:
        """Add one frame: both are JSON Lines records."""
        true_digits, pred_digits = truth["digits"], predicted["digits"]
        self.truth += len(true_digits)
        self.predicted += len(pred_digits)
        pairs = match([d["box"] for d in true_digits], [d["box"] for d in pred_digits], IOU_MATCH)
        matched = dict(pairs)
        for t, digit in enumerate(true_digits):
            p = matched.get(t)
            label = pred_digits[p]["label"] if p is not None else 10  # 10: not found
            self.confusion[digit["label"], label] += 1
            right = label == digit["label"]  # never for one not found (label 10)
            self.heights.append((digit["box"][3], right))
            self.read_right += right
            if not right:
                self.misses.append((truth["frame"], digit))
        self.found += len(pairs)
        self.numbers += len(truth["numbers"])
        true_numbers, pred_numbers = truth["numbers"], predicted["numbers"]
        for t, p in match([n["box"] for n in true_numbers], [n["box"] for n in pred_numbers],
                          IOU_MATCH):
            self.numbers_right += true_numbers[t]["text"] == pred_numbers[p]["text"]

    @property
    def precision(self) -> float:
        """Share of predicted digits that are a true digit read right."""
        return _share(self.read_right, self.predicted)

    @property
    def recall(self) -> float:
        """Share of true digits found and read right."""
        return _share(self.read_right, self.truth)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def detection_precision(self) -> float:
        return _share(self.found, self.predicted)

    @property
    def detection_recall(self) -> float:
        return _share(self.found, self.truth)


def _share(part: int, whole: int) -> float:
    """part / whole, and 1.0 for nothing of nothing (no digits, none predicted: all right)."""
    return part / whole if whole else 1.0


def read_jsonl(path: str | Path) -> list[dict]:
    """Every record of a JSON Lines file (ground truth or the reader's output)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def write_jsonl(path: str | Path, records: Iterable[dict]) -> None:
    Path(path).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def score(truth: Iterable[dict], predicted: Iterable[dict]) -> Score:
    """Score records frame by frame (paired in order; frame indices must agree)."""
    result = Score()
    for t, p in zip(truth, predicted, strict=True):
        if t["frame"] != p["frame"]:
            raise ValueError(f"frame {p['frame']} scored against truth of frame {t['frame']}")
        result.add(t, p)
    return result


def sequence_accuracy(truth: str, read: str) -> float:
    """Share of the true digit string read right and in order: matched characters of the longest
    common subsequence over the true length (lines joined; a newline is not a digit)."""
    a, b = truth.replace("\n", ""), read.replace("\n", "")
    if not a:
        return 1.0 if not b else 0.0
    row = [0] * (len(b) + 1)
    for ca in a:
        prev_diag = 0
        for j, cb in enumerate(b, 1):
            prev_diag, row[j] = row[j], prev_diag + 1 if ca == cb else max(row[j], row[j - 1])
    return row[-1] / len(a)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions turning `a` into `b`."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev_diag, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev_diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev_diag + (ca != cb))
    return row[-1]


def bag_overlap(truth: str, read: str) -> int:
    """Digits common to both strings as multisets, whatever their order."""
    return sum(min(truth.count(d), read.count(d)) for d in "0123456789")
