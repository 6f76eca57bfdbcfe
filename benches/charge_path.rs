//! Throughput and latency of the charge path as `serve` runs it, minus the HTTP server:
//! `runtime::create_charge` (the idempotency claim, routing, the breaker, one gateway call to
//! the sandbox's fake over loopback HTTP, the charge and event writes to SQLite with group
//! commit) at several concurrency levels, on a fresh temporary store.
//!
//! `cargo bench --bench charge_path` measures and prints a table. Under `cargo test` (which
//! passes no `--bench` argument) it makes a few charges once and checks each was created, so
//! the bench keeps compiling and working without costing the test suite time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use payorch::clock::{Clock, SystemClock};
use payorch::config::Config;
use payorch::model::TenantId;
use payorch::runtime::{self, Core};
use payorch::sandbox::SandboxContext;
use payorch::sandbox::server::{self, SandboxOptions, SandboxServer};
use payorch::store::Store;
use payorch::store::sqlite::SqliteStore;
use payorch::tenancy;

/// One measured run: `total` charges of one kind from `concurrency` callers.
struct Level {
    kind: &'static str,
    concurrency: usize,
    total: usize,
}

fn body(kind: &str) -> Value {
    let customer = json!({"name": "Maria Silva", "document": "529.982.247-25"});
    match kind {
        "pix" => json!({"amount": 1990, "currency": "BRL", "method": "pix", "customer": customer}),
        _ => json!({"amount": 5000, "currency": "BRL", "method": "card", "customer": customer,
                     "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "tok_ok"}}}),
    }
}

/// Runs one level; returns each charge's latency.
async fn run(core: &Arc<Core>, tenant: &TenantId, run_id: usize, level: &Level) -> Vec<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..level.concurrency {
        let (core, tenant, next) = (core.clone(), tenant.clone(), next.clone());
        let (kind, total) = (level.kind, level.total);
        workers.push(tokio::spawn(async move {
            let body = body(kind);
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return latencies;
                }
                let key = format!("bench-{run_id}-{i}");
                let started = Instant::now();
                let answer = runtime::create_charge(
                    &core.orchestrator,
                    &core.idempotency,
                    &payorch::server::HttpRender,
                    &tenant,
                    &key,
                    &body,
                )
                .await;
                latencies.push(started.elapsed());
                assert_eq!(answer.status, 201, "charge {i}: {}", answer.body);
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("a bench worker"));
    }
    all
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let levels = if measuring {
        vec![
            Level {
                kind: "card",
                concurrency: 1,
                total: 300,
            },
            Level {
                kind: "card",
                concurrency: 8,
                total: 2_000,
            },
            Level {
                kind: "card",
                concurrency: 32,
                total: 4_000,
            },
            Level {
                kind: "card",
                concurrency: 128,
                total: 4_000,
            },
            Level {
                kind: "pix",
                concurrency: 32,
                total: 2_000,
            },
        ]
    } else {
        vec![Level {
            kind: "card",
            concurrency: 4,
            total: 12,
        }]
    };

    payorch::gateway::http::install_crypto_provider();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = tempfile::tempdir().expect("a temp dir");
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("bench.db")).expect("the store"));
    tenancy::ensure_default_tenant(store.as_ref(), clock.as_ref())
        .await
        .expect("the default tenant");
    let (ctx, webhooks) = SandboxContext::new(clock.clone());
    let options = SandboxOptions::new("127.0.0.1:0".parse().expect("an address"), clock.clone());
    let sandbox = SandboxServer::new(server::standard_fakes(&ctx), webhooks, options)
        .start()
        .await
        .expect("the sandbox");
    let config = Config::default();
    let gateways = runtime::sandbox_gateways(&config, &sandbox.url())
        .await
        .expect("the sandbox's gateways");
    let core = Arc::new(Core::assemble(config, store, gateways, clock).expect("the core"));
    let tenant = TenantId::default_tenant();

    if measuring {
        println!(
            "charge path (runtime::create_charge -> sandbox over loopback HTTP -> SQLite), {} worker threads",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        println!("KIND  CALLERS  CHARGES  CHARGES/S    P50      P99      MAX");
    }
    for (run_id, level) in levels.iter().enumerate() {
        let started = Instant::now();
        let mut latencies = run(&core, &tenant, run_id, level).await;
        let elapsed = started.elapsed();
        latencies.sort_unstable();
        if measuring {
            let rate = level.total as f64 / elapsed.as_secs_f64();
            println!(
                "{:<5} {:>7}  {:>7}  {:>9.0}  {:>7.1?}  {:>7.1?}  {:>7.1?}",
                level.kind,
                level.concurrency,
                level.total,
                rate,
                percentile(&latencies, 50),
                percentile(&latencies, 99),
                latencies.last().copied().unwrap_or_default(),
            );
        } else {
            assert_eq!(latencies.len(), level.total);
        }
    }
    sandbox.shutdown().await;
}
