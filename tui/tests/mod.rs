//! The dashboard against a real SQLite store in a temp dir, with a manual clock so every
//! screen is the same on every run: rendering snapshots (ratatui's `TestBackend` + insta, in
//! `tui/tests/snapshots/`) and keys driven through `App` whose actions run through `Operator` and
//! must reach the store and the audit log.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use payorch::breaker::BreakerState;
use payorch::clock::{Clock, ManualClock, Timestamp};
use payorch::config::Config;
use payorch::fleet::shared::{self, Aggregate, BUCKET};
use payorch::fleet::{Breakers, OperatorCommand};
use payorch::id::{ChargeId, MessageId};
use payorch::model::{
    Attempt, AttemptOutcome, Charge, ChargeStatus, Currency, Customer, GatewayId, Money,
    PaymentMethod, Tenant, TenantId,
};
use payorch::routing::Routing;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{AuditEntry, QueueMessage, Store};
use payorch::tenancy::Actor;

use super::DemoControl;
use super::actions::{Operator, REASON};
use super::draw;
use super::state::{Action, App, Command, Mode, StatusLine};

use GatewayId::{Asaas, Efi, Stripe};

/// What an operator reads: declines in the feed, an open breaker's row.
mod operator;

/// The costs panel against hand-computed sums.
mod costs;

/// 2027-01-15T08:00:05Z: 5 s into a counter bucket.
const NOW_MS: i64 = 1_800_000_005_000;

struct Fixture {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    config: Config,
    _dir: tempfile::TempDir,
}

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn beta() -> TenantId {
    TenantId::parse("beta").unwrap()
}

fn actor() -> Actor {
    Actor("cli:ana".into())
}

fn ago(f: &Fixture, secs: u64) -> Timestamp {
    f.clock.now().minus(Duration::from_secs(secs))
}

impl Fixture {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).unwrap());
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(NOW_MS)));
        for id in [acme(), beta()] {
            store
                .create_tenant(&Tenant {
                    name: id.to_string(),
                    id,
                    created_at: clock.now(),
                })
                .await
                .unwrap();
        }
        Fixture {
            store,
            clock,
            config: Config::default(),
            _dir: dir,
        }
    }

    fn operator(&self, demo: Option<Arc<dyn DemoControl>>) -> Operator {
        Operator::new(
            self.store.clone(),
            self.clock.clone(),
            &self.config,
            actor(),
            demo,
        )
        .unwrap()
    }

    fn breakers(&self) -> Breakers {
        Breakers::new(
            self.store.clone(),
            self.clock.clone(),
            self.config.breaker.clone(),
        )
    }

    /// An app on acme as `run` starts it: tenants and a first snapshot read.
    async fn app(&self, op: &Operator, color: bool) -> App {
        let mut app = App::new(acme(), Duration::from_secs(1), color, false);
        app.tenants = op.tenants().await.unwrap();
        app.snapshot = Some(op.snapshot(&app.tenant).await.unwrap());
        app
    }

    /// Adds calls to `gateway`'s bucket `back` buckets before the current one, as `serve`
    /// flushes them.
    async fn traffic(&self, gateway: GatewayId, back: u32, agg: Aggregate) {
        let bucket = shared::bucket_of(self.clock.now()).minus(BUCKET * back);
        shared::flush(self.store.as_ref(), &acme(), gateway, bucket, &agg)
            .await
            .unwrap();
    }

    /// Steady traffic over the last five minutes: `per_bucket` calls each, `failed` of them
    /// failing, at `ms`.
    async fn steady(
        &self,
        gateway: GatewayId,
        buckets: u32,
        per_bucket: u32,
        failed: u32,
        ms: u64,
    ) {
        for back in 0..buckets {
            // A little wave so the sparkline is not flat.
            let n = per_bucket + back % 3;
            self.traffic(gateway, back, calls(n, failed, ms)).await;
        }
    }

    async fn charge(
        &self,
        n: u8,
        secs_ago: u64,
        status: ChargeStatus,
        attempts: &[(GatewayId, AttemptOutcome)],
    ) {
        let charge = self.charge_record(n, secs_ago, status, attempts);
        self.store.create_charge(&charge).await.unwrap();
    }

    /// The charge [`Fixture::charge`] stores, to change before storing it.
    fn charge_record(
        &self,
        n: u8,
        secs_ago: u64,
        status: ChargeStatus,
        attempts: &[(GatewayId, AttemptOutcome)],
    ) -> Charge {
        let created_at = ago(self, secs_ago);
        let mut charge = Charge::new(
            ChargeId::parse(&format!("ch_01KF3T1VQ0000000000000000{n}")).unwrap(),
            acme(),
            Money::from_minor(1990 + i64::from(n) * 1000, Currency::Brl).unwrap(),
            PaymentMethod::Pix,
            Customer {
                name: "Maria Silva".into(),
                email: None,
                document: None,
            },
            created_at,
        );
        charge.gateway = attempts.last().map(|a| a.0);
        charge.attempts = attempts
            .iter()
            .map(|(gateway, outcome)| Attempt {
                gateway: *gateway,
                outcome: *outcome,
                latency_ms: 40,
                error: outcome
                    .is_breaker_failure()
                    .then(|| format!("{gateway}: connection refused")),
                gateway_code: None,
                gateway_reference: None,
                idempotency_key: None,
                at: created_at,
            })
            .collect();
        charge.apply_status(status, created_at);
        assert_eq!(charge.status(), status, "a fixture reachable from pending");
        charge
    }

    /// A dead letter of acme that died `secs_ago`.
    async fn dead_letter(&self, secs_ago: u64) -> MessageId {
        let msg = QueueMessage {
            id: MessageId::generate(),
            tenant: acme(),
            body: r#"{"id":"evt_1","type":"charge.succeeded"}"#.into(),
            enqueued_at: ago(self, secs_ago + 60),
            group: None,
        };
        self.store.enqueue(&msg, Duration::ZERO).await.unwrap();
        let got = self
            .store
            .receive(10, Duration::from_secs(30), self.clock.now())
            .await
            .unwrap();
        let got = got.into_iter().find(|r| r.message.id == msg.id).unwrap();
        assert!(
            self.store
                .dead_letter(
                    &msg.id,
                    &got.receipt,
                    "HTTP 500 after 8 attempts",
                    ago(self, secs_ago)
                )
                .await
                .unwrap()
        );
        msg.id
    }

    async fn audit(&self) -> Vec<AuditEntry> {
        self.store
            .list_audit(Some(&acme()), None, 100)
            .await
            .unwrap()
            .items
    }

    /// Trips `gateway`'s breaker the way `serve` does: failed calls, then a sync that writes
    /// the transition and flushes the counters.
    async fn trip(&self, gateway: GatewayId) {
        let breakers = self.breakers();
        for _ in 0..40 {
            breakers.record(
                &acme(),
                gateway,
                AttemptOutcome::UnavailableAmbiguous,
                Duration::from_millis(3000),
                Some("timeout after 3 s (request sent)"),
            );
        }
        breakers.sync_now().await.unwrap();
        let status = breakers.fleet_status(&acme()).await.unwrap();
        let state = status.iter().find(|s| s.gateway == gateway).unwrap().state;
        assert_eq!(state, BreakerState::Open, "40 timeouts open the breaker");
    }
}

fn calls(n: u32, failed: u32, ms: u64) -> Aggregate {
    let mut a = Aggregate::default();
    for i in 0..n {
        a.add_call(
            i < failed,
            false,
            Duration::from_millis(ms + u64::from(i % 4) * 10),
        );
    }
    a
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw::draw(frame, app)).unwrap();
    terminal.backend().to_string()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Presses `keys` (characters; `\n` is Enter, `\x1b` Esc) and runs what they ask for, as the
/// event loop does.
async fn press(app: &mut App, op: &Operator, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        match app.on_key(key(code)) {
            Some(Command::Perform(action)) => {
                app.say(op.perform(&app.tenant, &action).await.unwrap());
                app.snapshot = Some(op.snapshot(&app.tenant).await.unwrap());
                app.down = op.down();
            }
            Some(Command::Reload) => {
                app.snapshot = Some(op.snapshot(&app.tenant).await.unwrap());
            }
            None => {}
        }
    }
}

/// A healthy fleet: steady traffic on the primary, a trickle on the fallbacks.
async fn healthy(f: &Fixture) {
    f.steady(Stripe, 30, 12, 0, 40).await;
    f.steady(Efi, 30, 2, 0, 90).await;
    f.steady(Asaas, 12, 1, 0, 300).await;
    f.charge(
        1,
        50,
        ChargeStatus::Succeeded,
        &[(Stripe, AttemptOutcome::Success)],
    )
    .await;
    f.charge(
        2,
        20,
        ChargeStatus::RequiresAction,
        &[(Stripe, AttemptOutcome::Success)],
    )
    .await;
    f.charge(
        3,
        3,
        ChargeStatus::Succeeded,
        &[(Stripe, AttemptOutcome::Success)],
    )
    .await;
}

#[tokio::test]
async fn snapshot_all_healthy() {
    let f = Fixture::new().await;
    healthy(&f).await;
    let op = f.operator(None);
    let app = f.app(&op, true).await;
    insta::assert_snapshot!("all_healthy", render(&app, 120, 40));
}

/// Stripe (the primary) times out and its breaker opens; charges fail over to Efí.
async fn primary_open(f: &Fixture) {
    f.steady(Efi, 30, 2, 0, 90).await;
    for back in 1..30 {
        let healthy_before = back > 6;
        let agg = if healthy_before {
            calls(12, 0, 40)
        } else {
            let mut a = calls(2, 2, 3000);
            a.rejected = 10;
            a
        };
        f.traffic(Stripe, back, agg).await;
        if !healthy_before {
            f.traffic(Efi, back, calls(10, 0, 120)).await;
        }
    }
    f.trip(Stripe).await;
    f.charge(
        1,
        80,
        ChargeStatus::Succeeded,
        &[(Stripe, AttemptOutcome::Success)],
    )
    .await;
    f.charge(
        2,
        30,
        ChargeStatus::RequiresAction,
        &[
            (Stripe, AttemptOutcome::UnavailableAmbiguous),
            (Efi, AttemptOutcome::Success),
        ],
    )
    .await;
    f.charge(
        3,
        4,
        ChargeStatus::RequiresAction,
        &[
            (Stripe, AttemptOutcome::UnavailableNotSent),
            (Efi, AttemptOutcome::Success),
        ],
    )
    .await;
}

#[tokio::test]
async fn snapshot_primary_open_with_traffic_on_the_fallback() {
    let f = Fixture::new().await;
    primary_open(&f).await;
    let op = f.operator(None);
    let app = f.app(&op, true).await;
    let s = app.snapshot.as_ref().unwrap();
    assert_eq!(s.health.gateways[0].breaker.state, BreakerState::Open);
    insta::assert_snapshot!("primary_open", render(&app, 120, 40));
}

#[tokio::test]
async fn snapshot_forced_open_and_forced_closed() {
    let f = Fixture::new().await;
    healthy(&f).await;
    let breakers = f.breakers();
    let open = OperatorCommand::Open {
        until: None,
        reason: Some("maintenance window".into()),
    };
    breakers
        .command(&actor(), &acme(), Stripe, open)
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(30));
    let close = OperatorCommand::Close {
        reason: Some("their status page is wrong".into()),
    };
    breakers
        .command(&actor(), &acme(), Asaas, close)
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(12));
    let op = f.operator(None);
    let app = f.app(&op, true).await;
    insta::assert_snapshot!("forced_states", render(&app, 120, 40));
}

#[tokio::test]
async fn snapshot_non_empty_dlq() {
    let f = Fixture::new().await;
    healthy(&f).await;
    f.dead_letter(600).await;
    f.dead_letter(90).await;
    f.dead_letter(30).await;
    let op = f.operator(None);
    let app = f.app(&op, true).await;
    assert_eq!(app.snapshot.as_ref().unwrap().health.dlq.depth, 3);
    insta::assert_snapshot!("dlq", render(&app, 120, 40));
}

#[tokio::test]
async fn snapshot_80x24() {
    let f = Fixture::new().await;
    primary_open(&f).await;
    f.dead_letter(300).await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    app.selected = 0;
    insta::assert_snapshot!("small_80x24", render(&app, 80, 24));
    // The confirmation and the help fit too.
    press(&mut app, &op, "o").await;
    insta::assert_snapshot!("small_80x24_confirm", render(&app, 80, 24));
    press(&mut app, &op, "\x1b?").await;
    insta::assert_snapshot!("small_80x24_help", render(&app, 80, 24));
}

#[tokio::test]
async fn without_colour_no_cell_has_a_colour_and_with_it_states_do() {
    let f = Fixture::new().await;
    primary_open(&f).await;
    let op = f.operator(None);
    for color in [false, true] {
        let app = f.app(&op, color).await;
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|frame| draw::draw(frame, &app)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        let coloured = buffer
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count();
        if color {
            assert!(coloured > 0);
            let red_open = buffer
                .content()
                .iter()
                .any(|c| c.symbol() == "o" && c.fg == Color::Red);
            assert!(red_open, "the open breaker is red");
        } else {
            assert_eq!(coloured, 0, "NO_COLOR: not one coloured cell");
        }
    }
}

#[tokio::test]
async fn the_last_error_is_the_newest_of_the_breakers_and_the_charges() {
    let f = Fixture::new().await;
    primary_open(&f).await;
    f.charge(
        4,
        20,
        ChargeStatus::Succeeded,
        &[
            (Asaas, AttemptOutcome::RateLimited),
            (Efi, AttemptOutcome::Success),
        ],
    )
    .await;
    let op = f.operator(None);
    let app = f.app(&op, false).await;
    let s = app.snapshot.as_ref().unwrap();
    // Stripe: the breaker's (written when it opened, now) beats the charges' (4 s ago).
    let stripe = s.last_error(Stripe).unwrap();
    assert_eq!(stripe.message, "timeout after 3 s (request sent)");
    // Asaas never tripped: only a charge knows of its failure.
    let asaas = s.last_error(Asaas).unwrap();
    assert_eq!(asaas.message, "asaas: connection refused");
    assert_eq!(asaas.at, ago(&f, 20));
    assert_eq!(s.last_error(Efi), None, "a success is no error");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("20s ago: asaas: connection"), "{screen}");
}

#[tokio::test]
async fn s_then_yes_switches_the_primary_and_audits_it() {
    let f = Fixture::new().await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    press(&mut app, &op, "j").await;
    assert_eq!(app.selected_gateway(), Efi);
    press(&mut app, &op, "s").await;
    assert_eq!(app.mode, Mode::Confirm(Action::MakePrimary(Efi)));
    assert!(f.audit().await.is_empty(), "nothing before confirming");
    press(&mut app, &op, "y").await;
    let routing = Routing::new(f.store.clone(), f.clock.clone(), &f.config).unwrap();
    assert_eq!(routing.current(&acme()).await.unwrap().table.primary(), Efi);
    let audit = f.audit().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action.as_str(), "gateway.switch");
    assert_eq!(audit[0].actor, "cli:ana");
    assert_eq!(audit[0].reason.as_deref(), Some(REASON));
    assert_eq!(app.snapshot.as_ref().unwrap().health.routing.primary(), Efi);
    assert_eq!(
        app.status,
        Some(StatusLine::Info(
            "Primary switched from stripe to efi.".into()
        ))
    );
}

#[tokio::test]
async fn o_c_a_force_the_breaker_and_audit_each() {
    let f = Fixture::new().await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    press(&mut app, &op, "jj").await;
    let state = |app: &App| {
        app.snapshot.as_ref().unwrap().health.gateways[2]
            .breaker
            .state
    };
    press(&mut app, &op, "o\n").await;
    assert_eq!(state(&app), BreakerState::ForcedOpen);
    press(&mut app, &op, "cy").await;
    assert_eq!(state(&app), BreakerState::ForcedClosed);
    press(&mut app, &op, "aY").await;
    assert_eq!(state(&app), BreakerState::Closed);
    // What a fresh reader (another machine) sees.
    let fleet = f.breakers().fleet_status(&acme()).await.unwrap();
    assert_eq!(fleet[2].state, BreakerState::Closed);
    let actions: Vec<(String, String)> = f
        .audit()
        .await
        .into_iter()
        .rev()
        .map(|e| (e.action.to_string(), e.target))
        .collect();
    let want = ["breaker.open", "breaker.close", "breaker.auto"]
        .map(|a| (a.to_string(), "asaas".to_string()));
    assert_eq!(actions, want);
}

#[tokio::test]
async fn r_replays_the_dlq_and_audits_it() {
    let f = Fixture::new().await;
    let first = f.dead_letter(100).await;
    let second = f.dead_letter(50).await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    press(&mut app, &op, "r").await;
    assert_eq!(app.mode, Mode::Confirm(Action::ReplayDlq));
    press(&mut app, &op, "y").await;
    assert!(
        f.store
            .list_dead(Some(&acme()), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.snapshot.as_ref().unwrap().health.dlq.depth, 0);
    let ready = f
        .store
        .receive(10, Duration::from_secs(30), f.clock.now())
        .await
        .unwrap();
    let mut back: Vec<MessageId> = ready.into_iter().map(|r| r.message.id).collect();
    back.sort_by_key(ToString::to_string);
    let mut want = vec![first, second];
    want.sort_by_key(ToString::to_string);
    assert_eq!(back, want, "both are back in the delivery queue");
    let audit = f.audit().await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].target.as_str()),
        ("dlq.replay", "all")
    );
    assert_eq!(audit[0].detail["count"], 2);
    // With the queue empty, r says so and asks nothing.
    press(&mut app, &op, "r").await;
    assert_eq!(app.mode, Mode::Normal);
}

#[tokio::test]
async fn n_and_esc_cancel_and_write_nothing() {
    let f = Fixture::new().await;
    f.dead_letter(10).await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    press(&mut app, &op, "sn").await;
    press(&mut app, &op, "o\x1b").await;
    press(&mut app, &op, "rn").await;
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(
        app.status,
        Some(StatusLine::Info("Cancelled: nothing changed.".into()))
    );
    assert!(f.audit().await.is_empty());
    assert_eq!(
        f.store
            .list_dead(Some(&acme()), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let fleet = f.breakers().fleet_status(&acme()).await.unwrap();
    assert_eq!(fleet[0].state, BreakerState::Closed);
}

#[tokio::test]
async fn q_quits_t_picks_a_tenant_and_slash_filters_the_charges() {
    let f = Fixture::new().await;
    primary_open(&f).await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    assert_eq!(app.visible_charges().len(), 3);
    press(&mut app, &op, "/succ").await;
    assert_eq!(app.mode, Mode::Filter);
    press(&mut app, &op, "\n").await;
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.filter, "succ");
    assert_eq!(app.visible_charges().len(), 1);
    assert!(render(&app, 120, 40).contains("Charges matching \"succ\" (1)"));
    // A gateway matches the charges that attempted it; Esc clears the filter.
    press(&mut app, &op, "/\x1b/EFI\n").await;
    assert_eq!(app.visible_charges().len(), 2);
    press(&mut app, &op, "/\x1b").await;
    assert_eq!(app.visible_charges().len(), 3);

    assert_eq!(app.tenants, vec![acme(), beta()]);
    press(&mut app, &op, "t").await;
    assert_eq!(app.mode, Mode::TenantPicker(0));
    press(&mut app, &op, "j\n").await;
    assert_eq!(app.tenant, beta());
    let s = app.snapshot.as_ref().unwrap();
    assert_eq!(s.health.tenant, beta());
    assert!(s.charges.is_empty(), "beta has no charges");

    assert!(!app.quit);
    press(&mut app, &op, "q").await;
    assert!(app.quit);
}

/// A stand-in for `payorch demo`'s control of its embedded gateways.
#[derive(Default)]
struct FakeDemo {
    down: Mutex<Vec<GatewayId>>,
}

#[async_trait::async_trait]
impl DemoControl for FakeDemo {
    async fn toggle(&self, gateway: GatewayId) -> anyhow::Result<String> {
        let mut down = self.down.lock().unwrap();
        if let Some(i) = down.iter().position(|g| *g == gateway) {
            down.remove(i);
            Ok(format!("{gateway} is back up."))
        } else {
            down.push(gateway);
            Ok(format!("{gateway} is down."))
        }
    }

    fn down(&self) -> Vec<GatewayId> {
        self.down.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn x_toggles_a_gateway_in_the_demo_without_asking() {
    let f = Fixture::new().await;
    let demo = Arc::new(FakeDemo::default());
    let op = f.operator(Some(demo.clone()));
    let mut app = f.app(&op, false).await;
    // Outside the demo, x does nothing.
    press(&mut app, &op, "x").await;
    assert!(demo.down().is_empty());
    app.demo = true;
    press(&mut app, &op, "x").await;
    assert_eq!(demo.down(), vec![Stripe]);
    assert_eq!(app.down, vec![Stripe]);
    assert_eq!(app.status, Some(StatusLine::Info("stripe is down.".into())));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("DEMO"));
    assert!(screen.contains("down: stripe"));
    assert!(screen.contains("stripe DOWN"));
    press(&mut app, &op, "?").await;
    assert!(render(&app, 80, 24).contains("take it down / bring it back"));
    press(&mut app, &op, " x").await;
    assert!(demo.down().is_empty());
    assert!(
        f.audit().await.is_empty(),
        "the demo's own switch is not an operator action"
    );
}

static RESTORED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn count_restore() {
    RESTORED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

#[test]
fn a_panic_restores_the_terminal_first_and_the_hook_goes_away_after() {
    use std::sync::atomic::Ordering;
    let guard = super::PanicRestore::install(count_restore);
    let caught = std::panic::catch_unwind(|| panic!("boom while drawing"));
    assert!(caught.is_err());
    assert_eq!(
        RESTORED.load(Ordering::SeqCst),
        1,
        "restored before the panic printed"
    );
    drop(guard);
    let _ = std::panic::catch_unwind(|| panic!("boom after the dashboard"));
    assert_eq!(
        RESTORED.load(Ordering::SeqCst),
        1,
        "the hook is gone with the guard"
    );
}

/// A failed refresh says so on the status line (the last snapshot stays); the next good
/// refresh clears that, but never an action's result.
#[tokio::test]
async fn a_refresh_failure_shows_until_a_good_refresh() {
    let f = Fixture::new().await;
    let op = f.operator(None);
    let mut app = f.app(&op, false).await;
    app.refreshed(Err("store unavailable: busy".into()));
    assert!(app.snapshot.is_some(), "the last read stays on screen");
    assert_eq!(
        app.status.as_ref().map(ToString::to_string).as_deref(),
        Some("Cannot refresh (showing the last read): store unavailable: busy")
    );
    app.refreshed(Ok(op.snapshot(&app.tenant).await.unwrap()));
    assert_eq!(app.status, None);
    app.say("stripe is down.");
    app.refreshed(Ok(op.snapshot(&app.tenant).await.unwrap()));
    assert_eq!(app.status, Some(StatusLine::Info("stripe is down.".into())));
}
