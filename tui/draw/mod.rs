//! Drawing: one pure function from [`App`] to a frame. Every state is written as text too
//! (colour only repeats it), so the screen reads the same with `NO_COLOR`; without colour no
//! foreground or background is set at all. Ages are relative to the snapshot's own time, so
//! the same state always draws the same screen. Fits 80×24; wider screens get more columns
//! and the feeds side by side, taller ones longer feeds.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use payorch::breaker::BreakerState;
use payorch::clock::Timestamp;
use payorch::health::{Quantile, TenantHealth};
use payorch::model::{AttemptOutcome, Charge, GatewayId};
use payorch::store::AuditEntry;

use super::state::{App, Mode, Snapshot, View};

mod costs;
mod gateways;
use costs::draw_costs;
use gateways::{detail_line, draw_gateways};

/// Width from which the table shows every column and the feeds show whole charge ids.
const WIDE: u16 = 120;
/// Width from which the feeds sit side by side.
const VERY_WIDE: u16 = 160;
/// Sparkline levels, low to high.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Styles that collapse to nothing without colour (modifiers stay: they are not colour).
#[derive(Clone, Copy)]
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    fn on(self, fg: Color, bg: Color) -> Style {
        if self.color {
            Style::new().fg(fg).bg(bg)
        } else {
            Style::new()
        }
    }

    fn state(self, state: BreakerState) -> Style {
        match state {
            BreakerState::Closed => self.fg(Color::Green),
            BreakerState::HalfOpen => self.fg(Color::Yellow),
            BreakerState::Open => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            BreakerState::ForcedOpen => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            BreakerState::ForcedClosed => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        }
    }

    fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

/// The breaker state as the dashboard writes it.
pub fn state_label(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::HalfOpen => "half-open",
        BreakerState::Open => "open",
        BreakerState::ForcedOpen => "forced open",
        BreakerState::ForcedClosed => "forced closed",
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let area = frame.area();
    let wide = area.width >= WIDE;
    let [header, gateways, detail, traffic, dlq, feeds, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(6),
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_line(app, theme)), header);
    match &app.snapshot {
        Some(s) => {
            draw_gateways(frame, gateways, app, s, theme, wide);
            if let Some(g) = s.health.gateways.get(app.selected) {
                frame.render_widget(Paragraph::new(detail_line(g, s, theme)), detail);
            }
            draw_traffic(frame, traffic, &s.health, theme);
            frame.render_widget(Paragraph::new(dlq_line(&s.health, theme)), dlq);
            match app.view {
                View::Feeds => draw_feeds(frame, feeds, app, s, theme, area.width),
                View::Costs => draw_costs(frame, feeds, app, theme),
            }
        }
        None => {
            let text = format!("Reading tenant `{}`…", app.tenant);
            frame.render_widget(Paragraph::new(text), gateways);
        }
    }
    frame.render_widget(
        Paragraph::new(footer_line(app, theme, footer.width)),
        footer,
    );
    match &app.mode {
        Mode::Confirm(action) => {
            let text = vec![
                Line::from(action.question(&app.tenant)),
                Line::from(""),
                Line::from(Span::styled(
                    "y / Enter: do it    n / Esc: cancel",
                    theme.bold(),
                )),
            ];
            popup(frame, area, "Confirm", text, 60, theme);
        }
        Mode::Help => popup(frame, area, "Keys", help_lines(app), 56, theme),
        Mode::TenantPicker(index) => {
            let lines = app
                .tenants
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let mark = if *t == app.tenant { " (current)" } else { "" };
                    let line = Line::from(format!("{t}{mark}"));
                    if i == *index {
                        line.style(Style::new().add_modifier(Modifier::REVERSED))
                    } else {
                        line
                    }
                })
                .collect();
            popup(frame, area, "Tenant (Enter picks, Esc)", lines, 40, theme);
        }
        Mode::Normal | Mode::Filter => {}
    }
}

fn header_line(app: &App, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::styled("payorch dashboard", theme.bold())];
    if app.demo {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            " DEMO ",
            theme
                .on(Color::Black, Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
        if !app.down.is_empty() {
            let down: Vec<&str> = app.down.iter().map(|g| g.as_str()).collect();
            spans.push(Span::styled(
                format!(" down: {}", down.join(", ")),
                theme.fg(Color::Red),
            ));
        }
    }
    spans.push(Span::raw(format!("  tenant {}", app.tenant)));
    if let Some(s) = &app.snapshot {
        spans.push(Span::raw(format!("  {}", clock_time(s.health.at))));
    }
    spans.push(Span::styled(
        format!("  every {}", humantime::format_duration(app.refresh)),
        theme.dim(),
    ));
    Line::from(spans)
}

fn draw_traffic(frame: &mut Frame, area: Rect, health: &TenantHealth, theme: Theme) {
    let lines = health
        .gateways
        .iter()
        .map(|g| {
            let calls: Vec<u64> = g.series.iter().map(|p| p.calls).collect();
            let errors: Vec<u64> = g.series.iter().map(|p| p.failures + p.rejected).collect();
            let top = calls.iter().chain(&errors).copied().max().unwrap_or(0);
            Line::from(vec![
                Span::raw(format!("{:<7}", g.gateway.as_str())),
                Span::styled(spark(&calls, top), theme.fg(Color::Green)),
                Span::styled(" │ ", theme.dim()),
                Span::styled(spark(&errors, top), theme.fg(Color::Red)),
            ])
        })
        .collect::<Vec<_>>();
    let block =
        Block::bordered().title(" Last 5 min, 10 s buckets: calls │ errors (failed + refused) ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// One character per value, scaled to `top`; a blank for none.
fn spark(values: &[u64], top: u64) -> String {
    values
        .iter()
        .map(|v| {
            if *v == 0 || top == 0 {
                ' '
            } else {
                let level = (v * (LEVELS.len() as u64 - 1)).div_ceil(top);
                LEVELS[usize::try_from(level).unwrap_or(0).min(LEVELS.len() - 1)]
            }
        })
        .collect()
}

fn dlq_line(health: &TenantHealth, theme: Theme) -> Line<'static> {
    let d = health.dlq;
    if d.depth == 0 {
        return Line::from(vec![
            Span::styled(" DLQ ", theme.bold()),
            Span::styled("empty", theme.fg(Color::Green)),
        ]);
    }
    let oldest = d
        .oldest_dead_at
        .map(|t| format!(", oldest died {} ago", age(health.at, t)))
        .unwrap_or_default();
    Line::from(vec![
        Span::styled(" DLQ ", theme.bold()),
        Span::styled(
            format!("{} dead letter(s)", d.depth),
            theme.fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("{oldest} · r replays them")),
    ])
}

fn draw_feeds(frame: &mut Frame, area: Rect, app: &App, s: &Snapshot, theme: Theme, width: u16) {
    let [charges, audit] = if width >= VERY_WIDE {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area)
    };
    let visible = app.visible_charges();
    let title = if app.filter.is_empty() {
        format!(" Charges ({}) ", visible.len())
    } else {
        format!(" Charges matching \"{}\" ({}) ", app.filter, visible.len())
    };
    let lines: Vec<Line> = visible
        .iter()
        .map(|c| charge_line(c, s.health.at, theme, width >= WIDE))
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled("No charges.", theme.dim())]
    } else {
        lines
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        charges,
    );
    let lines: Vec<Line> = s.audit.iter().map(|e| audit_line(e, s.health.at)).collect();
    let lines = if lines.is_empty() {
        vec![Line::styled("No operator actions.", theme.dim())]
    } else {
        lines
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Audit log ")),
        audit,
    );
}

fn charge_line(c: &Charge, now: Timestamp, theme: Theme, whole_id: bool) -> Line<'static> {
    let amount = c.money().to_string();
    let decline = c.decline_code();
    // A decline is the issuer's answer, not a breakage: its own word and colour, and its reason.
    let status = if decline.is_some() {
        "declined"
    } else {
        c.status().as_str()
    };
    let status_style = match status {
        "succeeded" => theme.fg(Color::Green),
        "declined" => theme.fg(Color::Magenta),
        "failed" | "unknown" => theme.fg(Color::Red),
        "requires_action" | "pending" | "processing" => theme.fg(Color::Yellow),
        _ => Style::new(),
    };
    let route: Vec<String> = c
        .attempts
        .iter()
        .map(|a| {
            let failed = !matches!(
                a.outcome,
                AttemptOutcome::Success | AttemptOutcome::Declined
            );
            format!("{}{}", a.gateway, if failed { "✗" } else { "" })
        })
        .collect();
    let gateway = c.gateway.map_or("-", GatewayId::as_str);
    let id = c.id.to_string();
    let id = if whole_id {
        id
    } else {
        // The random tail tells charges apart; `/` finds it.
        let tail: String = id
            .chars()
            .skip(id.chars().count().saturating_sub(8))
            .collect();
        format!("…{tail}")
    };
    let mut spans = vec![
        Span::styled(format!("{:>4} ", age(now, c.created_at)), theme.dim()),
        Span::styled(format!("{status:<15} "), status_style),
        Span::raw(format!("{gateway:<6} {amount:>13} ")),
        Span::raw(route.join("→")),
    ];
    if let Some(code) = decline {
        spans.push(Span::styled(format!(" {code}"), status_style));
    }
    spans.push(Span::styled(format!(" {id}"), theme.dim()));
    Line::from(spans)
}

fn audit_line(e: &AuditEntry, now: Timestamp) -> Line<'static> {
    let reason = e
        .reason
        .as_deref()
        .map(|r| format!(" ({})", one_line(r)))
        .unwrap_or_default();
    Line::from(format!(
        "{:>4} {} {} {}{reason}",
        age(now, e.at),
        e.actor,
        e.action,
        e.target
    ))
}

fn footer_line(app: &App, theme: Theme, width: u16) -> Line<'static> {
    if app.mode == Mode::Filter {
        return Line::from(vec![
            Span::styled(" filter charges: ", theme.bold()),
            Span::raw(format!("{}▏", app.filter)),
            Span::styled(
                "  (id, status, gateway; Enter keeps, Esc clears)",
                theme.dim(),
            ),
        ]);
    }
    if let Some(status) = &app.status {
        return Line::from(Span::styled(format!(" {status}"), theme.bold()));
    }
    let x = if app.demo { "  x down/up" } else { "" };
    let wide = format!(
        " ? help  q quit  ↑↓ select  s primary  o open  c close  a auto  r replay{x}  t tenant  / filter  $ costs"
    );
    // On a narrow terminal the keys in short, so none is cut off.
    let text = if wide.chars().count() <= usize::from(width) {
        wide
    } else {
        let x = if app.demo { " x down/up" } else { "" };
        format!(" ?help q quit s primary o/c/a breaker r replay{x} t tenant /filter $costs")
    };
    Line::from(Span::styled(text, theme.dim()))
}

fn help_lines(app: &App) -> Vec<Line<'static>> {
    let mut keys = vec![
        ("↑ ↓  j k", "select a gateway"),
        ("s", "make the selected gateway the primary"),
        ("o", "force its breaker open"),
        ("c", "force its breaker closed"),
        ("a", "its breaker back to automatic"),
        ("r", "replay the tenant's dead letters"),
    ];
    if app.demo {
        keys.push(("x", "take it down / bring it back (demo)"));
    }
    keys.extend([
        ("t", "switch tenant"),
        ("/", "filter charges by id, status, gateway"),
        ("$", "costs per gateway, today and this month"),
        ("?", "this help"),
        ("q", "quit"),
    ]);
    let mut lines: Vec<Line> = keys
        .into_iter()
        .map(|(k, what)| Line::from(format!("{k:<9} {what}")))
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(
        "s o c a r ask first and are written to the audit log.",
    ));
    lines
}

fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, width: u16, theme: Theme) {
    let width = width.min(area.width.saturating_sub(2)).max(10);
    let inner = width.saturating_sub(2).max(1);
    let rows: u16 = lines
        .iter()
        .map(|l| {
            u16::try_from(l.width())
                .unwrap_or(u16::MAX)
                .div_ceil(inner)
                .max(1)
        })
        .sum();
    let height = (rows + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .border_style(theme.fg(Color::Yellow));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

fn percent(permille: Option<u32>) -> String {
    match permille {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "-".into(),
    }
}

fn latency(q: Option<Quantile>) -> String {
    let ms = |v: u64| {
        if v >= 1000 {
            let tenths = v / 100;
            if tenths.is_multiple_of(10) {
                format!("{}s", tenths / 10)
            } else {
                format!("{}.{}s", tenths / 10, tenths % 10)
            }
        } else {
            format!("{v}ms")
        }
    };
    match q {
        Some(Quantile::Below(v)) => format!("<{}", ms(v)),
        Some(Quantile::AtLeast(v)) => format!("≥{}", ms(v)),
        None => "-".into(),
    }
}

fn rate(milli: u64) -> String {
    format!("{}.{}", milli / 1000, (milli % 1000) / 100)
}

/// `later - earlier` as a short age: `5s`, `3m`, `2h`, `4d`.
fn age(later: Timestamp, earlier: Timestamp) -> String {
    let secs = later.since(earlier).as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// `HH:MM:SS UTC` of a timestamp.
fn clock_time(t: Timestamp) -> String {
    let text = t.to_rfc3339();
    match text.get(11..19) {
        Some(hms) => format!("{hms} UTC"),
        None => text,
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
