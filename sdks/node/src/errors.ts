// The SDK's errors: one class per `error.type` of the API's error body
// (`{"error":{"type","code","message","param"}}`, see the server's src/server/error.rs), all
// under `PayorchError`, plus `PayorchConnectionError` (no answer came: refused, reset, timed
// out). `errorFromResponse` picks the class; `isRetryable` in client.ts decides retries.

import type { ApiErrorBody, Attempt } from "./types.js";

/** What the SDK knows about the HTTP answer an error came from. */
export interface ErrorDetails {
  /** The HTTP status, absent for a connection error. */
  status?: number;
  /** `error.code`: stable and machine-readable (`parameter_invalid`, `idempotency_key_reused`, …). */
  code?: string;
  /** `error.param`: the request field the error is about (`amount`, `customer.document`, `Idempotency-Key`). */
  param?: string | null;
  /** The answer's `X-Request-Id`: quote it when asking an operator about a request. */
  requestId?: string;
  /** `Retry-After` in seconds, when the answer had one (a 429). */
  retryAfter?: number;
  /** The `Idempotency-Key` the request carried (a POST), the same on every retry. */
  idempotencyKey?: string;
  /** True when the answer was the stored answer of an earlier request with the same key (`Idempotent-Replayed`). */
  replayed?: boolean;
  /** The parsed body (`{"error": …}`), or the raw text when it was not JSON. */
  raw?: unknown;
  /** The answer's headers. */
  headers?: Headers;
}

/** Every error the SDK throws about a request. `type` mirrors the API's `error.type`. */
export class PayorchError extends Error {
  /** The API's `error.type`, or `connection_error` for `PayorchConnectionError`. */
  readonly type: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly param: string | null | undefined;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;
  readonly idempotencyKey: string | undefined;
  readonly replayed: boolean;
  readonly raw: unknown;
  readonly headers: Headers | undefined;

  constructor(type: string, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.type = type;
    this.status = details.status;
    this.code = details.code;
    this.param = details.param;
    this.requestId = details.requestId;
    this.retryAfter = details.retryAfter;
    this.idempotencyKey = details.idempotencyKey;
    this.replayed = details.replayed ?? false;
    this.raw = details.raw;
    this.headers = details.headers;
  }
}

/** 400, 404, 409 `charge_not_refundable`, 413, 415…: the request is wrong; fix it before sending it again. */
export class InvalidRequestError extends PayorchError {}
/** 401: no API key, or a bad or revoked one. */
export class AuthenticationError extends PayorchError {}
/**
 * Idempotency-Key misuse: 409 `idempotency_key_in_use` (the first request with this key is
 * still running; the SDK retries it) or 422 `idempotency_key_reused` (the key was used with
 * another body: never retried).
 */
export class IdempotencyError extends PayorchError {}
/**
 * No gateway could take the charge (503 `gateway_unavailable`, with every attempt in
 * `attempts`), none takes it at all (422 `no_gateway_for_charge`), or a refund failed. A
 * declined card is not an error: it is a charge with `status: "failed"`.
 */
export class GatewayError extends PayorchError {
  /** For `gateway_unavailable`: every attempt made, as the charge's `attempts[]`. */
  get attempts(): Attempt[] {
    const error = (this.raw as { error?: { attempts?: unknown } } | undefined)?.error;
    return Array.isArray(error?.attempts) ? (error.attempts as Attempt[]) : [];
  }
}
/** 429: over the API key's or the tenant's rate limit; nothing was done. `retryAfter` says when to try again. */
export class RateLimitError extends PayorchError {}
/** 5xx `api_error`: payorch itself failed (a store outage is 503 `store_unavailable`). */
export class ApiError extends PayorchError {}

/** No answer: the connection was refused or cut, or the request timed out (`PayorchTimeoutError`). */
export class PayorchConnectionError extends PayorchError {
  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super("connection_error", message, details, options);
  }
}
/** No answer within `timeoutMs`. Whether the server acted is unknown: retry with the same idempotency key. */
export class PayorchTimeoutError extends PayorchConnectionError {}

const classes: Record<string, new (type: string, message: string, details: ErrorDetails) => PayorchError> = {
  invalid_request_error: InvalidRequestError,
  authentication_error: AuthenticationError,
  idempotency_error: IdempotencyError,
  gateway_error: GatewayError,
  rate_limit_error: RateLimitError,
  api_error: ApiError,
};

/** The error for an HTTP answer that is not a 2xx, from its body (JSON or not). */
export function errorFromResponse(status: number, body: unknown, details: ErrorDetails): PayorchError {
  const error = (body as Partial<ApiErrorBody> | undefined)?.error as
    | { type?: unknown; code?: unknown; message?: unknown; param?: unknown }
    | undefined;
  const type = typeof error?.type === "string" ? error.type : typeForStatus(status);
  const message =
    typeof error?.message === "string" ? error.message : `HTTP ${status}${typeof body === "string" && body ? `: ${body.slice(0, 200)}` : ""}`;
  const all: ErrorDetails = {
    ...details,
    status,
    code: typeof error?.code === "string" ? error.code : undefined,
    param: typeof error?.param === "string" || error?.param === null ? error.param : undefined,
    raw: body,
  };
  const Class = classes[type] ?? PayorchError;
  return new Class(type, message, all);
}

/** The type of an answer without the API's error body (a proxy's 502, say). */
function typeForStatus(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 429) return "rate_limit_error";
  return status >= 500 ? "api_error" : "invalid_request_error";
}
