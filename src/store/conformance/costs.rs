//! Conformance cases for the cost query (`ChargeStore::charge_costs`): sums checked against
//! hand-computed fixtures — statuses, currencies, refunds, gateway vs estimated fees, failover,
//! range edges (from inclusive, to exclusive), days at an offset, tenants kept apart.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{at, ok, tenant};
use crate::id::{ChargeId, RefundId};
use crate::model::{
    Attempt, AttemptOutcome, Charge, ChargeStatus, Currency, Customer, Fee, FeeSchedule, FeeSource,
    GatewayId, Money, PaymentMethod, Refund, RefundStatus, Tenant,
};
use crate::store::{CostGroup, CostKey, CostQuery, CostRow, FailoverCost, Store, costs::day_of};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The fixtures' price list, as a config's `[fees]` tables: Stripe card 3.99 % + R$ 0.39
/// (the built-in rate), Stripe Pix 1 % (the built-in is 1.19 %), Efí Pix 1.19 %; nothing for
/// links.
pub const COST_FIXTURE_FEES: &str = "[fees.stripe.card]\npercent = \"3.99\"\nfixed = 39\ncurrency = \"BRL\"\n\
     [fees.stripe.pix]\npercent = \"1\"\ncurrency = \"BRL\"\n\
     [fees.efi.pix]\npercent = \"1.19\"\ncurrency = \"BRL\"\n";

fn schedule() -> FeeSchedule {
    #[derive(serde::Deserialize)]
    struct Config {
        fees: FeeSchedule,
    }
    toml::from_str::<Config>(COST_FIXTURE_FEES)
        .expect("the fixtures' schedule parses")
        .fees
}

/// How one fixture ends.
struct Fixture {
    tenant: &'static str,
    created: i64,
    amount: i64,
    currency: Currency,
    method: PaymentMethod,
    /// The gateways tried, in order; the last holds the charge (none: no gateway took it).
    tried: &'static [GatewayId],
    status: ChargeStatus,
    refunded: i64,
    fee: Option<(i64, Currency, FeeSource)>,
}

fn charge(f: &Fixture) -> Charge {
    let created = at(f.created);
    let mut c = Charge::new(
        ChargeId::generate(),
        tenant(f.tenant),
        Money::from_minor(f.amount, f.currency).expect("a positive amount"),
        f.method,
        Customer {
            name: "Maria Silva".into(),
            email: None,
            document: None,
        },
        created,
    );
    let n = f.tried.len();
    for (i, g) in f.tried.iter().enumerate() {
        let outcome = if i + 1 < n {
            AttemptOutcome::UnavailableNotSent
        } else {
            AttemptOutcome::Success
        };
        c.attempts.push(Attempt {
            gateway: *g,
            outcome,
            latency_ms: 5,
            error: None,
            gateway_code: None,
            gateway_reference: None,
            idempotency_key: None,
            at: created,
        });
    }
    if f.status != ChargeStatus::Pending {
        c.gateway = f.tried.last().copied();
    }
    let paid = f.status.is_paid();
    let through = if paid && f.status != ChargeStatus::Succeeded {
        ChargeStatus::Succeeded
    } else {
        f.status
    };
    c.apply_status(through, created);
    if f.refunded > 0 {
        c.refunds.push(Refund {
            id: RefundId::generate(),
            amount: f.refunded,
            status: RefundStatus::Succeeded,
            gateway_reference: None,
            reason: None,
            created_at: created,
            updated_at: created,
        });
        c.set_amount_refunded(f.refunded);
    }
    c.apply_status(f.status, created);
    assert_eq!(c.status(), f.status, "the fixture reaches its status");
    c.fee = f.fee.map(|(amount, currency, source)| Fee {
        amount,
        currency,
        source,
    });
    c
}

use ChargeStatus as St;
use Currency::{Brl, Usd};
use FeeSource::{Estimated as Est, Gateway as Gw};
use GatewayId::{Asaas, Efi, Stripe};
use PaymentMethod::{Card, Link, Pix};

/// The charges of the cases below: `c1`..`c11` in acme's range `[at(0), at(DAY))`, the rest
/// outside it or another tenant's.
fn fixtures() -> Vec<Fixture> {
    let f = |tenant, created, amount, currency, method, tried, status, refunded, fee| Fixture {
        tenant,
        created,
        amount,
        currency,
        method,
        tried,
        status,
        refunded,
        fee,
    };
    vec![
        // c1: at the range's first instant (inclusive); the gateway's fee.
        f(
            "acme",
            0,
            10_000,
            Brl,
            Card,
            &[Stripe],
            St::Succeeded,
            0,
            Some((438, Brl, Gw)),
        ),
        // c2: failed over from Stripe to Efí; paid 70, Stripe would have taken 1 % = 50.
        f(
            "acme",
            17 * HOUR,
            5_000,
            Brl,
            Pix,
            &[Stripe, Efi],
            St::Succeeded,
            0,
            Some((70, Brl, Gw)),
        ),
        // c3: failed over from Stripe to Asaas, cheaper there (300 < 3.99 % + 39 = 837);
        // R$ 50 refunded, the fee kept.
        f(
            "acme",
            20 * HOUR,
            20_000,
            Brl,
            Card,
            &[Stripe, Asaas],
            St::PartiallyRefunded,
            5_000,
            Some((300, Brl, Gw)),
        ),
        // c4: refunded in full; an estimated fee (1.19 % of 1000 = 11.9 → 12) kept.
        f(
            "acme",
            HOUR,
            1_000,
            Brl,
            Pix,
            &[Efi],
            St::Refunded,
            1_000,
            Some((12, Brl, Est)),
        ),
        // c5: declined: counted, no volume.
        f(
            "acme",
            2 * HOUR,
            3_000,
            Brl,
            Card,
            &[Stripe],
            St::Failed,
            0,
            None,
        ),
        // c6: waiting for the payer.
        f(
            "acme",
            3 * HOUR,
            2_500,
            Brl,
            Pix,
            &[Efi],
            St::RequiresAction,
            0,
            None,
        ),
        // c7: at the range's last millisecond; dollars.
        f(
            "acme",
            DAY - 1,
            4_000,
            Usd,
            Card,
            &[Stripe],
            St::Succeeded,
            0,
            Some((146, Usd, Gw)),
        ),
        // c8: paid, no fee known.
        f(
            "acme",
            4 * HOUR,
            7_000,
            Brl,
            Card,
            &[Stripe],
            St::Succeeded,
            0,
            None,
        ),
        // c9: failed over to Asaas for a link: no Stripe rate for links, so unpriced.
        f(
            "acme",
            5 * HOUR,
            1_500,
            Brl,
            Link,
            &[Stripe, Asaas],
            St::Succeeded,
            0,
            Some((99, Brl, Gw)),
        ),
        // c10: still pending, no gateway yet.
        f("acme", 6 * HOUR, 800, Brl, Pix, &[], St::Pending, 0, None),
        // c11: a dollar charge whose fee the gateway reported in reais.
        f(
            "acme",
            7 * HOUR,
            5_000,
            Usd,
            Card,
            &[Stripe],
            St::Succeeded,
            0,
            Some((700, Brl, Gw)),
        ),
        // Outside the range: one millisecond before it, and at its (exclusive) end.
        f(
            "acme",
            -1,
            90_000,
            Brl,
            Card,
            &[Stripe],
            St::Succeeded,
            0,
            Some((1, Brl, Gw)),
        ),
        f(
            "acme",
            DAY,
            80_000,
            Brl,
            Card,
            &[Stripe],
            St::Succeeded,
            0,
            Some((1, Brl, Gw)),
        ),
        // Another tenant's, in the range.
        f(
            "other",
            HOUR,
            9_900,
            Brl,
            Pix,
            &[Efi],
            St::Succeeded,
            0,
            Some((100, Brl, Gw)),
        ),
        // A tenant the store does not list: only asked for by name.
        f(
            "ghost",
            HOUR,
            4_200,
            Brl,
            Pix,
            &[Efi],
            St::Succeeded,
            0,
            None,
        ),
    ]
}

/// Stores the fixtures: tenants `acme` and `other` (listed; `ghost` is not) and their charges
/// (`c1`..`c11` of acme in `[at(0), at(DAY))`, with the sums the cases below spell out), for
/// the CLI's tests too.
pub async fn seed_cost_fixtures<S: Store + ?Sized>(store: &S) {
    for (id, name) in [("acme", "Acme"), ("other", "Other, \"O\" Ltda")] {
        let t = Tenant {
            id: tenant(id),
            name: name.into(),
            created_at: at(0),
        };
        ok(store.create_tenant(&t).await, "create tenant");
    }
    for f in fixtures() {
        ok(store.create_charge(&charge(&f)).await, "create charge");
    }
}

fn query(tenant_: Option<&str>, group: CostGroup) -> CostQuery {
    CostQuery {
        tenant: tenant_.map(tenant),
        from: at(0),
        to: at(DAY),
        group,
        utc_offset_minutes: -180,
    }
}

/// A row from its sums; `net` is computed as the store must.
#[allow(clippy::too_many_arguments)]
fn row(
    key: CostKey,
    currency: Currency,
    statuses: &[(ChargeStatus, u64)],
    (volume, refunded): (i64, i64),
    (fees_gateway, fees_estimated, unpriced): (i64, i64, u64),
    failover: FailoverCost,
) -> CostRow {
    let fees = fees_gateway + fees_estimated;
    CostRow {
        key,
        currency,
        charges: statuses.iter().map(|(_, n)| n).sum(),
        by_status: statuses.iter().copied().collect::<BTreeMap<_, _>>(),
        volume,
        refunded,
        fees,
        fees_gateway,
        fees_estimated,
        unpriced,
        net: volume - refunded - fees,
        failover,
    }
}

fn failover(charges: u64, fees: i64, primary_fees: i64, extra: i64, unpriced: u64) -> FailoverCost {
    FailoverCost {
        charges,
        fees,
        primary_fees,
        extra,
        unpriced,
    }
}

fn none() -> FailoverCost {
    FailoverCost::default()
}

async fn costs<S: Store + 'static>(store: &Arc<S>, q: &CostQuery) -> Vec<CostRow> {
    ok(store.charge_costs(q, &schedule()).await, "charge costs")
}

pub async fn charge_costs_by_gateway_match_hand_sums<S: Store + 'static>(store: Arc<S>) {
    seed_cost_fixtures(store.as_ref()).await;
    let rows = costs(&store, &query(Some("acme"), CostGroup::Gateway)).await;
    let expected = vec![
        // c10.
        row(
            CostKey::Gateway(None),
            Brl,
            &[(St::Pending, 1)],
            (0, 0),
            (0, 0, 0),
            none(),
        ),
        // c1, c5, c8; and c11's fee in reais.
        row(
            CostKey::Gateway(Some(Stripe)),
            Brl,
            &[(St::Succeeded, 2), (St::Failed, 1)],
            (17_000, 0),
            (438 + 700, 0, 1),
            none(),
        ),
        // c7, c11.
        row(
            CostKey::Gateway(Some(Stripe)),
            Usd,
            &[(St::Succeeded, 2)],
            (9_000, 0),
            (146, 0, 0),
            none(),
        ),
        // c2, c4, c6.
        row(
            CostKey::Gateway(Some(Efi)),
            Brl,
            &[
                (St::RequiresAction, 1),
                (St::Succeeded, 1),
                (St::Refunded, 1),
            ],
            (6_000, 1_000),
            (70, 12, 0),
            failover(1, 70, 50, 20, 0),
        ),
        // c3, c9.
        row(
            CostKey::Gateway(Some(Asaas)),
            Brl,
            &[(St::Succeeded, 1), (St::PartiallyRefunded, 1)],
            (21_500, 5_000),
            (300 + 99, 0, 0),
            failover(2, 300, 837, 0, 1),
        ),
    ];
    assert_eq!(rows, expected);
    assert_eq!(rows[3].net, 6_000 - 1_000 - 82);
    assert_eq!(rows[4].net, 21_500 - 5_000 - 399);
    // 1138 / 17000 = 6.694 %.
    assert_eq!(rows[1].effective_rate_ppm(), Some(66_941));
}

pub async fn charge_costs_by_method_and_tenant_match_hand_sums<S: Store + 'static>(store: Arc<S>) {
    seed_cost_fixtures(store.as_ref()).await;
    let rows = costs(&store, &query(Some("acme"), CostGroup::Method)).await;
    let expected = vec![
        // c2, c4, c6, c10.
        row(
            CostKey::Method(Pix),
            Brl,
            &[
                (St::Pending, 1),
                (St::RequiresAction, 1),
                (St::Succeeded, 1),
                (St::Refunded, 1),
            ],
            (6_000, 1_000),
            (70, 12, 0),
            failover(1, 70, 50, 20, 0),
        ),
        // c1, c3, c5, c8 and c11's fee.
        row(
            CostKey::Method(Card),
            Brl,
            &[
                (St::Succeeded, 2),
                (St::Failed, 1),
                (St::PartiallyRefunded, 1),
            ],
            (37_000, 5_000),
            (438 + 300 + 700, 0, 1),
            failover(1, 300, 837, 0, 0),
        ),
        row(
            CostKey::Method(Card),
            Usd,
            &[(St::Succeeded, 2)],
            (9_000, 0),
            (146, 0, 0),
            none(),
        ),
        row(
            CostKey::Method(Link),
            Brl,
            &[(St::Succeeded, 1)],
            (1_500, 0),
            (99, 0, 0),
            failover(1, 0, 0, 0, 1),
        ),
    ];
    assert_eq!(rows, expected);

    // Every listed tenant: acme's and other's, not the unlisted ghost's.
    let rows = costs(&store, &query(None, CostGroup::Tenant)).await;
    let sums: Vec<(String, Currency, u64, i64, i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.key.to_string(),
                r.currency,
                r.charges,
                r.volume,
                r.refunded,
                r.fees,
                r.net,
            )
        })
        .collect();
    assert_eq!(
        sums,
        vec![
            (
                "acme".into(),
                Brl,
                9,
                44_500,
                6_000,
                1_619,
                44_500 - 6_000 - 1_619
            ),
            ("acme".into(), Usd, 2, 9_000, 0, 146, 8_854),
            ("other".into(), Brl, 1, 9_900, 0, 100, 9_800),
        ]
    );
    // Named, the unlisted tenant is summed; another tenant's charges never are.
    let ghost = costs(&store, &query(Some("ghost"), CostGroup::Tenant)).await;
    assert_eq!(ghost.len(), 1);
    assert_eq!(
        (ghost[0].charges, ghost[0].volume, ghost[0].unpriced),
        (1, 4_200, 1)
    );
    let nobody = costs(&store, &query(Some("nobody"), CostGroup::Gateway)).await;
    assert_eq!(nobody, vec![]);
}

pub async fn charge_costs_by_day_cut_at_the_offset_and_respect_range_edges<S: Store + 'static>(
    store: Arc<S>,
) {
    seed_cost_fixtures(store.as_ref()).await;
    // T0 is 2027-01-15T08:00Z; São Paulo's (UTC−03:00) next day starts at T0 + 19 h, UTC's at
    // T0 + 16 h: c2 (T0 + 17 h) is on the 15th there, on the 16th here.
    let day = |offset: i32, ms: i64| CostKey::Day(day_of(at(ms), offset));
    let sums = |rows: &[CostRow]| -> Vec<(CostKey, Currency, u64, i64, i64)> {
        rows.iter()
            .map(|r| (r.key.clone(), r.currency, r.charges, r.volume, r.fees))
            .collect()
    };
    let rows = costs(&store, &query(Some("acme"), CostGroup::Day)).await;
    let (d15, d16) = (day(-180, 0), day(-180, DAY - 1));
    assert_eq!(d15.to_string(), "2027-01-15");
    assert_eq!(d16.to_string(), "2027-01-16");
    assert_eq!(
        sums(&rows),
        vec![
            // c1 c2 c4 c5 c6 c8 c9 c10; c11's fee.
            (d15.clone(), Brl, 8, 24_500, 438 + 70 + 12 + 99 + 700),
            // c11.
            (d15, Usd, 1, 5_000, 0),
            // c3.
            (d16.clone(), Brl, 1, 20_000, 300),
            // c7.
            (d16, Usd, 1, 4_000, 146),
        ]
    );
    let mut utc = query(Some("acme"), CostGroup::Day);
    utc.utc_offset_minutes = 0;
    let rows = costs(&store, &utc).await;
    let (u15, u16) = (day(0, 0), day(0, DAY - 1));
    assert_eq!(
        sums(&rows),
        vec![
            (u15.clone(), Brl, 7, 19_500, 438 + 12 + 99 + 700),
            (u15, Usd, 1, 5_000, 0),
            (u16.clone(), Brl, 2, 25_000, 300 + 70),
            (u16, Usd, 1, 4_000, 146),
        ]
    );

    // The edges, one millisecond at a time: from is inclusive, to exclusive.
    let window = |from: i64, to: i64| CostQuery {
        tenant: Some(tenant("acme")),
        from: at(from),
        to: at(to),
        group: CostGroup::Tenant,
        utc_offset_minutes: 0,
    };
    let volume = |rows: Vec<CostRow>| -> Vec<(Currency, i64)> {
        rows.iter().map(|r| (r.currency, r.volume)).collect()
    };
    assert_eq!(
        volume(costs(&store, &window(-1, 0)).await),
        vec![(Brl, 90_000)]
    );
    assert_eq!(
        volume(costs(&store, &window(0, 1)).await),
        vec![(Brl, 10_000)]
    );
    assert_eq!(
        volume(costs(&store, &window(DAY - 1, DAY)).await),
        vec![(Usd, 4_000)]
    );
    assert_eq!(
        volume(costs(&store, &window(DAY, DAY + 1)).await),
        vec![(Brl, 80_000)]
    );
    // An empty range, and one with no charges, are no rows.
    assert_eq!(costs(&store, &window(HOUR, HOUR)).await, vec![]);
    assert_eq!(costs(&store, &window(2 * DAY, 3 * DAY)).await, vec![]);
}
