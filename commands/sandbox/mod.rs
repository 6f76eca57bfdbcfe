//! `payorch sandbox`: runs local fakes of the gateways (`payorch sandbox [--bind]`), and the
//! verbs that steer a running one over its control API (`mode`, `pay`, `charges`, `webhook`,
//! `webhooks`, `info`, all with `--url`). Neither needs a config file or a data dir.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use payorch::clock::{Clock, SystemClock};
use payorch::gateway::http::install_crypto_provider;
use payorch::model::{Currency, GatewayId, Money};
use payorch::sandbox::bounded::DEFAULT_MAX_OBJECTS;
use payorch::sandbox::server::{
    self, Delivery, GatewayInfo, SandboxInfo, SandboxOptions, SandboxServer, ServerError,
};
use payorch::sandbox::{FaultMode, RequestScope, SandboxContext};

use super::output::bind_error;
use super::{CliError, Exit, Output};

const DEFAULT_URL: &str = "http://127.0.0.1:7700";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,
    /// Address of the main listener; each gateway also gets its own listener on the next ports
    #[arg(long, value_name = "ADDR", default_value_t = server::DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Where a gateway's webhooks go, e.g. stripe=http://127.0.0.1:8080/webhooks/default/stripe
    /// (repeatable)
    #[arg(long = "webhook-url", value_name = "GATEWAY=URL", value_parser = parse_gateway_url)]
    pub webhook_urls: Vec<(GatewayId, reqwest::Url)>,
    /// How long the Asaas fake keeps a refund PENDING before it settles it (DONE, with its
    /// webhook); 0s settles it right after answering
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_refund_delay)]
    pub asaas_refund_delay: std::time::Duration,
    /// How many objects of each kind (intents, charges, refunds, customers, cobs, payments,
    /// idempotency keys) each fake keeps; past it the oldest settled ones are evicted (and
    /// answer 404), and with none settled new ones are refused with the gateway's 429
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_OBJECTS as u64,
          value_parser = clap::value_parser!(u64).range(1..=MAX_MAX_OBJECTS))]
    pub max_objects: u64,
}

/// The largest `--max-objects`: well past what fits in memory anyway.
const MAX_MAX_OBJECTS: u64 = 100_000_000;

/// `--asaas-refund-delay`: a duration of at most an hour.
fn parse_refund_delay(s: &str) -> Result<std::time::Duration, String> {
    let d: payorch::config::HumanDuration = s.parse()?;
    if d.0 > std::time::Duration::from_secs(3600) {
        return Err(format!("`{s}` is more than an hour; write e.g. 5s"));
    }
    Ok(d.0)
}

/// Where the running sandbox is.
#[derive(Debug, Args)]
pub struct Remote {
    /// The running sandbox's address
    #[arg(long, env = "PAYORCH_SANDBOX_URL", value_name = "URL", default_value = DEFAULT_URL)]
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Make a gateway fail: up, down (refused, or --status), slow (--latency), flaky
    /// (--error-rate), lost (--latency: done at once, the answer held); --only limits it to one
    /// kind of request
    Mode {
        /// The fake to steer: stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// How it behaves from now on
        mode: ModeName,
        /// Added latency in milliseconds (slow: before the request is processed; lost: after,
        /// before its answer)
        #[arg(long, value_name = "MS")]
        latency: Option<u64>,
        /// Share of requests that fail, 0 to 1 (flaky)
        #[arg(long, value_name = "R")]
        error_rate: Option<f64>,
        /// Status to answer with (down: instead of refusing connections; flaky: default 503)
        #[arg(long, value_name = "CODE")]
        status: Option<u16>,
        /// Only requests with this method and path (the gateway's own; a trailing * makes it a
        /// prefix), e.g. 'POST /v3/payments'; the others are answered normally
        #[arg(long, value_name = "'METHOD PATH'", value_parser = parse_scope)]
        only: Option<RequestScope>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Mark a pending charge paid; the fake sends its gateway's webhook
    Pay {
        /// The gateway's charge id
        id: String,
        /// The gateway holding it [default: whichever knows the id]
        #[arg(long, value_parser = parse_gateway)]
        gateway: Option<GatewayId>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List the charges the fakes hold
    Charges {
        /// Only this gateway's
        #[arg(value_parser = parse_gateway)]
        gateway: Option<GatewayId>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Register the URL a gateway's webhooks are sent to
    Webhook {
        /// The fake whose webhooks go to URL: stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// An http:// or https:// URL
        #[arg(value_name = "URL")]
        webhook_url: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show the webhook delivery log
    Webhooks {
        #[command(flatten)]
        remote: Remote,
    },
    /// Show the gateways: base URLs, test credentials, modes, webhook URLs
    Info {
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeName {
    Up,
    Down,
    Slow,
    Flaky,
    Lost,
}

fn parse_gateway(s: &str) -> Result<GatewayId, String> {
    s.parse()
        .map_err(|e: payorch::model::gateway::UnknownGateway| e.to_string())
}

fn parse_scope(s: &str) -> Result<RequestScope, String> {
    s.parse()
}

fn parse_gateway_url(s: &str) -> Result<(GatewayId, reqwest::Url), String> {
    let (gateway, url) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not GATEWAY=URL"))?;
    let url = server::parse_webhook_url(url).map_err(|e| e.to_string())?;
    Ok((parse_gateway(gateway)?, url))
}

fn usage(e: impl ToString) -> CliError {
    CliError::new(Exit::Usage, e.to_string())
}

pub async fn run(out: Output, args: SandboxArgs) -> anyhow::Result<()> {
    let Some(command) = args.command else {
        return serve(out, args).await;
    };
    match command {
        SandboxCommand::Mode {
            gateway,
            mode,
            latency,
            error_rate,
            status,
            only,
            remote,
        } => {
            let mode = build_mode(mode, latency, error_rate, status)?;
            server::validate_scope(&mode, only.as_ref()).map_err(usage)?;
            set_mode(out, &remote, gateway, mode, only).await
        }
        SandboxCommand::Pay {
            id,
            gateway,
            remote,
        } => pay(out, &remote, &id, gateway).await,
        SandboxCommand::Charges { gateway, remote } => charges(out, &remote, gateway).await,
        SandboxCommand::Webhook {
            gateway,
            webhook_url,
            remote,
        } => set_webhook(out, &remote, gateway, &webhook_url).await,
        SandboxCommand::Webhooks { remote } => webhooks(out, &remote).await,
        SandboxCommand::Info { remote } => info(out, &remote).await,
    }
}

/// `sandbox mode`: sets a fake's fault mode and shows what it is now.
async fn set_mode(
    out: Output,
    remote: &Remote,
    gateway: GatewayId,
    mode: FaultMode,
    only: Option<RequestScope>,
) -> anyhow::Result<()> {
    let body = serde_json::to_value(server::ModeSetting { mode, only })?;
    let path = format!("/_sandbox/{gateway}/mode");
    let answer = Control::new(remote)?.send("PUT", &path, Some(body)).await?;
    let info: GatewayInfo = serde_json::from_value(answer.clone())?;
    if out.is_json() {
        out.json(&answer)?;
    } else {
        out.fields(&[
            ("gateway", gateway.to_string()),
            ("mode", describe(&info.mode, info.only.as_ref())),
            ("base_url", info.base_url),
        ])?;
    }
    Ok(())
}

/// `sandbox pay`: pays an open charge (by id, on one fake or on whichever has it).
async fn pay(
    out: Output,
    remote: &Remote,
    id: &str,
    gateway: Option<GatewayId>,
) -> anyhow::Result<()> {
    let path = match gateway {
        Some(g) => format!("/_sandbox/{g}/charges/{}/pay", segment(id)),
        None => format!("/_sandbox/pay/{}", segment(id)),
    };
    let answer = Control::new(remote)?.send("POST", &path, None).await?;
    if out.is_json() {
        out.json(&answer)?;
    } else {
        let gateway = text(&answer["gateway"]);
        let row = charge_row(&gateway, &answer["charge"]);
        out.fields(&[
            ("gateway", gateway),
            ("id", row[1].clone()),
            ("status", row[2].clone()),
        ])?;
        out.note("Paid; the gateway's webhook is on its way (see `payorch sandbox webhooks`).");
    }
    Ok(())
}

/// `sandbox charges`: one fake's charges, or every fake's.
async fn charges(out: Output, remote: &Remote, gateway: Option<GatewayId>) -> anyhow::Result<()> {
    let control = Control::new(remote)?;
    let all: BTreeMap<String, Vec<Value>> = match gateway {
        Some(g) => {
            let list = control
                .send("GET", &format!("/_sandbox/{g}/charges"), None)
                .await?;
            if out.is_json() {
                return out.json(&list);
            }
            BTreeMap::from([(g.to_string(), serde_json::from_value(list)?)])
        }
        None => {
            let all = control.send("GET", "/_sandbox/charges", None).await?;
            if out.is_json() {
                return out.json(&all);
            }
            serde_json::from_value(all)?
        }
    };
    let rows = all
        .iter()
        .flat_map(|(g, list)| list.iter().map(move |c| charge_row(g, c)))
        .collect();
    out.table(&["GATEWAY", "ID", "STATUS", "AMOUNT"], rows, "No charges.")?;
    Ok(())
}

/// `sandbox webhook`: where a fake sends its webhooks.
async fn set_webhook(
    out: Output,
    remote: &Remote,
    gateway: GatewayId,
    webhook_url: &str,
) -> anyhow::Result<()> {
    let url = server::parse_webhook_url(webhook_url).map_err(usage)?;
    let body = serde_json::json!({ "url": url.as_str() });
    let path = format!("/_sandbox/{gateway}/webhook");
    let answer = Control::new(remote)?.send("PUT", &path, Some(body)).await?;
    if out.is_json() {
        out.json(&answer)?;
    } else {
        out.fields(&[
            ("gateway", gateway.to_string()),
            ("webhook_url", text(&answer["webhook_url"])),
        ])?;
    }
    Ok(())
}

/// `sandbox webhooks`: the delivery log.
async fn webhooks(out: Output, remote: &Remote) -> anyhow::Result<()> {
    let answer = Control::new(remote)?
        .send("GET", "/_sandbox/webhooks", None)
        .await?;
    if out.is_json() {
        return out.json(&answer);
    }
    let log: Vec<Delivery> = serde_json::from_value(answer)?;
    let rows = log
        .iter()
        .map(|d| {
            vec![
                d.seq.to_string(),
                d.gateway.to_string(),
                d.webhook.to_string(),
                d.attempt.to_string(),
                serde_json::to_value(d.outcome)
                    .map(|v| text(&v))
                    .unwrap_or_default(),
                d.status
                    .map(|s| s.to_string())
                    .or_else(|| d.error.clone())
                    .unwrap_or_else(|| "-".into()),
                d.url.clone().unwrap_or_else(|| "-".into()),
                d.at.clone(),
            ]
        })
        .collect();
    out.table(
        &[
            "SEQ", "GATEWAY", "WEBHOOK", "ATTEMPT", "OUTCOME", "RESULT", "URL", "AT",
        ],
        rows,
        "No webhooks sent yet.",
    )?;
    Ok(())
}

/// `sandbox info`: the running sandbox's listeners, modes and test credentials.
async fn info(out: Output, remote: &Remote) -> anyhow::Result<()> {
    let answer = Control::new(remote)?
        .send("GET", "/_sandbox/info", None)
        .await?;
    if out.is_json() {
        return out.json(&answer);
    }
    print_info(out, &serde_json::from_value(answer)?)?;
    Ok(())
}

/// `payorch sandbox`: serve until SIGINT or SIGTERM.
async fn serve(out: Output, args: SandboxArgs) -> anyhow::Result<()> {
    // Before anything is printed: a signal right after the first line must stop us cleanly.
    let stop = stop_signal()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (mut ctx, webhooks) = SandboxContext::new(Arc::clone(&clock));
    ctx.asaas_refund_delay = args.asaas_refund_delay;
    // In range by the flag's parser.
    ctx.max_objects = usize::try_from(args.max_objects).unwrap_or(usize::MAX);
    let mut options = SandboxOptions::new(args.bind, clock);
    options.webhook_urls = args.webhook_urls;
    let running = SandboxServer::new(server::standard_fakes(&ctx), webhooks, options)
        .start()
        .await
        .map_err(|e| match e {
            ServerError::Invalid(m) => usage(m),
            ServerError::Bind { addr, source } => bind_error(addr, &source, "--bind ADDR", false),
        })?;
    let info = running.info();
    // Printing is best effort: a reader that stops reading (`| head -1`) must not stop the
    // sandbox.
    let _ = if out.is_json() {
        // One line, so scripts can read it while the server runs.
        serde_json::to_string(&info)
            .map_err(anyhow::Error::from)
            .and_then(|line| Ok(writeln!(std::io::stdout(), "{line}")?))
    } else {
        writeln!(std::io::stdout(), "listening on {}", running.url())
            .map_err(anyhow::Error::from)
            .and_then(|()| print_info(out, &info))
    };
    out.note("Stop with Ctrl-C.");
    stop.await;
    running.shutdown().await;
    Ok(())
}

/// A future that completes on SIGINT or SIGTERM; the handlers are installed now.
fn stop_signal() -> anyhow::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

fn print_info(out: Output, info: &SandboxInfo) -> anyhow::Result<()> {
    let rows = info
        .gateways
        .iter()
        .map(|(g, i)| {
            vec![
                g.to_string(),
                i.base_url.clone(),
                describe(&i.mode, i.only.as_ref()),
                i.webhook_url.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    out.table(
        &["GATEWAY", "BASE URL", "MODE", "WEBHOOK URL"],
        rows,
        "No gateways.",
    )?;
    let credentials: Vec<Vec<String>> = info
        .gateways
        .iter()
        .flat_map(|(g, i)| {
            i.credentials
                .iter()
                .map(move |(k, v)| vec![g.to_string(), k.clone(), v.clone()])
        })
        .collect();
    if !credentials.is_empty() {
        writeln!(std::io::stdout())?;
        out.table(&["GATEWAY", "CREDENTIAL", "TEST VALUE"], credentials, "")?;
    }
    writeln!(std::io::stdout())?;
    out.fields(&[("control", info.control_url.clone())])
}

/// A mode for people: `up`, `down (refusing connections)`, `slow (250 ms)`, …, and the
/// requests it is limited to.
fn describe(mode: &FaultMode, only: Option<&RequestScope>) -> String {
    let text = match mode {
        FaultMode::Up => "up".into(),
        FaultMode::Down { status: None } => "down (refusing connections)".into(),
        FaultMode::Down { status: Some(s) } => format!("down (answers {s})"),
        FaultMode::Slow { latency_ms } => format!("slow (+{latency_ms} ms)"),
        FaultMode::Flaky { error_rate, status } => {
            format!("flaky ({}% answer {status})", error_rate * 100.0)
        }
        FaultMode::Lost { latency_ms } => format!("lost (done, answered +{latency_ms} ms)"),
    };
    match only {
        Some(scope) => format!("{text} for {scope} only"),
        None => text,
    }
}

/// The mode the flags describe, or a usage error naming the flag that does not fit.
fn build_mode(
    name: ModeName,
    latency: Option<u64>,
    error_rate: Option<f64>,
    status: Option<u16>,
) -> Result<FaultMode, CliError> {
    let label = format!("{name:?}").to_lowercase();
    let allowed: &[&str] = match name {
        ModeName::Up => &[],
        ModeName::Down => &["--status"],
        ModeName::Slow | ModeName::Lost => &["--latency"],
        ModeName::Flaky => &["--error-rate", "--status"],
    };
    for (flag, given) in [
        ("--latency", latency.is_some()),
        ("--error-rate", error_rate.is_some()),
        ("--status", status.is_some()),
    ] {
        if given && !allowed.contains(&flag) {
            return Err(usage(format!("{flag} does not apply to mode {label}")));
        }
    }
    let mode = match name {
        ModeName::Up => FaultMode::Up,
        ModeName::Down => FaultMode::Down { status },
        ModeName::Slow => FaultMode::Slow {
            latency_ms: latency
                .ok_or_else(|| usage("mode slow needs --latency MS (e.g. --latency 2000)"))?,
        },
        ModeName::Lost => FaultMode::Lost {
            latency_ms: latency
                .ok_or_else(|| usage("mode lost needs --latency MS (e.g. --latency 30000)"))?,
        },
        ModeName::Flaky => FaultMode::Flaky {
            error_rate: error_rate
                .ok_or_else(|| usage("mode flaky needs --error-rate R (e.g. --error-rate 0.5)"))?,
            status: status.unwrap_or(503),
        },
    };
    server::validate_mode(&mode).map_err(usage)?;
    Ok(mode)
}

/// A JSON value for a table cell: strings bare, null as `-`.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// GATEWAY, ID, STATUS, AMOUNT of a charge in its gateway's own shape (Stripe `id`/`amount`,
/// or `amount_total` for a Checkout Session, Efí `txid`/`valor.original`, Asaas `id`/`value`).
fn charge_row(gateway: &str, c: &Value) -> Vec<String> {
    let first = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| c.pointer(k).filter(|v| !v.is_null()))
            .map(text)
            .unwrap_or_else(|| "-".into())
    };
    vec![
        gateway.to_string(),
        first(&["/id", "/txid"]),
        first(&["/status"]),
        amount_cell(c).unwrap_or_else(|| first(&["/amount", "/value", "/valor/original"])),
    ]
}

/// A charge's amount in major units with its currency, as every amount the CLI prints for
/// people, from each gateway's shape: Stripe's minor units and `currency`, Efí's decimal
/// string and Asaas's decimal number (both BRL only). `None` when it is none of these.
fn amount_cell(c: &Value) -> Option<String> {
    if let Some(minor) = c["amount"].as_i64().or(c["amount_total"].as_i64()) {
        let currency = Currency::parse(c["currency"].as_str()?).ok()?;
        return Some(super::amount::major(minor, currency));
    }
    let decimal = match (c.pointer("/valor/original"), c.get("value")) {
        (Some(Value::String(s)), _) => s.clone(),
        (_, Some(Value::Number(n))) => n.to_string(),
        _ => return None,
    };
    Money::parse_major(&decimal, Currency::Brl)
        .ok()
        .map(|m| m.to_string())
}

/// A charge id as one URL path segment.
fn segment(id: &str) -> String {
    form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A client for a running sandbox's control API.
struct Control {
    base: String,
    client: reqwest::Client,
}

impl Control {
    fn new(remote: &Remote) -> anyhow::Result<Control> {
        let url = reqwest::Url::parse(remote.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                usage(format!(
                    "--url `{}` is not an http:// URL of a sandbox (e.g. {DEFAULT_URL})",
                    remote.url
                ))
            })?;
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .tls_backend_rustls()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(90))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Control {
            base: url.as_str().trim_end_matches('/').to_string(),
            client,
        })
    }

    /// Sends one control request; errors become one sentence and the matching exit code.
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = match method {
            "PUT" => self.client.put(&url),
            "POST" => self.client.post(&url),
            _ => self.client.get(&url),
        };
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body)?);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_connect() {
                CliError::new(
                    Exit::Unavailable,
                    format!(
                        "no sandbox at {}: start one with `payorch sandbox`",
                        self.base
                    ),
                )
            } else {
                CliError::new(
                    Exit::Unavailable,
                    format!("the sandbox at {} did not answer: {e}", self.base),
                )
            }
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("the sandbox at {} broke off its answer", self.base))?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let message = value["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "the sandbox at {} answered {status}; is it a payorch sandbox?",
                    self.base
                )
            });
        let exit = match status.as_u16() {
            400 => Exit::Usage,
            404 => Exit::NotFound,
            409 => Exit::Conflict,
            _ => Exit::Failure,
        };
        Err(CliError::new(exit, message).into())
    }
}

#[cfg(test)]
mod tests;
