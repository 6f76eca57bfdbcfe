//! The `cheapest` routing strategy through the real `payorch serve --sandbox` in front of the
//! real `payorch sandbox`: with the config's `[fees]` making Asaas's card cheaper than
//! Stripe's, a card charge that both can take goes to Asaas although Stripe is the primary;
//! with Asaas's breaker forced open it goes to the next cheapest (Stripe), and back to Asaas
//! after `breaker auto`. The breaker and the strategy reach serve through the store, so each
//! step is polled under a hang guard (never a timing assertion).

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::stack::{ServeStack, wait_for};

/// A hang guard for what serve picks up within a second or two.
const BOUND: Duration = Duration::from_secs(60);

/// Asaas 2.99 % + R$ 0,49 and Stripe 3.99 % + R$ 0,39: on R$ 100,00, 348 < 438 centavos.
const FEES: &str = "[fees.asaas.card]\npercent = \"2.99\"\nfixed = 49\ncurrency = \"BRL\"\n\
[fees.stripe.card]\npercent = \"3.99\"\nfixed = 39\ncurrency = \"BRL\"\n";

/// A R$ 100,00 card charge both Stripe and Asaas hold a token for (and the payer IP Asaas
/// requires): the answer.
async fn card_charge(stack: &ServeStack) -> Value {
    let body = json!({"amount": 10_000, "currency": "BRL", "method": "card",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
        "metadata": {"remote_ip": "203.0.113.7"},
        "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "tok_payorch_cheapest"}}});
    let key = format!("cheapest-{}", payorch::id::new_ulid());
    let (status, v) = stack
        .api()
        .post_charge(&key, &body, BOUND)
        .await
        .expect("POST /v1/charges");
    assert_eq!(status, 201, "{v}");
    v
}

/// Charges until one goes to `gateway` (serve follows the store within its caches' bound).
async fn until_charged_at(stack: &ServeStack, gateway: &str) -> Value {
    wait_for(&format!("a card charge at {gateway}"), BOUND, || async {
        let v = card_charge(stack).await;
        if v["gateway"] == gateway {
            Ok(v)
        } else {
            Err(v.to_string())
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cheapest_routes_by_fee_and_an_open_breaker_sends_to_the_next_cheapest() {
    let mut stack = ServeStack::new(FEES);
    stack.start_serve();

    // Ordered (the default): the primary, Stripe.
    let ordered = card_charge(&stack).await;
    assert_eq!(ordered["gateway"], "stripe", "{ordered}");

    stack.cli(&["gateway", "strategy", "cheapest", "--reason", "fees"]);
    let cheap = until_charged_at(&stack, "asaas").await;
    assert_eq!(cheap["status"], "succeeded", "{cheap}");

    stack.cli(&["breaker", "open", "asaas", "--reason", "test"]);
    let next = until_charged_at(&stack, "stripe").await;
    assert_eq!(next["status"], "succeeded", "{next}");

    stack.cli(&["breaker", "auto", "asaas"]);
    let back = until_charged_at(&stack, "asaas").await;
    assert_eq!(back["status"], "succeeded", "{back}");
}
