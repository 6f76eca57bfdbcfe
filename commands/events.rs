//! `payorch events list|show|resend`: the tenant's outbound events as the event log keeps
//! them. `list` filters by type and charge, newest first; `show` prints one event's JSON;
//! `resend` puts the same event (same id, so the merchant can dedupe on `webhook-id`) in the
//! delivery queue again, and is audited as `events.resend`.

use clap::Subcommand;
use serde::Serialize;

use payorch::id::{ChargeId, EventId};
use payorch::model::{Event, EventType};
use payorch::store::{EventQuery, StoreError};
use payorch::tenancy;
use payorch::webhook::manage;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// The tenant's events, newest first
    List {
        /// Only events of this type, e.g. charge.succeeded
        #[arg(long = "type", value_name = "TYPE", value_parser = parse_type)]
        kind: Option<EventType>,
        /// Only events about this charge (`ch_…`)
        #[arg(long, value_name = "CHARGE", value_parser = parse_charge)]
        charge: Option<ChargeId>,
        /// At most this many
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Only events older than this event id (the previous page's last one)
        #[arg(long, value_name = "EVENT", value_parser = parse_id)]
        starting_after: Option<EventId>,
    },
    /// One event's JSON, exactly as it is delivered
    Show {
        /// The event id (`evt_…`)
        #[arg(value_parser = parse_id)]
        id: EventId,
    },
    /// Deliver an event again: the same body and event id, queued now
    Resend {
        /// The event id (`evt_…`)
        #[arg(value_parser = parse_id)]
        id: EventId,
    },
}

fn parse_type(s: &str) -> Result<EventType, String> {
    s.parse::<EventType>().map_err(|e| e.to_string())
}

fn parse_charge(s: &str) -> Result<ChargeId, String> {
    ChargeId::parse(s).map_err(|e| e.to_string())
}

fn parse_id(s: &str) -> Result<EventId, String> {
    EventId::parse(s).map_err(|e| e.to_string())
}

/// An event as one listing row.
#[derive(Serialize)]
struct EventRow {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    charge: String,
    status: String,
    /// Why the charge was declined, when it was (its status is `failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    decline_code: Option<String>,
    created_at: String,
}

impl EventRow {
    fn new(e: &Event) -> Self {
        EventRow {
            id: e.id.to_string(),
            kind: e.kind.to_string(),
            charge: e.data.charge.id.to_string(),
            status: e.data.charge.status().to_string(),
            decline_code: e.data.charge.decline_code().map(String::from),
            created_at: e.created_at.to_rfc3339(),
        }
    }
}

/// The event `id` was not found (exit 3).
fn not_found(id: &EventId) -> anyhow::Error {
    StoreError::NotFound {
        entity: "event",
        id: id.to_string(),
    }
    .into()
}

pub async fn run(ctx: &Ctx, cmd: EventsCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let tenant = ctx.tenant();
    tenancy::require_tenant(store.as_ref(), tenant).await?;
    match cmd {
        EventsCommand::List {
            kind,
            charge,
            limit,
            starting_after,
        } => {
            let query = EventQuery {
                kind,
                charge,
                starting_after,
                limit,
            };
            let page = store.list_events(tenant, &query).await?;
            let rows: Vec<EventRow> = page.items.iter().map(EventRow::new).collect();
            if ctx.out.is_json() {
                return ctx.out.json(&serde_json::json!({
                    "data": rows,
                    "next_cursor": page.next_cursor,
                }));
            }
            let cells = page
                .items
                .iter()
                .zip(rows)
                .map(|(e, r)| {
                    let status = super::charge::status_text(&e.data.charge);
                    vec![r.id, r.kind, r.charge, status, r.created_at]
                })
                .collect();
            ctx.out.table(
                &["ID", "TYPE", "CHARGE", "STATUS", "CREATED"],
                cells,
                &format!("Tenant `{tenant}` has no matching events."),
            )?;
            if let Some(cursor) = page.next_cursor {
                ctx.out.note(&format!(
                    "More: payorch events list --starting-after {cursor}"
                ));
            }
        }
        EventsCommand::Show { id } => {
            let event = manage::own_event(store.as_ref(), tenant, &id)
                .await?
                .ok_or_else(|| not_found(&id))?;
            ctx.out.json(&event)?;
        }
        EventsCommand::Resend { id } => {
            let actor = ctx.actor();
            let who = ctx.acting(store.as_ref(), &actor);
            let (_, message_id) = manage::resend_event(who, &id)
                .await?
                .ok_or_else(|| not_found(&id))?;
            if ctx.out.is_json() {
                return ctx.out.json(&serde_json::json!({
                    "event": id.to_string(),
                    "message_id": message_id.to_string(),
                }));
            }
            ctx.out.line(&format!(
                "Queued event {id} for delivery again (message {message_id})."
            ))?;
        }
    }
    Ok(())
}
