//! The gateways table and the line under it: one row per gateway with its breaker and the
//! last minute's rates, and an open breaker's row saying in words what it refuses and when its
//! gateway last worked (drawn over its rate columns, which a table cannot merge).

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table};

use payorch::breaker::BreakerState;
use payorch::clock::Timestamp;
use payorch::health::GatewayHealth;
use payorch::model::GatewayId;

use super::{Theme, age, latency, one_line, percent, rate, state_label};
use crate::tui::state::{App, Snapshot};

pub(super) fn draw_gateways(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    s: &Snapshot,
    theme: Theme,
    wide: bool,
) {
    let health = &s.health;
    // OK and ERR are over the last minute, refused calls included (see `payorch::health`).
    let mut headers = vec![
        " GATEWAY", "ROLE", "BREAKER", "OK 1M", "ERR 1M", "P50", "P95", "REQ/S",
    ];
    let mut widths = vec![
        Constraint::Length(12),
        Constraint::Length(10),
        Constraint::Length(13),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(5),
    ];
    if wide {
        headers.extend(["WINDOW", "UP 1H", "LAST ERROR"]);
        widths.extend([
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Min(10),
        ]);
    } else {
        headers.push("UP 1H");
        widths.push(Constraint::Length(6));
    }
    let rows = health.gateways.iter().enumerate().map(|(i, g)| {
        // The selection is marked in text too (reverse video may not show everywhere).
        let mark = if i == app.selected { '›' } else { ' ' };
        let mut name = format!("{mark}{}", g.gateway);
        if app.down.contains(&g.gateway) {
            name.push_str(" DOWN");
        }
        let role = if g.enabled {
            g.role.to_string()
        } else {
            "disabled".into()
        };
        let state = g.breaker.state;
        let mut cells = vec![
            Cell::from(name),
            Cell::from(role),
            Cell::from(Span::styled(state_label(state), theme.state(state))),
            Cell::from(percent(g.success_permille)),
            Cell::from(Span::styled(
                percent(g.failure_permille),
                if g.failure_permille.unwrap_or(0) > 0 {
                    theme.fg(Color::Red)
                } else {
                    Style::new()
                },
            )),
            Cell::from(latency(g.p50)),
            Cell::from(latency(g.p95)),
            Cell::from(rate(g.milli_rps)),
        ];
        if wide {
            cells.push(Cell::from(g.window_calls.to_string()));
            cells.push(Cell::from(percent(g.uptime_permille)));
            cells.push(Cell::from(last_error(s, g.gateway)));
        } else {
            cells.push(Cell::from(percent(g.uptime_permille)));
        }
        let row = Row::new(cells);
        if i == app.selected {
            row.style(Style::new().add_modifier(Modifier::REVERSED))
        } else {
            row
        }
    });
    let header = Row::new(headers).style(theme.bold());
    let table = Table::new(rows, widths.clone())
        .header(header)
        .column_spacing(1)
        .flex(Flex::Start)
        .block(Block::bordered().title(" Gateways (fleet-wide) "));
    frame.render_widget(table, area);
    // An open breaker's row says so in words over its rate columns (OK to REQ/S): what share
    // of the last minute's calls it refused and when the gateway last succeeded.
    let inner = Block::bordered().inner(area);
    let columns = Layout::horizontal(widths)
        .flex(Flex::Start)
        .spacing(1)
        .split(inner);
    let (Some(first), Some(last)) = (columns.get(3), columns.get(7)) else {
        return;
    };
    for (i, g) in health.gateways.iter().enumerate() {
        let Some(text) = refusing(g, health.at) else {
            continue;
        };
        let y = inner.y + 1 + u16::try_from(i).unwrap_or(u16::MAX);
        if y >= inner.bottom() {
            break;
        }
        let cell = Rect::new(first.x, y, last.right().saturating_sub(first.x), 1);
        let mut style = theme.state(g.breaker.state);
        if i == app.selected {
            style = style.add_modifier(Modifier::REVERSED);
        }
        frame.render_widget(Clear, cell);
        frame.render_widget(Paragraph::new(text).style(style), cell);
    }
}

/// What an open breaker's row says instead of its rates (at most 33 characters, the width of
/// the columns it covers): `refused 83.3% · last OK 40s ago`, the share of the last minute's
/// calls it refused and when the gateway last succeeded. `None` while calls go through.
fn refusing(g: &GatewayHealth, now: Timestamp) -> Option<String> {
    if !matches!(
        g.breaker.state,
        BreakerState::Open | BreakerState::ForcedOpen
    ) {
        return None;
    }
    // No refusal yet in the last minute (no call came since it opened): what it does now.
    let refused = match g.refused_permille {
        Some(p) if p > 0 => format!("refused {}", percent(Some(p))),
        _ => "refuses all".into(),
    };
    let ok = match g.last_success {
        Some(t) => format!("last OK {} ago", age(now, t)),
        None => "no success in 1h".into(),
    };
    Some(format!("{refused} · {ok}"))
}

/// More about the selected gateway: its breaker's why and when, and its last error.
pub(super) fn detail_line(g: &GatewayHealth, s: &Snapshot, theme: Theme) -> Line<'static> {
    let now = s.health.at;
    let b = &g.breaker;
    let mut text = format!(" {}: {}", g.gateway, state_label(b.state));
    if let Some(since) = b.since {
        text.push_str(&format!(" for {}", age(now, since)));
    }
    if let Some(until) = b.until {
        text.push_str(&format!(", {} left", age(until, now)));
    }
    // Who: an operator's name for forced states (automatic ones are an instance's id).
    if let Some(who) = b.changed_by.as_ref().filter(|_| b.forced) {
        text.push_str(&format!(" by {who}"));
    }
    if let Some(reason) = &b.reason {
        text.push_str(&format!(" ({reason})"));
    }
    if refusing(g, now).is_some() {
        let m = g.minute;
        text.push_str(&format!(
            " · refused {} of {} calls in the last minute",
            m.rejected,
            m.calls + m.rejected
        ));
    }
    text.push_str(" · last error: ");
    text.push_str(&last_error(s, g.gateway));
    text.push_str(&format!(" · {} calls in window", g.window_calls));
    Line::from(Span::styled(text, theme.dim()))
}

fn last_error(s: &Snapshot, gateway: GatewayId) -> String {
    match s.last_error(gateway) {
        Some(e) => format!("{} ago: {}", age(s.health.at, e.at), one_line(&e.message)),
        None => "-".into(),
    }
}
