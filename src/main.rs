//! The `payorch` binary's root: parses the command line and dispatches. Nothing else lives
//! here; the commands are in `commands/` and depend only on the library's public API.

#[path = "../commands/mod.rs"]
mod commands;

fn main() -> std::process::ExitCode {
    commands::main()
}
