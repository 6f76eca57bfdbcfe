use serde_json::{Value, json};

use super::*;

fn charge(status: &str, method: &str, gateway: &str, attempts: Value) -> Charge {
    serde_json::from_value(json!({
        "id": payorch::id::ChargeId::generate().to_string(),
        "tenant": "default", "status": status, "amount": 1990, "currency": "BRL",
        "method": method, "gateway": gateway, "attempts": attempts,
        "customer": {"name": "Maria Silva", "document": {"type": "cpf", "number": "52998224725"}},
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    }))
    .unwrap()
}

fn attempt(gateway: &str, outcome: &str) -> Value {
    json!({"gateway": gateway, "outcome": outcome, "latency_ms": 3, "at": "2026-01-01T00:00:00Z"})
}

fn sent(n: u64, pix: bool, c: Option<&Charge>, at: f64) -> Sent {
    Sent {
        n,
        pix,
        charge: c.map(|c| c.id.to_string()),
        http_status: Some(if c.is_some() { 201 } else { 503 }),
        error: c
            .is_none()
            .then(|| "503: no gateway could take it".to_string()),
        tries: 1,
        sent_at_secs: at,
        answered_at_secs: at,
        ..Sent::default()
    }
}

fn facts(sent: Vec<Sent>, charges: Vec<Charge>, outages: Vec<AppliedOutage>) -> Facts {
    let emitted: BTreeSet<String> = ["evt_1", "evt_2"].map(String::from).into();
    Facts {
        elapsed: Duration::from_secs(20),
        rate: 4.0,
        seed: 1,
        sent,
        charges,
        received: Received {
            ids: emitted.clone(),
            ..Received::default()
        },
        emitted,
        repeated_events: 0,
        queue: QueueStats::default(),
        breakers: Vec::new(),
        outages,
        tuning: BreakerTuning {
            window_size: 5,
            minimum_calls: 3,
            failure_rate_threshold: 50,
            wait_in_open_secs: 3.0,
            permitted_calls_in_half_open: 2,
        },
        reconciled: Reconciled::default(),
        data_dir: None,
    }
}

#[test]
fn charges_are_classed_and_failovers_read_from_the_attempts() {
    let ok = charge(
        "succeeded",
        "card",
        "stripe",
        json!([attempt("stripe", "success")]),
    );
    let moved = charge(
        "requires_action",
        "pix",
        "efi",
        json!([
            attempt("stripe", "unavailable_not_sent"),
            attempt("efi", "success")
        ]),
    );
    let declined = charge(
        "failed",
        "card",
        "stripe",
        json!([attempt("stripe", "declined")]),
    );
    let unknown = charge(
        "unknown",
        "card",
        "stripe",
        json!([attempt("stripe", "unavailable_ambiguous")]),
    );
    let all = vec![ok, moved, declined, unknown];
    let sent = all
        .iter()
        .enumerate()
        .map(|(i, c)| sent(i as u64, c.method == PaymentMethod::Pix, Some(c), 1.0))
        .collect();
    let s = Summary::from_facts(facts(sent, all, Vec::new()));
    let c = &s.charges;
    assert_eq!(
        (
            c.created,
            c.succeeded,
            c.pending,
            c.declined,
            c.failed,
            c.unknown
        ),
        (4, 1, 1, 1, 0, 1)
    );
    assert_eq!(s.failovers, 1);
    assert_eq!(s.by_gateway[&GatewayId::Stripe], 3);
    assert_eq!(s.problem_charges.len(), 1, "the unknown one is listed");
    assert!(s.ok, "{:?}", s.problems);
}

#[test]
fn a_failure_counts_unless_every_gateway_for_the_method_was_down() {
    let outage = |g, down, up| AppliedOutage {
        gateway: g,
        down_at_secs: down,
        up_at_secs: up,
    };
    // Cards go to stripe or asaas: both down from 5 s to 8 s.
    let outages = vec![
        outage(GatewayId::Stripe, 5.0, Some(12.0)),
        outage(GatewayId::Asaas, 5.0, Some(8.0)),
    ];
    let card_all_down = sent(1, false, None, 6.0);
    let card_asaas_up = sent(2, false, None, 9.0);
    let pix_efi_up = sent(3, true, None, 6.0);
    let s = Summary::from_facts(facts(
        vec![card_all_down, card_asaas_up, pix_efi_up],
        Vec::new(),
        outages,
    ));
    assert_eq!((s.charges.unavailable, s.charges.failed), (1, 2));
    assert!(!s.ok);
    assert!(
        s.problems[1].contains("2 charge(s) failed"),
        "{:?}",
        s.problems
    );
}

#[test]
fn undelivered_events_and_the_dlq_fail_the_run() {
    let mut f = facts(Vec::new(), Vec::new(), Vec::new());
    f.received.ids.remove("evt_2");
    f.queue.dead = 1;
    let s = Summary::from_facts(f);
    assert_eq!(
        (s.events.emitted, s.events.delivered, s.events.undelivered),
        (2, 1, 1)
    );
    assert!(!s.ok);
    let all = s.problems.join("; ");
    assert!(all.contains("no charge was created"), "{all}");
    assert!(
        all.contains("1 of 2 emitted event(s) never reached"),
        "{all}"
    );
    assert!(all.contains("1 event(s) in the DLQ"), "{all}");
}
