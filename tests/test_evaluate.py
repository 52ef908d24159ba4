"""tools/evaluate.py run for real on a few committed sample frames and the sample video."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from conftest import ROOT, SAMPLES
from metrics import read_jsonl, write_jsonl


def test_two_sample_folders_of_one_name_keep_their_own_rows_and_files(tmp_path):
    truth = read_jsonl(SAMPLES / "frames.jsonl")
    for parent, frames in (("a", truth[:2]), ("b", truth[2:3])):
        folder = tmp_path / parent / "samples"
        (folder / "frames").mkdir(parents=True)
        for frame in frames:
            shutil.copy(SAMPLES / "frames" / frame["source"], folder / "frames")
        write_jsonl(folder / "frames.jsonl", frames)
    out = tmp_path / "out"
    subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate.py"), "--samples",
                    str(tmp_path / "a" / "samples"), str(tmp_path / "b" / "samples"),
                    "--photos", "none", "--steady", str(SAMPLES / "video.mp4"), "--failures", "1",
                    "--out", str(out)], check=True, capture_output=True, text=True)
    assert len(read_jsonl(out / "a_samples-frames.jsonl")) == 2
    assert len(read_jsonl(out / "b_samples-frames.jsonl")) == 1
    report = (out / "report.md").read_text()
    assert "| a_samples-frames | 2 |" in report and "| b_samples-frames | 1 |" in report
    assert "| all frames | 3 |" in report
    # The sample video read per frame and smoothed, as the command reads it both ways: the
    # smoothed number string changes no more often (tests/test_track.py shows how much less
    # on a flickering reading).
    row = re.search(r"\| samples/video\.mp4 \| 8\.0 \| [\d.]+ \((\d+)\) \| [\d.]+ \((\d+)\) \|",
                    report)
    assert row and 1 <= int(row[2]) <= int(row[1]), report
