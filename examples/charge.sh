#!/bin/sh
# A Pix charge of R$ 19,90 through payorch's merchant API, with curl. PAYORCH_BASE_URL is serve's
# address (default http://localhost:8080), PAYORCH_API_KEY a key from `payorch apikey create`.
# Prints the charge: its id, "status": "requires_action" and pix.copy_paste, the BR Code the
# payer pays. Run it again: the same key answers the same charge (Idempotent-Replayed: true).
curl -sS --fail-with-body "${PAYORCH_BASE_URL:-http://localhost:8080}/v1/charges" \
  -H "Authorization: Bearer $PAYORCH_API_KEY" \
  -H "Idempotency-Key: order-1234" \
  -H "Content-Type: application/json" \
  -d '{
    "amount": 1990, "currency": "BRL", "method": "pix",
    "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
    "description": "Order 1234", "metadata": {"order_id": "1234"}
  }'
