//! Conformance cases for charges (conditional updates, tenant isolation, listing) and the
//! idempotency keys that guard them (claims, expiry, conditional updates, purge).

use std::sync::Arc;

use super::{T0, at, idempotency_record, ok, sample_charge, tenant};
use crate::id::ChargeId;
use crate::model::{Charge, ChargeStatus, Currency, Fee, FeeSource, GatewayId, Money};
use crate::store::{
    ChargeQuery, Claim, INBOUND_ENTITY, IdempotencyState, InboundStatus, InboundWebhook,
    KEY_ENTITY, KeyWrite, Store, StoreError, Versioned,
};

pub async fn charge_create_and_get_round_trip<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let charge = sample_charge(&acme, T0);
    ok(store.create_charge(&charge).await, "create");
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(got.version, 1, "versions start at 1");
    assert_eq!(got.value, charge, "every field round-trips");
    assert_eq!(
        ok(
            store.get_charge(&acme, &ChargeId::generate()).await,
            "get missing"
        ),
        None
    );

    let again = Charge::new(
        charge.id.clone(),
        acme.clone(),
        Money::from_minor(1, Currency::Brl).expect("a positive amount"),
        charge.method,
        charge.customer.clone(),
        charge.created_at,
    );
    let r = store.create_charge(&again).await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(
        (got.value.amount(), got.version),
        (1990, 1),
        "the duplicate changed nothing"
    );

    // A fee (issue 18) round-trips too; a charge without one reads as none.
    assert_eq!(got.value.fee, None);
    let mut paid = sample_charge(&acme, T0);
    paid.fee = Some(Fee {
        amount: 238,
        currency: Currency::Brl,
        source: FeeSource::Gateway,
    });
    ok(store.create_charge(&paid).await, "create with a fee");
    let got = ok(store.get_charge(&acme, &paid.id).await, "get").expect("stored");
    assert_eq!(got.value.fee, paid.fee);
}

pub async fn charge_of_another_tenant_reads_as_none<S: Store + 'static>(store: Arc<S>) {
    let charge = sample_charge(&tenant("acme"), T0);
    ok(store.create_charge(&charge).await, "create");
    assert_eq!(
        ok(store.get_charge(&tenant("globex"), &charge.id).await, "get"),
        None
    );
    let listed = ok(
        store
            .list_charges(&tenant("globex"), &ChargeQuery::default())
            .await,
        "list",
    );
    assert!(listed.items.is_empty());
}

pub async fn charge_update_is_conditional<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut charge = sample_charge(&acme, T0);
    ok(store.create_charge(&charge).await, "create");
    charge.apply_status(ChargeStatus::Succeeded, charge.updated_at);
    charge.gateway = Some(GatewayId::Stripe);
    charge.updated_at = at(50);
    assert_eq!(ok(store.update_charge(&charge, 1).await, "update v1"), 2);
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!((got.value.clone(), got.version), (charge.clone(), 2));

    let mut stale = charge.clone();
    stale.apply_status(ChargeStatus::Refunded, stale.updated_at);
    match store.update_charge(&stale, 1).await {
        Err(StoreError::Conflict { expected, .. }) => assert_eq!(expected, 1),
        other => panic!("a stale update must conflict, got {other:?}"),
    }
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(
        got.value.status(),
        ChargeStatus::Succeeded,
        "the loser changed nothing"
    );

    let missing = sample_charge(&acme, T0);
    let r = store.update_charge(&missing, 1).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    let mut foreign = charge.clone();
    foreign.tenant = tenant("globex");
    let r = store.update_charge(&foreign, 2).await;
    assert!(
        matches!(r, Err(StoreError::NotFound { .. })),
        "another tenant's charge: {r:?}"
    );
}

pub async fn charge_update_with_its_news_is_one_commit<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut charge = sample_charge(&acme, T0);
    ok(store.create_charge(&charge).await, "create");
    charge.apply_status(ChargeStatus::Succeeded, charge.updated_at);
    charge.updated_at = at(50);
    let news = |charge: &crate::model::Charge| {
        let event = crate::model::Event::for_charge(charge, at(50));
        let message = crate::store::QueueMessage {
            id: crate::id::MessageId::generate(),
            tenant: acme.clone(),
            body: serde_json::to_string(&event).expect("json"),
            enqueued_at: at(50),
            group: None,
        };
        (event, message)
    };
    let (event, message) = news(&charge);
    let v = ok(
        store
            .update_charge_emitting(&charge, 1, &event, &message)
            .await,
        "update with news",
    );
    assert_eq!(v, 2);
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(got.value.status(), ChargeStatus::Succeeded);
    assert!(
        ok(store.get_event(&acme, &event.id).await, "event").is_some(),
        "the event is logged"
    );
    let received = ok(
        store
            .receive(10, std::time::Duration::from_secs(30), at(51))
            .await,
        "receive",
    );
    assert_eq!(
        received.iter().map(|r| &r.message.id).collect::<Vec<_>>(),
        vec![&message.id],
        "its delivery is queued"
    );

    // A stale version writes none of the three.
    let mut stale = charge.clone();
    stale.apply_status(ChargeStatus::Refunded, stale.updated_at);
    let (event, message) = news(&stale);
    let r = store
        .update_charge_emitting(&stale, 1, &event, &message)
        .await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(
        (got.value.status(), got.version),
        (ChargeStatus::Succeeded, 2)
    );
    assert_eq!(ok(store.get_event(&acme, &event.id).await, "event"), None);
    let received = ok(
        store
            .receive(10, std::time::Duration::from_secs(30), at(100))
            .await,
        "receive",
    );
    assert!(
        received.iter().all(|r| r.message.id != message.id),
        "the loser's delivery was not queued"
    );
}

/// A charge's first commit: the charge and its idempotency key's claim, both or neither.
pub async fn charge_created_with_its_key_claim_is_one_commit<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let charge = sample_charge(&acme, T0);
    let mut claim = idempotency_record(&acme, "k1", "a", T0, at(86_400_000));
    claim.charge_id = Some(charge.id.clone());
    let write = KeyWrite {
        record: claim.clone(),
        seen: None,
    };
    ok(store.create_charge_keyed(&charge, &write).await, "create");
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!((got.value, got.version), (charge.clone(), 1));
    let key = ok(store.get_idempotency_key(&acme, "k1").await, "key").expect("claimed");
    assert_eq!((key.value, key.version), (claim.clone(), 1));

    // A second claim of the same key (it saw no record too) writes neither.
    let other = sample_charge(&acme, T0);
    let mut rival = idempotency_record(&acme, "k1", "b", T0, at(86_400_000));
    rival.charge_id = Some(other.id.clone());
    let lost = KeyWrite {
        record: rival.clone(),
        seen: None,
    };
    let r = store.create_charge_keyed(&other, &lost).await;
    assert!(
        matches!(&r, Err(StoreError::Conflict { entity, .. }) if *entity == KEY_ENTITY),
        "{r:?}"
    );
    assert_eq!(ok(store.get_charge(&acme, &other.id).await, "get"), None);
    let key = ok(store.get_idempotency_key(&acme, "k1").await, "key").expect("claimed");
    assert_eq!(key.value, claim, "the first claim stands");

    // A charge id that is taken rolls the key's claim back.
    let mut fresh = idempotency_record(&acme, "k2", "c", T0, at(86_400_000));
    fresh.charge_id = Some(charge.id.clone());
    let write = KeyWrite {
        record: fresh,
        seen: None,
    };
    let r = store.create_charge_keyed(&charge, &write).await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");
    assert_eq!(
        ok(store.get_idempotency_key(&acme, "k2").await, "key"),
        None
    );

    // A claim of an expired record names that record; one that moved on loses.
    let seen = Versioned {
        value: claim.clone(),
        version: 1,
    };
    let mut renewed = rival.clone();
    renewed.charge_id = Some(other.id.clone());
    let write = KeyWrite {
        record: renewed.clone(),
        seen: Some(seen.clone()),
    };
    ok(
        store.create_charge_keyed(&other, &write).await,
        "claim as seen",
    );
    let key = ok(store.get_idempotency_key(&acme, "k1").await, "key").expect("claimed");
    assert_eq!((key.value, key.version), (renewed, 2));
    let third = sample_charge(&acme, T0);
    let stale = KeyWrite {
        record: claim,
        seen: Some(seen),
    };
    let r = store.create_charge_keyed(&third, &stale).await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert_eq!(ok(store.get_charge(&acme, &third.id).await, "get"), None);
}

/// A charge's last commit: the outcome, its news and the key's answer; a key that moved on is
/// left alone and the rest is written all the same.
pub async fn charge_outcome_with_its_key_answer_is_one_commit<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut charge = sample_charge(&acme, T0);
    let mut claim = idempotency_record(&acme, "k1", "a", T0, at(86_400_000));
    claim.charge_id = Some(charge.id.clone());
    let first = KeyWrite {
        record: claim.clone(),
        seen: None,
    };
    ok(store.create_charge_keyed(&charge, &first).await, "create");
    charge.apply_status(ChargeStatus::Succeeded, at(50));
    charge.updated_at = at(50);
    let news = |charge: &Charge| {
        let event = crate::model::Event::for_charge(charge, at(50));
        let message = super::queue_message(&acme, at(50));
        (event, message)
    };
    let (event, message) = news(&charge);
    let mut done = claim.clone();
    done.state = IdempotencyState::Completed {
        status_code: 201,
        body: String::new(),
        event: Some(event.id.clone()),
        completed_at: at(50),
    };
    let answer = KeyWrite {
        record: done.clone(),
        seen: Some(Versioned {
            value: claim.clone(),
            version: 1,
        }),
    };
    let r = store
        .update_charge_emitting_keyed(&charge, 1, &event, &message, &answer)
        .await;
    assert_eq!(ok(r, "outcome"), (2, true));
    let key = ok(store.get_idempotency_key(&acme, "k1").await, "key").expect("key");
    assert_eq!((key.value, key.version), (done.clone(), 2));
    assert!(ok(store.get_event(&acme, &event.id).await, "event").is_some());

    // The key moved on (the same answer again names version 1): the charge is written.
    charge.apply_status(ChargeStatus::Refunded, at(60));
    let (event, message) = news(&charge);
    let r = store
        .update_charge_emitting_keyed(&charge, 2, &event, &message, &answer)
        .await;
    assert_eq!(ok(r, "outcome without the key"), (3, false));
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(got.value.status(), ChargeStatus::Refunded);
    assert!(ok(store.get_event(&acme, &event.id).await, "event").is_some());
    let key = ok(store.get_idempotency_key(&acme, "k1").await, "key").expect("key");
    assert_eq!(
        (key.value.clone(), key.version),
        (done, 2),
        "the key is untouched"
    );

    // A stale charge version writes nothing, the key included.
    let (event, message) = news(&charge);
    let mut fresh_answer = answer.clone();
    fresh_answer.seen = Some(key);
    let r = store
        .update_charge_emitting_keyed(&charge, 2, &event, &message, &fresh_answer)
        .await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert_eq!(ok(store.get_event(&acme, &event.id).await, "event"), None);
    let key = ok(store.get_idempotency_key(&acme, "k1").await, "key").expect("key");
    assert_eq!(key.version, 2);
}

/// `update_charge_emitting_inbound`: the charge, its news and the webhook's record in one
/// commit, the record settled as given; a webhook recorded already, or a stale charge version,
/// writes nothing of the three.
pub async fn charge_news_with_its_webhook_record_is_one_commit<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut charge = sample_charge(&acme, T0);
    ok(store.create_charge(&charge).await, "create");
    charge.apply_status(ChargeStatus::Succeeded, at(50));
    charge.updated_at = at(50);
    let news = |charge: &Charge| {
        (
            crate::model::Event::for_charge(charge, at(50)),
            super::queue_message(&acme, at(50)),
        )
    };
    let webhook = |event: &str| InboundWebhook {
        id: crate::id::InboundId::generate(),
        tenant: acme.clone(),
        gateway: crate::model::GatewayId::Stripe,
        gateway_event_id: event.into(),
        received_at: at(50),
        body: "{}".into(),
        status: InboundStatus::Applied,
        note: Some("charge moved to succeeded".into()),
    };

    // A webhook recorded already (another delivery of it): nothing is written.
    let mut earlier = webhook("evt_1");
    earlier.status = InboundStatus::Received;
    earlier.note = None;
    assert!(ok(store.record_inbound(&earlier).await, "record"));
    let (event, message) = news(&charge);
    let r = store
        .update_charge_emitting_inbound(&charge, 1, &event, &message, &webhook("evt_1"))
        .await;
    assert!(
        matches!(&r, Err(StoreError::AlreadyExists { entity, .. }) if *entity == INBOUND_ENTITY),
        "{r:?}"
    );
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(
        (got.value.status(), got.version),
        (ChargeStatus::Pending, 1)
    );
    assert_eq!(ok(store.get_event(&acme, &event.id).await, "event"), None);
    let kept = ok(
        store.get_inbound(&acme, earlier.gateway, "evt_1").await,
        "inbound",
    );
    assert_eq!(kept, Some(earlier), "the first record is kept as it was");

    // A stale charge version: neither the charge, its event nor the record.
    let (event, message) = news(&charge);
    let r = store
        .update_charge_emitting_inbound(&charge, 2, &event, &message, &webhook("evt_2"))
        .await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert_eq!(ok(store.get_event(&acme, &event.id).await, "event"), None);
    let none = ok(
        store
            .get_inbound(&acme, crate::model::GatewayId::Stripe, "evt_2")
            .await,
        "inbound",
    );
    assert_eq!(none, None, "no record without its charge");

    // All three.
    let fresh = webhook("evt_2");
    let r = store
        .update_charge_emitting_inbound(&charge, 1, &event, &message, &fresh)
        .await;
    assert_eq!(ok(r, "news with its record"), 2);
    let got = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(
        (got.value.status(), got.version),
        (ChargeStatus::Succeeded, 2)
    );
    assert!(ok(store.get_event(&acme, &event.id).await, "event").is_some());
    let recorded = ok(
        store
            .get_inbound(&acme, crate::model::GatewayId::Stripe, "evt_2")
            .await,
        "inbound",
    );
    assert_eq!(recorded, Some(fresh), "recorded settled, as given");
    // And it dedupes like any record.
    assert!(!ok(store.record_inbound(&webhook("evt_2")).await, "record"));
}

pub async fn charge_list_newest_first_with_cursor<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut ids = Vec::new();
    for i in 0..25 {
        let charge = sample_charge(&acme, at(i));
        ok(store.create_charge(&charge).await, "create");
        ids.push(charge.id);
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut query = ChargeQuery {
        limit: 10,
        ..ChargeQuery::default()
    };
    let mut sizes = Vec::new();
    loop {
        let page = ok(store.list_charges(&acme, &query).await, "list page");
        sizes.push(page.items.len());
        seen.extend(page.items.into_iter().map(|c| c.id));
        match page.next_cursor {
            Some(cursor) => {
                query.starting_after = Some(ChargeId::parse(&cursor).expect("cursor is an id"))
            }
            None => break,
        }
    }
    assert_eq!(sizes, vec![10, 10, 5]);
    assert_eq!(seen, ids, "every charge once, newest first");

    // A page that ends exactly at the last item says so.
    let query = ChargeQuery {
        limit: 25,
        ..ChargeQuery::default()
    };
    let page = ok(store.list_charges(&acme, &query).await, "list all");
    assert_eq!((page.items.len(), page.next_cursor), (25, None));
}

pub async fn charge_list_filters<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let make = |status, gateway, created| {
        let mut c = sample_charge(&acme, at(created));
        c.apply_status(status, c.updated_at);
        c.gateway = gateway;
        c
    };
    let charges = [
        make(ChargeStatus::Pending, None, 0),
        make(ChargeStatus::Succeeded, Some(GatewayId::Stripe), 100),
        make(ChargeStatus::Succeeded, Some(GatewayId::Efi), 200),
        make(ChargeStatus::Failed, Some(GatewayId::Stripe), 300),
        make(ChargeStatus::Succeeded, Some(GatewayId::Stripe), 400),
    ];
    for c in &charges {
        ok(store.create_charge(c).await, "create");
    }
    ok(
        store
            .create_charge(&sample_charge(&tenant("globex"), at(100)))
            .await,
        "other tenant",
    );
    let ids = |q: ChargeQuery| {
        let store = Arc::clone(&store);
        let acme = acme.clone();
        async move {
            let page = ok(store.list_charges(&acme, &q).await, "list");
            page.items.into_iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    let id = |i: usize| charges[i].id.clone();
    let q = ChargeQuery::default;

    assert_eq!(ids(q()).await, vec![id(4), id(3), id(2), id(1), id(0)]);
    let succeeded = ChargeQuery {
        status: Some(ChargeStatus::Succeeded),
        ..q()
    };
    assert_eq!(ids(succeeded.clone()).await, vec![id(4), id(2), id(1)]);
    let stripe = ChargeQuery {
        gateway: Some(GatewayId::Stripe),
        ..q()
    };
    assert_eq!(ids(stripe).await, vec![id(4), id(3), id(1)]);
    let window = ChargeQuery {
        created_from: Some(at(100)),
        created_to: Some(at(300)),
        ..q()
    };
    assert_eq!(
        ids(window).await,
        vec![id(2), id(1)],
        "from inclusive, to exclusive"
    );
    let all = ChargeQuery {
        status: Some(ChargeStatus::Succeeded),
        gateway: Some(GatewayId::Stripe),
        created_from: Some(at(100)),
        ..q()
    };
    assert_eq!(ids(all.clone()).await, vec![id(4), id(1)]);
    let paged = ChargeQuery { limit: 1, ..all };
    let page = ok(store.list_charges(&acme, &paged).await, "list");
    assert_eq!(page.next_cursor.as_deref(), Some(id(4).as_str()));
    let rest = ChargeQuery {
        starting_after: Some(id(4)),
        ..paged
    };
    let page = ok(store.list_charges(&acme, &rest).await, "list");
    assert_eq!(
        page.items.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![id(1)]
    );
    assert_eq!(
        page.next_cursor, None,
        "filters apply when deciding there is a next page"
    );
}

pub async fn charge_list_limit_default_and_cap<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1005 {
        let store = Arc::clone(&store);
        let charge = sample_charge(&acme, at(i));
        tasks.spawn(async move { store.create_charge(&charge).await });
    }
    while let Some(done) = tasks.join_next().await {
        ok(done.expect("create task"), "create");
    }
    let page = ok(
        store.list_charges(&acme, &ChargeQuery::default()).await,
        "default",
    );
    assert_eq!(page.items.len(), 20, "limit 0 means 20");
    assert!(page.next_cursor.is_some());
    let huge = ChargeQuery {
        limit: 5000,
        ..ChargeQuery::default()
    };
    let page = ok(store.list_charges(&acme, &huge).await, "huge");
    assert_eq!(page.items.len(), 1000, "capped at 1000");
    assert!(page.next_cursor.is_some());
}

pub async fn idempotency_claim_then_existing<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let record = idempotency_record(&acme, "k1", "instance-a", T0, at(86_400_000));
    let claim = ok(store.claim_idempotency_key(&record, T0).await, "claim");
    assert_eq!(claim, Claim::Claimed { version: 1 });
    let second = idempotency_record(&acme, "k1", "instance-b", at(5), at(86_400_000));
    match ok(
        store.claim_idempotency_key(&second, at(5)).await,
        "claim again",
    ) {
        Claim::Existing(existing) => {
            assert_eq!((existing.value, existing.version), (record.clone(), 1));
        }
        other => panic!("a used key must be Existing, got {other:?}"),
    }
    let got = ok(store.get_idempotency_key(&acme, "k1").await, "get").expect("stored");
    assert_eq!(got.value, record, "the loser changed nothing");
    assert_eq!(
        ok(
            store.get_idempotency_key(&acme, "nope").await,
            "get missing"
        ),
        None
    );
}

pub async fn idempotency_keys_are_scoped_by_tenant<S: Store + 'static>(store: Arc<S>) {
    let a = idempotency_record(&tenant("acme"), "k1", "x", T0, at(1000));
    let b = idempotency_record(&tenant("globex"), "k1", "x", T0, at(1000));
    assert_eq!(
        ok(store.claim_idempotency_key(&a, T0).await, "a"),
        Claim::Claimed { version: 1 }
    );
    assert_eq!(
        ok(store.claim_idempotency_key(&b, T0).await, "b"),
        Claim::Claimed { version: 1 }
    );
}

pub async fn idempotency_expired_record_is_replaced<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let old = idempotency_record(&acme, "k1", "old", T0, at(1000));
    ok(store.claim_idempotency_key(&old, T0).await, "claim");
    let new = idempotency_record(&acme, "k1", "new", at(999), at(5000));
    let early = ok(
        store.claim_idempotency_key(&new, at(999)).await,
        "claim before expiry",
    );
    assert!(matches!(early, Claim::Existing(_)), "{early:?}");

    // Expired means expires_at <= now: at exactly 1000 the key is free again.
    let new = idempotency_record(&acme, "k1", "new", at(1000), at(5000));
    let version = match ok(
        store.claim_idempotency_key(&new, at(1000)).await,
        "claim at expiry",
    ) {
        Claim::Claimed { version } => version,
        other => panic!("an expired key must be claimable, got {other:?}"),
    };
    let got = ok(store.get_idempotency_key(&acme, "k1").await, "get").expect("stored");
    assert_eq!((got.value, got.version), (new.clone(), version));

    // The replacement continues the version sequence: the old holder, who still believes in
    // version 1, must not be able to complete the new claimant's record.
    assert!(
        version > 1,
        "a replaced key must not reuse version 1, got {version}"
    );
    let mut late = old.clone();
    late.state = IdempotencyState::Completed {
        status_code: 201,
        body: "{}".into(),
        event: None,
        completed_at: at(1001),
    };
    let r = store.update_idempotency_key(&late, 1).await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
}

pub async fn idempotency_update_and_delete_are_conditional<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let mut record = idempotency_record(&acme, "k1", "a", T0, at(86_400_000));
    ok(store.claim_idempotency_key(&record, T0).await, "claim");
    record.charge_id = Some(ChargeId::generate());
    record.state = IdempotencyState::Completed {
        status_code: 201,
        body: "{\"id\":\"ch_x\"}".into(),
        event: None,
        completed_at: at(10),
    };
    assert_eq!(
        ok(store.update_idempotency_key(&record, 1).await, "complete"),
        2
    );
    let got = ok(store.get_idempotency_key(&acme, "k1").await, "get").expect("stored");
    assert_eq!((got.value, got.version), (record.clone(), 2));

    let r = store.update_idempotency_key(&record, 1).await;
    assert!(
        matches!(r, Err(StoreError::Conflict { expected: 1, .. })),
        "{r:?}"
    );
    let r = store.delete_idempotency_key(&acme, "k1", 1).await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert!(ok(store.get_idempotency_key(&acme, "k1").await, "get").is_some());

    ok(store.delete_idempotency_key(&acme, "k1", 2).await, "delete");
    assert_eq!(
        ok(store.get_idempotency_key(&acme, "k1").await, "get"),
        None
    );
    let r = store.delete_idempotency_key(&acme, "k1", 2).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    let r = store.update_idempotency_key(&record, 2).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    let again = ok(
        store.claim_idempotency_key(&record, at(20)).await,
        "reclaim",
    );
    assert!(
        matches!(again, Claim::Claimed { .. }),
        "a deleted key is free: {again:?}"
    );
}

pub async fn idempotency_purge_removes_only_expired<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    for (key, expires) in [("gone", 500), ("edge", 1000), ("kept", 1001)] {
        let r = idempotency_record(&acme, key, "a", T0, at(expires));
        ok(store.claim_idempotency_key(&r, T0).await, "claim");
    }
    let purged = ok(
        store.purge_expired_idempotency_keys(at(1000)).await,
        "purge",
    );
    assert_eq!(purged, 2, "expires_at <= now is expired");
    assert!(ok(store.get_idempotency_key(&acme, "gone").await, "get").is_none());
    assert!(ok(store.get_idempotency_key(&acme, "edge").await, "get").is_none());
    assert!(ok(store.get_idempotency_key(&acme, "kept").await, "get").is_some());
}
