//! What an operator reads on the dashboard, beyond `mod.rs`'s screens: a decline is shown
//! as a decline with its reason, never as the `failed` of a technical failure; an open breaker
//! says what it refuses and when its gateway last worked; the rates are the last minute's,
//! refused calls included.

use payorch::model::ChargeFailure;

use super::*;

/// A card declined by the issuer and a charge no gateway could take, beside a success.
async fn declined_and_failed(f: &Fixture) {
    f.charge(
        1,
        40,
        ChargeStatus::Succeeded,
        &[(Stripe, AttemptOutcome::Success)],
    )
    .await;
    let mut declined = f.charge_record(
        2,
        20,
        ChargeStatus::Failed,
        &[(Stripe, AttemptOutcome::Declined)],
    );
    declined.failure = Some(ChargeFailure {
        code: "insufficient_funds".into(),
        message: "Your card has insufficient funds.".into(),
    });
    f.store.create_charge(&declined).await.unwrap();
    let mut broken = f.charge_record(
        3,
        10,
        ChargeStatus::Failed,
        &[
            (Stripe, AttemptOutcome::UnavailableNotSent),
            (Asaas, AttemptOutcome::UnavailableNotSent),
        ],
    );
    broken.failure = Some(ChargeFailure {
        code: "gateway_unavailable".into(),
        message: "every gateway refused the connection".into(),
    });
    f.store.create_charge(&broken).await.unwrap();
}

/// The feed line of charge `n` on a 120-column screen.
fn feed_line(screen: &str, n: u8) -> String {
    let id = format!("ch_01KF3T1VQ0000000000000000{n}");
    screen
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("charge {n} is not in the feed:\n{screen}"))
        .to_string()
}

#[tokio::test]
async fn the_feed_shows_a_decline_as_a_decline_with_its_reason() {
    let f = Fixture::new().await;
    declined_and_failed(&f).await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    let screen = render(&app, 120, 40);
    let declined = feed_line(&screen, 2);
    assert!(
        declined.contains("declined") && declined.contains("insufficient_funds"),
        "{declined}"
    );
    assert!(!declined.contains("failed"), "{declined}");
    let broken = feed_line(&screen, 3);
    assert!(
        broken.contains("failed") && !broken.contains("declined"),
        "{broken}"
    );
    // The filter finds declines by the word and by their reason; `failed` still finds both,
    // as `charge list --status failed` does.
    for (filter, want) in [("declined", 1), ("insufficient", 1), ("failed", 2)] {
        app.filter = filter.into();
        assert_eq!(app.visible_charges().len(), want, "{filter}");
    }
}

#[tokio::test]
async fn a_decline_has_its_own_colour_and_a_failure_stays_red() {
    let f = Fixture::new().await;
    declined_and_failed(&f).await;
    let op = f.operator(None);
    let app = f.app(&op, true).await;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|frame| draw::draw(frame, &app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let colour_of = |word: &str| {
        (0..buffer.area.height).find_map(|y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            if !line.contains("ch_01KF3T1VQ") {
                return None;
            }
            let at = line.find(word)?;
            let x = u16::try_from(line[..at].chars().count()).ok()?;
            Some(buffer[(x, y)].fg)
        })
    };
    assert_eq!(colour_of("declined"), Some(Color::Magenta));
    assert_eq!(colour_of("failed"), Some(Color::Red));
}

/// The outage: Stripe served a busy minute, then went fully down; 40 timeouts opened
/// its breaker and it has refused every call since. Counting only the calls that reached it,
/// its row read 94.9 % OK (750 successes, 40 failures).
async fn stripe_went_down(f: &Fixture) {
    for back in 1..=5 {
        f.traffic(Stripe, back, calls(150, 0, 40)).await;
    }
    f.trip(Stripe).await;
    let refused = Aggregate {
        rejected: 50,
        ..Aggregate::default()
    };
    f.traffic(Stripe, 0, refused).await;
    f.traffic(Efi, 0, calls(50, 0, 90)).await;
}

/// The first line of a rendered screen that starts with one of `starts`.
fn screen_line(screen: &str, starts: &[String]) -> String {
    screen
        .lines()
        .map(|l| l.trim_matches('"'))
        .find(|l| starts.iter().any(|s| l.starts_with(s.as_str())))
        .unwrap_or_else(|| panic!("no line starting with {starts:?}:\n{screen}"))
        .to_string()
}

/// The row of `gateway` in the gateways table.
fn gateway_row(screen: &str, gateway: GatewayId) -> String {
    screen_line(screen, &[format!("│ {gateway} "), format!("│›{gateway} ")])
}

#[tokio::test]
async fn an_open_breaker_row_says_it_refuses_and_when_it_last_worked_at_any_width() {
    let f = Fixture::new().await;
    stripe_went_down(&f).await;
    let op = f.operator(None);
    let app = f.app(&op, false).await;
    let stripe = &app.snapshot.as_ref().unwrap().health.gateways[0];
    assert_eq!(stripe.breaker.state, BreakerState::Open);
    for width in [80, 120, 160] {
        let screen = render(&app, width, 40);
        let header = screen.lines().find(|l| l.contains("GATEWAY")).unwrap();
        assert!(
            header.contains("OK 1M") && header.contains("ERR 1M"),
            "the rates say over what: {header}"
        );
        let row = gateway_row(&screen, Stripe);
        assert!(!row.contains("94.9%"), "{width}: {row}");
        assert!(
            row.contains("open") && row.contains("refused 5.9%") && row.contains("last OK 5s ago"),
            "{width}: {row}"
        );
        let detail = screen_line(&screen, &[" stripe: open".into()]);
        assert!(
            detail.contains("refused 50 of 840 calls in the last minute"),
            "{width}: {detail}"
        );
    }
}

#[tokio::test]
async fn rates_count_refused_calls_as_not_ok_over_the_last_minute() {
    let f = Fixture::new().await;
    // Efi's breaker refused most calls of the last minute (as a half-open one does, letting a
    // few probes through).
    f.traffic(Efi, 1, calls(8, 0, 90)).await;
    let refused = Aggregate {
        rejected: 12,
        ..Aggregate::default()
    };
    f.traffic(Efi, 0, refused).await;
    // Older than the minute: no longer counted.
    f.traffic(Efi, 8, calls(500, 0, 90)).await;
    let op = f.operator(None);
    let app = f.app(&op, false).await;
    let row = gateway_row(&render(&app, 120, 40), Efi);
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[5..7],
        ["40.0%", "60.0%"],
        "8 of 20 went through: {row}"
    );
}
