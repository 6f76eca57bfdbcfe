//! How commands talk to people and scripts: tables or stable JSON on stdout, errors as one
//! sentence on stderr, and exit codes that mean something.
//!
//! Every write to stdout goes through [`stdout`]: a reader that stops reading (`payorch charge
//! create … | head -2`) closes the pipe, and that must not turn a charge that was made into a
//! panic or an error. The rest of the output is dropped and the command ends with the exit code
//! its outcome deserves. Lines on stderr are best effort for the same reason.

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use payorch::config::ConfigError;
use payorch::model::ValidationError;
use payorch::store::StoreError;
use payorch::tenancy::TenancyError;

mod fit;

/// `-o table|json|csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for people.
    Table,
    /// Stable JSON for scripts.
    Json,
    /// CSV for spreadsheets: a header row, RFC 4180 quoting (`payorch report` only).
    Csv,
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

/// Set once a write found stdout closed: nothing more is written there.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Runs `write` on stdout (flushed). A closed stdout (`EPIPE`: the reader went away) is not the
/// command's failure: what it did stands, so this answers `Ok` and drops whatever is printed
/// after it. Any other write error is one.
pub fn stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => Ok(other?),
    }
}

/// One line on stderr, best effort: a closed stderr is no reason to fail (or panic, as
/// `eprintln!` would) after the work was done.
fn stderr_line(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Where and how to print.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub format: Format,
    /// ANSI colour on stderr (off with `--no-color`, `NO_COLOR`, or when not a terminal).
    pub color: bool,
    /// `-q`: only errors on stderr (no notes, hints or warnings).
    pub quiet: bool,
}

impl Output {
    pub fn new(format: Format, no_color: bool, quiet: bool) -> Self {
        let env_says_no = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            format,
            color: !no_color && !env_says_no && std::io::stderr().is_terminal(),
            quiet,
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Prints `value` as pretty JSON on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.line(&text)
    }

    /// Prints `text` and a newline on stdout.
    pub fn line(&self, text: &str) -> anyhow::Result<()> {
        stdout(|out| writeln!(out, "{text}"))
    }

    /// Prints a table with `headers` on stdout; an empty table prints `empty` instead.
    pub fn table(
        &self,
        headers: &[&str],
        rows: Vec<Vec<String>>,
        empty: &str,
    ) -> anyhow::Result<()> {
        if rows.is_empty() {
            return self.line(empty);
        }
        let text = make_table(headers, rows).to_string();
        // Shorter cells of the last column are padded with spaces: nothing to show.
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        self.line(&lines.join("\n"))
    }

    /// Prints `headers` and `rows` as CSV on stdout: a header row, then one line per row,
    /// each field quoted when RFC 4180 says so (a comma, a double quote or a line break in
    /// it; quotes doubled). Lines end with `\n`, as Unix tools expect.
    pub fn csv(&self, headers: &[&str], rows: Vec<Vec<String>>) -> anyhow::Result<()> {
        stdout(|out| {
            writeln!(out, "{}", csv_line(headers.iter().copied()))?;
            for row in &rows {
                writeln!(out, "{}", csv_line(row.iter().map(String::as_str)))?;
            }
            Ok(())
        })
    }

    /// Prints `key  value` lines, aligned, for a single object.
    pub fn fields(&self, fields: &[(&str, String)]) -> anyhow::Result<()> {
        let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        stdout(|out| {
            for (k, v) in fields {
                writeln!(out, "{k:<width$}  {v}")?;
            }
            Ok(())
        })
    }

    /// A line for people on stderr (progress, hints, warnings); suppressed in JSON mode and by
    /// `-q`.
    pub fn note(&self, text: &str) {
        if !self.is_json() && !self.quiet {
            stderr_line(text);
        }
    }

    /// Something a script should know too, on stderr: `text` for people, `json` as one line in
    /// JSON mode (stdout keeps its shape). Suppressed by `-q`.
    pub fn notice(&self, text: &str, json: &serde_json::Value) {
        if self.quiet {
            return;
        }
        if self.is_json() {
            stderr_line(&json.to_string());
        } else {
            stderr_line(text);
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
            stderr_line(&body.to_string());
        } else if self.color {
            let style = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
            stderr_line(&format!("{style}error:{style:#} {message}"));
        } else {
            stderr_line(&format!("error: {message}"));
        }
    }
}

/// A borderless table with upper-case headers, like `kubectl` or `stripe`: columns two spaces
/// apart, nothing before the first or after the last, at most [`fit::MAX_TABLE_WIDTH`] wide.
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
    let last = headers.len().saturating_sub(1);
    for (i, column) in table.column_iter_mut().enumerate() {
        column.set_padding((u16::from(i > 0), u16::from(i < last)));
    }
    table
}

/// Why a server (`serve`, `sandbox`) cannot listen on `addr`, in one sentence that says how
/// to fix it, with the README's exit code: an address in use is unavailable (6: stop what holds
/// it, or choose another); an address this machine cannot use (not one of its own, a privileged
/// port) is a bad value (2 from a flag, 5 from the config). `choose` says where the address is
/// chosen (`--bind ADDR`, or the config key too).
pub fn bind_error(addr: SocketAddr, err: &io::Error, choose: &str, from_config: bool) -> CliError {
    let bad_value = if from_config {
        Exit::Config
    } else {
        Exit::Usage
    };
    let (exit, why) = match err.kind() {
        io::ErrorKind::AddrInUse => (
            Exit::Unavailable,
            format!(
                "the address is already in use (another payorch, or another program, listens \
                 there); stop that process, or choose another address with {choose}"
            ),
        ),
        io::ErrorKind::PermissionDenied => (
            bad_value,
            format!(
                "not allowed to listen there (ports below 1024 need privileges); choose another \
                 address with {choose}"
            ),
        ),
        io::ErrorKind::AddrNotAvailable => (
            bad_value,
            format!("it is not an address of this machine; choose one with {choose}"),
        ),
        _ => (
            Exit::Failure,
            format!("{err}; choose another address with {choose}"),
        ),
    };
    CliError::new(exit, format!("cannot listen on {addr}: {why}"))
}

/// One CSV record: fields joined by commas, each quoted if it holds a comma, a double quote,
/// CR or LF (RFC 4180, section 2), its quotes doubled.
fn csv_line<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    fields
        .map(|f| {
            if f.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `-o csv` on a command that does not write CSV: a usage error naming the flag.
pub fn csv_unsupported() -> CliError {
    CliError::new(
        Exit::Usage,
        "-o csv: only `payorch report costs|billing` write CSV; use -o table or -o json here",
    )
}

/// `-` for a missing value in a table cell.
pub fn or_dash(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        let line = |f: &[&str]| csv_line(f.iter().copied());
        assert_eq!(line(&["acme", "BRL", "1990"]), "acme,BRL,1990");
        assert_eq!(line(&["Acme, Ltda", "x"]), "\"Acme, Ltda\",x");
        assert_eq!(line(&["say \"hi\""]), "\"say \"\"hi\"\"\"");
        assert_eq!(line(&["two\nlines", "cr\r"]), "\"two\nlines\",\"cr\r\"");
        assert_eq!(line(&["", "-"]), ",-");
    }
}
