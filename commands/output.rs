//! How commands talk to people and scripts: tables or stable JSON on stdout, errors as one
//! sentence on stderr, and exit codes that mean something.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use payorch::config::ConfigError;
use payorch::model::ValidationError;
use payorch::store::StoreError;
use payorch::tenancy::TenancyError;

mod fit;

/// `-o table|json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for people.
    Table,
    /// Stable JSON for scripts.
    Json,
}

/// Process exit codes for failures (success is 0), documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Anything else that went wrong.
    Failure = 1,
    /// A bad flag, argument or value.
    Usage = 2,
    /// The tenant, key or other thing named does not exist.
    NotFound = 3,
    /// It already exists, or changed concurrently.
    Conflict = 4,
    /// The config file or a `PAYORCH_*` variable is invalid.
    Config = 5,
    /// The store (or later, every gateway) is unavailable: try again.
    Unavailable = 6,
}

/// An error that carries its own exit code, for failures decided in the binary.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
        }
    }
}

/// The exit code an error deserves, from the most specific cause in its chain.
pub fn exit_code(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<CliError>() {
            return e.exit;
        }
        if let Some(payorch::runtime::RuntimeError::Sandbox { .. }) = cause.downcast_ref() {
            return Exit::Unavailable;
        }
        if cause.is::<ConfigError>() {
            return Exit::Config;
        }
        if cause.is::<ValidationError>() {
            return Exit::Usage;
        }
        if let Some(e) = cause.downcast_ref::<TenancyError>() {
            match e {
                TenancyError::UnknownTenant(_) | TenancyError::UnknownKey { .. } => {
                    return Exit::NotFound;
                }
                TenancyError::TenantExists(_) => return Exit::Conflict,
                TenancyError::Invalid(_) => return Exit::Usage,
                _ => {}
            }
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return match e {
                StoreError::NotFound { .. } => Exit::NotFound,
                StoreError::AlreadyExists { .. } | StoreError::Conflict { .. } => Exit::Conflict,
                StoreError::Unavailable(_) => Exit::Unavailable,
                _ => Exit::Failure,
            };
        }
    }
    Exit::Failure
}

/// Where and how to print.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub format: Format,
    /// ANSI colour on stderr (off with `--no-color`, `NO_COLOR`, or when not a terminal).
    pub color: bool,
}

impl Output {
    pub fn new(format: Format, no_color: bool) -> Self {
        let env_says_no = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            format,
            color: !no_color && !env_says_no && std::io::stderr().is_terminal(),
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        Ok(())
    }

    /// Prints a table with `headers` on stdout; an empty table prints `empty` instead.
    pub fn table(
        &self,
        headers: &[&str],
        rows: Vec<Vec<String>>,
        empty: &str,
    ) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if rows.is_empty() {
            writeln!(out, "{empty}")?;
            return Ok(());
        }
        writeln!(out, "{}", make_table(headers, rows))?;
        Ok(())
    }

    /// Prints `key  value` lines, aligned, for a single object.
    pub fn fields(&self, fields: &[(&str, String)]) -> anyhow::Result<()> {
        let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = std::io::stdout().lock();
        for (k, v) in fields {
            writeln!(out, "{k:<width$}  {v}")?;
        }
        Ok(())
    }

    /// A line for people on stderr (progress, hints); suppressed in JSON mode.
    pub fn note(&self, text: &str) {
        if !self.is_json() {
            eprintln!("{text}");
        }
    }

    /// Reports a failure on stderr: `error: …` for people, `{"error":{…}}` in JSON mode.
    pub fn error(&self, err: &anyhow::Error, exit: Exit) {
        let message = err
            .chain()
            .map(|c| c.to_string())
            .fold(Vec::<String>::new(), |mut acc, m| {
                // anyhow contexts often repeat their source's text: print each part once.
                if !acc.iter().any(|a| a.contains(&m)) {
                    acc.push(m);
                }
                acc
            })
            .join(": ");
        if self.is_json() {
            let body = serde_json::json!({"error": {"message": message, "exit_code": exit as u8}});
            eprintln!("{body}");
        } else if self.color {
            let style = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
            eprintln!("{style}error:{style:#} {message}");
        } else {
            eprintln!("error: {message}");
        }
    }
}

/// A borderless table with upper-case headers, like `kubectl` or `stripe`, at most
/// [`fit::MAX_TABLE_WIDTH`] columns wide.
pub fn make_table(headers: &[&str], mut rows: Vec<Vec<String>>) -> Table {
    fit::fit(headers, &mut rows, fit::MAX_TABLE_WIDTH);
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.to_vec());
    for row in rows {
        table.add_row(row);
    }
    table
}

/// `-` for a missing value in a table cell.
pub fn or_dash(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}
