//! Payment links (`"method": "link"`) at Asaas through the real `payorch serve --sandbox` in
//! front of the real `payorch sandbox`: pinned to Asaas (`billingType: UNDEFINED`; Stripe, the
//! primary, makes links too: `payment_links_stripe.rs`), the hosted page fetched and paid like a
//! payer would, the charge `succeeded` with one `charge.succeeded` the merchant verifies;
//! `sandbox pay` works too; an expired link ends `canceled`, like an expired Pix; a link with
//! card tokens is refused naming `card`; a link made just before a crash is adopted by the
//! reconciler with its URL; the CLI prints the URL and a QR of it. The adapter's exact
//! requests (create, cancel) are checked in `gateway_asaas.rs`.

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::scripted::Scripted;
use common::stack::{ServeStack, count};
use payorch::secret::Secret;

/// A hang guard for what the sandbox does within a second or two, never a timing assertion.
const BOUND: Duration = Duration::from_secs(60);

/// A stack with serve running and Asaas's webhooks going to it.
fn start(env: common::Env) -> ServeStack {
    let mut stack = ServeStack::in_env(env, "");
    stack.start_serve();
    stack.sandbox(&[
        "webhook",
        "asaas",
        &format!("{}/webhooks/default/asaas", stack.url()),
    ]);
    stack
}

fn link(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "link", "gateway": "asaas",
        "description": "Pedido <42> & cia",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"}})
}

async fn create(stack: &ServeStack, body: &Value) -> (u16, Value) {
    stack.create_charge(body, BOUND).await
}

/// A created link charge: at Asaas (pinned, so no other gateway was tried), awaiting the payer,
/// with the link's URL and expiry.
#[track_caller]
fn assert_open_link(stack: &ServeStack, v: &Value) -> String {
    assert_eq!(v["method"], "link", "{v}");
    assert_eq!(v["status"], "requires_action", "{v}");
    assert_eq!(v["gateway"], "asaas", "pinned: {v}");
    assert!(v.get("pix").is_none() && v.get("boleto").is_none(), "{v}");
    let tried: Vec<&Value> = v["attempts"].as_array().expect("attempts").iter().collect();
    assert!(
        tried.len() == 1 && tried[0]["gateway"] == "asaas",
        "only Asaas was tried: {v}"
    );
    let url = v["link"]["url"].as_str().expect("link.url").to_string();
    let number = v["gateway_reference"]
        .as_str()
        .expect("a pay_ reference")
        .trim_start_matches("pay_");
    // The sandbox's invoice page, on the sandbox's Asaas listener.
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with(&format!("/asaas/i/{number}")),
        "{url} ({})",
        stack.sandbox.url
    );
    // The end of the due day in Brasília time (UTC−3): 02:59:59Z the next day.
    let expires = v["link"]["expires_at"].as_str().expect("link.expires_at");
    assert!(expires.ends_with("T02:59:59Z"), "{expires}");
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_paid_on_the_hosted_page_succeeds_with_one_verified_event() {
    let stack = start(common::Env::allowing_private_targets());
    let merchant = Scripted::receiver().await;
    let secret = Secret::new(stack.set_webhook_endpoint(&merchant.base));

    let (status, v) = create(&stack, &link(4590)).await;
    assert_eq!(status, 201, "{v}");
    let url = assert_open_link(&stack, &v);
    let id = v["id"].as_str().expect("id").to_string();

    // The payer opens the link: the amount, the description (escaped), a form.
    let page = common::get_text(&url).await;
    assert!(
        page.contains("R$ <span id=\"value\">45.90</span>"),
        "{page}"
    );
    assert!(page.contains("Pedido &lt;42&gt; &amp; cia"), "{page}");
    assert!(page.contains("<form method=\"post\">"), "{page}");

    // … and pays it by card.
    let paid = stack.post_page(&url, "billingType=CREDIT_CARD").await;
    assert_eq!(paid.status().as_u16(), 200);
    let text = paid.text().await.expect("a page");
    assert!(text.contains("CREDIT_CARD"), "{text}");

    let done = stack.charge_when(&id, "succeeded", BOUND).await;
    assert_eq!(done["gateway"], "asaas", "{done}");

    // Paying again is refused: the page takes one payment.
    stack
        .page_refuses_a_second_payment(&url, "billingType=PIX")
        .await;

    // Exactly one charge.succeeded, delivered to the merchant and signed.
    let delivery = stack.succeeded_once(&merchant, &secret, &id, BOUND).await;
    let event: Value = serde_json::from_str(&delivery.body).expect("JSON");
    assert_eq!(event["data"]["charge"]["method"], "link", "{event}");
    let types = stack.event_types(&id);
    assert_eq!(count(&types, "charge.succeeded"), 1, "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_pay_settles_a_link_and_an_expired_link_is_canceled() {
    let stack = start(common::Env::new());

    // `payorch sandbox pay` pays a link as the payer's Pix.
    let (status, v) = create(&stack, &link(1990)).await;
    assert_eq!(status, 201, "{v}");
    assert_open_link(&stack, &v);
    let id = v["id"].as_str().expect("id");
    let paid: Value = serde_json::from_str(&stack.sandbox(&[
        "pay",
        v["gateway_reference"].as_str().unwrap(),
        "-o",
        "json",
    ]))
    .expect("JSON");
    assert_eq!(paid["charge"]["billingType"], "PIX", "{paid}");
    stack.charge_when(id, "succeeded", BOUND).await;

    // A link nobody paid by its due date: Asaas says PAYMENT_OVERDUE, and the charge is
    // canceled, as an expired Pix at Asaas is.
    let (_, v) = create(&stack, &link(2500)).await;
    let url = assert_open_link(&stack, &v);
    let id = v["id"].as_str().expect("id");
    let reference = v["gateway_reference"].as_str().unwrap();
    let overdue = json!({"id": format!("evt_{}", payorch::id::new_ulid()),
        "event": "PAYMENT_OVERDUE", "dateCreated": "2026-01-02 00:00:00",
        "payment": {"id": reference, "status": "OVERDUE", "billingType": "UNDEFINED",
                    "value": 25.00, "externalReference": id}});
    stack.post_asaas_webhook(&overdue).await;
    stack.charge_when(id, "canceled", BOUND).await;
    let types = stack.event_types(id);
    assert_eq!(count(&types, "charge.canceled"), 1, "{types:?}");
    // The CLI no longer offers the link of a charge that cannot be paid.
    let shown = stack.cli(&["charge", "get", id]);
    assert!(!shown.contains(&url), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_with_card_tokens_is_refused_naming_the_field() {
    let stack = start(common::Env::new());
    let mut body = link(1990);
    body["card"] = json!({"tokens": {"asaas": "tok_1"}});
    let (status, v) = create(&stack, &body).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["param"], "card", "{v}");
    let mut body = link(1990);
    body["customer"]["document"] = Value::Null;
    let (status, v) = create(&stack, &body).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["param"], "customer.document", "{v}");
}

/// `payorch charge create --method link …` against `sandbox_url` (without `-o`), pinned to
/// `gateway` if one is named.
pub(crate) fn link_args<'a>(sandbox_url: &'a str, gateway: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec![
        "charge",
        "create",
        "--amount",
        "19,90",
        "--method",
        "link",
        "--customer-name",
        "Maria Silva",
        "--customer-document",
        "529.982.247-25",
        "--sandbox",
        sandbox_url,
    ];
    if let Some(g) = gateway {
        args.extend(["--gateway", g]);
    }
    args
}

/// Rule 5 for a link: `payorch charge create ARGS` dies after the gateway answered and before
/// the answer was stored, leaving the charge `pending`; once its holder counts as dead (a 1 s
/// lease), `payorch reconcile` asks the gateway. Returns the charge as the CLI then shows it
/// (which must be adopted at `gateway`, link and all) and what the sandbox's `gateway` holds.
pub(crate) fn crash_after_the_gateway_answered_then_reconcile(
    env: &common::Env,
    sandbox_url: &str,
    args: &[&str],
    gateway: &str,
) -> (Value, Vec<Value>) {
    let out = env
        .cmd()
        .args(args)
        .env("PAYORCH_FAILPOINTS", "charge.gateway_answered")
        .output()
        .expect("run payorch");
    assert!(!out.status.success(), "it should have aborted");
    let listed = env.run(&["charge", "list", "-o", "json"]).json();
    let id = listed["data"][0]["id"]
        .as_str()
        .expect("the pending charge");
    assert_eq!(listed["data"][0]["status"], "pending", "{listed}");

    std::thread::sleep(Duration::from_millis(1200));
    let r = env
        .cmd()
        .args(["reconcile", "--sandbox", sandbox_url, "-o", "json"])
        .env("PAYORCH_IDEMPOTENCY_LEASE", "1s")
        .output()
        .expect("run payorch reconcile");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = env.run(&["charge", "get", id, "-o", "json"]).json();
    assert_eq!(got["status"], "requires_action", "{got}");
    assert_eq!(got["gateway"], gateway, "{got}");
    assert!(got["link"]["url"].is_string(), "the adopted link: {got}");
    let held = env
        .run(&[
            "sandbox",
            "charges",
            gateway,
            "--url",
            sandbox_url,
            "-o",
            "json",
        ])
        .json();
    (got, held.as_array().expect("a list").clone())
}

/// Rule 5 for links: the process dies after Asaas made the link and before payorch stored it;
/// the reconciler finds the payment by `externalReference` and adopts it, link and all, so
/// the payer gets the one link Asaas holds (no second payment is made).
#[test]
fn a_link_made_before_a_crash_is_adopted_with_its_url() {
    let env = common::Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    let (got, payments) = crash_after_the_gateway_answered_then_reconcile(
        &env,
        &sandbox.url,
        &link_args(&sandbox.url, Some("asaas")),
        "asaas",
    );
    assert_eq!(payments.len(), 1, "one payment at Asaas: {payments:?}");
    assert_eq!(payments[0]["invoiceUrl"], got["link"]["url"]);
}

#[test]
fn charge_create_prints_the_link_and_its_qr_code() {
    let env = common::Env::new();
    let sandbox = env.start_sandbox();
    let args = link_args(&sandbox.url, Some("asaas"));
    let out = env.run(&args).ok();
    let url = out
        .lines()
        .skip_while(|l| !l.starts_with("Payment link"))
        .nth(1)
        .expect("the URL under `Payment link`");
    assert!(url.contains("/asaas/i/"), "{out}");
    // The QR code: Unicode half blocks.
    assert!(out.contains('▀') || out.contains('▄'), "{out}");
    let json = env.run(&[&args[..], &["-o", "json"]].concat()).json();
    assert_eq!(json["method"], "link", "{json}");
    assert!(json["link"]["url"].as_str().is_some(), "{json}");

    // `gateway list` shows who takes links: Asaas and Stripe (Checkout Sessions), not Efí.
    let listed = env
        .run(&["gateway", "list", "--sandbox", &sandbox.url, "-o", "json"])
        .json();
    for g in listed["gateways"].as_array().expect("gateways") {
        let methods = g["capabilities"]["methods"].as_array().expect("methods");
        assert_eq!(
            methods.contains(&json!("link")),
            g["gateway"] != "efi",
            "{listed:#}"
        );
    }
}
