//! Conformance cases for tenants, API keys, the audit log, and the backend's health check.

use std::sync::Arc;

use serde_json::json;

use super::{T0, at, ok, tenant};
use crate::id::{ApiKeyId, AuditId};
use crate::model::{ApiKey, Tenant};
use crate::store::{AuditEntry, Store, StoreError};

pub async fn tenants_create_get_list<S: Store + 'static>(store: Arc<S>) {
    let bravo = Tenant {
        id: tenant("bravo"),
        name: "Bravo Ltda".into(),
        created_at: T0,
    };
    let alpha = Tenant {
        id: tenant("alpha"),
        name: "Alpha SA".into(),
        created_at: at(1),
    };
    ok(store.create_tenant(&bravo).await, "create bravo");
    ok(store.create_tenant(&alpha).await, "create alpha");
    assert_eq!(
        ok(store.get_tenant(&alpha.id).await, "get"),
        Some(alpha.clone())
    );
    assert_eq!(
        ok(store.get_tenant(&tenant("nobody")).await, "get missing"),
        None
    );

    let again = Tenant {
        name: "Impostor".into(),
        ..bravo.clone()
    };
    let dup = store.create_tenant(&again).await;
    assert!(
        matches!(dup, Err(StoreError::AlreadyExists { .. })),
        "{dup:?}"
    );
    assert_eq!(
        ok(store.get_tenant(&bravo.id).await, "get after dup"),
        Some(bravo.clone())
    );
    assert_eq!(
        ok(store.list_tenants().await, "list"),
        vec![alpha, bravo],
        "ordered by id"
    );
}

fn api_key(tenant_slug: &str, hash: &str, created_ms: i64) -> ApiKey {
    ApiKey {
        id: ApiKeyId::generate(),
        tenant: tenant(tenant_slug),
        name: Some("checkout backend".into()),
        prefix: "po_sk_1a2b".into(),
        hash: hash.into(),
        created_at: at(created_ms),
        revoked_at: None,
        rate_limit: None,
    }
}

pub async fn api_keys_create_find_list<S: Store + 'static>(store: Arc<S>) {
    let first = api_key("acme", "aa11", 0);
    let second = api_key("acme", "bb22", 10);
    let other = api_key("globex", "cc33", 5);
    for k in [&second, &first, &other] {
        ok(store.create_api_key(k).await, "create key");
    }
    assert_eq!(
        ok(store.find_api_key_by_hash("bb22").await, "find"),
        Some(second.clone())
    );
    assert_eq!(
        ok(store.find_api_key_by_hash("zz99").await, "find missing"),
        None
    );
    assert_eq!(
        ok(store.list_api_keys(&tenant("acme")).await, "list"),
        vec![first.clone(), second.clone()],
        "a tenant's keys, oldest first, no one else's"
    );

    let same_id = ApiKey {
        hash: "dd44".into(),
        ..first.clone()
    };
    let same_hash = api_key("acme", "aa11", 20);
    for dup in [same_id, same_hash] {
        let r = store.create_api_key(&dup).await;
        assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");
    }
    assert_eq!(
        ok(store.list_api_keys(&tenant("acme")).await, "list").len(),
        2
    );
}

pub async fn api_key_revoke_keeps_the_first_time<S: Store + 'static>(store: Arc<S>) {
    let key = api_key("acme", "aa11", 0);
    ok(store.create_api_key(&key).await, "create");
    let revoked = ok(
        store.revoke_api_key(&key.tenant, &key.id, at(100)).await,
        "revoke",
    );
    assert_eq!(revoked.revoked_at, Some(at(100)));
    let again = ok(
        store.revoke_api_key(&key.tenant, &key.id, at(200)).await,
        "revoke again",
    );
    assert_eq!(
        again.revoked_at,
        Some(at(100)),
        "the first revocation time stays"
    );
    let found = ok(store.find_api_key_by_hash("aa11").await, "find").expect("still stored");
    assert_eq!(found.revoked_at, Some(at(100)));
    assert!(!found.is_active());

    for (t, id) in [
        (tenant("globex"), key.id.clone()),
        (key.tenant.clone(), ApiKeyId::generate()),
    ] {
        let r = store.revoke_api_key(&t, &id, at(300)).await;
        assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    }
}

pub async fn api_key_rate_limit_is_set_and_cleared<S: Store + 'static>(store: Arc<S>) {
    use crate::model::RateLimit;
    let key = api_key("acme", "aa11", 0);
    let other = api_key("acme", "bb22", 10);
    for k in [&key, &other] {
        ok(store.create_api_key(k).await, "create");
    }
    let limit: RateLimit = "200/s".parse().expect("a rate");
    for wanted in [Some(limit), Some(RateLimit::Off), None] {
        let updated = ok(
            store
                .set_api_key_rate_limit(&key.tenant, &key.id, wanted)
                .await,
            "set rate limit",
        );
        assert_eq!(updated.rate_limit, wanted);
        assert_eq!(
            ok(store.find_api_key_by_hash("aa11").await, "find").map(|k| k.rate_limit),
            Some(wanted),
            "stored"
        );
    }
    assert_eq!(
        ok(store.find_api_key_by_hash("bb22").await, "find other"),
        Some(other),
        "another key is untouched"
    );
    for (t, id) in [
        (tenant("globex"), key.id.clone()),
        (key.tenant.clone(), ApiKeyId::generate()),
    ] {
        let r = store.set_api_key_rate_limit(&t, &id, Some(limit)).await;
        assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    }
}

pub async fn audit_append_and_paginate<S: Store + 'static>(store: Arc<S>) {
    let entry = |t: &str, action: &str, ms| AuditEntry {
        id: AuditId::generate(),
        tenant: tenant(t),
        at: at(ms),
        actor: "maria".into(),
        action: action.parse().expect("a known audit action"),
        target: "stripe".into(),
        detail: json!({"from": "stripe", "to": "efi"}),
        reason: Some("stripe is down".into()),
    };
    let entries = [
        entry("acme", "gateway.switch", 0),
        entry("globex", "breaker.open", 1),
        entry("acme", "breaker.close", 2),
        entry("acme", "apikey.create", 3),
    ];
    for e in &entries {
        ok(store.append_audit(e).await, "append");
    }
    let r = store.append_audit(&entries[0]).await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");

    let all = ok(store.list_audit(None, None, 0).await, "list all");
    assert_eq!(all.items, entries.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(all.next_cursor, None);
    let acme = tenant("acme");
    let first = ok(store.list_audit(Some(&acme), None, 2).await, "page 1");
    assert_eq!(first.items, vec![entries[3].clone(), entries[2].clone()]);
    let cursor = AuditId::parse(first.next_cursor.as_deref().expect("more")).expect("an id");
    let second = ok(
        store.list_audit(Some(&acme), Some(&cursor), 2).await,
        "page 2",
    );
    assert_eq!(
        (second.items, second.next_cursor),
        (vec![entries[0].clone()], None)
    );
}

pub async fn ping_and_describe<S: Store + 'static>(store: Arc<S>) {
    ok(store.ping().await, "ping");
    assert!(
        !store.describe().trim().is_empty(),
        "describe names the backend"
    );
}
