//! Configuration: built-in defaults, then `payorch.toml`, then `PAYORCH_*` environment
//! variables, then command-line flags (the caller applies [`Overrides`]).
//!
//! Errors name where the bad value came from: the file with line, column and key, or the
//! environment variable. This module reads files and the environment; it opens no store.

mod load;

pub use crate::env::{Env, ProcessEnv};
pub use load::{Loaded, Overrides, default_config_file, default_data_dir, env_var_names};

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::breaker::BreakerSettings;
pub use crate::clock::HumanDuration;
pub use crate::gateway::settings::{AsaasSettings, EfiSettings, GatewaysConfig, StripeSettings};
use crate::model::{Currency, FeeSchedule, GatewayId, Period, Rate, RateLimit, TenantId};
use crate::routing::{RoutingDefaults, RoutingTable, TableError};
pub use crate::store::dynamo::AwsSettings;

/// The config file's name inside the config dir.
pub const FILE_NAME: &str = "payorch.toml";
/// The SQLite database's name inside the data dir.
pub const SQLITE_FILE_NAME: &str = "payorch.db";

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}, line {line}, column {column}{}: {message}", key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        key: Option<String>,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("config key `{key}`{}: {message}", origin.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default())]
    Invalid {
        key: String,
        origin: Option<String>,
        message: String,
    },
    #[error(
        "cannot find a home for payorch's {what}: set {hint}, or the HOME environment variable"
    )]
    NoHome {
        what: &'static str,
        hint: &'static str,
    },
}

/// Which persistence backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreBackend {
    /// One SQLite file in the data dir: the embedded default.
    Sqlite,
    /// DynamoDB + SQS, shared by a fleet of `serve` instances (`[aws]`).
    Dynamodb,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub backend: StoreBackend,
    /// The SQLite file; default `<data_dir>/payorch.db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlite_path: Option<PathBuf>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: StoreBackend::Sqlite,
            sqlite_path: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address `payorch serve` listens on.
    pub bind: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: u64,
    /// How long a client may take to send a request's headers, counted from when the server
    /// starts waiting for them: also how long an idle keep-alive connection is kept.
    pub header_read_timeout: HumanDuration,
    /// How long a request's body may take to arrive once its head has; then a 408.
    pub body_read_timeout: HumanDuration,
    /// Largest request head (request line and headers) accepted, bytes; larger is a 431.
    pub max_header_bytes: u64,
    /// Connections served at once; more wait in the listen backlog until one closes.
    pub max_connections: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            body_limit: 64 * 1024,
            header_read_timeout: HumanDuration(Duration::from_secs(10)),
            body_read_timeout: HumanDuration(Duration::from_secs(30)),
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter like `payorch=debug`.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdempotencyConfig {
    /// How long a key is remembered (at least 24h).
    pub ttl: HumanDuration,
    /// How long the process running a request may go without a sign of life before another
    /// request with the same key (or the reconciler) takes its work over. A running flow renews
    /// it; it must be longer than one gateway call (`gateways.*.timeout`).
    pub lease: HumanDuration,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        IdempotencyConfig {
            ttl: HumanDuration(Duration::from_secs(24 * 3600)),
            lease: HumanDuration(Duration::from_secs(60)),
        }
    }
}

/// `[recovery]`: how `serve` finishes work that a dead or disconnected process left behind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecoveryConfig {
    /// How often the reconciler runs: abandoned charges and refunds, `unknown` charges, orphans.
    pub every: HumanDuration,
    /// How long after a call a gateway lookup that finds nothing is believed (Stripe's search
    /// lags behind its writes).
    pub lookup_grace: HumanDuration,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            every: HumanDuration(Duration::from_secs(30)),
            lookup_grace: HumanDuration(Duration::from_secs(120)),
        }
    }
}

/// `[retention]`: how long personal data that payorch keeps only for diagnosis stays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Raw inbound gateway webhook bodies (already redacted of documents, names and e-mails):
    /// emptied after this; the dedupe record stays.
    pub inbound_bodies: HumanDuration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            inbound_bodies: HumanDuration(Duration::from_secs(30 * 24 * 3600)),
        }
    }
}

/// `[routing]`: the routing table of a tenant that has none stored yet. Once an operator runs
/// `payorch gateway switch` or `gateway fallback`, the tenant's stored table wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingSettings {
    /// The gateway tried first.
    pub primary: GatewayId,
    /// Tried in this order when the primary cannot take a charge.
    pub fallbacks: Vec<GatewayId>,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            primary: GatewayId::Stripe,
            fallbacks: vec![GatewayId::Efi, GatewayId::Asaas],
        }
    }
}

impl RoutingSettings {
    /// The table these settings describe; `load` has checked it, a hand-built config may not be.
    pub fn table(&self) -> Result<RoutingTable, TableError> {
        RoutingTable::new(self.primary, self.fallbacks.clone())
    }
}

impl TryFrom<&Config> for RoutingDefaults {
    type Error = TableError;

    /// `[routing]`'s table and the gateways `[gateways.*]` enables.
    fn try_from(config: &Config) -> Result<Self, TableError> {
        Ok(RoutingDefaults {
            table: config.routing.table()?,
            enabled: GatewayId::ALL
                .into_iter()
                .filter(|g| config.gateways.is_enabled(*g))
                .collect(),
            fees: config.fees.schedule(),
        })
    }
}

/// `[webhooks] batch_size` by default (measured in `docs/PERFORMANCE.md`).
pub const DEFAULT_DELIVERY_BATCH: u32 = 50;
/// `[webhooks] concurrency` by default.
pub const DEFAULT_DELIVERY_LOOPS: u32 = 4;

/// `[webhooks]`: outbound delivery to merchants' endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// The waits before each retry; the first attempt is immediate, and after the last retry
    /// the event goes to the DLQ.
    pub retry_schedule: Vec<HumanDuration>,
    /// One delivery attempt's whole time limit.
    pub attempt_timeout: HumanDuration,
    /// Deliver to loopback, private and link-local addresses and local names, and over plain
    /// http: for a laptop, CI or an internal network. Off: public https targets only.
    pub allow_private_targets: bool,
    /// Events one delivery loop takes from the queue at once: delivered concurrently, then
    /// acknowledged together (one commit on SQLite).
    pub batch_size: u32,
    /// Delivery loops in one `serve`, each with up to `batch_size` POSTs in flight.
    pub concurrency: u32,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        let (s, m, h) = (1, 60, 3600);
        WebhooksConfig {
            retry_schedule: [5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]
                .into_iter()
                .map(|secs| HumanDuration(Duration::from_secs(secs)))
                .collect(),
            attempt_timeout: HumanDuration(Duration::from_secs(15)),
            allow_private_targets: false,
            batch_size: DEFAULT_DELIVERY_BATCH,
            concurrency: DEFAULT_DELIVERY_LOOPS,
        }
    }
}

/// `[amount_limits]`: the largest amount of one charge per currency, in minor units
/// (`BRL = 100000000` is R$ 1,000,000.00). A currency not named keeps its built-in limit
/// ([`Currency::default_max_charge`]); `payorch serve` refuses a larger charge with a 400 naming
/// `amount` before anything is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AmountLimits(pub std::collections::BTreeMap<Currency, i64>);

impl AmountLimits {
    /// The largest amount of one charge in `currency`, minor units.
    pub fn max_charge(&self, currency: Currency) -> i64 {
        self.0
            .get(&currency)
            .copied()
            .unwrap_or_else(|| currency.default_max_charge())
    }
}

/// `[fees.<gateway>.<method>]`: what a gateway charges for a method (`percent`, a decimal
/// string; `fixed`, minor units; `currency`), for the charges whose gateway does not report
/// its own fee. Each entry replaces the built-in rate of that gateway and method
/// ([`FeeSchedule::builtin`]); the others stay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeesConfig(pub FeeSchedule);

impl FeesConfig {
    /// The schedule in force: the built-in rates with this config's entries over them.
    pub fn schedule(&self) -> FeeSchedule {
        let mut s = FeeSchedule::builtin();
        for (gateway, rates) in &self.0.0 {
            let mine = s.0.entry(*gateway).or_default();
            for (method, rate) in rates {
                mine.insert(*method, *rate);
            }
        }
        s
    }
}

/// `[limits]`: request rates `payorch serve` accepts, each a token bucket (GCRA) refilled at
/// the rate and holding up to its burst. A request must pass its API key's bucket and its
/// tenant's; a gateway's webhooks to a tenant have a bucket of their own. Over a limit: 429 with
/// `Retry-After`. Kept in each process's memory: with `instances = N` each instance enforces
/// 1/N of every rate and burst, so a fleet of N behind a balancer enforces about the whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Every API key's rate, unless the key has its own (`apikey update --rate-limit`).
    pub key: RateLimit,
    /// The most requests a key may send at once after being idle.
    pub key_burst: u32,
    /// All of one tenant's keys together.
    pub tenant: RateLimit,
    pub tenant_burst: u32,
    /// One gateway's webhooks to one tenant (`POST /webhooks/{tenant}/{gateway}`).
    pub inbound: RateLimit,
    pub inbound_burst: u32,
    /// How many `serve` instances share the traffic: each enforces 1/N of the limits.
    pub instances: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let rate = |count, period| {
            RateLimit::Limited(Rate {
                count: NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN),
                period,
            })
        };
        LimitsConfig {
            key: rate(100, Period::Second),
            key_burst: 200,
            tenant: rate(500, Period::Second),
            tenant_burst: 1000,
            inbound: rate(500, Period::Second),
            inbound_burst: 1000,
            instances: 1,
        }
    }
}

/// The effective configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where state lives; default `$XDG_DATA_HOME/payorch` (`~/.local/share/payorch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// The tenant CLI commands act on when `--tenant` is not given.
    pub tenant: TenantId,
    pub store: StoreConfig,
    pub server: ServerConfig,
    pub log: LogConfig,
    pub idempotency: IdempotencyConfig,
    /// `[recovery]`: the reconciler.
    pub recovery: RecoveryConfig,
    pub gateways: GatewaysConfig,
    pub routing: RoutingSettings,
    /// `[breaker]`: circuit-breaker tuning, with `[breaker.<gateway>]` overrides.
    pub breaker: BreakerSettings,
    /// `[webhooks]`: outbound delivery.
    pub webhooks: WebhooksConfig,
    /// `[amount_limits]`: the largest charge per currency.
    pub amount_limits: AmountLimits,
    /// `[fees]`: the fee schedule, over the built-in one.
    pub fees: FeesConfig,
    /// `[limits]`: request rates.
    pub limits: LimitsConfig,
    /// `[retention]`: how long diagnostic copies of personal data are kept.
    pub retention: RetentionConfig,
    /// `[aws]`: the table and queues of the `dynamodb` backend.
    pub aws: AwsSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            tenant: TenantId::default_tenant(),
            store: StoreConfig::default(),
            server: ServerConfig::default(),
            log: LogConfig::default(),
            idempotency: IdempotencyConfig::default(),
            recovery: RecoveryConfig::default(),
            gateways: GatewaysConfig::default(),
            routing: RoutingSettings::default(),
            breaker: BreakerSettings::default(),
            webhooks: WebhooksConfig::default(),
            amount_limits: AmountLimits::default(),
            fees: FeesConfig::default(),
            limits: LimitsConfig::default(),
            retention: RetentionConfig::default(),
            aws: AwsSettings::default(),
        }
    }
}

impl Config {
    /// A warning when `recovery.lookup_grace` is shorter than a gateway's timeout: a gateway
    /// may still be processing a request payorch gave up on, so a lookup that finds nothing
    /// that early proves nothing, and believing it lets a charge fail over while the first
    /// gateway captures (found by the crash soak with a grace of 0 s).
    pub fn lookup_grace_warning(&self) -> Option<String> {
        let grace = self.recovery.lookup_grace.0;
        let (gateway, timeout) = [
            ("stripe", self.gateways.stripe.timeout.0),
            ("efi", self.gateways.efi.timeout.0),
            ("asaas", self.gateways.asaas.timeout.0),
        ]
        .into_iter()
        .max_by_key(|(_, t)| *t)?;
        (grace < timeout).then(|| {
            format!(
                "recovery.lookup_grace ({}) is shorter than gateways.{gateway}.timeout ({}): a \
                 lookup that finds nothing may be believed while a timed-out request is still \
                 being processed, and a charge may then be made at two gateways; keep it above \
                 the longest a gateway may take (default 2m)",
                HumanDuration(grace),
                HumanDuration(timeout)
            )
        })
    }

    /// The data dir; always set after [`Config::load`].
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".payorch"))
    }

    /// The SQLite file the embedded store uses.
    pub fn sqlite_path(&self) -> PathBuf {
        self.store
            .sqlite_path
            .clone()
            .unwrap_or_else(|| self.data_dir().join(SQLITE_FILE_NAME))
    }

    /// `server.bind` as an address (validated by `load`).
    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.bind.parse().map_err(|_| ConfigError::Invalid {
            key: "server.bind".into(),
            origin: None,
            message: format!(
                "`{}` is not an address with a port (e.g. 127.0.0.1:8080)",
                self.server.bind
            ),
        })
    }

    /// The effective configuration as TOML, for `config show`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

/// The commented config `payorch init` writes. Every value is the built-in default.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("payorch.toml");

#[cfg(test)]
mod tests;
