//! The load generator behind `payorch bench`: N keep-alive connections, each sending one
//! request at a time until a request count or a duration is reached, timing every answer.
//!
//! Latencies go into an HDR histogram per connection (microseconds, 3 significant digits),
//! merged at the end: percentiles come from the crate of the field rather than sorted samples,
//! and memory stays constant however long the run. Nothing here knows what is sent: the caller
//! passes a `send` that makes request number `i` and answers its HTTP status.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::commands::Output;

/// When a run stops.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// After this many requests in all.
    Requests(u64),
    /// Once this long has passed (requests under way are finished and counted).
    For(Duration),
}

/// What one run measured.
pub struct Measured {
    pub elapsed: Duration,
    /// Microseconds per answered or failed request.
    pub latency: Histogram<u64>,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer, by kind (`connect`, `timeout`, `io`).
    pub transport_errors: BTreeMap<&'static str, u64>,
}

/// The longest latency the histogram records exactly (longer ones are clamped): 10 minutes.
const MAX_MICROS: u64 = 600_000_000;

pub(super) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3)
        .unwrap_or_else(|_| unreachable!("constant, valid bounds"))
}

/// Runs `send(i)` for i = 0, 1, … on `concurrency` tasks until `stop`; `label` names the run in
/// the live progress line (stderr, only when it is a terminal and not in JSON mode or `-q`).
pub async fn run<F, Fut>(
    out: Output,
    label: &str,
    concurrency: u64,
    stop: Stop,
    send: F,
) -> Measured
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u16, reqwest::Error>> + Send + 'static,
{
    let progress = progress(out, label, stop);
    let send = Arc::new(send);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = match stop {
        Stop::For(d) => Some(started + d),
        Stop::Requests(_) => None,
    };
    let limit = match stop {
        Stop::Requests(n) => n,
        Stop::For(_) => u64::MAX,
    };
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (send, next, progress) = (Arc::clone(&send), Arc::clone(&next), progress.clone());
        workers.push(tokio::spawn(async move {
            let mut mine = Part::default();
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limit {
                    break;
                }
                let t = Instant::now();
                let result = send(i).await;
                let micros = u64::try_from(t.elapsed().as_micros()).unwrap_or(MAX_MICROS);
                mine.latency.saturating_record(micros.clamp(1, MAX_MICROS));
                match result {
                    Ok(status) => *mine.statuses.entry(status).or_default() += 1,
                    Err(e) => *mine.transport_errors.entry(error_kind(&e)).or_default() += 1,
                }
                progress.inc(1);
            }
            mine
        }));
    }
    let mut all = Part::default();
    for worker in workers {
        // A worker only ends by returning: a panic in one is a bug, and is reported as such.
        let part = worker
            .await
            .unwrap_or_else(|e| panic!("a bench connection task failed: {e}"));
        all.merge(part);
    }
    let elapsed = started.elapsed();
    progress.finish_and_clear();
    Measured {
        elapsed,
        latency: all.latency,
        statuses: all.statuses,
        transport_errors: all.transport_errors,
    }
}

/// One connection's tallies.
struct Part {
    latency: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: BTreeMap<&'static str, u64>,
}

impl Default for Part {
    fn default() -> Self {
        Part {
            latency: histogram(),
            statuses: BTreeMap::new(),
            transport_errors: BTreeMap::new(),
        }
    }
}

impl Part {
    fn merge(&mut self, other: Part) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&other.latency);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.transport_errors {
            *self.transport_errors.entry(k).or_default() += v;
        }
    }
}

fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "io"
    }
}

fn progress(out: Output, label: &str, stop: Stop) -> indicatif::ProgressBar {
    if out.is_json() || out.quiet {
        return indicatif::ProgressBar::hidden();
    }
    // `ProgressDrawTarget::stderr` (the default) draws nothing when stderr is not a terminal.
    let (bar, template) = match stop {
        Stop::Requests(n) => (
            indicatif::ProgressBar::new(n),
            "{prefix} {bar:30} {pos}/{len} requests, {rate}, {elapsed}",
        ),
        Stop::For(_) => (
            indicatif::ProgressBar::no_length(),
            "{prefix} {pos} requests, {rate}, {elapsed}",
        ),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        // Whole requests per second (indicatif's own `{per_sec}` prints many decimals).
        let rate = |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", state.per_sec());
        };
        bar.set_style(style.with_key("rate", rate));
    }
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// The report of one run, as `-o json` prints it.
#[derive(Debug, Serialize)]
pub struct Report {
    /// What was loaded: `payorch` or `direct`.
    pub target: String,
    pub url: String,
    pub concurrency: u64,
    /// Requests sent (answered or not).
    pub requests: u64,
    /// Answers with the status the target gives a success (201 from payorch, 200 from Stripe).
    pub ok: u64,
    /// Every other answer, and requests that got none.
    pub errors: u64,
    pub seconds: f64,
    /// Requests per second, over the whole run.
    pub per_second: f64,
    /// Successful requests (`ok`) per second: what `ratio` compares.
    pub ok_per_second: f64,
    pub latency_ms: Percentiles,
    /// Answers by HTTP status, as strings (`"201": 20`).
    pub statuses: BTreeMap<String, u64>,
    /// Requests that got no answer, by kind.
    pub transport_errors: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Report {
    pub fn new(target: &str, url: &str, concurrency: u64, ok_status: u16, m: &Measured) -> Report {
        let answered: u64 = m.statuses.values().sum();
        let requests = answered + m.transport_errors.values().sum::<u64>();
        let ok = m.statuses.get(&ok_status).copied().unwrap_or(0);
        let seconds = m.elapsed.as_secs_f64();
        let ms = |q: f64| m.latency.value_at_quantile(q) as f64 / 1000.0;
        Report {
            target: target.to_string(),
            url: url.to_string(),
            concurrency,
            requests,
            ok,
            errors: requests - ok,
            seconds,
            per_second: per_second(requests, seconds),
            ok_per_second: per_second(ok, seconds),
            latency_ms: Percentiles {
                p50: ms(0.50),
                p90: ms(0.90),
                p99: ms(0.99),
                max: m.latency.max() as f64 / 1000.0,
            },
            statuses: m
                .statuses
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            transport_errors: m
                .transport_errors
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
        }
    }

    /// `201×18 500×1 timeout×1`: answers by status, then requests that got none.
    pub fn statuses_text(&self) -> String {
        let answers = self.statuses.iter().map(|(k, v)| format!("{k}×{v}"));
        let none = self
            .transport_errors
            .iter()
            .map(|(k, v)| format!("{k}×{v}"));
        answers.chain(none).collect::<Vec<_>>().join(" ")
    }

    /// One table row: target, requests, ok, errors, rate, percentiles, statuses.
    pub fn row(&self) -> Vec<String> {
        let ms = |v: f64| format!("{v:.2} ms");
        vec![
            self.target.clone(),
            self.requests.to_string(),
            self.ok.to_string(),
            self.errors.to_string(),
            format!("{:.1}", self.per_second),
            ms(self.latency_ms.p50),
            ms(self.latency_ms.p90),
            ms(self.latency_ms.p99),
            ms(self.latency_ms.max),
            self.statuses_text(),
        ]
    }
}

fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// The table's headers, matching [`Report::row`].
pub const HEADERS: &[&str] = &[
    "TARGET",
    "REQUESTS",
    "OK",
    "ERRORS",
    "PER SECOND",
    "P50",
    "P90",
    "P99",
    "MAX",
    "STATUSES",
];
