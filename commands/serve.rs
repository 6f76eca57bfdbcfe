//! `payorch serve`: the HTTP core (merchant API, health, metrics) with the breaker sync, the
//! reconciler and the idempotency purge in the background. Stops accepting on SIGINT/SIGTERM,
//! finishes the requests and money flows in flight (also those whose client hung up), and
//! exits 0. With `--sandbox`, it points the sandbox's webhooks at its own inbound routes.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use payorch::clock::{Clock, SystemClock};
use payorch::config::LogFormat;
use payorch::model::{GatewayId, TenantId};
use payorch::runtime::{self, Core};
use payorch::tenancy;

use super::{CliError, Ctx, Exit};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: the config's server.bind]; port 0 picks a free port
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Use a running `payorch sandbox` at URL for every gateway (its test credentials), and
    /// have it send its webhooks here, to the tenant's inbound routes (--tenant)
    #[arg(long, value_name = "URL")]
    pub sandbox: Option<String>,
    /// Log lines as text or JSON [default: the config's log.format]
    #[arg(long, value_enum)]
    pub log_format: Option<CliLogFormat>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum CliLogFormat {
    Text,
    Json,
}

/// Logs for a long-running server: the config's level (or -v/-q), text or JSON, on stderr.
pub fn init_logging(ctx: &Ctx, global: &super::GlobalArgs, args: &ServeArgs) {
    let level = if global.quiet {
        "error".to_string()
    } else if global.verbose > 0 {
        ["info", "debug", "trace"][usize::from(global.verbose.min(3)) - 1].to_string()
    } else {
        ctx.config().log.level.clone()
    };
    let json = match args.log_format {
        Some(CliLogFormat::Json) => true,
        Some(CliLogFormat::Text) => false,
        None => ctx.config().log.format == LogFormat::Json,
    };
    let filter = super::log_filter(&level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}

pub async fn run(ctx: &Ctx, args: ServeArgs) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let keys = ctx.data_keys()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let config = ctx.config().clone();
    let gateways = match &args.sandbox {
        Some(url) => runtime::sandbox_gateways(&config, url).await?,
        None => runtime::configured_gateways(&config),
    };
    let mine = gateways.for_tenant(ctx.tenant());
    let bind = match args.bind {
        Some(b) => b,
        None => config.bind_addr()?,
    };
    let limits = payorch::server::listen::ConnectionLimits::from(&config.server);
    let core = Core::assemble(config, store, gateways, clock)?;
    let app = payorch::server::router(
        payorch::server::AppState::from_core(&core).with_data_keys(keys.clone()),
    );
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        // Where the address came from is where it is changed.
        let choose = match args.bind {
            Some(_) => "--bind ADDR",
            None => "--bind ADDR (or server.bind in the config, PAYORCH_SERVER_BIND)",
        };
        super::output::bind_error(bind, &e, choose, args.bind.is_none())
    })?;
    let addr = listener.local_addr()?;
    let registered = match &args.sandbox {
        Some(url) => {
            tenancy::require_tenant(core.store.as_ref(), ctx.tenant()).await?;
            register_sandbox_webhooks(url, addr, ctx.tenant()).await?
        }
        None => Vec::new(),
    };
    // The first line on stdout, for people and for scripts that started it on port 0.
    super::output::stdout(|w| writeln!(w, "listening on http://{addr}"))?;
    // Then what the sandbox was told, for people. A script that read only the first line may
    // have closed the pipe: that is no reason to stop serving.
    if let Some(url) = &args.sandbox {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "the sandbox at {url} sends its webhooks here, to tenant `{}`:",
            ctx.tenant()
        );
        for (gateway, hook) in &registered {
            let _ = writeln!(out, "  {:<6}  {hook}", gateway.to_string());
        }
        let _ = out.flush();
    }
    tracing::info!(%addr, store = %core.store.describe(), gateways = ?mine.available.keys().collect::<Vec<_>>(), "serving");
    let background = core.spawn_background(keys).await;
    payorch::server::listen::serve(listener, app, limits, shutdown_signal()).await;
    // Money flows whose client hung up run on in tasks of their own: let them finish too.
    core.orchestrator.drain().await;
    background.shutdown().await;
    tracing::info!("stopped: every request and money flow in flight was finished");
    Ok(())
}

/// Registers `http://<addr>/webhooks/<tenant>/<gateway>` as every gateway's webhook URL at the
/// sandbox (`PUT /_sandbox/<gateway>/webhook`), so that paying a charge there reaches this
/// server. An address on every interface (`0.0.0.0`) is reached over loopback.
async fn register_sandbox_webhooks(
    sandbox: &str,
    addr: SocketAddr,
    tenant: &TenantId,
) -> anyhow::Result<Vec<(GatewayId, String)>> {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let here = SocketAddr::new(ip, addr.port());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("cannot build the HTTP client")?;
    let sandbox = sandbox.trim_end_matches('/');
    let mut registered = Vec::new();
    for gateway in GatewayId::ALL {
        let hook = format!("http://{here}/webhooks/{tenant}/{gateway}");
        let control = format!("{sandbox}/_sandbox/{gateway}/webhook");
        let refused = |why: String| {
            CliError::new(
                Exit::Unavailable,
                format!(
                    "--sandbox {sandbox}: cannot register {gateway}'s webhook URL at {control}: {why}"
                ),
            )
        };
        let response = client
            .put(&control)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "url": hook }).to_string())
            .send()
            .await
            .map_err(|e| refused(e.to_string()))?;
        if !response.status().is_success() {
            return Err(refused(format!("it answered {}", response.status())).into());
        }
        registered.push((gateway, hook));
    }
    Ok(registered)
}

/// Resolves on SIGINT or SIGTERM, then says what happens next.
async fn shutdown_signal() {
    signalled().await;
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}

/// Resolves on SIGINT or SIGTERM (also the demo's early end).
pub async fn signalled() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
