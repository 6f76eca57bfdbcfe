//! Micro-benchmarks of the charge path's pieces (issue 16), with criterion: the breaker's
//! decision (the pure state machine, and the fleet layer every charge asks), webhook signing and
//! verification, the charge request's parsing, and the SQLite store's hot writes (a charge
//! created, then moved with its event and delivery in one commit: each a durable commit), and
//! a Pix BR Code rendered as a QR PNG (`GET /v1/charges/{id}/pix.png`, `expand[]=pix.qr_code_png`).
//!
//! `cargo bench --bench micro` measures (`-- breaker` for one group); `cargo test` runs each
//! benchmark once, as a smoke test. Benchmarks, never timed tests: nothing here asserts a speed.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

use payorch::api::ChargeRequest;
use payorch::breaker::{Breaker, BreakerConfig, BreakerSettings, CallResult};
use payorch::clock::{Clock, ManualClock, Timestamp};
use payorch::fleet::Breakers;
use payorch::model::{AttemptOutcome, GatewayId, TenantId};
use payorch::secret::Secret;
use payorch::store::conformance::{idempotency_record, queue_message, sample_charge};
use payorch::store::sqlite::SqliteStore;
use payorch::store::{ChargeStore, IdempotencyState, KeyWrite, Store, Versioned};
use payorch::webhook::signing::{self, Delivery};

const T0: Timestamp = Timestamp::from_unix_millis(1_800_000_000_000);

fn breaker(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker");
    let mut b = Breaker::new(BreakerConfig::default(), T0);
    let ok = CallResult::from_outcome(AttemptOutcome::Success, Duration::from_millis(40));
    group.bench_function("admit_and_record_closed", |bench| {
        bench.iter(|| {
            let admitted = b.admit(T0);
            b.record(ok, T0);
            admitted
        })
    });

    // The fleet layer a charge asks (memory only while closed), on a store nobody syncs.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("bench.db")).expect("the store"));
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(T0));
    let fleet = Breakers::new(store, clock, BreakerSettings::default());
    let tenant = TenantId::default_tenant();
    group.bench_function("fleet_admit_and_record", |bench| {
        bench.iter(|| {
            let admitted = rt.block_on(fleet.admit(&tenant, GatewayId::Stripe));
            fleet.record(
                &tenant,
                GatewayId::Stripe,
                AttemptOutcome::Success,
                Duration::from_millis(40),
                None,
            );
            admitted
        })
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    let mut group = c.benchmark_group("signing");
    let secret = signing::generate_secret().expect("a secret");
    let body = vec![b'x'; 1024];
    let now = T0;
    let ts = now.unix_millis() / 1000;
    group.bench_function("sign_1kb", |bench| {
        bench.iter(|| signing::sign(&secret, "msg_01", ts, &body).expect("signed"))
    });
    let signature = signing::sign(&secret, "msg_01", ts, &body).expect("signed");
    let ts_text = ts.to_string();
    let secrets: [&Secret; 1] = [&secret];
    group.bench_function("verify_1kb", |bench| {
        bench.iter(|| {
            let delivery = Delivery {
                id: Some("msg_01"),
                timestamp: Some(&ts_text),
                signature: Some(&signature),
                body: &body,
            };
            signing::verify(&secrets, delivery, now, signing::DEFAULT_TOLERANCE).expect("verified")
        })
    });
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parsing");
    let body = json!({
        "amount": 5000, "currency": "BRL", "method": "card",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
        "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "tok_ok"}},
        "description": "Order 1234", "metadata": {"order_id": "1234"}
    })
    .to_string()
    .into_bytes();
    group.bench_function("charge_request_from_bytes", |bench| {
        bench.iter(|| {
            let value: Value = serde_json::from_slice(&body).expect("JSON");
            ChargeRequest::parse(&value).expect("a valid request")
        })
    });
    group.finish();
}

fn store_writes(c: &mut Criterion) {
    let mut group = c.benchmark_group("sqlite");
    group.sample_size(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = SqliteStore::open(&dir.path().join("bench.db")).expect("the store");
    let tenant = TenantId::default_tenant();
    group.bench_function("create_charge", |bench| {
        bench.iter(|| {
            rt.block_on(store.create_charge(&sample_charge(&tenant, T0)))
                .expect("created")
        })
    });
    // A charge's two commits (issue 16): its creation with the idempotency key's claim, and
    // its outcome with its event, delivery and the key's answer.
    let claim = |charge: &payorch::model::Charge| {
        let mut record = idempotency_record(&tenant, charge.id.as_str(), "bench", T0, T0);
        record.charge_id = Some(charge.id.clone());
        KeyWrite { record, seen: None }
    };
    group.bench_function("create_charge_keyed", |bench| {
        bench.iter(|| {
            let charge = sample_charge(&tenant, T0);
            rt.block_on(store.create_charge_keyed(&charge, &claim(&charge)))
                .expect("created")
        })
    });
    group.bench_function("update_charge_emitting_keyed", |bench| {
        bench.iter_batched(
            || {
                let charge = sample_charge(&tenant, T0);
                let first = claim(&charge);
                rt.block_on(store.create_charge_keyed(&charge, &first))
                    .expect("created");
                (charge, first)
            },
            |(charge, first)| {
                let event = payorch::model::Event::for_charge(&charge, T0);
                let mut message = queue_message(&tenant, T0);
                message.group = Some(charge.id.to_string());
                let mut done = first.record.clone();
                done.state = IdempotencyState::Completed {
                    status_code: 201,
                    body: String::new(),
                    event: Some(event.id.clone()),
                    completed_at: T0,
                };
                let answer = KeyWrite {
                    record: done,
                    seen: Some(Versioned {
                        value: first.record,
                        version: 1,
                    }),
                };
                rt.block_on(
                    store.update_charge_emitting_keyed(&charge, 1, &event, &message, &answer),
                )
                .expect("updated")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A Pix BR Code as the QR PNG `GET /v1/charges/{id}/pix.png` serves (`payorch::qr`): what a
/// Pix charge cost `serve` on every create before issue 16, and now only when asked.
fn qr(c: &mut Criterion) {
    let mut group = c.benchmark_group("qr");
    // A dynamic BR Code like the sandbox's Stripe fake hands out (payload URL, amount, txid).
    let brcode = payorch::brcode::BrCode::builder_dynamic(
        "pix.payorch.test/stripe/v2/3LkQ9bYvT0aZ1mN2pQ4rS6tU8",
        "STRIPE SANDBOX",
        "SAO PAULO",
    )
    .amount_cents(1990)
    .txid("3LkQ9bYvT0aZ1mN2pQ4rS6tU8")
    .build()
    .expect("a BR Code");
    group.bench_function("png_base64_brcode", |bench| {
        bench.iter(|| payorch::qr::png_base64(&brcode).expect("rendered"))
    });
    group.finish();
}

criterion_group!(benches, breaker, signing, parsing, store_writes, qr);
criterion_main!(benches);
