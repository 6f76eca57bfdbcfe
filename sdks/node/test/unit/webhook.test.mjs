// The webhook verifier: Standard Webhooks' published test vector, a delivery signed here
// independently of the SDK (node:crypto), and every way a delivery must be refused.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";

import { Webhook, WebhookVerificationError } from "../../dist/esm/index.js";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const BODY = JSON.stringify({
  id: "evt_1",
  type: "charge.succeeded",
  tenant: "default",
  created_at: "2026-12-05T07:00:00Z",
  data: { charge: { id: "ch_1", object: "charge", status: "succeeded", amount: 1990, currency: "BRL" } },
});

/** `v1,<base64>` as payorch signs, computed without the SDK. */
function sign(secret, id, timestamp, body) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

const now = () => Math.floor(Date.now() / 1000);

function delivery({ secret = SECRET, id = "evt_1", timestamp = now(), body = BODY } = {}) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": sign(secret, id, timestamp, body),
  };
}

function refused(fn, pattern) {
  assert.throws(fn, (e) => e instanceof WebhookVerificationError && pattern.test(e.message));
}

test("Standard Webhooks' test vector", () => {
  const wh = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", { toleranceSeconds: Number.MAX_SAFE_INTEGER });
  const body = '{"test": 2432232314}';
  const headers = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  };
  assert.deepEqual(wh.verify(body, headers), { test: 2432232314 });
  assert.equal(wh.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body), headers["webhook-signature"]);
});

test("a genuine delivery verifies to its event: string or Buffer body, any header spelling", () => {
  const wh = new Webhook(SECRET);
  const headers = delivery();
  const event = wh.verify(BODY, headers);
  assert.equal(event.type, "charge.succeeded");
  assert.equal(event.data.charge.id, "ch_1");
  assert.deepEqual(wh.verify(Buffer.from(BODY), headers), event);
  assert.deepEqual(wh.verify(new TextEncoder().encode(BODY), headers), event);
  assert.deepEqual(wh.verify(BODY, new Headers(headers)), event);
  const shouting = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
  assert.deepEqual(wh.verify(BODY, shouting), event);
});

test("a tampered body is refused", () => {
  const wh = new Webhook(SECRET);
  refused(() => wh.verify(BODY.replace("1990", "1"), delivery()), /no matching signature/);
  // Re-serialized JSON is not the raw body either.
  refused(() => wh.verify(JSON.stringify(JSON.parse(BODY), null, 2), delivery()), /no matching signature/);
  assert.throws(() => wh.verify(JSON.parse(BODY), delivery()), TypeError);
});

test("a tampered id or timestamp is refused", () => {
  const wh = new Webhook(SECRET);
  refused(() => wh.verify(BODY, { ...delivery(), "webhook-id": "evt_2" }), /no matching signature/);
  refused(() => wh.verify(BODY, { ...delivery(), "webhook-timestamp": String(now() - 1) }), /no matching signature/);
});

test("another secret's signature is refused", () => {
  const other = `whsec_${randomBytes(24).toString("base64")}`;
  refused(() => new Webhook(SECRET).verify(BODY, delivery({ secret: other })), /no matching signature/);
});

test("a timestamp more than the tolerance away is refused, either way; the tolerance is configurable", () => {
  const wh = new Webhook(SECRET);
  refused(() => wh.verify(BODY, delivery({ timestamp: now() - 400 })), /too old/);
  refused(() => wh.verify(BODY, delivery({ timestamp: now() + 400 })), /future/);
  // Well inside 5 minutes either way.
  assert.equal(wh.verify(BODY, delivery({ timestamp: now() - 200 })).id, "evt_1");
  assert.equal(wh.verify(BODY, delivery({ timestamp: now() + 200 })).id, "evt_1");
  const strict = new Webhook(SECRET, { toleranceSeconds: 60 });
  refused(() => strict.verify(BODY, delivery({ timestamp: now() - 200 })), /too old/);
  const lenient = new Webhook(SECRET, { toleranceSeconds: 3600 });
  assert.equal(lenient.verify(BODY, delivery({ timestamp: now() - 1800 })).id, "evt_1");
  refused(() => wh.verify(BODY, { ...delivery(), "webhook-timestamp": "soon" }), /Unix seconds/);
});

test("any of several v1 signatures may match (a secret rotation's overlap)", () => {
  const old = `whsec_${randomBytes(24).toString("base64")}`;
  const headers = delivery();
  const oldSig = delivery({ secret: old })["webhook-signature"];
  headers["webhook-signature"] = `${oldSig} ${headers["webhook-signature"]}`;
  assert.equal(new Webhook(SECRET).verify(BODY, headers).id, "evt_1");
  assert.equal(new Webhook(old).verify(BODY, headers).id, "evt_1");
  // Only v1 counts: the same bytes under another version are not a signature.
  const v2 = { ...delivery(), "webhook-signature": delivery()["webhook-signature"].replace("v1,", "v2,") };
  refused(() => new Webhook(SECRET).verify(BODY, v2), /no matching signature/);
  refused(() => new Webhook(SECRET).verify(BODY, { ...delivery(), "webhook-signature": "v1,short" }), /no matching/);
});

test("a missing header is refused, naming the headers", () => {
  const wh = new Webhook(SECRET);
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    const headers = delivery();
    delete headers[name];
    refused(() => wh.verify(BODY, headers), /missing header/);
  }
});

test("a secret that is not whsec_ base64 is refused at construction", () => {
  assert.throws(() => new Webhook(""), TypeError);
  assert.throws(() => new Webhook("whsec_not base64!"), TypeError);
  assert.throws(() => new Webhook(SECRET, { toleranceSeconds: -1 }), TypeError);
});
