//! Two `payorch serve` processes on one DynamoDB + SQS (the emulator, `common::aws`): what a
//! fleet must share. A routing switch and a breaker opened through one instance are obeyed by
//! the other; one idempotency key sent to both reaches the gateway once; deliveries one
//! instance queued are consumed by the other after a `kill -9`, each event arriving signed;
//! no acknowledged charge or event is lost.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use payorch::clock::{Clock, SystemClock};
use payorch::model::BREAKER_OPEN_CODE;
use payorch::secret::Secret;
use payorch::store::dynamo::{AwsSettings, DynamoStore, admin};
use serde_json::{Value, json};

use common::scripted::{Reply, Scripted};
use common::stack::{Api, ServeStack, wait_for};
use common::{Env, ServeProcess, aws, ledger};

const BOUND: Duration = Duration::from_secs(60);

/// The sandbox, an API key, and two serve processes on one fresh table and pair of queues.
struct Fleet {
    stack: ServeStack,
    a: Option<ServeProcess>,
    b: ServeProcess,
    settings: AwsSettings,
}

impl Fleet {
    /// `config` (TOML) on top of the backend's settings, which come from the environment.
    async fn start(config: &str) -> Fleet {
        Fleet::start_with(config, None).await
    }

    /// [`Fleet::start`], instance b with its own config (`b_config`) when given.
    async fn start_with(config: &str, b_config: Option<&str>) -> Fleet {
        let settings = aws::unique_settings();
        admin::init(&settings, Some(&aws::credentials()))
            .await
            .unwrap_or_else(|e| panic!("aws init on the emulator: {e}"));
        let mut env = Env::allowing_private_targets();
        env.vars = aws::child_env(&settings);
        let stack = ServeStack::in_env(env, config);
        let a = stack
            .env
            .start_serve_with(&stack.config, &stack.sandbox.url);
        let b_path = match b_config {
            Some(text) => {
                let path = stack.env.path().join("payorch-b.toml");
                std::fs::write(&path, text).expect("write b's config");
                path.to_str().expect("a UTF-8 temp path").to_string()
            }
            None => stack.config.clone(),
        };
        let b = stack.env.start_serve_with(&b_path, &stack.sandbox.url);
        Fleet {
            stack,
            a: Some(a),
            b,
            settings,
        }
    }

    fn api(&self, url: &str) -> Api {
        Api {
            http: self.stack.http.clone(),
            url: url.to_string(),
            key: self.stack.key.clone(),
        }
    }

    fn a(&self) -> Api {
        self.api(&self.a.as_ref().expect("instance a runs").url)
    }

    fn b(&self) -> Api {
        self.api(&self.b.url)
    }

    /// The store the instances share, for the ledger checks.
    async fn store(&self) -> DynamoStore {
        DynamoStore::connect(&self.settings, Some(&aws::credentials()))
            .await
            .unwrap_or_else(|e| panic!("connect to the emulator: {e}"))
    }
}

fn card(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "card",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25",
                        "email": "maria@example.com"},
           "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "asaas-card-token-1"}}})
}

/// The gateways a charge's requests went to, in order (not those its breaker refused: an
/// attempt with `gateway_code` `breaker_open` never left).
fn attempted(charge: &Value) -> Vec<String> {
    charge["attempts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["gateway_code"] != BREAKER_OPEN_CODE)
                .filter_map(|x| x["gateway"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A card charge through `api` under a fresh key; its answer.
async fn charge(api: &Api, key: &str) -> Value {
    let (status, body) = api
        .post_charge(key, &card(2500), BOUND)
        .await
        .expect("serve answers");
    assert!(status == 201 || status == 402, "{status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_and_a_breaker_opened_through_one_instance_are_obeyed_by_the_other() {
    let routing = "[routing]\nprimary = \"stripe\"\nfallbacks = [\"asaas\"]\n\n";
    let breaker = |minimum: u32| {
        format!(
            "[breaker]\nwindow_size = {minimum}\nminimum_calls = {minimum}\nwait_in_open = \"10m\"\nsync_interval = \"100ms\"\n"
        )
    };
    let fleet = Fleet::start_with(
        &format!("{routing}{}", breaker(4)),
        Some(&format!("{routing}{}", breaker(1000))),
    )
    .await;

    // An operator switches the primary: both instances route to it (the table is re-read at
    // most every 500 ms; the bound is a hang guard).
    fleet.stack.cli(&["gateway", "switch", "asaas"]);
    routes_to(&fleet, "asaas").await;
    fleet.stack.cli(&["gateway", "switch", "stripe"]);
    routes_to(&fleet, "stripe").await;

    // Stripe goes down: failures seen through instance a open the breaker (in the store) ...
    fleet
        .stack
        .set_mode("stripe", json!({"mode": "down"}))
        .await;
    let mut n = 0;
    wait_for("instance a opens stripe's breaker", BOUND, || {
        n += 1;
        let (api, key) = (fleet.a(), format!("down-a-{n}"));
        let stack = &fleet.stack;
        async move {
            charge(&api, &key).await;
            let state = stripe_state(stack);
            if state == "open" {
                Ok(())
            } else {
                Err(format!("stripe is {state}"))
            }
        }
    })
    .await;
    // ... and instance b, whose own tuning never opens a breaker (minimum_calls = 1000), stops
    // trying stripe: it follows the fleet's state.
    let mut n = 0;
    wait_for("instance b skips stripe", BOUND, || {
        n += 1;
        let (api, key) = (fleet.b(), format!("down-b-{n}"));
        async move {
            let c = charge(&api, &key).await;
            let tried = attempted(&c);
            if tried == ["asaas"] {
                Ok(())
            } else {
                Err(format!("attempts {tried:?}"))
            }
        }
    })
    .await;
    assert_eq!(stripe_state(&fleet.stack), "open");
}

/// Waits until a charge through each instance is first attempted at `gateway`.
async fn routes_to(fleet: &Fleet, gateway: &'static str) {
    for (name, api) in [("a", fleet.a()), ("b", fleet.b())] {
        let mut n = 0;
        wait_for(
            &format!("instance {name} routes to {gateway}"),
            BOUND,
            || {
                n += 1;
                let key = format!("route-{gateway}-{name}-{n}");
                let api = api.clone();
                async move {
                    let c = charge(&api, &key).await;
                    if attempted(&c).first().map(String::as_str) == Some(gateway) {
                        Ok(())
                    } else {
                        Err(format!("attempts {:?}", attempted(&c)))
                    }
                }
            },
        )
        .await;
    }
}

/// Stripe's breaker state as `breaker status` reads it from the shared store.
fn stripe_state(stack: &ServeStack) -> String {
    let status: Value =
        serde_json::from_str(&stack.cli(&["breaker", "status", "-o", "json"])).unwrap();
    status
        .as_array()
        .and_then(|all| all.iter().find(|b| b["gateway"] == "stripe"))
        .and_then(|b| b["state"].as_str())
        .unwrap_or("unknown")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_sent_to_both_instances_reaches_the_gateway_once() {
    let fleet = Fleet::start("[routing]\nprimary = \"stripe\"\nfallbacks = [\"asaas\"]\n").await;
    let (a, b) = (fleet.a(), fleet.b());
    let mut calls = Vec::new();
    for i in 0..100 {
        let api = if i % 2 == 0 { a.clone() } else { b.clone() };
        calls.push(tokio::spawn(async move {
            api.post_charge("one-key", &card(4200), BOUND).await
        }));
    }
    let mut ids = BTreeSet::new();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for call in calls {
        let (status, body) = call.await.unwrap().expect("serve answers");
        *statuses.entry(status).or_default() += 1;
        match status {
            201 => {
                ids.insert(body["id"].as_str().expect("an id").to_string());
            }
            // Another request under the key is still running: the client retries later.
            409 => assert_eq!(body["error"]["code"], "idempotency_key_in_use", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        ids.len(),
        1,
        "one charge for one key: {ids:?} ({statuses:?})"
    );
    let store = fleet.store().await;
    let charges = ledger::charges_in(&store).await;
    assert_eq!(charges.len(), 1, "one charge stored");
    let held = ledger::held(&fleet.stack.http, &fleet.stack.sandbox.url, &charges).await;
    assert_eq!(held.len(), 1, "the gateway was called once: {held:?}");
    assert!(ledger::money_violations(&charges, &held).is_empty());
}

/// The merchant's receiver: answers 503 while closed, 200 once opened, and keeps what it
/// accepted.
struct Merchant {
    server: Scripted,
    open: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<common::scripted::Seen>>>,
}

impl Merchant {
    async fn start() -> Merchant {
        let open = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let (o, a) = (Arc::clone(&open), Arc::clone(&accepted));
        let server = Scripted::answering(move |seen| {
            if o.load(Ordering::SeqCst) {
                a.lock().unwrap().push(seen.clone());
                Some(Reply::with_type(200, "text/plain", "ok"))
            } else {
                Some(Reply::with_type(503, "text/plain", "down"))
            }
        })
        .await;
        Merchant {
            server,
            open,
            accepted,
        }
    }

    /// Points the tenant's webhook endpoint here; the signing secret it was given.
    fn be_the_endpoint(&self, stack: &ServeStack) -> String {
        let url = format!("{}/events", self.server.base);
        let set: Value =
            serde_json::from_str(&stack.cli(&["webhook", "endpoint", "set", &url, "-o", "json"]))
                .unwrap();
        set["secret"].as_str().expect("the new secret").to_string()
    }

    /// The charges whose `charge.succeeded` was accepted, each verified with `secret`; panics
    /// on a delivery that does not verify.
    fn succeeded(&self, secret: &str) -> BTreeSet<String> {
        let secret = Secret::new(secret);
        let mut out = BTreeSet::new();
        for seen in self.accepted.lock().unwrap().iter() {
            common::verify_delivery(
                &[&secret],
                &seen.headers,
                seen.body.as_bytes(),
                SystemClock.now(),
            )
            .unwrap_or_else(|e| panic!("a delivery that does not verify: {e}"));
            let event: Value = serde_json::from_str(&seen.body).expect("JSON");
            if event["type"] == "charge.succeeded" {
                out.insert(
                    event["data"]["charge"]["id"]
                        .as_str()
                        .expect("the charge id")
                        .to_string(),
                );
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_instance_loses_no_acknowledged_charge_and_the_other_delivers_its_events() {
    let mut fleet = Fleet::start(
        "[routing]\nprimary = \"stripe\"\nfallbacks = [\"asaas\"]\n\n\
         [webhooks]\nretry_schedule = [\"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\"]\n\n\
         [idempotency]\nlease = \"5s\"\n\n[recovery]\nevery = \"1s\"\n",
    )
    .await;
    let merchant = Merchant::start().await;
    let secret = merchant.be_the_endpoint(&fleet.stack);

    // Load on both instances; a is killed part-way, mid-request.
    let (a, b) = (fleet.a(), fleet.b());
    let mut load = Vec::new();
    for i in 0..40 {
        let api = if i % 2 == 0 { a.clone() } else { b.clone() };
        load.push(tokio::spawn(async move {
            let key = format!("load-{i}");
            (
                key.clone(),
                api.post_charge(&key, &card(1000 + i), BOUND).await,
            )
        }));
        if i == 25 {
            fleet.a.take().expect("a runs").kill9();
        }
    }
    let mut acknowledged = BTreeMap::new();
    for call in load {
        let (key, answer) = call.await.unwrap();
        if let Ok((201, body)) = answer {
            acknowledged.insert(body["id"].as_str().unwrap().to_string(), (key, body));
        }
    }
    assert!(acknowledged.len() >= 20, "most charges were answered");

    // The merchant comes back; instance b delivers everything, a's queued events included.
    merchant.open.store(true, Ordering::SeqCst);
    let store = fleet.store().await;
    wait_for(
        "every acknowledged charge's event arrives, signed",
        BOUND,
        || {
            let got = merchant.succeeded(&secret);
            let missing: Vec<&String> = acknowledged
                .keys()
                .filter(|id| !got.contains(*id))
                .collect();
            async move {
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{} events missing", missing.len()))
                }
            }
        },
    )
    .await;

    // What was acknowledged is stored as it was answered; nobody was charged twice or
    // without payorch knowing (b's reconciler settles what a left in flight).
    let charges = wait_for("b settles what a left in flight", BOUND, || {
        let store = &store;
        async move {
            let charges = ledger::charges_in(store).await;
            if ledger::unsettled(&charges).is_empty() {
                Ok(charges)
            } else {
                Err(format!("{} unsettled", ledger::unsettled(&charges).len()))
            }
        }
    })
    .await;
    for (id, (_, body)) in &acknowledged {
        let stored = charges
            .iter()
            .find(|c| c.id.as_str() == id)
            .unwrap_or_else(|| panic!("acknowledged charge {id} is stored"));
        assert_eq!(stored.status().as_str(), body["status"], "{id}");
    }
    let held = ledger::held(&fleet.stack.http, &fleet.stack.sandbox.url, &charges).await;
    let violations = ledger::money_violations(&charges, &held);
    assert!(violations.is_empty(), "{violations:#?}");
    let events = ledger::events_in(&store).await;
    let event_violations = ledger::event_violations(&charges, &events);
    assert!(event_violations.is_empty(), "{event_violations:#?}");
}

/// The most DynamoDB + SQS requests one card charge may cost on the charge path, and one event
/// on its way to the merchant (receive, then ack). Measured, then written down in
/// `docs/ARCHITECTURE.md` with what they cost: raise them only on purpose, and update both.
const REQUESTS_PER_CHARGE: u64 = 10;
const REQUESTS_PER_DELIVERY: u64 = 10;

/// Requests sent between two snapshots, per operation.
fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_and_its_delivery_cost_a_bounded_number_of_requests() {
    use payorch::config::Config;
    use payorch::model::TenantId;
    use payorch::runtime::{self, Core};
    use payorch::sandbox::SandboxContext;
    use payorch::sandbox::server::{self as sandbox_server, SandboxOptions, SandboxServer};
    use payorch::store::{DeliveryQueue, Store};

    payorch::gateway::http::install_crypto_provider();
    let (store, _settings) = aws::fresh_store().await;
    let store = Arc::new(store);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    payorch::tenancy::ensure_default_tenant(store.as_ref(), clock.as_ref())
        .await
        .expect("the default tenant");
    let (ctx, webhooks) = SandboxContext::new(clock.clone());
    let options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), clock.clone());
    let sandbox = SandboxServer::new(sandbox_server::standard_fakes(&ctx), webhooks, options)
        .start()
        .await
        .expect("the sandbox");
    let config = Config::default();
    let gateways = runtime::sandbox_gateways(&config, &sandbox.url())
        .await
        .expect("the sandbox's gateways");
    let shared: Arc<dyn Store> = store.clone();
    let core = Core::assemble(config, shared, gateways, clock.clone()).expect("the core");
    let tenant = TenantId::default_tenant();
    let charge = |key: String| {
        let core = &core;
        let tenant = &tenant;
        async move {
            let answer = runtime::create_charge(
                &core.orchestrator,
                &core.idempotency,
                &payorch::server::HttpRender,
                tenant,
                &key,
                &card(2500),
            )
            .await;
            assert_eq!(answer.status, 201, "{}", answer.body);
        }
    };
    // The first charge reads what later ones find cached (the routing table, breaker state).
    charge("warm-up".into()).await;
    while let Some(r) = store
        .receive(10, Duration::from_secs(30), clock.now())
        .await
        .expect("receive")
        .pop()
    {
        store.ack(&r.message.id, &r.receipt).await.expect("ack");
    }

    const CHARGES: u64 = 5;
    let before = store.requests().snapshot();
    for i in 0..CHARGES {
        charge(format!("count-{i}")).await;
    }
    let spent = delta(&before, &store.requests().snapshot());
    let total: u64 = spent.values().sum();
    println!("requests for {CHARGES} card charges: {spent:?}");
    assert!(
        total <= REQUESTS_PER_CHARGE * CHARGES,
        "a card charge costs {:.1} requests, more than {REQUESTS_PER_CHARGE}: {spent:?}",
        total as f64 / CHARGES as f64
    );

    let before = store.requests().snapshot();
    let mut delivered = 0;
    while delivered < CHARGES {
        let batch = store
            .receive(10, Duration::from_secs(30), clock.now())
            .await
            .expect("receive");
        assert!(!batch.is_empty(), "every charge's event is queued");
        // As the delivery worker acknowledges a batch: one ack_many.
        let acks: Vec<_> = batch
            .into_iter()
            .map(|r| (r.message.id, r.receipt))
            .collect();
        let acked = store.ack_many(&acks).await.expect("ack many");
        assert!(acked.iter().all(|a| *a), "fresh receipts: {acked:?}");
        delivered += acks.len() as u64;
    }
    let spent = delta(&before, &store.requests().snapshot());
    let total: u64 = spent.values().sum();
    println!("requests to receive and ack {CHARGES} events: {spent:?}");
    assert!(
        total <= REQUESTS_PER_DELIVERY * CHARGES,
        "an event's delivery costs {:.1} requests, more than {REQUESTS_PER_DELIVERY}: {spent:?}",
        total as f64 / CHARGES as f64
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_listed_shown_and_replayed_from_the_cli() {
    let fleet = Fleet::start(
        "[routing]\nprimary = \"stripe\"\nfallbacks = [\"asaas\"]\n\n\
         [webhooks]\nretry_schedule = [\"1s\"]\n",
    )
    .await;
    let merchant = Merchant::start().await;
    let secret = merchant.be_the_endpoint(&fleet.stack);
    let c = charge(&fleet.a(), "dead-1").await;
    let id = c["id"].as_str().unwrap().to_string();

    // The merchant answers 503: two attempts, then the dead-letter queue.
    let dead = wait_for("the event is dead-lettered", BOUND, || {
        let stack = &fleet.stack;
        async move {
            let list: Value =
                serde_json::from_str(&stack.cli(&["dlq", "list", "-o", "json"])).unwrap();
            match list.as_array().map(Vec::len) {
                Some(1) => Ok(list[0].clone()),
                _ => Err(format!("dlq: {list}")),
            }
        }
    })
    .await;
    let message = dead["id"]
        .as_str()
        .expect("the dead letter's id")
        .to_string();
    let shown = fleet.stack.cli(&["dlq", "show", &message]);
    assert!(shown.contains("503"), "the last error is shown: {shown}");
    // A copy sits in the SQS dead-letter queue for AWS tooling.
    let status: Value =
        serde_json::from_str(&fleet.stack.cli(&["aws", "status", "-o", "json"])).unwrap();
    assert!(
        status["dead_letter_queue"]["visible"].as_u64() >= Some(1),
        "{status:#}"
    );

    // The merchant is back: a replay delivers it, signed, and the DLQ is empty.
    merchant.open.store(true, Ordering::SeqCst);
    fleet.stack.cli(&["dlq", "replay", &message]);
    wait_for("the replayed event arrives", BOUND, || {
        let got = merchant.succeeded(&secret);
        let id = id.clone();
        async move {
            if got.contains(&id) {
                Ok(())
            } else {
                Err(format!("{got:?}"))
            }
        }
    })
    .await;
    let list: Value =
        serde_json::from_str(&fleet.stack.cli(&["dlq", "list", "-o", "json"])).unwrap();
    assert_eq!(list, json!([]), "nothing left dead");
}
