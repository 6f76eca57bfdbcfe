//! `payorch dashboard`: a live terminal view of one tenant's gateways, fleet-wide, with keys to
//! act on them. The rooms: `state.rs` (the pure [`state::App`] and what each key does),
//! `actions.rs` (reads and changes through the library, audited), `draw/` (a pure frame from
//! the state). This file is the terminal's edge: entering and always leaving raw mode and the
//! alternate screen (on return, on error and on panic) and the event loop.
//!
//! The loop redraws through ratatui's diffing terminal (only changed cells are written, the
//! screen is never cleared), so refreshing does not flicker.

pub mod actions;
pub mod draw;
pub mod state;

#[cfg(test)]
mod tests;

use std::io::{IsTerminal, Stdout};
use std::panic::PanicHookInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::{cursor, execute, terminal};

use payorch::clock::SystemClock;
use payorch::config::Config;
use payorch::model::{GatewayId, TenantId};
use payorch::store::Store;
use payorch::tenancy::Actor;

use crate::commands::{CliError, Exit};
use actions::Operator;
use state::{App, Command};

/// How `run` behaves.
pub struct Options {
    pub tenant: TenantId,
    pub refresh: std::time::Duration,
    pub color: bool,
    /// Present in `payorch demo`: the `x` key takes the selected gateway down / brings it back.
    pub demo: Option<std::sync::Arc<dyn DemoControl>>,
    /// Where the costs panel's days and months start (`--utc-offset`).
    pub utc_offset: time::UtcOffset,
}

/// What `payorch demo` lets the dashboard do to its embedded gateways.
#[async_trait::async_trait]
pub trait DemoControl: Send + Sync {
    /// Takes `gateway` down if it is up, brings it back if down; a one-line message for the status line.
    async fn toggle(&self, gateway: GatewayId) -> anyhow::Result<String>;
    /// The gateways the demo has taken down now (shown in the gateway rows / header).
    fn down(&self) -> Vec<GatewayId>;
}

/// Runs the dashboard on this process's terminal until `q`. Fails (exit 2) when stdout is not
/// a terminal, and before touching the terminal when the store cannot be read.
pub async fn run(
    store: Arc<dyn Store>,
    config: Config,
    actor: Actor,
    options: Options,
) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Exit::Usage,
            "the dashboard needs a terminal: run it without redirecting stdin or stdout \
             (for scripts, use `payorch breaker status` or `payorch gateway list -o json`)",
        )
        .into());
    }
    let operator = Operator::new(
        store,
        Arc::new(SystemClock),
        &config,
        actor,
        options.demo.clone(),
    )?;
    let mut app = App::new(
        options.tenant,
        options.refresh,
        options.color,
        options.demo.is_some(),
    );
    app.utc_offset = options.utc_offset;
    app.tenants = operator.tenants().await?;
    app.snapshot = Some(operator.snapshot(&app.tenant).await?);
    app.down = operator.down();

    let guard = TerminalGuard::enter()?;
    let result = event_loop(&operator, &mut app).await;
    drop(guard);
    result
}

async fn event_loop(operator: &Operator, app: &mut App) -> anyhow::Result<()> {
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let (keys, mut events) = tokio::sync::mpsc::channel(64);
    let stop = Arc::new(AtomicBool::new(false));
    let _input = InputThread::spawn(keys, stop.clone());
    let mut tick = tokio::time::interval(app.refresh);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        terminal.draw(|frame| draw::draw(frame, app))?;
        if app.quit {
            return Ok(());
        }
        tokio::select! {
            _ = tick.tick() => refresh(operator, app).await,
            event = events.recv() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    match app.on_key(key) {
                        Some(Command::Perform(action)) => {
                            app.say(match operator.perform(&app.tenant, &action).await {
                                Ok(done) => done,
                                Err(e) => format!("Failed: {e:#}"),
                            });
                            refresh(operator, app).await;
                        }
                        Some(Command::Reload) => refresh(operator, app).await,
                        None => {}
                    }
                }
                Some(Ok(Event::Resize(..))) => terminal.autoresize()?,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(anyhow::Error::new(e).context("cannot read the keyboard")),
                None => return Ok(()),
            },
        }
    }
}

/// Re-reads the store (and the costs panel's sums, while it is shown and due); on failure
/// keeps the last read and says why on the status line.
async fn refresh(operator: &Operator, app: &mut App) {
    let result = operator.snapshot(&app.tenant).await;
    app.refreshed(result.map_err(|e| format!("{e:#}")));
    if app.costs_due(operator.now()) {
        match operator.costs(&app.tenant, app.utc_offset).await {
            Ok(costs) => app.costs = Some(costs),
            Err(e) => {
                app.status = Some(state::StatusLine::RefreshFailed {
                    error: format!("{e:#}"),
                })
            }
        }
    }
    if let Ok(tenants) = operator.tenants().await {
        app.tenants = tenants;
    }
    app.down = operator.down();
}

/// Reads terminal events on a thread of its own (crossterm's read blocks) and hands them to
/// the loop; stops within a poll interval once `stop` is set or the loop is gone.
struct InputThread {
    stop: Arc<AtomicBool>,
}

impl InputThread {
    fn spawn(
        events: tokio::sync::mpsc::Sender<std::io::Result<Event>>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(100)) {
                    Ok(false) => continue,
                    Ok(true) => {
                        if events.blocking_send(event::read()).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = events.blocking_send(Err(e));
                        break;
                    }
                }
            }
        });
        InputThread { stop }
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

type PanicHook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While it lives, a panic first runs `restore`, then whatever panic hook was installed before
/// (which prints the panic, now onto a normal screen). Dropping it reinstates that hook.
struct PanicRestore {
    previous: Arc<PanicHook>,
}

impl PanicRestore {
    fn install(restore: fn()) -> Self {
        let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            chained(info);
        }));
        PanicRestore { previous }
    }
}

impl Drop for PanicRestore {
    fn drop(&mut self) {
        let previous = self.previous.clone();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Raw mode and the alternate screen while it lives; on drop, and in a panic before the panic
/// is printed, the terminal is put back as it was.
struct TerminalGuard {
    _panic: PanicRestore,
}

impl TerminalGuard {
    fn enter() -> anyhow::Result<Self> {
        let guard = TerminalGuard {
            _panic: PanicRestore::install(restore),
        };
        terminal::enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            // Once, so nothing a terminal without a clean alternate screen still shows stays
            // behind the cells that never change; every frame then writes only what changed.
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen, shows the cursor and ends raw mode; harmless when repeated.
fn restore() {
    let mut out: Stdout = std::io::stdout();
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}
