//! The crash soak (issue 10): `payorch serve` under a merchant's card traffic, `kill -9`ed at
//! random moments and started again on the same data dir, while the gateways' fakes are made to
//! fail at random (refused, slow, slower than the timeout, 503s, 429s) and an operator switches
//! the primary, so charges fail over both ways, time out and are cut off mid-call. Every key is
//! retried the way a merchant would until it gets a final answer; then the reconciler settles
//! what is left, and the whole money picture is judged across ALL gateways (`common::ledger`):
//! no charge captured twice, every capture one payorch reports paid there, nothing `pending` or
//! `unknown`, every key's final answer the stored charge, exactly one final event per charge.
//!
//! `cargo test` runs it short (20 s). `scripts/crash-soak` runs it long, in release mode; it
//! sets `CRASH_SOAK_DURATION` (e.g. `10m`), `CRASH_SOAK_SEED` (the random schedule of faults,
//! kills and amounts; printed in the summary) and `CRASH_SOAK_RATE` (new charges per second).

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use common::ServeProcess;
use common::ledger::{self, describe};
use common::stack::{Api, ServeStack, set_mode};
use payorch::model::{Charge, ChargeStatus};
use serde_json::{Value, json};

/// Stripe first, Asaas as its fallback (both take cards in BRL); short timeouts and a breaker
/// that opens and closes within seconds, so faults turn into failovers. The lease outlasts the
/// longest chain of calls one flow makes (an ambiguous call, its retry and a lookup: 3 × 2 s).
const CONFIG: &str = r#"
[routing]
primary = "stripe"
fallbacks = ["asaas"]

[idempotency]
lease = "8s"

[recovery]
every = "1s"
# Longer than the slowest fake (2.5 s, which processes a request after its delay): "not found"
# only means "never created" once nothing sent can still land. At 0 s, a lookup made while
# the first, timed-out request was still asleep at the fake (its same-key retry answered
# 429 at once) let the charge fail over, and the first request then captured: a stray capture
# this soak caught. The default is 2 minutes for the same reason.
lookup_grace = "3s"

[gateways.stripe]
timeout = "2s"

[gateways.asaas]
timeout = "2s"

[breaker]
minimum_calls = 6
window_size = 20
wait_in_open = "2s"
permitted_calls_in_half_open = 2
sync_interval = "100ms"
"#;

/// How long, after the load stops, keys may take to get a final answer and the reconciler to
/// settle the rest: generous (a bound, not an expectation).
const SETTLE_BOUND: Duration = Duration::from_secs(120);

/// What the run is asked to do, from the environment.
struct Settings {
    duration: Duration,
    seed: u64,
    /// New charges per second.
    rate: u32,
}

impl Settings {
    fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let duration = var("CRASH_SOAK_DURATION").map_or(Duration::from_secs(20), |v| {
            humantime::parse_duration(v.trim())
                .unwrap_or_else(|e| panic!("CRASH_SOAK_DURATION={v:?}: {e} (e.g. 10m)"))
        });
        let seed = var("CRASH_SOAK_SEED").map_or_else(
            || {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            },
            |v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("CRASH_SOAK_SEED={v:?}: {e}"))
            },
        );
        let rate = var("CRASH_SOAK_RATE").map_or(10, |v| match v.trim().parse() {
            Ok(r) if (1..=1000).contains(&r) => r,
            _ => panic!("CRASH_SOAK_RATE={v:?}: a number of charges per second, 1 to 1000"),
        });
        Settings {
            duration,
            seed,
            rate,
        }
    }
}

/// splitmix64: a small seeded generator, so one seed replays the same schedule of faults,
/// kills and requests (the processes' timing still varies).
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.between(lo, hi))
    }
}

/// Counters the tasks share, for the summary.
#[derive(Default)]
struct Counts {
    kills: AtomicU64,
    fault_phases: AtomicU64,
    switches: AtomicU64,
    /// Requests that got no answer: serve killed, or the client gave up and hung up.
    no_answer: AtomicU64,
    /// Requests answered with something to retry (409, 429, 5xx).
    retried: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What the soak's processes share: the stack (sandbox, data dir, key), the serve process of
/// the moment and its URL, and the counters.
struct Soak {
    stack: ServeStack,
    serve: Mutex<Option<ServeProcess>>,
    url: RwLock<String>,
    counts: Counts,
    /// Set when the load ends: the killer and the fault driver stop.
    calm: tokio::sync::watch::Sender<bool>,
}

impl Soak {
    fn api(&self) -> Api {
        Api {
            http: self.stack.http.clone(),
            url: self.url.read().unwrap().clone(),
            key: self.stack.key.clone(),
        }
    }

    /// Sleeps `d`; `false` when the load ended meanwhile (then at once).
    async fn pause(&self, d: Duration) -> bool {
        let mut calm = self.calm.subscribe();
        let ended = tokio::time::timeout(d, calm.wait_for(|c| *c)).await;
        ended.is_err()
    }

    /// Starts serve on the same data dir and publishes its URL.
    async fn start_serve(self: &Arc<Self>) {
        let me = self.clone();
        let serve = tokio::task::spawn_blocking(move || {
            me.stack
                .env
                .start_serve_with(&me.stack.config, &me.stack.sandbox.url)
        })
        .await
        .expect("start serve");
        *self.url.write().unwrap() = serve.url.clone();
        *self.serve.lock().unwrap() = Some(serve);
    }

    /// `kill -9`s serve at random moments and starts it again, until the load ends.
    async fn killer(self: Arc<Self>, mut rng: Rng) {
        while self.pause(rng.millis(2000, 6000)).await {
            let serve = self.serve.lock().unwrap().take();
            if let Some(serve) = serve {
                tokio::task::spawn_blocking(move || serve.kill9())
                    .await
                    .expect("kill serve");
                Counts::add(&self.counts.kills);
            }
            tokio::time::sleep(rng.millis(0, 700)).await;
            self.start_serve().await;
        }
    }

    /// Changes each gateway's fault mode every 1-3 s, and now and then switches the primary,
    /// until the load ends; then brings every gateway back up.
    async fn fault_driver(self: Arc<Self>, mut rng: Rng) {
        let (http, sandbox) = (&self.stack.http, &self.stack.sandbox.url);
        let mut primary = "stripe";
        loop {
            for gateway in ["stripe", "asaas"] {
                let mode = match rng.between(1, 100) {
                    1..=55 => json!({"mode": "up"}),
                    // Refused: not sent, fail over.
                    56..=70 => json!({"mode": "down"}),
                    // Slow but within the timeout: the window where a kill lands mid-call.
                    71..=85 => json!({"mode": "slow", "latency_ms": rng.between(300, 1800)}),
                    // Past the timeout: ambiguous, and the fake creates the charge later.
                    86..=90 => json!({"mode": "slow", "latency_ms": 2500}),
                    // A 503 before processing: ambiguous, nothing created.
                    91..=95 => json!({"mode": "flaky", "error_rate": 0.5, "status": 503}),
                    // Rate limited: fail over.
                    _ => json!({"mode": "flaky", "error_rate": 0.5, "status": 429}),
                };
                set_mode(http, sandbox, gateway, mode).await;
            }
            Counts::add(&self.counts.fault_phases);
            if rng.between(1, 100) <= 15 {
                let other = if primary == "stripe" {
                    "asaas"
                } else {
                    "stripe"
                };
                let me = self.clone();
                let switched = tokio::task::spawn_blocking(move || {
                    let config = me.stack.config.as_str();
                    let args = ["--config", config, "gateway", "switch", other];
                    me.stack
                        .env
                        .run(&[&args[..], &["--reason", "soak"]].concat())
                })
                .await
                .expect("switch the primary");
                // An operator whose command failed (a busy store) just tries again later.
                if switched.code() == 0 {
                    primary = other;
                    Counts::add(&self.counts.switches);
                }
            }
            if !self.pause(rng.millis(1000, 3000)).await {
                break;
            }
        }
        for gateway in ["stripe", "efi", "asaas"] {
            set_mode(http, sandbox, gateway, json!({"mode": "up"})).await;
        }
    }

    /// One merchant order: POSTs `key` until a final answer, as a merchant would (retrying on no
    /// answer, 409, 429 and 5xx with the same body; a 201 with a charge still `unknown` is
    /// followed with GETs). `None` when there was none by `deadline`. A 429 is payorch's rate
    /// limit (100/s per key): when gateways misbehave, hundreds of orders are retrying or polling
    /// at once on one key, and a merchant waits out `Retry-After` (1 s) and tries again.
    async fn merchant(
        self: Arc<Self>,
        key: String,
        body: Value,
        mut rng: Rng,
        deadline: Instant,
    ) -> Option<Answer> {
        let mut charge: Option<String> = None;
        while Instant::now() < deadline {
            // Sometimes the client gives up before serve answers: it hangs up.
            let patience = rng.millis(1000, 6000);
            let api = self.api();
            let answer = match &charge {
                None => api.post_charge(&key, &body, patience).await,
                Some(id) => api.get_charge(id).await,
            };
            match answer {
                Err(_) => Counts::add(&self.counts.no_answer),
                Ok((200 | 201, v)) if is_settled(&v["status"]) => return Some(Answer::Charge(v)),
                Ok((200 | 201, v)) => charge = v["id"].as_str().map(str::to_string),
                Ok((503, v)) if v["error"]["code"] == "gateway_unavailable" => {
                    return Some(Answer::NoGateway(v));
                }
                Ok((409, _)) => Counts::add(&self.counts.retried),
                Ok((429, _)) => {
                    Counts::add(&self.counts.retried);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Ok((s, _)) if s >= 500 => Counts::add(&self.counts.retried),
                Ok((s, v)) => return Some(Answer::Unexpected(s, v)),
            }
            tokio::time::sleep(rng.millis(200, 500)).await;
        }
        None
    }
}

/// A key's final answer, as the merchant got it.
enum Answer {
    /// A charge whose status is decided.
    Charge(Value),
    /// 503 `gateway_unavailable`: no gateway could take it (the charge is stored as failed).
    NoGateway(Value),
    /// Anything else a merchant cannot act on: a violation.
    Unexpected(u16, Value),
}

fn is_settled(status: &Value) -> bool {
    status
        .as_str()
        .and_then(|s| s.parse::<ChargeStatus>().ok())
        .is_some_and(|s| {
            !matches!(
                s,
                ChargeStatus::Pending | ChargeStatus::Processing | ChargeStatus::Unknown
            )
        })
}

/// A card charge for order `key`: usually a good card, sometimes one both gateways decline.
fn order(key: &str, rng: &mut Rng) -> Value {
    let (stripe, asaas) = if rng.between(1, 100) <= 8 {
        ("pm_card_chargeDeclined", "payorch-sandbox-declined-card")
    } else {
        ("pm_card_visa", "tok_payorch_soak")
    };
    json!({"amount": rng.between(100, 100_000), "currency": "BRL", "method": "card",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
           "metadata": {"order_id": key, "remote_ip": "203.0.113.7"},
           "card": {"tokens": {"stripe": stripe, "asaas": asaas}}})
}

/// Each key's final answer against the charge payorch stored for it (found by the order id in
/// its metadata). One line per violation.
fn answer_violations(answers: &[(String, Option<Answer>)], charges: &[Charge]) -> Vec<String> {
    let mut by_key: HashMap<&str, Vec<&Charge>> = HashMap::new();
    for c in charges {
        if let Some(k) = c.metadata.get("order_id") {
            by_key.entry(k).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    for (key, answer) in answers {
        let stored = by_key.get(key.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let stored = match stored {
            [c] => *c,
            _ => {
                let list: Vec<String> = stored.iter().map(|c| describe(c)).collect();
                out.push(format!(
                    "key {key}: {} charges stored: {list:?}",
                    list.len()
                ));
                continue;
            }
        };
        match answer {
            None => out.push(format!("key {key}: no final answer; {}", describe(stored))),
            Some(Answer::Charge(v)) => {
                let want = json!({"id": stored.id, "status": stored.status(),
                                  "gateway": stored.gateway,
                                  "gateway_reference": stored.gateway_reference});
                let got = json!({"id": v["id"], "status": v["status"], "gateway": v["gateway"],
                                 "gateway_reference": v["gateway_reference"]});
                if got != want {
                    out.push(format!("key {key}: answered {got}, stored {want}"));
                }
            }
            Some(Answer::NoGateway(v)) => {
                if stored.status() != ChargeStatus::Failed || stored.gateway.is_some() {
                    out.push(format!(
                        "key {key}: answered {v}, stored {}",
                        describe(stored)
                    ));
                }
            }
            Some(Answer::Unexpected(s, v)) => out.push(format!("key {key}: answered {s} {v}")),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_soak_never_charges_twice_and_settles_everything() {
    let settings = Settings::from_env();
    let seed = settings.seed;
    eprintln!(
        "crash soak: seed {seed}, {} at {}/s (CRASH_SOAK_SEED={seed} replays the schedule)",
        humantime::format_duration(settings.duration),
        settings.rate
    );
    let soak = Arc::new(Soak {
        stack: ServeStack::new(CONFIG),
        serve: Mutex::new(None),
        url: RwLock::new(String::new()),
        counts: Counts::default(),
        calm: tokio::sync::watch::Sender::new(false),
    });
    soak.start_serve().await;
    let killer = tokio::spawn(soak.clone().killer(Rng::new(seed, 1)));
    let faults = tokio::spawn(soak.clone().fault_driver(Rng::new(seed, 2)));

    // The load: `rate` new orders a second, each its own merchant task.
    let mut rng = Rng::new(seed, 3);
    let started = Instant::now();
    let deadline = started + settings.duration + SETTLE_BOUND;
    let every = Duration::from_secs(1) / settings.rate;
    let mut merchants = Vec::new();
    while started.elapsed() < settings.duration {
        let key = format!("soak-{seed}-{}", merchants.len());
        let body = order(&key, &mut rng);
        let task = soak.clone().merchant(
            key.clone(),
            body,
            Rng::new(seed, 100 + merchants.len() as u64),
            deadline,
        );
        merchants.push((key, tokio::spawn(task)));
        tokio::time::sleep(every).await;
    }

    // Calm: no more kills or faults; every key gets its final answer; the reconciler settles
    // the rest; slow requests still at a fake land (at most 2.5 s).
    soak.calm.send_replace(true);
    killer.await.expect("the killer");
    faults.await.expect("the fault driver");
    let mut answers = Vec::new();
    for (key, task) in merchants {
        answers.push((key, task.await.expect("a merchant task")));
    }
    let db = soak.stack.db();
    let settle_by = Instant::now() + SETTLE_BOUND;
    while Instant::now() < settle_by
        && !ledger::unsettled(&ledger::payorch_charges(&db).await).is_empty()
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The judgement, across all gateways.
    let charges = ledger::payorch_charges(&db).await;
    let held = ledger::held(&soak.stack.http, &soak.stack.sandbox.url, &charges).await;
    let events = ledger::payorch_events(&db).await;
    let unsettled: Vec<String> = ledger::unsettled(&charges)
        .into_iter()
        .map(|c| format!("{}: left unsettled", describe(c)))
        .collect();
    let kinds = [
        ("captured twice", ledger::double_captures(&held)),
        ("stray captures", ledger::stray_captures(&charges, &held)),
        ("state differs", ledger::state_mismatches(&charges, &held)),
        ("unsettled", unsettled),
        ("events", ledger::event_violations(&charges, &events)),
        ("answers", answer_violations(&answers, &charges)),
    ];

    let count = |s: ChargeStatus| charges.iter().filter(|c| c.status() == s).count();
    let failovers = charges
        .iter()
        .filter(|c| {
            let mut gateways: Vec<_> = c.attempts.iter().map(|a| a.gateway).collect();
            gateways.dedup();
            gateways.len() > 1
        })
        .count();
    let c = &soak.counts;
    eprintln!(
        "crash soak summary (seed {seed}, {:.0?}):\n  \
         keys {}, charges {} (succeeded {}, failed {}), captures at gateways {}\n  \
         kills {}, fault phases {}, primary switches {}, failovers {}\n  \
         requests without an answer {}, answered 409/429/5xx and retried {}\n  \
         violations {} ({})",
        started.elapsed(),
        answers.len(),
        charges.len(),
        count(ChargeStatus::Succeeded),
        count(ChargeStatus::Failed),
        held.iter().filter(|h| h.captured()).count(),
        Counts::get(&c.kills),
        Counts::get(&c.fault_phases),
        Counts::get(&c.switches),
        failovers,
        Counts::get(&c.no_answer),
        Counts::get(&c.retried),
        kinds.iter().map(|(_, v)| v.len()).sum::<usize>(),
        kinds
            .iter()
            .map(|(kind, v)| format!("{kind} {}", v.len()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    // The first few of each kind.
    let shown: Vec<String> = kinds
        .iter()
        .flat_map(|(kind, v)| v.iter().take(10).map(move |v| format!("[{kind}] {v}")))
        .collect();
    assert!(
        shown.is_empty(),
        "violations (seed {seed}; up to 10 of each kind):\n  {}",
        shown.join("\n  ")
    );
}
