//! A create whose answer never reaches payorch, end to end: the real `payorch serve --sandbox`
//! in front of the real `payorch sandbox`, with a fault scoped to the create alone
//! (`sandbox mode … --only 'POST /v3/payments'`), so the lookups and the cancel that follow it
//! work as they do at a healthy gateway. Each test ends on the fakes' own state: for every
//! charge, across all gateways, at most one payment the payer can pay, and it is the one payorch
//! shows; nothing captured twice; the orphans deleted.
//!
//! - `lost`: the gateway made the payment, the answer is lost: the lookup finds it and the
//!   charge adopts it (no second payment).
//! - `slow`: the payment lands at the gateway only after payorch gave up looking: a link
//!   pinned to Asaas fails and the reconciler deletes the orphan that lands later; a link with
//!   Asaas first fails over to Stripe's Checkout Session and the reconciler deletes Asaas's
//!   orphan; a card charge is `unknown` until the reconciler adopts the one payment; a Pix fails
//!   over from Efí to Asaas and the reconciler removes Efí's cob.

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::stack::{ServeStack, wait_for};

/// A hang guard for what the processes do within seconds, never a timing assertion.
const BOUND: Duration = Duration::from_secs(90);

/// Asaas gives up after a second; the default lookup grace (2 min) stays, so a lookup that
/// finds nothing during a test never counts as "nothing was made".
const CONFIG: &str = r#"
[gateways.asaas]
timeout = "1s"

[gateways.efi]
timeout = "1s"
"#;

fn start(extra: &str) -> ServeStack {
    let mut stack = ServeStack::in_env(
        common::Env::allowing_private_targets(),
        &format!("{CONFIG}\n{extra}"),
    );
    stack.start_serve();
    stack.sandbox(&[
        "webhook",
        "asaas",
        &format!("{}/webhooks/default/asaas", stack.url()),
    ]);
    stack
}

fn customer() -> Value {
    json!({"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"})
}

/// A link pinned to Asaas (Stripe, first for links by default, makes them too).
fn link() -> Value {
    json!({"amount": 4590, "currency": "BRL", "method": "link", "customer": customer(),
           "gateway": "asaas"})
}

async fn create(stack: &ServeStack, body: &Value) -> (u16, Value) {
    stack.create_charge(body, BOUND).await
}

/// The newest charge payorch holds (each test makes one), as the API shows it.
async fn the_charge(stack: &ServeStack) -> Value {
    let listed: Value =
        serde_json::from_str(&stack.cli(&["charge", "list", "-o", "json"])).expect("JSON");
    let id = listed["data"][0]["id"]
        .as_str()
        .expect("a charge")
        .to_string();
    stack.api().get_charge(&id).await.expect("GET the charge").1
}

/// The payments Asaas's fake holds for payorch charge `id` (its `externalReference`), deleted
/// ones included.
fn asaas_payments(stack: &ServeStack, id: &str) -> Vec<Value> {
    let all: Value =
        serde_json::from_str(&stack.sandbox(&["charges", "asaas", "-o", "json"])).expect("JSON");
    all.as_array()
        .expect("a list")
        .iter()
        .filter(|p| p["externalReference"] == id)
        .cloned()
        .collect()
}

/// `payorch sandbox mode GATEWAY MODE --latency MS --only SCOPE`: a fault on one kind of request.
fn fault_on(stack: &ServeStack, gateway: &str, mode: &str, latency_ms: u64, only: &str) {
    let latency = latency_ms.to_string();
    stack.sandbox(&["mode", gateway, mode, "--latency", &latency, "--only", only]);
}

/// Waits until Asaas's fake holds a payment for charge `id` (a late create landed).
async fn until_asaas_holds(stack: &ServeStack, id: &str) {
    wait_for("the late payment at Asaas", BOUND, || {
        let n = asaas_payments(stack, id).len();
        async move { if n >= 1 { Ok(()) } else { Err(format!("{n}")) } }
    })
    .await;
}

/// A payment the payer can still pay.
fn payable(p: &Value) -> bool {
    p["deleted"] != true && p["status"] == "PENDING"
}

/// `payorch reconcile` once (serve's own reconciler may act first: the tests wait on the
/// fakes' state, not on whose pass did it).
fn reconcile(stack: &ServeStack) -> Value {
    serde_json::from_str(&stack.cli(&["reconcile", "--sandbox", &stack.sandbox.url, "-o", "json"]))
        .expect("a JSON report")
}

/// Runs `payorch reconcile` until none of `held()` (what a fake holds for one charge) is
/// `payable`: the orphan is deleted or cancelled at its gateway. Panics after `BOUND`.
pub(crate) async fn reconcile_until_none_payable(
    stack: &ServeStack,
    what: &str,
    held: impl Fn() -> Vec<Value>,
    payable: fn(&Value) -> bool,
) {
    wait_for(what, BOUND, || {
        let report = reconcile(stack);
        let objects = held();
        async move {
            if objects.iter().any(payable) {
                Err(format!("{objects:?} after {report}"))
            } else {
                Ok(())
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_whose_answer_is_lost_is_adopted_and_made_once() {
    let stack = start("");
    fault_on(&stack, "asaas", "lost", 60000, "POST /v3/payments");
    let (status, v) = create(&stack, &link()).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["status"], "requires_action", "{v}");
    assert_eq!(v["gateway"], "asaas", "{v}");
    let attempts = v["attempts"].as_array().expect("attempts");
    assert!(
        attempts.iter().all(|a| a["gateway"] == "asaas"),
        "pinned to Asaas: {v}"
    );
    assert_eq!(attempts.last().unwrap()["outcome"], "success", "{v}");
    let id = v["id"].as_str().unwrap();

    // One payment at Asaas: the one payorch shows, with its URL.
    let payments = asaas_payments(&stack, id);
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["id"], v["gateway_reference"], "{payments:?}");
    assert_eq!(payments[0]["invoiceUrl"], v["link"]["url"], "{payments:?}");
    assert!(payable(&payments[0]), "{payments:?}");

    // Nothing to cancel: the charge holds it.
    let report = reconcile(&stack);
    assert_eq!(report["orphans_cancelled"], json!([]), "{report}");
    assert!(payable(&asaas_payments(&stack, id)[0]));

    // The payer pays it; the charge follows.
    let reference = v["gateway_reference"].as_str().unwrap();
    stack.sandbox(&["pay", reference, "--gateway", "asaas"]);
    let done = stack.charge_when(id, "succeeded", BOUND).await;
    assert_eq!(done["gateway_reference"], reference, "{done}");
    assert_eq!(asaas_payments(&stack, id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_made_after_payorch_gave_up_is_deleted_never_left_payable() {
    let stack = start("");
    // The payment is made 5 s after the request arrives; payorch waits 1 s per call.
    fault_on(&stack, "asaas", "slow", 5000, "POST /v3/payments");
    let (status, v) = create(&stack, &link()).await;
    let charge = the_charge(&stack).await;
    let id = charge["id"].as_str().expect("id").to_string();
    if charge["status"] == "requires_action" {
        // A machine so loaded that the lookup ran after the payment landed: adopted, as in
        // the test above. The invariant below still holds.
        assert_eq!(status, 201, "{v}");
    } else {
        // Pinned to Asaas: no other gateway may take it; the charge fails, Asaas left as a
        // possible orphan.
        assert!(status >= 400, "{status} {v}");
        assert_eq!(charge["status"], "failed", "{charge}");
        assert!(charge.get("link").is_none(), "{charge}");
    }

    // The payment lands at Asaas; the reconciler (with the fault still on the create: the
    // lookup and the DELETE are not affected) deletes it.
    until_asaas_holds(&stack, &id).await;
    if charge["status"] == "failed" {
        reconcile_until_none_payable(
            &stack,
            "the orphan deleted",
            || asaas_payments(&stack, &id),
            payable,
        )
        .await;
    }
    // However it went: one payment was ever made for the charge, and it is payable only if it
    // is the charge's own.
    tokio::time::sleep(Duration::from_secs(2)).await; // any retried create would have landed
    reconcile(&stack);
    let payments = asaas_payments(&stack, &id);
    assert_eq!(
        payments.len(),
        1,
        "one payment for one charge: {payments:?}"
    );
    let now = stack.api().get_charge(&id).await.expect("GET").1;
    for p in &payments {
        assert!(
            !payable(p)
                || (now["gateway_reference"] == p["id"] && now["status"] == "requires_action"),
            "{p} is payable, and payorch's charge is {now}"
        );
    }
    if now["status"] == "failed" {
        // The payer who somehow has the deleted link cannot pay it.
        let url = payments[0]["invoiceUrl"].as_str().expect("invoiceUrl");
        let paid = stack.post_page(url, "billingType=PIX").await;
        assert!(paid.status().is_client_error(), "{:?}", paid.status());
    }
}

/// Stripe's Checkout Sessions held for payorch charge `id` (their `client_reference_id`).
fn stripe_sessions(stack: &ServeStack, id: &str) -> Vec<Value> {
    let all: Value =
        serde_json::from_str(&stack.sandbox(&["charges", "stripe", "-o", "json"])).expect("JSON");
    all.as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["object"] == "checkout.session" && o["client_reference_id"] == id)
        .cloned()
        .collect()
}

/// The issue's failover rule for links, with two gateways that make them: Asaas first, its
/// create ambiguous (the payment lands after payorch gave up), so the charge takes Stripe's
/// Checkout Session, invisible to the merchant; the reconciler deletes Asaas's late payment.
/// Across both fakes the payer can pay exactly one page: the one payorch returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_fails_over_from_an_ambiguous_asaas_to_stripe_and_the_orphan_is_deleted() {
    let stack = start("");
    stack.cli(&[
        "gateway",
        "switch",
        "asaas",
        "--reason",
        "links at Asaas first",
    ]);
    fault_on(&stack, "asaas", "slow", 5000, "POST /v3/payments");
    let body = json!({"amount": 4590, "currency": "BRL", "method": "link", "customer": customer()});
    let (status, v) = create(&stack, &body).await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().expect("id").to_string();
    if v["gateway"] == "asaas" {
        // A machine so loaded that the lookup ran after the payment landed: adopted at Asaas.
        assert_eq!(stripe_sessions(&stack, &id).len(), 0, "{v}");
        return;
    }
    assert_eq!(v["gateway"], "stripe", "{v}");
    assert_eq!(v["status"], "requires_action", "{v}");
    let attempts: Vec<&str> = v["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["gateway"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(attempts, ["asaas", "stripe"], "{v}");
    let sessions = stripe_sessions(&stack, &id);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["url"], v["link"]["url"], "{sessions:?}");

    // Asaas's payment lands; the reconciler deletes it (the fault is on the create alone).
    until_asaas_holds(&stack, &id).await;
    reconcile_until_none_payable(
        &stack,
        "Asaas's orphan deleted",
        || asaas_payments(&stack, &id),
        payable,
    )
    .await;
    let payments = asaas_payments(&stack, &id);
    assert_eq!(payments.len(), 1, "one payment at Asaas: {payments:?}");
    // Stripe's session is still the charge's one payable page, untouched by the reconciler.
    let now = stack.api().get_charge(&id).await.expect("GET").1;
    assert_eq!(now["status"], "requires_action", "{now}");
    assert_eq!(now["link"]["url"], v["link"]["url"], "{now}");
    let sessions = stripe_sessions(&stack, &id);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["status"], "open", "{sessions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asaas_card_made_after_payorch_gave_up_is_captured_once_and_adopted() {
    let stack = start("");
    fault_on(&stack, "asaas", "slow", 5000, "POST /v3/payments");
    let body = json!({"amount": 4990, "currency": "BRL", "method": "card",
        "customer": customer(), "metadata": {"remote_ip": "203.0.113.7"},
        "card": {"tokens": {"asaas": "tok_asaas_ok"}}});
    let (status, v) = create(&stack, &body).await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    // A card never fails over after an ambiguous create: `unknown` (or, on a loaded machine,
    // found already).
    assert!(
        v["status"] == "unknown" || v["status"] == "succeeded",
        "{v}"
    );
    assert_eq!(v["gateway"], "asaas", "{v}");

    until_asaas_holds(&stack, &id).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // any second create would have landed
    let done = wait_for("the unknown charge resolved", BOUND, || {
        reconcile(&stack);
        let api = stack.api();
        let id = id.clone();
        async move {
            let (_, c) = api.get_charge(&id).await.map_err(|e| e.to_string())?;
            if c["status"] == "succeeded" {
                Ok(c)
            } else {
                Err(c.to_string())
            }
        }
    })
    .await;
    let payments = asaas_payments(&stack, &id);
    assert_eq!(payments.len(), 1, "the card was charged once: {payments:?}");
    assert_eq!(payments[0]["id"], done["gateway_reference"], "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pix_fails_over_from_a_late_efi_cob_and_the_cob_is_removed() {
    let stack = start("[routing]\nprimary = \"efi\"\nfallbacks = [\"asaas\"]\n");
    fault_on(&stack, "efi", "slow", 5000, "PUT /v2/cob/*");
    let body = json!({"amount": 1990, "currency": "BRL", "method": "pix", "customer": customer()});
    let (status, v) = create(&stack, &body).await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let cobs = || -> Vec<Value> {
        let all: Value =
            serde_json::from_str(&stack.sandbox(&["charges", "efi", "-o", "json"])).expect("JSON");
        all.as_array().expect("a list").clone()
    };
    if v["gateway"] == "efi" {
        // Loaded machine: Efí's lookup found the cob; nothing went to Asaas.
        assert!(asaas_payments(&stack, &id).is_empty());
        return;
    }
    assert_eq!(
        v["gateway"], "asaas",
        "Pix fails over after an ambiguous create: {v}"
    );
    assert_eq!(v["status"], "requires_action", "{v}");
    wait_for("the late cob at Efí", BOUND, || {
        let n = cobs().len();
        async move { if n >= 1 { Ok(()) } else { Err(format!("{n}")) } }
    })
    .await;
    wait_for("Efí's cob removed", BOUND, || {
        let report = reconcile(&stack);
        let cobs = cobs();
        async move {
            if cobs
                .iter()
                .all(|c| c["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR")
            {
                Ok(())
            } else {
                Err(format!("{cobs:?} after {report}"))
            }
        }
    })
    .await;
    assert_eq!(cobs().len(), 1, "one cob per txid");
    // Asaas holds the one payable payment: the charge's.
    let payments = asaas_payments(&stack, &id);
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["id"], v["gateway_reference"]);
    assert!(payable(&payments[0]));
}

/// An orphan with a twin at Asaas (two payments under one `externalReference`, as an older
/// payorch's resend of the create made): the reconciler looks again after each delete and
/// deletes both, so neither stays payable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_and_its_twin_are_both_deleted() {
    // serve's own reconciler waits an hour: the twin is added before any pass runs.
    let stack = start("[recovery]\nevery = \"1h\"\n");
    fault_on(&stack, "asaas", "slow", 5000, "POST /v3/payments");
    let (status, _) = create(&stack, &link()).await;
    let charge = the_charge(&stack).await;
    if charge["status"] != "failed" {
        // A machine so loaded that the lookup found the payment: nothing orphaned here.
        assert_eq!(status, 201);
        return;
    }
    let id = charge["id"].as_str().expect("id").to_string();
    until_asaas_holds(&stack, &id).await;
    let late = asaas_payments(&stack, &id).remove(0);

    // The twin, made through Asaas's own API as payorch's create makes it.
    let info: Value =
        serde_json::from_str(&stack.sandbox(&["info", "-o", "json"])).expect("info JSON");
    let asaas = &info["gateways"]["asaas"];
    let made = stack
        .http
        .post(format!(
            "{}/v3/payments",
            asaas["base_url"].as_str().unwrap()
        ))
        .header(
            "access_token",
            asaas["credentials"]["api_key"].as_str().unwrap(),
        )
        .header("user-agent", "payorch-tests")
        .header("content-type", "application/json")
        .body(
            json!({"customer": late["customer"], "billingType": "UNDEFINED",
                "value": late["value"], "dueDate": late["dueDate"], "externalReference": id})
            .to_string(),
        )
        .send()
        .await
        .expect("POST /v3/payments");
    assert!(made.status().is_success(), "{:?}", made.text().await);
    assert_eq!(
        asaas_payments(&stack, &id)
            .iter()
            .filter(|p| payable(p))
            .count(),
        2
    );

    let report = reconcile(&stack);
    let cancelled = report["orphans_cancelled"].as_array().expect("a list");
    assert_eq!(cancelled.len(), 2, "{report}");
    let payments = asaas_payments(&stack, &id);
    assert_eq!(payments.len(), 2, "{payments:?}");
    assert!(
        payments.iter().all(|p| p["deleted"] == true),
        "{payments:?}"
    );
}
