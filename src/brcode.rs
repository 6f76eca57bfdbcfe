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
    fn new(location: Location, merchant_name: &str, merchant_city: &str) -> Self {
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Known-good payloads. Each was checked by recomputing its CRC16-CCITT-FALSE independently
    // (a separate Python implementation) before being used here; the tests below check it again.

    /// Banco Central, "Manual de Padrões para Iniciação do Pix", §2.6.3: the static example
    /// (random key, no amount, txid `***`).
    const BCB_STATIC: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    /// Same manual, §2.7.2: the dynamic example (location URL, point of initiation 12).
    const BCB_DYNAMIC: &str = "00020101021226700014br.gov.bcb.pix2548pix.example.com/8b3da2f39a4140d1a91abd93113bd4415204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***630464E4";

    /// Same manual, §2.8.5: a static key with amount 100.50 and a Pix Automático template in
    /// unreserved field 80 (whose GUI is also `br.gov.bcb.pix`, and which must not count).
    const BCB_COMPOSITE: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865406100.505802BR5913Fulano de Tal6008BRASILIA62070503***80740014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac12000263042875";

    /// Banco Central, "Manual do BR Code": the multi-arrangement example. Capital GUI, a card
    /// network field 04, another arrangement in 27, postal code 61, amount 123.45, a txid with a
    /// hyphen, and an unreserved template 80.
    const BCB_BRCODE_MANUAL: &str = "00020104141234567890123426580014BR.GOV.BCB.PIX0136123e4567-e12b-12d1-a456-42665544000027300012BR.COM.OUTRO011001234567895204000053039865406123.455802BR5917NOME DO RECEBEDOR6008BRASILIA61087007490062190515RP12345678-201980390012BR.COM.OUTRO01190123.ABCD.3456.WXYZ6304AD38";

    /// GitHub saskenuba/pix-toolbelt, test `generated_sample`: a code made by a real generator,
    /// with additional info (26.02) `[Pix.ae]` and amount 50.00.
    const GENERATED_WITH_INFO: &str = "00020126530014br.gov.bcb.pix0119saskenuba@gmail.com0208[Pix.ae]520400005303986540550.005802BR5903Pix6003Pix62070503***63048287";

    /// A published test fixture that added an amount to the §2.6.3 example but kept its old CRC:
    /// exactly the mistake the CRC exists to catch.
    const STALE_CRC: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000520400005303986540515.005802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    /// `body` (everything before field 63) with a correct CRC field appended.
    fn with_crc(body: &str) -> String {
        let signed = format!("{body}6304");
        let crc = Crc(crc16_ccitt_false(signed.as_bytes()));
        format!("{signed}{crc}")
    }

    /// The static example's fields before 63, with `edit` applied.
    fn static_body_with(edit: impl Fn(&str) -> String) -> String {
        let body = BCB_STATIC.strip_suffix("63041D3D").unwrap_or_default();
        edit(body)
    }

    fn invalid_field(err: &BrCodeError) -> Option<&str> {
        match err {
            BrCodeError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(Crc(0x29B1).to_string(), "29B1");
        assert_eq!(Crc(0x00AB).to_string(), "00AB");
    }

    #[test]
    fn known_good_payloads_carry_their_crc() {
        for payload in [
            BCB_STATIC,
            BCB_DYNAMIC,
            BCB_COMPOSITE,
            BCB_BRCODE_MANUAL,
            GENERATED_WITH_INFO,
        ] {
            let (signed, stated) = crc_tail(payload).expect("ends with a CRC field");
            let computed = Crc(crc16_ccitt_false(signed.as_bytes())).to_string();
            assert_eq!(stated, computed, "{payload}");
        }
    }

    #[test]
    fn bcb_static_example_parses() {
        let code = parse(BCB_STATIC).expect("valid");
        assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
        assert_eq!(code.url(), None);
        assert_eq!(code.amount_cents(), None);
        assert_eq!(code.txid(), None);
        assert_eq!(code.info(), None);
        assert_eq!(code.merchant_name(), "Fulano de Tal");
        assert_eq!(code.merchant_city(), "BRASILIA");
        assert!(!code.is_dynamic());
    }

    #[test]
    fn bcb_dynamic_example_parses() {
        let code = parse(BCB_DYNAMIC).expect("valid");
        assert_eq!(
            code.url(),
            Some("pix.example.com/8b3da2f39a4140d1a91abd93113bd441")
        );
        assert_eq!(code.pix_key(), None);
        assert!(code.is_dynamic());
        assert_eq!(code.amount_cents(), None);
        assert_eq!(code.merchant_name(), "Fulano de Tal");
    }

    #[test]
    fn bcb_composite_example_parses_amount_and_keeps_template_80() {
        let code = parse(BCB_COMPOSITE).expect("valid");
        assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
        assert_eq!(code.amount_cents(), Some(10_050));
        assert!(!code.is_dynamic());
        let kept: Vec<_> = code.unreserved_templates().collect();
        assert_eq!(
            kept,
            [(
                "80",
                "0014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
            )]
        );
    }

    #[test]
    fn brcode_manual_example_parses_with_capital_gui_and_other_arrangements() {
        let code = parse(BCB_BRCODE_MANUAL).expect("valid");
        assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
        assert_eq!(code.amount_cents(), Some(12_345));
        assert_eq!(code.txid(), Some("RP12345678-2019"));
        assert_eq!(code.merchant_name(), "NOME DO RECEBEDOR");
        assert_eq!(code.merchant_city(), "BRASILIA");
        assert_eq!(code.unreserved_templates().count(), 1);
    }

    #[test]
    fn generated_payload_with_info_parses() {
        let code = parse(GENERATED_WITH_INFO).expect("valid");
        assert_eq!(code.pix_key(), Some("saskenuba@gmail.com"));
        assert_eq!(code.info(), Some("[Pix.ae]"));
        assert_eq!(code.amount_cents(), Some(5_000));
        assert_eq!(code.merchant_name(), "Pix");
        assert_eq!(code.merchant_city(), "Pix");
    }

    #[test]
    fn builder_reproduces_the_bcb_examples_exactly() {
        let built = BrCode::builder_static(
            "123e4567-e12b-12d1-a456-426655440000",
            "Fulano de Tal",
            "BRASILIA",
        )
        .build();
        assert_eq!(built.as_deref(), Ok(BCB_STATIC));
        let built = BrCode::builder_dynamic(
            "pix.example.com/8b3da2f39a4140d1a91abd93113bd441",
            "Fulano de Tal",
            "BRASILIA",
        )
        .build();
        assert_eq!(built.as_deref(), Ok(BCB_DYNAMIC));
    }

    #[test]
    fn stale_crc_is_a_mismatch_naming_both_values() {
        let err = parse(STALE_CRC).expect_err("stale CRC");
        assert_eq!(
            err.to_string(),
            "CRC mismatch: payload says 1D3D, computed E536"
        );
    }

    #[test]
    fn a_flipped_character_anywhere_fails() {
        let crc_id_at = BCB_STATIC.len() - 8;
        for (i, original) in BCB_STATIC.char_indices() {
            let flipped = if original == 'A' { 'B' } else { 'A' };
            let mut payload = BCB_STATIC.to_owned();
            payload.replace_range(i..i + 1, &flipped.to_string());
            let result = parse(&payload);
            if (crc_id_at..crc_id_at + 4).contains(&i) {
                // The `6304` itself: the CRC field is then no longer recognisable as one.
                assert!(result.is_err(), "flip at {i} accepted");
            } else {
                assert!(
                    matches!(result, Err(BrCodeError::CrcMismatch { .. })),
                    "flip at {i}: {result:?}"
                );
            }
        }
    }

    #[test]
    fn every_truncation_fails() {
        for end in 1..BCB_STATIC.len() {
            assert!(
                parse(&BCB_STATIC[..end]).is_err(),
                "prefix of {end} accepted"
            );
        }
        assert_eq!(parse(""), Err(BrCodeError::Empty));
    }

    #[test]
    fn truncation_names_the_field_and_offset() {
        let err = parse(&BCB_STATIC[..50]).expect_err("truncated");
        assert_eq!(
            err.to_string(),
            "truncated field 26 at offset 6: its length says 58 characters, only 40 remain"
        );
        let err = parse(&BCB_STATIC[..8]).expect_err("cut in a header");
        assert!(
            matches!(err, BrCodeError::MalformedHeader { offset: 6, .. }),
            "{err}"
        );
    }

    #[test]
    fn truncated_sub_field_is_named_with_its_template() {
        // Template 26 claims a 37-character key inside a 58-character template.
        let payload = with_crc(&static_body_with(|b| b.replace("0136123e", "0137123e")));
        let err = parse(&payload).expect_err("truncated key");
        assert!(
            matches!(&err, BrCodeError::Truncated { field, offset: 28, .. } if field == "26.01"),
            "{err}"
        );
    }

    #[test]
    fn gui_is_case_insensitive() {
        let payload = with_crc(&static_body_with(|b| {
            b.replace("br.gov.bcb.pix", "BR.GOV.BCB.PIX")
        }));
        let code = parse(&payload).expect("valid");
        assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
    }

    #[test]
    fn wrong_gui_is_not_pix() {
        let payload = with_crc(&static_body_with(|b| {
            b.replace("br.gov.bcb.pix", "br.gov.bcb.pax")
        }));
        assert_eq!(parse(&payload), Err(BrCodeError::NotPix));
    }

    #[test]
    fn lowercase_crc_is_accepted() {
        let payload = BCB_DYNAMIC.replace("630464E4", "630464e4");
        assert!(parse(&payload).is_ok());
    }

    #[test]
    fn crc_that_is_not_hex_is_rejected() {
        let payload = BCB_STATIC.replace("63041D3D", "63041D3G");
        let err = parse(&payload).expect_err("not hex");
        assert_eq!(invalid_field(&err), Some("63"), "{err}");
    }

    #[test]
    fn missing_mandatory_fields_are_named() {
        let cases = [
            ("5913Fulano de Tal", "missing field 59 (merchant name)"),
            ("6008BRASILIA", "missing field 60 (merchant city)"),
            ("52040000", "missing field 52 (merchant category code)"),
            ("5303986", "missing field 53 (currency)"),
            ("5802BR", "missing field 58 (country)"),
        ];
        for (removed, message) in cases {
            let payload = with_crc(&static_body_with(|b| b.replace(removed, "")));
            let err = parse(&payload).expect_err(removed);
            assert_eq!(err.to_string(), message);
        }
        let without_crc = static_body_with(str::to_owned);
        assert_eq!(
            parse(&without_crc).map_err(|e| e.to_string()),
            Err("missing field 63 (CRC)".to_owned())
        );
        let without_pix = with_crc(&static_body_with(|b| {
            b.replace(
                "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000",
                "",
            )
        }));
        assert_eq!(parse(&without_pix), Err(BrCodeError::NotPix));
    }

    #[test]
    fn format_indicator_must_come_first() {
        let payload = with_crc(&static_body_with(|b| {
            let rest = b.strip_prefix("000201").unwrap_or_default();
            rest.replacen("52040000", "52040000000201", 1)
        }));
        let err = parse(&payload).expect_err("00 not first");
        assert_eq!(
            err,
            BrCodeError::FormatIndicatorNotFirst {
                found: "26".to_owned()
            }
        );
        let payload = with_crc(&static_body_with(|b| b.replacen("000201", "000202", 1)));
        assert_eq!(
            invalid_field(&parse(&payload).expect_err("00 = 02")),
            Some("00")
        );
    }

    #[test]
    fn crc_must_come_last() {
        // Field 63 moved before field 62 (the CRC value itself is irrelevant then).
        let payload = BCB_STATIC.replace("62070503***63041D3D", "63041D3D62070503***");
        let err = parse(&payload).expect_err("63 not last");
        assert_eq!(
            err.to_string(),
            "field 63 (CRC) must be the last field, but field 62 follows it at offset 126"
        );
    }

    #[test]
    fn amount_with_three_decimals_or_a_comma_is_rejected() {
        let cases = [
            ("5405", "1.234", "has more than 2 decimal places"),
            ("5405", "12,50", "is not a decimal amount"),
            ("5405", "-1.00", "is negative"),
            ("5400", "", "is empty"),
            ("5402", ".5", "is not a decimal amount"),
            ("5403", "10.", "is not a decimal amount"),
            ("5405", "+1.00", "is not a decimal amount"),
            ("5414", "99999999999.99", "is longer than 13 characters"),
        ];
        for (header, amount, problem) in cases {
            let field = format!("{header}{amount}");
            let payload = with_crc(&static_body_with(|b| {
                b.replace("5802BR", &format!("{field}5802BR"))
            }));
            let err = parse(&payload).expect_err(amount);
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("field 54 (amount) `{amount}` {problem}")),
                "{message}"
            );
        }
    }

    #[test]
    fn amounts_are_read_as_exact_centavos() {
        let cases = [
            ("0.01", 1),
            ("10", 1_000),
            ("10.5", 1_050),
            ("10.50", 1_050),
            ("123.45", 12_345),
            ("0.00", 0),
            ("9999999999.99", MAX_AMOUNT_CENTS),
        ];
        for (text, cents) in cases {
            assert_eq!(parse_amount(text), Ok(cents), "{text}");
        }
    }

    #[test]
    fn builder_writes_exactly_two_decimals() {
        for (cents, text) in [
            (1, "54040.01"),
            (1_000, "540510.00"),
            (12_345, "5406123.45"),
        ] {
            let payload = BrCode::builder_static("a@b.com", "Loja", "Recife")
                .amount_cents(cents)
                .build()
                .expect("valid");
            assert!(payload.contains(text), "{payload}");
            assert_eq!(parse(&payload).map(|c| c.amount_cents()), Ok(Some(cents)));
        }
    }

    #[test]
    fn key_and_url_are_exclusive() {
        let both = with_crc(&static_body_with(|b| {
            b.replace(
                "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000",
                "26450014br.gov.bcb.pix0107a@b.com2512pix.test/abc",
            )
        }));
        let err = parse(&both).expect_err("both");
        assert!(
            err.to_string()
                .contains("has both a Pix key (01) and a URL (25)"),
            "{err}"
        );
        let neither = with_crc(&static_body_with(|b| {
            b.replace(
                "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000",
                "26180014br.gov.bcb.pix",
            )
        }));
        let err = parse(&neither).expect_err("neither");
        assert!(err.to_string().contains("has neither a Pix key"), "{err}");
    }

    #[test]
    fn wrong_currency_country_and_lengths_are_rejected() {
        let edits: [(&str, &str, &str); 4] = [
            ("5303986", "5303840", "53"),
            ("5802BR", "5802US", "58"),
            ("6008BRASILIA", "6016BRASILIA DF 7000", "60"),
            ("5913Fulano de Tal", "5926Fulano de Tal da Silva Jr.", "59"),
        ];
        for (from, to, field) in edits {
            let payload = with_crc(&static_body_with(|b| b.replace(from, to)));
            let err = parse(&payload).expect_err(to);
            assert_eq!(invalid_field(&err), Some(field), "{err}");
        }
    }

    #[test]
    fn duplicate_fields_are_rejected() {
        let payload = with_crc(&static_body_with(|b| b.replace("5802BR", "5802BR5802BR")));
        let err = parse(&payload).expect_err("duplicate");
        assert_eq!(err.to_string(), "field 58 (country) appears more than once");
    }

    #[test]
    fn non_ascii_is_rejected_without_panicking() {
        let payload = BCB_STATIC.replace("BRASILIA", "BRASÍLIA");
        assert_eq!(
            parse(&payload),
            Err(BrCodeError::NotAscii {
                offset: 114,
                ch: 'Í'
            })
        );
        let err = BrCode::builder_static("a@b.com", "Loja", "São Paulo")
            .build()
            .expect_err("accent");
        assert!(
            err.to_string()
                .starts_with("field 60 (merchant city) `São Paulo` has the character `ã`"),
            "{err}"
        );
    }

    #[test]
    fn builder_rejects_what_a_payload_cannot_carry() {
        let base = || BrCode::builder_static("a@b.com", "Loja", "Recife");
        let cases: Vec<(BrCodeBuilder, &str)> = vec![
            (
                BrCode::builder_static("a@b.com", &"N".repeat(26), "Recife"),
                "59",
            ),
            (
                BrCode::builder_static("a@b.com", "Loja", &"C".repeat(16)),
                "60",
            ),
            (BrCode::builder_static("a@b.com", "", "Recife"), "59"),
            (BrCode::builder_static("", "Loja", "Recife"), "26.01"),
            (
                BrCode::builder_static(&"k".repeat(78), "Loja", "Recife"),
                "26.01",
            ),
            (base().txid("PEDIDO-42"), "62.05"),
            (base().txid(&"T".repeat(26)), "62.05"),
            (base().txid(""), "62.05"),
            (base().amount_cents(0), "54"),
            (base().amount_cents(-100), "54"),
            (base().amount_cents(MAX_AMOUNT_CENTS + 1), "54"),
            (base().info(&"i".repeat(80)), "26"),
            (
                BrCode::builder_dynamic("https://pix.example.com/x", "Loja", "Recife"),
                "26.25",
            ),
        ];
        for (builder, field) in cases {
            let err = builder.build().expect_err(field);
            assert_eq!(invalid_field(&err), Some(field), "{err}");
        }
        assert!(base().txid("***").build().is_ok());
        assert!(base().amount_cents(MAX_AMOUNT_CENTS).build().is_ok());
    }

    fn printable(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[ -~]{{1,{max}}}")).expect("valid regex")
    }

    proptest! {
        #[test]
        fn built_codes_round_trip(
            location in prop_oneof![
                "[A-Za-z0-9@.+-]{1,55}".prop_map(Location::Key),
                "[a-z0-9.]{1,20}/[A-Za-z0-9/-]{1,30}".prop_map(Location::Url),
            ],
            name in printable(MAX_NAME_LEN),
            city in printable(MAX_CITY_LEN),
            amount in proptest::option::of(1i64..=99_999_999_999),
            txid in proptest::option::of("[A-Za-z0-9]{1,25}"),
            info in proptest::option::of("[ -~]{1,15}"),
        ) {
            let mut builder = match &location {
                Location::Key(key) => BrCode::builder_static(key, &name, &city),
                Location::Url(url) => BrCode::builder_dynamic(url, &name, &city),
            };
            if let Some(cents) = amount { builder = builder.amount_cents(cents); }
            if let Some(txid) = &txid { builder = builder.txid(txid); }
            if let Some(info) = &info { builder = builder.info(info); }
            let payload = builder.build().expect("valid input builds");
            let code = parse(&payload).expect("built payload parses");
            let (key, url) = match &location {
                Location::Key(key) => (Some(key.as_str()), None),
                Location::Url(url) => (None, Some(url.as_str())),
            };
            prop_assert_eq!(code.pix_key(), key);
            prop_assert_eq!(code.url(), url);
            prop_assert_eq!(code.is_dynamic(), url.is_some());
            prop_assert_eq!(code.amount_cents(), amount);
            prop_assert_eq!(code.txid(), txid.as_deref());
            prop_assert_eq!(code.info(), info.as_deref());
            prop_assert_eq!(code.merchant_name(), name.as_str());
            prop_assert_eq!(code.merchant_city(), city.as_str());
        }

        #[test]
        fn parse_never_panics(text in any::<String>()) {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_damaged_payloads(
            at in 0..BCB_COMPOSITE.len(),
            cut in 0..BCB_COMPOSITE.len(),
            insert in any::<char>(),
        ) {
            let mut text = BCB_COMPOSITE.to_owned();
            text.insert(at, insert);
            if text.is_char_boundary(cut) {
                text.truncate(cut);
            }
            let _ = parse(&text);
        }
    }
}
