//! A charge's `fee` through the real `payorch serve --sandbox` in front of the real `payorch
//! sandbox`, as a merchant sees it: Stripe's own fee on a card (its balance transaction,
//! expanded on the create), Asaas's `value - netValue` on a paid Pix (its webhook), the
//! schedule's estimate where the gateway reports none (Efí's Pix, Stripe's Pix settled by
//! webhook, until the reconciler reads Stripe's figure), a `[fees]` entry in the config over the
//! built-in rate, `null` before payment, and a refund that leaves the fee as it was.

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::stack::ServeStack;

/// A hang guard for what the sandbox does within a second or two, never a timing assertion.
const BOUND: Duration = Duration::from_secs(60);

/// Serve running, every gateway's webhooks going to it; its own reconciler every hour (so a
/// fee the tests see estimated is not read behind their back: they run passes themselves).
pub(crate) fn start(config: &str) -> ServeStack {
    let mut stack = ServeStack::new(&format!("[recovery]\nevery = \"1h\"\n\n{config}"));
    stack.start_serve();
    for gateway in ["stripe", "efi", "asaas"] {
        stack.sandbox(&[
            "webhook",
            gateway,
            &format!("{}/webhooks/default/{gateway}", stack.url()),
        ]);
    }
    stack
}

/// `POST /v1/charges` of `amount` centavos by `method` at `gateway`: the answer.
pub(crate) async fn create(stack: &ServeStack, gateway: &str, method: &str, amount: i64) -> Value {
    let mut body = json!({"amount": amount, "currency": "BRL", "method": method,
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
        "gateway": gateway});
    if method == "card" {
        body["card"] = json!({"tokens": {"stripe": "pm_card_visa"}});
    }
    let key = format!("fee-{}", payorch::id::new_ulid());
    let (status, v) = stack
        .api()
        .post_charge(&key, &body, BOUND)
        .await
        .expect("POST /v1/charges");
    assert_eq!(status, 201, "{v}");
    v
}

/// Pays a Pix charge at its gateway (`payorch sandbox pay`) and waits for it to succeed.
pub(crate) async fn pay(stack: &ServeStack, charge: &Value) -> Value {
    let gateway = charge["gateway"].as_str().expect("gateway");
    let reference = charge["gateway_reference"].as_str().expect("reference");
    stack.sandbox(&["pay", reference, "--gateway", gateway]);
    let id = charge["id"].as_str().expect("id");
    stack.charge_when(id, "succeeded", BOUND).await
}

fn fee(amount: i64, source: &str) -> Value {
    json!({"amount": amount, "currency": "BRL", "source": source})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_gateway_reports_or_payorch_estimates_the_fee() {
    let stack = start("");

    // Stripe card, R$ 49,90: the sandbox's balance transaction says 3.99 % + 39 = 238, in the
    // create's own answer.
    let card = create(&stack, "stripe", "card", 4990).await;
    assert_eq!(card["status"], "succeeded", "{card}");
    assert_eq!(card["fee"], fee(238, "gateway"), "{card}");

    // Asaas Pix, R$ 19,90: null until paid; then the fake's R$ 1,99 as value - netValue.
    let asaas = create(&stack, "asaas", "pix", 1990).await;
    assert_eq!(asaas["fee"], Value::Null, "{asaas}");
    let paid = pay(&stack, &asaas).await;
    assert_eq!(paid["fee"], fee(199, "gateway"), "{paid}");

    // Efí reports no fee: the built-in 1.19 % of R$ 19,90 = 23.681 -> 24, estimated.
    let efi = create(&stack, "efi", "pix", 1990).await;
    assert_eq!(efi["fee"], Value::Null, "{efi}");
    let paid = pay(&stack, &efi).await;
    assert_eq!(paid["fee"], fee(24, "estimated"), "{paid}");

    // Stripe's Pix settles by webhook, whose intent does not carry the fee: estimated (until
    // the reconciler reads Stripe's figure, see below).
    let pix = create(&stack, "stripe", "pix", 1990).await;
    let paid = pay(&stack, &pix).await;
    assert_eq!(paid["fee"], fee(24, "estimated"), "{paid}");

    // A refund leaves the fee: Stripe keeps its fee on a refund.
    let id = card["id"].as_str().unwrap();
    let (status, refunded) = stack
        .api()
        .post(
            &format!("/v1/charges/{id}/refunds"),
            &format!("fee-r-{}", payorch::id::new_ulid()),
            &json!({"amount": 1000}),
            BOUND,
        )
        .await
        .expect("POST refunds");
    assert_eq!(status, 200, "{refunded}");
    let after = stack.charge_when(id, "partially_refunded", BOUND).await;
    assert_eq!(after["fee"], fee(238, "gateway"), "{after}");
}

/// `payorch reconcile` on the stack's data dir and sandbox: its JSON report.
fn reconcile(stack: &ServeStack) -> Value {
    let out = stack.cli(&["reconcile", "--sandbox", &stack.sandbox.url, "-o", "json"]);
    serde_json::from_str(&out).expect("a JSON report")
}

/// Stripe's Pix is paid by a webhook whose intent names its charge by id only: the charge gets
/// the estimate (here 2 %, so it differs from Stripe's 1.19 %), then the reconciler reads the
/// intent with its balance transaction expanded and records Stripe's figure, with no event. A
/// Stripe that fails that read (a fault on the read alone) leaves the estimate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripes_pix_fee_is_read_after_its_webhook_and_a_failed_read_leaves_the_estimate() {
    let stack = start("[fees.stripe.pix]\npercent = \"2\"\ncurrency = \"BRL\"\n");
    let pix = create(&stack, "stripe", "pix", 1990).await;
    let paid = pay(&stack, &pix).await;
    // 2 % of R$ 19,90 = 39.8 -> 40, estimated.
    assert_eq!(paid["fee"], fee(40, "estimated"), "{paid}");
    let id = paid["id"].as_str().unwrap();
    let events = stack.event_types(id);

    let report = reconcile(&stack);
    assert_eq!(report["fees_recorded"], json!([id]), "{report}");
    let (_, read) = stack.api().get_charge(id).await.expect("GET");
    // The sandbox's balance transaction: 1.19 % of R$ 19,90 = 23.681 -> 24.
    assert_eq!(read["fee"], fee(24, "gateway"), "{read}");
    assert_eq!(read["status"], "succeeded", "{read}");
    assert_eq!(stack.event_types(id), events, "no event for a fee");
    // Read once: the next pass has nothing to do.
    assert_eq!(reconcile(&stack)["fees_recorded"], json!([]));

    // Stripe fails every read of an intent: the estimate stays, the read waits for a retry.
    let pix = create(&stack, "stripe", "pix", 1990).await;
    let paid = pay(&stack, &pix).await;
    stack.sandbox(&[
        "mode",
        "stripe",
        "down",
        "--status",
        "500",
        "--only",
        "GET /v1/payment_intents/*",
    ]);
    let report = reconcile(&stack);
    assert_eq!(report["fees_recorded"], json!([]), "{report}");
    assert_eq!(report["fees_given_up"], json!([]), "{report}");
    let (_, read) = stack
        .api()
        .get_charge(paid["id"].as_str().unwrap())
        .await
        .expect("GET");
    assert_eq!(read["fee"], fee(40, "estimated"), "{read}");
}

/// `[fees.efi.pix]` in the config replaces the built-in rate for that gateway and method.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_schedule_is_the_one_estimated_from() {
    let stack = start("[fees.efi.pix]\npercent = \"0.5\"\nfixed = 10\ncurrency = \"BRL\"\n");
    let efi = create(&stack, "efi", "pix", 1990).await;
    let paid = pay(&stack, &efi).await;
    // 0.5 % of 1990 = 9.95 -> 10, + 10.
    assert_eq!(paid["fee"], fee(20, "estimated"), "{paid}");
}
