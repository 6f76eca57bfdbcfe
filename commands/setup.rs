//! `payorch init` and `payorch config show`: first-run setup and the effective configuration.

use anyhow::Context as _;
use clap::{Args, Subcommand};

use payorch::config::{self, DEFAULT_CONFIG_TOML, ProcessEnv};

use super::{CliError, Ctx, Exit, GlobalArgs};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite an existing config file with the commented defaults
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (defaults, file, environment and flags merged;
    /// secrets masked)
    Show,
}

pub async fn init(ctx: &Ctx, global: &GlobalArgs, args: InitArgs) -> anyhow::Result<()> {
    let path = match &global.config {
        Some(p) => p.clone(),
        None => config::default_config_file(&ProcessEnv).ok_or_else(|| {
            CliError::new(
                Exit::Config,
                "cannot find the config dir: pass --config FILE or set HOME or XDG_CONFIG_HOME",
            )
        })?,
    };
    let wrote_config = if path.exists() && !args.force {
        false
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create config dir {}", dir.display()))?;
        }
        std::fs::write(&path, DEFAULT_CONFIG_TOML)
            .with_context(|| format!("cannot write config file {}", path.display()))?;
        true
    };
    let data_dir = ctx.config().data_dir();
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let store = ctx.store().await?;
    let tenants = store.list_tenants().await?;
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "config_file": path,
            "config_written": wrote_config,
            "data_dir": data_dir,
            "store": store.describe(),
            "tenants": tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        }))?;
        return Ok(());
    }
    ctx.out.fields(&[
        (
            "config",
            format!(
                "{} ({})",
                path.display(),
                if wrote_config {
                    "written"
                } else {
                    "exists, left unchanged; --force overwrites"
                }
            ),
        ),
        ("data dir", data_dir.display().to_string()),
        ("store", store.describe()),
        (
            "tenants",
            tenants
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ])?;
    ctx.out
        .note("Next: payorch apikey create   (a key for the default tenant)");
    Ok(())
}

pub fn config(ctx: &Ctx, cmd: ConfigCommand) -> anyhow::Result<()> {
    let ConfigCommand::Show = cmd;
    let loaded = &ctx.loaded;
    if ctx.out.is_json() {
        return ctx.out.json(loaded);
    }
    let source = match &loaded.file {
        Some(f) => format!("# file: {}", f.display()),
        None => "# file: none (built-in defaults)".to_string(),
    };
    let env = if loaded.env_overrides.is_empty() {
        "# environment: no PAYORCH_* overrides".to_string()
    } else {
        format!("# environment: {}", loaded.env_overrides.join(", "))
    };
    super::output::stdout(|w| {
        writeln!(w, "{source}\n{env}\n{}", loaded.config.to_toml().trim_end())
    })?;
    Ok(())
}
