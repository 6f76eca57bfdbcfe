//! The parsers that read untrusted bytes, each behind one function that runs it the way payorch
//! does and asserts its properties (a violated property panics): the property tests in
//! `tests/it/fuzz_properties.rs` call these with generated inputs, and the `cargo fuzz` targets in
//! `fuzz/` with a fuzzer's bytes, so one set of properties holds for both (docs/FUZZING.md).
//!
//! - the merchant API's bodies ([`charge_body`], [`refund_body`]): never a duplicate key, a
//!   non-integer amount or an amount over the currency's limit accepted; every refusal a 400
//!   naming its field (or saying the body is not JSON);
//! - each gateway's inbound webhooks: the verifiers accept exactly a correctly signed or
//!   authenticated request ([`stripe_signed`], [`efi_hmac`], [`asaas_token`]) and the
//!   parsers take any bytes without panicking ([`webhook_raw`]);
//! - the BR Code parser ([`brcode_text`]) and the builder round trip ([`brcode_roundtrip`]);
//! - the config file ([`config_text`]) and its render round trip ([`config_roundtrip`]).

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::api::strict::{check_charge_limit, duplicate_key, json_value};
use crate::api::{ChargeRequest, Invalid, RefundRequest};
use crate::brcode::{self, BrCode};
use crate::clock::Timestamp;
use crate::config::{AmountLimits, Config, ConfigError, Overrides};
use crate::gateway::asaas::{AsaasCredentials, AsaasGateway};
use crate::gateway::efi::{EfiCredentials, EfiGateway};
use crate::gateway::stripe::{StripeCredentials, StripeGateway, webhook_signature};
use crate::gateway::{Gateway, WebhookError, WebhookRequest};
use crate::model::GatewayId;
use crate::secret::Secret;

/// The webhook secrets the verifiers under test are configured with.
pub const STRIPE_SECRET: &str = "whsec_fuzzing";
pub const EFI_HMAC: &str = "efi-hmac-fuzzing";
pub const ASAAS_TOKEN: &str = "asaas-token-fuzzing";

/// Stripe's tolerance for a signature's timestamp, seconds.
pub const STRIPE_TOLERANCE: i64 = 300;

/// A refusal a client can act on (an [`Invalid`], which `serve` answers with a 400): one that
/// names its field, or says the body is not JSON or not an object.
fn assert_names_field(e: &Invalid, input: &[u8]) {
    let whole_body = matches!(e.code, "invalid_json" | "body_invalid");
    assert!(
        whole_body || e.param.as_deref().is_some_and(|p| !p.is_empty()),
        "a refusal that names no field: {e:?} for {:?}",
        String::from_utf8_lossy(input)
    );
}

/// `POST /v1/charges`'s body as `serve` reads it: JSON without duplicate keys, the currency's
/// limit, then the request's fields. Accepted only with no duplicate key and an integer amount
/// in `1..=limit`; refused with a 400 naming the field.
pub fn charge_body(bytes: &[u8], limits: &AmountLimits) -> Result<ChargeRequest, Invalid> {
    let parsed = json_value(bytes).and_then(|value| {
        check_charge_limit(&value, |c| limits.max_charge(c))?;
        ChargeRequest::parse(&value).map(|r| (value, r))
    });
    match parsed {
        Err(e) => {
            assert_names_field(&e, bytes);
            Err(e)
        }
        Ok((value, request)) => {
            assert_eq!(duplicate_key(bytes), None, "a duplicate key was accepted");
            assert!(
                value["amount"].is_i64(),
                "a non-integer amount was accepted: {}",
                value["amount"]
            );
            let (amount, currency) = (request.money.minor(), request.money.currency());
            assert!(
                amount > 0 && amount <= limits.max_charge(currency),
                "{amount} {currency} was accepted over the limit"
            );
            Ok(request)
        }
    }
}

/// `POST /v1/charges/{id}/refunds`'s body: an amount, when there is one, is a positive integer;
/// only a missing one means everything left.
pub fn refund_body(bytes: &[u8]) -> Result<RefundRequest, Invalid> {
    let value = if bytes.is_empty() {
        Ok(Value::Null)
    } else {
        json_value(bytes)
    };
    match value.and_then(|v| RefundRequest::parse(&v).map(|r| (v, r))) {
        Err(e) => {
            assert_names_field(&e, bytes);
            Err(e)
        }
        Ok((value, request)) => {
            assert_eq!(duplicate_key(bytes), None, "a duplicate key was accepted");
            match request.amount {
                None => assert!(value.get("amount").is_none(), "{value}"),
                Some(a) => {
                    assert!(a > 0, "{a}");
                    assert_eq!(value["amount"].as_i64(), Some(a), "{value}");
                }
            }
            Ok(request)
        }
    }
}

struct Gateways {
    stripe: StripeGateway,
    efi: EfiGateway,
    asaas: AsaasGateway,
}

/// One adapter per gateway, configured with the secrets above (built once: no network).
fn gateways() -> &'static Gateways {
    static GATEWAYS: OnceLock<Gateways> = OnceLock::new();
    GATEWAYS.get_or_init(|| {
        let config = crate::config::GatewaysConfig::default();
        let mut efi_settings = config.efi.clone();
        // Plain http: no client certificate to load (mTLS is for https).
        efi_settings.base_url = "http://127.0.0.1:9".into();
        efi_settings.pix_key = Some("fuzzing@payorch.dev".into());
        Gateways {
            stripe: StripeGateway::new(
                &config.stripe,
                StripeCredentials {
                    secret_key: Secret::new("sk_test_fuzzing"),
                    webhook_secret: Some(Secret::new(STRIPE_SECRET)),
                },
            )
            .expect("the Stripe adapter"),
            efi: EfiGateway::new(
                &efi_settings,
                EfiCredentials {
                    client_id: Secret::new("id"),
                    client_secret: Secret::new("secret"),
                    webhook_hmac: Some(Secret::new(EFI_HMAC)),
                },
            )
            .expect("the Efí adapter"),
            asaas: AsaasGateway::new(
                &config.asaas,
                AsaasCredentials {
                    api_key: Secret::new("$aact_fuzzing"),
                    webhook_token: Some(Secret::new(ASAAS_TOKEN)),
                },
            )
            .expect("the Asaas adapter"),
        }
    })
}

fn gateway(id: GatewayId) -> &'static dyn Gateway {
    let g = gateways();
    match id {
        GatewayId::Stripe => &g.stripe,
        GatewayId::Efi => &g.efi,
        GatewayId::Asaas => &g.asaas,
    }
}

/// A request to the inbound webhook route of `id`, as `serve` hands it to the adapter:
/// verified, and parsed only when authentic. Any bytes in any header, query or body: no panic,
/// and a parse failure is `Malformed`, never a panic or an acceptance of nothing.
pub fn webhook_raw(
    id: GatewayId,
    headers: &[(&str, &[u8])],
    query: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Vec<crate::gateway::GatewayEvent>, WebhookError> {
    let mut map = http::HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(value),
        ) {
            map.append(n, v);
        }
    }
    let req = WebhookRequest {
        headers: &map,
        query,
        body,
        now: Timestamp::from_unix_millis(now.saturating_mul(1000)),
    };
    let g = gateway(id);
    g.verify_webhook(&req)?;
    // The parser alone too, as if the request were authentic: it sees every body.
    let parsed = g.parse_webhook(&req);
    if let Err(e) = &parsed {
        assert!(matches!(e, WebhookError::Malformed(_)), "{e:?}");
    }
    parsed
}

/// Parses `body` with `id`'s parser whether or not it is authentic: only `Malformed` errors.
pub fn webhook_parse(id: GatewayId, body: &[u8]) {
    let map = http::HeaderMap::new();
    let req = WebhookRequest {
        headers: &map,
        query: None,
        body,
        now: Timestamp::from_unix_millis(0),
    };
    if let Err(e) = gateway(id).parse_webhook(&req) {
        assert!(matches!(e, WebhookError::Malformed(_)), "{e:?}");
    }
}

/// What a tamperer changes in a signed Stripe webhook.
#[derive(Clone, Copy, Debug)]
pub enum Tamper {
    Nothing,
    /// XOR the body's byte at this index (modulo its length) with a non-zero mask.
    Body(usize, u8),
    /// XOR a byte of the signature's MAC (before hex) with a non-zero mask.
    Signature(usize, u8),
    /// XOR the timestamp the header states (not the one signed) with a non-zero mask.
    Timestamp(i64),
}

/// Signs `body` at `signed_at` as Stripe does, applies `tamper`, and verifies at `now`: the
/// verifier must accept exactly the untampered request within the 300 s tolerance.
pub fn stripe_signed(body: &[u8], signed_at: i64, now: i64, tamper: Tamper) {
    let secret = Secret::new(STRIPE_SECRET);
    let mut body = body.to_vec();
    let mut stated_at = signed_at;
    let mut mac = decode_hex(&webhook_signature(&secret, signed_at, &body));
    let tampered = match tamper {
        Tamper::Nothing => false,
        Tamper::Body(i, mask) if !body.is_empty() && mask != 0 => {
            let i = i % body.len();
            body[i] ^= mask;
            true
        }
        Tamper::Signature(i, mask) if mask != 0 => {
            let i = i % mac.len();
            mac[i] ^= mask;
            true
        }
        Tamper::Timestamp(mask) if mask != 0 => {
            stated_at ^= mask;
            true
        }
        _ => false,
    };
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    let header = format!("t={stated_at},v1={hex}");
    let fresh = (i128::from(now) - i128::from(signed_at)).abs() <= i128::from(STRIPE_TOLERANCE);
    let verdict = webhook_raw(
        GatewayId::Stripe,
        &[("stripe-signature", header.as_bytes())],
        None,
        &body,
        now,
    );
    let accepted = !matches!(verdict, Err(WebhookError::Unauthenticated(_)));
    assert_eq!(
        accepted,
        !tampered && fresh,
        "tamper {tamper:?}, signed at {signed_at}, now {now}: {verdict:?}"
    );
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Efí's `?hmac=` query: accepted exactly when its (first) `hmac` parameter is the secret.
pub fn efi_hmac(query: &str, body: &[u8]) {
    let verdict = webhook_raw(GatewayId::Efi, &[], Some(query), body, 0);
    let given = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "hmac")
        .map(|(_, v)| v.into_owned());
    let accepted = !matches!(verdict, Err(WebhookError::Unauthenticated(_)));
    assert_eq!(
        accepted,
        given.as_deref() == Some(EFI_HMAC),
        "{query:?}: {verdict:?}"
    );
}

/// Asaas's `asaas-access-token` header: accepted exactly when it is the configured token.
pub fn asaas_token(token: Option<&[u8]>, body: &[u8]) {
    let headers: Vec<(&str, &[u8])> = token
        .map(|t| vec![("asaas-access-token", t)])
        .unwrap_or_default();
    let verdict = webhook_raw(GatewayId::Asaas, &headers, None, body, 0);
    let accepted = !matches!(verdict, Err(WebhookError::Unauthenticated(_)));
    let valid_header = token.is_some_and(|t| http::HeaderValue::from_bytes(t).is_ok());
    assert_eq!(
        accepted,
        valid_header && token == Some(ASAAS_TOKEN.as_bytes()),
        "{:?}: {verdict:?}",
        token.map(String::from_utf8_lossy)
    );
}

/// The fields a BR Code round trip keeps: key, URL, name, city, amount, txid, info.
type Fields = (
    Option<String>,
    Option<String>,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn fields(code: &BrCode) -> Fields {
    (
        code.pix_key().map(str::to_string),
        code.url().map(str::to_string),
        code.merchant_name().to_string(),
        code.merchant_city().to_string(),
        code.amount_cents(),
        code.txid().map(str::to_string),
        code.info().map(str::to_string),
    )
}

/// Any text as a BR Code payload (what a payer's app, or payorch's own decoder, reads): no
/// panic; a payload that parses is rebuilt from its fields, and a rebuilt one parses to the
/// same fields.
pub fn brcode_text(text: &str) {
    let Ok(code) = brcode::parse(text) else {
        return;
    };
    let (dynamic, key_or_url) = match (code.pix_key(), code.url()) {
        (Some(key), _) => (false, key),
        (None, Some(url)) => (true, url),
        (None, None) => return,
    };
    let parts = BrCodeParts {
        key_or_url,
        dynamic,
        merchant_name: code.merchant_name(),
        merchant_city: code.merchant_city(),
        amount_cents: code.amount_cents(),
        txid: code.txid(),
        info: code.info(),
        corrupt: None,
    };
    if let Ok(rebuilt) = parts.build() {
        let again = brcode::parse(&rebuilt).expect("a built payload parses");
        assert_eq!(fields(&again), fields(&code), "{text:?} -> {rebuilt:?}");
    }
}

/// What a BR Code is built from.
#[derive(Clone, Debug)]
pub struct BrCodeParts<'a> {
    /// The Pix key of a static code, or the location URL of a dynamic one.
    pub key_or_url: &'a str,
    pub dynamic: bool,
    pub merchant_name: &'a str,
    pub merchant_city: &'a str,
    pub amount_cents: Option<i64>,
    pub txid: Option<&'a str>,
    pub info: Option<&'a str>,
    /// A character position in the payload to change and the ASCII character to put there.
    pub corrupt: Option<(usize, u8)>,
}

impl BrCodeParts<'_> {
    fn build(&self) -> Result<String, brcode::BrCodeError> {
        let mut builder = if self.dynamic {
            BrCode::builder_dynamic(self.key_or_url, self.merchant_name, self.merchant_city)
        } else {
            BrCode::builder_static(self.key_or_url, self.merchant_name, self.merchant_city)
        };
        if let Some(a) = self.amount_cents {
            builder = builder.amount_cents(a);
        }
        if let Some(t) = self.txid {
            builder = builder.txid(t);
        }
        if let Some(i) = self.info {
            builder = builder.info(i);
        }
        builder.build()
    }

    fn fields(&self) -> Fields {
        let owned = |s: Option<&str>| s.map(str::to_string);
        (
            owned((!self.dynamic).then_some(self.key_or_url)),
            owned(self.dynamic.then_some(self.key_or_url)),
            self.merchant_name.to_string(),
            self.merchant_city.to_string(),
            self.amount_cents,
            owned(self.txid),
            owned(self.info),
        )
    }
}

/// Builds a BR Code from `parts`; one that builds parses back to the same fields, and the
/// payload with any one character changed is refused (the CRC, at the least, says so).
pub fn brcode_roundtrip(parts: &BrCodeParts<'_>) {
    let Ok(payload) = parts.build() else {
        return;
    };
    let code = brcode::parse(&payload).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
    assert_eq!(fields(&code), parts.fields(), "{payload:?}");
    if let Some((at, ch)) = parts.corrupt {
        let mut bytes = payload.clone().into_bytes();
        let at = at % bytes.len();
        let ch = 0x20 + ch % 0x5f; // printable ASCII
        if bytes[at].eq_ignore_ascii_case(&ch) {
            return; // the same character (the CRC's hex digits are read in either case)
        }
        bytes[at] = ch;
        let corrupted = String::from_utf8(bytes).expect("ASCII");
        assert!(
            brcode::parse(&corrupted).is_err(),
            "{corrupted:?} (from {payload:?}) parsed"
        );
    }
}

/// Any text as the config file: no panic; a refusal names the line and column inside the text,
/// or the key.
pub fn config_text(text: &str) -> Result<Config, ConfigError> {
    let loaded = Config::load_text(
        Path::new("payorch.toml"),
        text,
        &Overrides {
            data_dir: Some("/nonexistent/payorch".into()),
            ..Default::default()
        },
        &[("HOME", "/nonexistent")],
    );
    match loaded {
        Ok(l) => Ok(l.config),
        Err(e) => {
            match &e {
                ConfigError::Parse { line, column, .. } => {
                    assert!(*line >= 1 && *column >= 1, "{e}");
                    assert!(*line <= text.split('\n').count().max(1), "{e} in {text:?}");
                }
                ConfigError::Invalid { key, .. } => assert!(!key.is_empty(), "{e}"),
                other => panic!("a config text failed as {other:?}"),
            }
            Err(e)
        }
    }
}

/// A valid config, rendered the way `config show` prints it, loads back to the same settings:
/// rendering what was loaded gives the same text. (The text, not the struct: a rendering
/// states every default that the struct leaves as "not set", e.g. the breaker's.)
pub fn config_roundtrip(config: &Config) {
    let text = config.to_toml();
    let loaded = config_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(loaded.to_toml(), text);
}
