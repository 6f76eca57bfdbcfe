//! The bench's pure parts: flag values, and the report made from what a run measured.

use std::collections::BTreeMap;
use std::time::Duration;

use super::load::{Measured, Report, histogram};
use super::*;

#[test]
fn durations_must_be_positive_and_urls_http() {
    assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
    assert!(parse_duration("0s").is_err());
    assert!(parse_duration("10q").is_err());
    assert_eq!(
        parse_url("http://127.0.0.1:8080/").as_deref(),
        Ok("http://127.0.0.1:8080")
    );
    assert!(parse_url("ftp://host").is_err());
    assert!(parse_url("127.0.0.1:8080").is_err());
}

#[test]
fn the_report_counts_successes_errors_and_requests_that_got_no_answer() {
    let mut latency = histogram();
    for micros in [1_000, 2_000, 3_000, 4_000, 100_000] {
        latency.record(micros).expect("in bounds");
    }
    let measured = Measured {
        elapsed: Duration::from_secs(2),
        latency,
        statuses: BTreeMap::from([(201, 3), (429, 1)]),
        transport_errors: BTreeMap::from([("timeout", 1)]),
    };
    let r = Report::new("payorch", "http://x/v1/charges", 4, 201, &measured);
    assert_eq!((r.requests, r.ok, r.errors), (5, 3, 2));
    assert_eq!((r.per_second, r.ok_per_second), (2.5, 1.5));
    let p = &r.latency_ms;
    assert!(p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.max, "{p:?}");
    assert!((p.max - 100.0).abs() < 0.1, "{p:?}");
    assert_eq!(r.statuses_text(), "201×3 429×1 timeout×1");
}

#[test]
fn the_direct_form_is_the_one_payorchs_stripe_adapter_sends() {
    let card = stripe_form(BenchMethod::Card);
    for pair in [
        "payment_method=pm_card_visa",
        "confirm=true",
        "currency=brl",
    ] {
        assert!(card.contains(pair), "{card}");
    }
    let pix = stripe_form(BenchMethod::Pix);
    assert!(pix.contains("payment_method_data%5Btype%5D=pix"), "{pix}");
    let body: serde_json::Value = serde_json::from_str(&charge_body(BenchMethod::Pix)).unwrap();
    assert_eq!(
        (body["method"].as_str(), body["gateway"].as_str()),
        (Some("pix"), Some("stripe"))
    );
}
