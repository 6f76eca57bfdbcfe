//! `completions/` holds the generated shell scripts; this fails when they are stale.
//! Regenerate with `PAYORCH_UPDATE_COMPLETIONS=1 cargo test --test it completions::`
//! (or `./scripts/update-completions`).

use crate::common;

const SHELLS: [(&str, &str); 5] = [
    ("bash", "payorch.bash"),
    ("zsh", "_payorch"),
    ("fish", "payorch.fish"),
    ("powershell", "_payorch.ps1"),
    ("elvish", "payorch.elv"),
];

#[test]
fn checked_in_completions_are_fresh() {
    let env = common::Env::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let update = std::env::var_os("PAYORCH_UPDATE_COMPLETIONS").is_some();
    let mut stale = Vec::new();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (shell, file) in SHELLS {
        let generated = env.run(&["completions", shell]).ok();
        assert!(generated.contains("payorch"), "{shell} script looks empty");
        let path = dir.join(file);
        if update {
            std::fs::write(&path, &generated).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale completions: {stale:?}; run ./scripts/update-completions and commit completions/"
    );
}

#[test]
fn completions_need_no_config_and_reject_unknown_shells() {
    let env = common::Env::new();
    let out = env
        .cmd()
        .env("PAYORCH_CONFIG", env.path().join("does-not-exist.toml"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!env.data_dir().exists());
    let err = env.run(&["completions", "tcsh"]).fails(2);
    assert!(err.contains("tcsh"), "{err}");
}
