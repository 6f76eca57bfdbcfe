// End to end: the SDK against a real `payorch serve` + `payorch sandbox` (./stack.mjs), as a
// merchant's backend uses it. A Pix charge paid through the sandbox whose `charge.succeeded`
// delivery the SDK's Webhook verifies, a card charge, refunds, a replayed key, the 422 of a key
// reused with another body, the 409 of a key still in flight, a 400 naming its field,
// pagination over real pages, and the README's examples run as they are written.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { IdempotencyError, InvalidRequestError, Payorch, Webhook, WebhookVerificationError } from "payorch";
import { startStack, waitFor } from "./stack.mjs";

const SDK = fileURLToPath(new URL("../..", import.meta.url));

let stack;
let payorch;

before(async () => {
  stack = await startStack();
  payorch = new Payorch({ apiKey: stack.apiKey, baseUrl: stack.url });
});
after(async () => {
  await stack?.close();
});

const customer = { name: "Maria Silva", document: "529.982.247-25", email: "maria@example.com" };
const pix = (order) => ({
  amount: 1990,
  currency: "BRL",
  method: "pix",
  customer,
  description: `Order ${order}`,
  metadata: { order_id: order },
});

/** The delivery of `type` for charge `id` the receiver got, once it came. */
function delivery(type, id) {
  return waitFor(`a ${type} delivery for ${id}`, () =>
    stack.deliveries.find((d) => {
      const event = JSON.parse(d.body.toString("utf8"));
      return event.type === type && event.data?.charge?.id === id;
    }),
  );
}

test("a Pix charge paid through the sandbox: its charge.succeeded delivery verifies with the SDK's Webhook", async () => {
  const charge = await payorch.charges.create(pix(randomUUID()));
  assert.match(charge.id, /^ch_/);
  assert.equal(charge.status, "requires_action");
  assert.equal(charge.method, "pix");
  assert.ok(charge.pix.copy_paste.startsWith("000201"));
  assert.equal(charge.lastResponse.status, 201);
  assert.equal(charge.lastResponse.replayed, false);
  assert.match(charge.lastResponse.requestId, /^req_/);

  stack.sandbox(["pay", charge.gateway_reference, "--gateway", charge.gateway]);
  const d = await delivery("charge.succeeded", charge.id);

  const event = new Webhook(stack.secret).verify(d.body, d.headers);
  assert.equal(event.type, "charge.succeeded");
  assert.equal(event.id, d.headers["webhook-id"]);
  assert.equal(event.data.charge.id, charge.id);
  assert.equal(event.data.charge.status, "succeeded");
  assert.equal(event.data.charge.amount, 1990);
  // The same delivery, tampered with or checked with another secret, is refused.
  const tampered = Buffer.from(d.body.toString("utf8").replace('"amount":1990', '"amount":1'));
  assert.throws(() => new Webhook(stack.secret).verify(tampered, d.headers), WebhookVerificationError);
  assert.throws(
    () => new Webhook(`whsec_${Buffer.alloc(24, 7).toString("base64")}`).verify(d.body, d.headers),
    WebhookVerificationError,
  );

  const now = await payorch.charges.retrieve(charge.id);
  assert.equal(now.status, "succeeded");
  const withQr = await payorch.charges.retrieve(charge.id, { expand: ["pix.qr_code_png"] });
  assert.ok(Buffer.from(withQr.pix.qr_code_png, "base64").subarray(1, 4).toString() === "PNG");
});

test("a card charge (the sandbox's pm_card_visa), refunded in part then in full", async () => {
  const card = await payorch.charges.create({
    amount: 4990,
    currency: "BRL",
    method: "card",
    customer,
    card: { tokens: { stripe: "pm_card_visa" } },
    description: "Order card",
    metadata: { order_id: randomUUID() },
  });
  assert.equal(card.status, "succeeded");
  assert.equal(card.gateway, "stripe");
  assert.equal(card.amount, 4990);

  const partial = await payorch.charges.refund(card.id, { amount: 1000, reason: "damaged" });
  assert.equal(partial.id, card.id);
  assert.equal(partial.refunds.length, 1);
  assert.equal(partial.refunds[0].amount, 1000);
  assert.match(partial.lastResponse.idempotencyKey, /^[0-9a-f-]{36}$/);
  const rest = await payorch.charges.refund(card.id);
  assert.equal(rest.refunds.length, 2);
  assert.equal(rest.refunds[1].amount, 3990, "no amount: everything left");

  // Nothing left: a 400 the SDK does not retry.
  const error = await payorch.charges.refund(card.id).catch((e) => e);
  assert.ok(error instanceof InvalidRequestError, String(error));
  assert.equal(error.status, 400);
  assert.equal(error.code, "charge_not_refundable");
});

test("the same key and body replay the same charge; another body is a 422 IdempotencyError", async () => {
  const key = `order-${randomUUID()}`;
  const body = pix(key);
  const first = await payorch.charges.create(body, { idempotencyKey: key });
  const again = await payorch.charges.create(body, { idempotencyKey: key });
  assert.equal(again.id, first.id);
  assert.equal(first.lastResponse.replayed, false);
  assert.equal(again.lastResponse.replayed, true);
  assert.equal(again.lastResponse.idempotencyKey, key);

  const error = await payorch.charges.create({ ...body, amount: 2990 }, { idempotencyKey: key }).catch((e) => e);
  assert.ok(error instanceof IdempotencyError, String(error));
  assert.equal(error.status, 422);
  assert.equal(error.type, "idempotency_error");
  assert.equal(error.code, "idempotency_key_reused");
  assert.equal(error.param, "Idempotency-Key");
  assert.equal(error.idempotencyKey, key);
  assert.match(error.requestId, /^req_/);
});

test("a 400 names its field", async () => {
  const error = await payorch.charges.create({ ...pix("bad"), amount: -1 }).catch((e) => e);
  assert.ok(error instanceof InvalidRequestError, String(error));
  assert.equal(error.status, 400);
  assert.equal(error.code, "amount_invalid");
  assert.equal(error.param, "amount");
  assert.match(error.message, /negative/);
  assert.match(error.requestId, /^req_/);

  const missing = await payorch.charges.retrieve("ch_01ZZZZZZZZZZZZZZZZZZZZZZZZ").catch((e) => e);
  assert.ok(missing instanceof InvalidRequestError);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "resource_missing");
});

test("every page of a real listing, by next_cursor", async () => {
  for (let i = 0; i < 3; i++) await payorch.charges.create(pix(`page-${i}`));
  const onePage = await payorch.charges.list({ limit: 100 });
  assert.equal(onePage.has_more, false);
  const ids = [];
  for await (const c of payorch.charges.list({ limit: 2 })) ids.push(c.id);
  assert.deepEqual(ids, onePage.data.map((c) => c.id));
  assert.ok(ids.length >= 3);
  const first = await payorch.charges.list({ limit: 2 });
  assert.equal(first.data.length, 2);
  assert.equal(first.has_more, true);
  assert.equal(first.next_cursor, first.data[1].id);
});

test("a key still in flight is a 409 IdempotencyError; the SDK's retries wait for its answer", async () => {
  const key = `slow-${randomUUID()}`;
  const body = pix(key);
  // Stripe (the Pix primary) answers after 5 s (its timeout is 15 s): the first request holds
  // the key meanwhile.
  stack.sandbox(["mode", "stripe", "slow", "--latency", "5000"]);
  try {
    const first = payorch.charges.create(body, { idempotencyKey: key, maxRetries: 0 });
    first.catch(() => {}); // awaited below; never an unhandled rejection if an assertion fails first
    // The charge is written, with its key's claim, before the gateway is called.
    await waitFor("the first request's charge is stored", async () => {
      const page = await payorch.charges.list({ limit: 5 });
      return page.data.some((c) => c.metadata?.order_id === key);
    });
    const error = await payorch.charges.create(body, { idempotencyKey: key, maxRetries: 0 }).catch((e) => e);
    assert.ok(error instanceof IdempotencyError, String(error));
    assert.equal(error.status, 409);
    assert.equal(error.code, "idempotency_key_in_use");
    // With retries (backoff 0.5 s, 1 s, 2 s, 4 s…), the same key gets the first answer, replayed.
    const patient = await payorch.charges.create(body, { idempotencyKey: key, maxRetries: 8 });
    const original = await first;
    assert.equal(patient.id, original.id);
    assert.equal(patient.lastResponse.replayed, true);
  } finally {
    stack.sandbox(["mode", "stripe", "up"]);
  }
});

test("the README's example (examples/charge.mjs) runs: a Pix charge, then the same one replayed", () => {
  const run = () => {
    const r = spawnSync(process.execPath, ["examples/charge.mjs"], {
      cwd: SDK,
      env: { ...process.env, PAYORCH_API_KEY: stack.apiKey, PAYORCH_BASE_URL: stack.url },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\n");
  };
  const [line, code] = run();
  assert.match(line, /^ch_\S+ requires_action $/);
  assert.ok(code.startsWith("000201"));
  const [again] = run();
  assert.equal(again, `${line.trim()} (replayed)`);
});

test("the README's webhook receiver (examples/webhook.mjs) verifies a real delivery", async () => {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const receiver = spawn(process.execPath, ["examples/webhook.mjs"], {
    cwd: SDK,
    env: { ...process.env, PAYORCH_WEBHOOK_SECRET: stack.secret, PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = [];
  createInterface({ input: receiver.stdout }).on("line", (l) => lines.push(l));
  try {
    await waitFor("the example listens", () =>
      new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => socket.end(() => resolve(true)));
        socket.on("error", () => resolve(false));
      }),
    );
    // The endpoint moves to the example; its secret stays.
    stack.cli(["webhook", "endpoint", "set", `http://127.0.0.1:${port}/hook`]);
    const charge = await payorch.charges.create(pix(randomUUID()));
    stack.sandbox(["pay", charge.gateway_reference, "--gateway", charge.gateway]);
    await waitFor("the example printed the verified event", () =>
      lines.includes(`charge.succeeded ${charge.id} succeeded`),
    );
  } finally {
    receiver.kill("SIGKILL");
  }
});
