//! The shared harness of the integration tests (every module of `tests/it/` uses it; none
//! writes its own): an isolated [`Env`] per test and the `payorch` child processes it starts
//! (CLI runs, `sandbox`, `serve`); small fixtures ([`PIX_CHARGE`], [`pix_request`],
//! [`refused_base`]); a merchant's check of a signed delivery ([`verify_delivery`]). In
//! submodules: the serve-and-sandbox stack (`stack.rs`), the scripted gateway server and
//! webhook receiver (`scripted.rs`), a sandbox fake served in-process (`fake.rs`), the money
//! ledger (`ledger.rs`), the OpenAPI checker (`openapi.rs`) and the SDK scripts (`sdk.rs`).
#![allow(dead_code)]

pub mod aws;
pub mod fake;
pub mod ledger;
pub mod openapi;
pub mod scripted;
pub mod sdk;
pub mod stack;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A reqwest client for the tests' own loopback calls (rustls, the provider installed).
pub fn http_client() -> reqwest::Client {
    payorch::gateway::http::install_crypto_provider();
    reqwest::Client::builder()
        .tls_backend_rustls()
        .build()
        .expect("an HTTP client")
}

/// `http://127.0.0.1:PORT` on a port nobody listens on (bound, then let go): a connection
/// there is refused, so nothing is sent.
pub fn refused_base() -> String {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    format!("http://{}", free.local_addr().expect("the bound address"))
}

/// What the orchestrator asks an adapter for a Pix charge of `amount` centavos: a fresh charge
/// id, Maria Silva with an email and a valid CPF, "Order 1234", an hour to pay. Tests override
/// fields with `CreateCharge { …, ..pix_request(amount) }`.
pub fn pix_request(amount: i64) -> payorch::gateway::CreateCharge {
    use payorch::model::{Currency, Customer, Money, PaymentMethod};
    let id = payorch::id::ChargeId::generate();
    payorch::gateway::CreateCharge {
        idempotency_key: format!("{id}-1"),
        charge_id: id,
        money: Money::from_minor(amount, Currency::Brl).expect("an amount"),
        method: PaymentMethod::Pix,
        customer: Customer::parse(
            "Maria Silva",
            Some("maria@example.com"),
            Some("529.982.247-25"),
            Currency::Brl,
        )
        .expect("a customer"),
        description: Some("Order 1234".into()),
        metadata: std::collections::BTreeMap::new(),
        card_token: None,
        expires_in: std::time::Duration::from_secs(3600),
    }
}

/// `GET url` (loopback), the body as text.
pub async fn get_text(url: &str) -> String {
    payorch::gateway::http::install_crypto_provider();
    let response = reqwest::get(url).await.expect("GET");
    response.text().await.expect("a body")
}

/// What a gateway event says of each refund: (reference, payorch refund id, status, amount).
pub fn refund_news(
    event: &payorch::gateway::GatewayEvent,
) -> Vec<(
    &str,
    Option<payorch::id::RefundId>,
    payorch::model::RefundStatus,
    i64,
)> {
    event
        .refunds
        .iter()
        .map(|n| {
            (
                n.reference.as_str(),
                n.refund_id.clone(),
                n.status,
                n.amount,
            )
        })
        .collect()
}

/// A response's body as JSON (reqwest is built without its `json` feature).
pub async fn json_of(response: reqwest::Response) -> serde_json::Value {
    let body = response.bytes().await.expect("a response body");
    serde_json::from_slice(&body).expect("a JSON body")
}

/// Verifies a webhook delivery payorch sent (its Standard Webhooks headers and raw body) as the
/// merchant would: signed with one of `secrets`, at `now`, within the default tolerance.
pub fn verify_delivery(
    secrets: &[&payorch::secret::Secret],
    headers: &http::HeaderMap,
    body: &[u8],
    now: payorch::clock::Timestamp,
) -> Result<(), payorch::webhook::signing::SignatureError> {
    use payorch::webhook::signing::{self, Delivery};
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        id: header(signing::HEADER_ID),
        timestamp: header(signing::HEADER_TIMESTAMP),
        signature: header(signing::HEADER_SIGNATURE),
        body,
    };
    signing::verify(secrets, delivery, now, signing::DEFAULT_TOLERANCE)
}

/// `payorch charge create` of a Pix charge of R$ 19,90 to Maria Silva (a valid CPF): the
/// arguments before the run's own (`--sandbox URL`, `--idempotency-key`, `-o json`, …).
pub const PIX_CHARGE: [&str; 10] = [
    "charge",
    "create",
    "--amount",
    "19,90",
    "--method",
    "pix",
    "--customer-name",
    "Maria Silva",
    "--customer-document",
    "529.982.247-25",
];

/// A sandboxed home: its own HOME, XDG dirs and data dir, so no test reads the developer's
/// config or writes outside its temp dir.
pub struct Env {
    pub dir: tempfile::TempDir,
    /// `webhooks.allow_private_targets` for every run: the test's merchant is on loopback.
    pub allow_private_targets: bool,
    /// `PAYORCH_DATA_KEY` for every run (base64): a random key of this env's own. `None`:
    /// the data key lives in the OS keyring, under [`Env::keyring_account`].
    pub data_key: Option<String>,
    /// More environment variables for every run (e.g. the AWS emulator's, `common::aws`).
    pub vars: Vec<(&'static str, String)>,
}

impl Env {
    pub fn new() -> Self {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            allow_private_targets: false,
            data_key: Some(
                payorch::datakey::DataKey::generate()
                    .expect("a data key")
                    .to_base64()
                    .expose()
                    .to_string(),
            ),
            vars: Vec::new(),
        }
    }

    /// An env whose runs may deliver webhooks to the loopback receivers the test starts
    /// (`PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true`).
    pub fn allowing_private_targets() -> Self {
        Env {
            allow_private_targets: true,
            ..Env::new()
        }
    }

    /// The keyring account of this env's data key when [`Env::data_key`] is `None`: unique
    /// to the env (its temp dir's name).
    pub fn keyring_account(&self) -> String {
        let dir = self
            .path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        format!("test-data-key-{}-{dir}", std::process::id())
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    pub fn config_home(&self) -> PathBuf {
        self.path().join("config")
    }

    /// `payorch` with this env's HOME/XDG dirs and data dir, colour off, no PAYORCH_* leaks.
    pub fn cmd(&self) -> Command {
        let mut c = self.cmd_without_data_dir();
        c.arg("--data-dir").arg(self.data_dir());
        c
    }

    /// [`Env::cmd`] without `--data-dir`, for runs that pass their own (as the README does).
    pub fn cmd_without_data_dir(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_payorch"));
        for (k, _) in std::env::vars() {
            if k.starts_with("PAYORCH_") || k.starts_with("XDG_") {
                c.env_remove(k);
            }
        }
        c.env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("XDG_DATA_HOME", self.path().join("xdg-data"))
            .env("NO_COLOR", "1")
            .env("USER", "tester");
        if self.allow_private_targets {
            c.env("PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");
        }
        for (name, value) in &self.vars {
            c.env(name, value);
        }
        // Each env its own data key: parallel tests never share (or rotate) a keyring entry.
        // Without one, the OS keyring under this env's own account (the kernel keyutils store:
        // no D-Bus session), so a test of the keyring path touches no other test's entry.
        match &self.data_key {
            Some(key) => {
                c.env("PAYORCH_DATA_KEY", key);
            }
            None => {
                c.env("PAYORCH_DATA_KEY_ACCOUNT", self.keyring_account())
                    .env_remove("DBUS_SESSION_BUS_ADDRESS");
            }
        }
        c
    }

    /// Runs `payorch ARGS…` and returns its output.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.cmd().args(args).output().expect("run payorch"))
    }
}

/// A finished run with readable accessors.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            0,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }
    /// Asserts exit `code` and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> String {
        assert_eq!(
            self.code(),
            code,
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stderr()
    }
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok()).expect("stdout is JSON")
    }
}

/// The URL a `payorch serve` or `payorch sandbox` child announces on its first stdout line
/// (`listening on <url>`).
pub fn first_line(child: &mut std::process::Child) -> String {
    use std::io::{BufRead, BufReader};
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("first line");
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected: {line:?}"))
        .to_string()
}

/// A running `payorch sandbox` on free ports, killed when dropped.
pub struct SandboxProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`, as the sandbox printed it.
    pub url: String,
}

impl Env {
    /// Starts `payorch sandbox --bind 127.0.0.1:0` and waits for its `listening on` line.
    pub fn start_sandbox(&self) -> SandboxProcess {
        self.start_sandbox_with(&[])
    }

    /// [`Env::start_sandbox`] with more flags (e.g. `--asaas-refund-delay 5s`).
    pub fn start_sandbox_with(&self, flags: &[&str]) -> SandboxProcess {
        let mut child = self
            .cmd()
            .args(["sandbox", "--bind", "127.0.0.1:0"])
            .args(flags)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start payorch sandbox");
        let url = first_line(&mut child);
        SandboxProcess { child, url }
    }
}

impl Env {
    /// The secret of a new API key of the default tenant.
    pub fn api_key(&self) -> String {
        self.run(&["apikey", "create", "-o", "json"]).json()["secret"]
            .as_str()
            .expect("an API key secret")
            .to_string()
    }

    /// Starts `payorch serve --bind 127.0.0.1:0 --sandbox URL` with its log in [`Env::serve_log`]
    /// and returns it with the URL it announced. The caller kills it.
    pub fn start_serve(&self, sandbox_url: &str) -> (std::process::Child, String) {
        let log = std::fs::File::create(self.path().join("serve.log")).expect("serve.log");
        let mut serve = self
            .cmd()
            .args(["serve", "--bind", "127.0.0.1:0", "--sandbox", sandbox_url])
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start payorch serve");
        let url = first_line(&mut serve);
        (serve, url)
    }

    /// What the `serve` started by [`Env::start_serve`] has logged so far.
    pub fn serve_log(&self) -> String {
        std::fs::read_to_string(self.path().join("serve.log")).unwrap_or_default()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `payorch serve` on a free port, killed with SIGKILL when dropped, so a test that
/// panics leaves no server behind.
pub struct ServeProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`, as serve printed it.
    pub url: String,
}

impl Env {
    /// Starts `payorch --config CONFIG serve --bind 127.0.0.1:0 --sandbox SANDBOX_URL` on this
    /// env's data dir and waits for its `listening on` line. Its logs are appended to
    /// `serve.log` in the env's dir, so the logs of every restart stay together.
    pub fn start_serve_with(&self, config: &str, sandbox_url: &str) -> ServeProcess {
        self.start_serve_bound(config, sandbox_url, "127.0.0.1:0")
    }

    /// [`Env::start_serve_with`] on `bind` (`127.0.0.1:PORT`), for a config that must name
    /// serve's own URL before it starts (Efí's `gateways.efi.public_url`).
    pub fn start_serve_bound(&self, config: &str, sandbox_url: &str, bind: &str) -> ServeProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path().join("serve.log"))
            .expect("serve.log");
        let mut child = self
            .cmd()
            .args(["--config", config, "serve", "--bind", bind])
            .args(["--sandbox", sandbox_url])
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start payorch serve");
        let url = first_line(&mut child);
        ServeProcess { child, url }
    }
}

impl ServeProcess {
    /// `kill -9`: no graceful shutdown, nothing in flight finishes. Returns once it is gone.
    pub fn kill9(self) {
        drop(self);
    }

    /// The process id, to send it a signal of the test's choice.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit (after a signal) and returns how.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for serve")
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        // `Child::kill` is SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
