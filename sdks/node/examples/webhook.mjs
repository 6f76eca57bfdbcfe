import http from "node:http";
import { Webhook, WebhookVerificationError } from "payorch";

const webhook = new Webhook(process.env.PAYORCH_WEBHOOK_SECRET); // whsec_… from `payorch webhook endpoint set`

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      try {
        // The raw body, exactly as received: re-serialized JSON would not match its signature.
        const event = webhook.verify(Buffer.concat(chunks), req.headers);
        console.log(event.type, event.data.charge.id, event.data.charge.status);
        res.writeHead(204).end(); // any 2xx; events may come again (same webhook-id): dedupe on it
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        res.writeHead(400).end(err.message);
      }
    });
  })
  .listen(Number(process.env.PORT ?? 3000), "127.0.0.1");
