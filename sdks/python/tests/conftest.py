"""Shared fixtures: a real local HTTP server that records every request and answers from a
script (`Scripted`), and `api`, one test body run against the sync and the async client."""

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Tuple, Union
from urllib.parse import parse_qsl, urlsplit

import anyio
import pytest

from payorch import AsyncPayorch, Payorch, RetryPolicy

# Fast retries for the unit tests (the waits themselves are what `_core.retry_delay` decides).
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)


@dataclass
class Answer:
    """A scripted answer: `drop` closes the connection without one; `hold` answers only once
    the event is set (a request that times out)."""

    status: int = 200
    body: Union[Dict[str, Any], bytes, None] = None
    headers: Dict[str, str] = field(default_factory=dict)
    drop: bool = False
    hold: Optional[threading.Event] = None


@dataclass
class Recorded:
    method: str
    path: str
    query: List[Tuple[str, str]]
    headers: Dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class Scripted:
    """An `http.server` on a free loopback port, in a thread."""

    def __init__(self) -> None:
        self.answers: Deque[Answer] = deque()
        self.requests: List[Recorded] = []
        self.holds: List[threading.Event] = []
        # When set, answers each request (instead of the queue of `script`).
        self.respond: Optional[Callable[[Recorded], Answer]] = None
        self.lock = threading.Lock()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                recorded = Recorded(
                    method=self.command,
                    path=url.path,
                    query=parse_qsl(url.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                with scripted.lock:
                    scripted.requests.append(recorded)
                    answer = scripted.next_answer(recorded)
                if answer.hold is not None:
                    answer.hold.wait(30)
                if answer.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = (
                    answer.body
                    if isinstance(answer.body, bytes)
                    else json.dumps(answer.body).encode()
                    if answer.body is not None
                    else b""
                )
                try:
                    self.send_response(answer.status)
                    headers = {"Content-Type": "application/json", **answer.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def next_answer(self, request: Recorded) -> Answer:
        if self.respond is not None:
            return self.respond(request)
        if self.answers:
            return self.answers.popleft()
        return Answer(500, {"error": {"type": "api_error", "code": "unscripted",
                                      "message": "no answer scripted", "param": None}})

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def hold(self) -> threading.Event:
        event = threading.Event()
        self.holds.append(event)
        return event

    def close(self) -> None:
        for event in self.holds:
            event.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Scripted]:
    s = Scripted()
    yield s
    s.close()


def error_body(type_: str, code: str, message: str = "no", param: Optional[str] = None,
               **extra: Any) -> Dict[str, Any]:
    return {"error": {"type": type_, "code": code, "message": message, "param": param, **extra}}


def charge_body(id_: str = "ch_1", **fields: Any) -> Dict[str, Any]:
    charge: Dict[str, Any] = {
        "id": id_, "object": "charge", "tenant": "default", "status": "succeeded",
        "amount": 1990, "currency": "BRL", "amount_refunded": 0, "method": "card",
        "attempts": [], "refunds": [], "customer": {"name": "Maria"}, "metadata": {},
        "created_at": "2026-12-05T07:00:00.000Z", "updated_at": "2026-12-05T07:00:00.000Z",
    }
    charge.update(fields)
    return charge


class Api:
    """Runs `fn(client)` with a `Payorch` (sync) or inside an event loop with an
    `AsyncPayorch` (async), so one test body checks both clients. `fn` returns the call's
    result (sync) or its awaitable (async)."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url

    def __call__(self, fn: Callable[[Any], Any], **options: Any) -> Any:
        options.setdefault("retry", FAST)
        if self.kind == "sync":
            with Payorch("po_sk_test", base_url=self.url, **options) as client:
                return fn(client)

        async def run() -> Any:
            async with AsyncPayorch("po_sk_test", base_url=self.url, **options) as client:
                result = fn(client)
                if hasattr(result, "__aiter__"):
                    return [item async for item in result]
                return await result

        return anyio.run(run)

    def all(self, fn: Callable[[Any], Any], **options: Any) -> Any:
        """`fn`'s iterator (sync) or async iterator (async), collected into a list."""
        if self.kind == "sync":
            return self(lambda c: list(fn(c)), **options)
        return self(fn, **options)


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, server: Scripted) -> Api:
    return Api(request.param, server.url)
