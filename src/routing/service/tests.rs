//! `Routing` on a real SQLite store in a temp dir, with a manual clock: defaults, propagation
//! between instances, conflict retries, audit entries, refusals, and store failures.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use async_trait::async_trait;

use super::*;
use crate::clock::ManualClock;
use crate::store::sqlite::SqliteStore;
use crate::store::{AuditEntry, StoreResult, Versioned};
use GatewayId::{Asaas, Efi, Stripe};

struct Fixture {
    store: Arc<SqliteStore>,
    clock: Arc<ManualClock>,
    defaults: RoutingDefaults,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).unwrap());
        Fixture {
            store,
            clock: Arc::new(ManualClock::new(Timestamp::from_unix_millis(
                1_800_000_000_000,
            ))),
            defaults: RoutingDefaults {
                table: table(Stripe, &[Efi, Asaas]),
                enabled: GatewayId::ALL.into_iter().collect(),
                fees: crate::model::FeeSchedule::builtin(),
            },
            _dir: dir,
        }
    }

    /// A `Routing` as another process would have it: its own cache, the same store.
    fn routing(&self) -> Routing {
        Routing::new(
            self.store.clone(),
            self.clock.clone(),
            self.defaults.clone(),
        )
        .unwrap()
    }

    /// A `Routing` whose table documents go through `state`.
    fn routing_on(&self, state: Arc<dyn StateStore>) -> Routing {
        Routing::with_stores(
            state,
            self.store.clone(),
            self.clock.clone(),
            self.defaults.clone(),
        )
        .unwrap()
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        self.store
            .list_audit(Some(&tenant()), None, 100)
            .await
            .unwrap()
            .items
    }
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn table(primary: GatewayId, fallbacks: &[GatewayId]) -> RoutingTable {
    RoutingTable::new(primary, fallbacks.to_vec()).unwrap()
}

fn actor() -> Actor {
    Actor("cli:tester".into())
}

/// A state store that can lose races on purpose (a rival writes just before each of the next
/// `races` puts) and fail reads.
struct Steered {
    inner: Arc<SqliteStore>,
    rival: RoutingTable,
    races: AtomicU32,
    fail_reads: AtomicBool,
}

impl Steered {
    fn new(inner: Arc<SqliteStore>, rival: RoutingTable, races: u32) -> Arc<Self> {
        Arc::new(Steered {
            inner,
            rival,
            races: AtomicU32::new(races),
            fail_reads: AtomicBool::new(false),
        })
    }
}

#[async_trait]
impl StateStore for Steered {
    async fn get_state(&self, key: &StateKey) -> StoreResult<Option<Versioned<serde_json::Value>>> {
        if self.fail_reads.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("steered to fail".into()));
        }
        self.inner.get_state(key).await
    }

    async fn put_state(
        &self,
        key: &StateKey,
        value: &serde_json::Value,
        expect: Expect,
    ) -> StoreResult<u64> {
        if self.races.load(Ordering::SeqCst) > 0 {
            self.races.fetch_sub(1, Ordering::SeqCst);
            let now = self.inner.get_state(key).await?;
            let rival_expect = now.map_or(Expect::Absent, |d| Expect::Version(d.version));
            let rival = serde_json::to_value(&self.rival).unwrap();
            self.inner.put_state(key, &rival, rival_expect).await?;
        }
        self.inner.put_state(key, value, expect).await
    }

    async fn delete_state(&self, key: &StateKey, expected: u64) -> StoreResult<()> {
        self.inner.delete_state(key, expected).await
    }

    async fn list_state(
        &self,
        tenant: &TenantId,
        kind: crate::store::StateKind,
    ) -> StoreResult<Vec<(String, Versioned<serde_json::Value>)>> {
        self.inner.list_state(tenant, kind).await
    }
}

#[tokio::test]
async fn a_tenant_without_a_stored_table_uses_the_defaults() {
    let mut fx = Fixture::new();
    let routing = fx.routing();
    assert_eq!(
        routing.current(&tenant()).await.unwrap(),
        Current {
            table: table(Stripe, &[Efi, Asaas]),
            version: None
        }
    );
    fx.defaults.table = table(Asaas, &[Stripe]);
    assert_eq!(
        fx.routing().table(&tenant()).await.unwrap(),
        table(Asaas, &[Stripe])
    );
}

#[tokio::test]
async fn a_switch_by_one_instance_reaches_another_once_its_cache_is_max_age_old() {
    let fx = Fixture::new();
    let (serve_a, serve_b) = (fx.routing(), fx.routing());
    assert_eq!(serve_b.table(&tenant()).await.unwrap().primary(), Stripe);

    let change = serve_a
        .switch(&tenant(), Efi, &actor(), Some("stripe incident"))
        .await
        .unwrap();
    assert_eq!(change.after, table(Efi, &[Stripe, Asaas]));
    assert_eq!(
        serve_a.table(&tenant()).await.unwrap().primary(),
        Efi,
        "the writer sees it at once"
    );

    // B still serves its cached table until it is MAX_AGE old, then reads the new one.
    fx.clock.advance(MAX_AGE - Duration::from_millis(1));
    assert_eq!(serve_b.table(&tenant()).await.unwrap().primary(), Stripe);
    fx.clock.advance(Duration::from_millis(1));
    assert_eq!(
        serve_b.table(&tenant()).await.unwrap(),
        table(Efi, &[Stripe, Asaas])
    );
    assert!(
        MAX_AGE < Duration::from_secs(1),
        "the promise to operators is one second"
    );
    assert_eq!(serve_b.current(&tenant()).await.unwrap().version, Some(1));
}

#[tokio::test]
async fn changes_are_audited_with_the_reason() {
    let fx = Fixture::new();
    let routing = fx.routing();
    routing
        .switch(&tenant(), Efi, &actor(), Some("  stripe incident  "))
        .await
        .unwrap();
    routing
        .set_fallbacks(&tenant(), vec![Asaas], &actor(), None)
        .await
        .unwrap();
    // Nothing to change: nothing written, nothing audited.
    let same = routing
        .switch(&tenant(), Efi, &actor(), Some("again"))
        .await
        .unwrap();
    assert!(!same.changed());

    let entries = fx.audit().await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let (fallback, switch) = (&entries[0], &entries[1]);
    assert_eq!(switch.action.as_str(), "gateway.switch");
    assert_eq!(switch.target, "efi");
    assert_eq!(switch.actor, "cli:tester");
    assert_eq!(switch.reason.as_deref(), Some("stripe incident"));
    assert_eq!(
        switch.detail,
        serde_json::json!({"from": "stripe", "to": "efi", "fallbacks": ["stripe", "asaas"]})
    );
    assert_eq!(switch.at, fx.clock.now());
    assert_eq!(fallback.action.as_str(), "gateway.fallback");
    assert_eq!(fallback.reason, None);
    assert_eq!(
        fallback.detail,
        serde_json::json!({"from": ["stripe", "asaas"], "to": ["asaas"]})
    );
    assert_eq!(
        routing.current(&tenant()).await.unwrap(),
        Current {
            table: table(Efi, &[Asaas]),
            version: Some(2)
        }
    );
}

#[tokio::test]
async fn a_lost_race_is_retried_on_the_winners_table() {
    let fx = Fixture::new();
    // Just before our write, a rival makes asaas primary.
    let steered = Steered::new(fx.store.clone(), table(Asaas, &[Stripe]), 1);
    let routing = fx.routing_on(steered.clone());
    let change = routing
        .switch(&tenant(), Efi, &actor(), Some("stripe incident"))
        .await
        .unwrap();
    assert_eq!(
        change.before,
        table(Asaas, &[Stripe]),
        "re-read after the conflict"
    );
    assert_eq!(change.after, table(Efi, &[Asaas, Stripe]));
    assert_eq!(
        fx.routing().current(&tenant()).await.unwrap(),
        Current {
            table: table(Efi, &[Asaas, Stripe]),
            version: Some(2)
        }
    );
    let entries = fx.audit().await;
    assert_eq!(entries.len(), 1, "one change, one entry");
    assert_eq!(entries[0].detail["from"], "asaas");

    // A writer that loses every time gives up with a clear error and audits nothing.
    steered.races.store(MAX_ATTEMPTS, Ordering::SeqCst);
    let err = routing
        .switch(&tenant(), Stripe, &actor(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, RoutingError::Contended { .. }), "{err}");
    assert_eq!(fx.audit().await.len(), 1);
}

#[tokio::test]
async fn bad_changes_are_refused_and_write_nothing() {
    let mut fx = Fixture::new();
    fx.defaults.enabled.remove(&Asaas);
    fx.defaults.table = table(Stripe, &[Efi]);
    let routing = fx.routing();
    let t = tenant();
    let err = routing
        .set_fallbacks(&t, vec![Efi, Efi], &actor(), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("efi is listed twice"), "{err}");
    let err = routing
        .set_fallbacks(&t, vec![Stripe], &actor(), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("stripe is the primary"), "{err}");
    let err = routing.switch(&t, Asaas, &actor(), None).await.unwrap_err();
    assert!(
        err.to_string().contains("gateways.asaas.enabled = false"),
        "{err}"
    );
    let err = routing
        .set_fallbacks(&t, vec![Asaas], &actor(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RoutingError::Disabled { gateway: Asaas }),
        "{err}"
    );
    let long = "x".repeat(501);
    let err = routing
        .switch(&t, Efi, &actor(), Some(&long))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("reason"), "{err}");

    assert_eq!(routing.current(&t).await.unwrap().version, None);
    assert!(fx.audit().await.is_empty());
}

#[tokio::test]
async fn an_unreadable_store_keeps_the_last_table_read() {
    let fx = Fixture::new();
    fx.routing()
        .switch(&tenant(), Asaas, &actor(), None)
        .await
        .unwrap();
    let steered = Steered::new(fx.store.clone(), table(Stripe, &[]), 0);
    let routing = fx.routing_on(steered.clone());
    assert_eq!(routing.table(&tenant()).await.unwrap().primary(), Asaas);

    steered.fail_reads.store(true, Ordering::SeqCst);
    fx.clock.advance(Duration::from_secs(60));
    assert_eq!(routing.table(&tenant()).await.unwrap().primary(), Asaas);
    // With nothing read before, the error is the caller's.
    let other = TenantId::parse("other").unwrap();
    assert!(matches!(
        routing.table(&other).await,
        Err(RoutingError::Store(StoreError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn a_tampered_document_is_reported_not_routed_on() {
    let fx = Fixture::new();
    let bad = serde_json::json!({"primary": "efi", "fallbacks": ["efi"]});
    fx.store
        .put_state(&key(&tenant()), &bad, Expect::Absent)
        .await
        .unwrap();
    let err = fx.routing().table(&tenant()).await.unwrap_err();
    assert!(matches!(err, RoutingError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("acme"), "{err}");
}

#[tokio::test]
async fn a_strategy_reaches_another_instance_like_a_switch_and_survives_other_changes() {
    use crate::routing::Strategy;
    let fx = Fixture::new();
    let (cli, serve) = (fx.routing(), fx.routing());
    assert_eq!(
        serve.table(&tenant()).await.unwrap().strategy(),
        Strategy::Ordered,
        "the config's default table is ordered"
    );
    let change = cli
        .set_strategy(&tenant(), Strategy::Cheapest, &actor(), Some("fees"))
        .await
        .unwrap();
    assert!(change.changed());
    let cheapest = table(Stripe, &[Efi, Asaas]).with_strategy(Strategy::Cheapest);
    assert_eq!(change.after, cheapest);

    // The same bound as a switch: the cache's MAX_AGE.
    fx.clock.advance(MAX_AGE - Duration::from_millis(1));
    assert_eq!(
        serve.table(&tenant()).await.unwrap().strategy(),
        Strategy::Ordered
    );
    fx.clock.advance(Duration::from_millis(1));
    assert_eq!(serve.table(&tenant()).await.unwrap(), cheapest);

    // A switch and new fallbacks keep the strategy.
    cli.switch(&tenant(), Asaas, &actor(), None).await.unwrap();
    cli.set_fallbacks(&tenant(), vec![Stripe], &actor(), None)
        .await
        .unwrap();
    assert_eq!(
        cli.current(&tenant()).await.unwrap().table,
        table(Asaas, &[Stripe]).with_strategy(Strategy::Cheapest)
    );
    // The same strategy again: nothing written, nothing audited.
    let same = cli
        .set_strategy(&tenant(), Strategy::Cheapest, &actor(), None)
        .await
        .unwrap();
    assert!(!same.changed());

    let entries = fx.audit().await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let strategy = &entries[2];
    assert_eq!(strategy.action.as_str(), "gateway.strategy");
    assert_eq!(strategy.target, "cheapest");
    assert_eq!(strategy.reason.as_deref(), Some("fees"));
    assert_eq!(
        strategy.detail,
        serde_json::json!({"from": "ordered", "to": "cheapest"})
    );
}

#[tokio::test]
async fn a_table_stored_before_strategies_reads_as_ordered() {
    use crate::routing::Strategy;
    let fx = Fixture::new();
    let value = serde_json::json!({"primary": "efi", "fallbacks": ["stripe"]});
    fx.store
        .put_state(&super::key(&tenant()), &value, Expect::Absent)
        .await
        .unwrap();
    let current = fx.routing().current(&tenant()).await.unwrap();
    assert_eq!(current.table, table(Efi, &[Stripe]));
    assert_eq!(current.table.strategy(), Strategy::Ordered);
}
