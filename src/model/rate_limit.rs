//! A request rate as operators write it: `200/s`, `12000/min`, `5000/h`, or `off`. Used by the
//! `[limits]` config section and by an API key's own override (`payorch apikey create
//! --rate-limit`). Pure vocabulary: the limiter that enforces it is `crate::ratelimit`.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The period of a [`Rate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    Second,
    Minute,
    Hour,
}

impl Period {
    pub fn duration(self) -> Duration {
        Duration::from_secs(match self {
            Period::Second => 1,
            Period::Minute => 60,
            Period::Hour => 3600,
        })
    }

    fn suffix(self) -> &'static str {
        match self {
            Period::Second => "s",
            Period::Minute => "min",
            Period::Hour => "h",
        }
    }
}

/// `count` requests per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    pub count: NonZeroU32,
    pub period: Period,
}

/// A limit, or none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimit {
    /// No limit.
    Off,
    Limited(Rate),
}

impl RateLimit {
    /// `count/period`, or `None` when off.
    pub fn rate(self) -> Option<Rate> {
        match self {
            RateLimit::Off => None,
            RateLimit::Limited(r) => Some(r),
        }
    }
}

/// Why a rate did not parse; the message says what is expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a rate: write COUNT/PERIOD with PERIOD s, min or h (e.g. 200/s, 12000/min), or off"
)]
pub struct RateLimitError {
    input: String,
}

impl FromStr for RateLimit {
    type Err = RateLimitError;
    fn from_str(s: &str) -> Result<Self, RateLimitError> {
        let err = || RateLimitError {
            input: s.to_string(),
        };
        let t = s.trim();
        if t.eq_ignore_ascii_case("off") {
            return Ok(RateLimit::Off);
        }
        let (count, period) = t.split_once('/').ok_or_else(err)?;
        let count = count.trim();
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let count: NonZeroU32 = count.parse().map_err(|_| err())?;
        let period = match period.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Period::Second,
            "m" | "min" | "minute" => Period::Minute,
            "h" | "hour" => Period::Hour,
            _ => return Err(err()),
        };
        Ok(RateLimit::Limited(Rate { count, period }))
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimit::Off => f.write_str("off"),
            RateLimit::Limited(r) => write!(f, "{}/{}", r.count, r.period.suffix()),
        }
    }
}

impl Serialize for RateLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RateLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_documented_forms() {
        for (text, shown) in [
            ("200/s", "200/s"),
            ("12000/min", "12000/min"),
            ("5000/h", "5000/h"),
            (" 3/m ", "3/min"),
            ("OFF", "off"),
        ] {
            let r: RateLimit = text.parse().unwrap();
            assert_eq!(r.to_string(), shown, "{text}");
            assert_eq!(r.to_string().parse::<RateLimit>().unwrap(), r);
        }
    }

    #[test]
    fn refuses_what_is_not_a_rate() {
        for bad in [
            "",
            "200",
            "0/s",
            "-1/s",
            "+5/s",
            "1.5/s",
            "200/d",
            "/s",
            "x/s",
            "99999999999/s",
        ] {
            let e = bad.parse::<RateLimit>().unwrap_err();
            assert!(e.to_string().contains("200/s"), "{bad}: {e}");
        }
    }
}
