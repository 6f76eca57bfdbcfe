//! Payment links at Stripe: Checkout Sessions (`cs_…`, `mode=payment`), the hosted page Stripe
//! serves at the session's `url`. Not a Payment Link (`plink_…`): a Payment Link is a reusable
//! page that never expires and makes a new session per payer, so one payorch charge could be
//! paid twice and an orphan could not be closed; a session is one payment, has an
//! `expires_at` (30 minutes to 24 hours after creation) and can be expired on demand
//! (`POST /v1/checkout/sessions/{id}/expire`), which is what the orphan rules need.
//!
//! Wire decisions (Stripe's API reference for Checkout Sessions, read on 2026-12-05):
//! - **Create**: one line item with `price_data` (currency, `unit_amount` = the charge's amount
//!   in minor units, `product_data[name]` = the charge's description or "Charge {id}"),
//!   quantity 1; `payment_method_types[]` `card`, plus `pix` in BRL; `expires_at` = now +
//!   `expires_in` held to Stripe's 30 min – 24 h; `client_reference_id` and
//!   `metadata[payorch_charge_id]` name payorch's charge; the payment intent Stripe makes when
//!   the payer pays carries `payorch_charge_id` and [`LINK_METADATA`] (through
//!   `payment_intent_data[metadata]`), so its own events are recognised as a link's. No
//!   `success_url`: payorch has no page to send the payer back to, and Stripe then shows its
//!   own confirmation (unverified against a live account: the reference marks `success_url`
//!   "required conditionally").
//! - **Reads**: `GET /v1/checkout/sessions/{id}` with
//!   `expand[]=payment_intent.latest_charge.balance_transaction`: the payment, its refunds and
//!   Stripe's fee in one answer.
//! - **Find** (recovery, orphans): Stripe has no search for sessions, so the list
//!   (`GET /v1/checkout/sessions`, `created[gte]`/`created[lte]` around the charge id's ULID
//!   time, 100 per page) is read for the session whose `client_reference_id` is the charge's;
//!   a window too full to read to the end answers ambiguous, never "nothing there".
//! - **Status**: `open` → requires_action (with the link); `complete` + `paid` → succeeded (or
//!   refunded, from the payment intent); `complete` + `unpaid` → processing (a method that
//!   settles later), or failed when its payment intent failed; `expired` → canceled.

use super::*;

/// The metadata key on a link's payment intent (value `checkout_session`): its
/// `payment_intent.*` events are not the charge's news (the session's `checkout.session.*`
/// events are), and its refund events name the charge by its id, not by the intent.
pub const LINK_METADATA: &str = "payorch_link";
const LINK_METADATA_VALUE: &str = "checkout_session";
/// Stripe's bounds for a session's `expires_at`, from its creation.
const SESSION_LIFETIME: std::ops::RangeInclusive<u64> = 1_800..=86_400;
/// The expansion that brings the payment, its refunds and its fee.
const SESSION_EXPANSION: &str = "payment_intent.latest_charge.balance_transaction";
/// How many pages of 100 sessions `find_session` reads before it gives up (ambiguous).
const FIND_PAGES: usize = 20;
/// How far before the charge id's time a session may have been stamped (clock skew).
const FIND_BEFORE_SECS: i64 = 300;
/// How long after the charge id's time payorch may create its session: the gateway
/// idempotency key's 24 h and a lease.
const FIND_AFTER_SECS: i64 = 90_000;

#[derive(Debug, Deserialize)]
pub(super) struct Session {
    pub(super) id: String,
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) payment_status: String,
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) expires_at: Option<i64>,
    #[serde(default)]
    pub(super) amount_total: Option<i64>,
    #[serde(default)]
    pub(super) client_reference_id: Option<String>,
    #[serde(default)]
    pub(super) metadata: serde_json::Value,
    #[serde(default)]
    pub(super) payment_intent: Option<SessionIntent>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum SessionIntent {
    Object(Box<PaymentIntent>),
    Id(String),
}

#[derive(Debug, Deserialize)]
pub(super) struct SessionList {
    pub(super) data: Vec<Session>,
    #[serde(default)]
    pub(super) has_more: bool,
}

/// A `cs_…` id as it may go into a URL path.
pub(super) fn is_session_reference(reference: &str) -> bool {
    reference.len() <= 255
        && reference.strip_prefix("cs_").is_some_and(|r| {
            !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

/// Whether Stripe object `metadata` marks a link's payment intent (or its charges).
pub(super) fn is_link_payment(metadata: &serde_json::Value) -> bool {
    metadata.get(LINK_METADATA).and_then(|v| v.as_str()) == Some(LINK_METADATA_VALUE)
}

impl Session {
    pub(super) fn charge_id(&self) -> Option<ChargeId> {
        charge_id_in(&self.metadata).or_else(|| {
            self.client_reference_id
                .as_deref()
                .and_then(|id| ChargeId::parse(id).ok())
        })
    }

    fn intent(&self) -> Option<&PaymentIntent> {
        match &self.payment_intent {
            Some(SessionIntent::Object(pi)) => Some(pi),
            _ => None,
        }
    }

    pub(super) fn intent_id(&self) -> Option<&str> {
        match &self.payment_intent {
            Some(SessionIntent::Object(pi)) => Some(&pi.id),
            Some(SessionIntent::Id(id)) => Some(id),
            None => None,
        }
    }

    /// The session's status in payorch's words (see the module doc).
    pub(super) fn status(&self) -> ChargeStatus {
        let intent = self.intent().map(PaymentIntent::status);
        match (self.status.as_deref(), self.payment_status.as_str()) {
            (Some("open"), _) => ChargeStatus::RequiresAction,
            (Some("expired"), _) => ChargeStatus::Canceled,
            (Some("complete"), "paid") => match intent {
                Some(s @ (ChargeStatus::PartiallyRefunded | ChargeStatus::Refunded)) => s,
                _ => ChargeStatus::Succeeded,
            },
            (Some("complete"), "unpaid") => match intent {
                Some(ChargeStatus::Failed) => ChargeStatus::Failed,
                _ => ChargeStatus::Processing,
            },
            _ => ChargeStatus::Unknown,
        }
    }

    pub(super) fn to_gateway_charge(&self) -> GatewayCharge {
        let status = self.status();
        let from_intent = self.intent().map(PaymentIntent::to_gateway_charge);
        let link = match (status, &self.url) {
            (ChargeStatus::RequiresAction, Some(url)) => Some(LinkDetails {
                url: url.clone(),
                expires_at: self
                    .expires_at
                    .map(|s| Timestamp::from_unix_millis(s.saturating_mul(1000))),
            }),
            _ => None,
        };
        GatewayCharge {
            reference: self.id.clone(),
            status,
            gateway_status: format!(
                "{}/{}",
                self.status.as_deref().unwrap_or("unknown"),
                self.payment_status
            ),
            amount: self
                .amount_total
                .or(from_intent.as_ref().map(|c| c.amount))
                .unwrap_or_default(),
            pix: None,
            boleto: None,
            link,
            failure: from_intent.as_ref().and_then(|c| c.failure.clone()),
            payment_reference: None,
            amount_refunded: from_intent.as_ref().map_or(0, |c| c.amount_refunded),
            fee: from_intent.and_then(|c| c.fee),
        }
    }
}

/// The session's `expires_at`: `expires_in` from `now`, held to Stripe's 30 min – 24 h.
pub(super) fn session_expiry(now: Timestamp, expires_in: Duration) -> i64 {
    let secs = expires_in
        .as_secs()
        .clamp(*SESSION_LIFETIME.start(), *SESSION_LIFETIME.end());
    now.unix_seconds()
        .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The form of `POST /v1/checkout/sessions` for a link charge, expiring at `expires_at`.
pub(super) fn session_form(req: &CreateCharge, expires_at: i64) -> Result<Form, GatewayError> {
    let currency = req.money.currency();
    let mut form = Form::new();
    let name = req
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map_or_else(|| format!("Charge {}", req.charge_id), str::to_string);
    form.add("mode", "payment")
        .add(
            "line_items[0][price_data][currency]",
            &currency.code().to_ascii_lowercase(),
        )
        .add(
            "line_items[0][price_data][unit_amount]",
            &stripe_amount(req.money)?.to_string(),
        )
        .add("line_items[0][price_data][product_data][name]", &name)
        .add("line_items[0][quantity]", "1")
        .add("payment_method_types[]", "card");
    if currency == Currency::Brl {
        form.add("payment_method_types[]", "pix");
    }
    form.add("expires_at", &expires_at.to_string())
        .add("client_reference_id", req.charge_id.as_str());
    if let Some(email) = &req.customer.email {
        form.add("customer_email", email);
    }
    form.add(
        &format!("payment_intent_data[metadata][{CHARGE_ID_METADATA}]"),
        req.charge_id.as_str(),
    )
    .add(
        &format!("payment_intent_data[metadata][{LINK_METADATA}]"),
        LINK_METADATA_VALUE,
    );
    add_metadata(
        &mut form,
        &req.metadata,
        (CHARGE_ID_METADATA, req.charge_id.as_str()),
    )?;
    Ok(form)
}

impl StripeGateway {
    pub(super) async fn create_session(
        &self,
        req: &CreateCharge,
    ) -> Result<GatewayCharge, GatewayError> {
        let expires_at = session_expiry(self.clock.now(), req.expires_in);
        let form = session_form(req, expires_at)?;
        let session: Session = self
            .post("/v1/checkout/sessions", form, &req.idempotency_key)
            .await?;
        Ok(session.to_gateway_charge())
    }

    pub(super) async fn get_session(&self, id: &str) -> Result<Session, GatewayError> {
        self.get(&format!(
            "/v1/checkout/sessions/{id}?expand%5B%5D={SESSION_EXPANSION}"
        ))
        .await
    }

    /// The session Stripe holds for `req`'s charge, read in full (see the module doc).
    pub(super) async fn find_session(
        &self,
        req: &CreateCharge,
    ) -> Result<Option<GatewayCharge>, GatewayError> {
        let made = ulid::Ulid::from_string(req.charge_id.ulid_part())
            .map(|u| i64::try_from(u.timestamp_ms() / 1000).unwrap_or(i64::MAX))
            .map_err(|e| invalid(format!("charge id {}: {e}", req.charge_id)))?;
        let (from, to) = (made - FIND_BEFORE_SECS, made + FIND_AFTER_SECS);
        let mut after: Option<String> = None;
        for _ in 0..FIND_PAGES {
            let mut path = format!(
                "/v1/checkout/sessions?limit=100&created%5Bgte%5D={from}&created%5Blte%5D={to}"
            );
            if let Some(last) = &after {
                path.push_str(&format!("&starting_after={last}"));
            }
            let page: SessionList = self.get(&path).await?;
            let ours = page
                .data
                .iter()
                .find(|s| s.client_reference_id.as_deref() == Some(req.charge_id.as_str()));
            if let Some(session) = ours {
                let id = session.id.clone();
                return Ok(Some(self.get_session(&id).await?.to_gateway_charge()));
            }
            match page.data.last() {
                Some(last) if page.has_more => after = Some(last.id.clone()),
                _ => return Ok(None),
            }
        }
        Err(error(
            AttemptOutcome::UnavailableAmbiguous,
            format!(
                "more than {} Checkout Sessions were created around charge {}: payorch could not read them all",
                FIND_PAGES * 100,
                req.charge_id
            ),
        ))
    }

    /// Expires an open session (an orphan's, or a charge canceled before payment).
    pub(super) async fn expire_session(&self, id: &str) -> Result<GatewayCharge, GatewayError> {
        // A key derived from the session: a retried expire replays the first answer.
        let key = format!("payorch-expire-{id}");
        let _: Session = self
            .post(
                &format!("/v1/checkout/sessions/{id}/expire"),
                Form::new(),
                &key,
            )
            .await?;
        Ok(self.get_session(id).await?.to_gateway_charge())
    }

    /// The payment intent of a paid session, which refunds name.
    pub(super) async fn session_payment_intent(&self, id: &str) -> Result<String, GatewayError> {
        let session: Session = self.get(&format!("/v1/checkout/sessions/{id}")).await?;
        session.intent_id().map(str::to_string).ok_or_else(|| {
            invalid(format!(
                "Checkout Session {id} has no payment to refund (it is {})",
                session.status.as_deref().unwrap_or("unknown")
            ))
        })
    }
}

/// `checkout.session.*` events: the session's news for its charge.
pub(super) fn event_from_session(event: &Event) -> Result<GatewayEvent, WebhookError> {
    let session: Session = serde_json::from_value(event.data.object.clone()).map_err(|e| {
        WebhookError::Malformed(format!(
            "{}: data.object is not a Checkout Session: {e}",
            event.kind
        ))
    })?;
    let status = match event.kind.as_str() {
        "checkout.session.completed" if session.payment_status == "paid" => {
            Some(ChargeStatus::Succeeded)
        }
        "checkout.session.completed" => Some(ChargeStatus::Processing),
        "checkout.session.async_payment_succeeded" => Some(ChargeStatus::Succeeded),
        "checkout.session.async_payment_failed" => Some(ChargeStatus::Failed),
        "checkout.session.expired" => Some(ChargeStatus::Canceled),
        _ => None,
    };
    Ok(GatewayEvent {
        event_id: event.id.clone(),
        kind: event.kind.clone(),
        reference: session.id.clone(),
        charge_id: session.charge_id(),
        status,
        amount_refunded: None,
        payment_reference: None,
        occurred_at: occurred_at(event),
        fee: None,
        refunds: Vec::new(),
    })
}
