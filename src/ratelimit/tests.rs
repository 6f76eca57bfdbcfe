//! The buckets on a hand-moved clock: bursts, refill, Retry-After rounding, the key and tenant
//! scopes, overrides, `off`, and the fleet division.

use super::*;
use crate::clock::{ManualClock, Timestamp};

fn settings(key: &str, key_burst: u32, tenant: &str, tenant_burst: u32) -> LimitsConfig {
    LimitsConfig {
        key: key.parse().unwrap(),
        key_burst,
        tenant: tenant.parse().unwrap(),
        tenant_burst,
        ..LimitsConfig::default()
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timestamp::from_unix_millis(
        1_800_000_000_000,
    )))
}

fn key(tenant: &str, rate_limit: Option<&str>) -> ApiKey {
    ApiKey {
        id: ApiKeyId::generate(),
        tenant: TenantId::parse(tenant).unwrap(),
        name: None,
        prefix: "po_sk_00000000".into(),
        hash: "00".into(),
        created_at: Timestamp::UNIX_EPOCH,
        revoked_at: None,
        rate_limit: rate_limit.map(|r| r.parse().unwrap()),
    }
}

#[test]
fn a_burst_then_refusal_with_retry_after_rounded_up_then_refill() {
    let clock = clock();
    let limits = RateLimits::new(&settings("3/min", 3, "off", 1), clock.clone());
    let k = key("acme", None);
    for left in [2, 1, 0] {
        let s = limits.check_api(&k).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].scope, s[0].quota, s[0].window_secs),
            (Scope::Key, 3, 60)
        );
        assert_eq!(s[0].remaining, left);
    }
    let refused = limits.check_api(&k).unwrap_err();
    assert_eq!(refused.scope, Scope::Key);
    // One request's worth refills in 20 s.
    assert_eq!(refused.retry_after_secs, 20);
    clock.advance(Duration::from_millis(19_500));
    let refused = limits.check_api(&k).unwrap_err();
    assert_eq!(refused.retry_after_secs, 1, "0.5 s rounds up to 1");
    clock.advance(Duration::from_millis(500));
    assert_eq!(limits.check_api(&k).unwrap()[0].remaining, 0);
}

#[test]
fn keys_have_their_own_buckets_and_share_the_tenants() {
    let clock = clock();
    let limits = RateLimits::new(&settings("3/min", 3, "5/min", 5), clock);
    let (a, b, other) = (key("acme", None), key("acme", None), key("globex", None));
    for _ in 0..3 {
        limits.check_api(&a).unwrap();
    }
    assert_eq!(limits.check_api(&a).unwrap_err().scope, Scope::Key);
    // The key's refusal did not spend the tenant's budget: 2 of 5 are left for b.
    for _ in 0..2 {
        limits.check_api(&b).unwrap();
    }
    let refused = limits.check_api(&b).unwrap_err();
    assert_eq!(refused.scope, Scope::Tenant);
    assert_eq!(refused.standings.len(), 2);
    assert_eq!(refused.standings[0].remaining, 0, "b's own bucket: 3 spent");
    for _ in 0..3 {
        limits.check_api(&other).unwrap();
    }
}

#[test]
fn a_keys_override_and_off() {
    let limits = RateLimits::new(&settings("3/min", 3, "off", 1), clock());
    let generous = key("acme", Some("10/min"));
    for _ in 0..10 {
        limits.check_api(&generous).unwrap();
    }
    assert_eq!(limits.check_api(&generous).unwrap_err().scope, Scope::Key);
    let exempt = key("acme", Some("off"));
    for _ in 0..50 {
        assert!(limits.check_api(&exempt).unwrap().is_empty());
    }
    let none = RateLimits::new(&settings("off", 1, "off", 1), clock());
    assert!(none.check_api(&key("acme", None)).unwrap().is_empty());
}

#[test]
fn webhooks_are_limited_per_tenant_and_gateway_apart_from_requests() {
    let mut s = settings("3/min", 3, "3/min", 3);
    s.inbound = "2/min".parse().unwrap();
    s.inbound_burst = 2;
    let limits = RateLimits::new(&s, clock());
    let acme = TenantId::parse("acme").unwrap();
    for _ in 0..2 {
        limits.check_inbound(&acme, GatewayId::Asaas).unwrap();
    }
    let refused = limits.check_inbound(&acme, GatewayId::Asaas).unwrap_err();
    assert_eq!(refused.scope, Scope::Inbound);
    limits.check_inbound(&acme, GatewayId::Stripe).unwrap();
    limits
        .check_inbound(&TenantId::parse("globex").unwrap(), GatewayId::Asaas)
        .unwrap();
    limits.check_api(&key("acme", None)).unwrap();
}

#[test]
fn a_fleet_divides_rates_and_bursts() {
    let mut s = settings("100/s", 200, "off", 1);
    s.instances = 4;
    let limits = RateLimits::new(&s, clock());
    let k = key("acme", None);
    let first = limits.check_api(&k).unwrap();
    assert_eq!((first[0].quota, first[0].remaining), (25, 49));
    // Never below one request.
    let p = Policy::new("3/min".parse::<RateLimit>().unwrap().rate().unwrap(), 3, 10);
    assert_eq!((p.quota, p.burst), (1, 1));
}
