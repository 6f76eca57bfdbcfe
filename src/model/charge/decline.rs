//! A decline, told apart from a technical failure. A charge the gateway (for a card, the
//! issuer) refused is `failed`, as Stripe's status model has it, but an operator and a merchant
//! must see that it was *declined* and why (`insufficient_funds`), not that payorch or a gateway
//! broke. [`Charge::decline_code`] derives it from the record, and a charge's JSON carries it as
//! `decline_code` (additive: only declined charges have it). It is computed on every write of
//! the JSON (the stored record's and the API view's) and ignored on reading, so it can never
//! disagree with the record.

use super::{AttemptOutcome, Charge, ChargeStatus};

/// The reason given for a decline that came without one (Stripe's word for it).
pub(crate) const GENERIC_DECLINE: &str = "generic_decline";

impl Charge {
    /// Why the charge was declined, when it was: it `failed` because the gateway (for a card,
    /// the issuer) refused the payment, a business answer, rather than for a technical reason
    /// (no gateway available, an invalid request, an outcome never learned). Declined means the
    /// last attempt that reached a gateway was answered `declined`, or was accepted and the
    /// gateway then reported the payment failed. The reason is the failure's code
    /// (`insufficient_funds`, `card_declined`, …), else the attempt's gateway code, else
    /// [`GENERIC_DECLINE`]. The status stays `failed` (as Stripe's does).
    pub fn decline_code(&self) -> Option<&str> {
        if self.status != ChargeStatus::Failed {
            return None;
        }
        let last = self
            .attempts
            .iter()
            .rev()
            .find(|a| !a.refused_by_breaker())?;
        if !matches!(
            last.outcome,
            AttemptOutcome::Declined | AttemptOutcome::Success
        ) {
            return None;
        }
        let code = self
            .failure
            .as_ref()
            .map(|f| f.code.as_str())
            .or(last.gateway_code.as_deref())
            .filter(|c| !c.trim().is_empty() && *c != AttemptOutcome::Declined.as_str());
        Some(code.unwrap_or(GENERIC_DECLINE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::id::ChargeId;
    use crate::model::{
        Attempt, BREAKER_OPEN_CODE, ChargeFailure, Currency, Customer, Event, EventType, GatewayId,
        Money, PaymentMethod, TenantId,
    };

    fn attempt(gateway: GatewayId, outcome: AttemptOutcome, code: Option<&str>) -> Attempt {
        Attempt {
            gateway,
            outcome,
            latency_ms: 40,
            error: None,
            gateway_code: code.map(String::from),
            gateway_reference: None,
            idempotency_key: None,
            at: Timestamp::from_unix_millis(1),
        }
    }

    /// A card charge with `attempts` that ended `failed` with `failure`'s code, if any.
    fn failed(attempts: Vec<Attempt>, failure: Option<&str>) -> Charge {
        let at = Timestamp::from_unix_millis(1);
        let mut c = Charge::new(
            ChargeId::generate(),
            TenantId::parse("acme").unwrap(),
            Money::from_minor(5000, Currency::Usd).unwrap(),
            PaymentMethod::Card,
            Customer {
                name: "Ann".into(),
                email: None,
                document: None,
            },
            at,
        );
        c.gateway = attempts.last().map(|a| a.gateway);
        c.attempts = attempts;
        c.failure = failure.map(|code| ChargeFailure {
            code: code.into(),
            message: "why".into(),
        });
        c.apply_status(ChargeStatus::Failed, at);
        c
    }

    use AttemptOutcome::*;
    use GatewayId::{Asaas, Stripe};

    #[test]
    fn a_declined_attempt_is_a_decline_with_its_reason() {
        let c = failed(
            vec![attempt(Stripe, Declined, Some("insufficient_funds"))],
            Some("insufficient_funds"),
        );
        assert_eq!(c.decline_code(), Some("insufficient_funds"));
        // Without a failure code, the gateway's; without either, the generic reason.
        let c = failed(
            vec![attempt(Asaas, Declined, Some("invalid_creditCard"))],
            None,
        );
        assert_eq!(c.decline_code(), Some("invalid_creditCard"));
        let c = failed(vec![attempt(Stripe, Declined, None)], Some("declined"));
        assert_eq!(c.decline_code(), Some(GENERIC_DECLINE));
        // Accepted, then reported failed by the gateway (a webhook, a lookup): declined too.
        let c = failed(vec![attempt(Stripe, Success, None)], Some("card_declined"));
        assert_eq!(c.decline_code(), Some("card_declined"));
        // Breaker refusals after the call that was answered do not hide it.
        let c = failed(
            vec![
                attempt(Stripe, Declined, Some("do_not_honor")),
                attempt(Asaas, UnavailableNotSent, Some(BREAKER_OPEN_CODE)),
            ],
            None,
        );
        assert_eq!(c.decline_code(), Some("do_not_honor"));
    }

    #[test]
    fn technical_failures_and_other_statuses_are_no_decline() {
        for (attempts, code) in [
            (vec![], "gateway_unavailable"),
            (
                vec![attempt(Stripe, UnavailableNotSent, Some(BREAKER_OPEN_CODE))],
                "gateway_unavailable",
            ),
            (vec![attempt(Stripe, Auth, None)], "gateway_unavailable"),
            (
                vec![attempt(Asaas, Invalid, Some("invalid_remoteIp"))],
                "invalid_remoteIp",
            ),
            (
                vec![attempt(Stripe, UnavailableAmbiguous, None)],
                "not_created",
            ),
        ] {
            let c = failed(attempts, Some(code));
            assert_eq!(c.decline_code(), None, "{code}");
        }
        let mut c = failed(vec![attempt(Stripe, Declined, None)], Some("card_declined"));
        c.status = ChargeStatus::Unknown;
        assert_eq!(c.decline_code(), None);
    }

    #[test]
    fn the_json_carries_the_decline_additively_and_reads_back_the_same_charge() {
        let declined = failed(
            vec![attempt(Stripe, Declined, Some("insufficient_funds"))],
            Some("insufficient_funds"),
        );
        let json = serde_json::to_value(&declined).unwrap();
        assert_eq!(json["status"], "failed", "the status model stays Stripe's");
        assert_eq!(json["decline_code"], "insufficient_funds");
        assert_eq!(json["amount"], 5000);
        let back: Charge = serde_json::from_value(json).unwrap();
        assert_eq!(back, declined);
        // The event a merchant receives says so too.
        let event = Event::for_charge(&declined, Timestamp::from_unix_millis(2));
        assert_eq!(event.kind, EventType::ChargeFailed);
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["data"]["charge"]["decline_code"], "insufficient_funds");
        // A technical failure has no such field at all.
        let broken = failed(vec![], Some("gateway_unavailable"));
        let json = serde_json::to_value(&broken).unwrap();
        assert!(json.get("decline_code").is_none(), "{json}");
        assert_eq!(
            serde_json::from_value::<Charge>(json).unwrap(),
            broken,
            "round trip"
        );
    }
}
