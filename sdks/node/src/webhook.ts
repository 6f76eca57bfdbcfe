// Verifying payorch's webhook deliveries, the Standard Webhooks way (README, "Verifying a
// delivery"): the key is the base64 decoding of the secret after `whsec_`; the signed content
// is `{webhook-id}.{webhook-timestamp}.{raw body}`; `webhook-signature` holds one or more
// space-separated `v1,<base64 HMAC-SHA256>` (two while a secret rotation overlaps); any one
// that matches, compared in constant time, and a timestamp within the tolerance of this
// machine's clock (either way) make the delivery genuine.

import { createHmac, timingSafeEqual } from "node:crypto";

import type { Event } from "./types.js";

/** A delivery that is not genuine (or not readable): answer it 400 and do not act on it. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** The request's headers: Node's `req.headers`, a fetch `Headers`, or a plain object (names in any case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface WebhookOptions {
  /** How far `webhook-timestamp` may be from this machine's clock, in seconds, either way (default 300). */
  toleranceSeconds?: number;
}

const PREFIX = "whsec_";

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

function rawBytes(payload: string | Uint8Array): Buffer {
  if (typeof payload === "string") return Buffer.from(payload, "utf8");
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  throw new TypeError(
    "Webhook.verify: the payload must be the raw request body (a string or a Buffer), not parsed JSON: " +
      "a re-serialized body does not match its signature",
  );
}

/**
 * The verifier for one endpoint's signing secret (`payorch webhook endpoint set` prints it).
 *
 * ```js
 * const wh = new Webhook(process.env.PAYORCH_WEBHOOK_SECRET);
 * const event = wh.verify(rawBody, req.headers); // throws WebhookVerificationError
 * ```
 */
export class Webhook {
  readonly #key: Buffer;
  readonly #toleranceSeconds: number;

  constructor(secret: string, options: WebhookOptions = {}) {
    if (typeof secret !== "string" || secret === "") {
      throw new TypeError("new Webhook(secret): secret is required (whsec_…)");
    }
    const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
      throw new TypeError("new Webhook(secret): the secret is not whsec_ followed by base64");
    }
    this.#key = Buffer.from(encoded, "base64");
    const tolerance = options.toleranceSeconds ?? 300;
    if (!(tolerance >= 0)) {
      throw new TypeError(`new Webhook(secret, { toleranceSeconds }): must be >= 0, not ${tolerance}`);
    }
    this.#toleranceSeconds = tolerance;
  }

  /**
   * Checks a delivery and returns its event. `payload` is the raw body exactly as received;
   * `headers` the request's. Throws `WebhookVerificationError` when a header is missing, no
   * `v1` signature matches, or the timestamp is off by more than the tolerance.
   */
  verify(payload: string | Uint8Array, headers: WebhookHeaders): Event {
    const body = rawBytes(payload);
    const id = header(headers, "webhook-id");
    const timestamp = header(headers, "webhook-timestamp");
    const signatures = header(headers, "webhook-signature");
    if (!id || !timestamp || !signatures) {
      throw new WebhookVerificationError(
        "missing header: a delivery carries webhook-id, webhook-timestamp and webhook-signature",
      );
    }
    if (!/^\d+$/.test(timestamp)) {
      throw new WebhookVerificationError(`webhook-timestamp is not Unix seconds: ${JSON.stringify(timestamp)}`);
    }
    const skew = Math.floor(Date.now() / 1000) - Number(timestamp);
    if (skew > this.#toleranceSeconds) {
      throw new WebhookVerificationError(`webhook-timestamp is too old (${skew} s ago; tolerance ${this.#toleranceSeconds} s)`);
    }
    if (-skew > this.#toleranceSeconds) {
      throw new WebhookVerificationError(`webhook-timestamp is in the future (${-skew} s ahead; tolerance ${this.#toleranceSeconds} s)`);
    }
    const expected = this.#hmac(id, timestamp, body);
    let matched = false;
    for (const signature of signatures.split(" ")) {
      const comma = signature.indexOf(",");
      if (comma < 0 || signature.slice(0, comma) !== "v1") continue;
      const given = Buffer.from(signature.slice(comma + 1), "base64");
      // Every candidate is compared (no early exit), each in constant time.
      if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
    }
    if (!matched) {
      throw new WebhookVerificationError("no matching signature: a wrong secret, or a body changed since it was signed");
    }
    try {
      return JSON.parse(body.toString("utf8")) as Event;
    } catch {
      throw new WebhookVerificationError("the body is not JSON");
    }
  }

  /**
   * The `webhook-signature` value payorch sends for this delivery (`v1,<base64>`): for tests
   * of your own receiver.
   */
  sign(id: string, timestamp: number | Date, payload: string | Uint8Array): string {
    const seconds = typeof timestamp === "number" ? timestamp : Math.floor(timestamp.getTime() / 1000);
    return `v1,${this.#hmac(id, String(seconds), rawBytes(payload)).toString("base64")}`;
  }

  #hmac(id: string, timestamp: string, body: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(`${id}.${timestamp}.`).update(body).digest();
  }
}
