// A real local HTTP server (node:http on a free loopback port) for the unit tests: it records
// every request exactly as it arrived (method, path, query, headers, raw body) and answers each
// with the next scripted answer, so a test can check what the SDK sent and how it reacted.
import http from "node:http";

/**
 * An answer: `{ status, headers?, json? | body? }`, `{ hang: true }` (never answers: a
 * timeout), or `{ destroy: true }` (drops the connection: a connection error). A function
 * gets the recorded request and returns an answer.
 */
export async function scriptedServer(answers) {
  const requests = [];
  const script = [...answers];
  const hanging = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url, "http://localhost");
      const recorded = {
        method: req.method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(recorded);
      let answer = script.shift();
      if (typeof answer === "function") answer = answer(recorded);
      if (answer === undefined) {
        answer = { status: 599, json: { error: { type: "api_error", code: "script_exhausted", message: "no answer scripted" } } };
      }
      if (answer.hang) {
        hanging.add(res);
        return;
      }
      if (answer.destroy) {
        req.socket.destroy();
        return;
      }
      const body = answer.json !== undefined ? JSON.stringify(answer.json) : answer.body ?? "";
      res.writeHead(answer.status ?? 200, {
        "content-type": answer.json !== undefined ? "application/json" : "text/plain",
        "x-request-id": `req_${requests.length}`,
        ...answer.headers,
      });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A charge as the API answers it (enough of it for the SDK). */
export function charge(id, extra = {}) {
  return {
    id,
    object: "charge",
    tenant: "default",
    status: "requires_action",
    amount: 1990,
    currency: "BRL",
    amount_refunded: 0,
    method: "pix",
    gateway: "stripe",
    gateway_reference: "pi_1",
    attempts: [],
    refunds: [],
    created_at: "2026-12-05T07:00:00Z",
    updated_at: "2026-12-05T07:00:00Z",
    ...extra,
  };
}

/** The API's error body. */
export function apiError(type, code, message, param = null) {
  return { error: { type, code, message, param } };
}
