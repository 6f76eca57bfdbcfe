import os

from payorch import Payorch

# PAYORCH_API_KEY: a key from `payorch apikey create`;
# PAYORCH_BASE_URL: where `payorch serve` listens, e.g. http://127.0.0.1:8080.
client = Payorch(os.environ["PAYORCH_API_KEY"], base_url=os.environ["PAYORCH_BASE_URL"])
charge = client.charges.create(
    {
        "amount": 1990,
        "currency": "BRL",
        "method": "pix",
        "customer": {
            "name": "Maria Silva",
            "document": "529.982.247-25",
            "email": "maria@example.com",
        },
        "description": "Order 1234",
        "metadata": {"order_id": "1234"},
    },
    idempotency_key="order-1234",  # retried with this same key; a repeat answers the same charge
)
print(charge["id"], charge["status"], charge["gateway"], charge["pix"]["copy_paste"])
