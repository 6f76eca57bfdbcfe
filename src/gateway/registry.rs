//! Builds the gateway adapters payorch can route to, from the config's non-secret settings and
//! each gateway's resolved credentials. A gateway that is disabled, or whose credentials are
//! incomplete, is left out with the reason, so `serve` runs on the gateways it has and
//! operators see why the others are missing.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Gateway;
use super::asaas::{AsaasCredentials, AsaasGateway};
use super::efi::{EfiCredentials, EfiGateway};
use super::settings::GatewaysConfig;
use super::stripe::{StripeCredentials, StripeGateway};
use crate::credentials::{self, CredentialError, Credentials, ResolvedField, Source};
use crate::model::{GatewayId, TenantId};

/// The Pix key (chave) used with the sandbox when `gateways.efi.pix_key` is not configured.
pub const SANDBOX_PIX_KEY: &str = "sandbox@payorch.dev";

/// What the registry reads of a running sandbox's info document (`GET /_sandbox/info`, which
/// the sandbox server produces, a superset of this): where each fake listens and the test
/// credentials it accepts. A contract of the gateway side, so production code never depends on
/// the fakes; fields the registry does not need are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInfo {
    pub gateways: BTreeMap<GatewayId, SandboxGateway>,
}

/// One fake as the registry points an adapter at it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxGateway {
    /// The fake's own listener (the one that refuses connections when it is down).
    pub base_url: String,
    /// The test credentials the fake accepts, by credential field name.
    pub credentials: BTreeMap<String, String>,
}

/// The adapters that could be built, and why the others could not.
#[derive(Default)]
pub struct Gateways {
    pub available: BTreeMap<GatewayId, Arc<dyn Gateway>>,
    /// Gateways left out, with the reason (disabled, a missing credential, a bad certificate).
    pub unavailable: BTreeMap<GatewayId, String>,
}

impl Gateways {
    pub fn get(&self, id: GatewayId) -> Option<&Arc<dyn Gateway>> {
        self.available.get(&id)
    }
}

/// Builds every enabled gateway. `credentials` resolves one gateway's secrets (keyring and env
/// vars in production; the sandbox's test credentials with `--sandbox`).
pub fn build(
    config: &GatewaysConfig,
    mut credentials: impl FnMut(GatewayId) -> Result<Credentials, CredentialError>,
) -> Gateways {
    let mut out = Gateways::default();
    for id in GatewayId::ALL {
        let enabled = match id {
            GatewayId::Stripe => config.stripe.enabled,
            GatewayId::Efi => config.efi.enabled,
            GatewayId::Asaas => config.asaas.enabled,
        };
        if !enabled {
            out.unavailable.insert(
                id,
                format!("disabled in the config (gateways.{id}.enabled = false)"),
            );
            continue;
        }
        let built = credentials(id)
            .map_err(|e| e.to_string())
            .and_then(|creds| build_one(config, id, &creds));
        match built {
            Ok(gateway) => {
                out.available.insert(id, gateway);
            }
            Err(reason) => {
                out.unavailable.insert(id, reason);
            }
        }
    }
    out
}

fn build_one(
    config: &GatewaysConfig,
    id: GatewayId,
    creds: &Credentials,
) -> Result<Arc<dyn Gateway>, String> {
    let optional = |field: &str| creds.get(field).cloned();
    let required = |field: &str| {
        creds
            .require(field)
            .cloned()
            .map_err(|e: CredentialError| e.to_string())
    };
    let built: Result<Arc<dyn Gateway>, super::GatewayError> = match id {
        GatewayId::Stripe => StripeGateway::new(
            &config.stripe,
            StripeCredentials {
                secret_key: required("secret_key")?,
                webhook_secret: optional("webhook_secret"),
            },
        )
        .map(|g| Arc::new(g) as Arc<dyn Gateway>),
        GatewayId::Efi => EfiGateway::new(
            &config.efi,
            EfiCredentials {
                client_id: required("client_id")?,
                client_secret: required("client_secret")?,
                webhook_hmac: optional("webhook_hmac"),
            },
        )
        .map(|g| Arc::new(g.for_tenant(&creds.tenant)) as Arc<dyn Gateway>),
        GatewayId::Asaas => AsaasGateway::new(
            &config.asaas,
            AsaasCredentials {
                api_key: required("api_key")?,
                webhook_token: optional("webhook_token"),
            },
        )
        .map(|g| Arc::new(g) as Arc<dyn Gateway>),
    };
    built.map_err(|e| e.message)
}

/// Builds the gateways against a running `payorch sandbox` (`--sandbox URL`): each adapter is
/// pointed at the fake's own listener (the one that refuses connections when the fake is
/// `down`) with the test credentials the sandbox advertises. Timeouts and the Efí Pix key come
/// from `config` (a sandbox default key when none is set).
pub fn for_sandbox(config: &GatewaysConfig, info: &SandboxInfo, tenant: &TenantId) -> Gateways {
    let mut config = config.clone();
    // The sandbox says where its fakes listen: the same base URL policy as the config's, so a
    // sandbox URL that is not the operator's own cannot get credentials sent in clear.
    let mut refused = BTreeMap::new();
    for (id, gw) in &info.gateways {
        if let Err(why) = crate::egress::check_base_url(&gw.base_url, false) {
            refused.insert(*id, format!("the sandbox's base URL for {id}: {why}"));
        }
        match id {
            GatewayId::Stripe => config.stripe.base_url = gw.base_url.clone(),
            GatewayId::Efi => {
                // The fake serves the API Cobranças (payment links) on the same listener.
                config.efi.base_url = gw.base_url.clone();
                config.efi.cobrancas_base_url = gw.base_url.clone();
            }
            GatewayId::Asaas => config.asaas.base_url = gw.base_url.clone(),
        }
    }
    if config.efi.pix_key.is_none() {
        config.efi.pix_key = Some(SANDBOX_PIX_KEY.to_string());
    }
    let mut built = build(&config, |id| {
        let advertised = info.gateways.get(&id);
        let fields = credentials::fields(id)
            .iter()
            .map(|spec| ResolvedField {
                spec,
                value: advertised
                    .and_then(|gw| gw.credentials.get(spec.name))
                    .map(|v| (crate::secret::Secret::new(v.clone()), Source::Sandbox)),
            })
            .collect();
        Ok(Credentials {
            tenant: tenant.clone(),
            gateway: id,
            fields,
        })
    });
    for (id, why) in refused {
        built.available.remove(&id);
        built.unavailable.insert(id, why);
    }
    built
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sandbox's advertised base URLs get the config's policy: plain http to a public host
    /// (customer data in clear) or credentials in the URL leave that gateway out, saying why.
    #[test]
    fn a_sandbox_advertising_unsafe_base_urls_is_not_used() {
        let gateway = |url: &str| {
            serde_json::json!({
                "base_url": url, "shared_base_url": url, "credentials": {},
                "mode": {"mode": "up"}, "webhook_url": null,
            })
        };
        let info: SandboxInfo = serde_json::from_value(serde_json::json!({
            "control_url": "http://127.0.0.1:1/_sandbox",
            "gateways": {
                "stripe": gateway("http://93.184.215.14:4010"),
                "asaas": gateway("http://user:hunter2@127.0.0.1:4010"),
            },
        }))
        .unwrap();
        let built = for_sandbox(
            &GatewaysConfig::default(),
            &info,
            &TenantId::default_tenant(),
        );
        let why = |id| built.unavailable.get(&id).cloned().unwrap_or_default();
        assert!(built.get(GatewayId::Stripe).is_none());
        assert!(
            why(GatewayId::Stripe).contains("plain http"),
            "{}",
            why(GatewayId::Stripe)
        );
        assert!(built.get(GatewayId::Asaas).is_none());
        assert!(why(GatewayId::Asaas).contains("credentials in the URL"));
        assert!(!why(GatewayId::Asaas).contains("hunter2"));
    }
}
