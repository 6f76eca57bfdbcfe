//! Payment links at Efí (its API Cobranças) through the real `payorch serve --sandbox` in front
//! of the real `payorch sandbox`: a link pinned to Efí, its hosted page paid like a payer would,
//! Efí's notification (a token) read back from the fake, the charge `succeeded` with one
//! `charge.succeeded`; `sandbox pay` pays one too; an expired link ends `canceled`; a forged
//! token changes nothing. The adapter's exact requests are in `gateway_efi_links.rs`.

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::scripted::Scripted;
use common::stack::{ServeStack, count, wait_for};
use payorch::secret::Secret;

/// A hang guard for what the sandbox does within a second or two, never a timing assertion.
const BOUND: Duration = Duration::from_secs(60);

/// A stack whose serve listens where `gateways.efi.public_url` says, so the fake's
/// notifications reach it.
fn start(env: common::Env) -> ServeStack {
    start_with(env, "")
}

/// [`start`] with more `[gateways.efi]` keys.
fn start_with(env: common::Env, efi: &str) -> ServeStack {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = format!("[gateways.efi]\npublic_url = \"http://127.0.0.1:{port}\"\n{efi}\n");
    let mut stack = ServeStack::in_env(env, &config);
    stack.start_serve_on(&format!("127.0.0.1:{port}"));
    stack
}

fn link(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "link", "gateway": "efi",
        "description": "Pedido <42> & cia",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25"}})
}

async fn create(stack: &ServeStack, body: &Value) -> (u16, Value) {
    stack.create_charge(body, BOUND).await
}

/// An open link at Efí: its charge id, the fake's page, the end of its day in Brasília.
#[track_caller]
fn assert_open_link(v: &Value) -> (String, String) {
    assert_eq!(v["method"], "link", "{v}");
    assert_eq!(v["status"], "requires_action", "{v}");
    assert_eq!(v["gateway"], "efi", "pinned: {v}");
    let tried = v["attempts"].as_array().expect("attempts");
    assert!(tried.len() == 1 && tried[0]["gateway"] == "efi", "{v}");
    let reference = v["gateway_reference"]
        .as_str()
        .expect("Efí's charge id")
        .to_string();
    assert!(reference.bytes().all(|b| b.is_ascii_digit()), "{v}");
    let url = v["link"]["url"].as_str().expect("link.url").to_string();
    assert!(
        url.starts_with("http://127.0.0.1:")
            && url.ends_with(&format!("/efi/pagamento/{reference}")),
        "{url}"
    );
    let expires = v["link"]["expires_at"].as_str().expect("link.expires_at");
    assert!(expires.ends_with("T02:59:59Z"), "{expires}");
    (reference, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_efi_link_paid_on_its_page_succeeds_with_one_verified_event() {
    let stack = start(common::Env::allowing_private_targets());
    let merchant = Scripted::receiver().await;
    let secret = Secret::new(stack.set_webhook_endpoint(&merchant.base));

    let (status, v) = create(&stack, &link(4590)).await;
    assert_eq!(status, 201, "{v}");
    let (_, url) = assert_open_link(&v);
    let id = v["id"].as_str().expect("id").to_string();

    let page = common::get_text(&url).await;
    assert!(
        page.contains("R$ <span id=\"value\">45.90</span>"),
        "{page}"
    );
    assert!(page.contains("Pedido &lt;42&gt; &amp; cia"), "{page}");
    assert!(page.contains("<form method=\"post\">"), "{page}");

    let paid = stack.post_page(&url, "payment_method=credit_card").await;
    assert_eq!(paid.status().as_u16(), 200);

    let done = stack.charge_when(&id, "succeeded", BOUND).await;
    assert_eq!(done["gateway"], "efi", "{done}");
    // It was Efí's notification that moved it: the fake posted the token to the link's own
    // notification_url, and serve took it.
    let log = common::get_text(&format!("{}/_sandbox/webhooks", stack.sandbox.url)).await;
    let log: Value = serde_json::from_str(&log).expect("the delivery log");
    let links_url = format!("{}/webhooks/default/efi/links", stack.url());
    assert!(
        log.as_array()
            .expect("deliveries")
            .iter()
            .any(|d| d["gateway"] == "efi" && d["url"] == json!(links_url) && d["status"] == 200),
        "{log}"
    );

    // The page takes one payment.
    stack
        .page_refuses_a_second_payment(&url, "payment_method=banking_billet")
        .await;

    stack.succeeded_once(&merchant, &secret, &id, BOUND).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_pay_settles_an_efi_link_and_an_expired_one_is_canceled() {
    let stack = start(common::Env::new());

    let (status, v) = create(&stack, &link(1990)).await;
    assert_eq!(status, 201, "{v}");
    let (reference, _) = assert_open_link(&v);
    let id = v["id"].as_str().expect("id");
    let paid: Value =
        serde_json::from_str(&stack.sandbox(&["pay", &reference, "-o", "json"])).expect("JSON");
    assert_eq!(paid["charge"]["status"], "paid", "{paid}");
    stack.charge_when(id, "succeeded", BOUND).await;
    assert_eq!(count(&stack.event_types(id), "charge.succeeded"), 1);

    // Efí expires a link at the end of its day; the fake's own route does it now.
    let (_, v) = create(&stack, &link(2500)).await;
    let (reference, url) = assert_open_link(&v);
    let id = v["id"].as_str().expect("id");
    let expire = url.replace(
        &format!("/pagamento/{reference}"),
        &format!("/v1/sandbox/charge/{reference}/expire"),
    );
    let r = stack.http.post(&expire).send().await.expect("expire");
    assert_eq!(r.status().as_u16(), 200);
    stack.charge_when(id, "canceled", BOUND).await;
    let types = stack.event_types(id);
    assert_eq!(count(&types, "charge.canceled"), 1, "{types:?}");
    assert_eq!(count(&types, "charge.succeeded"), 0, "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_notification_changes_nothing() {
    let stack = start(common::Env::new());
    let (_, v) = create(&stack, &link(3000)).await;
    let (reference, _) = assert_open_link(&v);
    let id = v["id"].as_str().expect("id");
    let route = format!("{}/webhooks/default/efi/links", stack.url());
    let post = |body: String| {
        stack
            .http
            .post(&route)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };

    // A token Efí never issued (here: the charge id with a guessed secret): 401, nothing kept.
    let r = post(format!("notification=guessed-{reference}"))
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = serde_json::from_str(&r.text().await.expect("a body")).expect("JSON");
    assert_eq!(body["error"]["code"], "webhook_unauthenticated", "{body}");
    // No token at all: 400.
    let r = post("status=paid".into()).await.expect("POST");
    assert_eq!(r.status().as_u16(), 400);

    let (_, now) = stack.api().get_charge(id).await.expect("GET");
    assert_eq!(now["status"], "requires_action", "{now}");
    let types = stack.event_types(id);
    assert_eq!(count(&types, "charge.succeeded"), 0, "{types:?}");
}

/// The link charges Efí's fake holds for payorch charge `id` (their `custom_id`).
fn efi_links(stack: &ServeStack, id: &str) -> Vec<Value> {
    let all: Value =
        serde_json::from_str(&stack.sandbox(&["charges", "efi", "-o", "json"])).expect("JSON");
    all.as_array()
        .expect("a list")
        .iter()
        .filter(|c| c["custom_id"] == id)
        .cloned()
        .collect()
}

fn payable(c: &Value) -> bool {
    c["status"] == "link"
}

/// `payorch sandbox mode efi MODE --latency MS --only "POST /v1/charge/one-step/link"`.
fn fault_on_create(stack: &ServeStack, mode: &str, latency_ms: u64) {
    let latency = latency_ms.to_string();
    stack.sandbox(&[
        "mode",
        "efi",
        mode,
        "--latency",
        &latency,
        "--only",
        "POST /v1/charge/one-step/link",
    ]);
}

fn reconcile(stack: &ServeStack) -> Value {
    serde_json::from_str(&stack.cli(&["reconcile", "--sandbox", &stack.sandbox.url, "-o", "json"]))
        .expect("a JSON report")
}

/// Rule 4 at Efí's API Cobranças, which takes no idempotency key: the create's answer is lost,
/// payorch does not POST it again but finds the link by `custom_id` and adopts it, so Efí
/// holds one link, the one the merchant got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_efi_link_whose_answer_is_lost_is_adopted_and_made_once() {
    let stack = start_with(common::Env::new(), "timeout = \"1s\"");
    fault_on_create(&stack, "lost", 60000);
    let (status, v) = create(&stack, &link(4590)).await;
    assert_eq!(status, 201, "{v}");
    let (reference, url) = assert_open_link(&v);
    assert_eq!(
        v["attempts"].as_array().unwrap().last().unwrap()["outcome"],
        "success",
        "{v}"
    );
    let id = v["id"].as_str().unwrap();
    let links = efi_links(&stack, id);
    assert_eq!(links.len(), 1, "one link for one charge: {links:?}");
    assert_eq!(links[0]["charge_id"].to_string(), reference, "{links:?}");
    assert_eq!(links[0]["link"]["payment_url"], json!(url), "{links:?}");

    stack.sandbox(&["pay", &reference]);
    stack.charge_when(id, "succeeded", BOUND).await;
    assert_eq!(efi_links(&stack, id).len(), 1);
}

/// The link lands at Efí after payorch stopped looking: the charge (pinned to Efí) fails, and
/// the reconciler finds the late link by `custom_id` and cancels it, so nobody can pay it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_efi_link_made_after_payorch_gave_up_is_cancelled() {
    let stack = start_with(common::Env::new(), "timeout = \"1s\"");
    fault_on_create(&stack, "slow", 5000);
    let (status, v) = create(&stack, &link(4590)).await;
    let listed: Value =
        serde_json::from_str(&stack.cli(&["charge", "list", "-o", "json"])).expect("JSON");
    let id = listed["data"][0]["id"]
        .as_str()
        .expect("a charge")
        .to_string();
    let charge = stack.api().get_charge(&id).await.expect("GET").1;
    if charge["status"] != "requires_action" {
        // Pinned to Efí: no other gateway may take it.
        assert!(status >= 400, "{status} {v}");
        assert_eq!(charge["status"], "failed", "{charge}");
    }
    wait_for("the late link at Efí", BOUND, || {
        let n = efi_links(&stack, &id).len();
        async move { if n >= 1 { Ok(()) } else { Err(format!("{n}")) } }
    })
    .await;
    if charge["status"] == "failed" {
        crate::orphans::reconcile_until_none_payable(
            &stack,
            "the orphan cancelled",
            || efi_links(&stack, &id),
            payable,
        )
        .await;
    }
    reconcile(&stack);
    let links = efi_links(&stack, &id);
    assert_eq!(links.len(), 1, "one link for one charge: {links:?}");
    let now = stack.api().get_charge(&id).await.expect("GET").1;
    for l in &links {
        assert!(
            !payable(l)
                || (now["gateway_reference"] == json!(l["charge_id"].to_string())
                    && now["status"] == "requires_action"),
            "{l} is payable, and payorch's charge is {now}"
        );
    }
    if now["status"] == "failed" {
        let url = links[0]["link"]["payment_url"]
            .as_str()
            .expect("payment_url");
        let paid = stack
            .http
            .post(url)
            .body("payment_method=credit_card")
            .send()
            .await
            .expect("POST the page");
        assert!(paid.status().is_client_error(), "{:?}", paid.status());
    }
}
