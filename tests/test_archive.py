"""A directory or glob of videos as one source: finding, planning, --jobs, --resume, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, run_cli, sample_video_frames, write_video
from metrics import read_jsonl
from test_cli import assert_one_line_error, frames_of

from livedigits.archive import (
    Archive,
    ReadSettings,
    find_archive,
    partial_path,
    plan,
)
from livedigits.cli import UsageError

OUTPUTS = ["a_sample.jsonl", "a_sample.mp4", "b_made.jsonl", "b_made.mp4"]


def written(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_folder_of_videos_is_an_archive_and_says_what_it_skips(tmp_path):
    for name in ("b.MP4", "a.avi", "c.partial.mp4", "shot.png", "notes.txt"):
        (tmp_path / name).touch()
    archive = find_archive(str(tmp_path))
    assert [p.name for p in archive.videos] == ["a.avi", "b.MP4"]
    assert [p.name for p in archive.skipped] == ["c.partial.mp4", "notes.txt", "shot.png"]
    assert [p.name for p in find_archive(str(tmp_path / "*.avi")).videos] == ["a.avi"]


@pytest.mark.parametrize("spec", ["frames", "frames/*.jpg", "video.mp4", "nothing/*.mp4"])
def test_images_single_files_and_empty_globs_are_not_archives(spec):
    assert find_archive(str(SAMPLES / spec)) is None


def test_plan_refuses_outputs_that_collide_or_replace_an_input(tmp_path):
    for name in ("a.mp4", "a.avi"):
        (tmp_path / name).touch()
    with pytest.raises(UsageError, match=r"a\.jsonl twice"):
        plan(find_archive(str(tmp_path)), ReadSettings(), tmp_path / "json", None)
    one = Archive((tmp_path / "a.mp4",), (), "a")
    with pytest.raises(UsageError, match="would overwrite the input"):
        plan(one, ReadSettings(), None, tmp_path)
    (task,), existing = plan(one, ReadSettings(), tmp_path / "json", tmp_path / "video")
    assert (task.jsonl, task.output) == (str(tmp_path / "json/a.jsonl"),
                                         str(tmp_path / "video/a.mp4"))
    assert partial_path(task.output) == tmp_path / "video/a.partial.mp4" and existing == []


@pytest.mark.parametrize("args, words", [
    (["{video}", "--jobs", "2"], ["--jobs", "video.mp4 is none"]),
    (["{folder}"], ["--json DIR"]),
    (["{folder}", "--json", "-"], ["--json -"]),
    (["{folder}", "--json", "{tmp}/out.jsonl"], ["give a directory"]),
    (["{folder}", "-o", "/proc/livedigits"], ["/proc/livedigits"]),
    (["{folder}", "--jobs", "2", "--ray", "auto"], ["--jobs or --ray"]),
    (["{folder}", "--json", "{tmp}/out", "--jobs", "2", "--model", "{tmp}/none.onnx"],
     ["none.onnx"]),
], ids=["jobs-one-video", "no-outputs", "stdout", "json-file", "unwritable", "jobs-ray",
        "missing-model"])
def test_bad_archive_options_give_one_clear_line(tmp_path, args, words):
    folder = tmp_path / "in"
    folder.mkdir()
    write_video(folder / "x.mp4", sample_video_frames((320, 180))[:2])
    fill = {"video": SAMPLES / "video.mp4", "folder": folder, "tmp": tmp_path}
    assert_one_line_error(run_cli(*[a.format(**fill) for a in args]), *words)


def test_serial_run_reads_each_video_as_alone_and_goes_on_past_a_corrupt_one(
        serial_archive, tmp_path):
    result, out = serial_archive
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert "skipping 1 other file (not a video by its suffix): notes.txt" in lines[0]
    assert [line for line in lines if "c_corrupt.mp4" in line] == [
        "livedigits: skipped c_corrupt.mp4: video c_corrupt.mp4 cannot be opened "
        "(corrupt or unsupported?)",
        "livedigits: error: 1 of 3 videos could not be read: c_corrupt.mp4"]
    assert written(out) == OUTPUTS  # nothing for the corrupt video, no partial file
    assert len(read_jsonl(out / "a_sample.jsonl")) == 120 == frames_of(out / "a_sample.mp4")[0]
    assert len(read_jsonl(out / "b_made.jsonl")) == 48 == frames_of(out / "b_made.mp4")[0]
    # The same loop as for one video: the JSON Lines of the sample read on its own.
    alone = tmp_path / "alone.jsonl"
    assert run_cli(SAMPLES / "video.mp4", "--json", alone).returncode == 0
    assert alone.read_bytes() == (out / "a_sample.jsonl").read_bytes()


def test_jobs_2_writes_what_the_serial_run_writes(serial_archive, video_folder, tmp_path):
    serial = serial_archive[1]
    result = run_cli(video_folder, "--json", tmp_path, "-o", tmp_path, "--jobs", "2")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: 1 of 3 videos could not be read: c_corrupt.mp4" in result.stderr
    assert re.search(r"2 workers ready \(started, model loaded\) in [\d.]+ s", result.stderr)
    assert written(tmp_path) == OUTPUTS
    for name in OUTPUTS:  # the videos too: archive overlays carry no timing caption
        assert (tmp_path / name).read_bytes() == (serial / name).read_bytes(), name


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


def lines_in(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """The sample video at 640x360, played 8 times: 960 frames, long enough to interrupt."""
    frames = sample_video_frames((640, 360))
    return write_video(tmp_path_factory.mktemp("long") / "clip.mp4", frames * 8)


def start(*args) -> subprocess.Popen:
    """The command in a process group of its own, as a terminal runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.Popen([sys.executable, "-m", "livedigits", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "crash"])
def test_resume_reads_only_what_is_missing(tmp_path, long_clip, how):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.mp4").write_bytes((SAMPLES / "video.mp4").read_bytes())
    (folder / "b.mp4").write_bytes(long_clip.read_bytes())
    process = start(folder, "--json", out, "-o", out)
    wait_for(lambda: (out / "a.jsonl").exists() and lines_in(out / "b.partial.jsonl") >= 10)
    os.killpg(process.pid, how)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == (130 if how == signal.SIGINT else -signal.SIGKILL), stderr
    assert "Traceback" not in stderr
    # b was not finished: nothing under its final names, so nothing that looks complete.
    assert not (out / "b.jsonl").exists() and not (out / "b.mp4").exists()
    a_before = (out / "a.jsonl").stat()
    cut = (out / "b.partial.jsonl").read_text()
    if how == signal.SIGINT:  # finalized: whole lines, and the video plays to the same frame
        assert "--resume reads them" in stderr
        assert abs(frames_of(out / "b.partial.mp4")[0] - len(read_jsonl(
            out / "b.partial.jsonl"))) <= 1
    result = run_cli(folder, "--json", out, "-o", out, "--resume")
    assert result.returncode == 0, result.stderr
    assert "--resume: 1 video already complete, 1 to read" in result.stderr
    assert "1 video read" in result.stderr
    assert (out / "a.jsonl").stat().st_mtime_ns == a_before.st_mtime_ns  # not read again
    assert written(out) == ["a.jsonl", "a.mp4", "b.jsonl", "b.mp4"]  # no partial file left
    records = read_jsonl(out / "b.jsonl")
    assert [r["frame"] for r in records] == list(range(960)) and frames_of(out / "b.mp4")[0] == 960
    whole = cut[:cut.rfind("\n") + 1]  # a crash may have cut the last line
    assert (out / "b.jsonl").read_text().startswith(whole)  # the same readings, read again


def test_ctrl_c_finalizes_what_the_workers_hold(tmp_path, long_clip):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in ("p.mp4", "q.mp4", "r.mp4"):
        (folder / name).write_bytes(long_clip.read_bytes())
    process = start(folder, "--json", out, "-o", out, "--jobs", "2")
    wait_for(lambda: lines_in(out / "p.partial.jsonl") >= 10
             and lines_in(out / "q.partial.jsonl") >= 10)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted: 3 of 3 videos left (2 unfinished" in stderr
    assert written(out) == ["p.partial.jsonl", "p.partial.mp4", "q.partial.jsonl",
                            "q.partial.mp4"]
    for stem in ("p", "q"):
        records = read_jsonl(out / f"{stem}.partial.jsonl")  # whole lines only
        assert [r["frame"] for r in records] == list(range(len(records)))
        assert abs(frames_of(out / f"{stem}.partial.mp4")[0] - len(records)) <= 1
