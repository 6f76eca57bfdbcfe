//! `payorch dashboard` as the real binary: without a terminal it refuses clearly (exit 2)
//! instead of drawing escape codes into a pipe; bad flags are usage errors. The screen itself
//! is tested in `tui/tests/mod.rs` (TestBackend snapshots and keys).

use crate::common;

use common::Env;

#[test]
fn without_a_terminal_the_dashboard_is_a_usage_error() {
    let env = Env::new();
    let run = env.run(&["dashboard"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("needs a terminal"),
        "{}",
        run.stderr()
    );
    assert!(run.stdout().is_empty(), "nothing drawn into a pipe");
}

#[test]
fn refresh_out_of_range_and_unknown_tenants_are_refused() {
    let env = Env::new();
    let run = env.run(&["dashboard", "--refresh", "10ms"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--refresh"), "{}", run.stderr());
    let run = env.run(&["dashboard", "--tenant", "nobody"]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains("nobody"), "{}", run.stderr());
}
