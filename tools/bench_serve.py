"""What --serve costs the reader: frames read per second with 20 viewers and with none.

    python tools/bench_serve.py                       # 3 rounds of: 5 s alone, 10 s watched
    python tools/bench_serve.py --viewers PORT 10     # only the 20 viewers (used by the tests)

The reader reads the sample video over and over as fast as it can (one thread, as the command
does) and publishes every frame to a livedigits server; the viewers run in another process:
6 watch the MJPEG stream, 6 the events, 4 and 4 connect and never read a byte. Reported: the
reader's frames per second in 1-second windows (medians), the CPU seconds of each kind of
thread, and the process's resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

VIDEO = Path(__file__).resolve().parents[1] / "samples" / "video.mp4"
VIEWERS = (["/stream.mjpg"] * 6 + ["/events"] * 6  # these read everything sent
           + ["/stream.mjpg"] * 4 + ["/events"] * 4)  # these never read
MARKS = {"/stream.mjpg": b"Content-Type: image/jpeg", "/events": b"data: {"}


def run_viewers(port: int, seconds: float) -> None:
    """Connect the 20 viewers to 127.0.0.1:port, say "connected", read for `seconds`, print
    [path, reads, parts or records received] per viewer as JSON. One thread, one selector."""
    selector, viewers = selectors.DefaultSelector(), []
    for number, path in enumerate(VIEWERS):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        viewer = {"path": path, "reads": number < 12, "count": 0, "tail": b"", "sock": sock}
        viewers.append(viewer)
        if viewer["reads"]:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, viewer)
    print("connected", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in selector.select(0.2):
            viewer, mark = key.data, MARKS[key.data["path"]]
            data = viewer["tail"] + key.fileobj.recv(1 << 20)
            viewer["count"] += data.count(mark)
            viewer["tail"] = data[-len(mark) + 1:]  # a mark cut in two is counted once
    print(json.dumps([(v["path"], v["reads"], v["count"]) for v in viewers]), flush=True)


def viewers_process(port: int, seconds: float) -> subprocess.Popen:
    """run_viewers in a new process, returned once every viewer has connected."""
    process = subprocess.Popen([sys.executable, __file__, "--viewers", str(port), str(seconds)],
                               stdout=subprocess.PIPE, text=True)
    if process.stdout.readline().strip() != "connected":
        process.kill()
        raise RuntimeError("the viewers could not connect")
    return process


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def cpu_seconds() -> dict[str, float]:
    """CPU seconds of this process's threads by kind: reader, jpeg, http, viewers, other."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    kinds: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        name = names.get(int(tid), "other")
        kind = {"reader": "reader", "livedigits-jpeg": "jpeg", "livedigits-http": "http"}.get(
            name, "viewers" if name.startswith("Thread-") else "other")
        kinds[kind] = kinds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK")
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", nargs=2, metavar=("PORT", "SECONDS"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.viewers:
        run_viewers(int(args.viewers[0]), float(args.viewers[1]))
        return

    import cv2

    from livedigits import Reader, Tracker, open_source
    from livedigits.server import Server

    cv2.setNumThreads(1)
    source = open_source(str(VIDEO))
    server = Server(("127.0.0.1", 0), Reader(), source)
    frames, stop = [0], threading.Event()

    def read_forever() -> None:
        reader = Reader()
        while not stop.is_set():
            tracker = Tracker()
            with open_source(str(VIDEO)) as video:
                for frame in video:
                    tick = time.perf_counter()
                    reading = reader.read(frame.image, tracker)
                    server.publish(frame, reading, time.perf_counter() - tick, "caption")
                    frames[0] += 1
                    if stop.is_set():
                        return

    def windows(seconds: int) -> tuple[list[float], dict[str, float]]:
        rates, cpu = [], cpu_seconds()
        for _ in range(seconds):
            start, count = time.perf_counter(), frames[0]
            time.sleep(1.0)
            rates.append((frames[0] - count) / (time.perf_counter() - start))
        after = cpu_seconds()
        return rates, {k: round((v - cpu.get(k, 0.0)) / seconds, 3) for k, v in after.items()}

    thread = threading.Thread(target=read_forever, name="reader")
    thread.start()
    time.sleep(2.0)
    print(f"RSS {rss_mb():.0f} MB at the start")
    for round_ in range(1, args.rounds + 1):
        alone, cpu_alone = windows(5)
        viewers = viewers_process(server.port, 10.5)
        watched, cpu_watched = windows(10)
        counts = json.loads(viewers.stdout.readline())
        viewers.wait()
        print(f"round {round_}: frames/s alone {statistics.median(alone):.1f} "
              f"(windows {min(alone):.0f}-{max(alone):.0f}), with 20 viewers "
              f"{statistics.median(watched):.1f} ({min(watched):.0f}-{max(watched):.0f}); "
              f"ratio {statistics.median(watched) / statistics.median(alone):.2f}")
        print(f"  CPU cores used alone {cpu_alone}, watched {cpu_watched}")
        print(f"  RSS {rss_mb():.0f} MB; viewers got "
              f"{[count for _, reads, count in counts if reads]} parts/records")
    stop.set()
    thread.join()
    server.close()
    source.close()


if __name__ == "__main__":
    main()
