//! Refunds that Asaas answers `PENDING` and settles later, through the real `payorch serve
//! --sandbox` in front of the real `payorch sandbox`: the refund answers pending and leaves the
//! charge as it is; Asaas's refund webhook settles it (the charge moves, the merchant's event
//! is written once); a repeated webhook changes nothing; a webhook that never comes is made up
//! for by the reconciler asking Asaas.

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::stack::ServeStack;

/// A hang guard for what the sandbox does within a second or two, never a timing assertion.
const BOUND: Duration = Duration::from_secs(60);

/// A stack with serve running and Asaas's webhooks going to it. Asaas's fake keeps refunds
/// pending for 5 s: far longer than payorch takes to record the answer, so the answer is
/// `pending` however loaded the machine.
fn start(config: &str) -> ServeStack {
    let mut stack =
        ServeStack::with_sandbox_flags(common::Env::new(), config, &["--asaas-refund-delay", "5s"]);
    stack.start_serve();
    stack.sandbox(&[
        "webhook",
        "asaas",
        &format!("{}/webhooks/default/asaas", stack.url()),
    ]);
    stack
}

/// A paid Asaas Pix charge of R$ 19,90: (id, Asaas payment id).
async fn paid_charge(stack: &ServeStack) -> (String, String) {
    let body = json!({"amount": 1990, "currency": "BRL", "method": "pix",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
        "gateway": "asaas"});
    let key = format!("ar-{}", payorch::id::new_ulid());
    let (status, v) = stack
        .api()
        .post_charge(&key, &body, BOUND)
        .await
        .expect("POST /v1/charges");
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().expect("id").to_string();
    let reference = v["gateway_reference"]
        .as_str()
        .expect("reference")
        .to_string();
    stack.sandbox(&["pay", &reference]);
    stack.charge_when(&id, "succeeded", BOUND).await;
    (id, reference)
}

/// `POST /v1/charges/{id}/refunds`: (HTTP status, body).
async fn refund(stack: &ServeStack, id: &str, body: &Value) -> (u16, Value) {
    let r = stack
        .http
        .post(format!("{}/v1/charges/{id}/refunds", stack.url()))
        .bearer_auth(&stack.key)
        .header("Idempotency-Key", format!("ar-{}", payorch::id::new_ulid()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST refund");
    let status = r.status().as_u16();
    (status, common::json_of(r).await)
}

/// The types of the events written for the charge (what the merchant is sent).
fn event_types(stack: &ServeStack, id: &str) -> Vec<String> {
    let out = stack.cli(&["events", "list", "--charge", id, "-o", "json"]);
    let v: Value = serde_json::from_str(&out).expect("events JSON");
    v["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_string())
        .collect()
}

fn count(types: &[String], kind: &str) -> usize {
    types.iter().filter(|t| *t == kind).count()
}

/// Refunds `amount` and checks the answer: the refund pending, the charge not moved.
async fn refund_pending(stack: &ServeStack, id: &str, amount: i64, refunded_before: i64) -> String {
    let (status, v) = refund(stack, id, &json!({"amount": amount})).await;
    assert_eq!(status, 200, "{v}");
    let last = v["refunds"]
        .as_array()
        .and_then(|r| r.last())
        .expect("the refund is on the charge");
    assert_eq!(last["status"], "pending", "{v}");
    assert_eq!(last["amount"], amount, "{v}");
    assert_eq!(
        v["amount_refunded"], refunded_before,
        "nothing is back yet: {v}"
    );
    last["id"].as_str().expect("refund id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_refund_settles_by_asaas_webhook_once() {
    let stack = start("");
    let (id, reference) = paid_charge(&stack).await;

    let first = refund_pending(&stack, &id, 500, 0).await;
    let partial = stack.charge_when(&id, "partially_refunded", BOUND).await;
    assert_eq!(partial["amount_refunded"], 500, "{partial}");
    assert_eq!(partial["refunds"][0]["status"], "succeeded", "{partial}");
    assert_eq!(
        count(&event_types(&stack, &id), "charge.partially_refunded"),
        1
    );

    // Asaas's news of that refund again (under a new event id): nothing changes.
    let again = json!({"id": format!("evt_{}", payorch::id::new_ulid()),
        "event": "PAYMENT_PARTIALLY_REFUNDED", "dateCreated": "2026-01-01 12:00:00",
        "payment": {"id": reference, "status": "RECEIVED", "value": 19.90, "externalReference": id,
                    "refunds": [{"status": "DONE", "value": 5.00, "description": format!("payorch {first}")}]}});
    let r = stack
        .http
        .post(format!("{}/webhooks/default/asaas", stack.url()))
        .header(
            "asaas-access-token",
            payorch::sandbox::asaas::SANDBOX_WEBHOOK_TOKEN,
        )
        .header("content-type", "application/json")
        .body(again.to_string())
        .send()
        .await
        .expect("POST webhook");
    assert_eq!(r.status().as_u16(), 200);
    let answer = common::json_of(r).await;
    assert_eq!(answer["received"][0]["result"], "ignored", "{answer}");
    let (_, unchanged) = stack.api().get_charge(&id).await.expect("GET");
    assert_eq!(unchanged, partial, "a repeated webhook changes nothing");

    // The rest: pending, then refunded; each event written once.
    refund_pending(&stack, &id, 1490, 500).await;
    let refunded = stack.charge_when(&id, "refunded", BOUND).await;
    assert_eq!(refunded["amount_refunded"], 1990, "{refunded}");
    let types = event_types(&stack, &id);
    assert_eq!(count(&types, "charge.partially_refunded"), 1, "{types:?}");
    assert_eq!(count(&types, "charge.refunded"), 1, "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_settles_a_pending_refund_whose_webhook_never_comes() {
    let stack = start("[idempotency]\nlease = \"1s\"\n\n[recovery]\nevery = \"1s\"\n");
    let (id, _) = paid_charge(&stack).await;
    // From now on Asaas's webhooks go nowhere.
    let r = stack
        .http
        .put(format!("{}/_sandbox/asaas/webhook", stack.sandbox.url))
        .body(json!({"url": null}).to_string())
        .send()
        .await
        .expect("the control API answers");
    assert!(r.status().is_success(), "{r:?}");

    refund_pending(&stack, &id, 500, 0).await;
    let partial = stack.charge_when(&id, "partially_refunded", BOUND).await;
    assert_eq!(partial["amount_refunded"], 500, "{partial}");
    assert_eq!(partial["refunds"][0]["status"], "succeeded", "{partial}");
    let types = event_types(&stack, &id);
    assert_eq!(count(&types, "charge.partially_refunded"), 1, "{types:?}");
}
