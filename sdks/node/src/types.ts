// The SDK's public types, built on the types openapi-typescript generates from the
// repository's openapi.yaml (src/generated/openapi.ts, made by `npm run build`): the document
// is the one source of the API's shapes, so a field added there reaches the SDK's types at the
// next build.

import type { components, operations } from "./generated/openapi.js";

type Schemas = components["schemas"];

/** A charge, as `POST /v1/charges`, `GET /v1/charges/{id}` and the webhook events show it. */
export type Charge = Schemas["Charge"];
/** The body of `POST /v1/charges`. */
export type ChargeCreateParams = Schemas["ChargeCreateRequest"];
/** One page of `GET /v1/charges`: `data`, `has_more`, `next_cursor`. */
export type ChargeList = Schemas["ChargeList"];
/** The API's error body: `{"error":{"type","code","message","param"}}`. */
export type ApiErrorBody = Schemas["Error"];
/** A webhook event (`charge.succeeded`, …): what `Webhook.verify` returns. */
export type Event = Schemas["Event"];

/** The body of `POST /v1/charges/{id}/refunds`: no amount refunds everything left. */
export type RefundParams = Schemas["RefundCreateRequest"];

/** The filters of `GET /v1/charges` (newest first): `status`, `gateway`, `created_gte`, `created_lt`, `limit`, `starting_after`. */
export type ChargeListParams = NonNullable<operations["listCharges"]["parameters"]["query"]>;

/** What `GET /v1/charges/{id}` can expand (`expand[]`): `pix.qr_code_png`. */
export type ExpandField = NonNullable<NonNullable<operations["getCharge"]["parameters"]["query"]>["expand[]"]>[number];

/** One try at one gateway (`charge.attempts[]`, `GatewayError.attempts`). */
export type Attempt = Schemas["Attempt"];
/** The charge's status (`requires_action`, `succeeded`, …). */
export type ChargeStatus = Schemas["ChargeStatus"];
/** An event's type (`charge.succeeded`, …). */
export type EventType = Schemas["EventType"];

/** What the SDK kept of the HTTP answer: `result.lastResponse` (not enumerable, so not in `JSON.stringify`). */
export interface ResponseMeta {
  status: number;
  headers: Headers;
  /** `X-Request-Id`. */
  requestId: string | undefined;
  /** The `Idempotency-Key` the request carried (a POST), the same on every retry. */
  idempotencyKey: string | undefined;
  /** True when this is the stored answer of an earlier request with the same key (`Idempotent-Replayed: true`). */
  replayed: boolean;
}

/** A result with its `lastResponse`. */
export type WithResponse<T> = T & { readonly lastResponse: ResponseMeta };

/** Options of one request. */
export interface RequestOptions {
  /**
   * The request's `Idempotency-Key` (POSTs). Without one the SDK makes one
   * (`crypto.randomUUID()`) and sends it on every retry. Pass your own (an order id) to make a
   * retry after a crash of your process safe too.
   */
  idempotencyKey?: string;
  /** Overrides the client's `maxRetries` for this request. */
  maxRetries?: number;
  /** Overrides the client's `timeoutMs` for this request (each attempt). */
  timeoutMs?: number;
  /** Aborts the request (and its retries). */
  signal?: AbortSignal;
}
