// The payorch Node.js SDK: `new Payorch({ apiKey, baseUrl })` for the merchant API, `Webhook`
// to verify deliveries, the typed errors, and the API's types (generated from openapi.yaml).

export { Payorch, MAX_RETRY_AFTER_SECONDS, shouldRetry } from "./client.js";
export type { PayorchOptions } from "./client.js";
export type { ChargeListPromise } from "./charges.js";
export {
  PayorchError,
  InvalidRequestError,
  AuthenticationError,
  IdempotencyError,
  GatewayError,
  RateLimitError,
  ApiError,
  PayorchConnectionError,
  PayorchTimeoutError,
} from "./errors.js";
export type { ErrorDetails } from "./errors.js";
export { Webhook, WebhookVerificationError } from "./webhook.js";
export type { WebhookHeaders, WebhookOptions } from "./webhook.js";
export { VERSION } from "./version.js";
export type {
  Charge,
  ChargeCreateParams,
  ChargeList,
  ChargeListParams,
  ChargeStatus,
  ApiErrorBody,
  Attempt,
  EventType,
  ExpandField,
  Event,
  RefundParams,
  RequestOptions,
  ResponseMeta,
  WithResponse,
} from "./types.js";
export type { components, operations, paths } from "./generated/openapi.js";
