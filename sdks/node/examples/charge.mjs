import { Payorch } from "payorch";

const payorch = new Payorch({
  apiKey: process.env.PAYORCH_API_KEY, // po_sk_… from `payorch apikey create`
  baseUrl: process.env.PAYORCH_BASE_URL ?? "http://localhost:8080",
});

// A retry (the SDK's own, or yours after a crash) with the same key never charges twice.
const charge = await payorch.charges.create(
  {
    amount: 1990,
    currency: "BRL",
    method: "pix",
    customer: { name: "Maria Silva", document: "529.982.247-25", email: "maria@example.com" },
    description: "Order 1234",
    metadata: { order_id: "1234" },
  },
  { idempotencyKey: "order-1234" },
);
console.log(charge.id, charge.status, charge.lastResponse.replayed ? "(replayed)" : "");
console.log(charge.pix?.copy_paste); // the Pix code the payer pastes into a bank app
