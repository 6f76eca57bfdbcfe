//! Unit tests and properties of the pure breaker, driven by explicit timestamps (no sleeping).

use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::clock::HumanDuration;

const T0: i64 = 1_800_000_000_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

fn ok(ms: u64) -> CallResult {
    CallResult {
        failure: false,
        duration: Duration::from_millis(ms),
    }
}

fn fail() -> CallResult {
    CallResult {
        failure: true,
        duration: Duration::from_millis(10),
    }
}

fn small() -> BreakerConfig {
    BreakerConfig {
        window_size: 10,
        minimum_calls: 4,
        failure_rate_threshold: 50,
        slow_call_rate_threshold: 100,
        slow_call_duration: HumanDuration(Duration::from_secs(1)),
        wait_in_open: HumanDuration(Duration::from_secs(30)),
        permitted_calls_in_half_open: 3,
        ..Default::default()
    }
}

/// Trips a fresh breaker open at `at(0)`.
fn tripped(config: BreakerConfig) -> Breaker {
    let mut b = Breaker::new(config, at(0));
    for _ in 0..4 {
        b.record(fail(), at(0));
    }
    assert_eq!(b.state(), BreakerState::Open);
    b
}

#[test]
fn declines_and_invalid_requests_are_not_failures() {
    let mut b = Breaker::new(small(), at(0));
    for _ in 0..20 {
        for o in [AttemptOutcome::Declined, AttemptOutcome::Invalid] {
            let r = CallResult::from_outcome(o, Duration::from_millis(5));
            assert_eq!(b.record(r, at(0)), None);
        }
    }
    assert_eq!(b.state(), BreakerState::Closed);
    let r = CallResult::from_outcome(AttemptOutcome::RateLimited, Duration::ZERO);
    assert!(r.failure);
}

#[test]
fn opens_after_minimum_calls_then_half_opens_after_the_wait() {
    let mut b = Breaker::new(small(), at(0));
    for _ in 0..3 {
        assert_eq!(b.record(fail(), at(0)), None, "fewer than minimum_calls");
    }
    let change = b.record(fail(), at(5)).expect("opens at the 4th failure");
    assert_eq!(
        (change.from, change.to, change.cause),
        (BreakerState::Closed, BreakerState::Open, Cause::Outcomes)
    );
    assert_eq!(
        b.admit(at(29_999)),
        Admission::Rejected {
            reason: Rejection::Open,
            retry_at: Some(at(30_005))
        }
    );
    assert_eq!(b.admit(at(30_005)), Admission::Probe);
    assert_eq!(b.state(), BreakerState::HalfOpen);
    assert_eq!(b.since(), at(30_005));
}

#[test]
fn half_open_admits_the_permitted_probes_and_closes_when_all_succeed() {
    let mut b = tripped(small());
    let now = at(30_000);
    for _ in 0..3 {
        assert_eq!(b.admit(now), Admission::Probe);
    }
    assert!(matches!(
        b.admit(now),
        Admission::Rejected {
            reason: Rejection::ProbesTaken,
            ..
        }
    ));
    assert_eq!(b.record(ok(5), now), None);
    assert_eq!(b.record(ok(5), now), None);
    let change = b.record(ok(5), now).expect("the last probe closes it");
    assert_eq!(change.to, BreakerState::Closed);
    assert_eq!(b.snapshot(now).calls, 0, "a fresh window");
}

#[test]
fn one_failed_probe_reopens_at_once() {
    let mut b = tripped(small());
    let now = at(30_000);
    for _ in 0..3 {
        b.admit(now);
    }
    b.record(ok(5), now);
    let change = b.record(fail(), now).expect("reopens");
    assert_eq!(
        (change.from, change.to),
        (BreakerState::HalfOpen, BreakerState::Open)
    );
    assert_eq!(b.mode(), &Mode::Open { until: at(60_000) });
    // The third probe's late result changes nothing.
    assert_eq!(b.record(ok(5), now), None);
}

#[test]
fn slow_probes_reopen_when_they_reach_the_slow_threshold() {
    let mut b = tripped(BreakerConfig {
        slow_call_rate_threshold: 60,
        ..small()
    });
    let now = at(30_000);
    for _ in 0..3 {
        b.admit(now);
    }
    b.record(ok(1500), now);
    b.record(ok(1500), now);
    let change = b.record(ok(5), now).expect("settles");
    assert_eq!(change.to, BreakerState::Open, "2 of 3 probes slow >= 60%");
}

#[test]
fn slow_calls_open_it_by_slow_call_duration() {
    let mut b = Breaker::new(
        BreakerConfig {
            slow_call_rate_threshold: 50,
            ..small()
        },
        at(0),
    );
    b.record(ok(999), at(0));
    b.record(ok(999), at(0));
    b.record(ok(1000), at(0));
    assert_eq!(b.state(), BreakerState::Closed);
    assert_eq!(
        b.record(ok(2000), at(0)).map(|c| c.to),
        Some(BreakerState::Open)
    );
}

#[test]
fn half_open_time_limit_reopens() {
    let mut b = tripped(BreakerConfig {
        max_wait_in_half_open: Some(HumanDuration(Duration::from_secs(10))),
        ..small()
    });
    assert_eq!(b.admit(at(30_000)), Admission::Probe);
    let change = b.tick(at(40_000)).expect("reopens");
    assert_eq!(change.to, BreakerState::Open);
    assert_eq!(b.mode(), &Mode::Open { until: at(70_000) });
}

#[test]
fn forced_open_with_an_end_goes_to_half_open() {
    let mut b = Breaker::new(small(), at(0));
    b.force_open(Some(at(600_000)), Some("maintenance".into()), at(0));
    assert_eq!(
        b.admit(at(599_999)),
        Admission::Rejected {
            reason: Rejection::ForcedOpen,
            retry_at: Some(at(600_000))
        }
    );
    assert_eq!(b.mode().reason(), Some("maintenance"));
    assert_eq!(b.admit(at(600_000)), Admission::Probe);
    assert_eq!(b.state(), BreakerState::HalfOpen);
}

#[test]
fn forced_closed_admits_everything_and_release_starts_afresh() {
    let mut b = Breaker::new(small(), at(0));
    b.force_closed(None, at(0));
    for _ in 0..50 {
        assert_eq!(b.record(fail(), at(1)), None);
        assert_eq!(b.admit(at(1)), Admission::Allowed);
    }
    assert_eq!(b.snapshot(at(1)).failure_permille, 1000);
    let change = b.release(at(2)).expect("back to automatic");
    assert_eq!(change.to, BreakerState::Closed);
    assert_eq!(b.snapshot(at(2)).calls, 0);
}

#[test]
fn granted_permits_come_from_the_fleet() {
    let mut b = Breaker::with_permits(small(), at(0), ProbePermits::Granted);
    for _ in 0..4 {
        b.record(fail(), at(0));
    }
    let now = at(30_000);
    assert!(!b.admit(now).is_allowed(), "no permit claimed yet");
    assert!(!b.admit(now).is_allowed());
    assert_eq!(b.take_probe_demand(), 2);
    assert_eq!(b.take_probe_demand(), 0);
    b.grant_probes(1);
    assert_eq!(b.admit(now), Admission::Probe);
    assert!(!b.admit(now).is_allowed());
    assert_eq!(b.record(ok(1), now), None);
    // Two probes succeeded elsewhere: that completes the budget of 3.
    let change = b.credit_probes(2, 0, now).expect("closes");
    assert_eq!(change.to, BreakerState::Closed);
}

#[test]
fn adopting_what_time_already_derived_changes_nothing() {
    let mut b = tripped(small());
    assert_eq!(b.admit(at(30_000)), Admission::Probe);
    // Another instance's copy still says "open until 30 s": the same period.
    assert_eq!(
        b.adopt(Mode::Open { until: at(30_000) }, at(0), at(30_001)),
        None
    );
    assert_eq!(b.probe_counts().1, 1, "the admitted probe is remembered");
    let change = b
        .adopt(
            Mode::ForcedOpen {
                until: None,
                reason: None,
            },
            at(30_002),
            at(30_002),
        )
        .expect("a new state");
    assert_eq!(change.to, BreakerState::ForcedOpen);
}

#[test]
fn snapshot_serializes_with_a_state_tag() {
    let mut b = tripped(small());
    let v = serde_json::to_value(b.snapshot(at(1))).unwrap();
    assert_eq!(v["state"], "open");
    assert_eq!(v["until"], at(30_000).to_rfc3339());
    assert_eq!(v["since"], at(0).to_rfc3339());
}

// ---------------------------------------------------------------------------------------------
// Properties

#[derive(Clone, Debug)]
enum Op {
    /// Advance time by this many ms.
    Wait(u32),
    Admit,
    /// Record a call: failed?, latency ms.
    Record(bool, u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0u32..40_000).prop_map(Op::Wait),
        3 => Just(Op::Admit),
        4 => (any::<bool>(), 0u16..2000).prop_map(|(f, ms)| Op::Record(f, ms)),
    ]
}

fn config() -> impl Strategy<Value = BreakerConfig> {
    (
        any::<bool>(),
        1u32..30,
        1u64..30,
        1u8..=100,
        1u8..=100,
        1u32..30,
        1u32..6,
    )
        .prop_map(
            |(time, size, secs, fail, slow, min, permitted)| BreakerConfig {
                sliding_window: if time {
                    SlidingWindow::Time
                } else {
                    SlidingWindow::Count
                },
                window_size: size,
                window_duration: HumanDuration(Duration::from_secs(secs)),
                failure_rate_threshold: fail,
                slow_call_rate_threshold: slow,
                slow_call_duration: HumanDuration(Duration::from_millis(1000)),
                minimum_calls: if time { min } else { min.min(size) },
                wait_in_open: HumanDuration(Duration::from_secs(20)),
                permitted_calls_in_half_open: permitted,
                max_wait_in_half_open: None,
            },
        )
}

/// What the window should hold: every call recorded while closed since the last transition,
/// judged by the definition rather than by the implementation's buckets.
fn expected_trip(
    config: &BreakerConfig,
    calls: &[(Timestamp, bool, bool)],
    now: Timestamp,
) -> bool {
    let in_window: Vec<_> = match config.sliding_window {
        SlidingWindow::Count => {
            let n = config.window_size as usize;
            calls[calls.len().saturating_sub(n)..].to_vec()
        }
        SlidingWindow::Time => {
            let span = config.window_duration.0.as_secs() as i64;
            calls
                .iter()
                .filter(|(t, ..)| t.unix_seconds() > now.unix_seconds() - span)
                .copied()
                .collect()
        }
    };
    let n = in_window.len() as u64;
    let failures = in_window.iter().filter(|c| c.1).count() as u64;
    let slow = in_window.iter().filter(|c| c.2).count() as u64;
    n >= u64::from(config.minimum_calls)
        && (failures * 100 >= u64::from(config.failure_rate_threshold) * n
            || slow * 100 >= u64::from(config.slow_call_rate_threshold) * n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// It opens exactly when a threshold is crossed after `minimum_calls`, never before, with
    /// slow calls judged by `slow_call_duration` and time windows forgetting old calls; and it
    /// closes only after every permitted probe succeeded.
    #[test]
    fn transitions_follow_the_definition(config in config(), ops in prop::collection::vec(op(), 1..300)) {
        let mut b = Breaker::new(config.clone(), at(0));
        let mut now = at(0);
        let mut closed_calls: Vec<(Timestamp, bool, bool)> = Vec::new();
        let mut probes_ok = 0u32;
        let mut probes_admitted = 0u32;
        for op in ops {
            let before = b.state();
            match op {
                Op::Wait(ms) => {
                    now = now.plus(Duration::from_millis(u64::from(ms)));
                    b.tick(now);
                }
                Op::Admit => {
                    let a = b.admit(now);
                    match b.state() {
                        BreakerState::Closed => prop_assert_eq!(a, Admission::Allowed),
                        BreakerState::Open => prop_assert!(!a.is_allowed()),
                        BreakerState::HalfOpen => {
                            if a == Admission::Probe { probes_admitted += 1; }
                            prop_assert!(probes_admitted <= config.permitted_calls_in_half_open);
                        }
                        s => prop_assert!(false, "unexpected {s}"),
                    }
                }
                Op::Record(failed, ms) => {
                    let result = CallResult { failure: failed, duration: Duration::from_millis(u64::from(ms)) };
                    let slow = ms >= 1000;
                    let state_before = { b.tick(now); b.state() };
                    let outstanding = probes_admitted > probes_ok;
                    let change = b.record(result, now);
                    match state_before {
                        BreakerState::Closed => {
                            closed_calls.push((now, failed, slow));
                            let should = expected_trip(&config, &closed_calls, now);
                            prop_assert_eq!(change.map(|c| c.to), should.then_some(BreakerState::Open));
                        }
                        BreakerState::HalfOpen if outstanding => {
                            if failed {
                                prop_assert_eq!(change.map(|c| c.to), Some(BreakerState::Open));
                            } else {
                                probes_ok += 1;
                                if let Some(c) = change {
                                    // Closing needs every permitted probe to have succeeded.
                                    prop_assert_eq!(probes_ok, config.permitted_calls_in_half_open);
                                    prop_assert!(c.to == BreakerState::Closed || c.to == BreakerState::Open);
                                } else {
                                    prop_assert!(probes_ok < config.permitted_calls_in_half_open);
                                }
                            }
                        }
                        _ => prop_assert_eq!(change, None),
                    }
                }
            }
            if b.state() != before {
                // A new period: the reference model starts afresh too.
                closed_calls.clear();
                probes_ok = 0;
                probes_admitted = 0;
            }
            if b.state() == BreakerState::Closed && before != BreakerState::Closed {
                prop_assert_eq!(before, BreakerState::HalfOpen, "only half-open closes by itself");
            }
        }
    }

    /// Forced open never admits a call before its end, whatever happens meanwhile.
    #[test]
    fn forced_open_never_admits(
        config in config(),
        prefix in prop::collection::vec(op(), 0..50),
        ops in prop::collection::vec(op(), 1..200),
        end in prop::option::of(1u32..500_000),
    ) {
        let mut b = Breaker::new(config, at(0));
        let mut now = at(0);
        for op in prefix {
            match op {
                Op::Wait(ms) => now = now.plus(Duration::from_millis(u64::from(ms))),
                Op::Admit => { b.admit(now); }
                Op::Record(f, ms) => { b.record(CallResult { failure: f, duration: Duration::from_millis(u64::from(ms)) }, now); }
            }
        }
        let until = end.map(|ms| now.plus(Duration::from_millis(u64::from(ms))));
        b.force_open(until, Some("test".into()), now);
        for op in ops {
            match op {
                Op::Wait(ms) => now = now.plus(Duration::from_millis(u64::from(ms))),
                Op::Admit => {
                    let a = b.admit(now);
                    if until.is_none_or(|u| now < u) {
                        prop_assert_eq!(a, Admission::Rejected { reason: Rejection::ForcedOpen, retry_at: until });
                    }
                }
                Op::Record(f, ms) => {
                    let c = b.record(CallResult { failure: f, duration: Duration::from_millis(u64::from(ms)) }, now);
                    if until.is_none_or(|u| now < u) {
                        prop_assert_eq!(c, None);
                        prop_assert_eq!(b.state(), BreakerState::ForcedOpen);
                    }
                }
            }
        }
    }
}
