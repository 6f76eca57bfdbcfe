//! What an operator reads on the dashboard, beyond `tests.rs`'s screens: a decline is shown
//! as a decline with its reason, never as the `failed` of a technical failure.

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
