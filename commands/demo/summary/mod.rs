//! What a demo run amounts to: the facts gathered at the end (the merchant's requests, the
//! stored charges and events, the queue, the breaker log) turned into the summary people read
//! and scripts parse (`-o json`), and the verdict behind the exit code. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use payorch::breaker::BreakerState;
use payorch::model::{AttemptOutcome, Charge, ChargeStatus, GatewayId, PaymentMethod};
use payorch::store::QueueStats;

use super::merchant::Received;
use super::outage::AppliedOutage;
use super::traffic::Sent;

/// One breaker state change, seen by the demo's poll of the in-process breakers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerChange {
    pub gateway: GatewayId,
    pub from: BreakerState,
    pub to: BreakerState,
    pub at_secs: f64,
}

/// The breaker tuning the demo runs with (every gateway), so a reader knows what to expect.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerTuning {
    pub window_size: u32,
    pub minimum_calls: u32,
    pub failure_rate_threshold: u8,
    pub wait_in_open_secs: f64,
    pub permitted_calls_in_half_open: u32,
}

/// The reconciler's pass at the end of the run (rule 4's leftovers).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reconciled {
    /// `unknown` charges resolved by asking their gateway.
    pub resolved: usize,
    /// Pix left at a gateway a charge failed over from, cancelled there.
    pub orphans_cancelled: usize,
    /// Such orphans the payer paid anyway: money to return.
    pub orphans_paid: usize,
    /// Left for a later pass (the gateway could not say yet).
    pub deferred: usize,
}

/// Everything gathered at the end of a run.
pub struct Facts {
    pub elapsed: Duration,
    pub rate: f64,
    pub seed: u64,
    pub sent: Vec<Sent>,
    /// The stored charges the API answered with, read after the drain.
    pub charges: Vec<Charge>,
    /// Ids of every event in the event log.
    pub emitted: BTreeSet<String>,
    /// Events repeating news already sent (same charge, type and refunded amount).
    pub repeated_events: u64,
    pub queue: QueueStats,
    pub received: Received,
    pub breakers: Vec<BreakerChange>,
    pub outages: Vec<AppliedOutage>,
    pub tuning: BreakerTuning,
    pub reconciled: Reconciled,
    pub data_dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Charges {
    /// Charge requests the merchant sent.
    pub requested: u64,
    /// Requests answered with a charge.
    pub created: u64,
    pub succeeded: u64,
    /// Pix awaiting their payer (and anything else still open).
    pub pending: u64,
    /// Refused by the card issuer: a business answer from a healthy gateway.
    pub declined: u64,
    /// Charges a healthy gateway could have taken but no gateway did (5xx, no route,
    /// gateway errors), and requests never answered with a charge.
    pub failed: u64,
    /// Failed while every gateway for the method was down by the demo's own outages: no
    /// healthy gateway could have taken them (not counted in `failed`).
    pub unavailable: u64,
    /// Outcome not known (rule 4): left for the reconciler.
    pub unknown: u64,
    /// Canceled or refunded (the demo does neither; listed so nothing goes uncounted).
    pub other: u64,
    pub pix: u64,
    pub card: u64,
    /// Pix charges whose payer paid during the run.
    pub paid_by_payers: u64,
    /// Requests the merchant had to retry with the same key.
    pub retried: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Events {
    /// Events in the event log.
    pub emitted: u64,
    /// Distinct events the merchant received and verified.
    pub delivered: u64,
    /// Emitted events the merchant never received.
    pub undelivered: u64,
    /// Deliveries the merchant refused for a bad signature.
    pub bad_signatures: u64,
    /// Emitted events that repeat news already sent for the same charge (delivery is at least
    /// once, so a crash may cause some; a healthy run has none).
    pub repeated: u64,
    /// Still in the delivery queue (ready or waiting for a retry).
    pub queued: u64,
    /// In the dead-letter queue.
    pub dlq: u64,
    /// Delivered events by type.
    pub by_type: BTreeMap<String, u64>,
}

/// The run, for people (`render`) and scripts (JSON).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub duration_secs: f64,
    pub rate: f64,
    pub seed: u64,
    pub outages: Vec<AppliedOutage>,
    pub breaker_settings: BreakerTuning,
    pub charges: Charges,
    /// Charges by the gateway that holds them.
    pub by_gateway: BTreeMap<GatewayId, u64>,
    /// Charges whose attempts show another gateway skipped or failed before the one that
    /// took them.
    pub failovers: u64,
    pub breakers: Vec<BreakerChange>,
    pub events: Events,
    pub reconciled: Reconciled,
    /// One line per failed or unknown charge (at most 20).
    pub problem_charges: Vec<String>,
    /// The kept data dir (`--keep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// No failed charge, every emitted event delivered, an empty DLQ.
    pub ok: bool,
    /// Why not, one sentence each.
    pub problems: Vec<String>,
}

const MAX_PROBLEM_LINES: usize = 20;

impl Summary {
    pub fn from_facts(f: Facts) -> Summary {
        let mut c = Charges {
            requested: f.sent.len() as u64,
            ..Charges::default()
        };
        let mut problem_charges = Vec::new();
        let mut note = |line: String| {
            if problem_charges.len() < MAX_PROBLEM_LINES {
                problem_charges.push(line);
            }
        };
        let stored: BTreeMap<String, &Charge> =
            f.charges.iter().map(|ch| (ch.id.to_string(), ch)).collect();
        let mut by_gateway = BTreeMap::new();
        let mut failovers = 0;
        for s in &f.sent {
            if s.pix {
                c.pix += 1;
            } else {
                c.card += 1;
            }
            c.paid_by_payers += u64::from(s.paid);
            c.retried += u64::from(s.tries > 1);
            let all_down = all_down(&f.outages, s);
            let Some(charge) = s.charge.as_deref().and_then(|id| stored.get(id)) else {
                if all_down {
                    c.unavailable += 1;
                    continue;
                }
                c.failed += 1;
                note(format!(
                    "request {} ({}): {}",
                    s.n,
                    if s.pix { "pix" } else { "card" },
                    s.error
                        .as_deref()
                        .unwrap_or("answered without a stored charge")
                ));
                continue;
            };
            c.created += 1;
            if let Some(g) = charge.gateway {
                *by_gateway.entry(g).or_insert(0) += 1;
                if charge.attempts.iter().any(|a| a.gateway != g) {
                    failovers += 1;
                }
            }
            match classify(charge) {
                Class::Succeeded => c.succeeded += 1,
                Class::Pending => c.pending += 1,
                Class::Declined => c.declined += 1,
                Class::Failed if all_down => c.unavailable += 1,
                Class::Failed => {
                    c.failed += 1;
                    note(format!(
                        "{} ({}): failed: {}",
                        charge.id,
                        method(charge.method),
                        charge
                            .failure
                            .as_ref()
                            .map(|x| format!("{} ({})", x.message, x.code))
                            .unwrap_or_default()
                    ));
                }
                Class::Unknown => {
                    c.unknown += 1;
                    note(format!(
                        "{} ({}): unknown at {}, left to the reconciler",
                        charge.id,
                        method(charge.method),
                        charge.gateway.map(|g| g.to_string()).unwrap_or_default()
                    ));
                }
                Class::Other => c.other += 1,
            }
        }
        let delivered = f.emitted.intersection(&f.received.ids).count() as u64;
        let events = Events {
            emitted: f.emitted.len() as u64,
            delivered,
            undelivered: f.emitted.len() as u64 - delivered,
            bad_signatures: f.received.bad_signatures,
            repeated: f.repeated_events,
            queued: f.queue.ready + f.queue.delayed,
            dlq: f.queue.dead,
            by_type: f.received.by_type.clone(),
        };
        let mut problems = Vec::new();
        if c.created == 0 {
            problems.push("no charge was created".to_string());
        }
        if c.failed > 0 {
            problems.push(format!(
                "{} charge(s) failed that a healthy gateway could have taken",
                c.failed
            ));
        }
        if events.undelivered > 0 {
            problems.push(format!(
                "{} of {} emitted event(s) never reached the merchant",
                events.undelivered, events.emitted
            ));
        }
        if events.dlq > 0 {
            problems.push(format!("{} event(s) in the DLQ", events.dlq));
        }
        Summary {
            duration_secs: round1(f.elapsed.as_secs_f64()),
            rate: f.rate,
            seed: f.seed,
            outages: f.outages,
            breaker_settings: f.tuning,
            charges: c,
            by_gateway,
            failovers,
            breakers: f.breakers,
            events,
            reconciled: f.reconciled,
            problem_charges,
            data_dir: f.data_dir,
            ok: problems.is_empty(),
            problems,
        }
    }

    /// The summary for people.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let c = &self.charges;
        let e = &self.events;
        let b = &self.breaker_settings;
        let _ = writeln!(
            s,
            "payorch demo: {:.1}s at {}/s (seed {})",
            self.duration_secs, self.rate, self.seed
        );
        let outages = if self.outages.is_empty() {
            "none".to_string()
        } else {
            self.outages
                .iter()
                .map(|o| match o.up_at_secs {
                    Some(up) => format!("{} down {:.1}s-{:.1}s", o.gateway, o.down_at_secs, up),
                    None => format!("{} down from {:.1}s to the end", o.gateway, o.down_at_secs),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(s, "  outages     {outages}");
        let _ = writeln!(
            s,
            "  breakers    open at {}% failures of the last {} calls (at least {}), stay open {}s, then {} probe(s)",
            b.failure_rate_threshold,
            b.window_size,
            b.minimum_calls,
            b.wait_in_open_secs,
            b.permitted_calls_in_half_open
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Charges     {} requested, {} created ({} pix, {} card)",
            c.requested, c.created, c.pix, c.card
        );
        let _ = writeln!(s, "  succeeded {:>5}", c.succeeded);
        let _ = writeln!(
            s,
            "  pending   {:>5}   pix awaiting their payer ({} paid during the run)",
            c.pending, c.paid_by_payers
        );
        let _ = writeln!(s, "  declined  {:>5}   by the card issuer", c.declined);
        let _ = writeln!(
            s,
            "  failed    {:>5}   that a healthy gateway could have taken",
            c.failed
        );
        if c.unavailable > 0 {
            let _ = writeln!(
                s,
                "  unavailable {:>3}   every gateway for the method was down",
                c.unavailable
            );
        }
        let _ = writeln!(s, "  unknown   {:>5}", c.unknown);
        if c.other > 0 {
            let _ = writeln!(s, "  other     {:>5}   canceled or refunded", c.other);
        }
        let gateways = self
            .by_gateway
            .iter()
            .map(|(g, n)| format!("{g} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(s, "  gateways    {gateways}");
        let _ = writeln!(
            s,
            "  failovers   {} (merchant retries with the same key: {})",
            self.failovers, c.retried
        );
        let r = &self.reconciled;
        if *r != Reconciled::default() {
            let _ = writeln!(
                s,
                "  reconciled  {} unknown resolved, {} orphan(s) cancelled, {} orphan(s) paid, {} deferred",
                r.resolved, r.orphans_cancelled, r.orphans_paid, r.deferred
            );
        }
        for line in &self.problem_charges {
            let _ = writeln!(s, "    {line}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Breakers");
        if self.breakers.is_empty() {
            let _ = writeln!(s, "  every breaker stayed closed");
        }
        for g in GatewayId::ALL {
            let changes: Vec<&BreakerChange> =
                self.breakers.iter().filter(|x| x.gateway == g).collect();
            let Some(first) = changes.first() else {
                continue;
            };
            let steps = changes
                .iter()
                .map(|x| format!("{} at {:.1}s", x.to, x.at_secs))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(s, "  {:<8}{}→{steps}", format!("{g}:"), first.from);
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Events      {} emitted, {} delivered and verified by the merchant",
            e.emitted, e.delivered
        );
        let types = e
            .by_type
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        if !types.is_empty() {
            let _ = writeln!(s, "  by type     {types}");
        }
        let _ = writeln!(
            s,
            "  undelivered {}, repeated {}, bad signatures {}, still queued {}, DLQ {}",
            e.undelivered, e.repeated, e.bad_signatures, e.queued, e.dlq
        );
        if let Some(dir) = &self.data_dir {
            let _ = writeln!(s);
            let _ = writeln!(s, "Data kept in {}", dir.display());
        }
        s
    }
}

enum Class {
    Succeeded,
    Pending,
    Declined,
    Failed,
    Unknown,
    Other,
}

fn classify(charge: &Charge) -> Class {
    match charge.status() {
        ChargeStatus::Succeeded => Class::Succeeded,
        ChargeStatus::Pending | ChargeStatus::RequiresAction | ChargeStatus::Processing => {
            Class::Pending
        }
        ChargeStatus::Failed
            if charge
                .attempts
                .last()
                .is_some_and(|a| a.outcome == AttemptOutcome::Declined) =>
        {
            Class::Declined
        }
        ChargeStatus::Failed => Class::Failed,
        ChargeStatus::Unknown => Class::Unknown,
        ChargeStatus::Canceled | ChargeStatus::Refunded | ChargeStatus::PartiallyRefunded => {
            Class::Other
        }
    }
}

fn method(m: PaymentMethod) -> &'static str {
    match m {
        PaymentMethod::Pix => "pix",
        PaymentMethod::Card => "card",
        PaymentMethod::Boleto => "boleto",
        PaymentMethod::Link => "link",
    }
}

/// The gateways that can take a charge of this kind in the demo's routing (stripe first;
/// efi takes Pix only).
fn candidates(pix: bool) -> &'static [GatewayId] {
    if pix {
        &[GatewayId::Stripe, GatewayId::Efi, GatewayId::Asaas]
    } else {
        &[GatewayId::Stripe, GatewayId::Asaas]
    }
}

/// Every candidate gateway was down (by an applied outage) for the whole request.
fn all_down(outages: &[AppliedOutage], s: &Sent) -> bool {
    let down_at = |g: GatewayId, t: f64| {
        outages
            .iter()
            .any(|o| o.gateway == g && o.down_at_secs <= t && o.up_at_secs.is_none_or(|up| t < up))
    };
    candidates(s.pix)
        .iter()
        .all(|g| down_at(*g, s.sent_at_secs) && down_at(*g, s.answered_at_secs))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests;
