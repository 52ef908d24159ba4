"""tools/bench_against.py: its table on made-up times, and the tool run for real (this tree
against itself, references that are missing, broken or borrow this tree's reader). It reports
times and makes no claim about them; these tests check that it pairs and divides them the right
way round, runs each tree's own reader and says clearly what it cannot do."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from bench_against import table
from conftest import ROOT

TOOL = ROOT / "tools" / "bench_against.py"


def test_the_table_pairs_runs_and_divides_this_by_the_reference():
    # Two pairs of runs over frames of 20 and 80 digits: (median ms, digits found) per frame.
    reference = [[(4.0, 20), (10.0, 79)], [(5.0, 20), (8.0, 79)]]
    this = [[(6.0, 20), (12.0, 80)], [(5.5, 20), (16.0, 80)]]
    rows = table([20, 80], reference, this)[2:]
    # 20 digits: 6/4 and 5.5/5 -> 1.10-1.50, median 1.30; 80: 12/10 and 16/8 -> 1.20-2.00, 1.60
    assert rows[0] == "| 20 digits | 4.00-5.00 | 5.50-6.00 | 1.10-1.50 | **1.30** | 20 / 20 |"
    assert rows[1] == "| 80 digits | 8.00-10.00 | 12.00-16.00 | 1.20-2.00 | **1.60** | 79 / 80 |"


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


def test_a_reference_that_borrows_this_trees_reader_is_refused(tmp_path):
    # Its package replaces itself with this tree's: the times would be this tree's twice.
    (tmp_path / "livedigits").mkdir()
    real = ROOT / "livedigits"
    (tmp_path / "livedigits" / "__init__.py").write_text(
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location(\n"
        f"    'livedigits', {str(real / '__init__.py')!r},\n"
        f"    submodule_search_locations=[{str(real)!r}])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['livedigits'] = module\n"
        "spec.loader.exec_module(module)\n")
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path), "--pairs", "1", "--reads",
                           "1", "--counts", "1"], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"the reader of {tmp_path} took its package from {ROOT}" in done.stderr
    assert "Traceback" not in done.stderr
