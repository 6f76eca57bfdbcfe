//! The `Gateway` trait every adapter implements, and the types adapters share: the request
//! payorch sends, the normalized answer, the classified failure (rule 3), webhooks in and out.
//!
//! A gateway's wire format lives only in its own module (`stripe/`, `efi/`, `asaas/`);
//! conversions from [`Money`] to the gateway's amount format happen there too (rule 1).

pub mod asaas;
pub mod efi;
pub mod http;
pub mod registry;
pub(crate) mod settings;
pub mod stripe;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::id::{ChargeId, RefundId};
use crate::model::{
    AttemptOutcome, BoletoDetails, ChargeFailure, ChargeStatus, Currency, Customer, Fee, GatewayId,
    LinkDetails, Money, PaymentMethod, PixDetails, RefundStatus,
};

/// What a gateway can take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub methods: Vec<PaymentMethod>,
    pub currencies: Vec<Currency>,
    /// Partial refunds are supported.
    pub partial_refunds: bool,
    /// Methods that take fewer currencies than the gateway does (Stripe's Pix: BRL only).
    pub method_currencies: Vec<(PaymentMethod, Vec<Currency>)>,
    /// The same refund sent again, however much later, makes no second refund: the adapter
    /// finds it by payorch's refund id (Asaas: the id in its description; Efí: the devolução
    /// is PUT under payorch's id). Not Stripe, whose idempotency keys expire after 24 hours:
    /// a refund still pending there is settled by its webhook only, never resent.
    pub refund_resend_is_idempotent: bool,
    /// The same create sent again makes no second charge, even while the first is still being
    /// processed at the gateway: Stripe (the same `Idempotency-Key`), Efí (`PUT` under the
    /// same txid). Not Asaas, which takes no idempotency key: its adapter looks the
    /// `externalReference` up before creating, but a first request still in flight there is
    /// not visible yet, and a second `POST` would make a second payment (a card captured
    /// twice, a link payable twice). After an ambiguous create at such a gateway the flow only
    /// asks (rule 4: "for Asaas look the payment up by externalReference").
    pub create_resend_is_idempotent: bool,
    /// A read of a paid charge (`get_charge`) carries the gateway's own fee: Stripe (the
    /// latest charge's balance transaction, expanded), Asaas (`value - netValue`); not Efí,
    /// whose Pix API reports none. The reconciler reads it for a paid charge that got only
    /// the estimate (`orchestrator/fees.rs`).
    pub fee_on_read: bool,
}

impl Capabilities {
    pub fn supports(&self, method: PaymentMethod, currency: Currency) -> bool {
        self.methods.contains(&method)
            && self.currencies.contains(&currency)
            && self
                .method_currencies
                .iter()
                .find(|(m, _)| *m == method)
                .is_none_or(|(_, only)| only.contains(&currency))
    }
}

/// A charge as payorch asks a gateway to create it.
#[derive(Clone, Debug)]
pub struct CreateCharge {
    /// payorch's id; adapters derive their gateway-side key from it (Efí txid, Asaas
    /// `externalReference`, Stripe metadata) so an ambiguous create can be found again.
    pub charge_id: ChargeId,
    /// The gateway idempotency key: the same on every retry of this charge at this gateway.
    pub idempotency_key: String,
    pub money: Money,
    pub method: PaymentMethod,
    pub customer: Customer,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The gateway's token for the card (`pm_…` for Stripe, a `creditCardToken` for Asaas).
    pub card_token: Option<String>,
    /// How long a Pix QR code, boleto or payment link stays payable.
    pub expires_in: Duration,
}

/// What a gateway holds for a charge, mapped to payorch's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayCharge {
    /// The gateway's id for it: `pi_…`, the Efí txid, Asaas `pay_…`.
    pub reference: String,
    pub status: ChargeStatus,
    /// The gateway's own status word (`requires_action`, `ATIVA`, `PENDING`), for operators.
    pub gateway_status: String,
    /// Minor units, as the gateway reports them.
    pub amount: i64,
    pub pix: Option<PixDetails>,
    pub boleto: Option<BoletoDetails>,
    /// The hosted page of a payment link, while it is payable.
    pub link: Option<LinkDetails>,
    /// Why it failed, when it did.
    pub failure: Option<ChargeFailure>,
    /// For a paid Pix, the end-to-end id of the payment (Efí refunds need it).
    pub payment_reference: Option<String>,
    /// Minor units refunded, when the gateway reports it.
    pub amount_refunded: i64,
    /// The gateway's own fee for it, when the answer carries one (Stripe's expanded balance
    /// transaction, Asaas's `value - netValue` once paid). Never an estimate.
    pub fee: Option<Fee>,
}

/// A refund as payorch asks a gateway to make it.
#[derive(Clone, Debug)]
pub struct CreateRefund {
    pub refund_id: RefundId,
    /// The gateway's id for the charge ([`GatewayCharge::reference`]).
    pub charge_reference: String,
    /// The paid Pix's end-to-end id (Efí), when known.
    pub payment_reference: Option<String>,
    pub money: Money,
    /// The gateway idempotency key for this refund.
    pub idempotency_key: String,
    pub reason: Option<String>,
}

/// A refund as a gateway reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayRefund {
    pub reference: String,
    pub status: RefundStatus,
    pub gateway_status: String,
    pub amount: i64,
}

/// A classified failure of one gateway call (rule 3). `outcome` is never `Success`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct GatewayError {
    pub gateway: GatewayId,
    pub outcome: AttemptOutcome,
    /// The gateway's own error or decline code (`card_declined`, `invalid_access_token`).
    pub code: Option<String>,
    /// What happened, for the operator. Never contains a secret.
    pub message: String,
    pub http_status: Option<u16>,
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.gateway, self.outcome)?;
        if let Some(s) = self.http_status {
            write!(f, " (HTTP {s})")?;
        }
        if let Some(c) = &self.code {
            write!(f, " [{c}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl GatewayError {
    pub fn new(gateway: GatewayId, outcome: AttemptOutcome, message: impl Into<String>) -> Self {
        GatewayError {
            gateway,
            outcome,
            code: None,
            message: message.into(),
            http_status: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }
}

/// An inbound webhook request, as the server received it.
#[derive(Clone, Copy, Debug)]
pub struct WebhookRequest<'a> {
    pub headers: &'a ::http::HeaderMap,
    /// The raw query string, without `?` (Efí authenticates with `hmac=…` there).
    pub query: Option<&'a str>,
    pub body: &'a [u8],
    /// For timestamp tolerance checks (Stripe: 300 s).
    pub now: Timestamp,
}

/// Why an inbound webhook was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Missing or wrong signature/secret, or a replayed old timestamp: answer 401, store nothing.
    #[error("webhook not authenticated: {0}")]
    Unauthenticated(String),
    /// Authentic but unreadable: answer 400.
    #[error("malformed webhook: {0}")]
    Malformed(String),
}

/// One piece of news from a gateway's webhook, normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayEvent {
    /// The gateway's event id, the dedupe key (Stripe `evt_…`, Asaas event id, Efí endToEndId).
    pub event_id: String,
    /// The gateway's event type word (`payment_intent.succeeded`, `PAYMENT_RECEIVED`, `pix`).
    pub kind: String,
    /// The gateway's id for the charge it is about.
    pub reference: String,
    /// payorch's charge id, when the gateway echoes it (metadata, externalReference).
    pub charge_id: Option<ChargeId>,
    /// The normalized status it reports; `None` for events payorch keeps but ignores.
    pub status: Option<ChargeStatus>,
    /// Minor units refunded so far, for refund events.
    pub amount_refunded: Option<i64>,
    /// For Pix payments, the end-to-end id.
    pub payment_reference: Option<String>,
    pub occurred_at: Option<Timestamp>,
    /// What the event says of the charge's refunds, one by one (Asaas lists them on the
    /// payment, Efí on the Pix): how a refund the gateway answered `pending` settles.
    pub refunds: Vec<RefundNews>,
    /// The gateway's own fee, when the event carries one (Asaas: `value - netValue`).
    pub fee: Option<Fee>,
}

/// One refund as a gateway's webhook reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundNews {
    /// The gateway's id for the refund, as [`GatewayRefund::reference`] gave it.
    pub reference: String,
    /// payorch's refund id, when the gateway echoes it (Asaas: the refund's description).
    pub refund_id: Option<RefundId>,
    pub status: RefundStatus,
    /// Minor units.
    pub amount: i64,
}

/// A payment gateway. Every method classifies its failures per rule 3.
#[async_trait]
pub trait Gateway: Send + Sync {
    fn id(&self) -> GatewayId;
    fn capabilities(&self) -> Capabilities;
    /// Whether sending the same create of `method` again makes no second charge: the
    /// capability, unless a gateway's methods differ (Efí: a Pix txid is idempotent, a
    /// payment link at its API Cobranças is not).
    fn create_resend_is_idempotent_for(&self, method: PaymentMethod) -> bool {
        let _ = method;
        self.capabilities().create_resend_is_idempotent
    }
    /// Creates the charge. Safe to call again with the same request after an ambiguous
    /// outcome: the gateway idempotency key (or the derived txid) makes the retry idempotent.
    async fn create_charge(&self, req: &CreateCharge) -> Result<GatewayCharge, GatewayError>;
    /// Reads a charge by the gateway's reference.
    async fn get_charge(&self, reference: &str) -> Result<GatewayCharge, GatewayError>;
    /// Finds what an ambiguous `create_charge` may have left at the gateway, by payorch's keys
    /// (Efí txid, Asaas `externalReference`, Stripe metadata search). `Ok(None)`: nothing was
    /// created.
    async fn find_charge(&self, req: &CreateCharge) -> Result<Option<GatewayCharge>, GatewayError>;
    /// Cancels a charge that has not been paid (an unpaid Pix, a boleto, an uncaptured card).
    async fn cancel(&self, reference: &str) -> Result<GatewayCharge, GatewayError>;
    async fn refund(&self, req: &CreateRefund) -> Result<GatewayRefund, GatewayError>;
    /// Checks authenticity with the gateway's own scheme. Never reads the body's claims first.
    fn verify_webhook(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError>;
    /// Reads back from the gateway, with payorch's own credentials, the news a notification
    /// token stands for: the authentication of notifications that carry only a token (Efí's
    /// payment links POST `notification=<token>`, unsigned). `Ok(None)`: this gateway sends
    /// no such notifications. An `Invalid` error: the gateway does not know the token.
    async fn read_notification(
        &self,
        token: &str,
    ) -> Result<Option<Vec<GatewayEvent>>, GatewayError> {
        let _ = token;
        Ok(None)
    }
    /// Parses an authentic webhook into events (one Efí POST can carry several payments).
    /// Event types the gateway sends but payorch does not map come back with `status: None`.
    fn parse_webhook(&self, req: &WebhookRequest<'_>) -> Result<Vec<GatewayEvent>, WebhookError>;
}
