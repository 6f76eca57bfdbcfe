//! `Orchestrator::apply_gateway_event` and `receive_gateway_event` on a real SqliteStore: the
//! model's transition rules applied to gateway news (apply, ignore a late report, reject a
//! contradiction), refunds, unknown charges, a charge still being created, an orphan's news,
//! and the dedupe on the gateway's event id.

use std::sync::Arc;
use std::time::Duration;

use payorch::clock::{Clock, ManualClock, SystemClock};
use payorch::config::Config;
use payorch::gateway::registry::Gateways;
use payorch::gateway::{GatewayEvent, RefundNews};
use payorch::id::{ChargeId, RefundId};
use payorch::model::{
    Charge, ChargeStatus, Currency, Customer, Fee, FeeSource, GatewayId, Money, PaymentMethod,
    Refund, RefundStatus, TenantId,
};
use payorch::orchestrator::{Applied, SharedGateways};
use payorch::runtime::Core;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{InboundStatus, InboundWebhook, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    core: Arc<Core>,
    clock: Arc<ManualClock>,
    tenant: TenantId,
}

async fn fixture() -> Fixture {
    fixture_with(Gateways::default()).await
}

/// The gateways of a fixture whose only one is a Stripe adapter at `base` (a scripted server).
fn stripe_at(base: &str) -> Gateways {
    use payorch::config::StripeSettings;
    use payorch::gateway::stripe::{StripeCredentials, StripeGateway};
    let settings = StripeSettings {
        base_url: base.to_string(),
        ..StripeSettings::default()
    };
    let credentials = StripeCredentials {
        secret_key: payorch::secret::Secret::new("sk_test_inboundApply0123456789"),
        webhook_secret: None,
    };
    let adapter = StripeGateway::new(&settings, credentials).expect("adapter");
    let mut gateways = Gateways::default();
    gateways.available.insert(
        GatewayId::Stripe,
        Arc::new(adapter) as Arc<dyn payorch::gateway::Gateway>,
    );
    gateways
}

async fn fixture_with(gateways: Gateways) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).expect("store"));
    payorch::tenancy::ensure_default_tenant(store.as_ref(), &SystemClock)
        .await
        .expect("tenant");
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let core = Core::assemble(
        Config::default(),
        store.clone(),
        Arc::new(SharedGateways(Arc::new(gateways))),
        clock.clone(),
    )
    .expect("core");
    Fixture {
        _dir: dir,
        store,
        core: Arc::new(core),
        clock,
        tenant: TenantId::default_tenant(),
    }
}

impl Fixture {
    /// A Pix charge created at `gateway` (reference `reference`) in `status`.
    async fn charge(&self, gateway: Option<GatewayId>, status: ChargeStatus) -> ChargeId {
        let now = SystemClock.now();
        let id = ChargeId::generate();
        let mut charge = Charge::new(
            id.clone(),
            self.tenant.clone(),
            Money::from_minor(1990, Currency::Brl).expect("money"),
            PaymentMethod::Pix,
            Customer::parse("Maria Silva", None, Some("529.982.247-25"), Currency::Brl)
                .expect("customer"),
            now,
        );
        charge.gateway = gateway;
        charge.gateway_reference = gateway.map(|_| format!("ref-{id}"));
        charge.apply_status(status, now);
        assert_eq!(charge.status(), status, "a fixture reachable from pending");
        self.store.create_charge(&charge).await.expect("create");
        id
    }

    async fn status(&self, id: &ChargeId) -> (ChargeStatus, i64, u64) {
        let v = self
            .store
            .get_charge(&self.tenant, id)
            .await
            .expect("read")
            .expect("exists");
        (v.value.status(), v.value.amount_refunded(), v.version)
    }

    async fn queued(&self) -> u64 {
        let s = self
            .store
            .queue_stats(None, SystemClock.now())
            .await
            .expect("stats");
        s.ready + s.delayed
    }

    async fn inbound(&self, event: &GatewayEvent) -> InboundStatus {
        self.store
            .get_inbound(&self.tenant, GatewayId::Stripe, &event.event_id)
            .await
            .expect("read")
            .expect("recorded")
            .status
    }

    async fn receive(&self, event: &GatewayEvent) -> Applied {
        self.core
            .orchestrator
            .receive_gateway_event(&self.tenant, GatewayId::Stripe, event, "{}")
            .await
            .expect("receive")
    }

    async fn apply(&self, event: &GatewayEvent) -> Applied {
        self.core
            .orchestrator
            .apply_gateway_event(&self.tenant, GatewayId::Stripe, event)
            .await
            .expect("apply")
    }
}

fn event(id: &ChargeId, status: Option<ChargeStatus>) -> GatewayEvent {
    GatewayEvent {
        event_id: format!("evt_{}", payorch::id::new_ulid()),
        kind: "payment_intent.succeeded".into(),
        reference: format!("ref-{id}"),
        charge_id: Some(id.clone()),
        status,
        amount_refunded: None,
        payment_reference: None,
        occurred_at: None,
        refunds: Vec::new(),
        fee: None,
    }
}

#[tokio::test]
async fn a_payment_applies_once_and_enqueues_its_event() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let before = f.queued().await;
    let a = f.apply(&event(&id, Some(ChargeStatus::Succeeded))).await;
    assert_eq!(a, Applied::Applied(ChargeStatus::Succeeded));
    assert_eq!(f.status(&id).await.0, ChargeStatus::Succeeded);
    assert_eq!(
        f.queued().await,
        before + 1,
        "one normalized event enqueued"
    );

    // A late "requires_action" after succeeded: ignored, nothing changes, nothing enqueued.
    let (_, _, version) = f.status(&id).await;
    let a = f
        .apply(&event(&id, Some(ChargeStatus::RequiresAction)))
        .await;
    assert!(matches!(a, Applied::Ignored(_)), "{a:?}");
    // A contradiction: rejected for an operator.
    let a = f.apply(&event(&id, Some(ChargeStatus::Failed))).await;
    assert!(matches!(a, Applied::Rejected(_)), "{a:?}");
    // An event payorch does not map: ignored.
    let a = f.apply(&event(&id, None)).await;
    assert!(matches!(a, Applied::Ignored(_)), "{a:?}");
    assert_eq!(f.status(&id).await, (ChargeStatus::Succeeded, 0, version));
    assert_eq!(f.queued().await, before + 1);
}

impl Fixture {
    /// The tenant's fee marks: the reconciler's fee reads still to do.
    async fn fee_marks(&self) -> Vec<(String, payorch::store::Versioned<serde_json::Value>)> {
        self.store
            .list_state(&self.tenant, payorch::orchestrator::FEE_KIND)
            .await
            .expect("list")
    }

    /// Records `event`'s webhook `received`, as a process that died before applying it left it.
    async fn left_received(&self, event: &GatewayEvent) {
        let recorded = self
            .store
            .record_inbound(&InboundWebhook {
                id: payorch::id::InboundId::generate(),
                tenant: self.tenant.clone(),
                gateway: GatewayId::Stripe,
                gateway_event_id: event.event_id.clone(),
                received_at: self.clock.now(),
                body: "{}".into(),
                status: InboundStatus::Received,
                note: None,
            })
            .await
            .expect("record");
        assert!(recorded);
    }

    async fn fee(&self, id: &ChargeId) -> Option<Fee> {
        let v = self.store.get_charge(&self.tenant, id).await.expect("read");
        v.expect("exists").value.fee
    }
}

/// A payment's news with no fee of its own: the schedule's estimate (the built-in Stripe Pix
/// rate, 1.19 % of R$ 19.90 = 23.681 -> 24 centavos); none before payment; a refund keeps it.
#[tokio::test]
async fn a_payment_without_a_reported_fee_gets_the_schedules_estimate() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Pending)
        .await;
    f.apply(&event(&id, Some(ChargeStatus::RequiresAction)))
        .await;
    assert_eq!(f.fee(&id).await, None, "no fee before payment");
    f.apply(&event(&id, Some(ChargeStatus::Succeeded))).await;
    let estimated = Fee {
        amount: 24,
        currency: Currency::Brl,
        source: FeeSource::Estimated,
    };
    assert_eq!(f.fee(&id).await, Some(estimated));
    let mut refund = event(&id, Some(ChargeStatus::Refunded));
    refund.amount_refunded = Some(1990);
    f.apply(&refund).await;
    assert_eq!(f.fee(&id).await, Some(estimated), "a refund keeps the fee");
}

/// The gateway's own fee in the news wins over the schedule, and replaces an estimate.
#[tokio::test]
async fn a_reported_fee_is_recorded_as_the_gateways() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let mut paid = event(&id, Some(ChargeStatus::Succeeded));
    paid.fee = Fee::reported(199, Currency::Brl);
    f.apply(&paid).await;
    assert_eq!(f.fee(&id).await, Fee::reported(199, Currency::Brl));

    let other = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Succeeded)
        .await;
    let mut partial = event(&other, Some(ChargeStatus::PartiallyRefunded));
    partial.amount_refunded = Some(100);
    f.apply(&partial).await;
    assert_eq!(f.fee(&other).await.unwrap().source, FeeSource::Estimated);
    let mut again = event(&other, Some(ChargeStatus::PartiallyRefunded));
    again.amount_refunded = Some(200);
    again.fee = Fee::reported(30, Currency::Brl);
    f.apply(&again).await;
    assert_eq!(f.fee(&other).await, Fee::reported(30, Currency::Brl));
}

/// News that does not move a paid charge (Asaas's `PAYMENT_RECEIVED` after
/// `PAYMENT_CONFIRMED`, a repeated report) still brings the gateway's fee when the charge has
/// none yet or only the estimate: recorded on the charge with no event (the merchant's news is
/// the status, told once), the webhook recorded `applied`. A gateway figure already there is
/// kept (no write), and news before payment records nothing.
#[tokio::test]
async fn news_that_moves_nothing_still_brings_the_gateways_fee() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    // Before payment a fee is nothing to record.
    let mut early = event(&id, Some(ChargeStatus::RequiresAction));
    early.fee = Fee::reported(199, Currency::Brl);
    assert!(matches!(f.receive(&early).await, Applied::Ignored(_)));
    assert_eq!(f.fee(&id).await, None);

    // Paid without a figure: the estimate (1.19 % of R$ 19.90 -> 24).
    f.receive(&event(&id, Some(ChargeStatus::Succeeded))).await;
    assert_eq!(f.fee(&id).await.unwrap().source, FeeSource::Estimated);
    let (_, _, version) = f.status(&id).await;
    let queued = f.queued().await;
    let events = logged(&f, &id).await.len();

    // A later report of the same status with the gateway's figure replaces the estimate.
    let mut received = event(&id, Some(ChargeStatus::Succeeded));
    received.fee = Fee::reported(199, Currency::Brl);
    let a = f.receive(&received).await;
    assert!(matches!(a, Applied::FeeRecorded(_)), "{a:?}");
    assert!(a.note().unwrap().contains("199"), "{a:?}");
    assert_eq!(f.fee(&id).await, Fee::reported(199, Currency::Brl));
    assert_eq!(f.inbound(&received).await, InboundStatus::Applied);
    let (status, _, after) = f.status(&id).await;
    assert_eq!(status, ChargeStatus::Succeeded);
    assert_eq!(after, version + 1, "one write of the charge");
    assert_eq!(f.queued().await, queued, "no event for a fee");
    assert_eq!(logged(&f, &id).await.len(), events);
    // Its redelivery is a duplicate.
    assert_eq!(f.receive(&received).await, Applied::Duplicate);

    // Another figure later, or news without one: the gateway's first figure stays, unwritten.
    let mut other = event(&id, Some(ChargeStatus::Succeeded));
    other.fee = Fee::reported(250, Currency::Brl);
    assert!(matches!(f.receive(&other).await, Applied::Ignored(_)));
    assert!(matches!(
        f.receive(&event(&id, Some(ChargeStatus::Succeeded))).await,
        Applied::Ignored(_)
    ));
    assert_eq!(f.fee(&id).await, Fee::reported(199, Currency::Brl));
    assert_eq!(f.status(&id).await.2, after);

    // A charge paid with no fee at all (stored before fees existed) takes the figure too.
    let old = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Succeeded)
        .await;
    assert_eq!(f.fee(&old).await, None);
    let mut late = event(&old, Some(ChargeStatus::Succeeded));
    late.fee = Fee::reported(77, Currency::Brl);
    assert!(matches!(f.receive(&late).await, Applied::FeeRecorded(_)));
    assert_eq!(f.fee(&old).await, Fee::reported(77, Currency::Brl));
}

/// The fee-only write is the record, then the charge, then the record's status (like news
/// that only settles a refund): a crash after the record leaves it `received`, and the
/// redelivery after the grace records the fee.
#[tokio::test]
async fn a_fee_only_record_a_crash_left_behind_is_processed_on_redelivery() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    f.receive(&event(&id, Some(ChargeStatus::Succeeded))).await;
    let mut received = event(&id, Some(ChargeStatus::Succeeded));
    received.fee = Fee::reported(199, Currency::Brl);
    f.left_received(&received).await;
    assert_eq!(f.receive(&received).await, Applied::InFlight);
    assert_eq!(f.fee(&id).await.unwrap().source, FeeSource::Estimated);
    f.clock.advance(Duration::from_secs(31));
    assert!(matches!(
        f.receive(&received).await,
        Applied::FeeRecorded(_)
    ));
    assert_eq!(f.fee(&id).await, Fee::reported(199, Currency::Brl));
    assert_eq!(f.inbound(&received).await, InboundStatus::Applied);
}

#[tokio::test]
async fn refunds_set_the_amount_refunded() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Succeeded)
        .await;
    let mut partial = event(&id, Some(ChargeStatus::PartiallyRefunded));
    partial.amount_refunded = Some(500);
    assert_eq!(
        f.apply(&partial).await,
        Applied::Applied(ChargeStatus::PartiallyRefunded)
    );
    assert_eq!(f.status(&id).await.1, 500);
    // The same partial refund reported again changes nothing.
    assert!(matches!(f.apply(&partial).await, Applied::Ignored(_)));
    let mut full = event(&id, Some(ChargeStatus::Refunded));
    full.amount_refunded = Some(1990);
    assert_eq!(
        f.apply(&full).await,
        Applied::Applied(ChargeStatus::Refunded)
    );
    assert_eq!(f.status(&id).await.0, ChargeStatus::Refunded);
    assert_eq!(f.status(&id).await.1, 1990);
    // The first partial refund's news, arriving last: an earlier state, ignored.
    let mut late = partial.clone();
    late.event_id = format!("evt_{}", payorch::id::new_ulid());
    assert!(matches!(f.apply(&late).await, Applied::Ignored(_)));
    assert_eq!(f.status(&id).await.1, 1990);
}

/// The gateway's news of refund `reference`, final as `status`.
fn refund_settled(id: &ChargeId, reference: &str, status: RefundStatus) -> GatewayEvent {
    let mut e = event(id, None);
    e.refunds = vec![RefundNews {
        reference: reference.to_string(),
        refund_id: None,
        status,
        amount: 0,
    }];
    e
}

#[tokio::test]
async fn pending_refunds_settle_once_by_news_and_denied_ones_release_their_amount() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Succeeded)
        .await;
    // Two refunds the gateway answered pending.
    let stored = f
        .store
        .get_charge(&f.tenant, &id)
        .await
        .expect("read")
        .expect("exists");
    let mut charge = stored.value;
    for (reference, amount) in [("re-a", 500), ("re-b", 300)] {
        charge.refunds.push(Refund {
            id: RefundId::generate(),
            amount,
            status: RefundStatus::Pending,
            gateway_reference: Some(reference.to_string()),
            reason: None,
            created_at: charge.created_at,
            updated_at: charge.created_at,
        });
    }
    f.store
        .update_charge(&charge, stored.version)
        .await
        .expect("update");
    let read = |f: &Fixture| {
        let (store, tenant, id) = (f.store.clone(), f.tenant.clone(), id.clone());
        async move {
            let c = store.get_charge(&tenant, &id).await.unwrap().unwrap().value;
            let statuses: Vec<RefundStatus> = c.refunds.iter().map(|r| r.status).collect();
            (c.status(), c.amount_refunded(), c.refundable(), statuses)
        }
    };
    use RefundStatus::*;
    assert_eq!(
        read(&f).await,
        (ChargeStatus::Succeeded, 0, 1190, vec![Pending, Pending]),
        "pending refunds move nothing and keep their amount reserved"
    );
    let before = f.queued().await;

    // News that refund a went back: the charge moves, one event.
    let a = f.apply(&refund_settled(&id, "re-a", Succeeded)).await;
    assert_eq!(a, Applied::Applied(ChargeStatus::PartiallyRefunded));
    assert_eq!(
        read(&f).await,
        (
            ChargeStatus::PartiallyRefunded,
            500,
            1190,
            vec![Succeeded, Pending]
        )
    );
    assert_eq!(f.queued().await, before + 1);
    // The same news again (another event id): nothing changes.
    let a = f.apply(&refund_settled(&id, "re-a", Succeeded)).await;
    assert!(matches!(a, Applied::Ignored(_)), "{a:?}");
    // News still pending, of refund b: nothing changes.
    let a = f.apply(&refund_settled(&id, "re-b", Pending)).await;
    assert!(matches!(a, Applied::Ignored(_)), "{a:?}");
    assert_eq!(f.queued().await, before + 1);

    // Refund b denied: failed, its amount refundable again, no event.
    f.apply(&refund_settled(&id, "re-b", Failed)).await;
    assert_eq!(
        read(&f).await,
        (
            ChargeStatus::PartiallyRefunded,
            500,
            1490,
            vec![Succeeded, Failed]
        )
    );
    assert_eq!(f.queued().await, before + 1);
    // A late success of the denied refund does not revive it.
    let a = f.apply(&refund_settled(&id, "re-b", Succeeded)).await;
    assert!(matches!(a, Applied::Ignored(_)), "{a:?}");
    assert_eq!(read(&f).await.1, 500);
}

#[tokio::test]
async fn unknown_charges_in_flight_creates_orphans_and_wrong_references() {
    let f = fixture().await;
    // No such charge, or no charge id at all.
    let ghost = ChargeId::generate();
    assert!(matches!(
        f.apply(&event(&ghost, Some(ChargeStatus::Succeeded))).await,
        Applied::UnknownCharge(_)
    ));
    let mut anonymous = event(&ghost, Some(ChargeStatus::Succeeded));
    anonymous.charge_id = None;
    assert!(matches!(
        f.apply(&anonymous).await,
        Applied::UnknownCharge(_)
    ));

    // Still being created: a payment is news for later; an open status is the create's own.
    let creating = f.charge(None, ChargeStatus::Pending).await;
    assert!(matches!(
        f.apply(&event(&creating, Some(ChargeStatus::Succeeded)))
            .await,
        Applied::NotYet(_)
    ));
    assert!(matches!(
        f.apply(&event(&creating, Some(ChargeStatus::RequiresAction)))
            .await,
        Applied::Ignored(_)
    ));
    assert_eq!(f.status(&creating).await.0, ChargeStatus::Pending);

    // Held by another gateway: news of an orphan, rejected for an operator.
    let at_efi = f
        .charge(Some(GatewayId::Efi), ChargeStatus::RequiresAction)
        .await;
    assert!(matches!(
        f.apply(&event(&at_efi, Some(ChargeStatus::Succeeded)))
            .await,
        Applied::Rejected(_)
    ));
    // The right gateway but another reference.
    let at_stripe = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let mut other = event(&at_stripe, Some(ChargeStatus::Succeeded));
    other.reference = "pi_somebody_else".into();
    assert!(matches!(f.apply(&other).await, Applied::Rejected(_)));
    assert_eq!(f.status(&at_stripe).await.0, ChargeStatus::RequiresAction);
}

#[tokio::test]
async fn receiving_records_dedupes_and_resumes_what_was_not_settled() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let paid = event(&id, Some(ChargeStatus::Succeeded));
    let a = f.receive(&paid).await;
    assert_eq!(a, Applied::Applied(ChargeStatus::Succeeded));
    assert_eq!(f.inbound(&paid).await, InboundStatus::Applied);
    let version = f.status(&id).await.2;
    let queued = f.queued().await;
    // Redelivered: a no-op.
    let a = f.receive(&paid).await;
    assert_eq!(a, Applied::Duplicate);
    assert_eq!(f.status(&id).await.2, version);
    assert_eq!(f.queued().await, queued);

    // Unknown charge: recorded as such.
    let ghost = event(&ChargeId::generate(), Some(ChargeStatus::Succeeded));
    let a = f.receive(&ghost).await;
    assert!(matches!(a, Applied::UnknownCharge(_)));
    assert_eq!(f.inbound(&ghost).await, InboundStatus::UnknownCharge);

    // Too early: stays `received`, and the redelivery is processed, not deduped away.
    let creating = f.charge(None, ChargeStatus::Pending).await;
    let early = event(&creating, Some(ChargeStatus::Succeeded));
    let a = f.receive(&early).await;
    assert!(matches!(a, Applied::NotYet(_)));
    assert_eq!(f.inbound(&early).await, InboundStatus::Received);
    let (mut charge, version) = {
        let v = f
            .store
            .get_charge(&f.tenant, &creating)
            .await
            .expect("read")
            .expect("exists");
        (v.value, v.version)
    };
    charge.gateway = Some(GatewayId::Stripe);
    charge.gateway_reference = Some(format!("ref-{creating}"));
    charge.apply_status(ChargeStatus::RequiresAction, charge.updated_at);
    f.store
        .update_charge(&charge, version)
        .await
        .expect("create flow ends");
    let a = f.receive(&early).await;
    assert_eq!(a, Applied::Applied(ChargeStatus::Succeeded));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_of_one_event_apply_it_once() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let before = f.queued().await;
    let paid = event(&id, Some(ChargeStatus::Succeeded));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (core, tenant, paid) = (f.core.clone(), f.tenant.clone(), paid.clone());
        tasks.push(tokio::spawn(async move {
            core.orchestrator
                .receive_gateway_event(&tenant, GatewayId::Stripe, &paid, "{}")
                .await
                .expect("receive")
        }));
    }
    let mut applied = 0;
    for t in tasks {
        match t.await.expect("task") {
            Applied::Applied(_) => applied += 1,
            Applied::InFlight | Applied::Duplicate => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(f.queued().await, before + 1, "one normalized event");
    assert_eq!(f.inbound(&paid).await, InboundStatus::Applied);
}

#[tokio::test]
async fn a_record_a_crash_left_behind_is_processed_on_redelivery() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let paid = event(&id, Some(ChargeStatus::Succeeded));
    // A process recorded the webhook and died before applying it.
    f.left_received(&paid).await;
    // Soon after, it looks like a delivery still at work: retry later, nothing changes.
    assert_eq!(f.receive(&paid).await, Applied::InFlight);
    assert_eq!(f.status(&id).await.0, ChargeStatus::RequiresAction);
    // Later, the redelivery processes it.
    f.clock.advance(Duration::from_secs(31));
    assert_eq!(
        f.receive(&paid).await,
        Applied::Applied(ChargeStatus::Succeeded)
    );
    assert_eq!(f.inbound(&paid).await, InboundStatus::Applied);
}

/// The events the log holds for `id`.
async fn logged(f: &Fixture, id: &ChargeId) -> Vec<payorch::model::Event> {
    f.store
        .list_events(
            &f.tenant,
            &payorch::store::EventQuery {
                charge: Some(id.clone()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .expect("events")
        .items
}

/// A payment reported while its charge is still being created ("not yet", 503), then the
/// create flow ending in `status` at Stripe with its event logged and queued. Returns the
/// charge, its version, and the gateway event (to redeliver).
async fn not_yet_then_created(f: &Fixture, status: ChargeStatus) -> (Charge, u64, GatewayEvent) {
    let creating = f.charge(None, ChargeStatus::Pending).await;
    let paid = event(&creating, Some(ChargeStatus::Succeeded));
    assert!(matches!(f.receive(&paid).await, Applied::NotYet(_)));
    let v = f
        .store
        .get_charge(&f.tenant, &creating)
        .await
        .expect("read")
        .expect("exists");
    let mut charge = v.value;
    charge.gateway = Some(GatewayId::Stripe);
    charge.gateway_reference = Some(format!("ref-{creating}"));
    charge.apply_status(status, charge.updated_at);
    let version = f
        .store
        .update_charge(&charge, v.version)
        .await
        .expect("create flow ends");
    f.core
        .orchestrator
        .enqueue_event(&charge)
        .await
        .expect("the create flow's event");
    (charge, version, paid)
}

/// A gateway reports a card paid while payorch is still creating the charge; the create flow
/// then records the success and its event. The redelivery must not enqueue a second
/// `charge.succeeded` (the merchant would see one payment twice under two event ids).
#[tokio::test]
async fn a_redelivery_after_not_yet_adds_no_second_event_for_what_the_create_flow_recorded() {
    let f = fixture().await;
    let (charge, _, paid) = not_yet_then_created(&f, ChargeStatus::Succeeded).await;
    let queued = f.queued().await;

    let again = f.receive(&paid).await;
    assert!(matches!(again, Applied::Ignored(_)), "{again:?}");
    assert_eq!(f.inbound(&paid).await, InboundStatus::Ignored);
    assert_eq!(f.queued().await, queued, "no second event queued");
    assert_eq!(logged(&f, &charge.id).await.len(), 1);
}

/// After a "not yet", a later delivery applied the event and died before logging it: the next
/// redelivery still enqueues it (at least once, never less).
#[tokio::test]
async fn a_redelivery_after_not_yet_still_enqueues_an_event_a_crash_lost() {
    let f = fixture().await;
    let (mut charge, version, paid) = not_yet_then_created(&f, ChargeStatus::RequiresAction).await;
    // The crashed delivery: moved the charge, logged nothing.
    charge.apply_status(ChargeStatus::Succeeded, charge.updated_at);
    f.store
        .update_charge(&charge, version)
        .await
        .expect("moved");
    let queued = f.queued().await;

    assert_eq!(
        f.receive(&paid).await,
        Applied::Applied(ChargeStatus::Succeeded)
    );
    assert_eq!(f.queued().await, queued + 1);
    let kinds: Vec<String> = logged(&f, &charge.id)
        .await
        .iter()
        .map(|e| e.kind.to_string())
        .collect();
    assert!(kinds.contains(&"charge.succeeded".to_string()), "{kinds:?}");
}

/// A refund Stripe answers `pending` is never sent again by the reconciler, however long it
/// stays pending: Stripe forgets an idempotency key after 24 hours, so a late resend would be a
/// second refund. Its webhook settles it (`gateway_stripe::refund_events_name_the_refund_and_settle_it`).
#[tokio::test]
async fn the_reconciler_never_resends_a_pending_stripe_refund() {
    use crate::common::scripted::{Reply, Scripted};

    let stripe = Scripted::answering(|seen| {
        Some(if seen.method == axum::http::Method::POST {
            Reply::json(
                200,
                serde_json::json!({"id": "re_3P", "object": "refund", "amount": 500,
                                   "status": "pending", "payment_intent": "pi_3P"}),
            )
        } else {
            Reply::json(
                200,
                serde_json::json!({"id": "pi_3P", "object": "payment_intent", "amount": 1990,
                                   "currency": "brl", "status": "succeeded", "metadata": {}}),
            )
        })
    })
    .await;
    let f = fixture_with(stripe_at(&stripe.base)).await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Succeeded)
        .await;
    let stored = f.store.get_charge(&f.tenant, &id).await.unwrap().unwrap();
    let mut held = stored.value;
    held.gateway_reference = Some("pi_3P".into());
    f.store.update_charge(&held, stored.version).await.unwrap();

    let request = payorch::api::RefundRequest {
        amount: Some(500),
        reason: None,
    };
    let charge = f
        .core
        .orchestrator
        .refund(&f.tenant, id.as_str(), &RefundId::generate(), &request)
        .await
        .expect("refund answered");
    assert_eq!(charge.refunds[0].status, RefundStatus::Pending);
    let posts = |s: &Scripted| {
        s.seen()
            .iter()
            .filter(|r| r.method == axum::http::Method::POST)
            .count()
    };
    assert_eq!(posts(&stripe), 1);

    // Far past the lease (and past Stripe's 24 hours): the reconciler leaves it to the webhook.
    for _ in 0..3 {
        f.clock.advance(Duration::from_secs(25 * 3600));
        let report = f
            .core
            .orchestrator
            .reconcile_once()
            .await
            .expect("reconcile");
        assert!(report.refunds.is_empty(), "{:?}", report.refunds);
    }
    assert_eq!(
        posts(&stripe),
        1,
        "the refund was sent again: {:?}",
        stripe.paths()
    );
    let (status, refunded, _) = f.status(&id).await;
    assert_eq!((status, refunded), (ChargeStatus::Succeeded, 0));
}

/// Delivers `news` in a task that dies at the crash point `inbound.recorded`.
async fn dies_at_recorded(f: &Fixture, news: &GatewayEvent) {
    f.core
        .orchestrator
        .failpoints
        .arm(payorch::failpoint::INBOUND_RECORDED);
    let (core, tenant, news) = (f.core.clone(), f.tenant.clone(), news.clone());
    let died = tokio::spawn(async move {
        core.orchestrator
            .receive_gateway_event(&tenant, GatewayId::Stripe, &news, "{}")
            .await
    })
    .await;
    assert!(died.is_err(), "the delivery dies at inbound.recorded");
    f.core.orchestrator.failpoints.clear();
}

/// News its charge takes nothing from is recorded with its verdict in one write: a delivery
/// that dies right after recording it (the crash point `inbound.recorded`) leaves a settled
/// record, which a redelivery answers as a duplicate without reading or writing the charge.
#[tokio::test]
async fn news_the_charge_takes_nothing_from_is_recorded_settled_in_one_write() {
    let f = fixture().await;
    let paid = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::Succeeded)
        .await;
    let elsewhere = f
        .charge(Some(GatewayId::Efi), ChargeStatus::Succeeded)
        .await;
    let late = event(&paid, Some(ChargeStatus::Succeeded));
    let contradiction = event(&paid, Some(ChargeStatus::Failed));
    let orphan = event(&elsewhere, Some(ChargeStatus::Succeeded));
    let cases = [
        (&late, InboundStatus::Ignored),
        (&contradiction, InboundStatus::Rejected),
        (&orphan, InboundStatus::Rejected),
    ];
    for (news, settled) in cases {
        dies_at_recorded(&f, news).await;
        assert_eq!(f.inbound(news).await, settled, "{news:?}");
        assert_eq!(f.receive(news).await, Applied::Duplicate);
    }
    assert_eq!(f.status(&paid).await.0, ChargeStatus::Succeeded);
}

/// News that moves its charge is one commit with its record: a delivery that dies at the first
/// crash point after it (`inbound.recorded`) has moved the charge, queued its one event and
/// settled its record, so a redelivery is a duplicate and sends nothing more.
#[tokio::test]
async fn news_that_moves_its_charge_is_one_commit_with_its_record() {
    let f = fixture().await;
    let id = f
        .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
        .await;
    let before = f.queued().await;
    let paid = event(&id, Some(ChargeStatus::Succeeded));
    dies_at_recorded(&f, &paid).await;
    assert_eq!(f.inbound(&paid).await, InboundStatus::Applied);
    assert_eq!(f.status(&id).await.0, ChargeStatus::Succeeded);
    assert_eq!(f.queued().await, before + 1, "its one event");
    assert_eq!(f.receive(&paid).await, Applied::Duplicate);
    assert_eq!(f.queued().await, before + 1, "nothing more");
    assert_eq!(logged(&f, &id).await.len(), 1);
}

/// Stripe's Pix is paid by a webhook that carries no fee: the estimate, and a mark for the
/// reconciler, which reads the intent at Stripe (its balance transaction expanded). A Stripe
/// that fails the read leaves the estimate; the read is tried again only after a doubling wait,
/// and given up after `FEE_READ_TRIES` failures with the estimate in place. A good read records
/// Stripe's figure with one write and no event.
#[tokio::test]
async fn the_reconciler_reads_stripes_fee_with_backoff_and_gives_up_leaving_the_estimate() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::common::scripted::{Reply, Scripted};
    use payorch::orchestrator::FEE_READ_TRIES;

    let healthy = Arc::new(AtomicBool::new(false));
    let up = Arc::clone(&healthy);
    let stripe = Scripted::answering(move |seen| {
        let id = seen
            .path
            .trim_start_matches("/v1/payment_intents/")
            .to_string();
        Some(if up.load(Ordering::SeqCst) {
            Reply::json(
                200,
                serde_json::json!({"id": id, "object": "payment_intent", "amount": 1990,
                    "currency": "brl", "status": "succeeded", "metadata": {},
                    "latest_charge": {"id": "ch_3F", "object": "charge", "amount": 1990,
                        "amount_refunded": 0, "refunded": false, "payment_intent": id,
                        "balance_transaction": {"id": "txn_3F", "object": "balance_transaction",
                            "amount": 1990, "currency": "brl", "fee": 31, "net": 1959,
                            "type": "charge"}}}),
            )
        } else {
            Reply::json(
                500,
                serde_json::json!({"error": {"type": "api_error", "message": "try again"}}),
            )
        })
    })
    .await;
    let f = fixture_with(stripe_at(&stripe.base)).await;
    let orchestrator = &f.core.orchestrator;

    // A Stripe Pix awaiting its payer, then its webhook (no fee in it).
    let paid_by_webhook = |reference: &'static str| {
        let f = &f;
        async move {
            let id = f
                .charge(Some(GatewayId::Stripe), ChargeStatus::RequiresAction)
                .await;
            let stored = f.store.get_charge(&f.tenant, &id).await.unwrap().unwrap();
            let mut held = stored.value;
            held.gateway_reference = Some(reference.into());
            f.store.update_charge(&held, stored.version).await.unwrap();
            let mut paid = event(&id, Some(ChargeStatus::Succeeded));
            paid.reference = reference.into();
            assert_eq!(
                f.receive(&paid).await,
                Applied::Applied(ChargeStatus::Succeeded)
            );
            assert_eq!(f.fee(&id).await.unwrap().source, FeeSource::Estimated);
            id
        }
    };
    let id = paid_by_webhook("pi_3Down").await;
    let version = f.status(&id).await.2;

    // Every read fails: one per due pass, none between, then given up.
    let mut reads = 0;
    for tries in 1..=FEE_READ_TRIES {
        let report = orchestrator.reconcile_once().await.expect("pass");
        reads += 1;
        assert_eq!(stripe.seen().len(), reads, "one read on try {tries}");
        assert!(report.fees_recorded.is_empty(), "{report:?}");
        let gave_up = tries == FEE_READ_TRIES;
        assert_eq!(
            report.fees_given_up == vec![id.clone()],
            gave_up,
            "{report:?}"
        );
        // Not due again yet: no request.
        orchestrator.reconcile_once().await.expect("pass");
        assert_eq!(stripe.seen().len(), reads, "waits after try {tries}");
        // The wait doubles from a minute; past an hour covers every one of them.
        f.clock.advance(Duration::from_secs(60 << (tries - 1)));
    }
    f.clock.advance(Duration::from_secs(3 * 3600));
    orchestrator.reconcile_once().await.expect("pass");
    assert_eq!(stripe.seen().len(), reads, "given up: never read again");
    let marks = f.fee_marks().await;
    assert!(marks.is_empty(), "a mark given up is deleted: {marks:?}");
    assert_eq!(f.fee(&id).await.unwrap().source, FeeSource::Estimated);
    assert_eq!(
        f.status(&id).await.2,
        version,
        "the charge was never written"
    );
    let read = &stripe.seen()[0];
    assert_eq!(read.method, axum::http::Method::GET);
    assert_eq!(read.path, "/v1/payment_intents/pi_3Down");
    assert_eq!(
        read.query.as_deref(),
        Some("expand%5B%5D=latest_charge&expand%5B%5D=latest_charge.balance_transaction")
    );

    // Stripe answers: Stripe's figure replaces the estimate, with no event.
    healthy.store(true, Ordering::SeqCst);
    let id = paid_by_webhook("pi_3Up").await;
    let (_, _, version) = f.status(&id).await;
    let queued = f.queued().await;
    let report = orchestrator.reconcile_once().await.expect("pass");
    assert_eq!(report.fees_recorded, vec![id.clone()], "{report:?}");
    assert_eq!(f.fee(&id).await, Fee::reported(31, Currency::Brl));
    assert_eq!(f.status(&id).await.2, version + 1);
    assert_eq!(f.queued().await, queued, "no event for a fee");
    // Done: the mark is deleted and the next pass reads nothing.
    let marks = f.fee_marks().await;
    assert!(marks.is_empty(), "{marks:?}");
    let seen = stripe.seen().len();
    f.clock.advance(Duration::from_secs(3600));
    orchestrator.reconcile_once().await.expect("pass");
    assert_eq!(stripe.seen().len(), seen);
}
