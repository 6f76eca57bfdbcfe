//! Each adapter's non-secret settings (`[gateways.stripe]`, `[gateways.efi]`,
//! `[gateways.asaas]`) and [`GatewaysConfig`], the `[gateways]` section they make together: the
//! contract the adapters and the registry are built from. They live with their owners; the
//! config (`src/config/`) only assembles them into its file, env and flag layers.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::HumanDuration;
use crate::model::GatewayId;

macro_rules! gateway_settings {
    ($(#[$doc:meta])* $name:ident, $base_url:literal { $($(#[$fdoc:meta])* $field:ident : $ty:ty = $default:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            /// Route charges to this gateway at all.
            pub enabled: bool,
            /// The API's base URL (the sandbox's when `--sandbox` is given).
            pub base_url: String,
            /// TCP + TLS handshake limit: a call that times out here was never sent.
            pub connect_timeout: HumanDuration,
            /// Whole-call limit: a call that times out after connecting is ambiguous.
            pub timeout: HumanDuration,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    base_url: $base_url.into(),
                    connect_timeout: HumanDuration(Duration::from_secs(3)),
                    timeout: HumanDuration(Duration::from_secs(15)),
                    $($field: $default,)*
                }
            }
        }

        impl $name {
            pub fn timeouts(&self) -> super::http::Timeouts {
                super::http::Timeouts {
                    connect: self.connect_timeout.0,
                    total: self.timeout.0,
                }
            }
        }
    };
}

gateway_settings!(
    /// `[gateways.stripe]`
    StripeSettings, "https://api.stripe.com" {}
);
gateway_settings!(
    /// `[gateways.efi]`
    EfiSettings, "https://pix.api.efipay.com.br" {
        /// The client certificate Efí issued: a `.p12` (empty password) or a PEM with the key.
        #[serde(skip_serializing_if = "Option::is_none")]
        certificate: Option<PathBuf> = None,
        /// The receiving Pix key (chave) registered at Efí.
        #[serde(skip_serializing_if = "Option::is_none")]
        pix_key: Option<String> = None,
        /// Efí's API Cobranças, where payment links are made (no client certificate).
        cobrancas_base_url: String = super::efi::links::COBRANCAS_BASE_URL.into(),
        /// payorch's own public base URL, where Efí notifies it of payment links
        /// (`{public_url}/webhooks/{tenant}/efi/links`); links go to Efí only when it is set.
        #[serde(skip_serializing_if = "Option::is_none")]
        public_url: Option<String> = None,
    }
);
gateway_settings!(
    /// `[gateways.asaas]`
    AsaasSettings, "https://api.asaas.com" {}
);

/// `[gateways.*]`: non-secret gateway settings. Secrets live in the keyring or env vars.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewaysConfig {
    pub stripe: StripeSettings,
    pub efi: EfiSettings,
    pub asaas: AsaasSettings,
}

impl GatewaysConfig {
    /// `gateways.<id>.enabled`.
    pub fn is_enabled(&self, id: GatewayId) -> bool {
        match id {
            GatewayId::Stripe => self.stripe.enabled,
            GatewayId::Efi => self.efi.enabled,
            GatewayId::Asaas => self.asaas.enabled,
        }
    }
}
