//! Charges, their status machine, the attempts made at gateways, and refunds.
//!
//! [`ChargeStatus::transition`] is the one place that decides whether a status change applies,
//! is a harmless late arrival to ignore, or contradicts what is known and must be rejected.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::customer::Customer;
use super::fee::{Fee, FeeSchedule, FeeSource};
use super::gateway::GatewayId;
use super::money::{Currency, Money};
use super::tenant::TenantId;
use crate::clock::Timestamp;
use crate::id::{ChargeId, RefundId};

pub(crate) mod decline;
mod record;

/// How the payer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Pix,
    Card,
    Boleto,
    /// A payment link: a page at the gateway where the payer chooses how to pay.
    Link,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 4] = [
        PaymentMethod::Pix,
        PaymentMethod::Card,
        PaymentMethod::Boleto,
        PaymentMethod::Link,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Pix => "pix",
            PaymentMethod::Card => "card",
            PaymentMethod::Boleto => "boleto",
            PaymentMethod::Link => "link",
        }
    }

    /// Pix, boleto and payment links move no money until the payer acts, so after an ambiguous
    /// gateway outcome they may fail over (rule 4); a card charge may not.
    pub fn is_payer_initiated(self) -> bool {
        matches!(
            self,
            PaymentMethod::Pix | PaymentMethod::Boleto | PaymentMethod::Link
        )
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment method name payorch does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment method `{0}` (expected one of: pix, card, boleto, link)")]
pub struct UnknownPaymentMethod(pub String);

impl FromStr for PaymentMethod {
    type Err = UnknownPaymentMethod;
    fn from_str(s: &str) -> Result<Self, UnknownPaymentMethod> {
        PaymentMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPaymentMethod(s.to_string()))
    }
}

/// Where a charge is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    /// Accepted by payorch, no gateway answer yet.
    Pending,
    /// The payer must act: pay the Pix QR code or the boleto, or complete 3-D Secure.
    RequiresAction,
    /// The gateway is processing a payment.
    Processing,
    Succeeded,
    Failed,
    Canceled,
    Refunded,
    PartiallyRefunded,
    /// A gateway call's result is not known (rule 4); the reconciler resolves it.
    Unknown,
}

/// What to do with a reported status change, decided by [`ChargeStatus::transition`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The change moves the charge forward: apply it.
    Apply,
    /// A late or repeated report of a state already passed: record it, change nothing.
    Ignore,
    /// The report contradicts a final state (e.g. failed after succeeded): change nothing and
    /// flag it for an operator.
    Reject,
}

impl ChargeStatus {
    pub const ALL: [ChargeStatus; 9] = [
        ChargeStatus::Pending,
        ChargeStatus::RequiresAction,
        ChargeStatus::Processing,
        ChargeStatus::Succeeded,
        ChargeStatus::Failed,
        ChargeStatus::Canceled,
        ChargeStatus::Refunded,
        ChargeStatus::PartiallyRefunded,
        ChargeStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Pending => "pending",
            ChargeStatus::RequiresAction => "requires_action",
            ChargeStatus::Processing => "processing",
            ChargeStatus::Succeeded => "succeeded",
            ChargeStatus::Failed => "failed",
            ChargeStatus::Canceled => "canceled",
            ChargeStatus::Refunded => "refunded",
            ChargeStatus::PartiallyRefunded => "partially_refunded",
            ChargeStatus::Unknown => "unknown",
        }
    }

    /// No further status can apply: failed, canceled, refunded.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ChargeStatus::Failed | ChargeStatus::Canceled | ChargeStatus::Refunded
        )
    }

    /// Money reached the merchant (and may since have been partly or fully returned).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            ChargeStatus::Succeeded | ChargeStatus::PartiallyRefunded | ChargeStatus::Refunded
        )
    }

    /// Before any final answer: the payer may still pay, or the gateway may still decide.
    fn is_open(self) -> bool {
        matches!(
            self,
            ChargeStatus::Pending | ChargeStatus::RequiresAction | ChargeStatus::Processing
        )
    }

    /// The allowed transitions, in one place.
    ///
    /// - open states move forward: pending → requires_action → processing → a final answer;
    ///   a report of an earlier open state arrives late and is ignored; a refund of a charge
    ///   that was never paid is rejected;
    /// - `unknown` can resolve to any state but refunds (the reconciler asks the gateway);
    /// - succeeded → partially_refunded → refunded, and partially_refunded repeats (another
    ///   partial refund); a late open-state report after payment is ignored;
    /// - a report that contradicts a final outcome (failed after succeeded, succeeded after
    ///   canceled) is rejected for an operator to look at.
    pub fn transition(self, next: ChargeStatus) -> Transition {
        use ChargeStatus::*;
        use Transition::*;
        if self == next {
            return if self == PartiallyRefunded {
                Apply
            } else {
                Ignore
            };
        }
        match (self, next) {
            // Reports that something is still open, arriving after we know more.
            (_, Pending | RequiresAction | Processing) if !self.is_open() && self != Unknown => {
                Ignore
            }
            // Nothing was paid yet, so nothing can have been refunded.
            (Pending | RequiresAction | Processing, Refunded | PartiallyRefunded) => Reject,
            (Pending, _) => Apply,
            (RequiresAction, Pending) => Ignore,
            (RequiresAction, _) => Apply,
            (Processing, Pending | RequiresAction) => Ignore,
            (Processing, _) => Apply,
            (Unknown, Refunded | PartiallyRefunded) => Reject,
            (Unknown, _) => Apply,
            (Succeeded | PartiallyRefunded, Refunded | PartiallyRefunded) => Apply,
            (Succeeded | PartiallyRefunded | Refunded, Succeeded) => Ignore,
            (_, Unknown) => Ignore,
            _ => Reject,
        }
    }
}

impl fmt::Display for ChargeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name payorch does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown charge status `{0}` (expected one of: pending, requires_action, processing, succeeded, failed, canceled, refunded, partially_refunded, unknown)"
)]
pub struct UnknownChargeStatus(pub String);

impl FromStr for ChargeStatus {
    type Err = UnknownChargeStatus;
    fn from_str(s: &str) -> Result<Self, UnknownChargeStatus> {
        ChargeStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownChargeStatus(s.to_string()))
    }
}

/// How one gateway call ended (rule 3). Every adapter classifies every outcome as one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Success,
    /// A business answer (card declined): final, the gateway is healthy, no failover.
    Declined,
    /// Our request was wrong for that gateway: no failover, not a breaker failure.
    Invalid,
    /// The request never left (connection refused, DNS, TLS, breaker open): safe to fail over.
    UnavailableNotSent,
    /// The gateway may have acted (timeout after sending, reset mid-body, 5xx).
    UnavailableAmbiguous,
    /// 401/403: our credentials were refused.
    Auth,
    /// 429.
    RateLimited,
    /// Recorded before the request left (the write-ahead record, rule 5); no answer recorded
    /// yet. Found on a stored charge, it means the process making the call stopped: whoever
    /// resumes the charge asks that gateway what happened before trying another.
    InFlight,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Success => "success",
            AttemptOutcome::Declined => "declined",
            AttemptOutcome::Invalid => "invalid",
            AttemptOutcome::UnavailableNotSent => "unavailable_not_sent",
            AttemptOutcome::UnavailableAmbiguous => "unavailable_ambiguous",
            AttemptOutcome::Auth => "auth",
            AttemptOutcome::RateLimited => "rate_limited",
            AttemptOutcome::InFlight => "in_flight",
        }
    }

    /// Counts against the gateway's health in its circuit breaker.
    pub fn is_breaker_failure(self) -> bool {
        matches!(
            self,
            AttemptOutcome::UnavailableNotSent
                | AttemptOutcome::UnavailableAmbiguous
                | AttemptOutcome::Auth
                | AttemptOutcome::RateLimited
        )
    }

    /// The gateway may hold something for this attempt that payorch has not seen: the call's
    /// answer is unknown (ambiguous) or was never recorded (in flight).
    pub fn is_unresolved(self) -> bool {
        matches!(
            self,
            AttemptOutcome::UnavailableAmbiguous | AttemptOutcome::InFlight
        )
    }

    /// The gateway certainly did not create anything, so another gateway may be tried.
    pub fn is_safe_to_fail_over(self) -> bool {
        matches!(
            self,
            AttemptOutcome::UnavailableNotSent | AttemptOutcome::Auth | AttemptOutcome::RateLimited
        )
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One try at one gateway, kept on the charge for the operator.
/// `Attempt::gateway_code` of a call the circuit breaker refused: it never reached the gateway.
pub const BREAKER_OPEN_CODE: &str = "breaker_open";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub gateway: GatewayId,
    pub outcome: AttemptOutcome,
    pub latency_ms: u64,
    /// What went wrong, in words, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The gateway's own error or decline code (`card_declined`, `invalid_access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_code: Option<String>,
    /// The gateway's id for what it created, when it created something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_reference: Option<String>,
    /// The key the request carried at the gateway (its `Idempotency-Key`, the Efí txid's
    /// source, the Asaas `externalReference`), recorded before the request left, so whoever
    /// resumes the charge can ask that gateway about this very call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub at: Timestamp,
}

impl Attempt {
    /// The circuit breaker refused this call: no request was sent, so no gateway error.
    pub fn refused_by_breaker(&self) -> bool {
        self.gateway_code.as_deref() == Some(BREAKER_OPEN_CODE)
    }
}

/// The state of a refund at the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// The gateway accepted it but has not given the money back yet (Asaas `PENDING`, Efí
    /// `EM_PROCESSAMENTO`). Its amount stays reserved; the charge moves when it settles, by the
    /// gateway's webhook or the reconciler asking the gateway.
    Pending,
    Succeeded,
    Failed,
    /// Recorded before the request left for the gateway; its answer is not recorded yet. The
    /// amount is reserved (not refundable twice). Resumed with the same gateway key by a retry
    /// of the same `Idempotency-Key` or by the reconciler.
    InFlight,
}

/// Money returned to the payer, in full or in part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub amount: i64,
    pub status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the payer needs to pay a Pix charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixDetails {
    /// The EMV BR Code ("Pix copia e cola").
    pub copy_paste: String,
    /// A QR PNG (base64) stored by payorch before issue 16, kept so those rows load and are
    /// written back byte for byte. Nothing sets it any more and no view shows it: the QR is
    /// rendered on demand from `copy_paste` (`GET /v1/charges/{id}/pix.png`,
    /// `expand[]=pix.qr_code_png`), never carried in the charge, its events or its answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code_png: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// What the payer needs to pay a boleto.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoletoDetails {
    /// The "linha digitável" typed at a bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digitable_line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    /// A printable PDF/page at the gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
}

/// What the payer needs to pay through a payment link: the gateway's hosted page, where they
/// choose how to pay (Asaas's `invoiceUrl`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDetails {
    pub url: String,
    /// When the page stops taking payments; the charge is then canceled, like an expired Pix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// Why a charge failed, for the merchant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeFailure {
    pub code: String,
    pub message: String,
}

/// A charge: the one normalized shape every gateway's payment is mapped to.
///
/// Its invariants are private: the status changes only through [`Charge::apply_status`] (the
/// transition), the amount is a [`Money`] (positive, with its currency), and the amount
/// refunded never exceeds it. Everything else is plain data.
///
/// Its stored form (the SQLite body) is the record in `src/model/charge/record.rs`, unchanged
/// since the fields were public; what the API and webhooks show is `api::view`
/// (`src/api/view.rs`), written apart so a rename here cannot change a merchant's JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "record::Record", into = "record::Record")]
pub struct Charge {
    pub id: ChargeId,
    pub tenant: TenantId,
    status: ChargeStatus,
    money: Money,
    /// Minor units returned so far.
    amount_refunded: i64,
    pub method: PaymentMethod,
    /// The gateway that holds the charge, once one accepted it.
    pub gateway: Option<GatewayId>,
    /// That gateway's id for it (txid, `pi_…`, `pay_…`).
    pub gateway_reference: Option<String>,
    pub pix: Option<PixDetails>,
    pub boleto: Option<BoletoDetails>,
    /// The payment link, for `link` charges while they are payable.
    pub link: Option<LinkDetails>,
    pub attempts: Vec<Attempt>,
    pub refunds: Vec<Refund>,
    pub customer: Customer,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub failure: Option<ChargeFailure>,
    /// What the gateway took for it, once it succeeded (see [`Charge::settle_fee`]); `None`
    /// before, or when neither the gateway nor the fee schedule says.
    pub fee: Option<Fee>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Charge {
    /// A new `pending` charge of `money` at `now`: no gateway, attempts, refunds, description,
    /// metadata or failure yet (set the public fields after).
    pub fn new(
        id: ChargeId,
        tenant: TenantId,
        money: Money,
        method: PaymentMethod,
        customer: Customer,
        now: Timestamp,
    ) -> Charge {
        Charge {
            id,
            tenant,
            status: ChargeStatus::Pending,
            money,
            amount_refunded: 0,
            method,
            gateway: None,
            gateway_reference: None,
            pix: None,
            boleto: None,
            link: None,
            attempts: Vec::new(),
            refunds: Vec::new(),
            customer,
            description: None,
            metadata: BTreeMap::new(),
            failure: None,
            fee: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Where the charge is in its life; changed only by [`Charge::apply_status`].
    pub fn status(&self) -> ChargeStatus {
        self.status
    }

    /// The charged amount.
    pub fn money(&self) -> Money {
        self.money
    }

    /// The charged amount in minor units.
    pub fn amount(&self) -> i64 {
        self.money.minor()
    }

    pub fn currency(&self) -> Currency {
        self.money.currency()
    }

    /// Minor units returned so far (never more than the amount).
    pub fn amount_refunded(&self) -> i64 {
        self.amount_refunded
    }

    /// Records that `total` minor units have been returned so far, capped at the amount.
    pub fn set_amount_refunded(&mut self, total: i64) {
        self.amount_refunded = total.clamp(0, self.amount());
    }

    /// This charge as it was first recorded: `pending`, everything else as it is now. For a flow
    /// that decided before its first write: the charge is stored pending, then its outcome with
    /// its news. Crate-private: outside the flows it would be a way around the transition.
    pub(crate) fn as_pending(&self) -> Charge {
        Charge {
            status: ChargeStatus::Pending,
            ..self.clone()
        }
    }

    /// Minor units that can still be refunded: the amount less what was refunded and what
    /// refunds in flight or pending at the gateway have reserved.
    pub fn refundable(&self) -> i64 {
        if self.status.is_paid() {
            let reserved: i64 = self
                .refunds
                .iter()
                .filter(|r| matches!(r.status, RefundStatus::InFlight | RefundStatus::Pending))
                .map(|r| r.amount)
                .sum();
            (self.amount() - self.amount_refunded - reserved).max(0)
        } else {
            0
        }
    }

    /// The last attempt that reached for a gateway (a call the breaker refused never did), if
    /// its answer is unknown: the gateway to ask before any other is tried (rule 4). Only the
    /// last can be unresolved: a flow moves on from a gateway only once it is resolved, or, for
    /// Pix and boleto, once it was recorded as a possible orphan.
    pub fn unresolved_attempt(&self) -> Option<&Attempt> {
        self.attempts
            .iter()
            .rev()
            .find(|a| !a.refused_by_breaker())
            .filter(|a| a.outcome.is_unresolved())
    }

    /// Records the charge's fee once it is paid: the gateway's own figure when `reported` has
    /// one (it replaces an earlier estimate), otherwise, if no fee is known yet, the estimate
    /// from `schedule` for the gateway that holds it. Before payment nothing is recorded. A
    /// refund leaves the fee as it is: none of the gateways payorch speaks to returns its fee
    /// on a refund (README, "Costs").
    pub fn settle_fee(&mut self, reported: Option<Fee>, schedule: &FeeSchedule) {
        if !self.status.is_paid() {
            return;
        }
        if let Some(fee) = reported.filter(|f| f.source == FeeSource::Gateway) {
            self.fee = Some(fee);
        } else if self.fee.is_none()
            && let Some(g) = self.gateway
        {
            self.fee = schedule.estimate(g, self.method, self.money);
        }
    }

    /// Moves the charge to `next` when [`ChargeStatus::transition`] allows it. Returns the
    /// decision so the caller can record ignored and rejected reports.
    pub fn apply_status(&mut self, next: ChargeStatus, now: Timestamp) -> Transition {
        let decision = self.status.transition(next);
        if decision == Transition::Apply {
            self.status = next;
            self.updated_at = now;
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChargeStatus::*;

    fn t(from: ChargeStatus, to: ChargeStatus) -> Transition {
        from.transition(to)
    }

    #[test]
    fn the_happy_paths_apply() {
        for (a, b) in [
            (Pending, RequiresAction),
            (Pending, Succeeded),
            (Pending, Unknown),
            (RequiresAction, Processing),
            (RequiresAction, Succeeded),
            (RequiresAction, Canceled),
            (Processing, Succeeded),
            (Processing, Failed),
            (Succeeded, PartiallyRefunded),
            (PartiallyRefunded, PartiallyRefunded),
            (PartiallyRefunded, Refunded),
            (Succeeded, Refunded),
            (Unknown, Succeeded),
            (Unknown, Failed),
            (Unknown, RequiresAction),
        ] {
            assert_eq!(t(a, b), Transition::Apply, "{a} -> {b}");
        }
    }

    #[test]
    fn late_reports_never_move_a_charge_backwards() {
        for (a, b) in [
            (Succeeded, Pending),
            (Succeeded, RequiresAction),
            (Succeeded, Processing),
            (Refunded, Succeeded),
            (PartiallyRefunded, Succeeded),
            (Processing, RequiresAction),
            (RequiresAction, Pending),
            (Failed, Pending),
            (Canceled, RequiresAction),
            (Succeeded, Unknown),
            (Succeeded, Succeeded),
            (Failed, Failed),
        ] {
            assert_eq!(t(a, b), Transition::Ignore, "{a} -> {b}");
        }
    }

    #[test]
    fn contradictions_are_rejected() {
        for (a, b) in [
            (Succeeded, Failed),
            (Succeeded, Canceled),
            (Failed, Succeeded),
            (Canceled, Succeeded),
            (Refunded, PartiallyRefunded),
            (Refunded, Failed),
            (Pending, Refunded),
            (RequiresAction, PartiallyRefunded),
            (Unknown, Refunded),
        ] {
            assert_eq!(t(a, b), Transition::Reject, "{a} -> {b}");
        }
    }

    #[test]
    fn final_states_only_ever_ignore_or_reject() {
        for from in ChargeStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in ChargeStatus::ALL {
                assert_ne!(t(from, to), Transition::Apply, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn a_paid_charge_is_never_unpaid_by_a_report() {
        for from in ChargeStatus::ALL.into_iter().filter(|s| s.is_paid()) {
            for to in ChargeStatus::ALL {
                if t(from, to) == Transition::Apply {
                    assert!(to.is_paid(), "{from} -> {to}");
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in ChargeStatus::ALL {
            assert_eq!(s.as_str().parse::<ChargeStatus>().unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert!("paid".parse::<ChargeStatus>().is_err());
        for m in PaymentMethod::ALL {
            assert_eq!(m.as_str().parse::<PaymentMethod>().unwrap(), m);
        }
        assert_eq!("PIX".parse::<PaymentMethod>().unwrap(), PaymentMethod::Pix);
        assert!("cash".parse::<PaymentMethod>().is_err());
    }

    /// A payment link moves no money until the payer acts on its page: after an ambiguous
    /// create it may fail over, its possible orphan cancelled (rule 4), as for Pix and boleto.
    #[test]
    fn links_are_payer_initiated() {
        assert_eq!(
            "link".parse::<PaymentMethod>().unwrap(),
            PaymentMethod::Link
        );
        assert!(PaymentMethod::Link.is_payer_initiated());
        assert!(!PaymentMethod::Card.is_payer_initiated());
    }

    /// A stored link round-trips; a row written before links (no `link` key) still loads.
    #[test]
    fn stored_links_round_trip_and_old_rows_load() {
        let now = Timestamp::parse_rfc3339("2026-12-05T08:00:00Z").unwrap();
        let mut c = Charge::new(
            ChargeId::generate(),
            TenantId::default_tenant(),
            Money::from_minor(1990, Currency::Brl).unwrap(),
            PaymentMethod::Link,
            Customer::parse("Maria Silva", None, Some("529.982.247-25"), Currency::Brl).unwrap(),
            now,
        );
        c.link = Some(LinkDetails {
            url: "https://www.asaas.com/i/080225913252".into(),
            expires_at: Some(now),
        });
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["method"], "link");
        assert_eq!(json["link"]["url"], "https://www.asaas.com/i/080225913252");
        assert_eq!(serde_json::from_value::<Charge>(json.clone()).unwrap(), c);
        let mut old = json;
        old.as_object_mut().unwrap().remove("link");
        old["method"] = "pix".into();
        let loaded: Charge = serde_json::from_value(old).unwrap();
        assert_eq!(loaded.link, None);
        assert_eq!(loaded.method, PaymentMethod::Pix);
    }

    #[test]
    fn outcome_classes_follow_rule_3() {
        use AttemptOutcome::*;
        for o in [Success, Declined, Invalid] {
            assert!(!o.is_breaker_failure() && !o.is_safe_to_fail_over(), "{o}");
        }
        for o in [UnavailableNotSent, Auth, RateLimited] {
            assert!(o.is_breaker_failure() && o.is_safe_to_fail_over(), "{o}");
        }
        assert!(UnavailableAmbiguous.is_breaker_failure());
        assert!(!UnavailableAmbiguous.is_safe_to_fail_over());
    }
}
