//! `payorch demo`: the 60-second tour with nothing to configure. Everything runs in this
//! process on loopback (see `demo/stack.rs`): a throwaway data dir, the sandbox, the core
//! behind `serve`'s router, a merchant receiver that verifies signatures, and steady traffic.
//! With the dashboard, keys take a gateway down and back; `--headless` applies an `--outage`
//! schedule instead (by default an outage of the primary in the middle of the run, so a first
//! run shows failover and recovery) and prints the summary (`-o json` for scripts). This file
//! holds the flags, the schedule loop and the exit code; not the stack, the traffic or the
//! summary's maths.

mod control;
mod merchant;
mod outage;
mod stack;
mod summary;
mod traffic;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use clap::Args;

use payorch::breaker::BreakerState;
use payorch::model::GatewayId;

use self::outage::{Outage, Switch};
use self::stack::{Demo, DemoOptions};
use super::{CliError, Exit, GlobalArgs, Output};

/// A headless run's length when `--duration` is not given.
const DEFAULT_HEADLESS: Duration = Duration::from_secs(30);
/// How often a headless run prints a progress line on stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// How often the demo's dashboard re-reads the store: twice a second, so a newcomer sees the
/// breaker open within moments of pressing `x`.
const DASHBOARD_REFRESH: Duration = Duration::from_millis(500);
/// The longest run `--duration` accepts.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// No dashboard: apply the --outage schedule, then print the summary (for scripts, tests)
    #[arg(long)]
    pub headless: bool,
    /// How long to run, e.g. 20s or 2m [default: 30s with --headless; with the dashboard, until q]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Take GATEWAY down (connections refused) from FROM to TO after the start, e.g.
    /// stripe:5s-12s (repeatable) [default headless: the primary, from 20% to 50% of the run]
    #[arg(long = "outage", value_name = "GATEWAY:FROM-TO", value_parser = outage::parse)]
    pub outages: Vec<Outage>,
    /// Headless: no outage at all (all gateways up the whole run)
    #[arg(long, conflicts_with = "outages")]
    pub no_outage: bool,
    /// Charges per second (0.1 to 50)
    #[arg(long, value_name = "N", default_value_t = 4.0, value_parser = parse_rate)]
    pub rate: f64,
    /// Seed for reproducible traffic [default: random, printed in the summary]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Keep the temporary data dir at the end and print its path
    #[arg(long)]
    pub keep: bool,
    /// Where the demo keeps its state: a throwaway SQLite file, or a fresh table and queues
    /// on DynamoDB + SQS at --aws-endpoint (an emulator; see the README's "Running a fleet")
    #[arg(long, value_enum, default_value = "sqlite")]
    pub backend: DemoBackend,
    /// The AWS endpoint for `--backend dynamodb`, e.g. http://127.0.0.1:5000 (region
    /// us-east-1 unless AWS_REGION is set; credentials from the AWS chain, else the
    /// emulator's placeholder)
    #[arg(long, value_name = "URL", required_if_eq("backend", "dynamodb"))]
    pub aws_endpoint: Option<String>,
}

/// `demo --backend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoBackend {
    Sqlite,
    Dynamodb,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration like 20s or 2m: {e}"))?;
    if d.is_zero() {
        return Err("the demo must run for longer than zero".into());
    }
    if d > MAX_DURATION {
        return Err("at most 24h".into());
    }
    Ok(d)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of charges per second"))?;
    if !(0.1..=50.0).contains(&r) {
        return Err(format!("{r} is outside 0.1 to 50 charges per second"));
    }
    Ok(r)
}

/// Runs the demo. Reads no config file and no data dir: `--config`, `--data-dir` and
/// `--tenant` do not apply.
pub async fn run(out: Output, global: &GlobalArgs, args: DemoArgs) -> anyhow::Result<()> {
    // Without a terminal for the dashboard (a pipe, CI), the demo runs headless.
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if !args.headless && !terminal && !global.quiet {
        eprintln!(
            "payorch demo: not a terminal, so no dashboard: running headless for {}",
            humantime::format_duration(args.duration.unwrap_or(DEFAULT_HEADLESS))
        );
    }
    let headless = args.headless || !terminal;
    let duration = match (headless, args.duration) {
        (true, d) => Some(d.unwrap_or(DEFAULT_HEADLESS)),
        (false, d) => d,
    };
    let progress = !global.quiet && !out.is_json();
    let mut outages = args.outages;
    // A first headless run shows what payorch is for: the primary goes down and comes back.
    let primary = stack::demo_config(Path::new("")).routing.primary;
    if headless
        && outages.is_empty()
        && !args.no_outage
        && let Some(o) = duration.map(|d| outage::default_for(primary, d))
        && o.from < o.to
    {
        if progress {
            eprintln!(
                "payorch demo: {} (the primary) goes down from {:.1}s to {:.1}s (choose with --outage, none with --no-outage)",
                o.gateway,
                o.from.as_secs_f64(),
                o.to.as_secs_f64()
            );
        }
        outages.push(o);
    }
    outage::validate(&outages, duration).map_err(|m| CliError::new(Exit::Usage, m))?;
    let switches = outage::switches(&outages);
    let seed = args.seed.unwrap_or_else(traffic::random_seed);

    let aws = match (args.backend, args.aws_endpoint) {
        (DemoBackend::Dynamodb, Some(endpoint)) => Some(endpoint),
        _ => None,
    };
    let demo = Demo::start(DemoOptions {
        rate: args.rate,
        seed,
        keep: args.keep,
        aws,
    })
    .await?;
    if progress {
        eprintln!(
            "payorch demo: sandbox, core, merchant and {}/s of traffic running (seed {seed})",
            args.rate
        );
        for (what, url) in demo.urls() {
            eprintln!("payorch demo: {what} on {url}");
        }
    }
    let ran = if headless {
        schedule(&demo, &switches, duration, progress).await
    } else {
        // The dashboard runs while the schedule (if any) is applied; either ending ends both.
        tokio::select! {
            r = run_interactive(&demo, out.color) => r,
            r = schedule(&demo, &switches, duration, false) => r,
        }
    };
    if progress {
        eprintln!("payorch demo: stopping traffic and waiting for the last webhooks…");
    }
    let summary = demo.finish().await?;
    ran?;
    if out.is_json() {
        out.json(&summary)?;
    } else {
        super::output::stdout(|w| write!(w, "{}", summary.render()))?;
    }
    if !summary.ok {
        return Err(CliError::new(
            Exit::Failure,
            format!(
                "the demo did not go as it should: {}",
                summary.problems.join("; ")
            ),
        )
        .into());
    }
    Ok(())
}

/// The interactive demo: the dashboard on this terminal, with its demo key (`x`) taking the
/// selected gateway down and back through `demo.handle()`, until `q`.
async fn run_interactive(demo: &Demo, color: bool) -> anyhow::Result<()> {
    crate::tui::run(
        demo.store(),
        demo.config().clone(),
        demo.actor(),
        crate::tui::Options {
            tenant: demo.tenant().clone(),
            refresh: DASHBOARD_REFRESH,
            color,
            demo: Some(std::sync::Arc::new(demo.handle())),
            utc_offset: crate::commands::report::DEFAULT_UTC_OFFSET,
        },
    )
    .await
}

#[async_trait::async_trait]
impl crate::tui::DemoControl for control::DemoHandle {
    async fn toggle(&self, gateway: GatewayId) -> anyhow::Result<String> {
        control::DemoHandle::toggle(self, gateway).await
    }

    fn down(&self) -> Vec<GatewayId> {
        control::DemoHandle::down(self)
    }
}

/// Applies the outage switches on time, prints a progress line every few seconds (headless),
/// and returns at the end of `duration` (never without one), or early on Ctrl-C or SIGTERM.
async fn schedule(
    demo: &Demo,
    switches: &[Switch],
    duration: Option<Duration>,
    progress: bool,
) -> anyhow::Result<()> {
    let handle = demo.handle();
    let mut pending = switches.iter().peekable();
    let mut next_progress = PROGRESS_EVERY;
    let interrupted = super::serve::signalled();
    tokio::pin!(interrupted);
    loop {
        let now = demo.elapsed();
        while let Some(s) = pending.peek()
            && s.at <= now
        {
            let message = handle.set(s.gateway, s.down).await?;
            if progress {
                eprintln!("[{:>5.1}s] {message}", now.as_secs_f64());
            }
            pending.next();
        }
        if duration.is_some_and(|d| now >= d) {
            return Ok(());
        }
        if progress && now >= next_progress {
            eprintln!("[{:>5.1}s] {}", now.as_secs_f64(), progress_line(demo));
            next_progress += PROGRESS_EVERY;
        }
        let mut next = [
            pending.peek().map(|s| s.at),
            duration,
            progress.then_some(next_progress),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(Duration::from_secs(3600));
        next = next.saturating_sub(now).max(Duration::from_millis(10));
        tokio::select! {
            () = tokio::time::sleep(next) => {}
            () = &mut interrupted => {
                if progress {
                    eprintln!("[{:>5.1}s] interrupted: finishing early", demo.elapsed().as_secs_f64());
                }
                return Ok(());
            }
        }
    }
}

/// One line of what happened so far: answered charges, failovers, breakers not closed, down
/// gateways.
fn progress_line(demo: &Demo) -> String {
    let sent = demo.sent();
    let ok = sent
        .iter()
        .filter(|s| matches!(s.status.as_deref(), Some("succeeded" | "requires_action")))
        .count();
    let failovers = sent.iter().filter(|s| s.failover).count();
    let no_charge = sent.iter().filter(|s| s.charge.is_none()).count();
    let mut states: Vec<(GatewayId, BreakerState)> = Vec::new();
    for c in demo.breaker_changes() {
        states.retain(|(g, _)| *g != c.gateway);
        states.push((c.gateway, c.to));
    }
    let breakers: Vec<String> = states
        .iter()
        .filter(|(_, s)| *s != BreakerState::Closed)
        .map(|(g, s)| format!("{g} {s}"))
        .collect();
    let down: Vec<String> = demo.down().iter().map(ToString::to_string).collect();
    format!(
        "{} charges answered ({ok} taken, {no_charge} without a charge), {failovers} failed over; breakers: {}; down: {}",
        sent.len(),
        if breakers.is_empty() {
            "all closed".into()
        } else {
            breakers.join(", ")
        },
        if down.is_empty() {
            "none".into()
        } else {
            down.join(", ")
        }
    )
}
