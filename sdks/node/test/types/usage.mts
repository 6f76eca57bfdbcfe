// A TypeScript merchant backend using the SDK, type-checked (never run) by
// test/unit/types.test.mjs: the SDK's types are the OpenAPI document's, so what the document
// refuses the compiler refuses (each `@ts-expect-error` must be an error, or tsc fails).
import {
  Payorch,
  Webhook,
  IdempotencyError,
  PayorchError,
  type Charge,
  type ChargeCreateParams,
  type Event,
} from "payorch";

const payorch = new Payorch({ apiKey: "po_sk_x", baseUrl: "http://127.0.0.1:8080" });

const params: ChargeCreateParams = {
  amount: 1990,
  currency: "BRL",
  method: "pix",
  customer: { name: "Maria Silva", document: "529.982.247-25" },
  metadata: { order_id: "1234" },
};

export async function flow(rawBody: Buffer, headers: Record<string, string>): Promise<void> {
  const charge = await payorch.charges.create(params, { idempotencyKey: "order-1234" });
  const status: Charge["status"] = charge.status;
  const replayed: boolean = charge.lastResponse.replayed;
  const copyPaste: string | undefined = charge.pix?.copy_paste;
  void [status, replayed, copyPaste];

  await payorch.charges.retrieve(charge.id, { expand: ["pix.qr_code_png"] });
  // @ts-expect-error: the document's one expandable field is pix.qr_code_png
  await payorch.charges.retrieve(charge.id, { expand: ["customer"] });

  const page = await payorch.charges.list({ status: "succeeded", limit: 10 });
  const more: boolean = page.has_more;
  void more;
  for await (const c of payorch.charges.list({ gateway: "efi" })) {
    const id: string = c.id;
    void id;
  }
  // @ts-expect-error: not a charge status
  await payorch.charges.list({ status: "paid" });

  await payorch.charges.refund(charge.id, { amount: 500, reason: "damaged" });
  await payorch.charges.refund(charge.id);

  try {
    await payorch.charges.create(params);
  } catch (e) {
    if (e instanceof IdempotencyError) {
      const code: string | undefined = e.code;
      void code;
    } else if (e instanceof PayorchError) {
      const requestId: string | undefined = e.requestId;
      void requestId;
    }
  }

  const event: Event = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(rawBody, headers);
  if (event.type === "charge.succeeded") {
    const paid: Charge = event.data.charge;
    void paid;
  }
  // @ts-expect-error: not an event type
  if (event.type === "charge.paid") return;
}

// @ts-expect-error: amount is an integer of minor units, not a string
const badAmount: ChargeCreateParams = { ...params, amount: "19.90" };
// @ts-expect-error: not a payment method
const badMethod: ChargeCreateParams = { ...params, method: "bitcoin" };
// @ts-expect-error: customer is required
const noCustomer: ChargeCreateParams = { amount: 1990, currency: "BRL", method: "pix" };
void [badAmount, badMethod, noCustomer];
