"""What the stub network servers (xstub, blueskystub, mastodonstub) share: the request handler that
hands each request to its stub and writes the stub's JSON answer, and `Hold`, a response kept
back until the test releases it (to kill a worker mid-call, or to time out after sending)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler


class Hold:
    """A response the stub keeps back until the test releases it."""

    def __init__(self):
        self.reached = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def wait_released(self, timeout: float) -> None:
        self._released.wait(timeout)


class JSONHandler(BaseHTTPRequestHandler):
    """Each request to `stub.handle(method, path, headers, body) -> (status, headers, result)`,
    the result sent as JSON. A stub server subclasses it with `stub` set to itself."""

    stub = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _serve(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra_headers, result = self.stub.handle(self.command, self.path, headers, body)
        payload = b"" if result is None else json.dumps(result).encode()
        try:
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (a timeout after sending): nothing left to answer.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve
