//! The harness of the crash tests: one case = an in-process sandbox, a SQLite file, a core
//! that dies at a crash point and a second core that recovers; then the gateways' truth is read
//! from the fakes and compared with payorch's.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use payorch::clock::{Clock, ManualClock, SystemClock};
use payorch::config::{Config, HumanDuration};
use payorch::failpoint::Action;
use payorch::gateway::registry;
use payorch::model::{Charge, ChargeStatus, GatewayId, TenantId};
use payorch::orchestrator::SharedGateways;
use payorch::runtime::{self, Answer, Core};
use payorch::sandbox::SandboxContext;
use payorch::sandbox::server::{
    RetryPolicy, RunningSandbox, SandboxOptions, SandboxServer, standard_fakes,
};
use payorch::server::{AppState, HttpRender};
use payorch::store::sqlite::SqliteStore;
use payorch::store::{EventQuery, Store};
use serde_json::{Value, json};

/// What the first gateway tried does with the charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Success,
    /// The card is declined (a business answer: no failover).
    Decline,
    /// It answers after payorch gave up waiting, and creates the charge all the same.
    TimeoutAfterSending,
    /// Connection refused: nothing was sent.
    Refused,
    /// 500 without creating anything (payorch cannot know that).
    ServerError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Card,
    Pix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Alone,
    OneFallback,
    TwoFallbacks,
}

/// Who finishes the charge after the crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// The merchant retries its idempotency key.
    KeyRetry,
    /// Nobody comes back: the reconciler alone.
    Reconciler,
    /// The gateway's webhooks reach a restarted `serve` (the reconciler runs after them, for
    /// what no webhook can tell).
    Webhook,
}

#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub point: &'static str,
    /// Which hit of the point fires (1 = the first).
    pub nth: u32,
    pub behaviour: Behaviour,
    pub method: Method,
    pub route: Route,
    pub recovery: Recovery,
}

impl Case {
    /// No crash: `method` through one gateway that answers, recovered by the reconciler. Tests
    /// outside the matrix start from it and change what they need (`Case { …, ..uncrashed }`).
    pub fn uncrashed(method: Method) -> Case {
        Case {
            point: "none",
            nth: 1,
            behaviour: Behaviour::Success,
            method,
            route: Route::Alone,
            recovery: Recovery::Reconciler,
        }
    }
}

/// How long the gateways' fakes take in the timeout case, and how long payorch waits. Every
/// other call must answer within TIMEOUT too, on a machine loaded by a parallel build: 250 ms
/// was not always enough there, so a second, at the price of a slower matrix.
pub const SLOW: Duration = Duration::from_millis(1600);
pub const TIMEOUT: Duration = Duration::from_millis(1000);
/// The idempotency lease (= when a silent holder counts as dead).
pub const LEASE: Duration = Duration::from_secs(5);

impl Case {
    pub fn gateways(&self) -> Vec<GatewayId> {
        use GatewayId::*;
        let all = match self.method {
            // The issue's reproduction: Asaas first, Stripe behind it.
            Method::Card => vec![Asaas, Stripe],
            Method::Pix => vec![Efi, Asaas, Stripe],
        };
        let n = match self.route {
            Route::Alone => 1,
            Route::OneFallback => 2,
            Route::TwoFallbacks => 3,
        };
        all.into_iter().take(n).collect()
    }

    pub fn body(&self) -> Value {
        let declined = self.behaviour == Behaviour::Decline;
        match self.method {
            Method::Card => json!({
                "amount": 4990, "currency": "BRL", "method": "card",
                "customer": {"name": "Maria Silva", "document": "529.982.247-25",
                             "email": "maria@example.com"},
                "metadata": {"remote_ip": "203.0.113.7"},
                "card": {"tokens": {
                    "stripe": if declined { "pm_card_chargeDeclined" } else { "pm_card_visa" },
                    "asaas": if declined { "payorch-sandbox-declined-card" } else { "tok_asaas_ok" },
                }},
            }),
            Method::Pix => json!({
                "amount": 1990, "currency": "BRL", "method": "pix",
                "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
            }),
        }
    }

    pub fn config(&self) -> Config {
        let mut config = Config::default();
        let route = self.gateways();
        config.routing.primary = route[0];
        config.routing.fallbacks = route[1..].to_vec();
        for s in [
            &mut config.gateways.stripe.timeout,
            &mut config.gateways.efi.timeout,
            &mut config.gateways.asaas.timeout,
        ] {
            *s = HumanDuration(TIMEOUT);
        }
        config.idempotency.lease = HumanDuration(LEASE);
        config.recovery.lookup_grace = HumanDuration(Duration::ZERO);
        config
    }
}

pub mod refund;

/// Runs every charge case.
pub async fn run_cases(cases: Vec<Case>) {
    run_all(cases, run_case).await;
}

/// Runs every case, a few at a time, and fails with every violation found. `run` answers
/// whether the case's flow reached its crash point.
pub async fn run_all<C, F, Fut>(cases: Vec<C>, run: F)
where
    C: std::fmt::Debug + Copy + Send + 'static,
    F: Fn(C) -> Fut,
    Fut: std::future::Future<Output = Result<bool, String>> + Send + 'static,
{
    let total = cases.len();
    let mut failures = Vec::new();
    let mut crashed = 0;
    for chunk in cases.chunks(12) {
        let mut set = tokio::task::JoinSet::new();
        for case in chunk {
            let case = *case;
            let fut = run(case);
            set.spawn(async move { (case, fut.await) });
        }
        while let Some(joined) = set.join_next().await {
            let (case, result) = joined.expect("a case task");
            match result {
                Ok(true) => crashed += 1,
                Ok(false) => {}
                Err(why) => failures.push(format!("{case:?}:\n    {why}")),
            }
        }
    }
    eprintln!(
        "{total} cases, {crashed} of them crashed at their point, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        crashed * 2 >= total,
        "only {crashed} of {total} cases reached their crash point: the matrix tests too little"
    );
}

/// One world: the sandbox, the store, the clock.
pub struct World {
    pub sandbox: Option<RunningSandbox>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub tenant: TenantId,
    pub config: Config,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl World {
    pub async fn new(config: Config) -> World {
        payorch::gateway::http::install_crypto_provider();
        let (mut ctx, hooks) = SandboxContext::new(Arc::new(SystemClock));
        // Asaas's refunds are answered PENDING and settled at once: what the gateway holds
        // does not depend on how long a case takes.
        ctx.asaas_refund_delay = Duration::ZERO;
        let mut options =
            SandboxOptions::new("127.0.0.1:0".parse().unwrap(), Arc::new(SystemClock));
        options.retry = RetryPolicy {
            attempts: 12,
            first_backoff: Duration::from_millis(50),
            timeout: Duration::from_secs(5),
        };
        let sandbox = SandboxServer::new(standard_fakes(&ctx), hooks, options)
            .start()
            .await
            .expect("sandbox starts");
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).unwrap());
        payorch::tenancy::ensure_default_tenant(store.as_ref(), &SystemClock)
            .await
            .unwrap();
        World {
            sandbox: Some(sandbox),
            store,
            clock: Arc::new(ManualClock::new(SystemClock.now())),
            tenant: TenantId::default_tenant(),
            config,
            _dir: dir,
            http: reqwest::Client::new(),
        }
    }

    pub fn sandbox(&self) -> &RunningSandbox {
        self.sandbox.as_ref().expect("the sandbox runs")
    }

    pub async fn shutdown(&mut self) {
        if let Some(s) = self.sandbox.take() {
            s.shutdown().await;
        }
    }

    /// A core over this world's store: a process.
    pub fn core(&self) -> Core {
        let gateways = registry::for_sandbox(
            &self.config.gateways,
            &self.sandbox().info().for_registry(),
            &self.tenant,
        );
        Core::assemble(
            self.config.clone(),
            self.store.clone(),
            Arc::new(SharedGateways(Arc::new(gateways))),
            self.clock.clone(),
        )
        .expect("core")
    }

    pub async fn set_mode(&self, g: GatewayId, mode: Value) {
        let url = format!("{}/_sandbox/{g}/mode", self.sandbox().url());
        let r = self
            .http
            .put(&url)
            .body(mode.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{url}: {}", r.status());
    }

    pub async fn all_up(&self) {
        for g in GatewayId::ALL {
            self.set_mode(g, json!({"mode": "up"})).await;
        }
    }

    /// An API key of this world's tenant: its secret.
    pub async fn api_key(&self, core: &Core) -> String {
        let issued = payorch::tenancy::issue_api_key(
            core.store.as_ref(),
            core.clock.as_ref(),
            &payorch::tenancy::Actor("test".into()),
            &self.tenant,
            Some("test"),
        )
        .await
        .expect("an api key");
        issued.secret.expose().to_string()
    }

    /// Makes gateway `g` behave as `behaviour` for the calls to come.
    pub async fn behave(&self, g: GatewayId, behaviour: Behaviour) {
        let mode = match behaviour {
            Behaviour::Success | Behaviour::Decline => return,
            Behaviour::TimeoutAfterSending => {
                json!({"mode": "slow", "latency_ms": u64::try_from(SLOW.as_millis()).unwrap()})
            }
            Behaviour::Refused => json!({"mode": "down"}),
            Behaviour::ServerError => json!({"mode": "down", "status": 500}),
        };
        self.set_mode(g, mode).await;
    }

    /// After a crash: the slow gateway finishes what it was sent, every gateway is healthy
    /// again, and the dead process's lease has passed.
    pub async fn recover_gateways(&self, behaviour: Behaviour) {
        if behaviour == Behaviour::TimeoutAfterSending {
            tokio::time::sleep(SLOW * 2).await;
        }
        self.all_up().await;
        self.clock.advance(LEASE + Duration::from_secs(1));
    }

    /// `passes` passes of `core`'s reconciler, each a lease apart.
    pub async fn reconcile(&self, core: &Core, passes: usize) -> Result<(), String> {
        for _ in 0..passes {
            core.orchestrator
                .reconcile_once()
                .await
                .map_err(|e| format!("reconcile: {e}"))?;
            self.clock.advance(LEASE + Duration::from_secs(1));
        }
        Ok(())
    }

    pub async fn set_webhooks(&self, base: &str) {
        for g in GatewayId::ALL {
            let url = format!("{}/_sandbox/{g}/webhook", self.sandbox().url());
            let body = json!({"url": format!("{base}/webhooks/{}/{g}", self.tenant)});
            let r = self
                .http
                .put(&url)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{url}: {}", r.status());
        }
    }

    /// What every gateway holds for payorch charge `id`.
    pub async fn truth(&self, id: &str) -> Vec<Held> {
        let url = format!("{}/_sandbox/charges", self.sandbox().url());
        let text = self
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let all: BTreeMap<GatewayId, Vec<Value>> = serde_json::from_str(&text).unwrap();
        let txid = payorch::id::ChargeId::parse(id)
            .map(|c| payorch::gateway::efi::wire::txid_for(&c))
            .unwrap_or_default();
        let mut held = Vec::new();
        for (g, charges) in all {
            for c in charges {
                let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                let (mine, reference, state) = match g {
                    GatewayId::Stripe => (
                        c["metadata"]["payorch_charge_id"] == id,
                        s("id"),
                        match c["status"].as_str() {
                            Some("succeeded") => State::Paid,
                            Some("requires_action" | "processing") => State::Live,
                            _ => State::Dead,
                        },
                    ),
                    GatewayId::Asaas => (
                        c["externalReference"] == id,
                        s("id"),
                        match (c["status"].as_str(), c["deleted"].as_bool()) {
                            (_, Some(true)) => State::Dead,
                            (Some("CONFIRMED" | "RECEIVED"), _) => State::Paid,
                            (Some("PENDING"), _) => State::Live,
                            _ => State::Dead,
                        },
                    ),
                    GatewayId::Efi => (
                        c["txid"] == txid.as_str(),
                        s("txid"),
                        match c["status"].as_str() {
                            Some("CONCLUIDA") => State::Paid,
                            Some("ATIVA") => State::Live,
                            _ => State::Dead,
                        },
                    ),
                };
                if mine {
                    held.push(Held {
                        gateway: g,
                        reference,
                        state,
                    });
                }
            }
        }
        held
    }

    pub async fn charge(&self, id: &str) -> Option<Charge> {
        let id = payorch::id::ChargeId::parse(id).ok()?;
        self.store
            .get_charge(&self.tenant, &id)
            .await
            .unwrap()
            .map(|v| v.value)
    }

    /// The charge of this world (each case makes one).
    pub async fn only_charge(&self) -> Option<Charge> {
        let page = self
            .store
            .list_charges(&self.tenant, &Default::default())
            .await
            .unwrap();
        page.items.into_iter().next()
    }

    /// The event types logged for charge `id`, oldest first.
    pub async fn events(&self, charge: &Charge) -> Vec<String> {
        let query = EventQuery {
            kind: None,
            charge: Some(charge.id.clone()),
            starting_after: None,
            limit: 100,
        };
        let page = self.store.list_events(&self.tenant, &query).await.unwrap();
        let mut kinds: Vec<String> = page
            .items
            .iter()
            .map(|e| e.kind.as_str().to_string())
            .collect();
        kinds.reverse();
        kinds
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub gateway: GatewayId,
    pub reference: String,
    pub state: State,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Money moved (a captured card, a paid Pix).
    Paid,
    /// Payable (an open Pix QR code).
    Live,
    /// Declined, cancelled, deleted.
    Dead,
}

/// Serves `core`'s HTTP API (merchant API and gateway webhooks) at `addr` (port 0: a free
/// one); returns its base URL and the serving task.
pub async fn serve(core: &Core, addr: &str) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = payorch::server::router(AppState::from_core(core));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, task)
}

pub async fn create(core: &Core, tenant: &TenantId, key: &str, body: &Value) -> Answer {
    runtime::create_charge(
        &core.orchestrator,
        &core.idempotency,
        &HttpRender,
        tenant,
        key,
        body,
    )
    .await
}

/// Runs one case; `Ok(true)` when the flow did crash at the point.
async fn run_case(case: Case) -> Result<bool, String> {
    let mut world = World::new(case.config()).await;
    let body = case.body();
    let first = case.gateways()[0];

    // The process that will recover, listening for the gateways' webhooks when they are the
    // way back.
    let survivor = world.core();
    let server = if case.recovery == Recovery::Webhook {
        let (base, task) = serve(&survivor, "127.0.0.1:0").await;
        world.set_webhooks(&base).await;
        Some(task)
    } else {
        None
    };

    world.behave(first, case.behaviour).await;

    // The process that dies.
    let doomed = world.core();
    doomed
        .orchestrator
        .failpoints
        .arm_with(case.point, Action::Panic, case.nth - 1);
    let answer = create(&doomed, &world.tenant, "k1", &body).await;
    let crashed = answer.status == 500 && answer.body.contains("internal_error");
    drop(doomed);

    world.recover_gateways(case.behaviour).await;

    let mut retried = None;
    match case.recovery {
        Recovery::KeyRetry => {
            let a = create(&survivor, &world.tenant, "k1", &body).await;
            // A crash after the last commit leaves the key completed with the charge's answer
            // (one commit with the outcome): replaying that is right, and `check` compares it
            // with the charge. Replaying the crash's own 500 is not.
            if crashed && a.replayed() && (a.status == 500 || a.body.contains("internal_error")) {
                return Err(format!("the retry replayed the crash's answer: {}", a.body));
            }
            retried = Some(a);
        }
        Recovery::Reconciler => {}
        Recovery::Webhook => {
            // Let the gateways' webhooks (retried by the sandbox) arrive.
            for _ in 0..100 {
                let decided = world
                    .only_charge()
                    .await
                    .is_some_and(|c| c.status() != ChargeStatus::Pending);
                if decided {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // The reconciler settles what nobody else could (unknown outcomes, orphans, abandoned).
    world.reconcile(&survivor, 3).await?;

    let result = check(&world, &case, retried.as_ref(), crashed).await;
    if let Some(task) = server {
        task.abort();
    }
    world.shutdown().await;
    result.map(|()| crashed)
}

/// The invariants of one case, after recovery.
pub async fn check(
    world: &World,
    case: &Case,
    retried: Option<&Answer>,
    crashed: bool,
) -> Result<(), String> {
    let Some(charge) = world.only_charge().await else {
        // The crash came before anything was stored: nothing can have moved either.
        return Ok(());
    };
    let truth = world.truth(charge.id.as_str()).await;
    let paid: Vec<&Held> = truth.iter().filter(|h| h.state == State::Paid).collect();
    let live: Vec<&Held> = truth.iter().filter(|h| h.state == State::Live).collect();
    let context = || {
        format!(
            "crashed: {crashed}; payorch: {} at {:?} ({:?}); gateways: {truth:?}; attempts: {:?}",
            charge.status(),
            charge.gateway,
            charge.gateway_reference,
            charge
                .attempts
                .iter()
                .map(|a| format!("{}:{}", a.gateway, a.outcome))
                .collect::<Vec<_>>()
        )
    };
    if paid.len() > 1 {
        return Err(format!("captured more than once: {}", context()));
    }
    if matches!(
        charge.status(),
        ChargeStatus::Pending | ChargeStatus::Unknown
    ) {
        return Err(format!(
            "left {} after recovery: {}",
            charge.status(),
            context()
        ));
    }
    let holds = |h: &&Held| {
        Some(h.gateway) == charge.gateway
            && Some(h.reference.as_str()) == charge.gateway_reference.as_deref()
    };
    match charge.status() {
        ChargeStatus::Succeeded => {
            if paid.len() != 1 || !holds(&paid[0]) {
                return Err(format!(
                    "succeeded, but the capture is not where payorch says: {}",
                    context()
                ));
            }
        }
        ChargeStatus::RequiresAction => {
            if !paid.is_empty() || live.len() != 1 || !holds(&live[0]) {
                return Err(format!(
                    "awaiting the payer, but the gateways do not hold exactly that one open charge: {}",
                    context()
                ));
            }
        }
        ChargeStatus::Failed | ChargeStatus::Canceled => {
            if !paid.is_empty() || !live.is_empty() {
                return Err(format!(
                    "{} at payorch, but a gateway holds money or an open charge: {}",
                    charge.status(),
                    context()
                ));
            }
        }
        other => return Err(format!("unexpected final status {other}: {}", context())),
    }
    // A card charge that a healthy gateway could take must not fail because of a crash.
    if case.method == Method::Card
        && case.behaviour == Behaviour::Success
        && charge.status() != ChargeStatus::Succeeded
        && case.recovery == Recovery::KeyRetry
        && case.point != "charge.stored"
    {
        // (A charge abandoned before its first call may fail when nobody retries; with the
        // retry it must go through.)
        return Err(format!("a good card failed: {}", context()));
    }
    let events = world.events(&charge).await;
    let final_kind = format!("charge.{}", charge.status());
    let finals = events.iter().filter(|k| **k == final_kind).count();
    if finals != 1 {
        return Err(format!(
            "{finals} `{final_kind}` events (want exactly 1): {events:?}; {}",
            context()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = events.iter().find(|k| !seen.insert(k.as_str())) {
        return Err(format!("event `{dup}` sent twice: {events:?}"));
    }
    if let Some(a) = retried {
        let answered: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
        let same = answered["id"] == charge.id.as_str()
            || answered["error"]["attempts"].is_array()
            || answered["error"]["code"] == "gateway_unavailable";
        if !(200..300).contains(&a.status) && answered["error"]["code"] != "gateway_unavailable" {
            return Err(format!(
                "the retried key answered {}: {}; {}",
                a.status,
                a.body,
                context()
            ));
        }
        if !same || (a.status == 201 && answered["status"] != charge.status().as_str()) {
            // The retry answered before the reconciler moved an `unknown` charge on.
            if answered["status"] != "unknown" {
                return Err(format!(
                    "the retried key answered {} but the charge is {}: {}",
                    a.body,
                    charge.status(),
                    context()
                ));
            }
        }
    }
    Ok(())
}
