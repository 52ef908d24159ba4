"""The `livedigits` command as a user runs it: outputs, bad input, interruption, headless."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLES, run_cli
from metrics import read_jsonl, score

from livedigits import Reader, render
from livedigits.cli import SCALE_RANGE, StopOnInterrupt
from livedigits.sources import camera_hint

KEYS = {"frame", "time", "source", "digits", "numbers"}


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("livedigits: error:")
    for word in words:
        assert word in lines[0]


def frames_of(path: Path) -> tuple[int, tuple[int, int]]:
    capture = cv2.VideoCapture(str(path))
    count = 0
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    while capture.read()[0]:
        count += 1
    capture.release()
    return count, size


def test_video_to_annotated_video_and_jsonl(tmp_path, video_truth):
    out, jsonl = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    result = run_cli(SAMPLES / "video.mp4", "-o", out, "--json", jsonl)
    assert result.returncode == 0, result.stderr
    records = read_jsonl(jsonl)
    assert len(records) == 120 and set(records[0]) >= KEYS
    assert records[0]["source"] is None and records[30]["time"] == pytest.approx(30 / 15, abs=0.01)
    assert frames_of(out) == (120, (1280, 720))
    assert score(video_truth, records).recall > 0.9
    assert "120 frames: " in result.stderr and "ms per reading" in result.stderr


def test_video_digits_carry_track_ids_and_every_nth_frame_is_read(tmp_path):
    out, jsonl = tmp_path / "out.avi", tmp_path / "out.jsonl"
    result = run_cli(SAMPLES / "video.mp4", "--every", "4", "-o", out, "--json", jsonl)
    assert result.returncode == 0, result.stderr
    records = read_jsonl(jsonl)
    assert [r["frame"] for r in records] == list(range(0, 120, 4))
    assert frames_of(out)[0] == 120  # frames between readings show the last reading
    tracked = [d for r in records for d in r["digits"]]
    assert tracked and all(isinstance(d["track"], int) for d in tracked)


def test_no_smooth_gives_per_frame_readings(tmp_path):
    jsonl = tmp_path / "out.jsonl"
    assert run_cli(SAMPLES / "video.mp4", "--no-smooth", "--json", jsonl).returncode == 0
    records = read_jsonl(jsonl)
    capture = cv2.VideoCapture(str(SAMPLES / "video.mp4"))
    frames = [capture.read()[1] for _ in range(3)]
    reader = Reader()
    for record, frame in zip(records, frames, strict=False):
        plain = reader.read(frame).as_dict()
        assert [(d["label"], d["box"]) for d in record["digits"]] == [
            (d["label"], d["box"]) for d in plain["digits"]]
        assert all("track" in d for d in record["digits"])


def test_live_replay_keeps_real_time_in_the_output_video(tmp_path):
    out, jsonl = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    result = run_cli(SAMPLES / "video.mp4", "--live", "-o", out, "--json", jsonl)
    assert result.returncode == 0, result.stderr
    frames = [r["frame"] for r in read_jsonl(jsonl)]
    assert frames == sorted(set(frames)) and frames[-1] >= 110
    assert frames_of(out)[0] == frames[-1] + 1  # one video frame per camera frame
    summary = result.stderr.splitlines()[-1]
    assert f"{frames[-1] + 1} frames captured, {len(frames)} taken, " in summary
    assert "frames dropped while busy" in summary and "latency median" in summary


def test_image_directory_to_images_and_stdout_jsonl(tmp_path, sample_truth):
    result = run_cli(SAMPLES / "frames", "-o", tmp_path / "annotated", "--json", "-")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in records] == [t["source"] for t in sample_truth]
    assert all(r["time"] == 0 for r in records)
    written = sorted(p.name for p in (tmp_path / "annotated").iterdir())
    assert written == [t["source"] for t in sample_truth]
    # The command and the API agree.
    reader = Reader()
    api = reader.read(cv2.imread(str(SAMPLES / "frames" / "frame_05.jpg"))).as_dict()
    assert {k: records[5][k] for k in ("digits", "numbers")} == api


def test_single_image_and_glob(tmp_path):
    out, source = tmp_path / "one.png", SAMPLES / "frames" / "frame_02.jpg"
    assert run_cli(source, "-o", out).returncode == 0
    assert cv2.imread(str(out)).shape == cv2.imread(str(source)).shape
    result = run_cli(str(SAMPLES / "frames" / "frame_0[12].jpg"), "--json", "-")
    assert [json.loads(x)["source"] for x in result.stdout.splitlines()] == [
        "frame_01.jpg", "frame_02.jpg"]


def test_gray_bgra_and_16bit_image_files(tmp_path):
    frame = cv2.imread(str(SAMPLES / "frames" / "frame_01.jpg"))
    variants = {"gray.png": cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY),
                "bgra.png": cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA),
                "deep.png": frame.astype(np.uint16) * 257}
    for name, image in variants.items():
        cv2.imwrite(str(tmp_path / name), image)
    result = run_cli(tmp_path, "--json", "-")
    numbers = [[n["text"] for n in json.loads(x)["numbers"]] for x in result.stdout.splitlines()]
    expected = [n.text for n in Reader().read(frame).numbers]
    assert numbers == [expected] * 3


def test_headless_says_so_once_and_writes_results_to_stdout():
    result = run_cli(SAMPLES / "frames" / "frame_02.jpg")
    assert result.returncode == 0
    assert result.stderr.count("no display") == 1
    assert json.loads(result.stdout)["numbers"]


def test_headless_with_an_output_wanted_no_window_and_says_nothing_of_it(tmp_path):
    result = run_cli(SAMPLES / "frames" / "frame_02.jpg", "--json", tmp_path / "out.jsonl")
    assert result.returncode == 0 and "display" not in result.stderr


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("livedigits ")
    assert "--min-confidence" in run_cli("--help").stdout


def write_model(path: Path, shape: list) -> Path:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    node = helper.make_node("Identity", ["image"], ["probs"])
    graph = helper.make_graph([node], "wrong",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("probs", TensorProto.FLOAT, shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9  # what onnxruntime 1.17+ reads
    onnx.save(model, path)
    return path


BAD_INPUTS = {
    "missing file": (["nope.mp4"], ["nope.mp4"]),
    "missing camera": (["--camera", "7"], ["camera 7"]),
    "unknown flag": (["x.mp4", "--frobnicate"], ["--frobnicate"]),
    "empty directory": (["{tmp}/empty"], ["no image files"]),
    "empty file": (["{tmp}/empty.mp4"], ["empty"]),
    "corrupt video": (["{tmp}/corrupt.mp4"], ["corrupt.mp4"]),
    "not an image": (["{tmp}/text.png"], ["text.png"]),
    "missing model": (["{frame}", "--model", "{tmp}/none.onnx"], ["none.onnx"]),
    "corrupt model": (["{frame}", "--model", "{tmp}/corrupt.onnx"], ["corrupt.onnx"]),
    "wrong model": (["{frame}", "--model", "{tmp}/wrong.onnx"], ["(N, 28, 28, 2)"]),
    "old-contract model": (["{frame}", "--model", "{tmp}/old.onnx"], ["old contract", "old.onnx"]),
    "unwritable output": (["{video}", "-o", "/proc/livedigits/out.mp4"], ["out.mp4"]),
    "unwritable json": (["{video}", "--json", "/proc/livedigits/out.jsonl"], ["out.jsonl"]),
    "bad output kind": (["{video}", "-o", "{tmp}/out.txt"], ["out.txt"]),
    "no glob match": (["{tmp}/*.jpg"], ["no image files"]),
    "two sources": (["{video}", "--camera", "0"], ["SOURCE and --camera"]),
    "bad --every": (["{video}", "--every", "0"], ["--every"]),
    "bad --width": (["--camera", "0", "--width", "-5"], ["--width"]),
    "no picamera2": (["--picamera"], ["picamera2"]),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gives_one_clear_line(tmp_path, case):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.mp4").touch()
    (tmp_path / "corrupt.mp4").write_bytes(os.urandom(20000))
    (tmp_path / "text.png").write_text("this is not a picture")
    (tmp_path / "corrupt.onnx").write_bytes(b"\x08\x07garbage")
    if case == "wrong model":
        write_model(tmp_path / "wrong.onnx", ["N", 32, 32, 3])
    if case == "old-contract model":  # one channel, the mask only: what livedigits 0.x shipped
        write_model(tmp_path / "old.onnx", ["N", 28, 28, 1])
    args, words = BAD_INPUTS[case]
    fill = {"tmp": tmp_path, "frame": SAMPLES / "frames" / "frame_00.jpg",
            "video": SAMPLES / "video.mp4"}
    result = run_cli(*[a.format(**fill) for a in args], "--no-display")
    assert_one_line_error(result, *words)
    if case == "unknown flag":
        assert result.returncode == 2


def long_video(path: Path, repeats: int = 6, frames: int = 120) -> int:
    """The sample video's first `frames` played `repeats` times: long enough to interrupt in
    the middle; MPEG-4 part 2, or MJPG for an .avi."""
    capture = cv2.VideoCapture(str(SAMPLES / "video.mp4"))
    images = [capture.read()[1] for _ in range(frames)]
    fourcc = "MJPG" if path.suffix == ".avi" else "mp4v"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 15, (1280, 720))
    for _ in range(repeats):
        for image in images:
            writer.write(image)
    writer.release()
    return len(images) * repeats


def test_first_ctrl_c_asks_to_stop_the_second_stops_now(capfd):
    with StopOnInterrupt() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "stopping after this frame" in capfd.readouterr().err


def test_an_ignored_ctrl_c_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for `livedigits ... &`
    try:
        with StopOnInterrupt() as stop:
            signal.raise_signal(signal.SIGINT)
        assert not stop.requested and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_ctrl_c_leaves_a_playable_video_and_complete_jsonl(tmp_path, live):
    total = long_video(tmp_path / "long.mp4")
    out, jsonl = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    process = subprocess.Popen([sys.executable, "-m", "livedigits", str(tmp_path / "long.mp4"),
                                "-o", str(out), "--json", str(jsonl)] + ["--live"] * live,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not jsonl.exists() or
                                           jsonl.read_text().count("\n") < 20):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    records = read_jsonl(jsonl)  # every line is whole JSON
    assert 20 <= len(records) < total
    frames = [r["frame"] for r in records]
    count, size = frames_of(out)
    assert size == (1280, 720)
    if live:  # frames dropped while busy leave gaps; the video keeps one frame per camera frame
        assert frames == sorted(set(frames)) and abs(count - (frames[-1] + 1)) <= 1
    else:
        assert frames == list(range(len(records))) and abs(count - len(records)) <= 1


def test_summary_of_one_image_has_no_rate_or_latency(tmp_path):
    result = run_cli(SAMPLES / "frames" / "frame_12.jpg", "-o", tmp_path / "out.png")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("livedigits: 1 image read: 22 digits, 5 numbers; ")
    assert "ms per reading" in result.stderr
    assert "latency" not in result.stderr and "/s" not in result.stderr


def test_summary_with_every_says_frames_in_the_video_and_frames_read(tmp_path):
    result = run_cli(SAMPLES / "video.mp4", "--every", "3", "--json", tmp_path / "out.jsonl")
    assert result.returncode == 0, result.stderr
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 40
    assert "livedigits: 120 frames, 40 read (--every 3): " in result.stderr
    assert "latency" not in result.stderr


def test_stills_carry_no_caption(tmp_path, reader):
    source = SAMPLES / "frames" / "frame_12.jpg"
    assert run_cli(source, "-o", tmp_path / "out.png").returncode == 0
    image = cv2.imread(str(source))
    expected = render(image, reader.read(image))
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "out.png")), expected)


def first_frame(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frame = capture.read()[1]
    capture.release()
    return frame


def test_video_frames_carry_a_caption_only_when_asked(tmp_path, reader):
    source = tmp_path / "short.avi"
    long_video(source, repeats=1, frames=3)
    plain, captioned = tmp_path / "plain.avi", tmp_path / "captioned.avi"
    assert run_cli(source, "-o", plain).returncode == 0
    assert run_cli(source, "-o", captioned, "--caption").returncode == 0
    image = first_frame(source)
    expected = render(image, reader.read(image)).astype(float)
    corner = np.s_[:40, :300]  # where the caption goes: dark text on a white box

    def changed(video: Path) -> float:  # share of the corner's pixels far from `expected`
        return float((np.abs(first_frame(video) - expected)[corner].max(axis=2) > 80).mean())

    assert changed(plain) < 0.001 and changed(captioned) > 0.03


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (links followed) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


CLOBBER = {  # what the user types (relative to a folder holding shots/ and clip.mp4)
    "folder into itself": ["shots", "-o", "shots"],
    "folder into itself/": ["shots/", "-o", "shots/"],
    "glob into its folder": ["shots/*.jpg", "-o", "shots"],
    "image onto itself": ["shots/a.jpg", "-o", "shots/a.jpg"],
    "image into its folder": ["shots/a.jpg", "-o", "shots"],
    "image through a link": ["shots/a.jpg", "-o", "link.jpg"],
    "video onto itself": ["clip.mp4", "-o", "clip.mp4"],
    "json onto the video": ["clip.mp4", "--json", "clip.mp4"],
    "json onto an image": ["shots", "--json", "shots/b.jpg"],
}


@pytest.mark.parametrize("case", CLOBBER)
def test_an_output_never_overwrites_an_input(tmp_path, case):
    shots = tmp_path / "shots"
    shots.mkdir()
    for name, frame in (("a.jpg", "frame_00.jpg"), ("b.jpg", "frame_01.jpg")):
        (shots / name).write_bytes((SAMPLES / "frames" / frame).read_bytes())
    long_video(tmp_path / "clip.mp4", repeats=1, frames=3)
    (tmp_path / "link.jpg").symlink_to(shots / "a.jpg")
    before = snapshot(tmp_path)
    result = run_cli(*CLOBBER[case], cwd=tmp_path)
    assert_one_line_error(result, "would overwrite the input")
    assert result.returncode == 2
    assert snapshot(tmp_path) == before


def test_two_outputs_into_one_file_are_refused(tmp_path):
    out = tmp_path / "out.mp4"
    result = run_cli(SAMPLES / "video.mp4", "-o", out, "--json", out)
    assert_one_line_error(result, "would both write")
    assert not out.exists()


def test_overwriting_an_output_is_said_once(tmp_path):
    out = tmp_path / "annotated"
    source = str(SAMPLES / "frames" / "frame_0[12].jpg")
    first = run_cli(source, "-o", out)
    assert first.returncode == 0 and "overwriting" not in first.stderr
    second = run_cli(source, "-o", out)
    assert second.returncode == 0
    assert second.stderr.count("livedigits: overwriting") == 1
    assert f"overwriting {out / 'frame_01.jpg'} and 1 more" in second.stderr


OUTPUT_KINDS = {  # source, -o, what the error says is expected
    "image to a video name": ("frames/frame_01.jpg", "out.mp4", "image file"),
    "image to a text name": ("frames/frame_01.jpg", "result.txt", "image file"),
    "images to one image": ("frames", "out.png", "16 images are annotated into a directory"),
    "video to an image name": ("video.mp4", "out.png", "video file"),
}


@pytest.mark.parametrize("case", OUTPUT_KINDS)
def test_an_output_name_that_does_not_fit_the_source_is_refused(tmp_path, case):
    source, output, words = OUTPUT_KINDS[case]
    result = run_cli(SAMPLES / source, "-o", tmp_path / output)
    assert_one_line_error(result, output, words)
    assert result.returncode == 2 and list(tmp_path.iterdir()) == []


BAD_NUMBERS = [("--scale", "10"), ("--scale", "0"), ("--scale", "-1"), ("--scale", "nan"),
               ("--min-confidence", "1.5"), ("--min-confidence", "-0.1"),
               ("--min-confidence", "nan"), ("--threads", "-1"), ("--threads", "two"),
               ("--every", "0"), ("--every", "2.5"), ("--width", "0"), ("--height", "-5"),
               ("--fps", "0"), ("--fps", "inf"), ("--camera", "-1")]


@pytest.mark.parametrize(("option", "value"), BAD_NUMBERS)
def test_a_bad_number_is_refused_where_it_is_parsed(option, value):
    result = run_cli(SAMPLES / "video.mp4", option, value, "--no-display")
    assert_one_line_error(result, option, value)
    assert result.returncode == 2


def test_the_scale_range_is_the_readers():
    low, high = SCALE_RANGE
    for scale in (low, high):
        Reader(scale=scale)
    for scale in (low * 0.99, high * 1.01):
        with pytest.raises(ValueError):
            Reader(scale=scale)


MISFITS = {
    "--live on an image": (["frames/frame_01.jpg", "--live"], "--live"),
    "--caption on images": (["frames", "--caption"], "--caption"),
    "--every on images": (["frames", "--every", "2"], "--every"),
    "--width on a video": (["video.mp4", "--width", "640"], "--width"),
}


@pytest.mark.parametrize("case", MISFITS)
def test_an_option_that_does_not_fit_the_source_is_said(case):
    args, words = MISFITS[case]
    result = run_cli(SAMPLES / args[0], *args[1:], "--json", "-")
    assert_one_line_error(result, words)
    assert result.returncode == 2 and result.stdout == ""


def test_a_missing_camera_says_what_to_try():
    result = run_cli("--camera", "7")
    assert_one_line_error(result, "camera 7", camera_hint(7))
    assert "/dev/video" in result.stderr or not sys.platform.startswith("linux")


def test_camera_hint_lists_the_devices_or_says_there_are_none(tmp_path):
    assert "no /dev/video* device" in camera_hint(0, [])
    devices = [tmp_path / name for name in ("video2", "video0", "video10", "video-meta")]
    for device in devices:
        device.touch()
    hint = camera_hint(4, devices)
    assert "/dev/video0, /dev/video2, /dev/video10" in hint


def run_in_terminal(*args: str, cwd: Path | None = None) -> str:
    """The command with stderr on a pseudo-terminal of 100 columns; what it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = subprocess.Popen([sys.executable, "-m", "livedigits", *map(str, args)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    text = b"".join(chunks).decode(errors="replace")
    assert process.wait(timeout=300) == 0, text
    return text


def test_progress_bar_on_a_terminal_has_count_rate_and_time_left(tmp_path):
    text = run_in_terminal(SAMPLES / "video.mp4", "--json", tmp_path / "out.jsonl")
    assert re.search(r"\d+/120 \[\d\d:\d\d<\d\d:\d\d, +\d+(\.\d+)?frame/s\]", text), text
    assert "livedigits: 120 frames: " in text  # the summary follows


def test_quiet_says_nothing_and_no_terminal_gets_no_bar(tmp_path):
    assert run_in_terminal(SAMPLES / "video.mp4", "--json", tmp_path / "a.jsonl", "-q") == ""
    result = run_cli(SAMPLES / "video.mp4", "--json", tmp_path / "b.jsonl")
    assert result.stderr.count("\n") == 1 and "frame/s]" not in result.stderr
    assert read_jsonl(tmp_path / "a.jsonl") == read_jsonl(tmp_path / "b.jsonl")


def test_the_package_holds_no_tool_only_modules():
    for name in ("metrics", "mnist"):
        assert importlib.util.find_spec(f"livedigits.{name}") is None
