//! Conformance cases for inbound gateway webhooks: dedupe, status, listing.

use std::sync::Arc;

use super::{at, ok, tenant};
use crate::id::InboundId;
use crate::model::GatewayId;
use crate::store::{InboundStatus, InboundWebhook, Store, StoreError};

fn inbound(tenant_slug: &str, gateway: GatewayId, event: &str, received_ms: i64) -> InboundWebhook {
    InboundWebhook {
        id: InboundId::generate(),
        tenant: tenant(tenant_slug),
        gateway,
        gateway_event_id: event.into(),
        received_at: at(received_ms),
        body: format!("{{\"id\":\"{event}\"}}"),
        status: InboundStatus::Received,
        note: None,
    }
}

pub async fn inbound_record_dedupes<S: Store + 'static>(store: Arc<S>) {
    let first = inbound("acme", GatewayId::Stripe, "evt_1", 0);
    assert!(
        ok(store.record_inbound(&first).await, "record"),
        "first delivery is stored"
    );
    let redelivery = inbound("acme", GatewayId::Stripe, "evt_1", 50);
    assert!(
        !ok(store.record_inbound(&redelivery).await, "record"),
        "a duplicate is not"
    );
    let got = ok(
        store
            .get_inbound(&first.tenant, GatewayId::Stripe, "evt_1")
            .await,
        "get",
    );
    assert_eq!(got, Some(first), "the first copy is kept");
    for distinct in [
        inbound("acme", GatewayId::Asaas, "evt_1", 60),
        inbound("globex", GatewayId::Stripe, "evt_1", 70),
    ] {
        assert!(
            ok(store.record_inbound(&distinct).await, "record"),
            "{distinct:?}"
        );
    }
    let missing = store
        .get_inbound(&tenant("acme"), GatewayId::Efi, "evt_1")
        .await;
    assert_eq!(ok(missing, "get missing"), None);
}

pub async fn inbound_status_and_listing<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let hooks: Vec<_> = (0..3)
        .map(|i| inbound("acme", GatewayId::Efi, &format!("e2e-{i}"), i))
        .collect();
    for h in &hooks {
        ok(store.record_inbound(h).await, "record");
    }
    ok(
        store
            .record_inbound(&inbound("globex", GatewayId::Efi, "x", 9))
            .await,
        "other",
    );
    let note = Some("charge already refunded");
    let set =
        store.set_inbound_status(&acme, GatewayId::Efi, "e2e-1", InboundStatus::Ignored, note);
    ok(set.await, "set status");
    let got = ok(
        store.get_inbound(&acme, GatewayId::Efi, "e2e-1").await,
        "get",
    )
    .expect("stored");
    assert_eq!(
        (got.status, got.note.as_deref()),
        (InboundStatus::Ignored, note)
    );
    let set =
        store.set_inbound_status(&acme, GatewayId::Efi, "e2e-1", InboundStatus::Applied, None);
    ok(set.await, "set status again");
    let got = ok(
        store.get_inbound(&acme, GatewayId::Efi, "e2e-1").await,
        "get",
    )
    .expect("stored");
    assert_eq!((got.status, got.note), (InboundStatus::Applied, None));
    let r = store
        .set_inbound_status(&acme, GatewayId::Efi, "nope", InboundStatus::Applied, None)
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");

    let listed = ok(store.list_inbound(&acme, 2).await, "list");
    let ids: Vec<_> = listed.iter().map(|h| h.gateway_event_id.as_str()).collect();
    assert_eq!(ids, vec!["e2e-2", "e2e-1"], "newest first, limited");
    assert_eq!(
        ok(store.list_inbound(&acme, 0).await, "list default").len(),
        3
    );
}

pub async fn inbound_prune_drops_old_bodies_and_keeps_dedupe<S: Store + 'static>(store: Arc<S>) {
    let old = inbound("acme", GatewayId::Stripe, "evt_old", 0);
    let other_tenant = inbound("beta", GatewayId::Asaas, "evt_beta", 10);
    let young = inbound("acme", GatewayId::Stripe, "evt_young", 1_000);
    for w in [&old, &other_tenant, &young] {
        assert!(ok(store.record_inbound(w).await, "record"));
    }
    assert_eq!(ok(store.prune_inbound_bodies(at(1_000)).await, "prune"), 2);
    assert_eq!(
        ok(store.prune_inbound_bodies(at(1_000)).await, "prune again"),
        0,
        "nothing left to prune"
    );
    let get = |w: &InboundWebhook| {
        let (store, w) = (store.clone(), w.clone());
        async move {
            ok(
                store
                    .get_inbound(&w.tenant, w.gateway, &w.gateway_event_id)
                    .await,
                "get",
            )
            .expect("the record outlives its body")
        }
    };
    let pruned = get(&old).await;
    assert_eq!(pruned.body, "");
    assert_eq!(
        (pruned.id, pruned.status, pruned.received_at),
        (old.id.clone(), old.status, old.received_at),
        "everything but the body is kept"
    );
    assert_eq!(get(&other_tenant).await.body, "", "every tenant's");
    assert_eq!(get(&young).await, young, "a younger body is kept");
    // A late redelivery of a pruned webhook is still a duplicate.
    let late = inbound("acme", GatewayId::Stripe, "evt_old", 5_000);
    assert!(!ok(store.record_inbound(&late).await, "redelivery"));
}
