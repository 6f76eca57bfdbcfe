//! The README's promises as a new user meets them, with the real binary: the self-contained
//! `init`, the quick tour end to end (sandbox, `serve --sandbox`, a Pix charge paid through
//! `sandbox pay`, a verified `charge.succeeded` at a local merchant), the documented charge
//! examples on every gateway they can fail over to, and `gateway list` as the tour shows it.

mod common;

use common::Env;

/// `payorch --config ./payorch.toml --data-dir ./data init`, run in the env's dir.
#[test]
fn init_creates_the_config_file_it_is_pointed_at() {
    let env = Env::new();
    let run = |args: &[&str]| {
        common::Run(
            env.cmd_without_data_dir()
                .current_dir(env.path())
                .args(args)
                .output()
                .expect("run payorch"),
        )
    };
    let out = run(&["--config", "./payorch.toml", "--data-dir", "./data", "init"]).ok();
    assert!(out.contains("(written)"), "{out}");
    let file = env.path().join("payorch.toml");
    let text = std::fs::read_to_string(&file).expect("init wrote ./payorch.toml");
    assert!(text.contains("# bind = \"127.0.0.1:8080\""), "{text}");
    assert!(env.path().join("data/payorch.db").exists());
    // The user's default config file was neither written nor needed.
    assert!(!env.config_home().join("payorch/payorch.toml").exists());

    // Again: the file is kept, and every command reads it.
    let again = run(&["--config", "./payorch.toml", "--data-dir", "./data", "init"]).ok();
    assert!(again.contains("exists, left unchanged"), "{again}");
    let shown = run(&["--config", "./payorch.toml", "config", "show"]).ok();
    assert!(shown.contains("# file: ./payorch.toml"), "{shown}");

    // Any other command pointed at a missing file still refuses, naming it (exit 5).
    let err = run(&["--config", "./missing.toml", "tenant", "list"]).fails(5);
    assert!(err.contains("./missing.toml"), "{err}");
    assert!(!env.path().join("missing.toml").exists());
}
