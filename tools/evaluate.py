"""Score the reader on the committed samples (boxed ground truth) and on real photos.

    python tools/evaluate.py                       # samples/ and ../shared/data/real_photos
    python tools/evaluate.py --photos none --out runs/evaluate-quick

Samples (frames/ + frames.jsonl, video.mp4 + video.jsonl) are scored box by box with
tools/metrics.py: detection precision and recall, digits read right (precision, recall, F1),
numbers read exactly, the confusion matrix and recall by digit height; on videos, how often the
number string changes per second with and without smoothing. Real photos have no boxes:
each is scored on its digit string, as the share of true digits read right and in order (LCS)
and the share of read digits that are right, so false digits show.

Writes report.md (also printed), the predictions as JSON Lines and annotated pictures of the
worst frames and photos (reader overlay; true digits not read right in red) into --out.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from metrics import (
    Score,
    bag_overlap,
    edit_distance,
    read_jsonl,
    score,
    sequence_accuracy,
    write_jsonl,
)

from livedigits import Reader, Reading, Tracker, render
from livedigits.reader import MAX_SIDE
from livedigits.sinks import record
from livedigits.sources import Frame, SourceError, open_source
from livedigits.track import NO_SMOOTHING

REPO = Path(__file__).resolve().parents[1]
HEIGHT_BINS = (0, 16, 24, 32, 48, 64)  # lower edges, px of the true box in the source frame
MISSED = (0, 0, 230)  # BGR: true digits not read right


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=Path, nargs="+", default=[REPO / "samples"],
                   metavar="DIR", help="folders with frames/ + frames.jsonl and/or video.mp4 + "
                   "video.jsonl (several: one row each and one for all)")
    p.add_argument("--photos", type=Path, default=REPO.parent / "shared/data/real_photos",
                   help="folder with images/ and labels.json ('none' to skip)")
    p.add_argument("--model", type=Path, help="ONNX model (default: the shipped one)")
    p.add_argument("--min-confidence", type=float, default=0.5, metavar="P")
    p.add_argument("--out", type=Path, default=REPO / "runs" / "evaluate")
    p.add_argument("--failures", type=int, default=3, metavar="N",
                   help="annotated pictures of the N worst frames per set (default 3)")
    p.add_argument("--steady", type=Path, nargs="*", metavar="VIDEO",
                   help="videos of an unchanging sheet to measure label flicker on "
                   "(default: the samples' videos; the flag alone: none)")
    return p.parse_args(argv)


# ---------------------------------------------------------------- reading and keeping the worst


@dataclass
class Case:
    """One frame or photo read: `badness` orders the failures (higher = worse)."""

    name: str
    badness: tuple[float, int]
    image: np.ndarray
    reading: Reading
    missed: list[dict]  # true digits not read right (boxed truth only)
    caption: str


class Worst:
    """The `k` worst cases seen, without keeping every frame's image."""

    def __init__(self, k: int):
        self.k, self.heap, self.count = k, [], itertools.count()

    def add(self, case: Case) -> None:
        if self.k <= 0:
            return
        item = (case.badness, -next(self.count), case)  # ties: the earlier frame stays
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, item)
        else:
            heapq.heappushpop(self.heap, item)

    def cases(self) -> list[Case]:
        return [case for *_, case in sorted(self.heap, reverse=True)]


def read_source(reader: Reader, spec: Path) -> Iterator[tuple[Frame, Reading]]:
    with open_source(str(spec)) as source:
        for frame in source:
            yield frame, reader.read(frame.image)


# ---------------------------------------------------------------- boxed sets: frames and video


@dataclass
class BoxedResult:
    name: str
    frames: int
    score: Score
    worst: list[Case]
    seconds: float
    truths: list[dict]
    predictions: list[dict]


def evaluate_boxed(reader: Reader, name: str, spec: Path, truth: list[dict], failures: int,
                   out: Path) -> BoxedResult:
    """Read every frame of `spec`, pair it with its truth record (by file name for images, by
    index for video), score the set and keep the worst frames."""
    by_name = {t["source"]: t for t in truth if t.get("source")}
    by_index = {t["frame"]: t for t in truth}
    truths, predictions, worst = [], [], Worst(failures)
    started = time.perf_counter()
    for frame, reading in read_source(reader, spec):
        t = by_name.get(frame.name) if frame.name else by_index.get(frame.index)
        if t is None:
            print(f"evaluate: {name}: no ground truth for {frame.name or frame.index}, skipped",
                  file=sys.stderr)
            continue
        p = record(replace(frame, index=t["frame"]), reading)
        truths.append(t)
        predictions.append(p)
        one = score([t], [p])
        wrong = (one.truth - one.read_right) + (one.predicted - one.read_right)
        label = frame.name or f"frame_{frame.index:04d}"
        worst.add(Case(label, (1.0 - one.f1, wrong), frame.image, reading,
                       [d for _, d in one.misses],
                       f"{label}: {one.read_right}/{one.truth} read right, "
                       f"{one.predicted - one.read_right} wrong or false"))
    seconds = time.perf_counter() - started
    if len(truths) != len(truth):
        print(f"evaluate: {name}: {len(truth) - len(truths)} truth records had no frame",
              file=sys.stderr)
    write_jsonl(out / f"{name}.jsonl", predictions)
    return BoxedResult(name, len(truths), score(truths, predictions), worst.cases(), seconds,
                       truths, predictions)


def combined(name: str, results: list[BoxedResult]) -> BoxedResult:
    """One result for several sets of the same kind, scored over all their frames."""
    truths = [t for r in results for t in r.truths]
    predictions = [p for r in results for p in r.predictions]
    return BoxedResult(name, len(truths), score(truths, predictions), [],
                       sum(r.seconds for r in results), truths, predictions)


def boxed_sets(samples: Path) -> list[tuple[str, Path, Path]]:
    """(kind, source, truth) of the sample sets present: kind "frames" or "video"."""
    sets = [("frames", samples / "frames", samples / "frames.jsonl"),
            ("video", samples / "video.mp4", samples / "video.jsonl")]
    found = [s for s in sets if s[1].exists() and s[2].is_file()]
    for kind, source, truth in sets:
        if (kind, source, truth) not in found:
            print(f"evaluate: no {source.name} + {truth.name} in {samples}, {kind} skipped",
                  file=sys.stderr)
    return found


# ---------------------------------------------------------------- real photos: digit strings


@dataclass
class PhotoRow:
    file: str
    truth: str
    read: str
    in_order: int  # longest common subsequence of truth and read, in digits
    note: str

    @property
    def edits(self) -> int:
        """Edit distance of the reader's string from the truth: a false digit costs one."""
        return edit_distance(self.truth, self.read)

    @property
    def common(self) -> int:
        """Digits read that are in the truth, as a bag (order ignored)."""
        return bag_overlap(self.truth, self.read)


def photo_measures(rows: list[PhotoRow]) -> dict[str, float]:
    """Char accuracy (1 - summed edit distance / summed true length), bag precision and recall."""
    truth = sum(len(r.truth) for r in rows)
    read = sum(len(r.read) for r in rows)
    common = sum(r.common for r in rows)
    return {"char_accuracy": 1 - sum(r.edits for r in rows) / max(truth, 1),
            "bag_precision": common / max(read, 1), "bag_recall": common / max(truth, 1)}


def digits_of(text: str) -> str:
    return text.replace("\n", "")


def photo_row(entry: dict, reading: Reading) -> PhotoRow:
    truth = digits_of(entry["digits"])
    read = "".join(str(d.label) for d in reading.digits)
    in_order = round(sequence_accuracy(truth, read) * len(truth))
    turn = entry.get("upright_rotation_ccw_deg") or 0
    return PhotoRow(entry["file"], truth, read, in_order, f"turned {turn} deg" if turn else "")


def evaluate_photos(reader: Reader, photos: Path, failures: int
                    ) -> tuple[list[PhotoRow], list[Case], float]:
    labels = {e["file"]: e for e in json.loads((photos / "labels.json").read_text("utf-8"))}
    rows, worst = [], Worst(failures)
    started = time.perf_counter()
    for frame, reading in read_source(reader, photos / "images"):
        entry = labels.get(frame.name)
        if entry is None:
            continue
        row = photo_row(entry, reading)
        rows.append(row)
        total = len(row.truth) + len(row.read)
        f1 = 2 * row.in_order / total if total else 1.0
        worst.add(Case(row.file, (1.0 - f1, total - 2 * row.in_order), frame.image, reading, [],
                       f"{row.file}: {row.in_order}/{len(row.truth)} in order, "
                       f"{len(row.read)} read"))
    missing = sorted(set(labels) - {r.file for r in rows})
    if missing:
        print(f"evaluate: photos not found: {', '.join(missing)}", file=sys.stderr)
    return sorted(rows, key=lambda r: r.file), worst.cases(), time.perf_counter() - started


# ---------------------------------------------------------------- pictures


def draw_failure(case: Case) -> np.ndarray:
    """The reader's overlay plus, in red, each true digit not read right with its true label."""
    image = render(case.image, case.reading, caption=case.caption)
    thick = max(1, round(image.shape[0] / 500))
    for digit in case.missed:
        x, y, w, h = digit["box"]
        cv2.rectangle(image, (x - 2, y - 2), (x + w + 2, y + h + 2), MISSED, thick)
        cv2.putText(image, str(digit["label"]), (x, y + h + 4 + 14 * thick),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5 * thick, MISSED, thick, cv2.LINE_AA)
    return image


def save_failures(out: Path, prefix: str, cases: list[Case]) -> list[str]:
    names = []
    for case in cases:
        name = f"fail_{prefix}_{Path(case.name).stem}.png"
        cv2.imwrite(str(out / name), draw_failure(case))
        names.append(name)
    return names


# ---------------------------------------------------------------- report


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]


def summary_table(results: list[BoxedResult]) -> list[str]:
    rows = []
    for r in results:
        s = r.score
        rows.append([r.name, r.frames, s.truth, s.predicted,
                     pct(s.detection_precision), pct(s.detection_recall),
                     pct(s.precision), pct(s.recall), pct(s.f1),
                     f"{s.numbers_right}/{s.numbers} ({pct(s.numbers_right / max(s.numbers, 1))})",
                     f"{(s.predicted - s.found) / max(r.frames, 1):.3f}",
                     f"{1000 * r.seconds / max(r.frames, 1):.0f}"])
    return table(["set", "frames", "true digits", "read digits", "detection P", "detection R",
                  "read-right P", "read-right R", "F1", "numbers exact", "false digits/frame",
                  "ms/frame"], rows)


def height_table(results: list[BoxedResult]) -> list[str]:
    edges = [*HEIGHT_BINS, np.inf]
    names = [f"<{edges[1]}", *(f"{a}-{b}" for a, b in itertools.pairwise(edges[1:-1])),
             f">={edges[-2]}"]
    rows = []
    for r in results:
        heights = np.array([h for h, _ in r.score.heights], float)
        right = np.array([ok for _, ok in r.score.heights], bool)
        bins = np.digitize(heights, edges[1:-1])
        cells = []
        for b in range(len(names)):
            n = int((bins == b).sum())
            cells.append(f"{pct(right[bins == b].mean())} of {n}" if n else "-")
        rows.append([r.name, *cells])
    return table(["set", *[f"{n} px" for n in names]], rows)


def confusion_table(s: Score) -> list[str]:
    rows = []
    for label in range(10):
        counts = s.confusion[label]
        total = int(counts.sum())
        rows.append([f"**{label}**", *[int(c) or "." for c in counts], total,
                     pct(counts[label] / total) if total else "-"])
    return table(["true \\ read", *map(str, range(10)), "missed", "n", "recall"], rows)


def photo_section(rows: list[PhotoRow]) -> list[str]:
    body = []
    for r in rows:
        body.append([r.file, len(r.truth), len(r.read), r.in_order,
                     pct(r.in_order / len(r.truth)) if r.truth else "-",
                     pct(r.in_order / len(r.read)) if r.read else "-", r.edits, r.note])
    truth = sum(len(r.truth) for r in rows)
    read = sum(len(r.read) for r in rows)
    right = sum(r.in_order for r in rows)
    mean = np.mean([r.in_order / len(r.truth) for r in rows if r.truth]) if rows else 0.0
    body.append(["**all**", truth, read, right, pct(right / max(truth, 1)),
                 pct(right / max(read, 1)), sum(r.edits for r in rows),
                 f"mean per photo {pct(mean)}"])
    measures = photo_measures(rows)
    return [*table(["photo", "true", "read", "right in order", "of true", "of read", "edits",
                    "note"], body), "",
            f"**Char accuracy {measures['char_accuracy']:.3f}** (1 - summed edit distance / "
            f"summed true length, the reader's own order; a false digit is an edit), "
            f"**bag precision {measures['bag_precision']:.3f}** (printed digits that are in the "
            f"truth, order ignored), **bag recall {measures['bag_recall']:.3f}**."]


def report(args: argparse.Namespace, reader: Reader, boxed: list[BoxedResult],
           photos: tuple[list[PhotoRow], list[Case], float] | None, photo_note: str,
           pictures: dict[str, list[str]], steady: list[SteadyRow]) -> str:
    lines = ["# livedigits evaluation", "",
             f"model `{reader.classifier.path.name}`, min confidence {reader.min_confidence}, "
             f"threads 1. A digit is found when its box overlaps the truth with IoU >= 0.5, "
             f"read right when the label agrees too.", ""]
    if boxed:
        lines += ["## Samples (boxed ground truth)", "", *summary_table(boxed), "",
                  "P = precision, R = recall. Detection counts any label; read-right counts the "
                  "right label only.", "", "### Recall (read right) by true digit height", "",
                  *height_table(boxed), "",
                  f"Heights in source pixels; frames are segmented at most {MAX_SIDE} px on "
                  "their longer side.", ""]
        for r in boxed:
            lines += [f"### Confusion, {r.name} (rows true, columns read)", "",
                      *confusion_table(r.score), ""]
    if steady:
        lines += ["## Steady labels (number string changes per second)", "",
                  *steady_section(steady), "",
                  "Per frame: each frame read on its own. Smoothed: with a Tracker (the CLI's "
                  "default for videos and cameras). In brackets, the number of changes; the "
                  "first string counts as a change from nothing.", ""]
    lines += ["## Real photos (digit strings, no boxes)", ""]
    if photos is None:
        lines += [photo_note, ""]
    else:
        rows, worst, seconds = photos
        lines += [*photo_section(rows), "",
                  "'of true': true digits read right and in order (LCS); 'of read': read digits "
                  f"that are right. {1000 * seconds / max(len(rows), 1):.0f} ms per photo.", ""]
        lines += ["Worst photos, truth / read:", ""]
        lines += [f"- {c.name}: `{r.truth}` / `{r.read}`" for c in worst for r in rows
                  if r.file == c.name]
        lines.append("")
    lines += ["## Failure pictures", "",
              "Reader overlay (green digits, orange numbers); red: true digits not read right, "
              "with the true label.", ""]
    for prefix, names in pictures.items():
        lines.append(f"- {prefix}: " + (", ".join(names) if names else "none"))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- steady labels


@dataclass
class SteadyRow:
    name: str
    seconds: float
    changes: dict[str, int]  # "raw" / "smoothed" -> times the frame's number string changed
    f1: dict[str, float | None]  # F1 of digits read right, when the video has ground truth


def evaluate_steady(reader: Reader, name: str, video: Path) -> SteadyRow:
    """How often the whole number string changes on a video, as the command reads it with
    `--no-smooth` (a Tracker that keeps ids only) and by default (a smoothing Tracker).

    The video is read once per mode, frame by frame. The first frame's string counts as a
    change from nothing in both.
    """
    truth_path = video.with_suffix(".jsonl")
    truth = read_jsonl(truth_path) if truth_path.is_file() else None
    changes, f1, seconds = {}, {}, 0.0
    for mode, tracker in (("raw", Tracker(NO_SMOOTHING)), ("smoothed", Tracker())):
        texts, records = [""], []
        with open_source(str(video)) as source:
            for frame in source:
                reading = reader.read(frame.image, tracker)
                texts.append(" ".join(n.text for n in reading.numbers))
                records.append(record(frame, reading))
            seconds = len(records) / source.fps
        changes[mode] = sum(a != b for a, b in itertools.pairwise(texts))
        f1[mode] = score(truth, records).f1 if truth else None
    return SteadyRow(name, seconds, changes, f1)


def steady_section(rows: list[SteadyRow]) -> list[str]:
    out = table(["video", "seconds", "changes/s per frame", "changes/s smoothed",
                 "F1 per frame", "F1 smoothed"],
                [[r.name, f"{r.seconds:.1f}",
                  f"{r.changes['raw'] / r.seconds:.2f} ({r.changes['raw']})",
                  f"{r.changes['smoothed'] / r.seconds:.2f} ({r.changes['smoothed']})",
                  *("-" if r.f1[k] is None else pct(r.f1[k]) for k in ("raw", "smoothed"))]
                 for r in rows])
    return out


# ---------------------------------------------------------------- main


def set_names(folders: list[Path]) -> list[str]:
    """A distinct name per samples folder, for its rows and its output files: the folder's own
    name, its parent's too where two share it (a/samples, b/samples), a number as a last resort."""
    names = [folder.name for folder in folders]
    if len(set(names)) < len(names):
        names = [f"{folder.resolve().parent.name}_{folder.name}" for folder in folders]
    if len(set(names)) < len(names):
        names = [f"{name}_{i + 1}" for i, name in enumerate(names)]
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cv2.setNumThreads(1)  # as the report says, and as the command's default --threads 1 does
    reader = Reader(model=args.model, threads=1, min_confidence=args.min_confidence)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("fail_*.png"):
        old.unlink()

    boxed, pictures, by_kind = [], {}, {}
    several = len(args.samples) > 1
    names = set_names(args.samples)
    for folder, set_name in zip(args.samples, names, strict=True):
        for kind, source, truth in boxed_sets(folder):
            name = f"{set_name}-{kind}" if several else kind
            result = evaluate_boxed(reader, name, source, read_jsonl(truth), args.failures,
                                    args.out)
            boxed.append(result)
            by_kind.setdefault(kind, []).append(result)
            pictures[name] = save_failures(args.out, name, result.worst)
    boxed += [combined(f"all {kind}", results) for kind, results in by_kind.items()
              if len(results) > 1]

    photos, photo_note = None, ""
    if str(args.photos).lower() == "none":
        photo_note = "Skipped (--photos none)."
    elif not (args.photos / "labels.json").is_file() or not (args.photos / "images").is_dir():
        photo_note = f"Skipped: no images/ and labels.json in {args.photos}."
    else:
        photos = evaluate_photos(reader, args.photos, args.failures)
        pictures["photos"] = save_failures(args.out, "photos", photos[1])

    videos = ([(f"{v.parent.name}/{v.name}", v) for v in args.steady] if args.steady is not None
              else [(f"{name}/video.mp4", folder / "video.mp4")
                    for folder, name in zip(args.samples, names, strict=True)])
    steady = [evaluate_steady(reader, name, v) for name, v in videos if v.is_file()]
    text = report(args, reader, boxed, photos, photo_note, pictures, steady)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"evaluate: wrote {args.out / 'report.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SourceError as error:
        print(f"evaluate: error: {error}", file=sys.stderr)
        sys.exit(1)
