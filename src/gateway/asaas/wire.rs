//! Asaas's wire shapes as the adapter reads and writes them, and the two conversions that
//! must be exact: amounts (raw JSON number text ↔ centavos, no float) and Brasília dates.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::BRASILIA;
use crate::clock::Timestamp;
use crate::gateway::RefundNews;
use crate::id::RefundId;
use crate::model::{Currency, Fee};

/// Parses Asaas's `YYYY-MM-DD HH:MM:SS` (Brasília time).
pub fn brasilia_time(text: &str) -> Option<Timestamp> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let local = PrimitiveDateTime::parse(text.trim(), format).ok()?;
    Some(Timestamp::from_offset_date_time(
        local.assume_offset(BRASILIA),
    ))
}

/// The last second of a `YYYY-MM-DD` due date, in Brasília time: until then Asaas takes the
/// payment; the next day it is `OVERDUE`.
pub fn end_of_brasilia_day(date: &str) -> Option<Timestamp> {
    brasilia_time(&format!("{} 23:59:59", date.trim()))
}

/// `YYYY-MM-DD` of `at` in Brasília time.
pub fn brasilia_date(at: Timestamp) -> String {
    let date = at.to_offset_date_time().to_offset(BRASILIA).date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// An amount as Asaas writes it: a JSON number with two decimals, from centavos, no float.
pub fn decimal_json(minor: i64) -> Box<RawValue> {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
    // Digits, a point and digits: always valid JSON.
    RawValue::from_string(text).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// Centavos from a JSON number's text (`19.9`, `19.90`, `20`), exactly. Refuses signs other
/// than a leading `-`, exponents, and non-zero digits past the second decimal.
pub fn parse_decimal(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an amount with at most two decimals");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (digits.contains('.') && fraction.is_empty())
        || fraction.bytes().skip(2).any(|b| b != b'0')
    {
        return Err(bad());
    }
    let cents: String = fraction.chars().chain("00".chars()).take(2).collect();
    let minor = whole
        .parse::<i64>()
        .ok()
        .and_then(|w| w.checked_mul(100))
        .and_then(|w| w.checked_add(cents.parse::<i64>().ok()?))
        .ok_or_else(bad)?;
    Ok(if negative { -minor } else { minor })
}

/// Deserializes an Asaas amount (a JSON number) into centavos, from its raw text.
pub fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let raw = <Box<RawValue>>::deserialize(d)?;
    parse_decimal(raw.get()).map_err(D::Error::custom)
}

/// Like [`de_decimal`], for an amount that may be absent or `null`.
pub fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw = <Option<Box<RawValue>>>::deserialize(d)?;
    match raw {
        Some(raw) if raw.get() != "null" => {
            parse_decimal(raw.get()).map(Some).map_err(D::Error::custom)
        }
        _ => Ok(None),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewCustomer<'a> {
    pub(super) name: &'a str,
    pub(super) cpf_cnpj: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) email: Option<&'a str>,
    /// Always `true`: Asaas mails (or texts) a customer every payment made for them unless
    /// this is set, and an orphan (a payment left by an ambiguous create, until the reconciler
    /// deletes it) must never reach the payer. The merchant gives the payer the QR code, line
    /// or link payorch returned.
    pub(super) notification_disabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct NewPayment<'a> {
    pub(super) customer: &'a str,
    pub(super) billing_type: &'a str,
    pub(super) value: Box<RawValue>,
    pub(super) due_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
    pub(super) external_reference: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) credit_card_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remote_ip: Option<&'a str>,
}

#[derive(Serialize)]
pub(super) struct NewRefund {
    pub(super) value: Box<RawValue>,
    pub(super) description: String,
}

#[derive(Deserialize)]
pub(super) struct List<T> {
    #[serde(default = "Vec::new")]
    pub(super) data: Vec<T>,
}

#[derive(Deserialize)]
pub(super) struct CustomerRef {
    pub(super) id: String,
    #[serde(default)]
    pub(super) deleted: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Payment {
    pub(super) id: String,
    pub(super) status: String,
    #[serde(default)]
    pub(super) billing_type: Option<String>,
    #[serde(deserialize_with = "de_decimal")]
    pub(super) value: i64,
    /// What reaches the account after Asaas's fee (`value - netValue` is the fee).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub(super) net_value: Option<i64>,
    #[serde(default)]
    pub(super) due_date: Option<String>,
    #[serde(default)]
    pub(super) external_reference: Option<String>,
    #[serde(default)]
    pub(super) deleted: bool,
    #[serde(default)]
    pub(super) bank_slip_url: Option<String>,
    /// The payment's hosted page (`https://www.asaas.com/i/…`), where an `UNDEFINED` payment's
    /// payer chooses Pix, boleto or card.
    #[serde(default)]
    pub(super) invoice_url: Option<String>,
    #[serde(default)]
    pub(super) refunds: Option<Vec<RefundEntry>>,
}

impl Payment {
    /// Centavos returned so far: the refunds Asaas lists as `DONE` (or without a status); a
    /// `REFUNDED` payment without a list is refunded in full. A `PENDING` refund has not
    /// given the money back yet.
    pub(super) fn amount_refunded(&self) -> i64 {
        refunded_total(&self.status, self.value, self.refunds.as_deref())
    }
}

/// Asaas's fee for a payment: its `value` less its `netValue`, in BRL centavos (Asaas charges
/// in reais only). `None` without a `netValue` or when the difference is negative.
pub(super) fn fee_of(value: Option<i64>, net_value: Option<i64>) -> Option<Fee> {
    Fee::reported(value?.checked_sub(net_value?)?, Currency::Brl)
}

pub(super) fn refunded_total(status: &str, value: i64, refunds: Option<&[RefundEntry]>) -> i64 {
    let listed: i64 = refunds
        .unwrap_or_default()
        .iter()
        .filter(|r| r.status.as_deref().is_none_or(|s| s == "DONE"))
        .map(|r| r.value)
        .sum();
    if listed == 0 && status == "REFUNDED" {
        value
    } else {
        listed
    }
}

/// payorch's reference for the `index`-th (from 0) refund Asaas lists on payment `payment`:
/// Asaas gives a refund no id of its own.
pub(super) fn refund_reference(payment: &str, index: usize) -> String {
    format!("{payment}#{}", index + 1)
}

/// The payorch refund id an Asaas refund's description carries (`… (payorch re_…)`, written
/// by the adapter), if it carries one.
pub(super) fn refund_id_in(description: &str) -> Option<RefundId> {
    let (_, after) = description.rsplit_once("payorch ")?;
    let id: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    RefundId::parse(&id).ok()
}

/// Each refund `payment` lists, as webhook news: its reference, its payorch id, its status.
pub(super) fn refund_news(payment: &str, refunds: &[RefundEntry]) -> Vec<RefundNews> {
    refunds
        .iter()
        .enumerate()
        .map(|(i, r)| RefundNews {
            reference: refund_reference(payment, i),
            refund_id: r.description.as_deref().and_then(refund_id_in),
            status: super::refund_status(r.status.as_deref().unwrap_or("DONE")),
            amount: r.value,
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RefundEntry {
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(deserialize_with = "de_decimal")]
    pub(super) value: i64,
    #[serde(default)]
    pub(super) description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PixQrCode {
    // `encodedImage` (the PNG) is not read: payorch renders the QR itself, on demand
    // (`GET /v1/charges/{id}/pix.png`); only the BR Code travels with the charge.
    pub(super) payload: String,
    #[serde(default)]
    pub(super) expiration_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IdentificationField {
    #[serde(default)]
    pub(super) identification_field: Option<String>,
    #[serde(default)]
    pub(super) bar_code: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Deleted {
    #[serde(default)]
    pub(super) deleted: bool,
}

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
pub(super) struct ErrorItem {
    #[serde(default)]
    pub(super) code: Option<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_without_floats() {
        for (minor, text) in [
            (1990, "19.90"),
            (1, "0.01"),
            (100, "1.00"),
            (123456789, "1234567.89"),
        ] {
            assert_eq!(decimal_json(minor).get(), text);
            assert_eq!(parse_decimal(text), Ok(minor));
        }
        assert_eq!(parse_decimal("19.9"), Ok(1990));
        assert_eq!(parse_decimal("20"), Ok(2000));
        assert_eq!(parse_decimal("20.000"), Ok(2000));
        for bad in [
            "19.999",
            "1e3",
            "+1",
            "",
            ".5",
            "5.",
            "1.2.3",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn due_dates_are_brasilia_days() {
        // 2025-03-01 02:30 UTC is still 2025-02-28 in Brasília.
        let t = Timestamp::parse_rfc3339("2025-03-01T02:30:00Z").unwrap();
        assert_eq!(brasilia_date(t), "2025-02-28");
        assert_eq!(
            brasilia_time("2025-02-28 23:59:59"),
            Some(Timestamp::parse_rfc3339("2025-03-01T02:59:59Z").unwrap())
        );
        assert_eq!(brasilia_time("not a date"), None);
    }
}
