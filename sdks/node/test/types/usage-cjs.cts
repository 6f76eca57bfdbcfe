// The CommonJS build's declarations resolve too (`require("payorch")` in TypeScript).
import payorch = require("payorch");

const client = new payorch.Payorch({ apiKey: "po_sk_x", baseUrl: "http://127.0.0.1:8080" });
export const created: Promise<payorch.Charge> = client.charges.create({
  amount: 1990,
  currency: "BRL",
  method: "pix",
  customer: { name: "Maria Silva", document: "529.982.247-25" },
});
