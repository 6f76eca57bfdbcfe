//! `--outage GATEWAY:FROM-TO`: one gateway taken down (its listener refuses connections) from
//! one offset of the run to another. Parsing and the checks a schedule must pass; applying it
//! on time is `mod.rs`'s job, switching the gateway is the stack's.

use std::time::Duration;

use serde::Serialize;

use payorch::model::GatewayId;

/// One planned outage: `gateway` is down from `from` to `to` after the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    pub gateway: GatewayId,
    pub from: Duration,
    pub to: Duration,
}

/// A scheduled switch: at `at`, `gateway` goes down (`down`) or back up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    pub at: Duration,
    pub gateway: GatewayId,
    pub down: bool,
}

/// An outage as it happened (scheduled or by hand), seconds from the start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppliedOutage {
    pub gateway: GatewayId,
    pub down_at_secs: f64,
    /// `None` when it was still down at the end.
    pub up_at_secs: Option<f64>,
}

/// Parses `GATEWAY:FROM-TO` (e.g. `stripe:5s-12s`), for clap: the message says what is wrong;
/// clap names the flag.
pub fn parse(s: &str) -> Result<Outage, String> {
    let (gateway, range) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}` is not GATEWAY:FROM-TO (e.g. stripe:5s-12s)"))?;
    let gateway: GatewayId = gateway
        .trim()
        .parse()
        .map_err(|_| format!("unknown gateway `{gateway}` (expected stripe, efi or asaas)"))?;
    let (from, to) = range
        .split_once('-')
        .ok_or_else(|| format!("`{range}` is not FROM-TO (e.g. 5s-12s)"))?;
    let offset = |v: &str| {
        humantime::parse_duration(v.trim())
            .map_err(|e| format!("`{v}` is not a duration like 5s or 1m: {e}"))
    };
    let (from, to) = (offset(from)?, offset(to)?);
    if from >= to {
        return Err(format!(
            "`{range}`: the outage must end after it starts (FROM < TO)"
        ));
    }
    Ok(Outage { gateway, from, to })
}

/// Checks a whole schedule: every outage ends within `duration` (when the run has one), and
/// no two outages of one gateway overlap. The message names `--outage`.
pub fn validate(outages: &[Outage], duration: Option<Duration>) -> Result<(), String> {
    let show = |o: &Outage| {
        format!(
            "{}:{}-{}",
            o.gateway,
            humantime::format_duration(o.from),
            humantime::format_duration(o.to)
        )
    };
    for (i, o) in outages.iter().enumerate() {
        if let Some(d) = duration
            && o.to > d
        {
            return Err(format!(
                "--outage {} ends after the run does (--duration {})",
                show(o),
                humantime::format_duration(d)
            ));
        }
        if let Some(other) = outages[..i]
            .iter()
            .find(|p| p.gateway == o.gateway && p.from < o.to && o.from < p.to)
        {
            return Err(format!(
                "--outage {} overlaps --outage {}: one gateway cannot go down twice at once",
                show(o),
                show(other)
            ));
        }
    }
    Ok(())
}

/// The outage a headless run without `--outage` shows: `primary` down from a fifth to half of
/// the run (6 s to 15 s of the default 30 s), which leaves the second half for its breaker to
/// open, half-open and close again. Whole tenths of a second.
pub fn default_for(primary: GatewayId, duration: Duration) -> Outage {
    let at = |share: u128| {
        Duration::from_millis((duration.as_millis() * share / 1000 / 100 * 100) as u64)
    };
    Outage {
        gateway: primary,
        from: at(200),
        to: at(500),
    }
}

/// The switches of a schedule, in time order (an up before a down at the same instant).
pub fn switches(outages: &[Outage]) -> Vec<Switch> {
    let mut out: Vec<Switch> = outages
        .iter()
        .flat_map(|o| {
            [
                Switch {
                    at: o.from,
                    gateway: o.gateway,
                    down: true,
                },
                Switch {
                    at: o.to,
                    gateway: o.gateway,
                    down: false,
                },
            ]
        })
        .collect();
    out.sort_by_key(|s| (s.at, s.down));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn parses_gateway_and_offsets() {
        let o = parse("stripe:5s-12s").unwrap();
        assert_eq!(o.gateway, GatewayId::Stripe);
        assert_eq!((o.from, o.to), (secs(5), secs(12)));
        assert_eq!(parse("efi:0s-1m").unwrap().to, secs(60));
    }

    #[test]
    fn refuses_bad_outages_saying_why() {
        assert!(
            parse("nope:1s-2s")
                .unwrap_err()
                .contains("unknown gateway `nope`")
        );
        assert!(parse("stripe:5s-3s").unwrap_err().contains("FROM < TO"));
        assert!(parse("stripe:5s-5s").unwrap_err().contains("FROM < TO"));
        assert!(parse("stripe").unwrap_err().contains("GATEWAY:FROM-TO"));
        assert!(parse("stripe:5s").unwrap_err().contains("FROM-TO"));
        assert!(parse("stripe:soon-12s").unwrap_err().contains("`soon`"));
    }

    #[test]
    fn a_schedule_stays_within_the_run_and_never_overlaps_one_gateway() {
        let a = parse("stripe:5s-12s").unwrap();
        assert_eq!(validate(&[a], Some(secs(20))), Ok(()));
        assert_eq!(validate(&[a], None), Ok(()));
        let late = validate(&[a], Some(secs(10))).unwrap_err();
        assert!(late.contains("--outage stripe:5s-12s ends after"), "{late}");
        let b = parse("stripe:10s-15s").unwrap();
        let overlap = validate(&[a, b], Some(secs(20))).unwrap_err();
        assert!(overlap.contains("overlaps"), "{overlap}");
        // Back to back, or another gateway at the same time: fine.
        let c = parse("stripe:12s-15s").unwrap();
        let d = parse("efi:6s-8s").unwrap();
        assert_eq!(validate(&[a, c, d], Some(secs(20))), Ok(()));
    }

    #[test]
    fn the_default_outage_takes_the_primary_down_for_the_middle_of_the_run() {
        let o = default_for(GatewayId::Stripe, secs(30));
        assert_eq!(
            (o.gateway, o.from, o.to),
            (GatewayId::Stripe, secs(6), secs(15))
        );
        let short = default_for(GatewayId::Stripe, Duration::from_millis(2_500));
        assert_eq!(short.from, Duration::from_millis(500));
        assert_eq!(short.to, Duration::from_millis(1_200));
        assert_eq!(
            validate(&[short], Some(Duration::from_millis(2_500))),
            Ok(())
        );
    }

    #[test]
    fn switches_come_in_time_order_up_first() {
        let a = parse("stripe:5s-12s").unwrap();
        let c = parse("stripe:12s-15s").unwrap();
        let s = switches(&[c, a]);
        let seen: Vec<(u64, bool)> = s.iter().map(|s| (s.at.as_secs(), s.down)).collect();
        assert_eq!(seen, vec![(5, true), (12, false), (12, true), (15, false)]);
    }
}
