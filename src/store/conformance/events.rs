//! Conformance cases for the event log: record and get, tenant isolation, filters, pages.

use std::sync::Arc;

use super::{at, ok, sample_charge, tenant};
use crate::model::{Charge, Event, EventType};
use crate::store::{EventQuery, Store, StoreError};

/// An event of `kind` about `charge`, created `ms` after `T0` (ids grow with each call).
fn event(charge: &Charge, kind: EventType, ms: i64) -> Event {
    let mut event = Event::for_charge(charge, at(ms));
    event.kind = kind;
    event
}

pub async fn event_record_get_and_tenant_isolation<S: Store + 'static>(store: Arc<S>) {
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let charge = sample_charge(&acme, at(0));
    let e = event(&charge, EventType::ChargeRequiresAction, 1);
    ok(store.record_event(&e).await, "record");
    let got = ok(store.get_event(&acme, &e.id).await, "get");
    assert_eq!(got, Some(e.clone()), "round trip");
    let other = ok(
        store.get_event(&globex, &e.id).await,
        "get as another tenant",
    );
    assert_eq!(other, None, "another tenant's event reads as none");
    let r = store.record_event(&e).await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");
    let missing = Event::for_charge(&charge, at(2));
    assert_eq!(
        ok(store.get_event(&acme, &missing.id).await, "get missing"),
        None
    );
    let listed = ok(
        store.list_events(&globex, &EventQuery::default()).await,
        "list other tenant",
    );
    assert!(listed.items.is_empty(), "{listed:?}");
}

pub async fn event_list_filters_newest_first<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let (one, two) = (sample_charge(&acme, at(0)), sample_charge(&acme, at(0)));
    let events = [
        event(&one, EventType::ChargeRequiresAction, 1),
        event(&two, EventType::ChargeRequiresAction, 2),
        event(&one, EventType::ChargeSucceeded, 3),
        event(&two, EventType::ChargeFailed, 4),
    ];
    for e in &events {
        ok(store.record_event(e).await, "record");
    }
    let other = event(
        &sample_charge(&tenant("globex"), at(0)),
        EventType::ChargeSucceeded,
        5,
    );
    ok(store.record_event(&other).await, "record other tenant");
    let ids = |q: EventQuery| {
        let store = store.clone();
        let acme = acme.clone();
        async move {
            let page = ok(store.list_events(&acme, &q).await, "list");
            page.items.into_iter().map(|e| e.id).collect::<Vec<_>>()
        }
    };
    let all = ids(EventQuery::default()).await;
    let expected: Vec<_> = events.iter().rev().map(|e| e.id.clone()).collect();
    assert_eq!(all, expected, "newest first, this tenant only");
    let by_type = ids(EventQuery {
        kind: Some(EventType::ChargeRequiresAction),
        ..EventQuery::default()
    })
    .await;
    assert_eq!(by_type, vec![events[1].id.clone(), events[0].id.clone()]);
    let by_charge = ids(EventQuery {
        charge: Some(one.id.clone()),
        ..EventQuery::default()
    })
    .await;
    assert_eq!(by_charge, vec![events[2].id.clone(), events[0].id.clone()]);
    let both = ids(EventQuery {
        kind: Some(EventType::ChargeFailed),
        charge: Some(two.id.clone()),
        ..EventQuery::default()
    })
    .await;
    assert_eq!(both, vec![events[3].id.clone()]);
}

pub async fn event_list_paginates_with_cursor<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let charge = sample_charge(&acme, at(0));
    let events: Vec<_> = (0..5)
        .map(|i| event(&charge, EventType::ChargePending, i))
        .collect();
    for e in &events {
        ok(store.record_event(e).await, "record");
    }
    let mut seen = Vec::new();
    let mut query = EventQuery {
        limit: 2,
        ..EventQuery::default()
    };
    let mut pages = 0;
    loop {
        let page = ok(store.list_events(&acme, &query).await, "list page");
        pages += 1;
        assert!(page.items.len() <= 2, "{page:?}");
        seen.extend(page.items.iter().map(|e| e.id.clone()));
        match page.next_cursor {
            Some(cursor) => {
                query.starting_after =
                    Some(crate::id::EventId::parse(&cursor).expect("a cursor is an event id"));
            }
            None => break,
        }
    }
    let expected: Vec<_> = events.iter().rev().map(|e| e.id.clone()).collect();
    assert_eq!(seen, expected, "every event once, newest first");
    assert_eq!(pages, 3);
}
