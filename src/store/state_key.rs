//! The names of shared state documents. A document is stored under (tenant, kind, name) as
//! text; [`StateKind`] types the kind and [`StateDoc`] the whole name, so the text is written
//! in one place ([`StateDoc::key`]) and read back in one place ([`StateDoc::parse`]) instead of
//! being assembled with `format!` and split by each user. The texts are the stored format: a
//! variant's rendering never changes.

use std::str::FromStr;

use super::StateKey;
use super::text_enum::text_enum;
use crate::id::{ChargeId, RefundId};
use crate::model::{GatewayId, TenantId};

text_enum! {
    /// What a state document is about: the `kind` part of its key.
    pub enum StateKind {
        /// A (tenant, gateway) breaker shared by the fleet (`src/fleet/`); name: the gateway.
        Breaker => "breaker",
        /// A gateway's newest failure, fleet-wide, apart from its breaker; name: the gateway.
        GatewayError => "gateway_error",
        /// A tenant's routing table; name: `table`.
        Routing => "routing",
        /// A tenant's merchant webhook endpoint and its secrets; name: `default`.
        WebhookEndpoint => "webhook_endpoint",
        /// A Pix/boleto charge that may exist at a gateway payorch left; name: `<charge>:<gateway>`.
        Orphan => "orphan",
        /// A refund recorded in flight, for the reconciler; name: `<charge>:<refund>`.
        Refund => "refund",
        /// A paid charge whose gateway's own fee is still to be read; name: `<charge>`.
        Fee => "fee",
    }
}

impl FromStr for StateKind {
    type Err = BadStateName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StateKind::from_text(s)
            .ok_or_else(|| BadStateName(format!("unknown state document kind `{s}`")))
    }
}

/// The name of a routing table's document.
const ROUTING_TABLE: &str = "table";
/// The name of a webhook endpoint's document.
const WEBHOOK_ENDPOINT: &str = "default";

/// One state document of a tenant, by what it is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StateDoc {
    Breaker(GatewayId),
    GatewayError(GatewayId),
    RoutingTable,
    WebhookEndpoint,
    Orphan {
        charge: ChargeId,
        gateway: GatewayId,
    },
    Refund {
        charge: ChargeId,
        refund: RefundId,
    },
    Fee(ChargeId),
}

/// A stored kind or name that is not one payorch writes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadStateName(pub String);

impl StateDoc {
    pub fn kind(&self) -> StateKind {
        match self {
            StateDoc::Breaker(_) => StateKind::Breaker,
            StateDoc::GatewayError(_) => StateKind::GatewayError,
            StateDoc::RoutingTable => StateKind::Routing,
            StateDoc::WebhookEndpoint => StateKind::WebhookEndpoint,
            StateDoc::Orphan { .. } => StateKind::Orphan,
            StateDoc::Refund { .. } => StateKind::Refund,
            StateDoc::Fee(_) => StateKind::Fee,
        }
    }

    /// The stored name.
    pub fn name(&self) -> String {
        match self {
            StateDoc::Breaker(gateway) | StateDoc::GatewayError(gateway) => gateway.to_string(),
            StateDoc::RoutingTable => ROUTING_TABLE.to_string(),
            StateDoc::WebhookEndpoint => WEBHOOK_ENDPOINT.to_string(),
            StateDoc::Orphan { charge, gateway } => format!("{charge}:{gateway}"),
            StateDoc::Refund { charge, refund } => format!("{charge}:{refund}"),
            StateDoc::Fee(charge) => charge.to_string(),
        }
    }

    /// This document's key for `tenant`.
    pub fn key(&self, tenant: &TenantId) -> StateKey {
        StateKey {
            tenant: tenant.clone(),
            kind: self.kind(),
            name: self.name(),
        }
    }

    /// The document a stored (kind, name) names, e.g. one listed by `list_state`.
    pub fn parse(kind: StateKind, name: &str) -> Result<StateDoc, BadStateName> {
        let bad = || BadStateName(format!("`{name}` is not a {kind} document's name"));
        let pair = || name.split_once(':').ok_or_else(bad);
        Ok(match kind {
            StateKind::Breaker => StateDoc::Breaker(name.parse().map_err(|_| bad())?),
            StateKind::GatewayError => StateDoc::GatewayError(name.parse().map_err(|_| bad())?),
            StateKind::Routing if name == ROUTING_TABLE => StateDoc::RoutingTable,
            StateKind::WebhookEndpoint if name == WEBHOOK_ENDPOINT => StateDoc::WebhookEndpoint,
            StateKind::Routing | StateKind::WebhookEndpoint => return Err(bad()),
            StateKind::Orphan => {
                let (charge, gateway) = pair()?;
                StateDoc::Orphan {
                    charge: charge.parse().map_err(|_| bad())?,
                    gateway: gateway.parse().map_err(|_| bad())?,
                }
            }
            StateKind::Refund => {
                let (charge, refund) = pair()?;
                StateDoc::Refund {
                    charge: charge.parse().map_err(|_| bad())?,
                    refund: refund.parse().map_err(|_| bad())?,
                }
            }
            StateKind::Fee => StateDoc::Fee(name.parse().map_err(|_| bad())?),
        })
    }
}

impl StateKey {
    /// `doc`'s key for `tenant` (see [`StateDoc::key`]).
    pub fn new(tenant: &TenantId, doc: &StateDoc) -> StateKey {
        doc.key(tenant)
    }

    /// The document this key names.
    pub fn doc(&self) -> Result<StateDoc, BadStateName> {
        StateDoc::parse(self.kind, &self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_stored_text_and_parse_back() {
        let texts: Vec<&str> = StateKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            texts,
            [
                "breaker",
                "gateway_error",
                "routing",
                "webhook_endpoint",
                "orphan",
                "refund",
                "fee"
            ]
        );
        for kind in StateKind::ALL {
            assert_eq!(kind.as_str().parse::<StateKind>(), Ok(*kind));
        }
        assert!("breakers".parse::<StateKind>().is_err());
    }

    /// Every document renders today's (kind, name) text and reads back as itself.
    #[test]
    fn names_render_the_stored_text_and_round_trip() {
        let (charge, refund) = (ChargeId::generate(), RefundId::generate());
        let tenant = TenantId::default_tenant();
        let cases = [
            (
                StateDoc::Breaker(GatewayId::Stripe),
                "breaker",
                "stripe".to_string(),
            ),
            (
                StateDoc::GatewayError(GatewayId::Efi),
                "gateway_error",
                "efi".to_string(),
            ),
            (StateDoc::RoutingTable, "routing", "table".to_string()),
            (
                StateDoc::WebhookEndpoint,
                "webhook_endpoint",
                "default".to_string(),
            ),
            (
                StateDoc::Orphan {
                    charge: charge.clone(),
                    gateway: GatewayId::Asaas,
                },
                "orphan",
                format!("{charge}:asaas"),
            ),
            (
                StateDoc::Refund {
                    charge: charge.clone(),
                    refund: refund.clone(),
                },
                "refund",
                format!("{charge}:{refund}"),
            ),
            (StateDoc::Fee(charge.clone()), "fee", charge.to_string()),
        ];
        for (doc, kind, name) in cases {
            let key = doc.key(&tenant);
            assert_eq!(
                (key.kind.as_str(), key.name.as_str()),
                (kind, name.as_str())
            );
            assert_eq!(key.tenant, tenant);
            assert_eq!(key.doc(), Ok(doc.clone()));
            assert_eq!(StateDoc::parse(kind.parse().unwrap(), &name), Ok(doc));
        }
    }

    #[test]
    fn names_payorch_never_writes_are_refused() {
        for (kind, name) in [
            (StateKind::Breaker, "paypal"),
            (StateKind::Routing, "default"),
            (StateKind::WebhookEndpoint, "table"),
            (StateKind::Orphan, "ch_x"),
            (StateKind::Refund, "not:ids"),
        ] {
            assert!(StateDoc::parse(kind, name).is_err(), "{kind} {name}");
        }
    }
}
