//! Which payment gateway: the closed set payorch has adapters for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A gateway payorch can route to. The adapters live in `gateway/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayId {
    Stripe,
    Efi,
    Asaas,
}

/// A gateway name payorch does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown gateway `{0}` (expected one of: stripe, efi, asaas)")]
pub struct UnknownGateway(pub String);

impl GatewayId {
    pub const ALL: [GatewayId; 3] = [GatewayId::Stripe, GatewayId::Efi, GatewayId::Asaas];

    pub fn as_str(self) -> &'static str {
        match self {
            GatewayId::Stripe => "stripe",
            GatewayId::Efi => "efi",
            GatewayId::Asaas => "asaas",
        }
    }
}

impl fmt::Display for GatewayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GatewayId {
    type Err = UnknownGateway;
    fn from_str(s: &str) -> Result<Self, UnknownGateway> {
        match s.trim().to_ascii_lowercase().as_str() {
            "stripe" => Ok(GatewayId::Stripe),
            "efi" | "efí" | "gerencianet" => Ok(GatewayId::Efi),
            "asaas" => Ok(GatewayId::Asaas),
            _ => Err(UnknownGateway(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases() {
        assert_eq!("Stripe".parse::<GatewayId>().unwrap(), GatewayId::Stripe);
        assert_eq!("efí".parse::<GatewayId>().unwrap(), GatewayId::Efi);
        let err = "paypal".parse::<GatewayId>().unwrap_err();
        assert!(err.to_string().contains("paypal"));
        for g in GatewayId::ALL {
            assert_eq!(g.as_str().parse::<GatewayId>().unwrap(), g);
        }
    }
}
