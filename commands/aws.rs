//! `payorch aws init|status`: the DynamoDB table and SQS queues of the fleet backend
//! (`[aws]`). `init` creates what is missing and never changes what it finds; `status` shows
//! what is there. Both use the standard AWS credential chain, like `serve`.

use clap::Subcommand;

use payorch::store::StoreError;
use payorch::store::dynamo::admin::{self, InitStep, Outcome, QueueStatus};

use super::output::or_dash;
use super::{CliError, Ctx, Exit};

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Create the table (keys, indexes, TTL) and the delivery queue with its dead-letter queue,
    /// where missing; prints what it created or found. Safe to run again.
    Init,
    /// The table's and indexes' status, and both queues' depths
    Status,
}

/// A connection or setup failure: what is missing and the fix, with an exit code that says
/// whether to wait (6) or to fix the configuration (5).
pub fn aws_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Unavailable(sentence) => CliError::new(Exit::Unavailable, sentence),
        StoreError::Backend(sentence) => CliError::new(Exit::Config, sentence),
        other => CliError::new(Exit::Config, other.to_string()),
    }
    .into()
}

pub async fn run(ctx: &Ctx, cmd: AwsCommand) -> anyhow::Result<()> {
    let settings = &ctx.config().aws;
    match cmd {
        AwsCommand::Init => {
            let steps = admin::init(settings, None).await.map_err(aws_error)?;
            print_init(ctx, &steps)
        }
        AwsCommand::Status => {
            let status = admin::status(settings, None).await.map_err(aws_error)?;
            if ctx.out.is_json() {
                return ctx.out.json(&status);
            }
            let t = &status.table;
            let indexes = t
                .indexes
                .iter()
                .map(|(name, state)| format!("{name} {state}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut rows = vec![vec![
                "table".to_string(),
                t.name.clone(),
                t.status.clone(),
                format!(
                    "items ~{}, ttl {}, indexes: {}",
                    or_dash(t.approximate_items),
                    or_dash(t.ttl.as_ref()),
                    if indexes.is_empty() {
                        "-".into()
                    } else {
                        indexes
                    }
                ),
            ]];
            for (kind, q) in [
                ("queue", &status.queue),
                ("dead-letter queue", &status.dead_letter_queue),
            ] {
                rows.push(queue_row(kind, q));
            }
            ctx.out.line(&format!("endpoint: {}", status.endpoint))?;
            ctx.out
                .table(&["RESOURCE", "NAME", "STATUS", "DETAIL"], rows, "")?;
            if t.status == "MISSING" || !status.queue.exists || !status.dead_letter_queue.exists {
                ctx.out
                    .note("Something is missing: create it with `payorch aws init`.");
            }
            Ok(())
        }
    }
}

fn queue_row(kind: &str, q: &QueueStatus) -> Vec<String> {
    if !q.exists {
        return vec![kind.into(), q.name.clone(), "MISSING".into(), "-".into()];
    }
    vec![
        kind.into(),
        q.name.clone(),
        "ACTIVE".into(),
        format!(
            "visible {}, in flight {}, delayed {}",
            or_dash(q.visible),
            or_dash(q.in_flight),
            or_dash(q.delayed)
        ),
    ]
}

fn print_init(ctx: &Ctx, steps: &[InitStep]) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        return ctx.out.json(steps);
    }
    let rows = steps
        .iter()
        .map(|s| {
            vec![
                s.resource.replace('_', " "),
                s.name.clone(),
                match s.outcome {
                    Outcome::Created => "created".into(),
                    Outcome::Found => "found".into(),
                },
                s.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    ctx.out
        .table(&["RESOURCE", "NAME", "RESULT", "NOTE"], rows, "")?;
    ctx.out.note(
        "Next: set `[store] backend = \"dynamodb\"` (PAYORCH_STORE_BACKEND=dynamodb) on every instance and run `payorch serve`.",
    );
    Ok(())
}
