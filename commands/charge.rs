//! `payorch charge create|get|list|refund` and `payorch reconcile`: the merchant API's flows,
//! run in-process on the configured store and gateways (or a sandbox), with the same
//! validation and idempotency as `serve`.

use std::collections::BTreeMap;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use payorch::clock::{Clock, SystemClock};
use payorch::id::RefundId;
use payorch::model::{Charge, ChargeStatus, Currency, GatewayId, RefundStatus};
use payorch::orchestrator::FlowError;
use payorch::runtime::{self, Answer, Core, Outcome, RequestError};
use payorch::server::{ApiError, HttpRender};
use payorch::store::ChargeQuery;
use payorch::store::StoreError;

use super::amount::major;
use super::output::or_dash;
use super::{CliError, Ctx, Exit};

#[derive(Debug, Subcommand)]
pub enum ChargeCommand {
    /// Create a charge (prints the charge, the attempts, and for Pix the code to pay)
    Create(CreateArgs),
    /// Show one charge
    Get {
        /// The charge id (`ch_…`)
        id: String,
    },
    /// List charges, newest first
    List {
        /// Only charges in this status (`failed` includes declined ones)
        #[arg(long, value_parser = |s: &str| s.parse::<ChargeStatus>().map_err(|e| e.to_string()))]
        status: Option<ChargeStatus>,
        /// Only charges held by this gateway: stripe, efi or asaas
        #[arg(long, value_parser = |s: &str| s.parse::<GatewayId>().map_err(|e| e.to_string()))]
        gateway: Option<GatewayId>,
        /// How many charges to show, 1 to 100
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: u32,
    },
    /// Refund a charge, fully or in part, at the gateway that holds it
    Refund(RefundArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Amount as people write it (10.50 or 10,50), or minor units with --minor
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// --amount is in minor units (cents)
    #[arg(long)]
    minor: bool,
    /// ISO 4217 currency of --amount: BRL, USD, EUR, JPY, …
    #[arg(long, default_value = "BRL", value_parser = |s: &str| Currency::parse(s).map_err(|e| e.to_string()))]
    currency: Currency,
    /// pix, card, boleto or link (a hosted page where the payer chooses)
    #[arg(long)]
    method: String,
    /// The payer's name
    #[arg(long)]
    customer_name: String,
    /// CPF or CNPJ (required for Pix, boleto and link in BRL)
    #[arg(long)]
    customer_document: Option<String>,
    /// The payer's email (gateways send receipts to it)
    #[arg(long)]
    customer_email: Option<String>,
    /// What the charge is for, shown to the payer where the gateway shows it
    #[arg(long)]
    description: Option<String>,
    /// KEY=VALUE, repeatable
    #[arg(long, value_name = "KEY=VALUE")]
    metadata: Vec<String>,
    /// GATEWAY=TOKEN for card charges, repeatable (e.g. stripe=pm_card_visa)
    #[arg(long, value_name = "GATEWAY=TOKEN")]
    card_token: Vec<String>,
    /// Pin one gateway: no routing, no failover
    #[arg(long)]
    gateway: Option<String>,
    /// Reuse to retry safely; generated and printed when not given
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Use a running `payorch sandbox` at URL for every gateway
    #[arg(long, value_name = "URL")]
    sandbox: Option<String>,
}

#[derive(Debug, Args)]
pub struct RefundArgs {
    /// The charge id (`ch_…`)
    id: String,
    /// Amount to refund, in the charge's currency (10.50 or 10,50) [default: everything still
    /// refundable]
    #[arg(long)]
    amount: Option<String>,
    /// --amount is in minor units (cents)
    #[arg(long)]
    minor: bool,
    /// Why, for the gateway and the audit log
    #[arg(long)]
    reason: Option<String>,
    /// Reuse to retry safely; generated and printed when not given
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Use a running `payorch sandbox` at URL for every gateway
    #[arg(long, value_name = "URL")]
    sandbox: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Use a running `payorch sandbox` at URL for every gateway
    #[arg(long, value_name = "URL")]
    sandbox: Option<String>,
}

fn pairs(flag: &str, items: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    items
        .iter()
        .map(|i| {
            i.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    CliError::new(Exit::Usage, format!("{flag}: `{i}` is not KEY=VALUE"))
                })
        })
        .collect()
}

async fn core(ctx: &Ctx, sandbox: &Option<String>) -> anyhow::Result<Core> {
    let store = ctx.store().await?;
    let config = ctx.config().clone();
    let gateways = match sandbox {
        Some(url) => runtime::sandbox_gateways(&config, url).await?,
        None => runtime::configured_gateways(&config),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Ok(Core::assemble(config, store, gateways, clock)?)
}

/// The exit code of a request that made no charge, from what went wrong.
fn exit_for(e: &RequestError) -> Exit {
    match e {
        RequestError::Flow(flow) => exit_for_flow(flow),
        RequestError::Invalid(_) | RequestError::KeyReused(_) => Exit::Usage,
        RequestError::KeyInUse(_) => Exit::Conflict,
        RequestError::KeyStore(_) => Exit::Unavailable,
        RequestError::KeyCorrupt | RequestError::Died => Exit::Failure,
    }
}

/// The exit code of a flow that made no charge: the request must change (usage), the thing
/// named is not there, someone else is at it (conflict), or a gateway or the store could not
/// take it now (unavailable: try again).
fn exit_for_flow(e: &FlowError) -> Exit {
    match e {
        FlowError::UnknownTenant(_) | FlowError::NotFound { .. } => Exit::NotFound,
        FlowError::Invalid(_)
        | FlowError::NothingToRefund { .. }
        | FlowError::RefundTooLarge { .. } => Exit::Usage,
        FlowError::NoRoute(reason) if reason.is_charge_problem() => Exit::Usage,
        FlowError::ChargeInProgress(_)
        | FlowError::RefundInProgress(_)
        | FlowError::KeyTaken
        | FlowError::NotHeld => Exit::Conflict,
        FlowError::RefundFailed(_) if e.is_refund_declined() => Exit::Failure,
        FlowError::Store(s) if !matches!(s, StoreError::Unavailable(_)) => Exit::Failure,
        FlowError::NoRoute(_)
        | FlowError::RoutingUnavailable(_)
        | FlowError::Exhausted { .. }
        | FlowError::RefundOutcomeUnknown { .. }
        | FlowError::RefundFailed(_)
        | FlowError::Store(_) => Exit::Unavailable,
    }
}

/// The exit code of a replayed error answer: only its stored status says what it was (the
/// answer is the first request's bytes, whoever rendered them).
fn exit_for_stored(status: u16) -> Exit {
    match status {
        400 | 422 => Exit::Usage,
        404 => Exit::NotFound,
        409 => Exit::Conflict,
        503 => Exit::Unavailable,
        _ => Exit::Failure,
    }
}

/// The CLI error of a request that made no charge: the API's field and message (and the
/// attempts), as `serve` would say them.
fn request_error(e: &RequestError) -> CliError {
    CliError::new(exit_for(e), error_text(&ApiError::from(e).body()))
}

/// An API error body as one text: `field: message`, then one line per gateway attempt.
fn error_text(body: &Value) -> String {
    let msg = body["error"]["message"]
        .as_str()
        .unwrap_or("the request failed");
    let param = body["error"]["param"]
        .as_str()
        .map(|p| format!("{p}: "))
        .unwrap_or_default();
    let mut text = format!("{param}{msg}");
    if let Some(attempts) = body["error"]["attempts"].as_array() {
        for at in attempts {
            text.push_str(&format!(
                "\n  {} {}: {}",
                at["gateway"].as_str().unwrap_or("?"),
                at["outcome"].as_str().unwrap_or("?"),
                at["error"].as_str().unwrap_or("")
            ));
        }
    }
    text
}

/// The charge an answer carries, with its JSON as the API shows it, or the CLI error it
/// makes. A replay is the stored answer's bytes: read back.
fn answered_charge(a: &Answer) -> anyhow::Result<(Charge, Value)> {
    match &a.outcome {
        Outcome::Done(charge) => Ok(((**charge).clone(), payorch::server::charge_json(charge))),
        Outcome::Failed(e) => Err(request_error(e).into()),
        Outcome::Replayed if a.status >= 400 => {
            let body: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
            Err(CliError::new(exit_for_stored(a.status), error_text(&body)).into())
        }
        Outcome::Replayed => {
            let body: Value = serde_json::from_str(&a.body)?;
            Ok((serde_json::from_value(body.clone())?, body))
        }
    }
}

/// Says that an answer is the stored one of an earlier request with the same key, as the API's
/// `Idempotent-Replayed` header does: nothing was done again, whatever the answer says. On
/// stderr, so stdout stays the very answer the first request printed (in JSON mode too).
fn note_replay(ctx: &Ctx, a: &Answer, key: &str) {
    if a.replayed() {
        let message = format!(
            "replayed: the stored answer of an earlier request with key `{key}`; nothing was done again"
        );
        ctx.out.notice(
            &message,
            &json!({"replayed": true, "idempotency_key": key, "message": message}),
        );
    }
}

/// Prints a charge answer (as JSON, or for people through `show`), or turns an error answer
/// into the CLI error. A charge that failed ends with exit 1 after it was printed.
fn print_answer(
    ctx: &Ctx,
    a: &Answer,
    show: impl FnOnce(&Charge) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (charge, body) = answered_charge(a)?;
    print_charge(ctx, &charge, &body, show)
}

/// Prints a charge (its API JSON `body`, or for people through `show`); a charge that failed
/// ends with exit 1 after it was printed.
fn print_charge(
    ctx: &Ctx,
    charge: &Charge,
    body: &Value,
    show: impl FnOnce(&Charge) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        ctx.out.json(body)?;
    } else {
        show(charge)?;
    }
    if charge.status() == ChargeStatus::Failed {
        let why = charge
            .failure
            .as_ref()
            .map(|f| f.message.as_str())
            .unwrap_or("no reason given");
        let what = match charge.decline_code() {
            Some(code) => format!("was declined ({code})"),
            None => "failed".into(),
        };
        return Err(
            CliError::new(Exit::Failure, format!("charge {} {what}: {why}", charge.id)).into(),
        );
    }
    Ok(())
}

/// A charge's status as an operator reads it: a decline says so, with its reason
/// (`declined (insufficient_funds)`), where the JSON keeps Stripe's `failed` and adds
/// `decline_code`.
pub fn status_text(c: &Charge) -> String {
    match c.decline_code() {
        Some(code) => format!("declined ({code})"),
        None => c.status().to_string(),
    }
}

fn show(ctx: &Ctx, c: &Charge) -> anyhow::Result<()> {
    let money = major(c.amount(), c.currency());
    let mut fields = vec![
        ("id", c.id.to_string()),
        ("status", status_text(c)),
        ("amount", money),
        ("refunded", major(c.amount_refunded(), c.currency())),
        ("method", c.method.to_string()),
        ("gateway", or_dash(c.gateway)),
        ("reference", or_dash(c.gateway_reference.as_deref())),
        ("customer", c.customer.name.clone()),
        (
            "document",
            or_dash(c.customer.document.as_ref().map(|d| d.masked())),
        ),
        ("created", c.created_at.to_rfc3339()),
    ];
    if let Some(f) = &c.failure {
        let label = if c.decline_code().is_some() {
            "declined"
        } else {
            "failure"
        };
        fields.push((label, format!("{}: {}", f.code, f.message)));
    }
    ctx.out.fields(&fields)?;
    if !c.attempts.is_empty() {
        ctx.out.line("")?;
        let rows = c
            .attempts
            .iter()
            .map(|a| {
                vec![
                    a.gateway.to_string(),
                    a.outcome.to_string(),
                    format!("{} ms", a.latency_ms),
                    or_dash(a.error.as_deref()),
                ]
            })
            .collect();
        ctx.out
            .table(&["GATEWAY", "OUTCOME", "LATENCY", "ERROR"], rows, "")?;
    }
    if !c.refunds.is_empty() {
        ctx.out.line("")?;
        let rows = c
            .refunds
            .iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    major(r.amount, c.currency()),
                    refund_status(r.status).into(),
                    or_dash(r.reason.as_deref()),
                    r.created_at.to_rfc3339(),
                ]
            })
            .collect();
        ctx.out.table(
            &["REFUND", "AMOUNT", "STATUS", "REASON", "CREATED"],
            rows,
            "",
        )?;
    }
    // The code to pay, only while there is something to pay: a paid, failed or refunded
    // charge's QR code would invite a second payment.
    if let Some(pix) = c
        .pix
        .as_ref()
        .filter(|_| c.status() == ChargeStatus::RequiresAction)
    {
        ctx.out
            .line(&format!("\nPix copia e cola:\n{}", pix.copy_paste))?;
        print_qr(ctx, &pix.copy_paste)?;
    }
    // The same for a payment link: its URL, and a QR of it a phone can open.
    if let Some(link) = c
        .link
        .as_ref()
        .filter(|_| c.status() == ChargeStatus::RequiresAction)
    {
        let expiry = link
            .expires_at
            .map(|t| format!(" (until {})", t.to_rfc3339()))
            .unwrap_or_default();
        ctx.out
            .line(&format!("\nPayment link{expiry}:\n{}", link.url))?;
        print_qr(ctx, &link.url)?;
    }
    Ok(())
}

/// `payload` as a QR code drawn with Unicode half blocks, light on dark (what phone cameras
/// read from a dark terminal); nothing when it does not fit in a QR code.
fn print_qr(ctx: &Ctx, payload: &str) -> anyhow::Result<()> {
    if let Ok(code) = qrcode::QrCode::new(payload.as_bytes()) {
        let art = code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build();
        ctx.out.line(&format!("\n{art}"))?;
    }
    Ok(())
}

fn refund_status(s: RefundStatus) -> &'static str {
    match s {
        RefundStatus::Pending => "pending",
        RefundStatus::Succeeded => "succeeded",
        RefundStatus::Failed => "failed",
        RefundStatus::InFlight => "in_flight",
    }
}

/// What `charge refund` prints for people: the refund this request made (its id first), then
/// its charge as `charge get` shows it.
fn show_refund(ctx: &Ctx, charge: &Charge, refund: Option<&RefundId>) -> anyhow::Result<()> {
    if let Some(r) = refund.and_then(|id| charge.refunds.iter().find(|r| r.id == *id)) {
        ctx.out.fields(&[
            ("refund", r.id.to_string()),
            ("amount", major(r.amount, charge.currency())),
            ("status", refund_status(r.status).into()),
            ("reason", or_dash(r.reason.as_deref())),
        ])?;
        ctx.out.line("")?;
    }
    show(ctx, charge)
}

/// Tells the operator the key generated for them, so a retry is safe.
fn note_generated_key(ctx: &Ctx, key: &str) {
    ctx.out.note(&format!(
        "Idempotency-Key: {key}   (pass --idempotency-key {key} to retry safely)"
    ));
}

fn new_key() -> String {
    format!("cli_{}", payorch::id::new_ulid())
}

pub async fn run(ctx: &Ctx, cmd: ChargeCommand) -> anyhow::Result<()> {
    match cmd {
        ChargeCommand::Create(args) => create(ctx, args).await,
        ChargeCommand::Refund(args) => refund(ctx, args).await,
        ChargeCommand::Get { id } => get(ctx, &id).await,
        ChargeCommand::List {
            status,
            gateway,
            limit,
        } => list(ctx, status, gateway, limit).await,
    }
}

/// The `POST /v1/charges` body the flags describe.
fn create_body(args: &CreateArgs) -> anyhow::Result<Value> {
    let money = super::amount::parse_amount("--amount", &args.amount, args.currency, args.minor)?;
    let tokens = pairs("--card-token", &args.card_token)?;
    let metadata = pairs("--metadata", &args.metadata)?;
    let mut body = json!({
        "amount": money.minor(),
        "currency": args.currency.code(),
        "method": args.method,
        "customer": {"name": args.customer_name, "document": args.customer_document, "email": args.customer_email},
        "description": args.description,
        "metadata": metadata,
        "gateway": args.gateway,
    });
    if !tokens.is_empty() {
        body["card"] = json!({ "tokens": tokens });
    }
    Ok(body)
}

/// `charge create`: the same request, limits and idempotency as `POST /v1/charges`.
async fn create(ctx: &Ctx, args: CreateArgs) -> anyhow::Result<()> {
    let body = create_body(&args)?;
    // The same per-currency limit as `serve`, before anything is stored.
    if let Err(e) = payorch::api::strict::check_charge_limit(&body, |c| {
        ctx.config().amount_limits.max_charge(c)
    }) {
        return Err(request_error(&e.into()).into());
    }
    let key = args.idempotency_key.clone().unwrap_or_else(new_key);
    let core = core(ctx, &args.sandbox).await?;
    let a = runtime::create_charge(
        &core.orchestrator,
        &core.idempotency,
        &HttpRender,
        ctx.tenant(),
        &key,
        &body,
    )
    .await;
    if args.idempotency_key.is_none() {
        note_generated_key(ctx, &key);
    }
    note_replay(ctx, &a, &key);
    print_answer(ctx, &a, |c| show(ctx, c))
}

/// `charge refund`: the same request and idempotency as `POST /v1/charges/{id}/refunds`, with
/// an audit entry for a refund this run made.
async fn refund(ctx: &Ctx, args: RefundArgs) -> anyhow::Result<()> {
    let core = core(ctx, &args.sandbox).await?;
    let (charge, _) = core
        .orchestrator
        .get_charge(ctx.tenant(), &args.id)
        .await
        .map_err(|e| CliError::new(exit_for_flow(&e), e.to_string()))?;
    let mut body = json!({ "reason": args.reason });
    let requested = args
        .amount
        .as_deref()
        .map(|a| super::amount::parse_amount("--amount", a, charge.currency(), args.minor))
        .transpose()?;
    if let Some(m) = requested {
        body["amount"] = json!(m.minor());
    }
    let key = args.idempotency_key.clone().unwrap_or_else(new_key);
    if args.idempotency_key.is_none() {
        note_generated_key(ctx, &key);
    }
    let a = runtime::refund(
        &core.orchestrator,
        &core.idempotency,
        &HttpRender,
        ctx.tenant(),
        &args.id,
        &key,
        &body,
    )
    .await;
    if let Outcome::Done(_) = a.outcome {
        audit_refund(ctx, &core, &args, &body, &key).await?;
    }
    note_replay(ctx, &a, &key);
    if let Outcome::Failed(RequestError::Flow(FlowError::RefundTooLarge { .. })) = &a.outcome
        && let Some(m) = requested
        && let Ok((now, _)) = core.orchestrator.get_charge(ctx.tenant(), &args.id).await
    {
        // Said the way the operator typed it: major units with the currency.
        let message = format!(
            "--amount: {m} is more than the {} still refundable on charge {}",
            major(now.refundable(), now.currency()),
            args.id
        );
        return Err(CliError::new(Exit::Usage, message).into());
    }
    let (charge, body) = answered_charge(&a)?;
    // The refund this key made: the one it recorded (a replay's too).
    let refund = core
        .store
        .get_idempotency_key(ctx.tenant(), &key)
        .await?
        .and_then(|r| r.value.refund_id);
    print_charge(ctx, &charge, &body, |c| {
        show_refund(ctx, c, refund.as_ref())
    })
}

/// The audit entry of a refund this run made (a replay made nothing).
async fn audit_refund(
    ctx: &Ctx,
    core: &Core,
    args: &RefundArgs,
    body: &Value,
    key: &str,
) -> anyhow::Result<()> {
    let detail = json!({"amount": body.get("amount"), "idempotency_key": key});
    payorch::tenancy::audit_with_reason(
        core.store.as_ref(),
        &ctx.clock,
        &ctx.actor(),
        ctx.tenant(),
        payorch::tenancy::Action {
            name: payorch::store::AuditAction::ChargeRefund,
            target: &args.id,
            detail,
            reason: args.reason.as_deref(),
        },
    )
    .await?;
    Ok(())
}

/// `charge get`: one charge, the document masked as in listings.
async fn get(ctx: &Ctx, id: &str) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    payorch::tenancy::require_tenant(store.as_ref(), ctx.tenant()).await?;
    let not_found = || {
        CliError::new(
            Exit::NotFound,
            format!("tenant `{}` has no charge `{id}`", ctx.tenant()),
        )
    };
    let cid =
        payorch::id::ChargeId::parse(id).map_err(|e| CliError::new(Exit::Usage, e.to_string()))?;
    let charge = store
        .get_charge(ctx.tenant(), &cid)
        .await?
        .ok_or_else(not_found)?
        .value;
    if ctx.out.is_json() {
        ctx.out.json(&payorch::server::charge_json_masked(&charge))
    } else {
        show(ctx, &charge)
    }
}

/// `charge list`: newest first, as JSON like `GET /v1/charges` or as a table.
async fn list(
    ctx: &Ctx,
    status: Option<ChargeStatus>,
    gateway: Option<GatewayId>,
    limit: u32,
) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    payorch::tenancy::require_tenant(store.as_ref(), ctx.tenant()).await?;
    let query = ChargeQuery {
        status,
        gateway,
        limit,
        ..Default::default()
    };
    let page = store.list_charges(ctx.tenant(), &query).await?;
    if ctx.out.is_json() {
        let data: Vec<Value> = page
            .items
            .iter()
            .map(payorch::server::charge_json_masked)
            .collect();
        return ctx
            .out
            .json(&json!({"data": data, "next_cursor": page.next_cursor}));
    }
    let rows = page.items.iter().map(list_row).collect();
    ctx.out.table(
        &[
            "ID", "STATUS", "AMOUNT", "METHOD", "GATEWAY", "FAILOVER", "CREATED",
        ],
        rows,
        "No charges.",
    )
}

/// One charge's row in `charge list`.
fn list_row(c: &Charge) -> Vec<String> {
    let failed_over = c
        .attempts
        .first()
        .map(|a| Some(a.gateway) != c.gateway)
        .unwrap_or(false);
    vec![
        c.id.to_string(),
        status_text(c),
        major(c.amount(), c.currency()),
        c.method.to_string(),
        or_dash(c.gateway),
        if failed_over {
            "yes".into()
        } else {
            "-".into()
        },
        c.created_at.to_rfc3339(),
    ]
}

pub async fn reconcile(ctx: &Ctx, args: ReconcileArgs) -> anyhow::Result<()> {
    let core = core(ctx, &args.sandbox).await?;
    let report = core.orchestrator.reconcile_once().await?;
    if ctx.out.is_json() {
        return ctx.out.json(&report);
    }
    ctx.out.fields(&[
        ("resolved", report.resolved.len().to_string()),
        (
            "orphans cancelled",
            report.orphans_cancelled.len().to_string(),
        ),
        ("orphans paid", report.orphans_paid.len().to_string()),
        ("fees read", report.fees_recorded.len().to_string()),
        ("fees given up", report.fees_given_up.len().to_string()),
        ("deferred", report.deferred.to_string()),
    ])?;
    for (id, status) in &report.resolved {
        ctx.out.line(&format!("  {id} -> {status}"))?;
    }
    for (id, g, reference) in &report.orphans_paid {
        ctx.out.line(&format!(
            "  PAID ORPHAN: {id} at {g} ({reference}): refund the payer"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use payorch::gateway::GatewayError;
    use payorch::id::{ChargeId, RefundId};
    use payorch::model::{AttemptOutcome, TenantId};

    /// A fresh error exits as its stored answer does when replayed (decided from the typed
    /// error there, from the stored status here), so a retry of the key exits as the first
    /// run did; and as `charge create|refund` exited when it read the status back.
    #[test]
    fn a_fresh_error_exits_as_its_replay() {
        let refused = |outcome| {
            FlowError::RefundFailed(GatewayError::new(GatewayId::Efi, outcome, "no")).into()
        };
        let errors: Vec<RequestError> = vec![
            FlowError::UnknownTenant(TenantId::default_tenant()).into(),
            FlowError::NotFound { id: "ch_1".into() }.into(),
            FlowError::ChargeInProgress(ChargeId::generate()).into(),
            FlowError::RefundInProgress(RefundId::generate()).into(),
            FlowError::NotHeld.into(),
            FlowError::NothingToRefund {
                charge: ChargeId::generate(),
                status: ChargeStatus::Refunded,
            }
            .into(),
            FlowError::RefundTooLarge {
                requested: 5,
                refundable: 4,
                currency: Currency::Usd,
            }
            .into(),
            FlowError::Exhausted {
                charge: ChargeId::generate(),
                attempts: Vec::new(),
            }
            .into(),
            refused(AttemptOutcome::Invalid),
            refused(AttemptOutcome::UnavailableNotSent),
            FlowError::Store(StoreError::Unavailable("locked".into())).into(),
            FlowError::Store(StoreError::Backend("disk".into())).into(),
            payorch::api::Invalid::field("amount", "amount_invalid", "no").into(),
            RequestError::KeyInUse("k".into()),
            RequestError::KeyReused("k".into()),
            RequestError::KeyCorrupt,
            RequestError::Died,
        ];
        for e in &errors {
            let stored = ApiError::from(e).status;
            assert_eq!(exit_for(e), exit_for_stored(stored), "{e:?} ({stored})");
        }
    }
}
