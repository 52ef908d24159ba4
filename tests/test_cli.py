"""The `livedigits` command as a user runs it: outputs, bad input, interruption, headless."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLES, run_cli
from metrics import read_jsonl, score

from livedigits import Reader
from livedigits.cli import StopOnInterrupt

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
    assert "120 frames" in result.stderr and "ms per frame" in result.stderr


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
    assert "frames dropped while busy" in result.stderr and "latency median" in result.stderr


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


def long_video(path: Path, repeats: int = 6) -> int:
    """The sample video played `repeats` times: long enough to interrupt in the middle."""
    capture = cv2.VideoCapture(str(SAMPLES / "video.mp4"))
    frames = []
    while (frame := capture.read()[1]) is not None:
        frames.append(frame)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (1280, 720))
    for _ in range(repeats):
        for frame in frames:
            writer.write(frame)
    writer.release()
    return len(frames) * repeats


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
