//! Building a BR Code: every part validated, the CRC appended.

use super::*;

/// Builds a BR Code payload; [`BrCodeBuilder::build`] validates every part and appends the CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrCodeBuilder {
    location: Location,
    merchant_name: String,
    merchant_city: String,
    amount_cents: Option<i64>,
    txid: Option<String>,
    info: Option<String>,
}

impl BrCodeBuilder {
    pub(super) fn new(location: Location, merchant_name: &str, merchant_city: &str) -> Self {
        Self {
            location,
            merchant_name: merchant_name.to_owned(),
            merchant_city: merchant_city.to_owned(),
            amount_cents: None,
            txid: None,
            info: None,
        }
    }

    /// Fix the amount, in centavos (1 to 999 999 999 999).
    pub fn amount_cents(mut self, cents: i64) -> Self {
        self.amount_cents = Some(cents);
        self
    }

    /// Set the txid: 1–25 ASCII letters and digits, or `***` for none.
    pub fn txid(mut self, txid: &str) -> Self {
        self.txid = Some(txid.to_owned());
        self
    }

    /// Set the additional info shown to the payer (26.02).
    pub fn info(mut self, info: &str) -> Self {
        self.info = Some(info.to_owned());
        self
    }

    /// The payload: every part validated, fields in the manual's order, CRC appended.
    pub fn build(&self) -> Result<String, BrCodeError> {
        let mut account = String::new();
        push_field(&mut account, "00", PIX_GUI);
        if let Location::Key(key) = &self.location {
            check_text(Some("26"), "01", key, MAX_KEY_LEN)?;
            push_field(&mut account, "01", key);
        }
        if let Some(info) = &self.info {
            check_text(Some("26"), "02", info, MAX_FIELD_LEN)?;
            push_field(&mut account, "02", info);
        }
        if let Location::Url(url) = &self.location {
            check_text(Some("26"), "25", url, MAX_URL_LEN)?;
            if url.contains("://") {
                return Err(invalid(
                    Some("26"),
                    "25",
                    url,
                    "must not include a scheme: write `pix.example.com/...`, not `https://...`",
                ));
            }
            push_field(&mut account, "25", url);
        }
        if account.len() > MAX_FIELD_LEN {
            let problem = format!(
                "would be {} characters, the limit is {MAX_FIELD_LEN}; shorten the info (26.02)",
                account.len()
            );
            return Err(invalid(None, "26", &account, problem));
        }

        let amount = match self.amount_cents {
            Some(cents) if (1..=MAX_AMOUNT_CENTS).contains(&cents) => Some(format_amount(cents)),
            Some(cents) => {
                let problem = format!("is out of range: 1 to {MAX_AMOUNT_CENTS} centavos");
                return Err(invalid(None, "54", &cents.to_string(), problem));
            }
            None => None,
        };
        check_text(None, "59", &self.merchant_name, MAX_NAME_LEN)?;
        check_text(None, "60", &self.merchant_city, MAX_CITY_LEN)?;
        let txid = self.txid.as_deref().unwrap_or(NO_TXID);
        if txid != NO_TXID {
            check_text(Some("62"), "05", txid, MAX_TXID_LEN)?;
            if !txid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(invalid(
                    Some("62"),
                    "05",
                    txid,
                    "must be `***` or only letters and digits (A-Z, a-z, 0-9)",
                ));
            }
        }

        let mut payload = String::new();
        push_field(&mut payload, "00", "01");
        if matches!(self.location, Location::Url(_)) {
            push_field(&mut payload, "01", "12");
        }
        push_field(&mut payload, "26", &account);
        push_field(&mut payload, "52", "0000");
        push_field(&mut payload, "53", "986");
        if let Some(amount) = &amount {
            push_field(&mut payload, "54", amount);
        }
        push_field(&mut payload, "58", "BR");
        push_field(&mut payload, "59", &self.merchant_name);
        push_field(&mut payload, "60", &self.merchant_city);
        let mut additional = String::new();
        push_field(&mut additional, "05", txid);
        push_field(&mut payload, "62", &additional);
        payload.push_str("6304");
        let crc = Crc(crc16_ccitt_false(payload.as_bytes()));
        payload.push_str(&crc.to_string());
        Ok(payload)
    }
}

/// Centavos (positive) as field 54 writes them: exactly two decimals.
fn format_amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Appends one TLV field. Callers have checked `value` fits in two length digits.
fn push_field(out: &mut String, id: &str, value: &str) {
    debug_assert!(value.len() <= MAX_FIELD_LEN, "field {id} is too long");
    out.push_str(id);
    out.push_str(&format!("{:02}", value.len()));
    out.push_str(value);
}
