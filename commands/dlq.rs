//! `payorch dlq list|show|replay|purge`: the tenant's outbound events that exhausted their
//! retries. `show` lists every recorded attempt and the charge whose newer events wait for it;
//! `replay` puts events back in the delivery queue (visible now, a fresh retry schedule, ahead
//! of their charge's newer events); `purge` deletes them for good, after asking (or with
//! `--yes`), which lets their charge's newer events go. Replays and purges are audited.

use std::io::{BufRead, IsTerminal, Write};

use clap::{Args, Subcommand};
use serde::Serialize;

use payorch::clock::{Clock, Timestamp};
use payorch::config::HumanDuration;
use payorch::id::MessageId;
use payorch::model::TenantId;
use payorch::store::{DeadLetter, Store, StoreError};
use payorch::tenancy;
use payorch::webhook::outbound::AttemptRecord;
use payorch::webhook::{dlq, manage};

use super::output::or_dash;
use super::{CliError, Ctx, Exit};

/// How much of the last error a table cell shows.
const ERROR_CELL: usize = 60;

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// The tenant's dead letters, newest first
    List {
        /// At most this many
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Only those that died at or after this: RFC 3339 (2026-11-24T03:00:00Z) or an age (24h)
        #[arg(long, value_name = "TIME|AGE", value_parser = parse_since)]
        since: Option<Since>,
    },
    /// One dead letter: its event, last error and every recorded attempt
    Show {
        /// The message id (`msg_…`), as `dlq list` shows it
        #[arg(value_parser = parse_id)]
        id: MessageId,
    },
    /// Put dead letters back in the delivery queue, to be delivered now
    Replay {
        #[command(flatten)]
        which: Which,
        /// Only say what would be replayed
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete dead letters for good (asks first unless --yes)
    Purge {
        #[command(flatten)]
        which: Which,
        /// Do not ask for confirmation (needed without a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Some ids, or `--all`.
#[derive(Debug, Args)]
pub struct Which {
    /// Message ids (`msg_…`)
    #[arg(value_parser = parse_id, required_unless_present = "all", conflicts_with = "all")]
    ids: Vec<MessageId>,
    /// Every dead letter of the tenant
    #[arg(long)]
    all: bool,
    /// With --all: only those dead since this time (RFC 3339) or for at most this long (24h)
    #[arg(long, value_parser = parse_since, value_name = "WHEN")]
    since: Option<Since>,
}

fn parse_id(s: &str) -> Result<MessageId, String> {
    MessageId::parse(s).map_err(|e| e.to_string())
}

/// `--since`: a point in time or an age.
#[derive(Clone, Copy, Debug)]
pub enum Since {
    At(Timestamp),
    Ago(HumanDuration),
}

fn parse_since(s: &str) -> Result<Since, String> {
    if let Ok(t) = Timestamp::parse_rfc3339(s) {
        return Ok(Since::At(t));
    }
    s.parse::<HumanDuration>().map(Since::Ago).map_err(|_| {
        format!("`{s}` is neither an RFC 3339 time (2026-11-24T03:00:00Z) nor an age (24h)")
    })
}

/// A dead letter as printed.
#[derive(Serialize)]
struct DeadView {
    id: String,
    tenant: TenantId,
    event_id: Option<String>,
    event_type: Option<String>,
    enqueued_at: String,
    dead_at: String,
    attempts: usize,
    last_error: String,
    attempt_log: Vec<AttemptRecord>,
    /// Its message group (the charge): the group's newer events wait for this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<serde_json::Value>,
}

impl DeadView {
    fn new(d: &DeadLetter, with_body: bool) -> Self {
        let dlq::Contents {
            event,
            event_id,
            event_type,
            log,
        } = dlq::Contents::of(d);
        DeadView {
            id: d.message.id.to_string(),
            tenant: d.message.tenant.clone(),
            event_id,
            event_type,
            enqueued_at: d.message.enqueued_at.to_rfc3339(),
            dead_at: d.dead_at.to_rfc3339(),
            attempts: log.attempts.len(),
            last_error: log.last_error,
            attempt_log: log.attempts,
            group: d.message.group.clone(),
            body: if with_body { event } else { None },
        }
    }
}

fn cell(text: &str) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() > ERROR_CELL {
        let head: String = one_line.chars().take(ERROR_CELL - 1).collect();
        format!("{head}…")
    } else {
        one_line
    }
}

/// The tenant's dead letter `id`; another tenant's reads as not found.
async fn get_own(
    store: &dyn Store,
    tenant: &TenantId,
    id: &MessageId,
) -> anyhow::Result<DeadLetter> {
    match manage::own_dead_letter(store, tenant, id).await? {
        Some(d) => Ok(d),
        None => Err(StoreError::NotFound {
            entity: "dead letter",
            id: id.to_string(),
        }
        .into()),
    }
}

/// The dead letters `which` names, checked to exist and belong to the tenant.
async fn resolve(
    ctx: &Ctx,
    store: &dyn Store,
    tenant: &TenantId,
    which: &Which,
) -> anyhow::Result<Vec<MessageId>> {
    if which.since.is_some() && !which.all {
        return Err(CliError::new(
            Exit::Usage,
            "--since narrows --all: give --all, or ids without --since",
        )
        .into());
    }
    if which.all {
        let now = ctx.clock.now();
        let since = which.since.map(|s| match s {
            Since::At(t) => t,
            Since::Ago(d) => now.minus(d.0),
        });
        let ids = dlq::dead_ids(store, tenant, since).await?;
        if ids.len() >= dlq::MAX_ALL as usize {
            ctx.out.note(&format!(
                "Only the newest {} dead letters this time: run the command again for the rest.",
                dlq::MAX_ALL
            ));
        }
        return Ok(ids);
    }
    let mut ids = Vec::new();
    for id in &which.ids {
        get_own(store, tenant, id).await?;
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

/// A progress bar on stderr for bulk work; hidden in JSON mode, for a single item, and when
/// stderr is not a terminal (indicatif draws nothing there).
fn progress(ctx: &Ctx, len: usize, what: &str) -> indicatif::ProgressBar {
    if ctx.out.is_json() || len < 2 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({eta})")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

/// Asks on the terminal; without one, refuses (exit 2) so scripts must say `--yes`.
fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Exit::Usage,
            "refusing to purge without confirmation and no terminal to ask on: pass --yes",
        )
        .into());
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

#[derive(Serialize)]
struct Done<'a> {
    action: &'a str,
    dry_run: bool,
    ids: Vec<String>,
}

fn report(ctx: &Ctx, action: &str, dry_run: bool, ids: &[MessageId]) -> anyhow::Result<()> {
    let done = &Done {
        action,
        dry_run,
        ids: ids.iter().map(ToString::to_string).collect(),
    };
    if ctx.out.is_json() {
        return ctx.out.json(done);
    }
    let verb = match (done.action, done.dry_run) {
        ("replay", true) => "Would replay",
        ("replay", false) => "Replayed",
        _ => "Purged",
    };
    super::output::stdout(|out| {
        for id in &done.ids {
            writeln!(out, "{id}")?;
        }
        Ok(())
    })?;
    ctx.out
        .note(&format!("{verb} {} dead letter(s).", done.ids.len()));
    Ok(())
}

pub async fn run(ctx: &Ctx, cmd: DlqCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let store = store.as_ref();
    let tenant = ctx.tenant();
    tenancy::require_tenant(store, tenant).await?;
    match cmd {
        DlqCommand::List { limit, since } => list(ctx, store, tenant, since, limit).await,
        DlqCommand::Show { id } => show(ctx, store, tenant, &id).await,
        DlqCommand::Replay { which, dry_run } => {
            let ids = resolve(ctx, store, tenant, &which).await?;
            if !dry_run {
                bulk(ctx, store, tenant, dlq::Operation::Replay, &which, &ids).await?;
            }
            report(ctx, "replay", dry_run, &ids)
        }
        DlqCommand::Purge { which, yes } => purge(ctx, store, tenant, &which, yes).await,
    }
}

/// `dlq list`: the tenant's dead letters, newest first.
async fn list(
    ctx: &Ctx,
    store: &dyn Store,
    tenant: &TenantId,
    since: Option<Since>,
    limit: u32,
) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    let since = since.map(|s| match s {
        Since::At(t) => t,
        Since::Ago(d) => now.minus(d.0),
    });
    let dead = store.list_dead(Some(tenant), since, limit).await?;
    let views: Vec<DeadView> = dead.iter().map(|d| DeadView::new(d, false)).collect();
    if ctx.out.is_json() {
        return ctx.out.json(&views);
    }
    let rows = views
        .into_iter()
        .map(|v| {
            vec![
                v.id,
                or_dash(v.event_type),
                v.dead_at,
                v.attempts.to_string(),
                cell(&v.last_error),
            ]
        })
        .collect();
    ctx.out.table(
        &["ID", "EVENT", "DEAD AT", "ATTEMPTS", "LAST ERROR"],
        rows,
        &format!("Tenant `{tenant}` has no dead letters."),
    )?;
    Ok(())
}

/// `dlq show`: one dead letter with its attempt log.
async fn show(
    ctx: &Ctx,
    store: &dyn Store,
    tenant: &TenantId,
    id: &MessageId,
) -> anyhow::Result<()> {
    let d = get_own(store, tenant, id).await?;
    let view = DeadView::new(&d, true);
    if ctx.out.is_json() {
        return ctx.out.json(&view);
    }
    let mut fields = vec![
        ("id", view.id.clone()),
        ("tenant", view.tenant.to_string()),
        ("event", or_dash(view.event_id.clone())),
        ("type", or_dash(view.event_type.clone())),
        ("enqueued_at", view.enqueued_at.clone()),
        ("dead_at", view.dead_at.clone()),
        ("last_error", view.last_error.clone()),
    ];
    if let Some(group) = &view.group {
        fields.push((
            "holds",
            format!("newer events of {group} wait until this one is replayed or purged"),
        ));
    }
    ctx.out.fields(&fields)?;
    ctx.out.line("")?;
    let rows = view
        .attempt_log
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![
                (i + 1).to_string(),
                a.at.to_rfc3339(),
                or_dash(a.status),
                or_dash(a.error.as_deref().map(cell)),
            ]
        })
        .collect();
    ctx.out.table(
        &["#", "AT", "STATUS", "ERROR"],
        rows,
        "No attempts recorded.",
    )?;
    Ok(())
}

/// `dlq purge`: deletes the chosen dead letters for good, after a confirmation unless `--yes`.
async fn purge(
    ctx: &Ctx,
    store: &dyn Store,
    tenant: &TenantId,
    which: &Which,
    yes: bool,
) -> anyhow::Result<()> {
    let ids = resolve(ctx, store, tenant, which).await?;
    if !ids.is_empty()
        && !yes
        && !confirm(&format!(
            "Delete {} dead letter(s) of tenant `{tenant}` for good?",
            ids.len()
        ))?
    {
        ctx.out.note("Nothing purged.");
        return Ok(());
    }
    bulk(ctx, store, tenant, dlq::Operation::Purge, which, &ids).await?;
    report(ctx, "purge", false, &ids)?;
    Ok(())
}

/// Replays or purges `ids` with a progress bar, audited as one entry.
async fn bulk(
    ctx: &Ctx,
    store: &dyn Store,
    tenant: &TenantId,
    operation: dlq::Operation,
    which: &Which,
    ids: &[MessageId],
) -> anyhow::Result<()> {
    let what = match operation {
        dlq::Operation::Replay => "replaying",
        dlq::Operation::Purge => "purging",
    };
    let bar = progress(ctx, ids.len(), what);
    let target = dlq::target_label(which.all, ids);
    let batch = dlq::Batch {
        operation,
        ids,
        target: &target,
    };
    dlq::apply(store, &ctx.clock, &ctx.actor(), tenant, batch, |_| {
        bar.inc(1)
    })
    .await?;
    bar.finish_and_clear();
    Ok(())
}
