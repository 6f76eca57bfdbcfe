// `payorch.charges`: create, retrieve, list (one page, or every page with `for await`) and
// refund. Each method is one API route; retries and idempotency keys are the client's.

import type { Payorch } from "./client.js";
import type {
  Charge,
  ChargeCreateParams,
  ChargeList,
  ChargeListParams,
  ExpandField,
  RefundParams,
  RequestOptions,
  WithResponse,
} from "./types.js";

/**
 * What `charges.list` returns: a promise of the first page (`await`), which is also an async
 * iterable over every charge of every page (`for await`), fetched page by page as the loop
 * goes (`next_cursor` → `starting_after`).
 */
export type ChargeListPromise = Promise<WithResponse<ChargeList>> & AsyncIterable<Charge>;

function segment(name: string, id: string): string {
  if (typeof id !== "string" || id === "") {
    throw new TypeError(`${name}: id must be a non-empty string (a charge id, ch_…)`);
  }
  return encodeURIComponent(id);
}

export class Charges {
  readonly #client: Payorch;

  constructor(client: Payorch) {
    this.#client = client;
  }

  /**
   * `POST /v1/charges`. Resolves to the created charge (201), or to the first answer again when
   * the key was used before with the same body (`charge.lastResponse.replayed`). Without
   * `options.idempotencyKey` the SDK makes one; either way every retry carries the same key.
   */
  create(params: ChargeCreateParams, options: RequestOptions = {}): Promise<WithResponse<Charge>> {
    return this.#client.request<Charge>({ method: "POST", path: "/v1/charges", body: params }, options);
  }

  /** `GET /v1/charges/{id}`; `expand: ["pix.qr_code_png"]` adds a Pix charge's QR code. */
  retrieve(
    id: string,
    params: { expand?: ExpandField[] } = {},
    options: RequestOptions = {},
  ): Promise<WithResponse<Charge>> {
    return this.#client.request<Charge>(
      {
        method: "GET",
        path: `/v1/charges/${segment("charges.retrieve", id)}`,
        query: params.expand?.length ? { expand: params.expand } : undefined,
      },
      options,
    );
  }

  /**
   * `GET /v1/charges`, newest first. `await` it for one page; `for await (const charge of
   * payorch.charges.list(params))` for every charge of every page.
   */
  list(params: ChargeListParams = {}, options: RequestOptions = {}): ChargeListPromise {
    const page = (cursor: string | undefined) =>
      this.#client.request<ChargeList>(
        {
          method: "GET",
          path: "/v1/charges",
          query: { ...params, starting_after: cursor ?? params.starting_after },
        },
        options,
      );
    const first = page(undefined);
    async function* all(): AsyncGenerator<Charge> {
      let current: ChargeList = await first;
      for (;;) {
        yield* current.data;
        if (!current.has_more || !current.next_cursor) return;
        current = await page(current.next_cursor);
      }
    }
    return Object.assign(first, { [Symbol.asyncIterator]: all });
  }

  /** Every charge matching `params`, page after page: `for await (const c of payorch.charges.listAutoPaging(params))`. */
  listAutoPaging(params: ChargeListParams = {}, options: RequestOptions = {}): AsyncIterable<Charge> {
    // Nothing is sent until the loop starts.
    return { [Symbol.asyncIterator]: () => this.list(params, options)[Symbol.asyncIterator]() };
  }

  /**
   * `POST /v1/charges/{id}/refunds`: refunds `params.amount`, or everything left without one.
   * Resolves to the charge with its `refunds[]` (a refund may be `pending`).
   */
  refund(id: string, params: RefundParams = {}, options: RequestOptions = {}): Promise<WithResponse<Charge>> {
    return this.#client.request<Charge>(
      { method: "POST", path: `/v1/charges/${segment("charges.refund", id)}/refunds`, body: params },
      options,
    );
  }
}
