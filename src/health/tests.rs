//! `HealthReader` on a real SQLite store in a temp dir with a manual clock: counters written
//! as `serve` flushes them, breaker documents written by operator commands, dead letters made
//! through the queue.

use super::*;
use crate::breaker::BreakerState;
use crate::clock::ManualClock;
use crate::fleet::OperatorCommand;
use crate::model::AttemptOutcome;
use crate::store::DeliveryQueue;
use crate::store::conformance::queue_message;
use crate::store::sqlite::SqliteStore;
use crate::tenancy::Actor;

/// 2027-01-15T08:00:05Z: 5 s into a bucket.
const NOW_MS: i64 = 1_800_000_005_000;

struct Fixture {
    store: Arc<SqliteStore>,
    clock: Arc<ManualClock>,
    config: Config,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).unwrap());
        Fixture {
            store,
            clock: Arc::new(ManualClock::new(Timestamp::from_unix_millis(NOW_MS))),
            config: Config::default(),
            _dir: dir,
        }
    }

    fn reader(&self) -> HealthReader {
        HealthReader::new(self.store.clone(), self.clock.clone(), &self.config).unwrap()
    }

    /// Adds `agg` to the bucket `back` buckets before the current one.
    async fn flush(&self, gateway: GatewayId, back: u32, agg: Aggregate) {
        let bucket = shared::bucket_of(self.clock.now()).minus(BUCKET * back);
        shared::flush(self.store.as_ref(), &tenant(), gateway, bucket, &agg)
            .await
            .unwrap();
    }
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn calls(n: u32, failed: u32, latency_ms: u64) -> Aggregate {
    let mut a = Aggregate::default();
    for i in 0..n {
        a.add_call(i < failed, false, Duration::from_millis(latency_ms));
    }
    a
}

fn rejected(n: i64) -> Aggregate {
    Aggregate {
        rejected: n,
        ..Aggregate::default()
    }
}

#[tokio::test]
async fn without_traffic_every_gateway_is_closed_and_has_no_figures() {
    let f = Fixture::new();
    let h = f.reader().read(&tenant()).await.unwrap();
    assert_eq!(h.at, Timestamp::from_unix_millis(NOW_MS));
    assert_eq!(h.gateways.len(), 3);
    let stripe = &h.gateways[0];
    assert_eq!(stripe.gateway, GatewayId::Stripe);
    assert_eq!(stripe.role, Role::Primary);
    assert_eq!(stripe.breaker.state, BreakerState::Closed);
    assert_eq!(
        (stripe.success_permille, stripe.p50, stripe.uptime_permille),
        (None, None, None)
    );
    assert_eq!(stripe.milli_rps, 0);
    assert_eq!(stripe.series.len(), SERIES_BUCKETS);
    assert!(stripe.series.iter().all(|p| *p == Point::default()));
    assert_eq!(h.dlq, DlqSummary::default());
}

#[tokio::test]
async fn rates_latency_and_throughput_come_from_the_counters() {
    let f = Fixture::new();
    // Six complete buckets of the last minute: 60 calls, 6 failed; 54 fast, 6 slow.
    for back in 1..=6 {
        f.flush(GatewayId::Stripe, back, calls(9, 0, 30)).await;
        f.flush(GatewayId::Stripe, back, calls(1, 1, 700)).await;
    }
    // The current (partial) bucket counts for every figure: window, series, req/s, p50/p95.
    f.flush(GatewayId::Stripe, 0, calls(4, 0, 5)).await;
    let h = f.reader().read(&tenant()).await.unwrap();
    let stripe = &h.gateways[0];
    assert_eq!(
        stripe.milli_rps, 933,
        "10 calls in the previous bucket and 4 in the 5 s of the current one: 14 in 15 s"
    );
    assert_eq!(stripe.p50, Some(Quantile::Below(50)));
    assert_eq!(stripe.p95, Some(Quantile::Below(1000)));
    // The default window is a count window, so the status span is the last 60 s: the
    // buckets starting at or after bucket_of(now - 60 s), the current one included.
    assert_eq!(stripe.window_calls, 64);
    assert_eq!(stripe.failure_permille, Some(93));
    assert_eq!(stripe.success_permille, Some(907));
    assert_eq!(stripe.breaker.calls, 64);
    let last = stripe.series.last().unwrap();
    assert_eq!(
        *last,
        Point {
            calls: 4,
            failures: 0,
            rejected: 0
        }
    );
    assert_eq!(stripe.series[SERIES_BUCKETS - 2].calls, 10);
    assert_eq!(stripe.series[SERIES_BUCKETS - 2].failures, 1);
    assert_eq!(stripe.uptime_permille, Some(1000));
    let efi = &h.gateways[1];
    assert_eq!((efi.window_calls, efi.milli_rps), (0, 0));
}

#[tokio::test]
async fn an_open_breaker_reads_as_refusals_over_the_last_minute_not_as_old_successes() {
    let f = Fixture::new();
    // An outage inside the last minute: 90 successes, then 20 timeouts, then the open breaker
    // refuses 90 calls. The successes alone would read 81.8 % OK.
    for back in 4..=6 {
        f.flush(GatewayId::Stripe, back, calls(30, 0, 40)).await;
    }
    f.flush(GatewayId::Stripe, 3, calls(20, 20, 3000)).await;
    for back in 0..=2 {
        f.flush(GatewayId::Stripe, back, rejected(30)).await;
    }
    // Older than the minute: counted for the last success only.
    f.flush(GatewayId::Efi, 30, calls(5, 0, 40)).await;
    let h = f.reader().read(&tenant()).await.unwrap();
    let stripe = &h.gateways[0];
    assert_eq!(
        stripe.minute,
        Point {
            calls: 110,
            failures: 20,
            rejected: 90
        }
    );
    assert_eq!(
        stripe.failure_permille,
        Some(550),
        "20 failed and 90 refused of 200"
    );
    assert_eq!(stripe.success_permille, Some(450));
    assert_eq!(stripe.refused_permille, Some(450));
    // The newest success was in the bucket four back, which ended 35 s before now.
    assert_eq!(
        stripe.last_success.map(|t| h.at.since(t)),
        Some(Duration::from_secs(35))
    );
    let efi = &h.gateways[1];
    assert_eq!((efi.success_permille, efi.refused_permille), (None, None));
    assert_eq!(
        efi.last_success.map(|t| h.at.since(t)),
        Some(Duration::from_secs(5 + 290)),
        "the end of the bucket 30 back"
    );
    assert_eq!(h.gateways[2].last_success, None, "no success in the hour");
    // A success in the current bucket is at most now.
    f.flush(GatewayId::Asaas, 0, calls(1, 0, 40)).await;
    let h = f.reader().read(&tenant()).await.unwrap();
    assert_eq!(h.gateways[2].last_success, Some(h.at));
}

#[tokio::test]
async fn uptime_counts_active_buckets_where_the_gateway_was_usable() {
    let f = Fixture::new();
    // Four active buckets in the hour: healthy, mostly failing, refused by the breaker,
    // healthy. Idle buckets do not count; neither does a bucket older than the hour.
    f.flush(GatewayId::Efi, 300, calls(10, 1, 20)).await;
    f.flush(GatewayId::Efi, 200, calls(10, 5, 20)).await;
    f.flush(GatewayId::Efi, 100, rejected(3)).await;
    f.flush(GatewayId::Efi, 2, calls(4, 0, 20)).await;
    f.flush(GatewayId::Efi, 400, calls(10, 10, 20)).await;
    let h = f.reader().read(&tenant()).await.unwrap();
    assert_eq!(h.gateways[1].uptime_permille, Some(500));
    assert_eq!(h.gateways[1].series[SERIES_BUCKETS - 3].calls, 4);
}

#[tokio::test]
async fn roles_breaker_state_and_last_error_follow_the_store() {
    let f = Fixture::new();
    let actor = Actor("cli:test".into());
    let routing = Routing::new(f.store.clone(), f.clock.clone(), &f.config).unwrap();
    routing
        .switch(&tenant(), GatewayId::Efi, &actor, None)
        .await
        .unwrap();
    let breakers = Breakers::new(f.store.clone(), f.clock.clone(), f.config.breaker.clone());
    breakers
        .command(
            &actor,
            &tenant(),
            GatewayId::Stripe,
            OperatorCommand::Open {
                until: None,
                reason: Some("maintenance".into()),
            },
        )
        .await
        .unwrap();
    // Timeouts trip asaas; the sync writes the transition with the last error.
    for _ in 0..40 {
        breakers.record(
            &tenant(),
            GatewayId::Asaas,
            AttemptOutcome::UnavailableAmbiguous,
            Duration::from_secs(3),
            Some("timeout after 3 s"),
        );
    }
    breakers.sync_now().await.unwrap();
    f.clock.advance(Duration::from_secs(7));
    let mut f = f;
    f.config.gateways.efi.enabled = false;
    let h = f.reader().read(&tenant()).await.unwrap();
    let asaas = &h.gateways[2];
    assert_eq!(asaas.breaker.state, BreakerState::Open);
    let error = asaas.last_error.as_ref().expect("the last error is shared");
    assert_eq!(error.message, "timeout after 3 s");
    assert_eq!(h.at.since(error.at), Duration::from_secs(7));
    assert_eq!(asaas.window_calls, 40, "the sync flushed the calls too");
    assert_eq!(asaas.failure_permille, Some(1000));
    assert!(!h.gateways[1].enabled);
    assert!(h.gateways[0].enabled);
    assert_eq!(h.routing.primary(), GatewayId::Efi);
    assert_eq!(h.gateways[1].role, Role::Primary);
    assert_eq!(h.gateways[0].role, Role::Fallback(1));
    assert_eq!(h.gateways[0].breaker.state, BreakerState::ForcedOpen);
    assert_eq!(h.gateways[0].breaker.reason.as_deref(), Some("maintenance"));
}

#[tokio::test]
async fn the_dlq_summary_counts_the_tenants_dead_letters() {
    let f = Fixture::new();
    let now = f.clock.now();
    for (t, age) in [
        (tenant(), 90_000),
        (tenant(), 30_000),
        (TenantId::parse("other").unwrap(), 500_000),
    ] {
        let msg = queue_message(&t, now.minus(Duration::from_millis(age)));
        f.store.enqueue(&msg, Duration::ZERO).await.unwrap();
        let got = f
            .store
            .receive(10, Duration::from_secs(30), now)
            .await
            .unwrap();
        let got = got.iter().find(|r| r.message.id == msg.id).unwrap();
        f.store
            .dead_letter(
                &msg.id,
                &got.receipt,
                "gave up",
                now.minus(Duration::from_millis(age)),
            )
            .await
            .unwrap();
    }
    let h = f.reader().read(&tenant()).await.unwrap();
    assert_eq!(h.dlq.depth, 2);
    assert_eq!(
        h.dlq.oldest_dead_at,
        Some(now.minus(Duration::from_millis(90_000)))
    );
}
