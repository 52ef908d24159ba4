"""--serve over real HTTP on loopback: the command on the sample video, its stream, events and
POST /read, every bad request, and the server's threads under 20 viewers."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc

import cv2
import numpy as np
import pytest
from conftest import ROOT, SAMPLES, SEVEN, Served, Stream, drawn_digit, request, run_cli
from metrics import read_jsonl

from livedigits import Reader, Tracker
from livedigits.server import (
    MAX_BODY,
    MAX_CONNECTIONS,
    MAX_SIDE,
    Server,
    decode,
    image_size,
    is_loopback,
    parse_address,
)
from livedigits.sources import LiveSource, Replay

VIDEO = SAMPLES / "video.mp4"


def png(image: np.ndarray) -> bytes:
    return cv2.imencode(".png", image)[1].tobytes()


def read_seven(port: int, probs: bool = False) -> dict:
    status, headers, body = request(port, "POST", "/read" + "?probs=1" * probs,
                                    png(drawn_digit(SEVEN)), {"Content-Type": "image/png"})
    assert status == 200 and headers["Content-Type"] == "application/json", body
    return json.loads(body)


@pytest.mark.parametrize(("text", "address"), [
    ("8000", ("127.0.0.1", 8000)), ("0.0.0.0:8000", ("0.0.0.0", 8000)),
    ("[::1]:80", ("::1", 80)), ("localhost:0", ("localhost", 0))])
def test_parse_address(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", "http", ":8000", "70000", "host:", "-1"])
def test_parse_address_refuses(text):
    with pytest.raises(ValueError, match="--serve"):
        parse_address(text)


def test_loopback_hosts():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    assert not is_loopback("example.org")


@pytest.mark.parametrize("params", [[], [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]],
                         ids=["baseline", "progressive"])
def test_image_size_from_headers(params):
    image = np.zeros((37, 53, 3), np.uint8)
    assert image_size(png(image)) == (53, 37)
    assert image_size(cv2.imencode(".jpg", image, params)[1].tobytes()) == (53, 37)
    assert image_size(b"GIF89a" + bytes(20)) is None
    assert image_size(png(image)[:20]) is None


def test_a_transparent_drawing_is_read_on_white(reader):
    ink = drawn_digit(SEVEN)[:, :, 0] < 128
    bgra = np.zeros((*ink.shape, 4), np.uint8)  # black, transparent where there is no ink
    bgra[ink, 3] = 255
    image = decode(png(bgra))
    assert image.shape == (*ink.shape, 3) and image[0, 0].tolist() == [255, 255, 255]
    assert [d.label for d in reader.read(image).digits] == [7]


def bad_requests(port: int) -> list[tuple[str, int, str]]:
    """Every bad request the issue names, sent to a running server: (case, status, error)."""
    huge = png(np.zeros((1, MAX_SIDE + 1), np.uint8))  # a valid image of absurd width
    cases = {
        "not an image": ("POST", "/read", b"hello, this is not an image", {}),
        "empty body": ("POST", "/read", b"", {}),
        "corrupt image": ("POST", "/read", png(drawn_digit(SEVEN))[:200], {}),
        "absurd size": ("POST", "/read", huge, {}),
        "bad length": ("POST", "/read", None, {"Content-Length": "ten"}),
        "wrong method": ("GET", "/read", None, {}),
        "wrong method on a page": ("DELETE", "/", None, {}),
        "wrong path": ("GET", "/../../etc/passwd", None, {}),
        "unknown method": ("BREW", "/", None, {}),
    }
    results = []
    for case, (method, path, body, headers) in cases.items():
        status, got, data = request(port, method, path, body, headers)
        assert got["Content-Type"] == "application/json", case
        results.append((case, status, json.loads(data)["error"]))
    # Over the size limit: the client says how much it would send; refused before it is sent.
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(f"POST /read HTTP/1.0\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n"
                           .encode())
        reply = connection.makefile("rb").read().decode()
    head, _, body = reply.partition("\r\n\r\n")
    results.append(("too large", int(head.split()[1]), json.loads(body)["error"]))
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(b"POST /read HTTP/1.0\r\n\r\n")  # no Content-Length
        head, _, body = connection.makefile("rb").read().decode().partition("\r\n\r\n")
    results.append(("no length", int(head.split()[1]), json.loads(body)["error"]))
    return results


EXPECTED_ERRORS = {"not an image": (415, "not a PNG or JPEG"), "empty body": (400, "empty"),
                   "corrupt image": (400, "cannot be decoded"), "absurd size": (413, "10001x1"),
                   "bad length": (400, "Content-Length"), "wrong method": (405, "POST"),
                   "wrong method on a page": (405, "DELETE"), "wrong path": (404, "no such"),
                   "unknown method": (501, "Unsupported method"), "too large": (413, "at most"),
                   "no length": (411, "Content-Length")}


def test_the_command_streams_the_video_and_reads_posts_while_it_runs(tmp_path):
    jsonl = tmp_path / "out.jsonl"
    with Served(VIDEO, "--live", "--json", jsonl) as served:
        events, mjpeg = Stream(served.port, "/events"), Stream(served.port, "/stream.mjpg")
        assert events.headers["content-type"] == "text/event-stream"
        assert mjpeg.headers["content-type"] == "multipart/x-mixed-replace; boundary=frame"
        received: list[tuple[str, str]] = []
        listener = threading.Thread(target=collect, args=(events, received))
        listener.start()
        parts = [mjpeg.jpeg() for _ in range(3)]
        page = request(served.port, "GET", "/")
        seven = read_seven(served.port)
        errors = bad_requests(served.port)
        after_errors = len(received)
        flowing = [mjpeg.jpeg() for _ in range(2)]  # after every bad request
        code = served.wait()
        listener.join(60)
        mjpeg.close()
    assert code == 0, served.stderr()
    assert "Traceback" not in served.stderr()
    for part in parts + flowing:
        image = cv2.imdecode(np.frombuffer(part, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape == (720, 1280, 3)
    assert page[0] == 200 and b'src="/stream.mjpg"' in page[2]
    assert seven["frame"] == 0 and seven["source"] is None and "probs" not in seven
    assert {case: status for case, status, _ in errors} == {
        case: status for case, (status, _) in EXPECTED_ERRORS.items()}
    for case, _, error in errors:
        assert EXPECTED_ERRORS[case][1] in error, (case, error)
    # The events: every record equals the JSON line written for its frame, in order, and they
    # went on arriving after the bad requests; the figures come along; the end is announced.
    written = {r["frame"]: r for r in read_jsonl(jsonl)}
    records = [json.loads(data) for name, data in received if name == "message"]
    assert len(records) >= 10
    assert any(name == "message" for name, _ in received[after_errors:])
    assert all(r == written[r["frame"]] for r in records)
    assert [r["frame"] for r in records] == sorted({r["frame"] for r in records})
    assert any(r["numbers"] for r in records)
    figures = [json.loads(data) for name, data in received if name == "figures"]
    assert figures and set(figures[-1]) == {"frames", "fps", "ms_per_reading", "latency_ms",
                                            "dropped"}
    assert received[-1][0] == "end"
    with pytest.raises(ConnectionRefusedError):  # the server stopped with the run
        socket.create_connection(("127.0.0.1", served.port), timeout=10)
    assert [d["label"] for d in seven["digits"]] == [7] and seven["numbers"][0]["text"] == "7"


def collect(stream: Stream, events: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Append the events of `stream` to `events` as they come, up to `end`; then close it."""
    try:
        while not events or events[-1][0] != "end":
            events.append(stream.event())
    except (EOFError, OSError):
        pass
    stream.close()
    return events


def test_ctrl_c_ends_the_run_and_the_server_with_outputs_complete(tmp_path):
    jsonl = tmp_path / "out.jsonl"
    with Served(VIDEO, "--live", "--json", jsonl) as served:
        events = Stream(served.port, "/events")
        assert events.event()[0] == "message"  # frames are being read
        served.process.send_signal(signal.SIGINT)
        rest = collect(events, [])
        code = served.wait()
    assert code == 130 and "interrupted" in served.stderr(), served.stderr()
    assert "Traceback" not in served.stderr()
    assert rest[-1][0] == "end"
    records = read_jsonl(jsonl)  # every line whole
    assert 1 <= len(records) < 110
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", served.port), timeout=10)


def test_serve_without_a_source_reads_drawings_until_ctrl_c():
    with Served() as served:
        assert "draw" in served.stderr()
        status, headers, _ = request(served.port, "GET", "/")
        assert status == 303 and headers["Location"] == "/draw"
        status, headers, page = request(served.port, "GET", "/draw")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"<canvas" in page and "default-src 'self'" in headers["Content-Security-Policy"]
        for path in ("/stream.mjpg", "/events"):
            status, _, body = request(served.port, "GET", path)
            assert status == 404 and "only /draw" in json.loads(body)["error"]
        seven = read_seven(served.port, probs=True)
        served.process.send_signal(signal.SIGINT)
        code = served.wait()
    assert code == 0 and "Traceback" not in served.stderr(), served.stderr()
    assert [d["label"] for d in seven["digits"]] == [7]
    assert len(seven["probs"]) == 11 and int(np.argmax(seven["probs"])) == 7
    assert sum(seven["probs"]) == pytest.approx(1, abs=1e-3)


def test_serve_errors_are_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--serve", f"127.0.0.1:{port}", timeout=120)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"livedigits: error: cannot serve on 127.0.0.1:{port}")
    result = run_cli(VIDEO, "--serve", "eighty")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--serve takes PORT or HOST:PORT" in result.stderr


def test_an_open_address_says_so(reader):
    said: list[str] = []
    server = Server(("0.0.0.0", 0), reader, log=said.append)
    server.close()
    assert len(said) == 2 and "open to the network" in said[1]


def test_connections_past_the_limit_are_closed_and_idle_ones_end_with_the_server(reader):
    threads_before = set(threading.enumerate())
    server = Server(("127.0.0.1", 0), reader)
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=60)
            for _ in range(MAX_CONNECTIONS)]  # connected, never sending a request
    deadline = time.monotonic() + 30
    while len(server.connections) < MAX_CONNECTIONS and time.monotonic() < deadline:
        time.sleep(0.02)
    full = len(server.connections)
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as extra:
        extra.sendall(b"GET /draw HTTP/1.0\r\n\r\n")
        try:
            unanswered = extra.recv(100) == b""
        except ConnectionResetError:
            unanswered = True
    idle.pop().close()  # one leaves: there is room again
    while len(server.connections) >= MAX_CONNECTIONS and time.monotonic() < deadline:
        time.sleep(0.02)
    served = request(server.port, "GET", "/draw")[0]
    server.close()  # the idle ones would wait TIMEOUT; closing ends them now
    for connection in idle:
        connection.close()
    assert full == MAX_CONNECTIONS and unanswered and served == 200
    assert set(threading.enumerate()) <= threads_before


# Load: the sample video as a 30 fps camera on a loop, read and published as the command does;
# 20 viewers in another process (tools/bench_serve.py). tools/bench_serve.py also measures
# what serving costs a reader that runs flat out; that is a figure, not a test.


class LoopedVideo:
    """The sample video delivered as a camera would, at 10 fps (2/3 of its speed), forever: a
    rate the reader keeps up with even on a loaded 2-core machine, so that frames read per
    second measure waiting on viewers, not how busy the machine is."""

    SPEED = 2 / 3

    def __init__(self) -> None:
        self.replay = Replay(str(VIDEO), "video", speed=self.SPEED)
        self.fps = 15.0 * self.SPEED

    def read(self) -> tuple[bool, np.ndarray | None]:
        try:
            return self.replay.read()
        except EOFError:
            self.replay.release()
            self.replay = Replay(str(VIDEO), "video", speed=self.SPEED)
            return self.replay.read()

    def release(self) -> None:
        self.replay.release()


class Publisher(threading.Thread):
    """The command's loop over a live source, without its other outputs."""

    def __init__(self, source: LiveSource, server: Server):
        super().__init__(name="publisher")
        self.source, self.server, self.frames = source, server, 0
        self.stop = threading.Event()

    def run(self) -> None:
        reader, tracker = Reader(), Tracker()
        for frame in self.source:
            tick = time.perf_counter()
            reading = reader.read(frame.image, tracker)
            self.server.publish(frame, reading, time.perf_counter() - tick, "caption")
            self.frames += 1
            if self.stop.is_set():
                return


def measure(publisher: Publisher, seconds: int, memory: list[float]) -> tuple[int, float]:
    """(frames read, seconds) over `seconds`; the Python heap sampled each second."""
    start, count = time.perf_counter(), publisher.frames
    for _ in range(seconds):
        time.sleep(1.0)
        memory.append(tracemalloc.get_traced_memory()[0] / 2**20)
    return publisher.frames - count, time.perf_counter() - start


def test_twenty_viewers_for_ten_seconds_leave_the_reader_alone(reader):
    """20 viewers for 10 s, 8 of which never read: frames read per second within 20% of those
    with no viewer (before and after, same process), the memory held stays bounded, each closed
    connection frees its thread and after close no thread is left."""
    threads_before = set(threading.enumerate())
    source = LiveSource(LoopedVideo, "the sample video on a loop")
    server = Server(("127.0.0.1", 0), reader, source)
    publisher = Publisher(source, server)
    tracemalloc.start()  # in both phases alike: Python's own count, not the allocator's
    try:
        publisher.start()
        measure(publisher, 2, [])  # warm up
        alone_memory: list[float] = []
        watched_memory: list[float] = []
        alone = [measure(publisher, 4, alone_memory)]
        rss_before = rss_mb()
        viewers = subprocess.Popen([sys.executable, str(ROOT / "tools" / "bench_serve.py"),
                                    "--viewers", str(server.port), "10"],
                                   stdout=subprocess.PIPE, text=True)
        assert viewers.stdout.readline().strip() == "connected"
        deadline = time.monotonic() + 30  # each has its thread once its request is read
        while len(server.connections) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        connected = len(server.connections)
        watched = measure(publisher, 9, watched_memory)
        rss_watched = rss_mb()
        counts = json.loads(viewers.stdout.readline())
        viewers.wait(60)
        deadline = time.monotonic() + 30  # the viewers are gone: so must be their threads
        while server.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        left_open = len(server.connections)
        alone.append(measure(publisher, 4, alone_memory))
    finally:
        tracemalloc.stop()
        publisher.stop.set()
        publisher.join()
        server.close()
        source.close()
    print(f"frames, seconds alone {alone}, watched {watched}; Python heap MB alone "
          f"{alone_memory}, watched {watched_memory}; RSS {rss_before:.0f} -> {rss_watched:.0f}"
          f" MB; viewers {counts}")
    assert connected == 20 and left_open == 0  # a closed tab frees its thread
    assert min(count for _, reads, count in counts if reads) >= 20  # all along, every viewer
    alone_fps = sum(n for n, _ in alone) / sum(t for _, t in alone)
    assert watched[0] / watched[1] > 0.8 * alone_fps, (alone, watched)
    # One frame is 2.7 MB and a JPEG 90 kB: a queue for a viewer that never reads would add
    # 0.5 MB (JPEGs) to 80 MB (frames) per second; what serving holds is a few frames.
    assert max(watched_memory) - max(alone_memory) < 20, (alone_memory, watched_memory)
    assert rss_watched - rss_before < 150  # allocator arenas of the new threads included
    assert set(threading.enumerate()) <= threads_before


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
