//! What a merchant sees of a charge: the public JSON of the HTTP API (`POST /v1/charges`,
//! `GET /v1/charges[/{id}]`, refunds) and of the webhook events, written here field by field.
//!
//! The stored model (`crate::model::Charge`, whose SQLite body is its private record) is not
//! the wire: renaming or reshaping a model field breaks the build here instead of silently
//! changing every merchant's integration. Each view is versioned by its name (`ChargeV1`, …);
//! [`ChargeView`] is the version served today. A new version is new types beside these
//! (`ChargeV2`, written from the model the same way), chosen per request or per endpoint by
//! the version the merchant pinned; the old ones stay as they are for as long as anyone is on
//! them, and `tests/it/public_json.rs` pins their bytes.
//!
//! Key order: the HTTP API's bodies go through `serde_json::Value` (sorted keys); an event is
//! written directly, in the field order below.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::clock::Timestamp;
use crate::id::{ChargeId, EventId, RefundId};
use crate::model::{
    Attempt, BoletoDetails, Charge, ChargeFailure, Currency, Customer, DocumentKind, Event, Fee,
    GatewayId, LinkDetails, PixDetails, Refund, RefundStatus, TenantId,
};

/// The charge the API and webhooks show today.
pub(crate) type ChargeView<'a> = ChargeV1<'a>;

/// A charge, version 1: the stored record's fields (as they were named when the API was first
/// published), `"object": "charge"`, and the derived `decline_code` of a declined charge.
#[derive(Serialize)]
pub(crate) struct ChargeV1<'a> {
    id: &'a ChargeId,
    object: &'static str,
    tenant: &'a TenantId,
    status: &'static str,
    /// Minor units.
    amount: i64,
    currency: Currency,
    /// Minor units returned so far.
    amount_refunded: i64,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway: Option<GatewayId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pix: Option<PixV1<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    boleto: Option<BoletoV1<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<LinkV1<'a>>,
    /// A payable link's page, `link.url` again at the top level (the issue's `payment_url`):
    /// the one field a client redirects the payer to, whatever gateway made the link.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_url: Option<&'a str>,
    attempts: Vec<AttemptV1<'a>>,
    refunds: Vec<RefundV1<'a>>,
    customer: CustomerV1<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    metadata: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<FailureV1<'a>>,
    /// What the gateway took, once paid; `null` before or when unknown (issue 18).
    fee: Option<FeeV1>,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    decline_code: Option<&'a str>,
}

impl<'a> ChargeV1<'a> {
    /// The charge with everything the merchant sent: the answer to its own create and to
    /// `GET /v1/charges/{id}`, and the webhook events.
    pub(crate) fn new(charge: &'a Charge) -> ChargeV1<'a> {
        ChargeV1::with_customer(charge, CustomerV1::new(&charge.customer, false))
    }

    /// The charge with the customer's document masked: listings (`GET /v1/charges`, the CLI),
    /// the usual leak, never carry it.
    pub(crate) fn masked(charge: &'a Charge) -> ChargeV1<'a> {
        ChargeV1::with_customer(charge, CustomerV1::new(&charge.customer, true))
    }

    fn with_customer(c: &'a Charge, customer: CustomerV1<'a>) -> ChargeV1<'a> {
        ChargeV1 {
            id: &c.id,
            object: "charge",
            tenant: &c.tenant,
            status: c.status().as_str(),
            amount: c.amount(),
            currency: c.currency(),
            amount_refunded: c.amount_refunded(),
            method: c.method.as_str(),
            gateway: c.gateway,
            gateway_reference: c.gateway_reference.as_deref(),
            pix: c.pix.as_ref().map(PixV1::new),
            boleto: c.boleto.as_ref().map(BoletoV1::new),
            link: c.link.as_ref().map(LinkV1::new),
            payment_url: c.link.as_ref().map(|l| l.url.as_str()),
            attempts: c.attempts.iter().map(AttemptV1::new).collect(),
            refunds: c.refunds.iter().map(RefundV1::new).collect(),
            customer,
            description: c.description.as_deref(),
            metadata: &c.metadata,
            failure: c.failure.as_ref().map(FailureV1::new),
            fee: c.fee.map(FeeV1::new),
            created_at: c.created_at,
            updated_at: c.updated_at,
            decline_code: c.decline_code(),
        }
    }

    /// The same charge with its Pix QR code inline as `pix.qr_code_png` (what
    /// `GET /v1/charges/{id}?expand[]=pix.qr_code_png` answers): `png_base64` is the QR of
    /// `pix.copy_paste` (`crate::qr::png_base64`). Without Pix details, the charge unchanged.
    pub(crate) fn with_pix_qr_code(mut self, png_base64: &'a str) -> ChargeV1<'a> {
        if let Some(pix) = self.pix.as_mut() {
            pix.qr_code_png = Some(png_base64);
        }
        self
    }
}

/// One try at one gateway, version 1.
#[derive(Serialize)]
pub(crate) struct AttemptV1<'a> {
    gateway: GatewayId,
    outcome: &'static str,
    latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idempotency_key: Option<&'a str>,
    at: Timestamp,
}

impl<'a> AttemptV1<'a> {
    /// Also the `attempts` of a `gateway_unavailable` error (`server/error.rs`): the same view
    /// as a charge's, so the model never reaches the wire directly.
    pub(crate) fn new(a: &'a Attempt) -> AttemptV1<'a> {
        AttemptV1 {
            gateway: a.gateway,
            outcome: a.outcome.as_str(),
            latency_ms: a.latency_ms,
            error: a.error.as_deref(),
            gateway_code: a.gateway_code.as_deref(),
            gateway_reference: a.gateway_reference.as_deref(),
            idempotency_key: a.idempotency_key.as_deref(),
            at: a.at,
        }
    }
}

/// A refund, version 1.
#[derive(Serialize)]
pub(crate) struct RefundV1<'a> {
    id: &'a RefundId,
    /// Minor units.
    amount: i64,
    status: RefundStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl<'a> RefundV1<'a> {
    fn new(r: &'a Refund) -> RefundV1<'a> {
        RefundV1 {
            id: &r.id,
            amount: r.amount,
            status: r.status,
            gateway_reference: r.gateway_reference.as_deref(),
            reason: r.reason.as_deref(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What the payer needs to pay a Pix charge, version 1: the BR Code, always. Its QR PNG only
/// when the merchant asks for it (`ChargeV1::with_pix_qr_code`): rendering it on every charge
/// was half of `serve`'s CPU for Pix, and it travelled in every stored answer and webhook.
#[derive(Serialize)]
pub(crate) struct PixV1<'a> {
    copy_paste: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_code_png: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

impl<'a> PixV1<'a> {
    fn new(p: &'a PixDetails) -> PixV1<'a> {
        PixV1 {
            copy_paste: &p.copy_paste,
            // Not `p.qr_code_png` (rows stored before issue 16): only an expand shows an image.
            qr_code_png: None,
            expires_at: p.expires_at,
        }
    }
}

/// What the payer needs to pay a boleto, version 1.
#[derive(Serialize)]
pub(crate) struct BoletoV1<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    digitable_line: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    barcode: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<&'a str>,
}

impl<'a> BoletoV1<'a> {
    fn new(b: &'a BoletoDetails) -> BoletoV1<'a> {
        BoletoV1 {
            digitable_line: b.digitable_line.as_deref(),
            barcode: b.barcode.as_deref(),
            url: b.url.as_deref(),
            due_date: b.due_date.as_deref(),
        }
    }
}

/// What the payer needs to pay through a payment link, version 1: the gateway's hosted page
/// and when it stops taking payments. Shaped like `pix` and `boleto` (one object per method's
/// details); the charge repeats the URL as its top-level `payment_url`.
#[derive(Serialize)]
pub(crate) struct LinkV1<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

impl<'a> LinkV1<'a> {
    fn new(l: &'a LinkDetails) -> LinkV1<'a> {
        LinkV1 {
            url: &l.url,
            expires_at: l.expires_at,
        }
    }
}

/// The payer, version 1.
#[derive(Serialize)]
pub(crate) struct CustomerV1<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<DocumentV1<'a>>,
}

impl<'a> CustomerV1<'a> {
    fn new(c: &'a Customer, masked: bool) -> CustomerV1<'a> {
        CustomerV1 {
            name: &c.name,
            email: c.email.as_deref(),
            document: c.document.as_ref().map(|d| DocumentV1 {
                kind: d.kind,
                number: if masked {
                    Cow::Owned(d.masked())
                } else {
                    Cow::Borrowed(&d.number)
                },
            }),
        }
    }
}

/// The payer's CPF/CNPJ, version 1 (masked in listings by `Document::masked`, the one masking
/// function).
#[derive(Serialize)]
pub(crate) struct DocumentV1<'a> {
    #[serde(rename = "type")]
    kind: DocumentKind,
    number: Cow<'a, str>,
}

/// Why a charge failed, version 1.
#[derive(Serialize)]
pub(crate) struct FailureV1<'a> {
    code: &'a str,
    message: &'a str,
}

impl<'a> FailureV1<'a> {
    fn new(f: &'a ChargeFailure) -> FailureV1<'a> {
        FailureV1 {
            code: &f.code,
            message: &f.message,
        }
    }
}

/// A charge's fee, version 1: minor units of `currency`, and whose figure it is
/// (`gateway` or `estimated`).
#[derive(Serialize)]
pub(crate) struct FeeV1 {
    amount: i64,
    currency: Currency,
    source: &'static str,
}

impl FeeV1 {
    fn new(f: Fee) -> FeeV1 {
        FeeV1 {
            amount: f.amount,
            currency: f.currency,
            source: f.source.as_str(),
        }
    }
}

/// A webhook event, version 1: `{id, type, tenant, created_at, data: {charge}}`, the charge as
/// [`ChargeV1::new`] shows it. This is `Event`'s JSON everywhere: the body delivered, the event
/// log (what was sent), `payorch events show`.
#[derive(Serialize)]
pub(crate) struct EventV1<'a> {
    id: &'a EventId,
    #[serde(rename = "type")]
    kind: &'static str,
    tenant: &'a TenantId,
    created_at: Timestamp,
    data: EventDataV1<'a>,
}

/// An event's payload, version 1.
#[derive(Serialize)]
pub(crate) struct EventDataV1<'a> {
    charge: ChargeV1<'a>,
}

impl<'a> EventV1<'a> {
    pub(crate) fn new(e: &'a Event) -> EventV1<'a> {
        EventV1 {
            id: &e.id,
            kind: e.kind.as_str(),
            tenant: &e.tenant,
            created_at: e.created_at,
            data: EventDataV1 {
                charge: ChargeV1::new(&e.data.charge),
            },
        }
    }
}

/// An event's JSON is its wire view (see `src/model/event.rs`).
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventV1::new(self).serialize(s)
    }
}
