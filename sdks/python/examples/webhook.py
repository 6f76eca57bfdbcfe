import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from payorch import Webhook, WebhookVerificationError

# The endpoint's whsec_… secret, from `payorch webhook endpoint set`.
webhook = Webhook(os.environ["PAYORCH_WEBHOOK_SECRET"])


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        raw_body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            # The raw body, exactly as received: re-serialized JSON would not match its signature.
            event = webhook.verify(raw_body, dict(self.headers))
        except WebhookVerificationError as e:
            self.send_error(400, str(e))
            return
        charge = event["data"]["charge"]
        print(event["type"], charge["id"], charge["status"], flush=True)
        self.send_response(204)  # any 2xx; an event may come again (same webhook-id): dedupe on it
        self.end_headers()


HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3000"))), Receiver).serve_forever()
