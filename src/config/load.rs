//! Loading: built-in defaults <- the TOML file <- `PAYORCH_*` variables <- flags, then one
//! validation pass whose errors name the file, line, column and dotted key, or the variable.

use super::*;

/// Values from command-line flags: they win over everything.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config FILE`: must exist (unless `config_file_may_be_new`). Without it the default
    /// path is used if it exists.
    pub config_file: Option<PathBuf>,
    /// `payorch init`: a `config_file` that does not exist yet is the one to create, so it
    /// reads as empty (built-in defaults) instead of being an error.
    pub config_file_may_be_new: bool,
    pub data_dir: Option<PathBuf>,
    pub tenant: Option<TenantId>,
}

/// How a `PAYORCH_*` variable's text becomes a TOML value.
#[derive(Clone, Copy)]
enum EnvKind {
    Str,
    Int,
    /// Comma-separated: `efi,asaas`.
    List,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
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
    ("PAYORCH_AWS_REGION", "aws.region", EnvKind::Str),
    ("PAYORCH_AWS_TABLE", "aws.table", EnvKind::Str),
    ("PAYORCH_AWS_QUEUE", "aws.queue", EnvKind::Str),
    (
        "PAYORCH_AWS_DEAD_LETTER_QUEUE",
        "aws.dead_letter_queue",
        EnvKind::Str,
    ),
    ("PAYORCH_AWS_ENDPOINT_URL", "aws.endpoint_url", EnvKind::Str),
    ("PAYORCH_SERVER_BIND", "server.bind", EnvKind::Str),
    (
        "PAYORCH_SERVER_BODY_LIMIT",
        "server.body_limit",
        EnvKind::Int,
    ),
    (
        "PAYORCH_SERVER_HEADER_READ_TIMEOUT",
        "server.header_read_timeout",
        EnvKind::Str,
    ),
    (
        "PAYORCH_SERVER_BODY_READ_TIMEOUT",
        "server.body_read_timeout",
        EnvKind::Str,
    ),
    (
        "PAYORCH_SERVER_MAX_HEADER_BYTES",
        "server.max_header_bytes",
        EnvKind::Int,
    ),
    (
        "PAYORCH_SERVER_MAX_CONNECTIONS",
        "server.max_connections",
        EnvKind::Int,
    ),
    ("PAYORCH_LOG_LEVEL", "log.level", EnvKind::Str),
    ("PAYORCH_LOG_FORMAT", "log.format", EnvKind::Str),
    ("PAYORCH_IDEMPOTENCY_TTL", "idempotency.ttl", EnvKind::Str),
    (
        "PAYORCH_IDEMPOTENCY_LEASE",
        "idempotency.lease",
        EnvKind::Str,
    ),
    ("PAYORCH_RECOVERY_EVERY", "recovery.every", EnvKind::Str),
    (
        "PAYORCH_RETENTION_INBOUND_BODIES",
        "retention.inbound_bodies",
        EnvKind::Str,
    ),
    (
        "PAYORCH_RECOVERY_LOOKUP_GRACE",
        "recovery.lookup_grace",
        EnvKind::Str,
    ),
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
        "PAYORCH_EFI_COBRANCAS_BASE_URL",
        "gateways.efi.cobrancas_base_url",
        EnvKind::Str,
    ),
    (
        "PAYORCH_EFI_PUBLIC_URL",
        "gateways.efi.public_url",
        EnvKind::Str,
    ),
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
    (
        "PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
        "webhooks.allow_private_targets",
        EnvKind::Bool,
    ),
    (
        "PAYORCH_WEBHOOKS_BATCH_SIZE",
        "webhooks.batch_size",
        EnvKind::Int,
    ),
    (
        "PAYORCH_WEBHOOKS_CONCURRENCY",
        "webhooks.concurrency",
        EnvKind::Int,
    ),
    ("PAYORCH_LIMITS_KEY", "limits.key", EnvKind::Str),
    ("PAYORCH_LIMITS_KEY_BURST", "limits.key_burst", EnvKind::Int),
    ("PAYORCH_LIMITS_TENANT", "limits.tenant", EnvKind::Str),
    (
        "PAYORCH_LIMITS_TENANT_BURST",
        "limits.tenant_burst",
        EnvKind::Int,
    ),
    ("PAYORCH_LIMITS_INBOUND", "limits.inbound", EnvKind::Str),
    (
        "PAYORCH_LIMITS_INBOUND_BURST",
        "limits.inbound_burst",
        EnvKind::Int,
    ),
    ("PAYORCH_LIMITS_INSTANCES", "limits.instances", EnvKind::Int),
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

/// Builds a [`ConfigError::Invalid`] for a key, naming where its value came from.
type Invalid<'a> = &'a dyn Fn(&str, String) -> ConfigError;

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
        let (file, table) = match &overrides.config_file {
            Some(path) if overrides.config_file_may_be_new && !path.exists() => {
                (None, toml::Table::new())
            }
            Some(path) => (Some(path.clone()), read_table(path)?),
            None => match default_config_file(env).filter(|p| p.exists()) {
                Some(path) => (Some(path.clone()), read_table(&path)?),
                None => (None, toml::Table::new()),
            },
        };
        Config::load_table(file, table, overrides, env)
    }

    /// [`Config::load`] with `text` as the contents of the config file `path` (which is only
    /// named in errors, not read): the entry point of the config's property tests and fuzz
    /// target (`payorch::fuzzing::config_text`), the same parse and validation as a file gets.
    pub fn load_text(
        path: &Path,
        text: &str,
        overrides: &Overrides,
        env: &dyn Env,
    ) -> Result<Loaded, ConfigError> {
        let table = parse_table(path, text)?;
        Config::load_table(Some(path.to_path_buf()), table, overrides, env)
    }

    /// The file's table (if any) <- the environment <- flags, validated.
    fn load_table(
        file: Option<PathBuf>,
        mut table: toml::Table,
        overrides: &Overrides,
        env: &dyn Env,
    ) -> Result<Loaded, ConfigError> {
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
                EnvKind::Bool => {
                    toml::Value::Boolean(match raw.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" | "on" => true,
                        "false" | "0" | "no" | "off" => false,
                        _ => {
                            return Err(ConfigError::Env {
                                var: var.to_string(),
                                message: format!("`{raw}` is not true or false"),
                            });
                        }
                    })
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

    fn validate(&self, file: &Option<PathBuf>, env: &[String]) -> Result<(), ConfigError> {
        let origin = |key: &str| origin_of(key, file, env);
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.to_string(),
            origin: origin(key),
            message,
        };
        self.validate_server(&invalid)?;
        self.validate_aws(&invalid)?;
        self.validate_limits(&invalid)?;
        self.validate_log(&invalid)?;
        self.validate_gateways(&invalid)?;
        self.validate_routing(&invalid)?;
        self.validate_durations(&invalid)?;
        self.breaker
            .validate()
            .map_err(|(key, message)| invalid(&key, message))?;
        self.validate_webhooks(&invalid)
    }

    /// `[aws]`: names AWS accepts (checked here so a typo is not a confusing SDK error later)
    /// and an endpoint that is a URL.
    fn validate_aws(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
        let aws = &self.aws;
        let table_ok = (3..=255).contains(&aws.table.len())
            && aws
                .table
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !table_ok {
            return Err(invalid(
                "aws.table",
                format!(
                    "`{}` is not a DynamoDB table name: 3 to 255 of a-z, A-Z, 0-9, `_`, `-`, `.`",
                    aws.table
                ),
            ));
        }
        for (key, name) in [
            ("aws.queue", &aws.queue),
            ("aws.dead_letter_queue", &aws.dead_letter_queue),
        ] {
            let ok = (1..=80).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
            if !ok {
                return Err(invalid(
                    key,
                    format!(
                        "`{name}` is not an SQS queue name: 1 to 80 of a-z, A-Z, 0-9, `_`, `-`"
                    ),
                ));
            }
        }
        if aws.queue == aws.dead_letter_queue {
            return Err(invalid(
                "aws.dead_letter_queue",
                "must differ from `aws.queue`".into(),
            ));
        }
        if let Some(url) = &aws.endpoint_url {
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok || url.parse::<http::Uri>().is_err() {
                return Err(invalid(
                    "aws.endpoint_url",
                    format!("`{url}` is not an http(s) URL, e.g. http://127.0.0.1:5000"),
                ));
            }
        }
        if let Some(region) = &aws.region {
            let ok = !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(invalid(
                    "aws.region",
                    format!("`{region}` is not an AWS region name, e.g. sa-east-1"),
                ));
            }
        }
        Ok(())
    }

    /// `[server]`: the bind address and the limits on requests and connections.
    fn validate_server(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
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
        let header_timeout = self.server.header_read_timeout.0;
        if !(Duration::from_millis(100)..=Duration::from_secs(300)).contains(&header_timeout) {
            return Err(invalid(
                "server.header_read_timeout",
                format!("{} is outside 100ms..=5m", self.server.header_read_timeout),
            ));
        }
        let body_timeout = self.server.body_read_timeout.0;
        if !(Duration::from_millis(100)..=Duration::from_secs(600)).contains(&body_timeout) {
            return Err(invalid(
                "server.body_read_timeout",
                format!("{} is outside 100ms..=10m", self.server.body_read_timeout),
            ));
        }
        if !(8 * 1024..=1024 * 1024).contains(&self.server.max_header_bytes) {
            return Err(invalid(
                "server.max_header_bytes",
                format!(
                    "{} bytes is outside 8192..=1048576",
                    self.server.max_header_bytes
                ),
            ));
        }
        if !(1..=1_000_000).contains(&self.server.max_connections) {
            return Err(invalid(
                "server.max_connections",
                format!("{} is outside 1..=1000000", self.server.max_connections),
            ));
        }
        Ok(())
    }

    /// `[limits]` bursts and instances, and `[amount_limits]`.
    fn validate_limits(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
        for (key, burst) in [
            ("limits.key_burst", self.limits.key_burst),
            ("limits.tenant_burst", self.limits.tenant_burst),
            ("limits.inbound_burst", self.limits.inbound_burst),
            ("limits.instances", self.limits.instances),
        ] {
            if !(1..=1_000_000).contains(&burst) {
                return Err(invalid(key, format!("{burst} is outside 1..=1000000")));
            }
        }
        for (currency, max) in &self.amount_limits.0 {
            if *max <= 0 {
                return Err(invalid(
                    &format!("amount_limits.{currency}"),
                    format!("{max} is not a positive amount in minor units"),
                ));
            }
        }
        Ok(())
    }

    /// `[log] level`: a level or a filter.
    fn validate_log(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
        if tracing_subscriber_filter_ok(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                format!(
                    "`{}` is not a log level (error, warn, info, debug, trace) or filter",
                    self.log.level
                ),
            ));
        }
        Ok(())
    }

    /// `[gateways.*] base_url`: the outbound URL policy.
    fn validate_gateways(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
        for (key, url) in [
            ("stripe.base_url", &self.gateways.stripe.base_url),
            ("efi.base_url", &self.gateways.efi.base_url),
            (
                "efi.cobrancas_base_url",
                &self.gateways.efi.cobrancas_base_url,
            ),
            ("asaas.base_url", &self.gateways.asaas.base_url),
        ] {
            crate::egress::check_base_url(url, self.webhooks.allow_private_targets)
                .map_err(|message| invalid(&format!("gateways.{key}"), message))?;
        }
        Ok(())
    }

    /// `[idempotency]`, `[recovery]` and `[retention]` durations.
    fn validate_durations(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
        if self.idempotency.ttl.0 < Duration::from_secs(24 * 3600) {
            return Err(invalid(
                "idempotency.ttl",
                format!(
                    "{} is shorter than the 24h minimum that clients rely on",
                    self.idempotency.ttl
                ),
            ));
        }
        for (key, value, min, max) in [
            ("idempotency.lease", self.idempotency.lease.0, 1, 3600),
            ("recovery.every", self.recovery.every.0, 1, 3600),
            (
                "retention.inbound_bodies",
                self.retention.inbound_bodies.0,
                1,
                10 * 365 * 24 * 3600,
            ),
            (
                "recovery.lookup_grace",
                self.recovery.lookup_grace.0,
                0,
                24 * 3600,
            ),
        ] {
            let (lo, hi) = (Duration::from_secs(min), Duration::from_secs(max));
            if value < lo || value > hi {
                return Err(invalid(
                    key,
                    format!(
                        "{} is outside {}..{}",
                        HumanDuration(value),
                        HumanDuration(lo),
                        HumanDuration(hi)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `[webhooks]`: the retry schedule, the attempt timeout, the batch size and concurrency.
    fn validate_webhooks(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
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
        for (key, value, max) in [
            ("webhooks.batch_size", self.webhooks.batch_size, 1000),
            ("webhooks.concurrency", self.webhooks.concurrency, 64),
        ] {
            if !(1..=max).contains(&value) {
                return Err(invalid(key, format!("{value} is outside 1..={max}")));
            }
        }
        Ok(())
    }

    /// `[routing]`: a valid table whose gateways are all enabled. (Credentials are not checked
    /// here: a gateway without them is skipped at charge time and `gateway list` says why.)
    fn validate_routing(&self, invalid: Invalid<'_>) -> Result<(), ConfigError> {
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
    parse_table(path, &text)
}

/// The file `path`'s `text` as a table, checked against [`Config`]'s shape.
fn parse_table(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    // Parse into a document first to learn spans, then deserialize to catch unknown keys and
    // types against the text, so errors carry line, column and key.
    let table: toml::Table = toml::from_str(text).map_err(|e| parse_error(path, text, &e))?;
    toml::from_str::<Config>(text).map_err(|e| parse_error(path, text, &e))?;
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
