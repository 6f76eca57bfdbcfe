//! The costs panel (`$`, in place of the feeds): the tenant's volume and fees per gateway today
//! and this month so far, the effective rate (fees / volume), and what failing over cost: fees
//! paid on a fallback above what the first gateway tried would have charged (its `[fees]`
//! estimate). The sums are `report costs --by gateway`'s, defined in `payorch::store::costs`;
//! money is never added across currencies, so each currency has its own rows and lines.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use payorch::clock::Timestamp;
use payorch::model::{Currency, GatewayId};
use payorch::store::{CostKey, CostRow};

use super::{Theme, WIDE, clock_time};
use crate::commands::amount::major;
use crate::commands::report::{offset_text, rate};
use crate::tui::state::{App, Costs};

pub(super) fn draw_costs(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let costs = app.costs.as_ref().filter(|c| c.tenant == app.tenant);
    let title = match costs {
        Some(c) => {
            let date = |t: Timestamp| t.to_offset_date_time().to_offset(c.offset).date();
            if area.width >= WIDE {
                format!(
                    " Costs: today {} and this month from {}, days at UTC{}, read {} ",
                    date(c.today_from),
                    date(c.month_from),
                    offset_text(c.offset),
                    clock_time(c.at)
                )
            } else {
                format!(
                    " Costs: today and this month from {} (UTC{}) ",
                    date(c.month_from),
                    offset_text(c.offset)
                )
            }
        }
        None => " Costs ".to_string(),
    };
    let lines = match costs {
        Some(c) => cost_lines(c, theme, area.width >= WIDE),
        None => vec![Line::styled(
            format!("Reading the costs of tenant `{}`…", app.tenant),
            theme.dim(),
        )],
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title)),
        area,
    );
}

/// One gateway's (or the total's) cells: today's and the month's sums in one currency.
struct Cells {
    name: String,
    today: Option<CostRow>,
    month: Option<CostRow>,
}

fn cost_lines(c: &Costs, theme: Theme, wide: bool) -> Vec<Line<'static>> {
    let currencies: BTreeSet<Currency> = c.month.iter().map(|r| r.currency).collect();
    if c.month.iter().all(|r| r.volume == 0 && r.fees == 0) {
        return vec![Line::styled("No paid charges this month yet.", theme.dim())];
    }
    let mut header = format!(" {:<8}{:>15}{:>13}", "GATEWAY", "TODAY VOLUME", "FEES");
    if wide {
        header.push_str(&format!("{:>7}", "RATE"));
    }
    header.push_str(&format!(
        "{:>17}{:>13}{:>7}",
        "MONTH VOLUME", "FEES", "RATE"
    ));
    if wide {
        header.push_str(&format!("{:>13}", "FAILOVER+"));
    }
    let mut lines = vec![Line::styled(header, theme.bold())];
    for currency in &currencies {
        let find = |rows: &[CostRow], g: GatewayId| {
            rows.iter()
                .find(|r| r.currency == *currency && r.key == CostKey::Gateway(Some(g)))
                .cloned()
        };
        let mut shown = Vec::new();
        for g in GatewayId::ALL {
            let month = find(&c.month, g);
            if month.as_ref().is_none_or(|r| r.volume == 0 && r.fees == 0) {
                continue;
            }
            shown.push(Cells {
                name: g.as_str().to_string(),
                today: find(&c.today, g),
                month,
            });
        }
        if shown.len() > 1 {
            let total = |rows: &[CostRow]| sum(rows.iter().filter(|r| r.currency == *currency));
            shown.push(Cells {
                name: "total".into(),
                today: total(&c.today),
                month: total(&c.month),
            });
        }
        for cells in &shown {
            lines.push(row_line(cells, *currency, theme, wide));
        }
    }
    lines.push(Line::from(""));
    for currency in &currencies {
        let Some(month) = sum(c.month.iter().filter(|r| r.currency == *currency)) else {
            continue;
        };
        lines.push(failover_line(&month, *currency, theme));
        lines.push(Line::styled(fees_line(&month, *currency), theme.dim()));
    }
    lines
}

fn row_line(cells: &Cells, currency: Currency, theme: Theme, wide: bool) -> Line<'static> {
    let money = |v: Option<i64>| match v {
        Some(v) => major(v, currency),
        None => "-".into(),
    };
    let rate_of = |r: &Option<CostRow>| r.as_ref().map_or_else(|| "-".into(), rate);
    let mut text = format!(
        " {:<8}{:>15}{:>13}",
        cells.name,
        money(cells.today.as_ref().map(|r| r.volume)),
        money(cells.today.as_ref().map(|r| r.fees)),
    );
    if wide {
        text.push_str(&format!("{:>7}", rate_of(&cells.today)));
    }
    text.push_str(&format!(
        "{:>17}{:>13}{:>7}",
        money(cells.month.as_ref().map(|r| r.volume)),
        money(cells.month.as_ref().map(|r| r.fees)),
        rate_of(&cells.month),
    ));
    let mut spans = vec![Span::raw(text)];
    if wide {
        let extra = cells.month.as_ref().map_or(0, |r| r.failover.extra);
        spans.push(Span::styled(
            format!("{:>13}", major(extra, currency)),
            if extra > 0 {
                theme.fg(Color::Yellow)
            } else {
                theme.dim()
            },
        ));
    }
    if cells.name == "total" {
        Line::from(spans).style(theme.bold())
    } else {
        Line::from(spans)
    }
}

/// The month's failover in words: how many charges ended on a fallback and what that cost.
fn failover_line(month: &CostRow, currency: Currency, theme: Theme) -> Line<'static> {
    let f = &month.failover;
    if f.charges == 0 {
        return Line::from(format!(
            " Failover this month ({currency}): none; every paid charge was held by the first \
             gateway tried."
        ));
    }
    let unpriced = if f.unpriced > 0 {
        format!(
            " ({} without a fee or a rate to compare, left out)",
            f.unpriced
        )
    } else {
        String::new()
    };
    Line::from(vec![
        Span::raw(format!(
            " Failover this month ({currency}): {} charge(s) paid on a fallback, {} in fees where \
             the first gateway tried would have charged {}: ",
            f.charges,
            major(f.fees, currency),
            major(f.primary_fees, currency),
        )),
        Span::styled(
            format!("{} more", major(f.extra, currency)),
            if f.extra > 0 {
                theme.fg(Color::Yellow)
            } else {
                theme.fg(Color::Green)
            },
        ),
        Span::raw(format!("{unpriced}.")),
    ])
}

/// Where the month's fees come from: the gateways' own figures or the `[fees]` estimate.
fn fees_line(month: &CostRow, currency: Currency) -> String {
    let unpriced = if month.unpriced > 0 {
        format!("; {} paid charge(s) without a fee", month.unpriced)
    } else {
        String::new()
    };
    format!(
        " Fees this month ({currency}): {} reported by the gateways, {} estimated from [fees]{unpriced}.",
        major(month.fees_gateway, currency),
        major(month.fees_estimated, currency),
    )
}

/// The rows added up, as one row (its key is the first's); `None` for no rows. The caller
/// passes rows of one currency.
fn sum<'a>(rows: impl Iterator<Item = &'a CostRow>) -> Option<CostRow> {
    rows.fold(None, |total: Option<CostRow>, r| match total {
        None => Some(r.clone()),
        Some(mut t) => {
            t.absorb(r);
            Some(t)
        }
    })
}
