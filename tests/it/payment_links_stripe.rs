//! Payment links at Stripe (Checkout Sessions) through the real `payorch serve --sandbox` in
//! front of the real `payorch sandbox`: a link routed to Stripe (the primary) and paid on the
//! sandbox's Checkout page reaches `succeeded` with one `charge.succeeded` the merchant
//! verifies, while the session's own payment intent events are recorded as ignored, never as
//! "unknown charge"; `sandbox pay` pays one the way a method that settles later does; an
//! expired session ends `canceled`. Link failover: Stripe down, answering 5xx, or with its
//! breaker forced open gives the merchant a link from Asaas instead, and across both fakes
//! every charge has exactly one payable link, the one payorch answered; a slow Stripe that
//! made a session after payorch gave up leaves an orphan the reconciler expires; a session
//! made just before a crash is adopted with its URL. The adapter's exact requests are checked
//! in `gateway_stripe_checkout.rs`.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use common::scripted::Scripted;
use common::stack::{ServeStack, count, wait_for};
use payorch::model::TenantId;
use payorch::secret::Secret;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{InboundStatus, InboundWebhookStore};

/// A hang guard for what the sandbox does within a second or two, never a timing assertion.
const BOUND: Duration = Duration::from_secs(60);

/// Stripe gives up after 2 s, so a 3 s slow Stripe is an ambiguous create. Serve's own
/// reconciler runs hourly: the tests run `payorch reconcile` themselves, so a fee the tests see
/// estimated is not read behind their back.
const CONFIG: &str = "[gateways.stripe]\ntimeout = \"2s\"\n\n[recovery]\nevery = \"1h\"\n";

fn start(env: common::Env) -> ServeStack {
    let mut stack = ServeStack::in_env(env, CONFIG);
    stack.start_serve();
    stack
}

fn link(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "link",
        "description": "Pedido <42> & cia",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"}})
}

async fn create(stack: &ServeStack, body: &Value) -> (u16, Value) {
    stack.create_charge(body, BOUND).await
}

/// A link charge open at Stripe: a Checkout Session whose page is on the sandbox's Stripe.
#[track_caller]
fn assert_open_at_stripe(v: &Value) -> (String, String) {
    assert_eq!(v["method"], "link", "{v}");
    assert_eq!(v["status"], "requires_action", "{v}");
    assert_eq!(
        v["gateway"], "stripe",
        "Stripe is the primary and takes links: {v}"
    );
    let session = v["gateway_reference"]
        .as_str()
        .expect("a reference")
        .to_string();
    assert!(session.starts_with("cs_test_"), "{v}");
    let url = v["link"]["url"].as_str().expect("link.url").to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with(&format!("/stripe/c/pay/{session}")),
        "{url}"
    );
    // The same page at the top level, the field a client redirects the payer to.
    assert_eq!(v["payment_url"], url.as_str(), "{v}");
    // payorch's `payable_for` (1 h) is inside Stripe's 30 min – 24 h.
    let expires = payorch::clock::Timestamp::parse_rfc3339(
        v["link"]["expires_at"].as_str().expect("link.expires_at"),
    )
    .expect("RFC 3339");
    let created = payorch::clock::Timestamp::parse_rfc3339(v["created_at"].as_str().unwrap())
        .expect("RFC 3339");
    let ahead = expires.since(created).as_secs();
    assert!((3_590..=3_610).contains(&ahead), "{ahead} s: {v}");
    (session, url)
}

/// Every payable link across both fakes, by payorch charge id: Stripe's open sessions (their
/// `client_reference_id`) and Asaas's open, undeleted payments (their `externalReference`).
fn payable_links(stack: &ServeStack) -> BTreeMap<String, Vec<String>> {
    let mut links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let fake = |gateway: &str| -> Vec<Value> {
        serde_json::from_str::<Value>(&stack.sandbox(&["charges", gateway, "-o", "json"]))
            .expect("JSON")
            .as_array()
            .expect("a list")
            .clone()
    };
    for s in fake("stripe") {
        if s["object"] == "checkout.session" && s["status"] == "open" {
            let charge = s["client_reference_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            links
                .entry(charge)
                .or_default()
                .push(s["url"].as_str().unwrap().to_string());
        }
    }
    for p in fake("asaas") {
        if p["status"] == "PENDING" && p["deleted"] != true {
            let charge = p["externalReference"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            links
                .entry(charge)
                .or_default()
                .push(p["invoiceUrl"].as_str().unwrap().to_string());
        }
    }
    links
}

/// How serve recorded Stripe's webhooks: (event type from the body, status).
async fn stripe_inbound(stack: &ServeStack) -> Vec<(String, InboundStatus, String)> {
    let store = SqliteStore::open(&stack.db()).expect("store");
    store
        .list_inbound(&TenantId::default_tenant(), 1000)
        .await
        .expect("list")
        .into_iter()
        .filter(|w| w.gateway.as_str() == "stripe")
        .map(|w| {
            let body: Value = serde_json::from_str(&w.body).unwrap_or_default();
            let kind = body["type"].as_str().unwrap_or_default().to_string();
            (kind, w.status, w.note.unwrap_or_default())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_link_paid_on_the_checkout_page_succeeds_with_one_verified_event() {
    let stack = start(common::Env::allowing_private_targets());
    let merchant = Scripted::receiver().await;
    let secret = Secret::new(stack.set_webhook_endpoint(&merchant.base));

    let (status, v) = create(&stack, &link(4590)).await;
    assert_eq!(status, 201, "{v}");
    let (session, url) = assert_open_at_stripe(&v);
    let id = v["id"].as_str().expect("id").to_string();
    let tried: Vec<&Value> = v["attempts"].as_array().expect("attempts").iter().collect();
    assert!(tried.len() == 1 && tried[0]["gateway"] == "stripe", "{v}");

    // The payer opens the link: the amount, the description (escaped), a form with card and Pix.
    let page = common::get_text(&url).await;
    assert!(page.contains("<span id=\"amount\">45.90</span>"), "{page}");
    assert!(page.contains("Pedido &lt;42&gt; &amp; cia"), "{page}");
    assert!(
        page.contains("value=\"card\"") && page.contains("value=\"pix\""),
        "{page}"
    );

    // … and pays by card.
    let paid = stack.post_page(&url, "payment_method=card").await;
    assert_eq!(paid.status().as_u16(), 200);
    let done = stack.charge_when(&id, "succeeded", BOUND).await;
    assert_eq!(done["gateway_reference"], session.as_str(), "{done}");
    // The schedule's estimate for a Stripe link (the card's rate): 3.99 % of R$ 45,90 is
    // 183.141 centavos, 183 rounded half up, + 39.
    assert_eq!(
        done["fee"],
        json!({"amount": 222, "currency": "BRL", "source": "estimated"}),
        "{done}"
    );

    // The page takes one payment.
    stack
        .page_refuses_a_second_payment(&url, "payment_method=pix")
        .await;

    // Exactly one charge.succeeded, delivered to the merchant and signed.
    stack.succeeded_once(&merchant, &secret, &id, BOUND).await;
    let types = stack.event_types(&id);

    // Stripe's three webhooks for the payment: the session's moved the charge; the payment
    // intent's and its Charge's name the charge and were kept as ignored, not "unknown".
    let inbound = wait_for("Stripe's three webhooks recorded", BOUND, || async {
        let seen = stripe_inbound(&stack).await;
        if seen.len() == 3 && seen.iter().all(|(_, s, _)| *s != InboundStatus::Received) {
            Ok(seen)
        } else {
            Err(format!("{seen:?}"))
        }
    })
    .await;
    for (kind, status, note) in &inbound {
        let expected = if kind == "checkout.session.completed" {
            InboundStatus::Applied
        } else {
            InboundStatus::Ignored
        };
        assert_eq!(*status, expected, "{kind}: {note} ({inbound:?})");
    }
    let mut kinds: Vec<&str> = inbound.iter().map(|(k, ..)| k.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "charge.succeeded",
            "checkout.session.completed",
            "payment_intent.succeeded"
        ]
    );

    // The session's webhook carried no fee; the reconciler reads the session, expanded down to
    // its payment's balance transaction, and records Stripe's own figure, with no event.
    let report: Value = serde_json::from_str(&stack.cli(&[
        "reconcile",
        "--sandbox",
        &stack.sandbox.url,
        "-o",
        "json",
    ]))
    .expect("a JSON report");
    assert_eq!(report["fees_recorded"], json!([id]), "{report}");
    let (_, read) = stack.api().get_charge(&id).await.expect("GET");
    assert_eq!(
        read["fee"],
        json!({"amount": 222, "currency": "BRL", "source": "gateway"}),
        "{read}"
    );
    assert_eq!(stack.event_types(&id), types, "no event for a fee");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_pay_settles_a_stripe_link_and_an_expired_session_is_canceled() {
    let stack = start(common::Env::new());

    // `payorch sandbox pay cs_…` pays as the payer's Pix: Stripe reports the session complete
    // but unpaid, then its async payment succeeded.
    let (_, v) = create(&stack, &link(1990)).await;
    let (session, _) = assert_open_at_stripe(&v);
    let id = v["id"].as_str().expect("id");
    let paid: Value =
        serde_json::from_str(&stack.sandbox(&["pay", &session, "-o", "json"])).expect("JSON");
    assert_eq!(paid["charge"]["payment_status"], "paid", "{paid}");
    stack.charge_when(id, "succeeded", BOUND).await;
    let types = stack.event_types(id);
    assert_eq!(count(&types, "charge.succeeded"), 1, "{types:?}");

    // A refund goes to the payment the session made (its payment intent), and Stripe's
    // charge.refunded for it, naming the charge by id only, is late news, not a second refund.
    let (status, refunded) = stack
        .api()
        .post(
            &format!("/v1/charges/{id}/refunds"),
            &format!("plr-{id}"),
            &json!({"amount": 500}),
            BOUND,
        )
        .await
        .expect("POST refund");
    assert_eq!(status, 200, "{refunded}");
    let partial = stack.charge_when(id, "partially_refunded", BOUND).await;
    assert_eq!(partial["amount_refunded"], 500, "{partial}");
    let intents: Value =
        serde_json::from_str(&stack.sandbox(&["charges", "stripe", "-o", "json"])).expect("JSON");
    let refunded_at_stripe: Vec<&Value> = intents
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["object"] == "payment_intent" && o["metadata"]["payorch_charge_id"] == id)
        .collect();
    assert_eq!(refunded_at_stripe.len(), 1, "{intents}");
    let events = wait_for("charge.refunded recorded", BOUND, || async {
        let seen = stripe_inbound(&stack).await;
        let refunded: Vec<_> = seen
            .into_iter()
            .filter(|(k, s, _)| k == "charge.refunded" && *s != InboundStatus::Received)
            .collect();
        if refunded.is_empty() {
            Err("not yet".to_string())
        } else {
            Ok(refunded)
        }
    })
    .await;
    assert!(
        events
            .iter()
            .all(|(_, s, _)| matches!(s, InboundStatus::Applied | InboundStatus::Ignored)),
        "{events:?}"
    );
    let types = stack.event_types(id);
    assert_eq!(count(&types, "charge.partially_refunded"), 1, "{types:?}");

    // A session nobody paid, expired (Stripe sends checkout.session.expired): canceled, as an
    // expired Pix is, and its page stops taking payments.
    let (_, v) = create(&stack, &link(2500)).await;
    let (session, url) = assert_open_at_stripe(&v);
    let id = v["id"].as_str().expect("id");
    let expired = stack
        .http
        .post(format!(
            "{}/stripe/v1/checkout/sessions/{session}/expire",
            stack.sandbox.url
        ))
        .bearer_auth(payorch::sandbox::stripe::SANDBOX_SECRET_KEY)
        .send()
        .await
        .expect("expire");
    assert_eq!(expired.status().as_u16(), 200);
    stack.charge_when(id, "canceled", BOUND).await;
    let types = stack.event_types(id);
    assert_eq!(count(&types, "charge.canceled"), 1, "{types:?}");
    let shown = stack.cli(&["charge", "get", id]);
    assert!(!shown.contains(&url), "{shown}");
    let refused = stack
        .http
        .post(&url)
        .body("payment_method=card")
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status().as_u16(), 409);
}

/// The primary link gateway fails cleanly three ways; each time the merchant gets a link from
/// Asaas in the same answer, and across both fakes every charge has exactly one payable link:
/// the one payorch answered (no payer can pay twice, nor pay a page payorch does not know).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_fails_over_from_stripe_to_asaas_with_one_payable_link() {
    let stack = start(common::Env::new());
    let mut charges = Vec::new();

    // Down: the connection is refused, nothing was sent.
    stack.sandbox(&["mode", "stripe", "down"]);
    let (status, v) = create(&stack, &link(1990)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["gateway"], "asaas", "{v}");
    assert_eq!(v["attempts"][0]["gateway"], "stripe", "{v}");
    assert_eq!(v["attempts"][0]["outcome"], "unavailable_not_sent", "{v}");
    charges.push(v);

    // A 503: ambiguous, so the same key is tried again at Stripe; a link moves no money, so it
    // then fails over (the possible orphan is recorded for the reconciler).
    stack.sandbox(&["mode", "stripe", "down", "--status", "503"]);
    let (status, v) = create(&stack, &link(2990)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["gateway"], "asaas", "{v}");
    assert_eq!(v["attempts"][0]["outcome"], "unavailable_ambiguous", "{v}");
    charges.push(v);

    // Breaker forced open by an operator: Stripe is skipped (once serve has read it).
    stack.sandbox(&["mode", "stripe", "up"]);
    stack.cli(&["breaker", "open", "stripe", "--reason", "test"]);
    let v = wait_for(
        "a link at asaas with Stripe's breaker open",
        BOUND,
        || async {
            let (_, v) = create(&stack, &link(3990)).await;
            if v["gateway"] == "asaas" {
                Ok(v)
            } else {
                Err(v.to_string())
            }
        },
    )
    .await;
    assert!(
        v["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["gateway"] != "stripe" || a["outcome"] == "unavailable_not_sent"),
        "{v}"
    );
    charges.push(v);

    // Invisible to the merchant: each answer is an open link, like any other.
    for c in &charges {
        assert_eq!(c["status"], "requires_action", "{c}");
        assert!(
            c["link"]["url"].as_str().unwrap().contains("/asaas/i/"),
            "{c}"
        );
    }
    // The reconciler finds no session at Stripe for them (the 503 created none).
    stack.cli(&["reconcile", "--sandbox", &stack.sandbox.url]);
    let links = payable_links(&stack);
    let answered: BTreeMap<String, Vec<String>> = charges
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                vec![c["link"]["url"].as_str().unwrap().to_string()],
            )
        })
        .collect();
    for (charge, urls) in &answered {
        assert_eq!(
            links.get(charge),
            Some(urls),
            "one payable link for {charge}: {links:#?}"
        );
    }
    // Anything else payable belongs to a charge payorch holds at Stripe (the breaker loop's).
    for (charge, urls) in &links {
        if answered.contains_key(charge) {
            continue;
        }
        let got: Value = serde_json::from_str(&stack.cli(&["charge", "get", charge, "-o", "json"]))
            .expect("JSON");
        assert_eq!(got["gateway"], "stripe", "{got}");
        assert_eq!(
            urls,
            &vec![got["link"]["url"].as_str().unwrap().to_string()],
            "{got}"
        );
    }
}

/// Stripe answers after payorch gave up: the session exists but payorch never saw it. The link
/// comes from Asaas; the reconciler finds the orphan session by listing around the charge and
/// expires it, so only the link the merchant got can be paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_made_after_a_timeout_is_an_orphan_the_reconciler_expires() {
    let stack = start(common::Env::new());
    stack.sandbox(&["mode", "stripe", "slow", "--latency", "3000"]);
    let (status, v) = create(&stack, &link(1990)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["gateway"], "asaas", "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    stack.sandbox(&["mode", "stripe", "up"]);
    // The slow calls land at the fake (one session: both carried the same key).
    let orphans = wait_for("the orphan session at stripe", BOUND, || async {
        let links = payable_links(&stack);
        match links.get(&id) {
            Some(urls) if urls.len() == 2 => Ok(urls.clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(
        orphans.iter().any(|u| u.contains("/stripe/c/pay/cs_test_")),
        "{orphans:?}"
    );

    let report: Value = serde_json::from_str(&stack.cli(&[
        "reconcile",
        "--sandbox",
        &stack.sandbox.url,
        "-o",
        "json",
    ]))
    .expect("JSON");
    let cancelled = report["orphans_cancelled"].as_array().expect("a list");
    assert!(
        cancelled.iter().any(|o| o.to_string().contains("cs_test_")),
        "{report}"
    );
    let links = payable_links(&stack);
    assert_eq!(
        links.get(&id),
        Some(&vec![v["link"]["url"].as_str().unwrap().to_string()]),
        "only the link the merchant got: {links:#?}"
    );
    let got = stack.charge_when(&id, "requires_action", BOUND).await;
    assert_eq!(got["gateway"], "asaas", "{got}");
}

/// Rule 5 for Stripe links: the process dies after Stripe made the session and before payorch
/// stored it; the reconciler lists the sessions, finds the one naming the charge and adopts it,
/// URL and all, so the payer gets the one session Stripe holds.
#[test]
fn a_session_made_before_a_crash_is_adopted_with_its_url() {
    let env = common::Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    // Not pinned: Stripe is the first gateway for links.
    let args = crate::payment_links::link_args(&sandbox.url, None);
    let (got, held) = crate::payment_links::crash_after_the_gateway_answered_then_reconcile(
        &env,
        &sandbox.url,
        &args,
        "stripe",
    );
    let sessions: Vec<&Value> = held
        .iter()
        .filter(|o| o["object"] == "checkout.session")
        .collect();
    assert_eq!(sessions.len(), 1, "one session at Stripe: {sessions:?}");
    assert_eq!(sessions[0]["url"], got["link"]["url"]);
    assert_eq!(sessions[0]["id"], got["gateway_reference"]);
    assert_eq!(sessions[0]["client_reference_id"], got["id"]);
}
