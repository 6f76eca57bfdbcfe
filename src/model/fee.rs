//! What a charge cost: the gateway's fee, as the gateway reported it or as payorch estimated it
//! from a fee schedule (`[fees.<gateway>.<method>]` in the config). Pure arithmetic, integers
//! only (rule 1).
//!
//! A rate is a percent plus a fixed amount in one currency. The percent is written as a decimal
//! string (`"3.99"`, at most four decimals) and kept as an integer number of millionths of the
//! amount (`3.99 %` = 39 900 ppm), so no float ever touches money. The estimate of an amount is
//! `round_half_up(amount × ppm / 1 000 000) + fixed`, in the charge's minor units: half a minor
//! unit rounds up, which is what the gateways' own statements do (a fee is never understated).
//! A rate in another currency than the charge's estimates nothing (payorch converts no
//! currencies); a fee may exceed a tiny amount (a fixed part larger than the charge), as it
//! does at the gateways.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::charge::PaymentMethod;
use super::gateway::GatewayId;
use super::money::{Currency, Money};

/// Whose figure a fee is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeSource {
    /// The gateway reported it (Stripe's balance transaction, Asaas's `value - netValue`).
    Gateway,
    /// payorch computed it from the fee schedule in the config.
    Estimated,
}

impl FeeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FeeSource::Gateway => "gateway",
            FeeSource::Estimated => "estimated",
        }
    }
}

/// The fee of one charge: minor units of `currency` (never negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub amount: i64,
    pub currency: Currency,
    pub source: FeeSource,
}

impl Fee {
    /// A fee the gateway reported, if it is one (not negative).
    pub fn reported(amount: i64, currency: Currency) -> Option<Fee> {
        (amount >= 0).then_some(Fee {
            amount,
            currency,
            source: FeeSource::Gateway,
        })
    }
}

/// A percent of the amount, exactly: millionths of the amount (`"3.99"` % = 39 900).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(u32);

/// The largest percent a rate may take: 100 %.
const PPM_MAX: u32 = 1_000_000;

impl Percent {
    /// Millionths of the amount.
    pub fn ppm(self) -> u32 {
        self.0
    }

    /// A percent from millionths of the amount (at most 100 %).
    pub fn from_ppm(ppm: u32) -> Option<Percent> {
        (ppm <= PPM_MAX).then_some(Percent(ppm))
    }
}

/// Why a percent was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a percent: write it as a string of digits with at most four decimals, from \"0\" to \"100\" (e.g. \"3.99\")"
)]
pub struct BadPercent(pub String);

impl FromStr for Percent {
    type Err = BadPercent;
    fn from_str(s: &str) -> Result<Percent, BadPercent> {
        let bad = || BadPercent(s.to_string());
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 3 || !digits(whole) || frac.len() > 4 || !digits(frac)
        {
            return Err(bad());
        }
        if s.contains('.') && frac.is_empty() {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let frac: u32 = format!("{frac:0<4}").parse().map_err(|_| bad())?;
        Percent::from_ppm(whole * 10_000 + frac).ok_or_else(bad)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 10_000, self.0 % 10_000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let frac = format!("{frac:04}");
            write!(f, "{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Percent, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a percent as a string, e.g. \"3.99\" (not a float: money stays exact)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Percent, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Percent, E> {
                u32::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(10_000))
                    .and_then(Percent::from_ppm)
                    .ok_or_else(|| E::custom(BadPercent(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Percent, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(BadPercent(v.to_string())))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// One gateway's price for one method: `percent` of the amount plus `fixed` minor units of
/// `currency`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRate {
    #[serde(default)]
    pub percent: Percent,
    /// Minor units of `currency` (R$ 0.39 = 39).
    #[serde(default)]
    pub fixed: u32,
    pub currency: Currency,
}

impl FeeRate {
    /// The estimated fee of `money` at this rate: `None` when the rate is in another currency
    /// or the sum would not fit in an `i64` (no real charge comes near; amount limits refuse
    /// such charges first).
    pub fn estimate(&self, money: Money) -> Option<Fee> {
        if money.currency() != self.currency {
            return None;
        }
        let scaled = i128::from(money.minor()) * i128::from(self.percent.ppm());
        let variable = (scaled + 500_000) / 1_000_000;
        let amount = i64::try_from(variable + i128::from(self.fixed)).ok()?;
        Some(Fee {
            amount,
            currency: self.currency,
            source: FeeSource::Estimated,
        })
    }
}

/// Every gateway's rates, per method: `[fees.<gateway>.<method>]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeeSchedule(pub BTreeMap<GatewayId, BTreeMap<PaymentMethod, FeeRate>>);

impl FeeSchedule {
    /// The rate `gateway` charges for `method`, if the schedule has one.
    pub fn rate(&self, gateway: GatewayId, method: PaymentMethod) -> Option<&FeeRate> {
        self.0.get(&gateway)?.get(&method)
    }

    /// The estimated fee of a `method` charge of `money` at `gateway`.
    pub fn estimate(&self, gateway: GatewayId, method: PaymentMethod, money: Money) -> Option<Fee> {
        self.rate(gateway, method)?.estimate(money)
    }

    /// The built-in schedule: each gateway's published Brazilian price for what it takes, where
    /// one could be found (sources and dates in `src/config/payorch.toml`'s `[fees]`).
    pub fn builtin() -> FeeSchedule {
        let brl = |ppm: u32, fixed: u32| FeeRate {
            percent: Percent(ppm),
            fixed,
            currency: Currency::Brl,
        };
        let mut s = BTreeMap::new();
        s.insert(
            GatewayId::Stripe,
            BTreeMap::from([
                (PaymentMethod::Card, brl(39_900, 39)),
                (PaymentMethod::Pix, brl(11_900, 0)),
                // A Checkout Session costs what the payer's method costs; the card's rate is
                // the most it can (see payorch.toml's [fees]).
                (PaymentMethod::Link, brl(39_900, 39)),
            ]),
        );
        s.insert(
            GatewayId::Efi,
            BTreeMap::from([(PaymentMethod::Pix, brl(11_900, 0))]),
        );
        FeeSchedule(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brl(minor: i64) -> Money {
        Money::from_minor(minor, Currency::Brl).unwrap()
    }

    fn rate(percent: &str, fixed: u32) -> FeeRate {
        FeeRate {
            percent: percent.parse().unwrap(),
            fixed,
            currency: Currency::Brl,
        }
    }

    #[test]
    fn percents_parse_exactly_and_refuse_the_rest() {
        for (s, ppm) in [
            ("0", 0),
            ("3.99", 39_900),
            ("1.19", 11_900),
            ("0.0001", 1),
            ("100", 1_000_000),
            ("2.5", 25_000),
        ] {
            let p: Percent = s.parse().unwrap();
            assert_eq!(p.ppm(), ppm, "{s}");
            assert_eq!(p.to_string().parse::<Percent>().unwrap(), p, "{s}");
        }
        for s in [
            "", "-1", "1.", ".5", "3,99", "100.0001", "101", "1.00001", "1e2", " 1",
        ] {
            assert!(s.parse::<Percent>().is_err(), "{s}");
        }
        assert_eq!(Percent(39_900).to_string(), "3.99");
    }

    #[test]
    fn estimates_round_half_up_to_the_minor_unit() {
        // 3.99 % of R$ 100.00 = 399 exactly, + 39.
        assert_eq!(rate("3.99", 39).estimate(brl(10_000)).unwrap().amount, 438);
        // 1.19 % of 42 = 0.4998 -> 0; of 43 = 0.5117 -> 1.
        assert_eq!(rate("1.19", 0).estimate(brl(42)).unwrap().amount, 0);
        assert_eq!(rate("1.19", 0).estimate(brl(43)).unwrap().amount, 1);
        // 0.5 exactly rounds up: 1 % of 50 = 0.5 -> 1; of 149 = 1.49 -> 1; of 150 = 1.5 -> 2.
        assert_eq!(rate("1", 0).estimate(brl(50)).unwrap().amount, 1);
        assert_eq!(rate("1", 0).estimate(brl(149)).unwrap().amount, 1);
        assert_eq!(rate("1", 0).estimate(brl(150)).unwrap().amount, 2);
        let fee = rate("1", 0).estimate(brl(150)).unwrap();
        assert_eq!(fee.source, FeeSource::Estimated);
        assert_eq!(fee.currency, Currency::Brl);
    }

    #[test]
    fn zero_rates_cost_nothing_and_a_fixed_part_may_exceed_a_tiny_amount() {
        assert_eq!(rate("0", 0).estimate(brl(1)).unwrap().amount, 0);
        assert_eq!(rate("0", 39).estimate(brl(1)).unwrap().amount, 39);
    }

    #[test]
    fn another_currency_estimates_nothing() {
        let usd = Money::from_minor(10_000, Currency::Usd).unwrap();
        assert_eq!(rate("3.99", 39).estimate(usd), None);
    }

    #[test]
    fn the_largest_amounts_neither_overflow_nor_lose_a_unit() {
        let max = brl(i64::MAX);
        // 100 % of i64::MAX is i64::MAX; a fixed part on top no longer fits.
        assert_eq!(rate("100", 0).estimate(max).unwrap().amount, i64::MAX);
        assert_eq!(rate("100", 1).estimate(max), None);
        // 3.99 % of i64::MAX, exactly (i128 arithmetic).
        let exact = (i128::from(i64::MAX) * 39_900 + 500_000) / 1_000_000;
        assert_eq!(
            i128::from(rate("3.99", 0).estimate(max).unwrap().amount),
            exact
        );
    }

    #[test]
    fn a_schedule_reads_from_toml_and_refuses_floats() {
        let s: FeeSchedule =
            toml::from_str("[stripe.card]\npercent = \"3.99\"\nfixed = 39\ncurrency = \"BRL\"\n")
                .unwrap();
        assert_eq!(
            s.estimate(GatewayId::Stripe, PaymentMethod::Card, brl(10_000))
                .unwrap()
                .amount,
            438
        );
        assert_eq!(
            s.estimate(GatewayId::Efi, PaymentMethod::Pix, brl(100)),
            None
        );
        let err =
            toml::from_str::<FeeSchedule>("[stripe.card]\npercent = 3.99\ncurrency = \"BRL\"\n")
                .unwrap_err();
        assert!(err.to_string().contains("not a float"), "{err}");
        let err = toml::from_str::<FeeSchedule>("[paypal.card]\ncurrency = \"BRL\"\n").unwrap_err();
        assert!(err.to_string().contains("paypal"), "{err}");
    }

    #[test]
    fn gateway_fees_are_never_negative() {
        assert_eq!(Fee::reported(-1, Currency::Brl), None);
        assert_eq!(
            Fee::reported(0, Currency::Brl).unwrap().source,
            FeeSource::Gateway
        );
    }
}
