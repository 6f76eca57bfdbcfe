//! The Pix BR Code ("Pix copia e cola"): parses and validates the EMV QRCPS-MPM text a payer
//! pastes or scans, and builds valid ones with their CRC. Text in, text out: no I/O.
//!
//! Choices the Banco Central's manuals leave open, made here once:
//! - **Characters.** A payload must be printable ASCII (0x20–0x7E). Anything else (an accent, a
//!   control character) is rejected with its offset, on parse and on build, so a TLV length always
//!   counts characters and bytes alike and the CRC has one meaning. Strip accents before building.
//! - **CRC (field 63).** CRC16-CCITT-FALSE over everything up to and including `6304`. Parse
//!   accepts lowercase hex; build always writes uppercase. A payload that ends in `6304` plus four
//!   characters has its CRC checked before anything else, so a mistyped character is reported as
//!   a CRC mismatch rather than as whatever structural damage it happens to cause.
//! - **GUI.** `br.gov.bcb.pix` is matched case-insensitively (the BR Code manual writes it in
//!   capitals). The Pix template is looked for in fields 26–51 only; 80–99 are kept as they are.
//! - **txid (62.05).** Build takes `***` or 1–25 ASCII letters and digits, what the Pix manual
//!   allows. Parse takes any 1–25 characters, because the BR Code manual's own example uses
//!   `RP12345678-2019`. `***` means "no txid".
//! - **Amount (54).** Parse takes `10`, `10.5`, `10.50` and `0.00` (at most 13 characters and 2
//!   decimals; no sign, no comma). Build takes 1 to 999 999 999 999 centavos and writes exactly two
//!   decimals. No floats anywhere.
//! - **Field 62** is optional on parse (the txid is then absent); build always writes it.
//! - **`is_dynamic`** means the code carries a URL (location) instead of a key; field 01 is
//!   validated (`11` or `12`) but does not decide it.

mod build;

pub use build::BrCodeBuilder;

use std::fmt;

/// The GUI that marks the Pix merchant account template.
const PIX_GUI: &str = "br.gov.bcb.pix";
/// Field 62.05 when there is no txid.
const NO_TXID: &str = "***";
/// `9999999999.99`: the largest amount field 54's 13 characters hold with two decimals.
const MAX_AMOUNT_CENTS: i64 = 999_999_999_999;
const MAX_AMOUNT_LEN: usize = 13;
const MAX_NAME_LEN: usize = 25;
const MAX_CITY_LEN: usize = 15;
const MAX_TXID_LEN: usize = 25;
/// The longest Pix key (an e-mail address) and the longest location URL.
const MAX_KEY_LEN: usize = 77;
const MAX_URL_LEN: usize = 77;
/// Two length digits: no field, template or not, can hold more.
const MAX_FIELD_LEN: usize = 99;

/// Why a payload is not a valid Pix BR Code, or why a builder's input cannot make one.
///
/// Field ids are written as in the manuals: `54` for a root field, `26.01` for sub-field 01 of
/// template 26. Offsets count characters from the start of the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrCodeError {
    #[error("the payload is empty")]
    Empty,
    #[error(
        "character `{ch}` at offset {offset} is not printable ASCII; a BR Code payload is ASCII"
    )]
    NotAscii { offset: usize, ch: char },
    #[error(
        "malformed field header `{header}` at offset {offset}: expected a 2-digit id and a 2-digit length"
    )]
    MalformedHeader { offset: usize, header: String },
    #[error(
        "truncated field {field} at offset {offset}: its length says {declared} characters, only {available} remain"
    )]
    Truncated {
        field: String,
        offset: usize,
        declared: usize,
        available: usize,
    },
    #[error(
        "field 00 (payload format indicator) must come first, but the payload starts with field {found}"
    )]
    FormatIndicatorNotFirst { found: String },
    #[error(
        "field 63 (CRC) must be the last field, but field {next} follows it at offset {offset}"
    )]
    CrcNotLast { next: String, offset: usize },
    #[error("CRC mismatch: payload says {stated}, computed {computed}")]
    CrcMismatch { stated: String, computed: String },
    #[error("missing field {field} ({name})")]
    Missing { field: String, name: &'static str },
    #[error("field {field} ({name}) appears more than once")]
    Duplicate { field: String, name: &'static str },
    #[error("field {field} ({name}) `{value}` {problem}")]
    Invalid {
        field: String,
        name: &'static str,
        value: String,
        problem: String,
    },
    #[error("not a Pix BR Code: none of fields 26 to 51 is a template with GUI `br.gov.bcb.pix`")]
    NotPix,
    #[error("fields {first} and {second} are both Pix templates; a BR Code carries one")]
    TwoPixTemplates { first: String, second: String },
}

/// Where the payer's app sends the money: a Pix key (static code) or a location URL (dynamic).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    Key(String),
    Url(String),
}

/// A validated Pix BR Code, as read by [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrCode {
    location: Location,
    info: Option<String>,
    amount_cents: Option<i64>,
    txid: Option<String>,
    merchant_name: String,
    merchant_city: String,
    /// Fields 80–99, id and value, in payload order.
    unreserved: Vec<(String, String)>,
}

impl BrCode {
    /// The Pix key (26.01) of a static code.
    pub fn pix_key(&self) -> Option<&str> {
        match &self.location {
            Location::Key(key) => Some(key),
            Location::Url(_) => None,
        }
    }

    /// The location URL (26.25) of a dynamic code, without scheme.
    pub fn url(&self) -> Option<&str> {
        match &self.location {
            Location::Url(url) => Some(url),
            Location::Key(_) => None,
        }
    }

    /// The additional info for the payer (26.02), if any.
    pub fn info(&self) -> Option<&str> {
        self.info.as_deref()
    }

    /// The amount (54) in centavos, if the code fixes one.
    pub fn amount_cents(&self) -> Option<i64> {
        self.amount_cents
    }

    /// The txid (62.05); `None` when absent or `***`.
    pub fn txid(&self) -> Option<&str> {
        self.txid.as_deref()
    }

    /// The merchant name (59).
    pub fn merchant_name(&self) -> &str {
        &self.merchant_name
    }

    /// The merchant city (60).
    pub fn merchant_city(&self) -> &str {
        &self.merchant_city
    }

    /// True when the code carries a location URL (the charge lives at the PSP) instead of a key.
    pub fn is_dynamic(&self) -> bool {
        matches!(self.location, Location::Url(_))
    }

    /// The unreserved templates (fields 80–99) as `(id, value)`, in payload order, untouched.
    pub fn unreserved_templates(&self) -> impl Iterator<Item = (&str, &str)> {
        self.unreserved
            .iter()
            .map(|(id, value)| (id.as_str(), value.as_str()))
    }

    /// A static code: the payer's app pays `key` directly.
    pub fn builder_static(key: &str, merchant_name: &str, merchant_city: &str) -> BrCodeBuilder {
        BrCodeBuilder::new(Location::Key(key.to_owned()), merchant_name, merchant_city)
    }

    /// A dynamic code: the payer's app fetches the charge from `url` (written without scheme,
    /// e.g. `pix.example.com/qr/v2/9d36b84f`).
    pub fn builder_dynamic(url: &str, merchant_name: &str, merchant_city: &str) -> BrCodeBuilder {
        BrCodeBuilder::new(Location::Url(url.to_owned()), merchant_name, merchant_city)
    }
}

/// Parses and validates a BR Code payload: structure, CRC, mandatory fields and their values.
pub fn parse(payload: &str) -> Result<BrCode, BrCodeError> {
    if payload.is_empty() {
        return Err(BrCodeError::Empty);
    }
    if let Some((offset, ch)) = payload.chars().enumerate().find(|(_, c)| !is_printable(*c)) {
        return Err(BrCodeError::NotAscii { offset, ch });
    }
    // From here on the payload is ASCII: byte offsets are character offsets.
    if let Some((signed, stated)) = crc_tail(payload) {
        if !stated.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(None, "63", stated, "is not 4 hex digits"));
        }
        let computed = Crc(crc16_ccitt_false(signed.as_bytes())).to_string();
        if !stated.eq_ignore_ascii_case(&computed) {
            return Err(BrCodeError::CrcMismatch {
                stated: stated.to_owned(),
                computed,
            });
        }
    }

    let fields = split_fields(payload, 0, None)?;
    match fields.first() {
        Some(first) if first.id == "00" => {
            if first.value != "01" {
                return Err(invalid(None, "00", first.value, "must be `01`"));
            }
        }
        Some(first) => {
            return Err(BrCodeError::FormatIndicatorNotFirst {
                found: first.id.to_owned(),
            });
        }
        None => return Err(BrCodeError::Empty),
    }
    let crc_at = fields
        .iter()
        .position(|f| f.id == "63")
        .ok_or_else(|| missing(None, "63"))?;
    if let Some(next) = fields.get(crc_at + 1) {
        return Err(BrCodeError::CrcNotLast {
            next: next.id.to_owned(),
            offset: next.offset,
        });
    }
    // A last field 63 of length 4 is exactly the tail checked above; any other length is not.
    if let Some(crc) = fields.get(crc_at).filter(|f| f.value.len() != 4) {
        return Err(invalid(None, "63", crc.value, "is not 4 hex digits"));
    }
    reject_duplicates(&fields, None)?;

    let mut pix: Option<(&str, Location, Option<String>)> = None;
    let mut amount_cents = None;
    let mut txid = None;
    let (mut mcc, mut currency, mut country, mut name, mut city) = (None, None, None, None, None);
    let mut unreserved = Vec::new();
    for field in fields.iter().take(crc_at).skip(1) {
        let (id, value) = (field.id, field.value);
        match id {
            "01" if !matches!(value, "11" | "12") => {
                return Err(invalid(
                    None,
                    id,
                    value,
                    "must be `11` (static) or `12` (dynamic)",
                ));
            }
            "52" => mcc = Some(value),
            "53" => currency = Some(value),
            "54" => {
                let cents = parse_amount(value).map_err(|p| invalid(None, id, value, p))?;
                amount_cents = Some(cents);
            }
            "58" => country = Some(value),
            "59" => name = Some(value),
            "60" => city = Some(value),
            "62" => txid = read_txid(field)?,
            _ if is_account_template(id) => {
                let subs = split_fields(value, field.offset + 4, Some(id))?;
                let is_pix = subs
                    .iter()
                    .any(|s| s.id == "00" && s.value.eq_ignore_ascii_case(PIX_GUI));
                if !is_pix {
                    continue;
                }
                if let Some((first, _, _)) = &pix {
                    return Err(BrCodeError::TwoPixTemplates {
                        first: (*first).to_owned(),
                        second: id.to_owned(),
                    });
                }
                let (location, info) = read_pix_account(field, &subs)?;
                pix = Some((id, location, info));
            }
            _ if is_unreserved(id) => unreserved.push((id.to_owned(), value.to_owned())),
            // Other EMV fields (02–25 card networks, 55–57 fees, 61 postal code, 64 alternate
            // language, RFU): valid TLV, not Pix's business.
            _ => {}
        }
    }

    let (_, location, info) = pix.ok_or(BrCodeError::NotPix)?;
    let mcc = mcc.ok_or_else(|| missing(None, "52"))?;
    if mcc.len() != 4 || !mcc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(None, "52", mcc, "is not 4 digits"));
    }
    let currency = currency.ok_or_else(|| missing(None, "53"))?;
    if currency != "986" {
        return Err(invalid(None, "53", currency, "must be `986` (BRL)"));
    }
    let country = country.ok_or_else(|| missing(None, "58"))?;
    if country != "BR" {
        return Err(invalid(None, "58", country, "must be `BR`"));
    }
    let name = name.ok_or_else(|| missing(None, "59"))?;
    check_text(None, "59", name, MAX_NAME_LEN)?;
    let city = city.ok_or_else(|| missing(None, "60"))?;
    check_text(None, "60", city, MAX_CITY_LEN)?;

    Ok(BrCode {
        location,
        info,
        amount_cents,
        txid,
        merchant_name: name.to_owned(),
        merchant_city: city.to_owned(),
        unreserved,
    })
}

/// CRC16-CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor.
fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A CRC as a BR Code writes it: 4 uppercase hex digits.
struct Crc(u16);

impl fmt::Display for Crc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// If the payload ends like a CRC field (`6304` and four characters): what the CRC covers, and
/// the CRC as written.
fn crc_tail(payload: &str) -> Option<(&str, &str)> {
    let split = payload.len().checked_sub(4)?;
    let signed = payload.get(..split)?;
    let stated = payload.get(split..)?;
    signed.ends_with("6304").then_some((signed, stated))
}

/// One TLV field; `offset` is where its id starts in the whole payload.
struct Field<'a> {
    id: &'a str,
    value: &'a str,
    offset: usize,
}

/// Splits ASCII `text` into TLV fields. `base` is where `text` starts in the payload and
/// `parent` the enclosing template's id; both only name things in errors.
fn split_fields<'a>(
    text: &'a str,
    base: usize,
    parent: Option<&str>,
) -> Result<Vec<Field<'a>>, BrCodeError> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let offset = base + pos;
        let header = text
            .get(pos..pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_digit()));
        let Some(header) = header else {
            let rest = text.get(pos..).unwrap_or_default();
            return Err(BrCodeError::MalformedHeader {
                offset,
                header: rest.chars().take(4).collect(),
            });
        };
        let (id, length) = header.split_at(2);
        let declared = length
            .bytes()
            .fold(0, |n, b| n * 10 + usize::from(b - b'0'));
        let start = pos + 4;
        let Some(value) = text.get(start..start + declared) else {
            return Err(BrCodeError::Truncated {
                field: field_label(parent, id),
                offset,
                declared,
                available: text.len() - start,
            });
        };
        fields.push(Field { id, value, offset });
        pos = start + declared;
    }
    Ok(fields)
}

fn reject_duplicates(fields: &[Field<'_>], parent: Option<&str>) -> Result<(), BrCodeError> {
    for (i, field) in fields.iter().enumerate() {
        if fields.iter().take(i).any(|earlier| earlier.id == field.id) {
            return Err(BrCodeError::Duplicate {
                field: field_label(parent, field.id),
                name: field_name(parent, field.id),
            });
        }
    }
    Ok(())
}

/// The key or URL, and the info, of the Pix template `field` whose sub-fields are `subs`.
fn read_pix_account(
    field: &Field<'_>,
    subs: &[Field<'_>],
) -> Result<(Location, Option<String>), BrCodeError> {
    let parent = Some(field.id);
    reject_duplicates(subs, parent)?;
    let sub = |id: &str| subs.iter().find(|s| s.id == id).map(|s| s.value);
    let location = match (sub("01"), sub("25")) {
        (Some(key), None) => {
            check_text(parent, "01", key, MAX_KEY_LEN)?;
            Location::Key(key.to_owned())
        }
        (None, Some(url)) => {
            check_text(parent, "25", url, MAX_URL_LEN)?;
            Location::Url(url.to_owned())
        }
        (Some(_), Some(_)) => {
            let problem = "has both a Pix key (01) and a URL (25); exactly one is allowed";
            return Err(invalid(None, field.id, field.value, problem));
        }
        (None, None) => {
            let problem = "has neither a Pix key (01) nor a URL (25)";
            return Err(invalid(None, field.id, field.value, problem));
        }
    };
    let info = match sub("02") {
        Some(info) => {
            check_text(parent, "02", info, MAX_FIELD_LEN)?;
            Some(info.to_owned())
        }
        None => None,
    };
    Ok((location, info))
}

/// The txid in template 62: `None` when sub-field 05 is absent or `***`.
fn read_txid(field: &Field<'_>) -> Result<Option<String>, BrCodeError> {
    let subs = split_fields(field.value, field.offset + 4, Some("62"))?;
    reject_duplicates(&subs, Some("62"))?;
    match subs.iter().find(|s| s.id == "05") {
        Some(s) if s.value == NO_TXID => Ok(None),
        Some(s) => {
            check_text(Some("62"), "05", s.value, MAX_TXID_LEN)?;
            Ok(Some(s.value.to_owned()))
        }
        None => Ok(None),
    }
}

/// Field 54 as centavos: digits, optionally a point and 1 or 2 decimals, at most 13 characters.
/// The error is the problem, to be put in a [`BrCodeError::Invalid`].
fn parse_amount(text: &str) -> Result<i64, &'static str> {
    if text.is_empty() {
        return Err("is empty");
    }
    if text.len() > MAX_AMOUNT_LEN {
        return Err("is longer than 13 characters");
    }
    if text.starts_with('-') {
        return Err("is negative");
    }
    let (units, decimals) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let point_without_decimals = text.ends_with('.');
    if units.is_empty() || point_without_decimals || !all_digits(units) || !all_digits(decimals) {
        return Err("is not a decimal amount (digits, then optionally `.` and 1 or 2 decimals)");
    }
    if decimals.len() > 2 {
        return Err("has more than 2 decimal places");
    }
    // At most 13 digits: the arithmetic below cannot overflow an i64, but stay checked anyway.
    let units: i64 = units.parse().map_err(|_| "is too large")?;
    let decimals: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().map_err(|_| "is too large")? * 10,
        _ => decimals.parse().map_err(|_| "is too large")?,
    };
    units
        .checked_mul(100)
        .and_then(|c| c.checked_add(decimals))
        .ok_or("is too large")
}

/// A text field: 1 to `max` characters, printable ASCII.
fn check_text(parent: Option<&str>, id: &str, value: &str, max: usize) -> Result<(), BrCodeError> {
    if value.is_empty() {
        return Err(invalid(parent, id, value, "is empty"));
    }
    if let Some(ch) = value.chars().find(|c| !is_printable(*c)) {
        let problem =
            format!("has the character `{ch}`, which is not printable ASCII (strip accents first)");
        return Err(invalid(parent, id, value, problem));
    }
    if value.len() > max {
        let problem = format!("is {} characters, the limit is {max}", value.len());
        return Err(invalid(parent, id, value, problem));
    }
    Ok(())
}

fn is_printable(ch: char) -> bool {
    matches!(ch, ' '..='~')
}

fn is_account_template(id: &str) -> bool {
    id.parse::<u8>().is_ok_and(|n| (26..=51).contains(&n))
}

fn is_unreserved(id: &str) -> bool {
    id.parse::<u8>().is_ok_and(|n| (80..=99).contains(&n))
}

/// `54` for a root field, `26.01` for a sub-field.
fn field_label(parent: Option<&str>, id: &str) -> String {
    match parent {
        Some(parent) => format!("{parent}.{id}"),
        None => id.to_owned(),
    }
}

fn field_name(parent: Option<&str>, id: &str) -> &'static str {
    match (parent, id) {
        (None, "00") => "payload format indicator",
        (None, "01") => "point of initiation method",
        (None, "52") => "merchant category code",
        (None, "53") => "currency",
        (None, "54") => "amount",
        (None, "58") => "country",
        (None, "59") => "merchant name",
        (None, "60") => "merchant city",
        (None, "61") => "postal code",
        (None, "62") => "additional data",
        (None, "63") => "CRC",
        (None, id) if is_account_template(id) => "merchant account information",
        (None, id) if is_unreserved(id) => "unreserved template",
        (Some("62"), "05") => "txid",
        (Some(_), "00") => "GUI",
        (Some(_), "01") => "Pix key",
        (Some(_), "02") => "additional info",
        (Some(_), "25") => "URL",
        _ => "field",
    }
}

fn invalid(parent: Option<&str>, id: &str, value: &str, problem: impl Into<String>) -> BrCodeError {
    BrCodeError::Invalid {
        field: field_label(parent, id),
        name: field_name(parent, id),
        value: value.to_owned(),
        problem: problem.into(),
    }
}

fn missing(parent: Option<&str>, id: &str) -> BrCodeError {
    BrCodeError::Missing {
        field: field_label(parent, id),
        name: field_name(parent, id),
    }
}

#[cfg(test)]
mod tests;
