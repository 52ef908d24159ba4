"""tools/bench_against.py run for real: this tree against itself, and a reference with no reader.
It reports times and makes no claim about them; these tests check that it runs each tree's own
reader and says clearly what it cannot do."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

TOOL = ROOT / "tools" / "bench_against.py"


def test_a_tree_against_itself_reads_the_same_digits_in_each_process():
    done = subprocess.run([sys.executable, str(TOOL), str(ROOT), "--pairs", "1", "--reads", "2",
                           "--counts", "1", "20"], check=True, capture_output=True, text=True)
    rows = {int(m[1]): m for m in re.finditer(
        r"^\| (\d+) digits \| ([\d.]+)-([\d.]+) \| ([\d.]+)-([\d.]+) \| ([\d.]+)-([\d.]+) "
        r"\| \*\*([\d.]+)\*\* \| (\d+) / (\d+) \|$", done.stdout, re.M)}
    assert set(rows) == {1, 20}
    for count, row in rows.items():
        assert row[9] == row[10] == str(count)  # the same reader finds the same digits
        assert float(row[8]) > 0


def test_a_reference_without_a_reader_is_refused_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path)], capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert "holds no livedigits package" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_reference_whose_reader_fails_is_named(tmp_path):
    (tmp_path / "livedigits").mkdir()
    (tmp_path / "livedigits" / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        subprocess.run([sys.executable, str(TOOL), str(tmp_path), "--pairs", "1", "--reads", "1",
                        "--counts", "1"], check=True, capture_output=True, text=True)
    assert f"the reader of {tmp_path} failed: ImportError: broken on purpose" in \
        failed.value.stderr
    assert "Traceback" not in failed.value.stderr
