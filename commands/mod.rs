//! The operator CLI: the command tree, global flags, and dispatch to one module per noun.
//! Commands use only the library's public API; output conventions live in `output/`.

pub mod amount;
mod apikey;
mod audit;
mod aws;
mod bench;
mod breaker;
mod charge;
mod dashboard;
mod datakey;
mod demo;
mod dlq;
mod events;
mod gateway;
mod output;
pub mod report;
mod sandbox;
mod serve;
mod setup;
mod tenant;
mod user;
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use payorch::clock::SystemClock;
use payorch::config::{Config, Loaded, Overrides, ProcessEnv, StoreBackend};
use payorch::datakey::DataKeys;
use payorch::model::TenantId;
use payorch::store::dynamo::DynamoStore;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{AuditAction, Store};
use payorch::tenancy::{self, Actor};

pub use output::{CliError, Exit, Format, Output};

/// payorch: one charge API over Stripe, Efí Pix and Asaas, with circuit breakers, safe
/// failover and guaranteed webhooks.
#[derive(Debug, Parser)]
#[command(
    name = "payorch",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The help heading of the flags every command accepts, apart from each command's own.
pub const GLOBAL_HEADING: &str = "Global options";

/// Flags every command accepts.
#[derive(Debug, Args)]
#[command(next_help_heading = GLOBAL_HEADING)]
pub struct GlobalArgs {
    /// Config file [default: $XDG_CONFIG_HOME/payorch/payorch.toml]
    #[arg(long, global = true, env = "PAYORCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory [default: $XDG_DATA_HOME/payorch]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Tenant to act on [default: the config's `tenant`, else "default"]
    #[arg(long, global = true, value_name = "TENANT", value_parser = parse_tenant)]
    pub tenant: Option<TenantId>,
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// No ANSI colours (also: the NO_COLOR environment variable)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

fn parse_tenant(s: &str) -> Result<TenantId, String> {
    TenantId::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented default config file and create the data dir and database
    Init(setup::InitArgs),
    /// Inspect the effective configuration
    #[command(subcommand)]
    Config(setup::ConfigCommand),
    /// Create and list tenants (merchants)
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// The fleet backend's DynamoDB table and SQS queues: create them, show their status
    #[command(subcommand)]
    Aws(aws::AwsCommand),
    /// The data key that encrypts webhook signing secrets at rest: show, back up, rotate, import
    #[command(subcommand, name = "datakey")]
    DataKey(datakey::DataKeyCommand),
    /// Create, list and revoke API keys
    #[command(subcommand, name = "apikey")]
    ApiKey(apikey::ApiKeyCommand),
    /// Run the HTTP core: merchant API, health, metrics, breaker sync, reconciler
    Serve(serve::ServeArgs),
    /// Create, show, list and refund charges (in-process, same core as `serve`)
    #[command(subcommand)]
    Charge(charge::ChargeCommand),
    /// Resolve unknown charges and cancel orphans once, by asking the gateways
    Reconcile(charge::ReconcileArgs),
    /// Read the audit log of operator actions
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Reports: what charges cost (by gateway, method, tenant or day) and a month's billing
    /// per tenant, as tables, JSON or CSV
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Gateways: the routing table (list, switch, fallback) and credentials in the OS keyring
    #[command(subcommand)]
    Gateway(gateway::GatewayCommand),
    /// Circuit breakers per gateway: status, and forcing them open, closed or back to automatic
    #[command(subcommand)]
    Breaker(breaker::BreakerCommand),
    /// Live gateway health of the tenant (fleet-wide), with keys to switch, force and replay
    Dashboard(dashboard::DashboardArgs),
    /// Outbound webhooks: the tenant's endpoint and its signing secret
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// The dead-letter queue of undeliverable webhooks: list, show, replay, purge
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// The tenant's outbound events: list, show, and resend one to the merchant
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Convert an amount as people write it (10,50) to the API's minor units (1050)
    Amount(amount::AmountArgs),
    /// Run local fakes of Stripe, Efí and Asaas with fault injection, or steer a running one
    Sandbox(sandbox::SandboxArgs),
    /// The tour: sandbox, core, merchant and traffic in one process; take a gateway down
    /// and watch failover
    Demo(demo::DemoArgs),
    /// Load a running serve with charges or gateway webhooks: throughput, latency, statuses
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Print a shell completion script
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: Shell,
    },
}

/// What every command gets: the loaded configuration and the output conventions.
pub struct Ctx {
    pub loaded: Loaded,
    pub out: Output,
    pub clock: SystemClock,
}

impl Ctx {
    pub fn config(&self) -> &Config {
        &self.loaded.config
    }

    /// The tenant this invocation acts on.
    pub fn tenant(&self) -> &TenantId {
        &self.loaded.config.tenant
    }

    /// Opens the configured store, creating it and the `default` tenant on first use.
    pub async fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store: Arc<dyn Store> = match self.config().store.backend {
            StoreBackend::Sqlite => {
                let path = self.config().sqlite_path();
                let store = SqliteStore::open(&path)
                    .with_context(|| format!("cannot open the store at {}", path.display()))?;
                // On stderr for every command (warnings are logged by default), `serve` included.
                for loose in payorch::store::sqlite::private::loose_permissions(&path) {
                    tracing::warn!("{loose}");
                }
                Arc::new(store)
            }
            StoreBackend::Dynamodb => Arc::new(
                DynamoStore::connect(&self.config().aws, None)
                    .await
                    .map_err(aws::aws_error)?,
            ),
        };
        tenancy::ensure_default_tenant(store.as_ref(), &self.clock).await?;
        Ok(store)
    }

    /// The data keys that encrypt stored secrets: `PAYORCH_DATA_KEY`, else the OS keyring
    /// (see `payorch::datakey`). A bad variable is a configuration error.
    pub fn data_keys(&self) -> anyhow::Result<Arc<DataKeys>> {
        DataKeys::from_env(&ProcessEnv)
            .map(Arc::new)
            .map_err(|e| CliError::new(Exit::Config, e.to_string()).into())
    }

    /// Records an operator action on this invocation's tenant in the audit log.
    pub async fn audit(
        &self,
        store: &dyn Store,
        action: AuditAction,
        target: &str,
        detail: serde_json::Value,
    ) -> anyhow::Result<()> {
        let (clock, actor) = (&self.clock, self.actor());
        tenancy::audit(store, clock, &actor, self.tenant(), action, target, detail).await?;
        Ok(())
    }

    /// The OS user, for the audit log (see `user.rs`).
    pub fn actor(&self) -> Actor {
        Actor(format!("cli:{}", user::os_user()))
    }

    /// This invocation as the one making a change to the tenant's webhooks (audited as
    /// `actor`, [`Ctx::actor`]).
    pub fn acting<'a>(
        &'a self,
        store: &'a dyn Store,
        actor: &'a Actor,
    ) -> payorch::webhook::manage::Acting<'a> {
        payorch::webhook::manage::Acting {
            store,
            clock: &self.clock,
            actor,
            tenant: self.tenant(),
        }
    }
}

/// Parses, runs, reports, and turns the result into an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are successes; everything else is a usage error (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    };
    let out = Output::new(cli.global.output, cli.global.no_color, cli.global.quiet);
    match run(cli, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let exit = output::exit_code(&err);
            out.error(&err, exit);
            ExitCode::from(exit as u8)
        }
    }
}

fn run(cli: Cli, out: Output) -> anyhow::Result<()> {
    if out.format == Format::Csv && !matches!(cli.command, Command::Report(_)) {
        return Err(output::csv_unsupported().into());
    }
    // Completions need no configuration: they must work on a machine with none.
    if let Command::Completions { shell } = cli.command {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, "payorch", &mut script);
        return output::stdout(|out| std::io::Write::write_all(out, &script));
    }
    // The dashboard owns the terminal: log lines on stderr would tear through its screen. The
    // demo's terminal belongs to its dashboard and summary: logs only when asked (-v).
    let demo = matches!(cli.command, Command::Demo(_));
    if !matches!(cli.command, Command::Serve(_) | Command::Dashboard(_))
        && (!demo || cli.global.verbose > 0)
    {
        init_logging(&cli.global);
    }
    // The demo needs no config or data dir: it builds both and throws them away.
    if let Command::Demo(args) = cli.command {
        return runtime()?.block_on(demo::run(out, &cli.global, args));
    }
    // The sandbox and its verbs need no config or data dir either: they keep state in memory.
    if let Command::Sandbox(args) = cli.command {
        return runtime()?.block_on(sandbox::run(out, args));
    }
    // A bench only talks HTTP to the URLs it is given.
    if let Command::Bench(cmd) = cli.command {
        return runtime()?.block_on(bench::run(out, &cli.global, cmd));
    }
    let overrides = Overrides {
        config_file: cli.global.config.clone(),
        // `init` creates the file it is pointed at; every other command needs it to exist.
        config_file_may_be_new: matches!(cli.command, Command::Init(_)),
        data_dir: cli.global.data_dir.clone(),
        tenant: cli.global.tenant.clone(),
    };
    let loaded = Config::load(&overrides, &ProcessEnv)?;
    let ctx = Ctx {
        loaded,
        out,
        clock: SystemClock,
    };
    runtime()?.block_on(async move {
        match cli.command {
            Command::Init(args) => setup::init(&ctx, &cli.global, args).await,
            Command::Config(cmd) => setup::config(&ctx, cmd),
            Command::Tenant(cmd) => tenant::run(&ctx, cmd).await,
            Command::Aws(cmd) => aws::run(&ctx, cmd).await,
            Command::ApiKey(cmd) => apikey::run(&ctx, cmd).await,
            Command::Audit(cmd) => audit::run(&ctx, cmd).await,
            Command::Report(cmd) => report::run(&ctx, cli.global.tenant.clone(), cmd).await,
            Command::Gateway(cmd) => gateway::run(&ctx, cmd).await,
            Command::Breaker(cmd) => breaker::run(&ctx, cmd).await,
            Command::Dashboard(args) => dashboard::run(&ctx, cli.global.no_color, args).await,
            Command::Webhook(cmd) => webhook::run(&ctx, cmd).await,
            Command::DataKey(cmd) => datakey::run(&ctx, cmd).await,
            Command::Dlq(cmd) => dlq::run(&ctx, cmd).await,
            Command::Events(cmd) => events::run(&ctx, cmd).await,
            Command::Amount(args) => amount::run(&ctx, args),
            Command::Serve(args) => {
                serve::init_logging(&ctx, &cli.global, &args);
                serve::run(&ctx, args).await
            }
            Command::Charge(cmd) => charge::run(&ctx, cmd).await,
            Command::Reconcile(args) => charge::reconcile(&ctx, args).await,
            Command::Sandbox(_)
            | Command::Demo(_)
            | Command::Bench(_)
            | Command::Completions { .. } => Ok(()),
        }
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Logs go to stderr. One-shot commands default to warnings only; `-v` raises, `-q` lowers.
fn init_logging(global: &GlobalArgs) {
    let level = if global.quiet {
        "error"
    } else {
        match global.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let ansi = !global.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter(level))
        .with_writer(std::io::stderr)
        .with_ansi(ansi && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The log filter for `level` (a level or a filter such as `payorch=debug`). The AWS SDK's
/// own logs (credential-chain probes, retries) are kept to errors unless the filter names an
/// `aws` target itself: payorch reports an AWS failure in one sentence of its own.
pub fn log_filter(level: &str) -> tracing_subscriber::EnvFilter {
    if level.contains("aws") {
        return tracing_subscriber::EnvFilter::new(level);
    }
    tracing_subscriber::EnvFilter::new(format!(
        "{level},aws_config=error,aws_smithy_runtime=error,aws_smithy_http_client=error,aws_sdk_dynamodb=error,aws_sdk_sqs=error"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of `cmd` and its subcommands, with the command's path.
    fn arguments(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
        for arg in cmd.get_arguments() {
            out.push((path.to_string(), arg.clone()));
        }
        for sub in cmd.get_subcommands() {
            arguments(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    fn every_argument() -> Vec<(String, clap::Arg)> {
        let mut cmd = Cli::command();
        cmd.build();
        let mut out = Vec::new();
        arguments(&cmd, "payorch", &mut out);
        out
    }

    #[test]
    fn every_flag_and_argument_says_what_it_is_for() {
        let bare: Vec<String> = every_argument()
            .iter()
            .filter(|(_, a)| a.get_help().is_none() && a.get_long_help().is_none())
            .map(|(path, a)| format!("{path} {}", a.get_id()))
            .collect();
        assert!(bare.is_empty(), "no description in --help: {bare:#?}");
    }

    #[test]
    fn global_flags_have_a_heading_of_their_own_in_every_command() {
        for (path, arg) in every_argument() {
            let heading = arg.get_help_heading();
            if arg.is_global_set() {
                assert_eq!(heading, Some(GLOBAL_HEADING), "{path} --{}", arg.get_id());
            } else {
                assert_ne!(heading, Some(GLOBAL_HEADING), "{path} --{}", arg.get_id());
            }
        }
    }
}
