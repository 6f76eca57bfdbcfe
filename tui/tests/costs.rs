//! The costs panel (`$`): today's and this month's volume and fees per gateway, the effective
//! rate and what failing over cost, summed by the store from charges written into it, against
//! sums worked out by hand. Days start at −03:00: the fixture's now, 08:00:05 UTC on
//! 2027-01-15, is 05:00:05 that day in São Paulo, so 02:00 UTC the same day is still
//! yesterday there.

use payorch::model::{Fee, FeeSource};

use super::*;
use crate::commands::report::DEFAULT_UTC_OFFSET;
use crate::tui::state::View;

/// A charge of `minor` BRL created `secs_ago`, through `attempts`, with `fee`.
#[allow(clippy::too_many_arguments)]
async fn cost_charge(
    f: &Fixture,
    n: u8,
    secs_ago: u64,
    minor: i64,
    method: PaymentMethod,
    status: ChargeStatus,
    attempts: &[(GatewayId, AttemptOutcome)],
    fee: Option<(i64, FeeSource)>,
) {
    let template = f.charge_record(n, secs_ago, ChargeStatus::Pending, attempts);
    let mut charge = Charge::new(
        template.id.clone(),
        template.tenant.clone(),
        Money::from_minor(minor, Currency::Brl).unwrap(),
        method,
        template.customer.clone(),
        template.created_at,
    );
    charge.gateway = template.gateway;
    charge.attempts = template.attempts;
    charge.apply_status(status, template.created_at);
    assert_eq!(charge.status(), status);
    charge.fee = fee.map(|(amount, source)| Fee {
        amount,
        currency: Currency::Brl,
        source,
    });
    f.store.create_charge(&charge).await.unwrap();
}

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// Today (at −03:00): a Stripe card (100.00, Stripe's fee 4.38), a Pix that failed over from
/// Stripe to Efí (50.00, fee 1.00 where Stripe's schedule says 0.60), a card that failed.
/// Earlier this month: a Stripe card 10 days ago (200.00, estimated 8.37) and an Efí Pix at
/// 23:00 yesterday São Paulo time (30.00, estimated 0.36). Last month: a Stripe card of 70.00,
/// in no sum.
async fn month_of_charges(f: &Fixture) {
    use AttemptOutcome::{Success, UnavailableNotSent};
    use FeeSource::{Estimated, Gateway};
    use PaymentMethod::{Card, Pix};
    let ok = ChargeStatus::Succeeded;
    cost_charge(
        f,
        1,
        HOUR,
        10_000,
        Card,
        ok,
        &[(Stripe, Success)],
        Some((438, Gateway)),
    )
    .await;
    let over = [(Stripe, UnavailableNotSent), (Efi, Success)];
    cost_charge(f, 2, 2 * HOUR, 5_000, Pix, ok, &over, Some((100, Gateway))).await;
    let failed = ChargeStatus::Failed;
    cost_charge(
        f,
        3,
        30,
        1_000,
        Card,
        failed,
        &[(Stripe, UnavailableNotSent)],
        None,
    )
    .await;
    let (card, efi) = ([(Stripe, Success)], [(Efi, Success)]);
    cost_charge(
        f,
        4,
        10 * DAY,
        20_000,
        Card,
        ok,
        &card,
        Some((837, Estimated)),
    )
    .await;
    cost_charge(f, 5, 6 * HOUR, 3_000, Pix, ok, &efi, Some((36, Estimated))).await;
    cost_charge(f, 6, 40 * DAY, 7_000, Card, ok, &card, Some((318, Gateway))).await;
}

/// An app on acme with days at −03:00, `$` pressed and the panel read as the loop reads it.
async fn costs_app(f: &Fixture, op: &Operator) -> App {
    let mut app = f.app(op, false).await;
    app.utc_offset = DEFAULT_UTC_OFFSET;
    assert_eq!(app.on_key(key(KeyCode::Char('$'))), Some(Command::Reload));
    assert_eq!(app.view, View::Costs);
    super::super::refresh(op, &mut app).await;
    app
}

fn row(rows: &[payorch::store::CostRow], g: GatewayId) -> &payorch::store::CostRow {
    rows.iter()
        .find(|r| r.key == payorch::store::CostKey::Gateway(Some(g)))
        .unwrap()
}

#[tokio::test]
async fn dollar_shows_today_and_the_month_per_gateway_with_what_failover_cost() {
    let f = Fixture::new().await;
    month_of_charges(&f).await;
    let op = f.operator(None);
    let app = costs_app(&f, &op).await;

    let costs = app.costs.as_ref().expect("read when the panel opened");
    assert_eq!(costs.today_from.to_rfc3339(), "2027-01-15T03:00:00Z");
    assert_eq!(costs.month_from.to_rfc3339(), "2027-01-01T03:00:00Z");
    // Today: Stripe's card only (the failed card moved no money); Efí's failed-over Pix.
    let stripe = row(&costs.today, Stripe);
    assert_eq!(
        (stripe.volume, stripe.fees, stripe.charges),
        (10_000, 438, 2)
    );
    let efi = row(&costs.today, Efi);
    assert_eq!((efi.volume, efi.fees), (5_000, 100));
    // The month adds the card 10 days ago and the Pix at 23:00 yesterday; not last month's.
    let stripe = row(&costs.month, Stripe);
    assert_eq!((stripe.volume, stripe.fees), (30_000, 1_275));
    let efi = row(&costs.month, Efi);
    assert_eq!((efi.volume, efi.fees), (8_000, 136));
    // Stripe's schedule prices the 50.00 Pix at 1.19 %: 59.5, half up 60; Efí took 100.
    assert_eq!(efi.failover.charges, 1);
    assert_eq!((efi.failover.primary_fees, efi.failover.extra), (60, 40));

    let screen = render(&app, 120, 40);
    for expected in [
        // Rates: 438 / 10 000 = 4.38 %, 1 275 / 30 000 = 4.25 %, 136 / 8 000 = 1.70 %.
        "stripe       100.00 BRL     4.38 BRL  4.38%       300.00 BRL    12.75 BRL  4.25%",
        "efi           50.00 BRL     1.00 BRL  2.00%        80.00 BRL     1.36 BRL  1.70%     0.40 BRL",
        // 538 / 15 000 = 3.5867 %, 1 411 / 38 000 = 3.7132 %.
        "total        150.00 BRL     5.38 BRL  3.59%       380.00 BRL    14.11 BRL  3.71%     0.40 BRL",
        "1 charge(s) paid on a fallback, 1.00 BRL in fees where the first gateway tried would",
        "0.40 BRL more",
        "5.38 BRL reported by the gateways, 8.73 BRL estimated from [fees]",
        "today 2027-01-15 and this month from 2027-01-01, days at UTC-03:00",
    ] {
        assert!(screen.contains(expected), "{expected:?} in\n{screen}");
    }
    insta::assert_snapshot!("costs", screen);
    insta::assert_snapshot!("costs_80x24", render(&app, 80, 24));
}

#[tokio::test]
async fn the_panel_is_read_when_opened_then_at_most_every_thirty_seconds() {
    let f = Fixture::new().await;
    month_of_charges(&f).await;
    let op = f.operator(None);
    let mut app = costs_app(&f, &op).await;
    let volume = |app: &App| row(&app.costs.as_ref().unwrap().month, Stripe).volume;
    assert_eq!(volume(&app), 30_000);

    // A new card 15 seconds later: the panel still shows its read from 15 seconds ago.
    f.clock.advance(Duration::from_secs(15));
    use AttemptOutcome::Success;
    let card = [(Stripe, Success)];
    let ok = ChargeStatus::Succeeded;
    cost_charge(&f, 7, 1, 1_000, PaymentMethod::Card, ok, &card, None).await;
    super::super::refresh(&op, &mut app).await;
    assert_eq!(volume(&app), 30_000);
    // 30 seconds after the read, the next refresh reads it again.
    f.clock.advance(Duration::from_secs(15));
    super::super::refresh(&op, &mut app).await;
    assert_eq!(volume(&app), 31_000);
    assert_eq!(row(&app.costs.as_ref().unwrap().month, Stripe).unpriced, 1);

    // `$` again: back to the feeds; the panel is not read while hidden.
    assert_eq!(app.on_key(key(KeyCode::Char('$'))), None);
    assert_eq!(app.view, View::Feeds);
    f.clock.advance(Duration::from_secs(60));
    let read_at = app.costs.as_ref().unwrap().at;
    super::super::refresh(&op, &mut app).await;
    assert_eq!(app.costs.as_ref().unwrap().at, read_at);
    assert!(render(&app, 120, 40).contains("Charges ("));
}

#[tokio::test]
async fn a_tenant_without_paid_charges_this_month_says_so() {
    let f = Fixture::new().await;
    let op = f.operator(None);
    let app = costs_app(&f, &op).await;
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("No paid charges this month yet."),
        "{screen}"
    );
}
