//! The `payorch` binary's root: parses the command line and dispatches. Nothing else lives
//! here; the commands are in `commands/`, the dashboard in `tui/`, and both depend only on
//! the library's public API.

#[path = "../commands/mod.rs"]
mod commands;
#[path = "../tui/mod.rs"]
mod tui;

fn main() -> std::process::ExitCode {
    commands::main()
}
