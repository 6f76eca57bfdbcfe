"""A real payorch for the end-to-end tests: `payorch sandbox` (fake Stripe, Efí, Asaas) and
`payorch serve --sandbox` on free loopback ports, in a throwaway HOME and data dir with its own
data key, an API key, and a webhook endpoint pointing at a local receiver that records every
delivery. Every process is killed by `close()`.

The binary is `$PAYORCH_BIN`, else what `cargo test` builds: `$CARGO_TARGET_DIR/debug/payorch`
(default `target/` in the clone)."""

import base64
import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import httpx

REPO = Path(__file__).resolve().parent.parent.parent.parent
T = TypeVar("T")


def payorch_bin() -> Path:
    explicit = os.environ.get("PAYORCH_BIN")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "debug" / "payorch"


def wait_for(what: str, probe: Callable[[], Optional[T]], bound: float = 60.0) -> T:
    """Polls `probe` until it returns something; a hang guard, never a timing assertion."""
    deadline = time.monotonic() + bound
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {bound:.0f} s")
        time.sleep(0.1)


class Receiver:
    """The merchant's webhook endpoint: records each delivery's headers and raw body, 200."""

    def __init__(self) -> None:
        self.deliveries: List[Tuple[Dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.deliveries.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Stack:
    def __init__(self) -> None:
        self.bin = payorch_bin()
        if not self.bin.is_file():
            raise AssertionError(
                f"no payorch binary at {self.bin}: build it (cargo build) or set PAYORCH_BIN")
        self.dir = tempfile.TemporaryDirectory(prefix="payorch-pysdk-")
        root = Path(self.dir.name)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("PAYORCH_", "XDG_"))}
        self.env.update(
            HOME=str(root),
            XDG_CONFIG_HOME=str(root / "config"),
            XDG_DATA_HOME=str(root / "xdg-data"),
            PAYORCH_DATA_DIR=str(root / "data"),
            PAYORCH_DATA_KEY=base64.b64encode(os.urandom(32)).decode(),
            PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
            NO_COLOR="1",
        )
        self.processes: List[subprocess.Popen[str]] = []
        self.receiver = Receiver()
        try:
            self.sandbox_url = self.start("sandbox", "--bind", "127.0.0.1:0")
            self.api_key: str = self.cli_json("apikey", "create")["secret"]
            endpoint = self.cli_json("webhook", "endpoint", "set", self.receiver.url)
            self.webhook_secret: str = endpoint["secret"]
            self.url = self.start("serve", "--bind", "127.0.0.1:0", "--sandbox", self.sandbox_url)
            wait_for("serve is ready", self._ready)
        except BaseException:
            self.close()
            raise

    def _ready(self) -> Optional[bool]:
        try:
            return True if httpx.get(self.url + "/readyz").status_code == 200 else None
        except httpx.TransportError:
            return None

    def start(self, *args: str) -> str:
        """Starts `payorch ARGS…`; the URL its first line (`listening on URL`) announces."""
        p = subprocess.Popen(
            [str(self.bin), *args], env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.processes.append(p)
        out = p.stdout
        assert out is not None
        lines: "queue.Queue[str]" = queue.Queue()

        def read() -> None:
            # Every line, so it never blocks on a full pipe; the first is the address.
            for line in iter(out.readline, ""):
                lines.put(line)
            lines.put("")

        threading.Thread(target=read, daemon=True).start()
        try:
            first = lines.get(timeout=60).strip()
        except queue.Empty:
            raise AssertionError(f"payorch {' '.join(args)} printed nothing in 60 s") from None
        if not first.startswith("listening on "):
            raise AssertionError(f"payorch {' '.join(args)} said {first!r}")
        return first[len("listening on "):]

    def cli(self, *args: str) -> str:
        run = subprocess.run([str(self.bin), *args], env=self.env, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, timeout=120)
        if run.returncode != 0:
            raise AssertionError(f"payorch {' '.join(args)}: exit {run.returncode}\n{run.stderr}")
        return run.stdout

    def cli_json(self, *args: str) -> Dict[str, Any]:
        value: Dict[str, Any] = json.loads(self.cli(*args, "-o", "json"))
        return value

    def sandbox(self, *args: str) -> str:
        """`payorch sandbox ARGS… --url SANDBOX`."""
        return self.cli("sandbox", *args, "--url", self.sandbox_url)

    def event(self, type_: str, charge_id: str) -> Tuple[Dict[str, str], bytes]:
        """The delivery of the event `type_` of `charge_id` (waits for it)."""

        def find() -> Optional[Tuple[Dict[str, str], bytes]]:
            for headers, body in list(self.receiver.deliveries):
                event = json.loads(body)
                if event["type"] == type_ and event["data"]["charge"]["id"] == charge_id:
                    return headers, body
            return None

        return wait_for(f"a {type_} delivery for {charge_id}", find)

    def close(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.receiver.close()
        self.dir.cleanup()
