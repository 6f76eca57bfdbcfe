//! `payorch webhook endpoint set|show|enable|disable` and `payorch webhook secret rotate`: where
//! a tenant's events are delivered and the Standard Webhooks secret that signs them. A new
//! secret is printed once; `show` masks it unless `--reveal`. Every change is audited
//! (`payorch::webhook::manage`, the same changes the merchant API makes).

use clap::Subcommand;
use serde::Serialize;

use payorch::clock::Clock;
use payorch::config::HumanDuration;
use payorch::egress::TargetPolicy;
use payorch::model::TenantId;
use payorch::tenancy;
use payorch::webhook::endpoint::{self, Endpoint, EndpointError};
use payorch::webhook::manage;

use super::output::or_dash;
use super::{CliError, Ctx, Exit};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// The tenant's endpoint: set its URL, show it, re-enable it after a 410
    #[command(subcommand)]
    Endpoint(EndpointCommand),
    /// The signing secret: rotate it, keeping the old one valid for an overlap
    #[command(subcommand)]
    Secret(SecretCommand),
}

#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Deliver the tenant's events to URL (a new endpoint's signing secret is shown only once)
    Set {
        /// https URL of the merchant's receiver (http and private or loopback addresses only
        /// with `webhooks.allow_private_targets`)
        url: String,
    },
    /// The endpoint, its state and its signing secret (masked)
    Show {
        /// Print the signing secrets in full
        #[arg(long)]
        reveal: bool,
    },
    /// Resume deliveries after the endpoint answered 410 Gone or was disabled (kept events then flow)
    Enable,
    /// Stop deliveries for now: events are kept and wait until `enable`
    Disable {
        /// Why, recorded on the endpoint and in the audit log
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Replace the signing secret; deliveries carry both signatures during the overlap
    Rotate {
        /// How long the old secret keeps signing too (0s: not at all)
        #[arg(long, default_value = "24h", value_parser = parse_overlap)]
        overlap: HumanDuration,
    },
}

fn parse_overlap(s: &str) -> Result<HumanDuration, String> {
    let d: HumanDuration = s.parse()?;
    manage::check_overlap(d.0).map_err(|e| format!("`{s}` {e}"))?;
    Ok(d)
}

/// An endpoint as printed: secrets masked unless revealed.
#[derive(Serialize)]
struct EndpointView<'a> {
    tenant: &'a TenantId,
    url: &'a str,
    enabled: bool,
    disabled_reason: Option<&'a str>,
    secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    overlap_until: Option<String>,
    updated_at: String,
}

impl<'a> EndpointView<'a> {
    fn new(
        tenant: &'a TenantId,
        e: &'a Endpoint,
        reveal: bool,
        now: payorch::clock::Timestamp,
    ) -> Self {
        let shown = e.shown(reveal, now);
        EndpointView {
            tenant,
            url: &e.url,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.as_deref(),
            secret: shown.secret,
            previous_secret: shown.previous_secret,
            overlap_until: shown.overlap_until.map(|t| t.to_rfc3339()),
            updated_at: e.updated_at.to_rfc3339(),
        }
    }

    fn print(&self, ctx: &Ctx) -> anyhow::Result<()> {
        if ctx.out.is_json() {
            return ctx.out.json(self);
        }
        let mut fields = vec![
            ("tenant", self.tenant.to_string()),
            ("url", self.url.to_string()),
            (
                "status",
                if self.enabled {
                    "enabled".to_string()
                } else {
                    format!("disabled ({})", self.disabled_reason.unwrap_or("no reason"))
                },
            ),
            ("secret", self.secret.clone()),
        ];
        if let Some(prev) = &self.previous_secret {
            fields.push(("previous_secret", prev.clone()));
            fields.push(("overlap_until", or_dash(self.overlap_until.as_deref())));
        }
        fields.push(("updated_at", self.updated_at.clone()));
        ctx.out.fields(&fields)
    }
}

/// Endpoint errors with the exit codes they deserve.
pub fn endpoint_error(e: EndpointError) -> anyhow::Error {
    match e {
        EndpointError::BadUrl(_) => CliError::new(Exit::Usage, e.to_string()).into(),
        EndpointError::NotConfigured(_) => CliError::new(Exit::NotFound, e.to_string()).into(),
        EndpointError::Store(s) => s.into(),
        EndpointError::Signature(s) => s.into(),
        EndpointError::DataKey { ref source, .. } => {
            CliError::new(super::datakey::exit_code(source), e.to_string()).into()
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: WebhookCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let keys = ctx.data_keys()?;
    let keys = keys.as_ref();
    let tenant = ctx.tenant();
    tenancy::require_tenant(store.as_ref(), tenant).await?;
    let now = ctx.clock.now();
    let actor = ctx.actor();
    let who = ctx.acting(store.as_ref(), &actor);
    match cmd {
        WebhookCommand::Endpoint(EndpointCommand::Set { url }) => {
            let policy = TargetPolicy {
                allow_private: ctx.config().webhooks.allow_private_targets,
            };
            let (e, created) = manage::set_endpoint(who, keys, &url, policy)
                .await
                .map_err(endpoint_error)?;
            // A new endpoint's secret is shown this once; an existing one keeps (and hides) it.
            EndpointView::new(tenant, &e, created, now).print(ctx)?;
            if created {
                ctx.out.note(
                    "This is the only time the signing secret is shown in full: give it to the merchant's receiver now.",
                );
            } else {
                ctx.out.note(
                    "The signing secret is unchanged (rotate it with `payorch webhook secret rotate`).",
                );
            }
        }
        WebhookCommand::Endpoint(EndpointCommand::Show { reveal }) => {
            let (e, _) = endpoint::get(store.as_ref(), keys, tenant)
                .await
                .map_err(endpoint_error)?
                .ok_or_else(|| endpoint_error(EndpointError::NotConfigured(tenant.clone())))?;
            EndpointView::new(tenant, &e, reveal, now).print(ctx)?;
        }
        WebhookCommand::Endpoint(EndpointCommand::Enable) => {
            let e = manage::enable_endpoint(who, keys)
                .await
                .map_err(endpoint_error)?;
            EndpointView::new(tenant, &e, false, now).print(ctx)?;
        }
        WebhookCommand::Endpoint(EndpointCommand::Disable { reason }) => {
            let reason = tenancy::validate_reason("--reason", reason.as_deref())
                .map_err(|e| CliError::new(Exit::Usage, e.to_string()))?;
            let e = manage::disable_endpoint(who, keys, reason.as_deref())
                .await
                .map_err(endpoint_error)?;
            EndpointView::new(tenant, &e, false, now).print(ctx)?;
            ctx.out.note(
                "Deliveries are held (events are kept) until `payorch webhook endpoint enable`.",
            );
        }
        WebhookCommand::Secret(SecretCommand::Rotate { overlap }) => {
            let e = manage::rotate_secret(who, keys, overlap.0)
                .await
                .map_err(endpoint_error)?;
            // The new secret in full, once; the old one stays masked.
            let mut view = EndpointView::new(tenant, &e, false, now);
            view.secret = e.secret.expose().to_string();
            view.print(ctx)?;
            ctx.out.note(
                "This is the only time the new signing secret is shown in full: give it to the merchant's receiver now.",
            );
        }
    }
    Ok(())
}
