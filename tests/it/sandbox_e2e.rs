//! Each adapter against the running `payorch sandbox` binary, as an operator would use it:
//! create, read, `payorch sandbox pay` -> the gateway's own webhook at a local receiver ->
//! verified and parsed by the adapter -> refund; and the sandbox's fault modes produce the
//! outcome classes the adapters must report (rule 3).

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use payorch::clock::{Clock, SystemClock};
use payorch::config::GatewaysConfig;
use payorch::gateway::registry::SandboxInfo;
use payorch::gateway::registry::{self, Gateways};
use payorch::gateway::{CreateRefund, Gateway, WebhookRequest};
use payorch::id::RefundId;
use payorch::model::{
    AttemptOutcome, ChargeStatus, Currency, GatewayId, Money, RefundStatus, TenantId,
};
use tokio::sync::{Mutex, mpsc};

use common::get_text as reqwest_get;

/// The real `payorch sandbox`, killed when dropped.
struct Sandbox {
    _process: common::SandboxProcess,
    url: String,
    env: common::Env,
}

impl Sandbox {
    fn start() -> Sandbox {
        let env = common::Env::new();
        let process = env.start_sandbox();
        let url = process.url.clone();
        Sandbox {
            _process: process,
            url,
            env,
        }
    }

    /// Runs a `payorch sandbox …` verb against this sandbox and asserts it succeeded.
    fn verb(&self, args: &[&str]) -> String {
        let mut full = vec!["sandbox"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--url", &self.url]);
        self.env.run(&full).ok()
    }

    async fn info(&self) -> SandboxInfo {
        let body = reqwest_get(&format!("{}/_sandbox/info", self.url)).await;
        serde_json::from_str(&body).expect("info JSON")
    }
}

/// One webhook as the merchant-side receiver got it.
struct Received {
    headers: HeaderMap,
    query: Option<String>,
    body: Vec<u8>,
}

type Inbox = Arc<Mutex<BTreeMap<String, mpsc::UnboundedSender<Received>>>>;

/// A local receiver for each gateway's webhooks: `POST /hooks/{gateway}` (Efí's at
/// `/hooks/efi/pix`).
async fn start_receiver() -> (
    String,
    BTreeMap<GatewayId, mpsc::UnboundedReceiver<Received>>,
) {
    let inbox: Inbox = Arc::default();
    let mut receivers = BTreeMap::new();
    for g in GatewayId::ALL {
        let (tx, rx) = mpsc::unbounded_channel();
        inbox.lock().await.insert(g.to_string(), tx);
        receivers.insert(g, rx);
    }
    async fn hook(
        State(inbox): State<Inbox>,
        Path(gateway): Path<String>,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> &'static str {
        if let Some(tx) = inbox.lock().await.get(&gateway) {
            let _ = tx.send(Received {
                headers,
                query,
                body: body.to_vec(),
            });
        }
        "ok"
    }
    let app = axum::Router::new()
        .route("/hooks/{gateway}", axum::routing::post(hook))
        // Efí posts to the registered URL + `/pix`, as the real one does.
        .route("/hooks/{gateway}/pix", axum::routing::post(hook))
        .with_state(inbox);
    let addr = common::scripted::serve(app).await;
    (format!("http://{addr}/hooks"), receivers)
}

fn gateways(info: &SandboxInfo, timeout: Duration) -> Gateways {
    let mut config = GatewaysConfig::default();
    config.stripe.timeout.0 = timeout;
    config.efi.timeout.0 = timeout;
    config.asaas.timeout.0 = timeout;
    let built = registry::for_sandbox(&config, info, &TenantId::default_tenant());
    assert!(built.unavailable.is_empty(), "{:?}", built.unavailable);
    built
}

use common::pix_request as pix_charge;

/// Waits for the webhook that reports `reference` in `status`, verifying every one on the way.
async fn await_event(
    gateway: &dyn Gateway,
    inbox: &mut mpsc::UnboundedReceiver<Received>,
    reference: &str,
    status: ChargeStatus,
) -> payorch::gateway::GatewayEvent {
    loop {
        // A hang guard, not a timing assertion: the webhook is sent right after `pay`.
        let hook = tokio::time::timeout(Duration::from_secs(60), inbox.recv())
            .await
            .unwrap_or_else(|_| panic!("no {status} webhook from {}", gateway.id()))
            .expect("receiver open");
        let req = WebhookRequest {
            headers: &hook.headers,
            query: hook.query.as_deref(),
            body: &hook.body,
            now: SystemClock.now(),
        };
        gateway
            .verify_webhook(&req)
            .expect("the sandbox signs like the gateway");
        let events = gateway.parse_webhook(&req).expect("parses");
        if let Some(e) = events
            .into_iter()
            .find(|e| e.reference == reference && e.status == Some(status))
        {
            return e;
        }
    }
}

fn charge_count(sandbox: &Sandbox, gateway: GatewayId) -> usize {
    let out = sandbox.verb(&["charges", gateway.as_str(), "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("charges JSON");
    v.as_array()
        .map(Vec::len)
        .unwrap_or_else(|| panic!("not a list: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_adapter_round_trips_through_the_running_sandbox() {
    let sandbox = Sandbox::start();
    let (hooks, mut inboxes) = start_receiver().await;
    for g in GatewayId::ALL {
        sandbox.verb(&["webhook", g.as_str(), &format!("{hooks}/{g}")]);
    }
    let info = sandbox.info().await;
    let gws = gateways(&info, Duration::from_secs(15));

    for id in GatewayId::ALL {
        let gateway = gws.get(id).unwrap().as_ref();
        let inbox = inboxes.get_mut(&id).unwrap();
        let req = pix_charge(1990);

        let created = gateway.create_charge(&req).await.expect("create");
        assert_eq!(created.status, ChargeStatus::RequiresAction, "{id}");
        assert_eq!(created.amount, 1990, "{id}");
        let pix = created.pix.as_ref().expect("pix details");
        let code = payorch::brcode::parse(&pix.copy_paste).expect("a valid BR Code");
        assert_eq!(code.amount_cents(), Some(1990), "{id}");

        let read = gateway.get_charge(&created.reference).await.expect("read");
        assert_eq!(read.status, ChargeStatus::RequiresAction, "{id}");
        let found = gateway.find_charge(&req).await.expect("find");
        if id != GatewayId::Stripe {
            // Stripe's search is eventually consistent by design; Efí and Asaas look up by key.
            assert_eq!(
                found.map(|c| c.reference),
                Some(created.reference.clone()),
                "{id}"
            );
        }

        // The operator pays it through the CLI; the fake sends its gateway's own webhook.
        sandbox.verb(&["pay", &created.reference]);
        let event = await_event(gateway, inbox, &created.reference, ChargeStatus::Succeeded).await;
        if let Some(charge_id) = &event.charge_id {
            assert_eq!(charge_id, &req.charge_id, "{id}");
        }
        let paid = gateway
            .get_charge(&created.reference)
            .await
            .expect("read paid");
        assert_eq!(paid.status, ChargeStatus::Succeeded, "{id}");

        let refund = gateway
            .refund(&CreateRefund {
                refund_id: RefundId::generate(),
                charge_reference: created.reference.clone(),
                payment_reference: paid.payment_reference.clone(),
                money: Money::from_minor(500, Currency::Brl).unwrap(),
                idempotency_key: format!("{}-refund-1", req.charge_id),
                reason: Some("customer asked".into()),
            })
            .await
            .expect("refund");
        assert_eq!(refund.amount, 500, "{id}");
        assert_ne!(refund.status, RefundStatus::Failed, "{id}");
        if id == GatewayId::Asaas {
            // Asaas answers a refund PENDING and settles it shortly after, with a webhook
            // naming the refund.
            assert_eq!(refund.status, RefundStatus::Pending);
            let settled = await_event(
                gateway,
                inbox,
                &created.reference,
                ChargeStatus::PartiallyRefunded,
            )
            .await;
            assert!(
                settled
                    .refunds
                    .iter()
                    .any(|n| n.reference == refund.reference
                        && n.status == RefundStatus::Succeeded),
                "{settled:?}"
            );
        }
        let after = gateway
            .get_charge(&created.reference)
            .await
            .expect("read refunded");
        assert_eq!(after.status, ChargeStatus::PartiallyRefunded, "{id}");
        assert_eq!(after.amount_refunded, 500, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_modes_produce_the_outcome_classes_adapters_expect() {
    let sandbox = Sandbox::start();
    let info = sandbox.info().await;
    let gws = gateways(&info, Duration::from_secs(15));
    let short = gateways(&info, Duration::from_millis(500));

    for id in GatewayId::ALL {
        let g = id.as_str();
        let gateway = gws.get(id).unwrap().as_ref();
        // Warm up: a charge that works, so cached tokens and pooled connections exist.
        gateway
            .create_charge(&pix_charge(1990))
            .await
            .expect("healthy create");
        let before = charge_count(&sandbox, id);

        let outcome = |r: Result<
            payorch::gateway::GatewayCharge,
            payorch::gateway::GatewayError,
        >| { r.expect_err("the fault must fail the call").outcome };

        sandbox.verb(&["mode", g, "down"]);
        assert_eq!(
            outcome(gateway.create_charge(&pix_charge(1990)).await),
            AttemptOutcome::UnavailableNotSent,
            "{id} down (refused)"
        );
        sandbox.verb(&["mode", g, "down", "--status", "503"]);
        assert_eq!(
            outcome(gateway.create_charge(&pix_charge(1990)).await),
            AttemptOutcome::UnavailableAmbiguous,
            "{id} down --status 503"
        );
        sandbox.verb(&["mode", g, "flaky", "--error-rate", "1", "--status", "429"]);
        assert_eq!(
            outcome(gateway.create_charge(&pix_charge(1990)).await),
            AttemptOutcome::RateLimited,
            "{id} flaky 429"
        );
        sandbox.verb(&["mode", g, "down", "--status", "401"]);
        assert_eq!(
            outcome(gateway.create_charge(&pix_charge(1990)).await),
            AttemptOutcome::Auth,
            "{id} 401"
        );
        sandbox.verb(&["mode", g, "slow", "--latency", "5000"]);
        assert_eq!(
            outcome(
                short
                    .get(id)
                    .unwrap()
                    .create_charge(&pix_charge(1990))
                    .await
            ),
            AttemptOutcome::UnavailableAmbiguous,
            "{id} slow past the timeout"
        );
        // Every fault answered before the fake saw the request: nothing was created.
        assert_eq!(charge_count(&sandbox, id), before, "{id}");

        sandbox.verb(&["mode", g, "up"]);
        gateway
            .create_charge(&pix_charge(1990))
            .await
            .expect("healthy again");
        assert_eq!(charge_count(&sandbox, id), before + 1, "{id}");
    }
}
