// The HTTP core of the SDK: `Payorch` holds the key and the base URL; `request` sends one API
// call and retries it when, and only when, a retry can help (`shouldRetry`), with the same
// `Idempotency-Key` every time so the server runs a POST at most once: exponential backoff
// with jitter, `Retry-After` honoured. Zero dependencies: the platform's fetch (or the one in
// the options) and node:crypto.

import { randomUUID } from "node:crypto";

import { Charges } from "./charges.js";
import { PayorchConnectionError, PayorchError, PayorchTimeoutError, errorFromResponse } from "./errors.js";
import type { RequestOptions, ResponseMeta, WithResponse } from "./types.js";
import { VERSION } from "./version.js";

export interface PayorchOptions {
  /** An API key, `po_sk_…` (`payorch apikey create`). */
  apiKey: string;
  /** Where `payorch serve` answers, e.g. `https://payments.internal.example` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Retries after the first attempt, for what may succeed when sent again (default 2). */
  maxRetries?: number;
  /** Each attempt's time limit in milliseconds, body included (default 60 000). */
  timeoutMs?: number;
  /** A `fetch` to use instead of the global one (a proxy agent, a test double). */
  fetch?: typeof fetch;
}

/** The longest `Retry-After` the SDK waits out by itself; a longer one is thrown to the caller (`error.retryAfter`). */
export const MAX_RETRY_AFTER_SECONDS = 60;
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/**
 * Whether sending the same request again (same `Idempotency-Key`) can answer differently.
 * - A replayed answer (`Idempotent-Replayed: true`) is the stored final answer of that key:
 *   sending it again replays it again.
 * - 408 (the body was too slow), 429 (nothing was done), 502/504 (a proxy's), 503 (a store
 *   outage, no gateway up: not stored, so the retry resumes the work) can.
 * - 409 only when the key's first request is still running (`idempotency_key_in_use`): the
 *   retry gets its answer once it finishes. Another 409 (`charge_not_refundable`) is final.
 * - 500, except `idempotency_key_corrupt` (the key's stored answer cannot be read; it stays so).
 * - Never 400, 401, 402, 403, 404, 413, 415, 422: the same request gets the same answer.
 */
export function shouldRetry(status: number, code: string | undefined, replayed: boolean): boolean {
  if (replayed) return false;
  switch (status) {
    case 408:
    case 429:
    case 502:
    case 503:
    case 504:
      return true;
    case 409:
      return code === "idempotency_key_in_use";
    case 500:
      return code !== "idempotency_key_corrupt";
    default:
      return false;
  }
}

/** `Retry-After` in seconds (a number of seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** The wait before retry number `retry` (0 first): 0.5 s, 1 s, 2 s… up to 8 s, each 50–100% of that at random. */
function backoffMs(retry: number): number {
  const base = Math.min(INITIAL_BACKOFF_MS * 2 ** retry, MAX_BACKOFF_MS);
  return base * (0.5 + Math.random() / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A query string's values; an array is sent as `name[]=a&name[]=b` (`expand[]`). */
export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export interface ApiRequest {
  method: "GET" | "POST";
  path: string;
  query?: Query;
  body?: unknown;
}

/** Makes `value.lastResponse` (not enumerable: it stays out of `JSON.stringify` and spreads). */
export function withResponse<T extends object>(value: T, meta: ResponseMeta): WithResponse<T> {
  Object.defineProperty(value, "lastResponse", { value: meta, enumerable: false });
  return value as WithResponse<T>;
}

/**
 * The payorch merchant API.
 *
 * ```js
 * const payorch = new Payorch({ apiKey: process.env.PAYORCH_API_KEY, baseUrl: "http://127.0.0.1:8080" });
 * const charge = await payorch.charges.create({ amount: 1990, currency: "BRL", method: "pix", … });
 * ```
 */
export class Payorch {
  readonly charges: Charges;
  readonly baseUrl: string;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;

  constructor(options: PayorchOptions) {
    if (!options || typeof options.apiKey !== "string" || options.apiKey === "") {
      throw new TypeError("new Payorch({ apiKey }): apiKey is required (a po_sk_… key from `payorch apikey create`)");
    }
    if (typeof options.baseUrl !== "string" || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError("new Payorch({ baseUrl }): baseUrl is required, an http(s) URL such as http://127.0.0.1:8080");
    }
    const maxRetries = options.maxRetries ?? 2;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new TypeError(`new Payorch({ maxRetries }): must be an integer >= 0, not ${maxRetries}`);
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    if (!(timeoutMs > 0)) {
      throw new TypeError(`new Payorch({ timeoutMs }): must be a number > 0, not ${timeoutMs}`);
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") {
      throw new TypeError("new Payorch({ fetch }): no fetch: Node 18 or later has one, or pass your own");
    }
    this.#apiKey = options.apiKey;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.maxRetries = maxRetries;
    this.timeoutMs = timeoutMs;
    this.#fetch = fetchImpl;
    this.charges = new Charges(this);
  }

  /**
   * Sends one API call, retrying what `shouldRetry` allows. A POST carries
   * `options.idempotencyKey`, or one made here, on every attempt. Resolves to the parsed body
   * with its `lastResponse`; rejects with a `PayorchError`.
   */
  async request<T extends object>(req: ApiRequest, options: RequestOptions = {}): Promise<WithResponse<T>> {
    const url = this.#url(req.path, req.query);
    const idempotencyKey = req.method === "POST" ? options.idempotencyKey ?? randomUUID() : undefined;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
      "User-Agent": `payorch-node/${VERSION}`,
    };
    if (idempotencyKey !== undefined) headers["Idempotency-Key"] = idempotencyKey;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers["Content-Type"] = "application/json";
    }
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;

    for (let retry = 0; ; retry++) {
      const canRetry = retry < maxRetries;
      let error: PayorchError;
      try {
        const answer = await this.#attempt(url, req.method, headers, body, timeoutMs, options.signal);
        const replayed = answer.response.headers.get("idempotent-replayed") === "true";
        const meta: ResponseMeta = {
          status: answer.response.status,
          headers: answer.response.headers,
          requestId: answer.response.headers.get("x-request-id") ?? undefined,
          idempotencyKey,
          replayed,
        };
        if (answer.response.ok) {
          if (answer.json === undefined || answer.json === null || typeof answer.json !== "object") {
            throw new PayorchError("api_error", `HTTP ${answer.response.status}: the answer is not a JSON object`, {
              status: answer.response.status,
              requestId: meta.requestId,
              idempotencyKey,
              replayed,
              raw: answer.text,
              headers: answer.response.headers,
            });
          }
          return withResponse(answer.json as T, meta);
        }
        error = errorFromResponse(answer.response.status, answer.json ?? answer.text, {
          requestId: meta.requestId,
          retryAfter: parseRetryAfter(answer.response.headers.get("retry-after")),
          idempotencyKey,
          replayed,
          headers: answer.response.headers,
        });
        if (!canRetry || !shouldRetry(error.status ?? 0, error.code, replayed)) throw error;
      } catch (thrown) {
        if (!(thrown instanceof PayorchConnectionError) || !canRetry) throw thrown;
        error = thrown;
      }
      if (error.retryAfter !== undefined && error.retryAfter > MAX_RETRY_AFTER_SECONDS) throw error;
      const wait = error.retryAfter !== undefined ? error.retryAfter * 1000 + Math.random() * 250 : backoffMs(retry);
      await sleep(wait, options.signal);
    }
  }

  /** One attempt: the answer (its body read) or a `PayorchConnectionError`. */
  async #attempt(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ response: Response; text: string; json: unknown }> {
    if (signal?.aborted) throw signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const details = { idempotencyKey: headers["Idempotency-Key"] };
    try {
      const response = await this.#fetch(url, { method, headers, body, signal: controller.signal });
      const text = await response.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { response, text, json };
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) {
        throw new PayorchTimeoutError(`${method} ${url}: no answer within ${timeoutMs} ms`, details, { cause });
      }
      const why = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause);
      throw new PayorchConnectionError(`${method} ${url}: ${why}`, details, { cause });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #url(path: string, query: Query | undefined): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) {
        for (const item of value) params.append(`${name}[]`, item);
      } else {
        params.append(name, String(value));
      }
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }
}
