//! A breaker's tuning ([`BreakerConfig`]) and the `[breaker]` config section
//! ([`BreakerSettings`]: defaults plus per-gateway overrides), with validation that names the key.
//!
//! Pure data and serde: no I/O. The defaults follow resilience4j's, scaled to a payment path
//! (a shorter window and wait, fewer probes).

use std::fmt;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::clock::HumanDuration;
use crate::model::GatewayId;

/// What the sliding window counts over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlidingWindow {
    /// The last `window_size` calls.
    Count,
    /// The calls of the last `window_duration`, in one-second buckets.
    Time,
}

/// A key with a bad value, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct BreakerConfigError {
    /// The key, relative to its section (e.g. `minimum_calls`).
    pub key: &'static str,
    pub message: String,
}

/// Defines [`BreakerConfig`] (every key, with its default) and [`BreakerOverrides`] (every key
/// optional) from one list, so the two can never disagree.
macro_rules! breaker_keys {
    ($($(#[$doc:meta])* $field:ident : $ty:ty = $default:expr,)*) => {
        /// One breaker's tuning. See the README's `[breaker]` table for the meaning of each key.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct BreakerConfig {
            $($(#[$doc])* pub $field: $ty,)*
        }

        impl Default for BreakerConfig {
            fn default() -> Self {
                BreakerConfig { $($field: $default,)* }
            }
        }

        /// A `[breaker.<gateway>]` table: the keys it sets replace the `[breaker]` defaults.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct BreakerOverrides {
            $(#[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }

        impl BreakerOverrides {
            /// Every key a breaker table accepts.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// `base` with the keys this table sets replaced.
            pub fn apply_to(&self, base: &BreakerConfig) -> BreakerConfig {
                BreakerConfig {
                    $($field: self.$field.clone().unwrap_or_else(|| base.$field.clone()),)*
                }
            }

            /// Reads the value of `key` from a map being deserialized; `false` when `key` is
            /// not a breaker key (the value is then not consumed).
            fn read_key<'de, A: MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $(stringify!($field) => {
                        self.$field = Some(map.next_value()?);
                        Ok(true)
                    })*
                    _ => Ok(false),
                }
            }
        }
    };
}

breaker_keys! {
    /// `count` (the last `window_size` calls) or `time` (the last `window_duration`).
    sliding_window: SlidingWindow = SlidingWindow::Count,
    /// Calls in a count-based window.
    window_size: u32 = 100,
    /// The span of a time-based window, in whole seconds (one-second buckets).
    window_duration: HumanDuration = HumanDuration(Duration::from_secs(60)),
    /// Opens when at least this percentage of the window's calls failed (1–100).
    failure_rate_threshold: u8 = 50,
    /// Opens when at least this percentage of the window's calls were slow (1–100).
    slow_call_rate_threshold: u8 = 100,
    /// A call that takes at least this long is slow.
    slow_call_duration: HumanDuration = HumanDuration(Duration::from_secs(5)),
    /// No rate is judged before the window holds this many calls.
    minimum_calls: u32 = 20,
    /// How long it stays open before admitting probes.
    wait_in_open: HumanDuration = HumanDuration(Duration::from_secs(30)),
    /// Probe calls admitted in half-open (for the whole fleet); all must succeed to close.
    permitted_calls_in_half_open: u32 = 5,
    /// Reopens when the probes have not all completed after this long; unset: wait for them.
    max_wait_in_half_open: Option<HumanDuration> = None,
}

impl BreakerConfig {
    /// Checks every key's range; the error names the first bad key.
    pub fn validate(&self) -> Result<(), BreakerConfigError> {
        let bad = |key, message: String| Err(BreakerConfigError { key, message });
        if !(1..=10_000).contains(&self.window_size) {
            return bad(
                "window_size",
                format!("{} is outside 1..=10000 calls", self.window_size),
            );
        }
        let span = self.window_duration.0;
        if span < Duration::from_secs(1)
            || span > Duration::from_secs(3600)
            || span.subsec_nanos() != 0
        {
            return bad(
                "window_duration",
                format!(
                    "{} must be whole seconds, from 1s to 1h",
                    self.window_duration
                ),
            );
        }
        for (key, pct) in [
            ("failure_rate_threshold", self.failure_rate_threshold),
            ("slow_call_rate_threshold", self.slow_call_rate_threshold),
        ] {
            if !(1..=100).contains(&pct) {
                return bad(key, format!("{pct} is not a percentage in 1..=100"));
            }
        }
        if self.minimum_calls == 0 {
            return bad("minimum_calls", "must be at least 1".into());
        }
        if self.sliding_window == SlidingWindow::Count && self.minimum_calls > self.window_size {
            return bad(
                "minimum_calls",
                format!(
                    "{} is more than window_size ({}): a count window could never hold enough calls to open",
                    self.minimum_calls, self.window_size
                ),
            );
        }
        if !(1..=1000).contains(&self.permitted_calls_in_half_open) {
            return bad(
                "permitted_calls_in_half_open",
                format!("{} is outside 1..=1000", self.permitted_calls_in_half_open),
            );
        }
        for (key, d) in [
            ("slow_call_duration", Some(self.slow_call_duration)),
            ("wait_in_open", Some(self.wait_in_open)),
            ("max_wait_in_half_open", self.max_wait_in_half_open),
        ] {
            if d.is_some_and(|d| d.0.is_zero()) {
                return bad(key, "must be longer than zero".into());
            }
        }
        Ok(())
    }
}

/// The `[breaker]` section: `sync_interval`, the defaults for every gateway (any
/// [`BreakerConfig`] key directly under `[breaker]`), and `[breaker.<gateway>]` overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BreakerSettings {
    /// How often each `serve` instance syncs its breakers with the store.
    pub sync_interval: SyncInterval,
    /// What `[breaker]` itself sets, over the built-in defaults.
    pub defaults: BreakerOverrides,
    pub stripe: BreakerOverrides,
    pub efi: BreakerOverrides,
    pub asaas: BreakerOverrides,
}

/// `breaker.sync_interval`: default 250 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SyncInterval(pub HumanDuration);

impl Default for SyncInterval {
    fn default() -> Self {
        SyncInterval(HumanDuration(Duration::from_millis(250)))
    }
}

impl BreakerSettings {
    /// The tuning of `gateway`'s breakers: built-in defaults ← `[breaker]` ← `[breaker.<gateway>]`.
    pub fn for_gateway(&self, gateway: GatewayId) -> BreakerConfig {
        let base = self.defaults.apply_to(&BreakerConfig::default());
        self.overrides(gateway).apply_to(&base)
    }

    fn overrides(&self, gateway: GatewayId) -> &BreakerOverrides {
        match gateway {
            GatewayId::Stripe => &self.stripe,
            GatewayId::Efi => &self.efi,
            GatewayId::Asaas => &self.asaas,
        }
    }

    /// Validates every gateway's effective tuning; the error's key is the full dotted path.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let interval = self.sync_interval.0.0;
        if interval < Duration::from_millis(10) || interval > Duration::from_secs(60) {
            return Err((
                "breaker.sync_interval".into(),
                format!("{} is outside 10ms..=60s", self.sync_interval.0),
            ));
        }
        for gateway in GatewayId::ALL {
            if let Err(e) = self.for_gateway(gateway).validate() {
                let section = if self.overrides(gateway).sets(e.key) {
                    format!("breaker.{gateway}")
                } else {
                    "breaker".into()
                };
                return Err((format!("{section}.{}", e.key), e.message));
            }
        }
        Ok(())
    }
}

impl BreakerOverrides {
    fn sets(&self, key: &str) -> bool {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get(key).cloned())
            .is_some()
    }
}

impl Serialize for BreakerSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            sync_interval: SyncInterval,
            #[serde(flatten)]
            defaults: BreakerConfig,
            #[serde(skip_serializing_if = "is_empty")]
            stripe: &'a BreakerOverrides,
            #[serde(skip_serializing_if = "is_empty")]
            efi: &'a BreakerOverrides,
            #[serde(skip_serializing_if = "is_empty")]
            asaas: &'a BreakerOverrides,
        }
        fn is_empty(o: &&BreakerOverrides) -> bool {
            **o == BreakerOverrides::default()
        }
        Flat {
            sync_interval: self.sync_interval,
            defaults: self.defaults.apply_to(&BreakerConfig::default()),
            stripe: &self.stripe,
            efi: &self.efi,
            asaas: &self.asaas,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for BreakerSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SettingsVisitor;
        impl<'de> Visitor<'de> for SettingsVisitor {
            type Value = BreakerSettings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [breaker] table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BreakerSettings, A::Error> {
                let mut out = BreakerSettings::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "sync_interval" => out.sync_interval = map.next_value()?,
                        "stripe" => out.stripe = map.next_value()?,
                        "efi" => out.efi = map.next_value()?,
                        "asaas" => out.asaas = map.next_value()?,
                        other => {
                            if !out.defaults.read_key(other, &mut map)? {
                                return Err(de::Error::unknown_field(other, expected_keys()));
                            }
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(SettingsVisitor)
    }
}

fn expected_keys() -> &'static [&'static str] {
    const ALL: &[&str] = &[
        "sync_interval",
        "stripe",
        "efi",
        "asaas",
        "sliding_window",
        "window_size",
        "window_duration",
        "failure_rate_threshold",
        "slow_call_rate_threshold",
        "slow_call_duration",
        "minimum_calls",
        "wait_in_open",
        "permitted_calls_in_half_open",
        "max_wait_in_half_open",
    ];
    ALL
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY_TABLES: [&str; 3] = ["stripe", "efi", "asaas"];

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = BreakerConfig::default();
        c.validate().unwrap();
        assert_eq!(c.window_size, 100);
        assert_eq!(c.failure_rate_threshold, 50);
        assert_eq!(c.slow_call_rate_threshold, 100);
        assert_eq!(c.minimum_calls, 20);
        assert_eq!(c.permitted_calls_in_half_open, 5);
        assert_eq!(c.max_wait_in_half_open, None);
    }

    #[test]
    fn the_key_list_matches_the_config_keys() {
        let mut keys: Vec<&str> = expected_keys()
            .iter()
            .copied()
            .filter(|k| *k != "sync_interval" && !GATEWAY_TABLES.contains(k))
            .collect();
        keys.sort_unstable();
        let mut defined = BreakerOverrides::KEYS.to_vec();
        defined.sort_unstable();
        assert_eq!(keys, defined);
    }

    #[test]
    fn gateway_tables_override_section_defaults() {
        let s: BreakerSettings = toml::from_str(
            "minimum_calls = 10\nwait_in_open = \"1m\"\n[stripe]\nminimum_calls = 4\n",
        )
        .unwrap();
        let stripe = s.for_gateway(GatewayId::Stripe);
        let efi = s.for_gateway(GatewayId::Efi);
        assert_eq!((stripe.minimum_calls, efi.minimum_calls), (4, 10));
        assert_eq!(stripe.wait_in_open.0, Duration::from_secs(60));
        assert_eq!(efi.window_size, 100);
        // It renders back to the same settings.
        let text = toml::to_string(&s).unwrap();
        let again: BreakerSettings = toml::from_str(&text).unwrap();
        assert_eq!(again.for_gateway(GatewayId::Stripe), stripe);
        assert_eq!(again.for_gateway(GatewayId::Asaas), efi);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<BreakerSettings>("minimum_cals = 3\n").unwrap_err();
        assert!(err.to_string().contains("minimum_cals"), "{err}");
        let err = toml::from_str::<BreakerSettings>("[efi]\nwindow = 3\n").unwrap_err();
        assert!(err.to_string().contains("window"), "{err}");
    }

    #[test]
    fn validation_names_the_key_and_its_section() {
        let s: BreakerSettings = toml::from_str("[asaas]\nfailure_rate_threshold = 0\n").unwrap();
        let (key, msg) = s.validate().unwrap_err();
        assert_eq!(key, "breaker.asaas.failure_rate_threshold");
        assert!(msg.contains("percentage"), "{msg}");

        let s: BreakerSettings = toml::from_str("window_size = 10\n").unwrap();
        let (key, msg) = s.validate().unwrap_err();
        assert_eq!(key, "breaker.minimum_calls", "{msg}");

        let s: BreakerSettings = toml::from_str("window_duration = \"1500ms\"\n").unwrap();
        assert_eq!(s.validate().unwrap_err().0, "breaker.window_duration");

        let s: BreakerSettings = toml::from_str("sync_interval = \"1ms\"\n").unwrap();
        assert_eq!(s.validate().unwrap_err().0, "breaker.sync_interval");

        let s: BreakerSettings =
            toml::from_str("sliding_window = \"time\"\nwindow_size = 10\n").unwrap();
        s.validate().unwrap();
    }
}
