// The client against a real local HTTP server (./server.mjs): the exact requests it sends, and
// what it does with each kind of answer (retries with the same key, Retry-After, typed errors,
// pagination, timeouts). Runs against the built SDK (dist/esm): `npm run build` first.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ApiError,
  AuthenticationError,
  GatewayError,
  IdempotencyError,
  InvalidRequestError,
  Payorch,
  PayorchConnectionError,
  PayorchError,
  PayorchTimeoutError,
  RateLimitError,
  VERSION,
} from "../../dist/esm/index.js";
import { apiError, charge, scriptedServer } from "./server.mjs";

const KEY = "po_sk_test_0123456789";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PIX = {
  amount: 1990,
  currency: "BRL",
  method: "pix",
  customer: { name: "Maria Silva", document: "529.982.247-25", email: "maria@example.com" },
  metadata: { order_id: "1234" },
};

/** A server answering `answers` in turn, and a client of it; the server is closed after the test. */
async function setup(t, answers, options = {}) {
  const server = await scriptedServer(answers);
  t.after(() => server.close());
  const payorch = new Payorch({ apiKey: KEY, baseUrl: server.url, ...options });
  return { server, payorch };
}

test("create sends the exact request: POST /v1/charges, bearer key, JSON body, a fresh idempotency key", async (t) => {
  const { server, payorch } = await setup(t, [{ status: 201, json: charge("ch_1") }]);
  const created = await payorch.charges.create(PIX);
  assert.equal(server.requests.length, 1);
  const [r] = server.requests;
  assert.equal(r.method, "POST");
  assert.equal(r.path, "/v1/charges");
  assert.equal([...r.query].length, 0);
  assert.equal(r.headers.authorization, `Bearer ${KEY}`);
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.headers.accept, "application/json");
  assert.equal(r.headers["user-agent"], `payorch-node/${VERSION}`);
  assert.match(r.headers["idempotency-key"], UUID);
  assert.deepEqual(JSON.parse(r.body), PIX);
  assert.equal(created.id, "ch_1");
  assert.equal(created.status, "requires_action");
  // The response's facts ride along, out of the way.
  assert.equal(created.lastResponse.status, 201);
  assert.equal(created.lastResponse.requestId, "req_1");
  assert.equal(created.lastResponse.replayed, false);
  assert.equal(created.lastResponse.idempotencyKey, r.headers["idempotency-key"]);
  assert.equal(Object.keys(created).includes("lastResponse"), false);
  assert.equal(JSON.stringify(created).includes("lastResponse"), false);
});

test("each create gets its own key; a given key is sent as is", async (t) => {
  const { server, payorch } = await setup(t, [
    { status: 201, json: charge("ch_1") },
    { status: 201, json: charge("ch_2") },
    { status: 201, json: charge("ch_3") },
  ]);
  await payorch.charges.create(PIX);
  await payorch.charges.create(PIX);
  await payorch.charges.create(PIX, { idempotencyKey: "order-1234" });
  const keys = server.requests.map((r) => r.headers["idempotency-key"]);
  assert.notEqual(keys[0], keys[1]);
  assert.equal(keys[2], "order-1234");
});

test("a replayed answer says so", async (t) => {
  const { payorch } = await setup(t, [{ status: 201, headers: { "idempotent-replayed": "true" }, json: charge("ch_1") }]);
  const created = await payorch.charges.create(PIX, { idempotencyKey: "k" });
  assert.equal(created.lastResponse.replayed, true);
});

test("503 then 201: retried with the same key and the same body", async (t) => {
  const { server, payorch } = await setup(t, [
    { status: 503, json: apiError("api_error", "store_unavailable", "the store is not taking writes") },
    { status: 201, json: charge("ch_1") },
  ]);
  const created = await payorch.charges.create(PIX);
  assert.equal(created.id, "ch_1");
  assert.equal(server.requests.length, 2);
  const [a, b] = server.requests;
  assert.match(a.headers["idempotency-key"], UUID);
  assert.equal(b.headers["idempotency-key"], a.headers["idempotency-key"]);
  assert.equal(b.body, a.body);
  assert.equal(created.lastResponse.idempotencyKey, a.headers["idempotency-key"]);
});

test("every retryable status is retried: 408, 409 key in use, 429, 500, 502, 503, 504", async (t) => {
  for (const [status, body] of [
    [408, apiError("invalid_request_error", "body_timeout", "slow body")],
    [409, apiError("idempotency_error", "idempotency_key_in_use", "in flight")],
    [429, apiError("rate_limit_error", "rate_limited", "too many")],
    [500, apiError("api_error", "internal_error", "died")],
    [502, undefined],
    [503, apiError("gateway_error", "gateway_unavailable", "no gateway")],
    [504, undefined],
  ]) {
    const first = body === undefined ? { status, body: "<html>bad gateway</html>" } : { status, json: body };
    if (status === 429) first.headers = { "retry-after": "0" };
    const { server, payorch } = await setup(t, [first, { status: 201, json: charge("ch_1") }]);
    const created = await payorch.charges.create(PIX);
    assert.equal(created.id, "ch_1", `after a ${status}`);
    assert.equal(server.requests.length, 2, `${status} is retried`);
    assert.equal(server.requests[1].headers["idempotency-key"], server.requests[0].headers["idempotency-key"]);
  }
});

test("409 idempotency_key_in_use is retried until the first request's answer replays", async (t) => {
  const inUse = { status: 409, json: apiError("idempotency_error", "idempotency_key_in_use", "in flight") };
  const { server, payorch } = await setup(t, [
    inUse,
    inUse,
    { status: 201, headers: { "idempotent-replayed": "true" }, json: charge("ch_1") },
  ]);
  const created = await payorch.charges.create(PIX, { idempotencyKey: "order-9" });
  assert.equal(server.requests.length, 3);
  assert.ok(server.requests.every((r) => r.headers["idempotency-key"] === "order-9"));
  assert.equal(created.lastResponse.replayed, true);
});

test("Retry-After is waited out before the retry", async (t) => {
  const { server, payorch } = await setup(t, [
    { status: 429, headers: { "retry-after": "1" }, json: apiError("rate_limit_error", "rate_limited", "too many") },
    { status: 201, json: charge("ch_1") },
  ]);
  await payorch.charges.create(PIX);
  assert.equal(server.requests.length, 2);
  // A lower bound only: the SDK sleeps at least Retry-After; a loaded machine only adds.
  assert.ok(server.requests[1].at - server.requests[0].at >= 1000, "the retry came after Retry-After");
});

test("a 429 after the last retry is a RateLimitError with retryAfter", async (t) => {
  const { server, payorch } = await setup(
    t,
    [{ status: 429, headers: { "retry-after": "7" }, json: apiError("rate_limit_error", "rate_limited", "too many") }],
    { maxRetries: 0 },
  );
  const error = await payorch.charges.create(PIX).catch((e) => e);
  assert.ok(error instanceof RateLimitError);
  assert.equal(error.retryAfter, 7);
  assert.equal(error.status, 429);
  assert.equal(server.requests.length, 1);
});

test("a Retry-After over the cap is not waited out: the error goes to the caller", async (t) => {
  const { server, payorch } = await setup(t, [
    { status: 429, headers: { "retry-after": "3600" }, json: apiError("rate_limit_error", "rate_limited", "too many") },
  ]);
  const error = await payorch.charges.create(PIX).catch((e) => e);
  assert.ok(error instanceof RateLimitError);
  assert.equal(error.retryAfter, 3600);
  assert.equal(server.requests.length, 1);
});

test("400, 401, 402, 404, 409 (other codes), 422, 500 idempotency_key_corrupt are never retried", async (t) => {
  const cases = [
    [400, apiError("invalid_request_error", "amount_invalid", "negative", "amount"), InvalidRequestError],
    [401, apiError("authentication_error", "api_key_invalid", "bad key"), AuthenticationError],
    [402, apiError("gateway_error", "refund_failed", "declined"), GatewayError],
    [404, apiError("invalid_request_error", "resource_missing", "no such charge", "id"), InvalidRequestError],
    [409, apiError("invalid_request_error", "charge_not_refundable", "not held"), InvalidRequestError],
    [422, apiError("idempotency_error", "idempotency_key_reused", "another body", "Idempotency-Key"), IdempotencyError],
    [422, apiError("gateway_error", "no_gateway_for_charge", "none takes it"), GatewayError],
    [500, apiError("api_error", "idempotency_key_corrupt", "unreadable"), ApiError],
  ];
  for (const [status, body, Class] of cases) {
    const { server, payorch } = await setup(t, [{ status, json: body }, { status: 201, json: charge("ch_x") }]);
    const error = await payorch.charges.create(PIX).catch((e) => e);
    assert.equal(server.requests.length, 1, `${status} ${body.error.code} is not retried`);
    assert.ok(error instanceof Class, `${status} ${body.error.code} is a ${Class.name}, not ${error?.constructor?.name}`);
    assert.ok(error instanceof PayorchError);
    assert.equal(error.status, status);
    assert.equal(error.type, body.error.type);
    assert.equal(error.code, body.error.code);
    assert.equal(error.param, body.error.param);
    assert.equal(error.message, body.error.message);
    assert.equal(error.requestId, "req_1");
    assert.deepEqual(error.raw, body);
    assert.equal(error.idempotencyKey, server.requests[0].headers["idempotency-key"]);
  }
});

test("a replayed stored error is final: not retried", async (t) => {
  const attempts = [{ gateway: "stripe", outcome: "unavailable_not_sent" }];
  const body = apiError("gateway_error", "gateway_unavailable", "every gateway failed");
  body.error.attempts = attempts;
  const { server, payorch } = await setup(t, [
    { status: 503, headers: { "idempotent-replayed": "true" }, json: body },
    { status: 201, json: charge("ch_x") },
  ]);
  const error = await payorch.charges.create(PIX, { idempotencyKey: "k" }).catch((e) => e);
  assert.equal(server.requests.length, 1);
  assert.ok(error instanceof GatewayError);
  assert.equal(error.replayed, true);
  assert.deepEqual(error.attempts, attempts);
});

test("retries stop at maxRetries; the last error is thrown", async (t) => {
  const unavailable = { status: 503, json: apiError("gateway_error", "gateway_unavailable", "no gateway") };
  const { server, payorch } = await setup(t, [unavailable, unavailable, unavailable, unavailable]);
  const error = await payorch.charges.create(PIX).catch((e) => e);
  assert.ok(error instanceof GatewayError);
  assert.equal(server.requests.length, 3, "the first attempt and maxRetries (2) retries");
  assert.equal(new Set(server.requests.map((r) => r.headers["idempotency-key"])).size, 1);
});

test("an answer without the API's error body still gets a typed error", async (t) => {
  const { payorch } = await setup(t, [{ status: 502, body: "<html>Bad Gateway</html>" }], { maxRetries: 0 });
  const error = await payorch.charges.retrieve("ch_1").catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 502);
  assert.equal(error.type, "api_error");
  assert.equal(error.raw, "<html>Bad Gateway</html>");
});

test("a timeout is retried with the same key; without retries it is a PayorchTimeoutError", async (t) => {
  const { server, payorch } = await setup(t, [{ hang: true }, { status: 201, json: charge("ch_1") }], { timeoutMs: 300 });
  // 2 s an attempt: the first hangs, the second is answered at once.
  const created = await payorch.charges.create(PIX, { timeoutMs: 2000 });
  assert.equal(created.id, "ch_1");
  assert.equal(server.requests.length, 2);
  assert.equal(server.requests[1].headers["idempotency-key"], server.requests[0].headers["idempotency-key"]);

  const { server: hung, payorch: impatient } = await setup(t, [{ hang: true }], { timeoutMs: 200, maxRetries: 0 });
  const error = await impatient.charges.create(PIX).catch((e) => e);
  assert.ok(error instanceof PayorchTimeoutError);
  assert.ok(error instanceof PayorchConnectionError);
  assert.equal(error.type, "connection_error");
  assert.match(error.idempotencyKey, UUID);
  assert.equal(hung.requests.length, 1);
});

test("a cut connection is retried; a refused one ends as a PayorchConnectionError", async (t) => {
  const { server, payorch } = await setup(t, [{ destroy: true }, { status: 201, json: charge("ch_1") }]);
  const created = await payorch.charges.create(PIX);
  assert.equal(created.id, "ch_1");
  assert.equal(server.requests[1].headers["idempotency-key"], server.requests[0].headers["idempotency-key"]);

  const gone = await scriptedServer([]);
  const url = gone.url;
  await gone.close();
  const error = await new Payorch({ apiKey: KEY, baseUrl: url, maxRetries: 1 }).charges.retrieve("ch_1").catch((e) => e);
  assert.ok(error instanceof PayorchConnectionError);
  assert.equal(error instanceof PayorchTimeoutError, false);
  assert.equal(error.status, undefined);
});

test("retrieve: GET /v1/charges/{id} with expand[], no idempotency key, no body", async (t) => {
  const { server, payorch } = await setup(t, [
    { status: 200, json: charge("ch_1", { pix: { copy_paste: "000201", qr_code_png: "iVBOR" } }) },
    { status: 200, json: charge("ch_2") },
  ]);
  const one = await payorch.charges.retrieve("ch_1", { expand: ["pix.qr_code_png"] });
  assert.equal(one.pix.qr_code_png, "iVBOR");
  await payorch.charges.retrieve("ch/2?x");
  const [a, b] = server.requests;
  assert.equal(a.method, "GET");
  assert.equal(a.path, "/v1/charges/ch_1");
  assert.deepEqual(a.query.getAll("expand[]"), ["pix.qr_code_png"]);
  assert.equal(a.headers.authorization, `Bearer ${KEY}`);
  assert.equal(a.headers["idempotency-key"], undefined);
  assert.equal(a.headers["content-type"], undefined);
  assert.equal(a.body, "");
  assert.equal(b.path, "/v1/charges/ch%2F2%3Fx", "the id is one path segment");
  assert.equal([...b.query].length, 0);
});

test("a GET is retried too", async (t) => {
  const { server, payorch } = await setup(t, [{ status: 503, body: "" }, { status: 200, json: charge("ch_1") }]);
  assert.equal((await payorch.charges.retrieve("ch_1")).id, "ch_1");
  assert.equal(server.requests.length, 2);
});

test("list: one page with its filters", async (t) => {
  const page = { object: "list", data: [charge("ch_2"), charge("ch_1")], has_more: false, next_cursor: null };
  const { server, payorch } = await setup(t, [{ status: 200, json: page }]);
  const got = await payorch.charges.list({ status: "succeeded", gateway: "efi", limit: 2, created_gte: "2026-12-01T00:00:00Z" });
  assert.deepEqual(got.data.map((c) => c.id), ["ch_2", "ch_1"]);
  assert.equal(got.has_more, false);
  assert.equal(got.lastResponse.status, 200);
  const [r] = server.requests;
  assert.equal(r.method, "GET");
  assert.equal(r.path, "/v1/charges");
  assert.deepEqual(Object.fromEntries(r.query), {
    status: "succeeded",
    gateway: "efi",
    limit: "2",
    created_gte: "2026-12-01T00:00:00Z",
  });
});

test("for await over list() walks every page with next_cursor as starting_after", async (t) => {
  const pages = [
    { object: "list", data: [charge("ch_5"), charge("ch_4")], has_more: true, next_cursor: "ch_4" },
    { object: "list", data: [charge("ch_3"), charge("ch_2")], has_more: true, next_cursor: "ch_2" },
    { object: "list", data: [charge("ch_1")], has_more: false, next_cursor: null },
  ];
  const { server, payorch } = await setup(t, [
    ...pages.map((json) => ({ status: 200, json })),
    ...pages.map((json) => ({ status: 200, json })),
  ]);
  const ids = [];
  for await (const c of payorch.charges.list({ status: "succeeded", limit: 2 })) ids.push(c.id);
  assert.deepEqual(ids, ["ch_5", "ch_4", "ch_3", "ch_2", "ch_1"]);
  assert.deepEqual(
    server.requests.map((r) => Object.fromEntries(r.query)),
    [
      { status: "succeeded", limit: "2" },
      { status: "succeeded", limit: "2", starting_after: "ch_4" },
      { status: "succeeded", limit: "2", starting_after: "ch_2" },
    ],
  );

  const again = [];
  for await (const c of payorch.charges.listAutoPaging({ status: "succeeded", limit: 2 })) again.push(c.id);
  assert.deepEqual(again, ids);
  assert.equal(server.requests.length, 6);
});

test("refund: POST /v1/charges/{id}/refunds with its body and an idempotency key", async (t) => {
  const refunded = charge("ch_1", { status: "partially_refunded", amount_refunded: 500 });
  const { server, payorch } = await setup(t, [
    { status: 200, json: refunded },
    { status: 200, json: refunded },
  ]);
  const got = await payorch.charges.refund("ch_1", { amount: 500, reason: "damaged" }, { idempotencyKey: "refund-1" });
  assert.equal(got.amount_refunded, 500);
  await payorch.charges.refund("ch_1");
  const [a, b] = server.requests;
  assert.equal(a.method, "POST");
  assert.equal(a.path, "/v1/charges/ch_1/refunds");
  assert.equal(a.headers["idempotency-key"], "refund-1");
  assert.equal(a.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(a.body), { amount: 500, reason: "damaged" });
  assert.deepEqual(JSON.parse(b.body), {}, "no amount: everything left");
  assert.match(b.headers["idempotency-key"], UUID);
});

test("an aborted request stops, and is not retried", async (t) => {
  const { server, payorch } = await setup(t, [{ hang: true }, { status: 201, json: charge("ch_1") }]);
  const controller = new AbortController();
  const pending = payorch.charges.create(PIX, { signal: controller.signal }).catch((e) => e);
  while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
  controller.abort(new Error("the user left"));
  const error = await pending;
  assert.equal(error.message, "the user left");
  assert.equal(server.requests.length, 1);
});

test("the constructor names a missing or bad option", () => {
  assert.throws(() => new Payorch({ baseUrl: "http://127.0.0.1:1" }), /apiKey/);
  assert.throws(() => new Payorch({ apiKey: KEY }), /baseUrl/);
  assert.throws(() => new Payorch({ apiKey: KEY, baseUrl: "127.0.0.1:8080" }), /baseUrl/);
  assert.throws(() => new Payorch({ apiKey: KEY, baseUrl: "http://x", maxRetries: -1 }), /maxRetries/);
  assert.throws(() => new Payorch({ apiKey: KEY, baseUrl: "http://x", timeoutMs: 0 }), /timeoutMs/);
  assert.throws(() => new Payorch({ apiKey: KEY, baseUrl: "http://x" }).charges.retrieve(""), /id/);
});

test("a trailing slash in baseUrl and a custom fetch are fine", async (t) => {
  const server = await scriptedServer([{ status: 200, json: charge("ch_1") }]);
  t.after(() => server.close());
  const seen = [];
  const payorch = new Payorch({
    apiKey: KEY,
    baseUrl: `${server.url}/`,
    fetch: (url, init) => {
      seen.push(url);
      return fetch(url, init);
    },
  });
  await payorch.charges.retrieve("ch_1");
  assert.deepEqual(seen, [`${server.url}/v1/charges/ch_1`]);
});
