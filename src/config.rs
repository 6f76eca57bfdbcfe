//! Configuration: built-in defaults, then `payorch.toml`, then `PAYORCH_*` environment
//! variables, then command-line flags (the caller applies [`Overrides`]).
//!
//! Errors name where the bad value came from: the file with line, column and key, or the
//! environment variable. This module reads files and the environment; it opens no store.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::breaker::BreakerSettings;
use crate::model::{GatewayId, TenantId};
use crate::routing::{RoutingTable, TableError};

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

/// A duration written the human way in config and flags: `500ms`, `30s`, `10m`, `24h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        humantime::parse_duration(s.trim())
            .map(HumanDuration)
            .map_err(|e| format!("`{s}` is not a duration ({e}); write e.g. 500ms, 30s, 10m, 24h"))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which persistence backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreBackend {
    /// One SQLite file in the data dir: the embedded default.
    Sqlite,
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            body_limit: 64 * 1024,
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
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        IdempotencyConfig {
            ttl: HumanDuration(Duration::from_secs(24 * 3600)),
        }
    }
}

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
            pub fn timeouts(&self) -> crate::gateway::http::Timeouts {
                crate::gateway::http::Timeouts {
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

/// `[webhooks]`: outbound delivery to merchants' endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// The waits before each retry; the first attempt is immediate, and after the last retry
    /// the event goes to the DLQ.
    pub retry_schedule: Vec<HumanDuration>,
    /// One delivery attempt's whole time limit.
    pub attempt_timeout: HumanDuration,
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
    pub gateways: GatewaysConfig,
    pub routing: RoutingSettings,
    /// `[breaker]`: circuit-breaker tuning, with `[breaker.<gateway>]` overrides.
    pub breaker: BreakerSettings,
    /// `[webhooks]`: outbound delivery.
    pub webhooks: WebhooksConfig,
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
            gateways: GatewaysConfig::default(),
            routing: RoutingSettings::default(),
            breaker: BreakerSettings::default(),
            webhooks: WebhooksConfig::default(),
        }
    }
}

/// Values from command-line flags: they win over everything.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config FILE`: must exist. Without it the default path is used if it exists.
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub tenant: Option<TenantId>,
}

/// Where the environment comes from: the process in production, a map in tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// How a `PAYORCH_*` variable's text becomes a TOML value.
#[derive(Clone, Copy)]
enum EnvKind {
    Str,
    Int,
    /// Comma-separated: `efi,asaas`.
    List,
}

/// Every setting that an environment variable can override: (variable, key path, kind).
/// Documented in the README; keep the two in step.
const ENV_KEYS: &[(&str, &str, EnvKind)] = &[
    ("PAYORCH_DATA_DIR", "data_dir", EnvKind::Str),
    ("PAYORCH_TENANT", "tenant", EnvKind::Str),
    ("PAYORCH_STORE_BACKEND", "store.backend", EnvKind::Str),
    (
        "PAYORCH_STORE_SQLITE_PATH",
        "store.sqlite_path",
        EnvKind::Str,
    ),
    ("PAYORCH_SERVER_BIND", "server.bind", EnvKind::Str),
    (
        "PAYORCH_SERVER_BODY_LIMIT",
        "server.body_limit",
        EnvKind::Int,
    ),
    ("PAYORCH_LOG_LEVEL", "log.level", EnvKind::Str),
    ("PAYORCH_LOG_FORMAT", "log.format", EnvKind::Str),
    ("PAYORCH_IDEMPOTENCY_TTL", "idempotency.ttl", EnvKind::Str),
    (
        "PAYORCH_STRIPE_BASE_URL",
        "gateways.stripe.base_url",
        EnvKind::Str,
    ),
    (
        "PAYORCH_EFI_BASE_URL",
        "gateways.efi.base_url",
        EnvKind::Str,
    ),
    (
        "PAYORCH_EFI_CERTIFICATE",
        "gateways.efi.certificate",
        EnvKind::Str,
    ),
    ("PAYORCH_EFI_PIX_KEY", "gateways.efi.pix_key", EnvKind::Str),
    (
        "PAYORCH_ASAAS_BASE_URL",
        "gateways.asaas.base_url",
        EnvKind::Str,
    ),
    ("PAYORCH_ROUTING_PRIMARY", "routing.primary", EnvKind::Str),
    (
        "PAYORCH_ROUTING_FALLBACKS",
        "routing.fallbacks",
        EnvKind::List,
    ),
    (
        "PAYORCH_WEBHOOKS_RETRY_SCHEDULE",
        "webhooks.retry_schedule",
        EnvKind::List,
    ),
    (
        "PAYORCH_WEBHOOKS_ATTEMPT_TIMEOUT",
        "webhooks.attempt_timeout",
        EnvKind::Str,
    ),
];

/// The names of the environment variables [`Config::load`] reads, for docs and `config show`.
pub fn env_var_names() -> impl Iterator<Item = &'static str> {
    ENV_KEYS.iter().map(|(v, _, _)| *v)
}

/// `$XDG_CONFIG_HOME/payorch/payorch.toml`, else `~/.config/payorch/payorch.toml`.
pub fn default_config_file(env: &dyn Env) -> Option<PathBuf> {
    xdg_dir(env, "XDG_CONFIG_HOME", ".config").map(|d| d.join("payorch").join(FILE_NAME))
}

/// `$XDG_DATA_HOME/payorch`, else `~/.local/share/payorch`.
pub fn default_data_dir(env: &dyn Env) -> Option<PathBuf> {
    xdg_dir(env, "XDG_DATA_HOME", ".local/share").map(|d| d.join("payorch"))
}

fn xdg_dir(env: &dyn Env, var: &str, fallback: &str) -> Option<PathBuf> {
    // The XDG spec says relative values are invalid and must be ignored.
    env.var(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env.var("HOME").map(|h| PathBuf::from(h).join(fallback)))
}

/// Where the configuration was loaded from, for `config show`.
#[derive(Clone, Debug, Serialize)]
pub struct Loaded {
    pub config: Config,
    /// The file that was read, if any.
    pub file: Option<PathBuf>,
    /// The `PAYORCH_*` variables that were set.
    pub env_overrides: Vec<String>,
}

impl Config {
    /// Loads defaults ← file ← environment ← flags, and validates the result.
    pub fn load(overrides: &Overrides, env: &dyn Env) -> Result<Loaded, ConfigError> {
        let (file, mut table) = match &overrides.config_file {
            Some(path) => (Some(path.clone()), read_table(path)?),
            None => match default_config_file(env).filter(|p| p.exists()) {
                Some(path) => (Some(path.clone()), read_table(&path)?),
                None => (None, toml::Table::new()),
            },
        };
        let mut env_overrides = Vec::new();
        for (var, path, kind) in ENV_KEYS {
            let Some(raw) = env.var(var) else { continue };
            let value = match kind {
                EnvKind::Str => toml::Value::String(raw.clone()),
                EnvKind::Int => {
                    toml::Value::Integer(raw.trim().parse().map_err(|_| ConfigError::Env {
                        var: var.to_string(),
                        message: format!("`{raw}` is not a whole number"),
                    })?)
                }
                EnvKind::List => toml::Value::Array(
                    raw.split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(|item| toml::Value::String(item.to_string()))
                        .collect(),
                ),
            };
            set_path(&mut table, path, value);
            env_overrides.push(var.to_string());
        }
        let mut config: Config = Config::deserialize(toml::Value::Table(table.clone()))
            .map_err(|e| attribute_error(&e, &file, &env_overrides))?;
        if let Some(d) = &overrides.data_dir {
            config.data_dir = Some(d.clone());
        }
        if let Some(t) = &overrides.tenant {
            config.tenant = t.clone();
        }
        if config.data_dir.is_none() {
            config.data_dir = Some(default_data_dir(env).ok_or(ConfigError::NoHome {
                what: "data",
                hint: "--data-dir, PAYORCH_DATA_DIR, XDG_DATA_HOME",
            })?);
        }
        config.validate(&file, &env_overrides)?;
        Ok(Loaded {
            config,
            file,
            env_overrides,
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

    fn validate(&self, file: &Option<PathBuf>, env: &[String]) -> Result<(), ConfigError> {
        let origin = |key: &str| origin_of(key, file, env);
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_string(),
            origin: origin(key),
            message,
        };
        self.bind_addr().map_err(|_| {
            invalid(
                "server.bind",
                format!(
                    "`{}` is not an address with a port (e.g. 127.0.0.1:8080)",
                    self.server.bind
                ),
            )
        })?;
        if !(1024..=64 * 1024 * 1024).contains(&self.server.body_limit) {
            return Err(invalid(
                "server.body_limit",
                format!(
                    "{} bytes is outside 1024..=67108864",
                    self.server.body_limit
                ),
            ));
        }
        if tracing_subscriber_filter_ok(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                format!(
                    "`{}` is not a log level (error, warn, info, debug, trace) or filter",
                    self.log.level
                ),
            ));
        }
        for (name, url) in [
            ("stripe", &self.gateways.stripe.base_url),
            ("efi", &self.gateways.efi.base_url),
            ("asaas", &self.gateways.asaas.base_url),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(invalid(
                    &format!("gateways.{name}.base_url"),
                    format!("`{url}` is not an http(s) URL"),
                ));
            }
        }
        self.validate_routing(&invalid)?;
        if self.idempotency.ttl.0 < Duration::from_secs(24 * 3600) {
            return Err(invalid(
                "idempotency.ttl",
                format!(
                    "{} is shorter than the 24h minimum that clients rely on",
                    self.idempotency.ttl
                ),
            ));
        }
        self.breaker
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        if self.webhooks.retry_schedule.len() > 50 {
            return Err(invalid(
                "webhooks.retry_schedule",
                format!(
                    "{} retries is more than the 50 allowed",
                    self.webhooks.retry_schedule.len()
                ),
            ));
        }
        if let Some(d) = self
            .webhooks
            .retry_schedule
            .iter()
            .find(|d| d.0 > Duration::from_secs(7 * 24 * 3600))
        {
            return Err(invalid(
                "webhooks.retry_schedule",
                format!("{d} is longer than the 7 days a retry may wait"),
            ));
        }
        let t = self.webhooks.attempt_timeout.0;
        if t < Duration::from_secs(1) || t > Duration::from_secs(300) {
            return Err(invalid(
                "webhooks.attempt_timeout",
                format!("{} is outside 1s..=5m", self.webhooks.attempt_timeout),
            ));
        }
        Ok(())
    }

    /// `[routing]`: a valid table whose gateways are all enabled. (Credentials are not checked
    /// here: a gateway without them is skipped at charge time and `gateway list` says why.)
    fn validate_routing(
        &self,
        invalid: &dyn Fn(&str, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        self.routing
            .table()
            .map_err(|e| invalid("routing.fallbacks", e.to_string()))?;
        let disabled = |id: GatewayId| {
            format!(
                "{id} is disabled (gateways.{id}.enabled = false): enable it or route elsewhere"
            )
        };
        if !self.gateways.is_enabled(self.routing.primary) {
            return Err(invalid("routing.primary", disabled(self.routing.primary)));
        }
        if let Some(id) = self
            .routing
            .fallbacks
            .iter()
            .find(|id| !self.gateways.is_enabled(**id))
        {
            return Err(invalid("routing.fallbacks", disabled(*id)));
        }
        Ok(())
    }

    /// The effective configuration as TOML, for `config show`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

/// Accepts plain levels and `target=level` directive lists, as `tracing`'s env filter does.
fn tracing_subscriber_filter_ok(level: &str) -> Result<(), ()> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let ok = !level.trim().is_empty()
        && level.split(',').all(|d| {
            let lvl = d
                .rsplit('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            LEVELS.contains(&lvl.as_str()) || (d.contains('=') && lvl.is_empty())
        });
    if ok { Ok(()) } else { Err(()) }
}

fn origin_of(key: &str, file: &Option<PathBuf>, env: &[String]) -> Option<String> {
    ENV_KEYS
        .iter()
        .find(|(var, path, _)| *path == key && env.iter().any(|e| e == var))
        .map(|(var, _, _)| format!("environment variable {var}"))
        .or_else(|| {
            file.as_ref()
                .map(|f| format!("config file {}", f.display()))
        })
}

fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Parse into a document first to learn spans, then deserialize to catch unknown keys and
    // types against the text, so errors carry line, column and key.
    let table: toml::Table = toml::from_str(&text).map_err(|e| parse_error(path, &text, &e))?;
    toml::from_str::<Config>(&text).map_err(|e| parse_error(path, &text, &e))?;
    Ok(table)
}

/// Turns a TOML error with a byte span into file/line/column/key.
fn parse_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, column, key) = match e.span() {
        Some(span) => locate(text, span.start),
        None => (1, 1, None),
    };
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        key,
        message: e.message().trim().to_string(),
    }
}

/// Line and column (1-based) of byte `offset`, and the dotted key defined on that line.
fn locate(text: &str, offset: usize) -> (usize, usize, Option<String>) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let section = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#'))
        .map(|k| match &section {
            Some(s) => format!("{s}.{k}"),
            None => k,
        })
        .or_else(|| section.filter(|_| line_text.trim().starts_with('[')));
    (line, column, key)
}

fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut t = table;
    for p in parts {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let Some(next) = entry.as_table_mut() else {
            return;
        };
        t = next;
    }
    t.insert(last.to_string(), value);
}

/// A deserialization error of the merged table: blame the env var if one set that key.
fn attribute_error(e: &toml::de::Error, file: &Option<PathBuf>, env: &[String]) -> ConfigError {
    let msg = e.message().trim().to_string();
    for (var, path, _) in ENV_KEYS {
        let leaf = path.rsplit('.').next().unwrap_or(path);
        if env.iter().any(|v| v == var) && msg.contains(leaf) {
            return ConfigError::Env {
                var: var.to_string(),
                message: msg,
            };
        }
    }
    // Environment values of the wrong shape (e.g. an unknown backend) fail here; name them all.
    ConfigError::Invalid {
        key: "(configuration)".into(),
        origin: match (file, env.is_empty()) {
            (_, false) => Some(format!("environment variables {}", env.join(", "))),
            (Some(f), true) => Some(format!("config file {}", f.display())),
            (None, true) => None,
        },
        message: msg,
    }
}

/// The commented config `payorch init` writes. Every value is the built-in default.
pub const DEFAULT_CONFIG_TOML: &str = r#"# payorch configuration.
#
# Precedence: built-in defaults < this file < PAYORCH_* environment variables < flags.
# Every setting below is commented out at its default; uncomment to change it.

# Where payorch keeps its state (the SQLite database). Env: PAYORCH_DATA_DIR.
# Default: $XDG_DATA_HOME/payorch, i.e. ~/.local/share/payorch
# data_dir = "/var/lib/payorch"

# The tenant CLI commands act on when --tenant is not given. Env: PAYORCH_TENANT.
# tenant = "default"

[store]
# "sqlite": one embedded file, zero setup. Env: PAYORCH_STORE_BACKEND.
# backend = "sqlite"
# The database file. Default: <data_dir>/payorch.db. Env: PAYORCH_STORE_SQLITE_PATH.
# sqlite_path = "/var/lib/payorch/payorch.db"

[server]
# Address `payorch serve` listens on. Env: PAYORCH_SERVER_BIND.
# bind = "127.0.0.1:8080"
# Largest request body accepted, in bytes. Env: PAYORCH_SERVER_BODY_LIMIT.
# body_limit = 65536

[log]
# error | warn | info | debug | trace, or a filter like "payorch=debug". Env: PAYORCH_LOG_LEVEL.
# level = "info"
# text | json. Env: PAYORCH_LOG_FORMAT.
# format = "text"

[idempotency]
# How long an Idempotency-Key is remembered; at least 24h. Env: PAYORCH_IDEMPOTENCY_TTL.
# ttl = "24h"

# Non-secret gateway settings. Secrets (API keys, client secrets, webhook secrets) go in the
# OS keyring (`payorch gateway credentials set <gateway>`) or PAYORCH_<GATEWAY>_<FIELD> env vars.
# Each gateway also takes: enabled, connect_timeout (a call that times out connecting was never
# sent, so another gateway may be tried) and timeout (after connecting: the outcome is unknown).
[gateways.stripe]
# base_url = "https://api.stripe.com"          # env PAYORCH_STRIPE_BASE_URL
# enabled = true
# connect_timeout = "3s"
# timeout = "15s"

[gateways.efi]
# base_url = "https://pix.api.efipay.com.br"   # env PAYORCH_EFI_BASE_URL; homologation: https://pix-h.api.efipay.com.br
# certificate = "/etc/payorch/efi.p12"          # env PAYORCH_EFI_CERTIFICATE; .p12 (empty password) or PEM
# pix_key = "your-pix-key"                      # env PAYORCH_EFI_PIX_KEY

[gateways.asaas]
# base_url = "https://api.asaas.com"           # env PAYORCH_ASAAS_BASE_URL; sandbox: https://api-sandbox.asaas.com

# The routing table of a tenant until an operator changes it with `payorch gateway switch` or
# `payorch gateway fallback` (stored per tenant; every running `serve` sees a change within 1 s).
# A charge goes to the primary, then to each fallback in order, skipping gateways that do not
# take its method and currency, lack credentials, or whose circuit breaker is open.
[routing]
# primary = "stripe"                            # env PAYORCH_ROUTING_PRIMARY
# fallbacks = ["efi", "asaas"]                  # env PAYORCH_ROUTING_FALLBACKS="efi,asaas"
# Circuit breakers, one per (tenant, gateway), shared by every `serve` instance through the store.
# Failures are unavailable, ambiguous (timeout, 5xx), auth (401/403) and rate-limited (429)
# outcomes; declines and invalid requests are not. Keys here are the defaults for every gateway;
# a [breaker.<gateway>] table overrides any of them for one gateway.
[breaker]
# How often each instance shares outcomes and state transitions with the store.
# sync_interval = "250ms"
# "count": the last window_size calls; "time": the calls of the last window_duration.
# sliding_window = "count"
# window_size = 100
# window_duration = "60s"                       # whole seconds, 1s..1h
# Open when this percentage of the window's calls failed, or was slow, once it holds minimum_calls.
# failure_rate_threshold = 50
# slow_call_rate_threshold = 100
# slow_call_duration = "5s"
# minimum_calls = 20
# Stay open this long, then admit permitted_calls_in_half_open probes (for the whole fleet):
# all must succeed to close; one failure reopens it.
# wait_in_open = "30s"
# permitted_calls_in_half_open = 5
# Reopen when the probes have not completed after this long (unset: wait for them).
# max_wait_in_half_open = "2m"

[breaker.stripe]
# failure_rate_threshold = 50

# Outbound webhooks to the merchant's endpoint (`payorch webhook endpoint set <url>`), signed per
# Standard Webhooks. Only a 2xx answer is success; failures are retried after these waits (each
# varied by up to 20%, at least the endpoint's Retry-After, at least 1m after a 429 or a timeout),
# then the event goes to the dead-letter queue (`payorch dlq`). The first attempt is immediate.
[webhooks]
# retry_schedule = ["5s", "5m", "30m", "2h", "5h", "10h", "10h"]   # env PAYORCH_WEBHOOKS_RETRY_SCHEDULE="5s,5m"
# attempt_timeout = "15s"                       # env PAYORCH_WEBHOOKS_ATTEMPT_TIMEOUT; 1s..5m
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn load(text: Option<&str>, env: &dyn Env) -> Result<Loaded, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let overrides = Overrides {
            config_file: text.map(|t| write(dir.path(), t)),
            data_dir: Some(dir.path().join("data")),
            tenant: None,
        };
        Config::load(&overrides, env)
    }

    #[test]
    fn defaults_without_a_file() {
        let l = load(None, &[("HOME", "/home/x")]).unwrap();
        assert!(l.file.is_none());
        assert_eq!(l.config.server.bind, "127.0.0.1:8080");
        assert_eq!(l.config.tenant.as_str(), "default");
    }

    #[test]
    fn the_init_template_is_valid_and_all_defaults() {
        let l = load(Some(DEFAULT_CONFIG_TOML), &[("HOME", "/h")]).unwrap();
        let expected = Config {
            data_dir: l.config.data_dir.clone(),
            ..Config::default()
        };
        assert_eq!(l.config, expected);
        // Uncommenting every setting still parses.
        let uncommented: String = DEFAULT_CONFIG_TOML
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") => rest.to_string(),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        load(Some(&uncommented), &[("HOME", "/h")]).unwrap();
    }

    #[test]
    fn file_then_env_then_flags() {
        let file = "tenant = \"acme\"\n[server]\nbind = \"0.0.0.0:9000\"\nbody_limit = 2048\n";
        let l = load(Some(file), &[("PAYORCH_SERVER_BODY_LIMIT", "4096")]).unwrap();
        assert_eq!(l.config.tenant.as_str(), "acme");
        assert_eq!(l.config.server.bind, "0.0.0.0:9000");
        assert_eq!(l.config.server.body_limit, 4096);
        assert_eq!(l.env_overrides, vec!["PAYORCH_SERVER_BODY_LIMIT"]);

        let dir = tempfile::tempdir().unwrap();
        let overrides = Overrides {
            config_file: Some(write(dir.path(), file)),
            data_dir: Some(dir.path().join("flag-data")),
            tenant: Some(TenantId::parse("flagged").unwrap()),
        };
        let l = Config::load(
            &overrides,
            &[("PAYORCH_TENANT", "from-env"), ("PAYORCH_DATA_DIR", "/env")],
        )
        .unwrap();
        assert_eq!(l.config.tenant.as_str(), "flagged");
        assert_eq!(l.config.data_dir(), dir.path().join("flag-data"));
        assert_eq!(
            l.config.sqlite_path(),
            dir.path().join("flag-data").join("payorch.db")
        );
    }

    #[test]
    fn xdg_dirs() {
        let env = [
            ("XDG_DATA_HOME", "/xdg/data"),
            ("XDG_CONFIG_HOME", "relative"),
            ("HOME", "/home/u"),
        ];
        assert_eq!(
            default_data_dir(&env).unwrap(),
            PathBuf::from("/xdg/data/payorch")
        );
        assert_eq!(
            default_config_file(&env).unwrap(),
            PathBuf::from("/home/u/.config/payorch/payorch.toml")
        );
        let none: [(&str, &str); 0] = [];
        assert!(default_data_dir(&none).is_none());
        let err = Config::load(&Overrides::default(), &none).unwrap_err();
        assert!(err.to_string().contains("--data-dir"), "{err}");
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = load(
            Some("# comment\n[server]\nbind = \"127.0.0.1:1\"\nbindd = \"x\"\n"),
            &[],
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("`server.bindd`"), "{msg}");
        assert!(msg.contains(FILE_NAME), "{msg}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let err = load(Some("[server]\nbody_limit = \"big\"\n"), &[]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("line 2") && msg.contains("server.body_limit"),
            "{msg}"
        );
    }

    #[test]
    fn broken_toml_names_the_line() {
        let err = load(Some("[server\nbind = 1\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn bad_values_are_refused_with_their_origin() {
        let err = load(Some("[server]\nbind = \"localhost\"\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("server.bind"), "{err}");
        assert!(err.to_string().contains("config file"), "{err}");

        let err = load(None, &[("PAYORCH_SERVER_BIND", "nope")]).unwrap_err();
        assert!(err.to_string().contains("PAYORCH_SERVER_BIND"), "{err}");

        let err = load(None, &[("PAYORCH_SERVER_BODY_LIMIT", "lots")]).unwrap_err();
        assert!(
            err.to_string().contains("PAYORCH_SERVER_BODY_LIMIT"),
            "{err}"
        );

        let err = load(None, &[("PAYORCH_IDEMPOTENCY_TTL", "1h")]).unwrap_err();
        assert!(err.to_string().contains("24h"), "{err}");

        let err = load(None, &[("PAYORCH_LOG_LEVEL", "loud")]).unwrap_err();
        assert!(err.to_string().contains("log.level"), "{err}");

        let err = load(None, &[("PAYORCH_TENANT", "Not Valid")]).unwrap_err();
        assert!(
            err.to_string().contains("PAYORCH_TENANT") || err.to_string().contains("tenant"),
            "{err}"
        );
    }

    #[test]
    fn routing_from_file_and_env_is_checked_and_names_the_key() {
        let l = load(None, &[]).unwrap();
        assert_eq!(l.config.routing.primary, GatewayId::Stripe);
        assert_eq!(
            l.config.routing.fallbacks,
            [GatewayId::Efi, GatewayId::Asaas]
        );
        let l = load(
            Some("[routing]\nprimary = \"asaas\"\nfallbacks = [\"stripe\"]\n"),
            &[
                ("PAYORCH_ROUTING_PRIMARY", "efi"),
                ("PAYORCH_ROUTING_FALLBACKS", " asaas , stripe "),
            ],
        )
        .unwrap();
        assert_eq!(
            l.config.routing.table().unwrap(),
            RoutingTable::new(GatewayId::Efi, vec![GatewayId::Asaas, GatewayId::Stripe]).unwrap()
        );

        let err = load(None, &[("PAYORCH_ROUTING_PRIMARY", "paypal")]).unwrap_err();
        assert!(err.to_string().contains("PAYORCH_ROUTING_PRIMARY"), "{err}");
        assert!(err.to_string().contains("paypal"), "{err}");
        let err = load(Some("[routing]\nfallbacks = [\"efi\", \"efi\"]\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("`routing.fallbacks`"), "{err}");
        assert!(err.to_string().contains("efi is listed twice"), "{err}");
        let err = load(None, &[("PAYORCH_ROUTING_FALLBACKS", "stripe")]).unwrap_err();
        assert!(
            err.to_string().contains("PAYORCH_ROUTING_FALLBACKS"),
            "{err}"
        );
        let err = load(Some("[gateways.stripe]\nenabled = false\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("`routing.primary`"), "{err}");
        assert!(err.to_string().contains("stripe is disabled"), "{err}");
        let err = load(
            Some("[gateways.asaas]\nenabled = false\n"),
            &[("PAYORCH_ROUTING_PRIMARY", "efi")],
        )
        .unwrap_err();
        assert!(err.to_string().contains("`routing.fallbacks`"), "{err}");
        let err = load(Some("[routing]\nprimary = \"paypal\"\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("routing.primary"), "{err}");
    }

    #[test]
    fn breaker_section_loads_validates_and_renders() {
        let l = load(
            Some("[breaker]\nminimum_calls = 8\n[breaker.efi]\nwait_in_open = \"1m\"\n"),
            &[],
        )
        .unwrap();
        let efi = l.config.breaker.for_gateway(crate::model::GatewayId::Efi);
        assert_eq!((efi.minimum_calls, efi.wait_in_open.0.as_secs()), (8, 60));
        let shown = l.config.to_toml();
        assert!(shown.contains("[breaker.efi]"), "{shown}");
        let again: Config = toml::from_str(&shown).unwrap();
        assert_eq!(again.breaker.for_gateway(crate::model::GatewayId::Efi), efi);

        let err = load(Some("[breaker.efi]\nminimum_calls = 0\n"), &[]).unwrap_err();
        assert!(
            err.to_string().contains("breaker.efi.minimum_calls"),
            "{err}"
        );
        let err = load(Some("[breaker]\nwait = \"1s\"\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("wait"), "{err}");
    }

    #[test]
    fn webhooks_section_from_file_and_env_is_checked() {
        let l = load(None, &[]).unwrap();
        assert_eq!(l.config.webhooks, WebhooksConfig::default());
        let l = load(
            Some("[webhooks]\nretry_schedule = [\"1s\"]\nattempt_timeout = \"5s\"\n"),
            &[("PAYORCH_WEBHOOKS_RETRY_SCHEDULE", "1s, 2s")],
        )
        .unwrap();
        assert_eq!(
            l.config.webhooks.retry_schedule,
            vec![
                HumanDuration(Duration::from_secs(1)),
                HumanDuration(Duration::from_secs(2))
            ]
        );
        assert_eq!(l.config.webhooks.attempt_timeout.0, Duration::from_secs(5));
        let err = load(None, &[("PAYORCH_WEBHOOKS_RETRY_SCHEDULE", "1s,later")]).unwrap_err();
        assert!(
            err.to_string().contains("PAYORCH_WEBHOOKS_RETRY_SCHEDULE"),
            "{err}"
        );
        let err = load(None, &[("PAYORCH_WEBHOOKS_ATTEMPT_TIMEOUT", "1h")]).unwrap_err();
        assert!(
            err.to_string().contains("webhooks.attempt_timeout"),
            "{err}"
        );
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let overrides = Overrides {
            config_file: Some(PathBuf::from("/nonexistent/payorch.toml")),
            ..Default::default()
        };
        let err = Config::load(&overrides, &[("HOME", "/h")]).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/payorch.toml"),
            "{err}"
        );
    }
}
