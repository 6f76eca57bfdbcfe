use super::*;

#[test]
fn retry_after_seconds_and_dates() {
    let now = Timestamp::from_unix_millis(1_445_412_480_000); // 2015-10-21T07:28:00Z
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn jitter_stays_within_its_percentage() {
    let base = Duration::from_secs(100);
    for _ in 0..200 {
        let d = jitter(base, 20);
        assert!(
            d >= Duration::from_secs(80) && d <= Duration::from_secs(120),
            "{d:?}"
        );
    }
    assert_eq!(jitter(base, 0), base);
}

#[test]
fn logs_round_trip_and_plain_text_is_a_last_error() {
    let mut log = DeliveryLog::default();
    for i in 0..30 {
        log.record(AttemptRecord {
            at: Timestamp::from_unix_millis(i),
            status: Some(500),
            error: Some(format!("HTTP 500 #{i}")),
        });
    }
    assert_eq!(log.attempts.len(), MAX_LOGGED_ATTEMPTS);
    assert_eq!(log.last_error, "HTTP 500 #29");
    assert_eq!(DeliveryLog::decode(&log.encode()), log);
    assert_eq!(DeliveryLog::decode("boom").last_error, "boom");
}

#[test]
fn default_schedule_has_eight_attempts() {
    let s = DeliverySettings::default();
    assert_eq!(s.max_attempts(), 8);
    assert_eq!(s.retry_schedule[0], Duration::from_secs(5));
    assert_eq!(s.attempt_timeout, Duration::from_secs(15));
}
