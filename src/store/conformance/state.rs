//! Conformance cases for shared state documents and counters, one writer at a time.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::{T0, at, ok, tenant};
use crate::store::{CounterKey, Expect, StateKey, StateKind, Store, StoreError};

pub async fn state_put_get_list<S: Store + 'static>(store: Arc<S>) {
    let key = |t: &str, kind: &str, name: &str| StateKey {
        tenant: tenant(t),
        kind: kind.parse().expect("a known kind"),
        name: name.into(),
    };
    let stripe = key("acme", "breaker", "stripe");
    assert_eq!(ok(store.get_state(&stripe).await, "get missing"), None);
    let closed = json!({"state": "closed"});
    assert_eq!(
        ok(
            store.put_state(&stripe, &closed, Expect::Absent).await,
            "create"
        ),
        1
    );
    let r = store
        .put_state(&stripe, &json!({"state": "x"}), Expect::Absent)
        .await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");

    let open = json!({"state": "open", "until": "2027-01-15T08:00:00Z"});
    assert_eq!(
        ok(
            store.put_state(&stripe, &open, Expect::Version(1)).await,
            "update"
        ),
        2
    );
    let r = store.put_state(&stripe, &closed, Expect::Version(1)).await;
    assert!(
        matches!(r, Err(StoreError::Conflict { expected: 1, .. })),
        "{r:?}"
    );
    let got = ok(store.get_state(&stripe).await, "get").expect("stored");
    assert_eq!((got.value, got.version), (open.clone(), 2));
    let r = store
        .put_state(&key("acme", "breaker", "asaas"), &open, Expect::Version(1))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");

    for (k, v) in [
        (key("acme", "breaker", "efi"), json!(1)),
        (key("acme", "routing", "table"), json!(2)),
        (key("globex", "breaker", "asaas"), json!(3)),
    ] {
        ok(store.put_state(&k, &v, Expect::Absent).await, "create");
    }
    let listed = ok(
        store.list_state(&tenant("acme"), StateKind::Breaker).await,
        "list",
    );
    let names: Vec<_> = listed
        .iter()
        .map(|(n, v)| (n.as_str(), v.version))
        .collect();
    assert_eq!(
        names,
        vec![("efi", 1), ("stripe", 2)],
        "one tenant and kind, by name"
    );
    assert_eq!(listed[1].1.value, open);

    // Deleted only at the version it is at; then gone from reads and listings, and free to
    // be created again.
    let r = store.delete_state(&stripe, 1).await;
    assert!(
        matches!(r, Err(StoreError::Conflict { expected: 1, .. })),
        "{r:?}"
    );
    ok(store.delete_state(&stripe, 2).await, "delete");
    assert_eq!(ok(store.get_state(&stripe).await, "get deleted"), None);
    let r = store.delete_state(&stripe, 2).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    let listed = ok(
        store.list_state(&tenant("acme"), StateKind::Breaker).await,
        "list after delete",
    );
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        ok(
            store.put_state(&stripe, &closed, Expect::Absent).await,
            "create again"
        ),
        1
    );
}

pub async fn counters_add_and_read_ranges<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let key = |series: &str, bucket| CounterKey {
        tenant: acme.clone(),
        series: series.into(),
        bucket: at(bucket),
    };
    let deltas = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let ttl = at(3_600_000);
    let b0 = key("gw:stripe", 0);
    let other_tenant = CounterKey {
        tenant: tenant("globex"),
        ..b0.clone()
    };
    let adds = [
        (b0.clone(), deltas(&[("ok", 3), ("fail", 1)])),
        (b0, deltas(&[("ok", 2), ("slow", 1), ("fail", -1)])),
        (key("gw:stripe", 10_000), deltas(&[("ok", 7)])),
        (key("gw:stripe", 20_000), deltas(&[("ok", 9)])),
        (key("gw:efi", 0), deltas(&[("ok", 100)])),
        (other_tenant, deltas(&[("ok", 100)])),
    ];
    for (k, d) in &adds {
        ok(store.add_counters(k, d, ttl).await, "add");
    }

    let read = ok(
        store
            .read_counters(&acme, "gw:stripe", T0, at(20_000))
            .await,
        "read",
    );
    assert_eq!(
        read,
        vec![
            (at(0), deltas(&[("fail", 0), ("ok", 5), ("slow", 1)])),
            (at(10_000), deltas(&[("ok", 7)])),
        ],
        "from inclusive, to exclusive, oldest first, deltas summed"
    );
    assert!(
        ok(
            store.read_counters(&acme, "gw:asaas", T0, at(99_999)).await,
            "read"
        )
        .is_empty()
    );
}
