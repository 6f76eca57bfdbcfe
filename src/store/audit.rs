//! What an audit entry says was done: one [`AuditAction`] per operator action, stored and
//! printed as its `noun.verb` text (`gateway.switch`, `apikey.create`). The text is the stored
//! format (the `action` column and the entry's body) and what `payorch audit` prints, so a
//! variant's [`AuditAction::as_str`] never changes; a new action is a new variant.

use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::text_enum::text_enum;

text_enum! {
    /// One kind of operator action in the audit log.
    pub enum AuditAction {
        /// `payorch tenant create`.
        TenantCreate => "tenant.create",
        /// `payorch apikey create`.
        ApiKeyCreate => "apikey.create",
        /// `payorch apikey revoke`.
        ApiKeyRevoke => "apikey.revoke",
        /// `payorch apikey update` (a key's own rate limit).
        ApiKeyUpdate => "apikey.update",
        /// A new primary gateway (`payorch gateway switch`, the dashboard).
        GatewaySwitch => "gateway.switch",
        /// New fallbacks (`payorch gateway fallback`).
        GatewayFallback => "gateway.fallback",
        /// A new routing strategy (`payorch gateway strategy`).
        GatewayStrategy => "gateway.strategy",
        /// A breaker forced open.
        BreakerOpen => "breaker.open",
        /// A breaker forced closed.
        BreakerClose => "breaker.close",
        /// A breaker back to automatic.
        BreakerAuto => "breaker.auto",
        /// Dead letters replayed.
        DlqReplay => "dlq.replay",
        /// Dead letters purged.
        DlqPurge => "dlq.purge",
        /// `payorch datakey rotate`.
        DataKeyRotate => "datakey.rotate",
        /// `payorch datakey import`.
        DataKeyImport => "datakey.import",
        /// `payorch events resend`.
        EventsResend => "events.resend",
        /// `payorch gateway credentials set`.
        CredentialsSet => "credentials.set",
        /// `payorch gateway credentials delete`.
        CredentialsDelete => "credentials.delete",
        /// `payorch webhook endpoint set`.
        WebhookEndpointSet => "webhook.endpoint_set",
        /// `payorch webhook endpoint enable`.
        WebhookEndpointEnable => "webhook.endpoint_enable",
        /// `payorch webhook endpoint disable`, `POST /v1/webhook_endpoint/disable`.
        WebhookEndpointDisable => "webhook.endpoint_disable",
        /// `payorch webhook secret rotate`.
        WebhookSecretRotate => "webhook.secret_rotate",
        /// `payorch charge refund`.
        ChargeRefund => "charge.refund",
    }
}

/// Text in the audit log that names no [`AuditAction`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit action `{0}`")]
pub struct UnknownAuditAction(pub String);

impl FromStr for AuditAction {
    type Err = UnknownAuditAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::from_text(s).ok_or_else(|| UnknownAuditAction(s.to_string()))
    }
}

impl Serialize for AuditAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored text of every action, as it was written before the enum existed: changing one
    /// would orphan entries already in the log.
    #[test]
    fn every_action_keeps_its_stored_text() {
        let texts: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            texts,
            [
                "tenant.create",
                "apikey.create",
                "apikey.revoke",
                "apikey.update",
                "gateway.switch",
                "gateway.fallback",
                "gateway.strategy",
                "breaker.open",
                "breaker.close",
                "breaker.auto",
                "dlq.replay",
                "dlq.purge",
                "datakey.rotate",
                "datakey.import",
                "events.resend",
                "credentials.set",
                "credentials.delete",
                "webhook.endpoint_set",
                "webhook.endpoint_enable",
                "webhook.endpoint_disable",
                "webhook.secret_rotate",
                "charge.refund",
            ]
        );
    }

    #[test]
    fn text_parses_back_and_serializes_as_the_same_string() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(*action));
            assert_eq!(action.to_string(), action.as_str());
            let json = serde_json::to_string(action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(serde_json::from_str::<AuditAction>(&json).unwrap(), *action);
        }
        assert_eq!(
            "gateway.teleport".parse::<AuditAction>(),
            Err(UnknownAuditAction("gateway.teleport".into()))
        );
        assert!(serde_json::from_str::<AuditAction>("\"gateway.teleport\"").is_err());
    }
}
