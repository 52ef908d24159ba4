"""The archive read as tasks on a real local Ray cluster (the cluster extra)."""

from __future__ import annotations

import re

import pytest
from conftest import run_cli

ray = pytest.importorskip(
    "ray", reason='the cluster extra is not installed (pip install -e ".[cluster]")')


@pytest.fixture(scope="module")
def cluster() -> str:
    """A local cluster of 2 CPUs, started once for this module: its address."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def test_ray_tasks_write_what_the_serial_run_writes(cluster, video_folder, serial_archive,
                                                      tmp_path):
    serial = serial_archive[1]
    result = run_cli(video_folder, "--json", tmp_path, "-o", tmp_path, "--ray", cluster)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "error: 1 of 3 videos could not be read: c_corrupt.mp4" in result.stderr
    assert re.search(r"2 workers ready \(started, model loaded\) in [\d.]+ s", result.stderr)
    names = sorted(p.name for p in serial.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (serial / name).read_bytes(), name


def test_no_cluster_at_the_address_is_one_clear_line(tmp_path, video_folder):
    result = run_cli(video_folder, "--json", tmp_path, "--ray", "127.0.0.1:9")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("livedigits: error: cannot join the Ray cluster at "
                                    "127.0.0.1:9: nothing answers there")
    assert result.stderr.count("\n") == 1
