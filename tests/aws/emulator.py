"""The AWS emulator the DynamoDB + SQS tests run against: moto's server, with one change.

moto's DynamoDB is not thread-safe: its server handles requests on threads, and an UpdateItem
`ADD` or a conditional PutItem is a read-modify-write in Python that another thread can
interleave, so increments are lost and two conditional writers can both win. On AWS every
DynamoDB request is atomic, and payorch relies on that (the conformance suite's concurrency
cases check it). This runs moto's own WSGI application with DynamoDB requests serialized
behind one lock, which is what AWS guarantees per item, and everything else (SQS, whose long
polls must not hold the lock) as moto serves it.

Usage: python tests/aws/emulator.py [--host 127.0.0.1] [--port 5000]
"""

import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))

    moto = DomainDispatcherApplication(create_backend_app)
    dynamodb = threading.Lock()

    def app(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with dynamodb:
                # Consume the whole answer under the lock: the write happens while it is made.
                return [b"".join(moto(environ, start_response))]
        return moto(environ, start_response)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
