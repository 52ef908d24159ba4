"""The run in a browser: the live overlay (MJPEG), each frame's record (Server-Sent Events), a
page to draw digits on (/draw) and an HTTP API (POST /read). Standard library only.

Threads: one accepts connections, each connection gets its own (ended when the client leaves,
stalls past TIMEOUT, or the server stops), and one encodes the overlay as JPEG while anyone
watches. The reader only publishes: it never waits for a viewer. Every viewer takes the newest
frame when it is ready for one, so a slow viewer skips frames instead of queueing them.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import cv2
import numpy as np

from .reader import Reader
from .render import add_caption, render
from .sinks import SinkError, record
from .sources import Frame, Source
from .types import Reading

DEFAULT_HOST = "127.0.0.1"
MAX_BODY = 10 * 1024 * 1024  # bytes of an image sent to POST /read
MAX_SIDE = 10_000  # pixels, either side of that image
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused: send it scaled down
MAX_CONNECTIONS = 64  # open at once; more are closed unanswered
MAX_UPLOADS = 4  # POST /read bodies held in memory at once; more wait, then get 503
STREAM_FPS = 15.0  # JPEGs encoded per second at most, shared by every MJPEG viewer
EVENTS_FPS = 30.0  # records sent per second at most to one SSE viewer
JPEG_QUALITY = 80
TIMEOUT = 20.0  # seconds a client may take to send a request or to take a write
HEARTBEAT = 5.0  # seconds between messages to an idle SSE viewer (finds closed tabs)

PAGES = {  # the whole of what GET can return from the package: no path reaches the disk
    "/": ("live.html", "text/html; charset=utf-8"),
    "/draw": ("draw.html", "text/html; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
    "/live.js": ("live.js", "text/javascript; charset=utf-8"),
    "/draw.js": ("draw.js", "text/javascript; charset=utf-8"),
}
STREAMS = ("/stream.mjpg", "/events")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BOUNDARY = b"frame"
Headers = tuple[tuple[str, str], ...]


class ServerError(SinkError):
    """The server cannot start (address in use, not allowed, unknown host)."""


def parse_address(text: str) -> tuple[str, int]:
    """`8000` -> ("127.0.0.1", 8000); `0.0.0.0:8000`, `[::1]:8000`, `localhost:0` as given."""
    host, colon, port = text.strip().rpartition(":")
    host = host.strip("[]") if colon else DEFAULT_HOST
    if not (port.isdigit() and int(port) <= 65535) or (colon and not host):
        raise ValueError(f"--serve takes PORT or HOST:PORT (port 0-65535), not {text!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: assume it is reachable from the network
        return False


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG or JPEG header, without decoding; None if neither."""
    if data.startswith(PNG_MAGIC):
        if data[12:16] != b"IHDR" or len(data) < 24:
            return None
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 <= len(data):  # JPEG segments up to the first start-of-frame
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:  # fill, no length
            i += 1 if marker == 0xFF else 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7],
                                                                               "big")
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


class RequestError(Exception):
    """A request the server refuses: the HTTP status and a message for the client."""

    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


def decode(data: bytes) -> np.ndarray:
    """A PNG or JPEG body as an image to read (transparency on white); RequestError if not."""
    if not data:
        raise RequestError(HTTPStatus.BAD_REQUEST, "empty body: send a PNG or JPEG image")
    size = image_size(data)
    if size is None:
        raise RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the body is not a PNG or JPEG image")
    width, height = size
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           f"image of {width}x{height} pixels: at most {MAX_SIDE} on a side "
                           f"and {MAX_PIXELS // 1_000_000} megapixels")
    png = data.startswith(PNG_MAGIC)  # JPEG: IMREAD_COLOR applies the EXIF orientation
    image = cv2.imdecode(np.frombuffer(data, np.uint8),
                         cv2.IMREAD_UNCHANGED if png else cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise RequestError(HTTPStatus.BAD_REQUEST, "the image cannot be decoded (corrupt?)")
    if image.ndim == 3 and image.shape[2] == 4:  # transparent canvas: ink on white paper
        alpha = image[:, :, 3:].astype(np.float32) / np.iinfo(image.dtype).max
        white = float(np.iinfo(image.dtype).max)
        image = (image[:, :, :3] * alpha + white * (1 - alpha)).astype(image.dtype)
    return image


class Newest:
    """The newest value published and its number: readers take the newest one newer than what
    they have, never a queue, so a reader that falls behind skips values."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._value: Any = None
        self._number = 0
        self.closed = False

    def put(self, value: Any) -> None:
        with self._changed:
            self._value, self._number = value, self._number + 1
            self._changed.notify_all()

    def get(self, after: int, timeout: float) -> tuple[int, Any] | None:
        """(number, value) once a value newer than `after` exists; None on timeout or close."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self._number > after, timeout)
            if self.closed or self._number <= after:
                return None
            return self._number, self._value

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


@dataclass(frozen=True, eq=False)
class Post:
    """One frame as published: its image, reading, JSON Lines record and the run's figures."""

    frame: Frame
    reading: Reading
    record: str
    caption: str
    figures: dict[str, float]


class Server:
    """Serves the pages, the stream of `source` (None: /draw and /read only) and POST /read.

    `publish` is called by the loop that reads the source, once per frame read; `reader` reads
    the images sent to /read, one at a time. Starts listening at once; `close` stops every
    thread it started and waits for them.
    """

    def __init__(self, address: tuple[str, int], reader: Reader, source: Source | None = None,
                 log: Callable[[str], None] = lambda _: None):
        self.reader, self.source = reader, source
        self.posts, self.jpegs = Newest(), Newest()
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.read_lock = threading.Lock()
        self.uploads = threading.BoundedSemaphore(MAX_UPLOADS)
        self._viewers = 0
        self._viewers_changed = threading.Condition()
        self._frames, self._reading_s, self._started = 0, 0.0, time.perf_counter()
        self.pages = {path: (resources.files(__package__).joinpath("web", name).read_bytes(),
                             kind) for path, (name, kind) in PAGES.items()}
        try:
            self.http = _HTTPServer(address, self)
        except (OSError, OverflowError) as error:
            raise ServerError(f"cannot serve on {address[0]}:{address[1]}: "
                              f"{getattr(error, 'strerror', None) or error}") from None
        self.host, self.port = address[0], self.http.server_address[1]
        self.threads = [threading.Thread(target=self.http.serve_forever, args=(0.2,),
                                         name="livedigits-http")]
        if source is not None:
            self.threads.append(threading.Thread(target=self._encode, name="livedigits-jpeg"))
        for thread in self.threads:
            thread.start()
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}/"
        log(f"serving {self.url}" + ("draw" if source is None else f" (draw at {self.url}draw)"))
        if not is_loopback(self.host):
            log(f"the page is open to the network on port {self.port}: anyone who can reach "
                "this machine can watch the stream and send images to read")

    def publish(self, frame: Frame, reading: Reading, seconds: float, caption: str = "") -> None:
        """Hand one frame read to the viewers (never waits for them). `seconds`: reading time."""
        now = time.perf_counter()
        self._frames += 1
        self._reading_s += seconds
        figures = {"frames": self._frames,
                   "fps": round(self._frames / max(now - self._started, 1e-9), 1),
                   "ms_per_reading": round(1000 * self._reading_s / self._frames, 2),
                   "latency_ms": round(1000 * (now - frame.captured), 1),
                   "dropped": getattr(self.source, "dropped", 0)}
        self.posts.put(Post(frame, reading, json.dumps(record(frame, reading)), caption, figures))

    @contextmanager
    def watching(self) -> Iterator[None]:
        """Counts an MJPEG viewer while it is connected: JPEGs are encoded only for viewers."""
        with self._viewers_changed:
            self._viewers += 1
            self._viewers_changed.notify_all()
        try:
            yield
        finally:
            with self._viewers_changed:
                self._viewers -= 1

    def _encode(self) -> None:
        """Render and encode the newest frame, at most STREAM_FPS times a second, while watched."""
        number = 0
        while not self.stopping.is_set():
            with self._viewers_changed:
                self._viewers_changed.wait_for(lambda: self._viewers or self.stopping.is_set())
            got = self.posts.get(number, HEARTBEAT)
            if got is None:
                continue
            number, post = got
            image = render(post.frame.image, post.reading)
            if post.caption:
                image = add_caption(image, post.caption)
            ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                self.jpegs.put(data.tobytes())
            self.stopping.wait(1 / STREAM_FPS)

    def read_image(self, data: bytes, probs: bool) -> dict[str, Any]:
        """The JSON Lines record of an image sent to /read; with `probs`, the class
        probabilities of a single digit (or of the only candidate) as `probs`."""
        image = decode(data)
        with self.read_lock:
            if probs:
                detections, reading = self.reader.detect_and_read(image)
            else:
                detections, reading = None, self.reader.read(image)
        out = record(Frame(image, 0, 0.0), reading)
        if detections is not None:
            boxes = detections.boxes.tolist()
            wanted = (list(reading.digits[0].box) if len(reading.digits) == 1 else
                      boxes[0] if not reading.digits and len(boxes) == 1 else None)
            if wanted in boxes:
                out["probs"] = [round(p, 4) for p in
                                detections.probs[boxes.index(wanted)].tolist()]
        return out

    def close(self) -> None:
        """Stop serving: viewers get the end of their stream, every thread is joined."""
        self.stopping.set()
        self.posts.close()
        self.jpegs.close()
        with self._viewers_changed:
            self._viewers_changed.notify_all()
        self.http.shutdown()  # no new connections
        deadline = time.monotonic() + 1.0  # time for viewers to say goodbye
        while self.connections and time.monotonic() < deadline:
            time.sleep(0.02)
        for connection in list(self.connections):  # stalled clients: wake their threads
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.http.server_close()  # joins the connections' threads
        for thread in self.threads:
            thread.join()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # joined on close, so none outlives the run
    block_on_close = True
    request_queue_size = MAX_CONNECTIONS  # 5 by default: a page's burst would wait for SYN retries

    def __init__(self, address: tuple[str, int], owner: Server):
        self.owner = owner
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return len(self.owner.connections) < MAX_CONNECTIONS

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A failed request ends its connection; the server and the reading go on."""


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "livedigits"
    sys_version = ""
    timeout = TIMEOUT  # for each read of the request and each write of a response
    disable_nagle_algorithm = True  # a part's end goes out with it, not after an ACK

    def setup(self) -> None:
        super().setup()
        self.owner = self.server.owner
        self.owner.connections.add(self.connection)

    def finish(self) -> None:
        with suppress(OSError):
            super().finish()
        self.owner.connections.discard(self.connection)

    def handle(self) -> None:
        with suppress(OSError):  # the client left, stalled or the server stops
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command's stderr is for the run."""

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Every error as JSON, also those http.server finds (bad request line, method)."""
        self.send_json(code, {"error": message or HTTPStatus(code).phrase})

    def send_json(self, code: int, body: dict[str, Any], headers: Headers = ()) -> None:
        self.send_body(code, json.dumps(body).encode(), "application/json", headers)

    def send_body(self, code: int, body: bytes, kind: str,
                  headers: Headers = ()) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_common_headers(headers)
        self.wfile.write(body)

    def send_common_headers(self, headers: Headers = ()) -> None:
        for name, value in {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                            "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:",
                            "Connection": "close", **dict(headers)}.items():
            self.send_header(name, value)
        self.end_headers()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        live = self.owner.source is not None
        if path in PAGES and (live or path != "/"):
            self.send_body(HTTPStatus.OK, *self.owner.pages[path])
        elif path == "/":  # no source: there is nothing to watch, only to draw
            self.send_body(HTTPStatus.SEE_OTHER, b"", "text/plain", (("Location", "/draw"),))
        elif path in STREAMS and not live:
            self.send_error(HTTPStatus.NOT_FOUND, "no source is being read: only /draw and "
                            "/read are served")
        elif path == "/stream.mjpg":
            self.stream()
        elif path == "/events":
            self.events()
        else:
            self.refuse(path)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path != "/read":
            self.refuse(path)
            return
        if not self.owner.uploads.acquire(timeout=TIMEOUT):
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "busy reading other images")
            return
        try:
            self.send_json(HTTPStatus.OK, self.owner.read_image(
                self.body(), "probs" in parse_qs(urlsplit(self.path).query)))
        except RequestError as error:
            self.send_error(error.status, str(error))
        finally:
            self.owner.uploads.release()

    def refuse(self, path: str) -> None:
        """405 for a known path asked with the wrong method, 404 for any other path."""
        if path == "/read":
            self.send_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "POST an image to /read"},
                           (("Allow", "POST"),))
        elif path in PAGES or path in STREAMS:
            self.send_json(HTTPStatus.METHOD_NOT_ALLOWED,
                           {"error": f"{self.command} is not allowed on {path}"},
                           (("Allow", "GET"),))
        else:
            self.send_error(HTTPStatus.NOT_FOUND, "no such page: try / or /draw")

    def do_other(self) -> None:
        self.refuse(urlsplit(self.path).path)

    do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_other

    def body(self) -> bytes:
        """The request body, within MAX_BODY, or RequestError."""
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "send the image with a Content-Length")
        if not length.strip().isdigit():
            raise RequestError(HTTPStatus.BAD_REQUEST, f"bad Content-Length: {length!r}")
        if int(length) > MAX_BODY:
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"body of {int(length)} bytes: at most {MAX_BODY} bytes")
        data = self.rfile.read(int(length))
        if len(data) < int(length):
            raise RequestError(HTTPStatus.BAD_REQUEST, "the body ended before Content-Length")
        return data

    def stream(self) -> None:
        """The overlay as MJPEG: each part the newest JPEG not sent yet."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type",
                         f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
        self.send_common_headers()
        number = 0
        with self.owner.watching():
            while (got := self.owner.jpegs.get(number, HEARTBEAT)) or not self.owner.jpegs.closed:
                if got:
                    number, jpeg = got
                    self.wfile.write(b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d"
                                     b"\r\n\r\n" % (BOUNDARY, len(jpeg)))
                    self.wfile.write(jpeg)  # not joined: no copy of the JPEG per viewer
                    self.wfile.write(b"\r\n")

    def events(self) -> None:
        """Server-Sent Events: each record as a message, the figures as `figures` once a
        second, `end` when the run ends; at most EVENTS_FPS records a second."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_common_headers()
        number, figures_due, stopping = 0, 0.0, self.owner.stopping
        while not stopping.is_set():
            got = self.owner.posts.get(number, HEARTBEAT)
            message = ""
            if got:
                number, post = got
                message = f"data: {post.record}\n\n"
                if time.monotonic() >= figures_due:
                    message += f"event: figures\ndata: {json.dumps(post.figures)}\n\n"
                    figures_due = time.monotonic() + 1.0
            self.wfile.write((message or ": still here\n\n").encode())
            stopping.wait(1 / EVENTS_FPS)
        self.wfile.write(b"event: end\ndata: {}\n\n")
