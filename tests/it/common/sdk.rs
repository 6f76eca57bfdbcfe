//! Running the SDK conformance scripts (`tests/sdk/*.py`): each drives a sandbox fake with a
//! gateway's official client library, installed into a venv by `scripts/sdk-deps`.
//!
//! The venv's python is `$PAYORCH_SDK_PYTHON` (set by `scripts/test`), else
//! `.venv-sdk/bin/python` in the clone. A missing venv fails the test, saying how to make it
//! ([`venv_python`], which the contract test uses for its own venv too).

use std::path::PathBuf;
use std::process::Command;

/// The env var naming the python of the SDK venv.
pub const SDK_PYTHON_VAR: &str = "PAYORCH_SDK_PYTHON";

/// The SDK venv's python; panics, saying to run `scripts/sdk-deps`, when it is missing.
pub fn sdk_python() -> PathBuf {
    venv_python(
        SDK_PYTHON_VAR,
        ".venv-sdk",
        "the official gateway SDKs are not installed",
    )
}

/// The python of a venv `scripts/sdk-deps` makes: `$VAR`, else `DEFAULT_DIR/bin/python` in
/// the clone. Panics (a test fails, never skips) with `missing` and how to install it.
pub fn venv_python(var: &str, default_dir: &str, missing: &str) -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join(default_dir).join("bin/python"));
    assert!(
        python.is_file(),
        "{missing}: no python at {} ({var} or {default_dir}/bin/python). Run \
         `scripts/sdk-deps` (scripts/test does) and try again.",
        python.display()
    );
    python
}

/// `cmd` with the proxies of the environment dropped: it reaches the test's loopback servers
/// directly, and nothing else.
pub fn loopback_only(cmd: &mut Command) -> &mut Command {
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        cmd.env_remove(var).env_remove(var.to_lowercase());
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
}

/// Runs `tests/sdk/SCRIPT ARGS…` with the SDK venv's python and returns its stdout; panics
/// with everything it printed when it fails. The script may reach loopback only: proxies set
/// in the environment are dropped.
#[track_caller]
pub fn run_sdk_script(script: &str, args: &[&str]) -> String {
    run_sdk_script_with(script, args, &[])
}

/// [`run_sdk_script`] with extra environment variables for the script.
#[track_caller]
pub fn run_sdk_script_with(
    script: &str,
    args: &[&str],
    vars: &[(&str, &std::ffi::OsStr)],
) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(script);
    let mut cmd = Command::new(sdk_python());
    cmd.arg(&path).args(args);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    loopback_only(&mut cmd);
    let out = cmd
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
