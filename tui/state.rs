//! The dashboard's state: what was last read from the store, which gateway is selected, which
//! mode the screen is in, and what each key does to that state. Pure: no terminal, no store;
//! a key that should change something in the store returns a [`Command`] for the event loop
//! to run through `actions.rs`.

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use payorch::clock::Timestamp;
use payorch::fleet::LastError;
use payorch::health::TenantHealth;
use payorch::model::{Charge, GatewayId, TenantId};
use payorch::store::{AuditEntry, CostRow};
use time::UtcOffset;

/// How often the costs panel re-reads its sums while it is shown (at most; the dashboard's
/// refresh may be slower): a month of charges is a range scan, not a counter read (~0.3 s of
/// SQLite for 80,000 charges; on DynamoDB the tenant's whole charge index is paged).
pub const COSTS_EVERY: Duration = Duration::from_secs(30);

/// Everything one refresh reads.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub health: TenantHealth,
    /// The tenant's newest charges, newest first.
    pub charges: Vec<Charge>,
    /// The tenant's newest audit entries, newest first.
    pub audit: Vec<AuditEntry>,
}

impl Snapshot {
    /// The newest failure of `gateway` the dashboard knows of: the breaker's shared last error
    /// (which instances write with each state transition) or, when newer, the newest failed
    /// attempt at it (a failure by the breaker's rules) among the feed's charges, which every
    /// instance writes.
    pub fn last_error(&self, gateway: GatewayId) -> Option<LastError> {
        let from_breaker = self
            .health
            .gateways
            .iter()
            .find(|g| g.gateway == gateway)
            .and_then(|g| g.last_error.clone());
        let from_charges = self
            .charges
            .iter()
            .flat_map(|c| &c.attempts)
            .filter(|a| {
                a.gateway == gateway && a.outcome.is_breaker_failure() && !a.refused_by_breaker()
            })
            .max_by_key(|a| a.at)
            .map(|a| LastError {
                message: a
                    .error
                    .clone()
                    .unwrap_or_else(|| a.outcome.as_str().to_string()),
                at: a.at,
            });
        match (from_breaker, from_charges) {
            (Some(b), Some(c)) => Some(if c.at > b.at { c } else { b }),
            (b, c) => b.or(c),
        }
    }
}

/// What one read of the costs panel found: a tenant's charges created today and this month so
/// far, summed per gateway and currency (`ChargeStore::charge_costs`), with days and months cut
/// at `offset`.
#[derive(Clone, Debug)]
pub struct Costs {
    pub tenant: TenantId,
    /// When it was read.
    pub at: Timestamp,
    pub offset: UtcOffset,
    /// The first instant of today at `offset`.
    pub today_from: Timestamp,
    /// The first instant of this month at `offset`.
    pub month_from: Timestamp,
    pub today: Vec<CostRow>,
    pub month: Vec<CostRow>,
}

/// What the lower half of the screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The charges and audit feeds.
    Feeds,
    /// Today's and this month's volume and fees per gateway (`$`).
    Costs,
}

/// A change to traffic or to the DLQ an operator asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Make the gateway the tenant's primary (`gateway switch`).
    MakePrimary(GatewayId),
    /// Force its breaker open (`breaker open`).
    ForceOpen(GatewayId),
    /// Force its breaker closed (`breaker close`).
    ForceClosed(GatewayId),
    /// Back to automatic (`breaker auto`).
    Automatic(GatewayId),
    /// Replay every dead letter of the tenant (`dlq replay --all`).
    ReplayDlq,
    /// `payorch demo` only: take the gateway down or bring it back.
    DemoToggle(GatewayId),
}

impl Action {
    /// The confirmation question.
    pub fn question(&self, tenant: &TenantId) -> String {
        match self {
            Action::MakePrimary(g) => format!("Make {g} the primary of tenant `{tenant}`?"),
            Action::ForceOpen(g) => {
                format!("Force the {g} breaker open? No charge of `{tenant}` will go to {g}.")
            }
            Action::ForceClosed(g) => {
                format!("Force the {g} breaker closed? Failures will not open it.")
            }
            Action::Automatic(g) => format!("Return the {g} breaker to automatic?"),
            Action::ReplayDlq => {
                format!("Replay every dead letter of tenant `{tenant}` now?")
            }
            Action::DemoToggle(g) => format!("Toggle {g} in the demo?"),
        }
    }
}

/// What the event loop must do after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run a confirmed action against the store, then refresh.
    Perform(Action),
    /// The tenant changed: read it now.
    Reload,
}

/// What the screen shows on top of the panels, and where keys go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Asking whether to run this action (y / Enter runs it, n / Esc cancels).
    Confirm(Action),
    Help,
    /// Typing the charges filter.
    Filter,
    /// Choosing a tenant; the index into `App::tenants`.
    TenantPicker(usize),
}

/// What the status line under the screen says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusLine {
    /// An action's result or a key's answer, until the next one or Esc.
    Info(String),
    /// The last refresh failed (the screen shows the last read); the next good one clears it.
    RefreshFailed { error: String },
}

impl std::fmt::Display for StatusLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusLine::Info(text) => f.write_str(text),
            StatusLine::RefreshFailed { error } => {
                write!(f, "Cannot refresh (showing the last read): {error}")
            }
        }
    }
}

/// The whole dashboard state.
#[derive(Clone, Debug)]
pub struct App {
    pub tenant: TenantId,
    /// Every tenant of the store, for `t`.
    pub tenants: Vec<TenantId>,
    pub snapshot: Option<Snapshot>,
    /// Index into [`GatewayId::ALL`] (the order of the gateway rows).
    pub selected: usize,
    pub mode: Mode,
    /// Narrows the charges feed: a case-insensitive substring of the charge id, its status
    /// (`declined` and the decline's reason too), its gateway or any attempted gateway.
    pub filter: String,
    /// The last action's result, or why a refresh failed.
    pub status: Option<StatusLine>,
    pub color: bool,
    pub refresh: Duration,
    /// `payorch demo`: `x` is live, the header says DEMO.
    pub demo: bool,
    /// The gateways the demo has taken down.
    pub down: Vec<GatewayId>,
    pub view: View,
    /// The last read of the costs panel (read only while it is shown).
    pub costs: Option<Costs>,
    /// Where days and months start for the costs panel (`--utc-offset`).
    pub utc_offset: UtcOffset,
    pub quit: bool,
}

impl App {
    /// Puts `text` on the status line.
    pub fn say(&mut self, text: impl Into<String>) {
        self.status = Some(StatusLine::Info(text.into()));
    }

    /// A refresh's result: a new snapshot (which clears a refresh failure, not an action's
    /// result), or why there is none (the last snapshot stays).
    pub fn refreshed(&mut self, result: Result<Snapshot, String>) {
        match result {
            Ok(snapshot) => {
                self.snapshot = Some(snapshot);
                if matches!(self.status, Some(StatusLine::RefreshFailed { .. })) {
                    self.status = None;
                }
            }
            Err(error) => self.status = Some(StatusLine::RefreshFailed { error }),
        }
    }

    pub fn new(tenant: TenantId, refresh: Duration, color: bool, demo: bool) -> Self {
        App {
            tenants: vec![tenant.clone()],
            tenant,
            snapshot: None,
            selected: 0,
            mode: Mode::Normal,
            filter: String::new(),
            status: None,
            color,
            refresh,
            demo,
            down: Vec::new(),
            view: View::Feeds,
            costs: None,
            utc_offset: UtcOffset::UTC,
            quit: false,
        }
    }

    /// Whether the costs panel should be read at `now`: it is shown, and what it shows is of
    /// another tenant, missing, or [`COSTS_EVERY`] old.
    pub fn costs_due(&self, now: Timestamp) -> bool {
        self.view == View::Costs
            && self.costs.as_ref().is_none_or(|c| {
                c.tenant != self.tenant
                    || c.offset != self.utc_offset
                    || now.since(c.at) >= COSTS_EVERY
            })
    }

    /// The gateway of the selected row.
    pub fn selected_gateway(&self) -> GatewayId {
        GatewayId::ALL[self.selected.min(GatewayId::ALL.len() - 1)]
    }

    /// The charges the feed shows: the snapshot's, narrowed by the filter.
    pub fn visible_charges(&self) -> Vec<&Charge> {
        let Some(snapshot) = &self.snapshot else {
            return Vec::new();
        };
        let needle = self.filter.trim().to_lowercase();
        snapshot
            .charges
            .iter()
            .filter(|c| needle.is_empty() || charge_matches(c, &needle))
            .collect()
    }

    /// Handles one key; returns what the event loop must do, if anything.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Command> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return None;
        }
        match self.mode.clone() {
            Mode::Normal => self.on_normal_key(key.code),
            Mode::Confirm(action) => {
                match key.code {
                    KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        return Some(Command::Perform(action));
                    }
                    KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                        self.mode = Mode::Normal;
                        self.say("Cancelled: nothing changed.");
                    }
                    _ => {}
                }
                None
            }
            Mode::Help => {
                self.mode = Mode::Normal;
                None
            }
            Mode::Filter => {
                match key.code {
                    KeyCode::Enter => self.mode = Mode::Normal,
                    KeyCode::Esc => {
                        self.filter.clear();
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Backspace => {
                        self.filter.pop();
                    }
                    KeyCode::Char(c) if !c.is_control() && self.filter.chars().count() < 40 => {
                        self.filter.push(c);
                    }
                    _ => {}
                }
                None
            }
            Mode::TenantPicker(index) => {
                let last = self.tenants.len().saturating_sub(1);
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.mode = Mode::TenantPicker(index.saturating_sub(1));
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.mode = Mode::TenantPicker((index + 1).min(last));
                    }
                    KeyCode::Esc | KeyCode::Char('q') => self.mode = Mode::Normal,
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        if let Some(t) = self.tenants.get(index).cloned()
                            && t != self.tenant
                        {
                            self.tenant = t;
                            self.snapshot = None;
                            self.costs = None;
                            self.say(format!("Tenant `{}`.", self.tenant));
                            return Some(Command::Reload);
                        }
                    }
                    _ => {}
                }
                None
            }
        }
    }

    fn on_normal_key(&mut self, code: KeyCode) -> Option<Command> {
        let gateway = self.selected_gateway();
        let ask = |action: Action| Mode::Confirm(action);
        match code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(GatewayId::ALL.len() - 1);
            }
            KeyCode::Char('s') => self.mode = ask(Action::MakePrimary(gateway)),
            KeyCode::Char('o') => self.mode = ask(Action::ForceOpen(gateway)),
            KeyCode::Char('c') => self.mode = ask(Action::ForceClosed(gateway)),
            KeyCode::Char('a') => self.mode = ask(Action::Automatic(gateway)),
            KeyCode::Char('r') => {
                let empty = self
                    .snapshot
                    .as_ref()
                    .is_some_and(|s| s.health.dlq.depth == 0);
                if empty {
                    self.say("The DLQ is empty: nothing to replay.");
                } else {
                    self.mode = ask(Action::ReplayDlq);
                }
            }
            KeyCode::Char('x') if self.demo => {
                return Some(Command::Perform(Action::DemoToggle(gateway)));
            }
            KeyCode::Char('t') => {
                let at = self
                    .tenants
                    .iter()
                    .position(|t| *t == self.tenant)
                    .unwrap_or(0);
                self.mode = Mode::TenantPicker(at);
            }
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Char('$') => {
                self.view = match self.view {
                    View::Feeds => View::Costs,
                    View::Costs => View::Feeds,
                };
                if self.view == View::Costs {
                    return Some(Command::Reload);
                }
            }
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Esc => self.status = None,
            _ => {}
        }
        None
    }
}

fn charge_matches(charge: &Charge, needle: &str) -> bool {
    let decline = charge.decline_code();
    charge.id.to_string().to_lowercase().contains(needle)
        || charge.status().as_str().contains(needle)
        || decline
            .is_some_and(|code| "declined".contains(needle) || code.to_lowercase().contains(needle))
        || charge.gateway.is_some_and(|g| g.as_str().contains(needle))
        || charge
            .attempts
            .iter()
            .any(|a| a.gateway.as_str().contains(needle))
}
