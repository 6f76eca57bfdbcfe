//! `payorch bench charges|webhooks`: load a running `payorch serve` over HTTP, as merchants and
//! gateways do, and report throughput, latency percentiles and answers by status (issue 16).
//!
//! - `charges` POSTs unique charges (a fresh `Idempotency-Key` each) pinned to Stripe; with
//!   `--direct SANDBOX_URL` the same load then goes straight to the sandbox's Stripe
//!   (`POST /stripe/v1/payment_intents`, form-encoded, `confirm=true`, the form payorch's
//!   adapter sends) in the same run, and the report gives payorch's throughput as a ratio of it:
//!   what payorch costs on top of the gateway.
//! - `webhooks` POSTs unique, validly signed Stripe events (`payment_intent.succeeded`) to
//!   `/webhooks/{tenant}/stripe`, signed with the crate's own Stripe signing code and, by
//!   default, the sandbox's webhook secret (what `serve --sandbox` verifies with). The events
//!   name charges payorch never made, so each is verified, deduplicated and recorded as
//!   `unknown_charge`: ingestion, without the charge update.
//! - `charges --receiver ADDR` also listens on ADDR (`receiver.rs`) and counts the events serve
//!   delivers there during and after the load (the tenant's endpoint must point at it): outbound
//!   delivery under charge load.
//!
//! The load generator is `load.rs`. Like `sandbox`, no config or data dir is needed: only URLs.
//! Connections are HTTP/1.1 keep-alive (reqwest's pool, one idle connection kept per worker).

mod load;
mod receiver;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use payorch::clock::{Clock, SystemClock};
use payorch::model::TenantId;
use payorch::secret::Secret;

use load::{Report, Stop};

use super::{CliError, Exit, GlobalArgs, Output};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Unique charges through serve's merchant API; with --direct, the same load straight at the
    /// sandbox's Stripe too, and payorch's ratio to it
    Charges(ChargesArgs),
    /// Unique, validly signed Stripe webhooks into serve's /webhooks/{tenant}/stripe
    Webhooks(WebhooksArgs),
}

/// The load's shape, common to every bench.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Base URL of a running `payorch serve`, e.g. http://127.0.0.1:8080
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    url: String,
    /// Connections, each with one request in flight at a time
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    concurrency: u64,
    /// How long to send for, e.g. 10s or 1m [default: 10s, unless --requests]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "requests")]
    duration: Option<Duration>,
    /// Send this many requests in all, then stop
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    requests: Option<u64>,
    /// Give up on one request after this long (it counts as a `timeout` error)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
}

#[derive(Debug, Args)]
pub struct ChargesArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// An API key of the tenant (`payorch apikey create`)
    #[arg(
        long,
        value_name = "KEY",
        env = "PAYORCH_API_KEY",
        hide_env_values = true
    )]
    api_key: String,
    /// The payment method of every charge
    #[arg(long, value_enum, default_value_t = BenchMethod::Card)]
    method: BenchMethod,
    /// Also send the same load straight to this sandbox's Stripe (`payorch sandbox`'s URL)
    #[arg(long, value_name = "SANDBOX_URL", value_parser = parse_url)]
    direct: Option<String>,
    /// Count the events serve delivers to a receiver listening here (the tenant's webhook
    /// endpoint must point at it), e.g. 127.0.0.1:9099
    #[arg(long, value_name = "ADDR")]
    receiver: Option<SocketAddr>,
    /// With --receiver: stop waiting for deliveries after this long without one
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration,
          requires = "receiver")]
    drain: Duration,
}

#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The Stripe webhook signing secret serve verifies with [default: the sandbox's]
    #[arg(
        long,
        value_name = "WHSEC",
        env = "PAYORCH_BENCH_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    secret: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchMethod {
    /// Stripe's test card `pm_card_visa`
    Card,
    /// A Pix charge (BR Code and QR)
    Pix,
}

fn parse_url(s: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(s).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("an http:// or https:// URL is needed".into());
    }
    Ok(s.trim_end_matches('/').to_string())
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 10s, 500ms, 1m)"))?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

impl LoadArgs {
    fn stop(&self) -> Stop {
        match (self.requests, self.duration) {
            (Some(n), _) => Stop::Requests(n),
            (None, Some(d)) => Stop::For(d),
            (None, None) => Stop::For(Duration::from_secs(10)),
        }
    }

    /// A keep-alive HTTP/1.1 client with an idle connection kept for every worker.
    fn client(&self) -> anyhow::Result<reqwest::Client> {
        payorch::gateway::http::install_crypto_provider();
        Ok(reqwest::Client::builder()
            .http1_only()
            .pool_max_idle_per_host(usize::try_from(self.concurrency).unwrap_or(usize::MAX))
            .timeout(self.timeout)
            .build()?)
    }
}

/// Runs a bench. `global.tenant` names the tenant whose webhook URL `webhooks` loads.
pub async fn run(out: Output, global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Charges(args) => charges(out, args).await,
        BenchCommand::Webhooks(args) => {
            let tenant = global
                .tenant
                .clone()
                .unwrap_or_else(TenantId::default_tenant);
            webhooks(out, &tenant, args).await
        }
    }
}

/// The whole run, as `-o json` prints it.
#[derive(Debug, Serialize)]
struct Summary {
    bench: &'static str,
    /// `card` or `pix` for charges.
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'static str>,
    payorch: Report,
    /// The same load straight at the sandbox's Stripe (`--direct`).
    #[serde(skip_serializing_if = "Option::is_none")]
    direct: Option<Report>,
    /// payorch's successful requests per second over direct's.
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio: Option<f64>,
    /// What the built-in receiver got (`--receiver`).
    #[serde(skip_serializing_if = "Option::is_none")]
    deliveries: Option<receiver::Deliveries>,
}

/// Exit 6 in one sentence when nothing listens at `url` (probed at `url` + `path`); any HTTP
/// answer will do.
async fn reachable(
    client: &reqwest::Client,
    url: &str,
    path: &str,
    what: &str,
) -> anyhow::Result<()> {
    match client
        .get(format!("{url}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(CliError::new(
            Exit::Unavailable,
            format!(
                "cannot reach {what} at {url} ({}); is it running?",
                root_cause(&e)
            ),
        )
        .into()),
    }
}

/// The innermost cause of an error (reqwest's own text is only "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

async fn charges(out: Output, args: ChargesArgs) -> anyhow::Result<()> {
    let load = &args.load;
    let client = load.client()?;
    reachable(&client, &load.url, "/healthz", "payorch serve").await?;
    let direct_url = match &args.direct {
        Some(sandbox) => {
            let base = format!("{}/stripe", sandbox.trim_end_matches("/stripe"));
            reachable(&client, &base, "", "the sandbox").await?;
            Some(format!("{base}/v1/payment_intents"))
        }
        None => None,
    };
    let receiver = match args.receiver {
        Some(addr) => Some((addr, receiver::Receiver::start(addr).await?)),
        None => None,
    };
    let started = Instant::now();
    let run = payorch::id::new_ulid().to_string().to_lowercase();
    let body = charge_body(args.method);
    let url = format!("{}/v1/charges", load.url);
    let (http, key, prefix) = (client.clone(), args.api_key.clone(), run.clone());
    let measured = load::run(out, "payorch", load.concurrency, load.stop(), {
        let url = url.clone();
        move |i| {
            let request = http
                .post(&url)
                .bearer_auth(&key)
                .header("Idempotency-Key", format!("bench-{prefix}-{i}"))
                .header("content-type", "application/json")
                .body(body.clone());
            status_of(request)
        }
    })
    .await;
    let payorch = Report::new("payorch", &url, load.concurrency, 201, &measured);
    // Every charge made has at least one event to deliver; before the direct load starts.
    let deliveries = match &receiver {
        Some((addr, r)) => Some(r.drain(*addr, payorch.ok, args.drain, started).await),
        None => None,
    };
    let direct = match direct_url {
        Some(url) => {
            let form = stripe_form(args.method);
            let (http, prefix) = (client.clone(), run.clone());
            let measured = load::run(out, "direct", load.concurrency, load.stop(), {
                let url = url.clone();
                move |i| {
                    let request = http
                        .post(&url)
                        .bearer_auth(payorch::sandbox::stripe::SANDBOX_SECRET_KEY)
                        .header("Idempotency-Key", format!("bench-direct-{prefix}-{i}"))
                        .header(
                            "Stripe-Version",
                            payorch::gateway::stripe::STRIPE_API_VERSION,
                        )
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(form.clone());
                    status_of(request)
                }
            })
            .await;
            Some(Report::new(
                "direct",
                &url,
                load.concurrency,
                200,
                &measured,
            ))
        }
        None => None,
    };
    // Successes only: a 429 or a 500 answered fast must not flatter payorch.
    let ratio = direct
        .as_ref()
        .filter(|d| d.ok_per_second > 0.0)
        .map(|d| payorch.ok_per_second / d.ok_per_second);
    let method = match args.method {
        BenchMethod::Card => "card",
        BenchMethod::Pix => "pix",
    };
    report(
        out,
        Summary {
            bench: "charges",
            method: Some(method),
            payorch,
            direct,
            ratio,
            deliveries,
        },
    )
}

async fn webhooks(out: Output, tenant: &TenantId, args: WebhooksArgs) -> anyhow::Result<()> {
    let load = &args.load;
    let client = load.client()?;
    reachable(&client, &load.url, "/healthz", "payorch serve").await?;
    let secret = Secret::new(
        args.secret
            .unwrap_or_else(|| payorch::sandbox::stripe::SANDBOX_WEBHOOK_SECRET.to_string()),
    );
    let url = format!("{}/webhooks/{tenant}/stripe", load.url);
    let run = payorch::id::new_ulid().to_string().to_lowercase();
    let http = client.clone();
    let measured = load::run(out, "webhooks", load.concurrency, load.stop(), {
        let url = url.clone();
        move |i| {
            let (body, signature) = stripe_event(&secret, &run, i);
            let request = http
                .post(&url)
                .header("Stripe-Signature", signature)
                .header("content-type", "application/json; charset=utf-8")
                .body(body);
            status_of(request)
        }
    })
    .await;
    let payorch = Report::new("payorch", &url, load.concurrency, 200, &measured);
    report(
        out,
        Summary {
            bench: "webhooks",
            method: None,
            payorch,
            direct: None,
            ratio: None,
            deliveries: None,
        },
    )
}

/// Sends `request` and reads its body to the end (so the connection can be reused).
async fn status_of(request: reqwest::RequestBuilder) -> Result<u16, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    response.bytes().await?;
    Ok(status)
}

/// The merchant's request: R$ 19,90 pinned to Stripe, so payorch and direct do the same work.
fn charge_body(method: BenchMethod) -> String {
    let customer = json!({"name": "Bench Payer", "document": "529.982.247-25",
                          "email": "bench@example.com"});
    let mut body = json!({"amount": 1990, "currency": "BRL", "gateway": "stripe",
                          "customer": customer, "metadata": {"source": "payorch-bench"}});
    match method {
        BenchMethod::Card => {
            body["method"] = json!("card");
            body["card"] = json!({"tokens": {"stripe": "pm_card_visa"}});
        }
        BenchMethod::Pix => body["method"] = json!("pix"),
    }
    body.to_string()
}

/// What payorch's Stripe adapter sends for the same charge (`src/gateway/stripe/`).
fn stripe_form(method: BenchMethod) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("amount", "1990")
        .append_pair("currency", "brl");
    match method {
        BenchMethod::Card => form
            .append_pair("payment_method_types[]", "card")
            .append_pair("payment_method", "pm_card_visa")
            .append_pair("confirm", "true")
            .append_pair("error_on_requires_action", "true"),
        BenchMethod::Pix => form
            .append_pair("payment_method_types[]", "pix")
            .append_pair("payment_method_data[type]", "pix")
            .append_pair("payment_method_data[billing_details][name]", "Bench Payer")
            .append_pair(
                "payment_method_data[billing_details][email]",
                "bench@example.com",
            )
            .append_pair("payment_method_options[pix][expires_after_seconds]", "3600")
            .append_pair("confirm", "true"),
    };
    form.append_pair("metadata[source]", "payorch-bench");
    form.finish()
}

/// Unique Stripe event `i` of this run for a charge payorch never made, and its
/// `Stripe-Signature` header, signed as Stripe (and the sandbox's fake) sign.
fn stripe_event(secret: &Secret, run: &str, i: u64) -> (Vec<u8>, String) {
    let now = SystemClock.now().unix_seconds();
    let charge = payorch::id::ChargeId::generate();
    let body = json!({"id": format!("evt_bench{run}{i}"), "object": "event",
        "type": "payment_intent.succeeded", "created": now, "livemode": false,
        "data": {"object": {"id": format!("pi_bench{run}{i}"), "object": "payment_intent",
            "status": "succeeded", "amount": 1990, "currency": "brl",
            "metadata": {"payorch_charge_id": charge.as_str()}}}})
    .to_string()
    .into_bytes();
    let v1 = payorch::gateway::stripe::webhook_signature(secret, now, &body);
    (body, format!("t={now},v1={v1}"))
}

/// Prints the run: JSON, or a table, the ratio, and a line on what the numbers mean. A run in
/// which nothing succeeded is a failure (exit 1) after its report: a wrong key, a wrong secret.
fn report(out: Output, summary: Summary) -> anyhow::Result<()> {
    if out.is_json() {
        out.json(&summary)?;
    } else {
        let mut rows = vec![summary.payorch.row()];
        rows.extend(summary.direct.iter().map(Report::row));
        out.table(load::HEADERS, rows, "no requests")?;
        if let Some(d) = &summary.deliveries {
            out.line(&format!(
                "deliveries  {} events ({} POSTs) at {} in {:.2} s: {:.1}/s",
                d.events, d.posts, d.address, d.seconds, d.per_second
            ))?;
            if d.events == 0 {
                out.note(&format!("No deliveries arrived: point the tenant's endpoint at the receiver (`payorch webhook endpoint set http://{}/`) and start serve with webhooks.allow_private_targets on.", d.address));
            }
        }
        if let Some(ratio) = summary.ratio {
            out.line(&format!(
                "ratio  {ratio:.2} (payorch's successful requests per second over direct's)"
            ))?;
        }
        if [&summary.payorch]
            .into_iter()
            .chain(&summary.direct)
            .any(|r| r.statuses.contains_key("429"))
        {
            out.note("429: serve's rate limits refused requests; for a bench, start serve with PAYORCH_LIMITS_KEY=off PAYORCH_LIMITS_TENANT=off PAYORCH_LIMITS_INBOUND=off.");
        }
        out.note("Latencies are per request, from sending to the whole answer read; PER SECOND counts every request sent, ERRORS every answer but the success status and every request that got none.");
    }
    if summary.payorch.requests > 0 && summary.payorch.ok == 0 {
        return Err(CliError::new(
            Exit::Failure,
            format!(
                "none of the {} requests to {} succeeded ({}: 401 is a wrong API key or secret, 404 an unknown tenant)",
                summary.payorch.requests,
                summary.payorch.url,
                summary.payorch.statuses_text()
            ),
        )
        .into());
    }
    Ok(())
}
