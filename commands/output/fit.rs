//! Fitting a table to [`MAX_TABLE_WIDTH`] columns, so no row wraps on a 120-column terminal:
//! times lose their fractions of a second, then cells are cut with `…`. Which cells give way
//! first is decided by what they hold (free text, other values; never times' seconds or ids);
//! the tables themselves and `-o json` are not this room's.

/// The widest a table may be, so it reads on a 120-column terminal without wrapping.
pub const MAX_TABLE_WIDTH: usize = 120;

/// What a column holds, which decides how it gives way.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Words (a space in some cell): errors, reasons. Cut first, down to 12 characters.
    Prose,
    /// A time (`2026-11-24T04:21:10.621Z`, maybe after a word): loses its fraction of a
    /// second, never more.
    Time,
    /// Anything else (states, amounts, types): down to 8 characters.
    Other,
    /// Ids people copy (`ch_01J…`, `pi_3Q…`), and the first column: never cut. A table of long
    /// ids may stay wider than the limit.
    Kept,
}

/// Fits the table (columns two spaces apart) in `max` characters: first times lose their
/// fractions of a second (`…:10.621Z` reads `…:10Z`), then cells are cut with `…`, column kind
/// by kind ([`Kind`]): the widest free text first, the rightmost other columns first. Headers
/// are never cut.
pub fn fit(headers: &[&str], rows: &mut [Vec<String>], max: usize) {
    let widths_of = |rows: &[Vec<String>]| {
        let mut widths: Vec<usize> = headers.iter().map(|h| len(h)).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(len(cell));
            }
        }
        widths
    };
    let total = |widths: &[usize]| {
        widths
            .iter()
            .map(|w| w + 2)
            .sum::<usize>()
            .saturating_sub(2)
    };
    if total(&widths_of(rows)) <= max {
        return;
    }
    let kinds: Vec<Kind> = (0..headers.len())
        .map(|i| {
            let cells = rows
                .iter()
                .filter_map(move |r| r.get(i).map(String::as_str));
            kind(i, cells.filter(|c| *c != "-"))
        })
        .collect();
    for row in rows.iter_mut() {
        for (cell, k) in row.iter_mut().zip(&kinds) {
            if *k == Kind::Time {
                *cell = whole_seconds(cell);
            }
        }
    }
    let widths = widths_of(rows);
    if total(&widths) <= max {
        return;
    }
    let floors: Vec<usize> = (0..widths.len())
        .map(|i| {
            let floor = match kinds[i] {
                Kind::Prose => 12,
                // Whole seconds are kept.
                Kind::Time => widths[i],
                Kind::Other => 8,
                Kind::Kept => widths[i],
            };
            floor.max(len(headers[i]))
        })
        .collect();
    let mut target = widths.clone();
    for pass in [Kind::Prose, Kind::Other] {
        while total(&target) > max {
            // Free text: the widest gives way. Other columns: the rightmost (tables put what
            // matters most on the left).
            let next = (0..target.len())
                .filter(|&i| kinds[i] == pass && target[i] > floors[i])
                .max_by_key(|&i| {
                    if pass == Kind::Prose {
                        (target[i], i)
                    } else {
                        (i, 0)
                    }
                });
            match next {
                Some(i) => target[i] -= 1,
                None => break,
            }
        }
    }
    for row in rows.iter_mut() {
        for (cell, &w) in row.iter_mut().zip(&target) {
            if len(cell) > w {
                *cell = cell
                    .chars()
                    .take(w.saturating_sub(1))
                    .chain(['…'])
                    .collect();
            }
        }
    }
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// The kind of column `i`, from its cells (`-` left out).
fn kind<'a>(i: usize, mut cells: impl Iterator<Item = &'a str> + Clone) -> Kind {
    if i == 0 || cells.clone().all(is_id) {
        Kind::Kept
    } else if cells.clone().any(|c| seconds_end(c).is_some()) {
        Kind::Time
    } else if cells.any(|c| c.contains(' ')) {
        Kind::Prose
    } else {
        Kind::Other
    }
}

/// `cell` with the fraction of a second of its leading time dropped:
/// `until 2026-11-24T04:21:10.621Z` becomes `until 2026-11-24T04:21:10Z`.
fn whole_seconds(cell: &str) -> String {
    let Some(end) = seconds_end(cell) else {
        return cell.to_string();
    };
    let chars: Vec<char> = cell.chars().collect();
    let digits = chars[end..]
        .iter()
        .skip(1)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if chars.get(end) != Some(&'.') || digits == 0 {
        return cell.to_string();
    }
    chars[..end]
        .iter()
        .chain(&chars[end + 1 + digits..])
        .collect()
}

/// An id people copy from a table: a short lower-case prefix, `_`, and a long alphanumeric
/// rest (`ch_01JD…`, `evt_…`, `key_…`, `pi_3Q…`).
fn is_id(cell: &str) -> bool {
    cell.split_once('_').is_some_and(|(prefix, rest)| {
        (1..=5).contains(&prefix.len())
            && prefix.chars().all(|c| c.is_ascii_lowercase())
            && rest.len() >= 16
            && rest.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Where the seconds end (in characters) of an RFC 3339 time that `cell` starts with, maybe
/// after a short word: `until 2026-11-24T04:21:10.621Z` gives 25. A time later in a sentence
/// does not make the cell a time.
fn seconds_end(cell: &str) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let chars: Vec<char> = cell.chars().collect();
    (0..chars.len().saturating_sub(SHAPE.len() - 1).min(7)).find_map(|start| {
        let fits = SHAPE.iter().zip(&chars[start..]).all(|(&s, &c)| match s {
            b'd' => c.is_ascii_digit(),
            s => c == char::from(s),
        });
        fits.then_some(start + SHAPE.len())
    })
}

#[cfg(test)]
mod tests {
    use super::super::make_table;
    use super::*;

    fn width(table: &comfy_table::Table) -> usize {
        table
            .to_string()
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn long_free_text_is_cut_first_and_ids_are_kept_whole() {
        let id = "key_01M9175DDJPEQGBV913Y408ERE".to_string();
        let reason = "stripe secret_key is not set for tenant `default`: run `payorch gateway \
                      credentials set stripe --tenant default`, or set PAYORCH_STRIPE_SECRET_KEY"
            .to_string();
        let rows = vec![vec![id.clone(), "available".into(), reason.clone()]];
        let table = make_table(&["ID", "STATUS", "REASON"], rows);
        let text = table.to_string();
        assert!(width(&table) <= MAX_TABLE_WIDTH, "{text}");
        assert!(text.contains(&id), "{text}");
        assert!(text.contains("stripe secret_key is not set"), "{text}");
        assert!(text.contains('…'), "{text}");
        assert!(!text.contains("PAYORCH_STRIPE_SECRET_KEY"), "{text}");
    }

    #[test]
    fn a_table_that_fits_is_left_alone() {
        let rows = vec![vec!["efi".to_string(), "a short reason".to_string()]];
        let text = make_table(&["GATEWAY", "REASON"], rows).to_string();
        assert!(
            text.contains("a short reason") && !text.contains('…'),
            "{text}"
        );
    }

    #[test]
    fn ids_are_never_cut_and_times_keep_their_seconds() {
        let rows = vec![vec![
            "evt_01M9181J5CDS9ED98ZECBKPMSE".to_string(),
            "charge.requires_action".to_string(),
            "ch_01M9181FNSVAX6ET0SXHZSR3E2".to_string(),
            "requires_action".to_string(),
            "2026-12-04T19:21:05.123Z".to_string(),
        ]];
        let table = make_table(&["ID", "TYPE", "CHARGE", "STATUS", "CREATED"], rows);
        let text = table.to_string();
        assert!(width(&table) <= MAX_TABLE_WIDTH, "{text}");
        assert!(text.contains("ch_01M9181FNSVAX6ET0SXHZSR3E2"), "{text}");
        assert!(
            text.contains("2026-12-04T19:21:05Z"),
            "whole seconds: {text}"
        );
        assert!(
            text.contains("charge.requires_action"),
            "the type is left whole: {text}"
        );
        assert!(is_id("pi_3QxYzAbCdEfGhIjKlMnOp") && !is_id("charge.succeeded"));
        assert!(!is_id("secret_key") && !is_id("-"));
        assert_eq!(seconds_end("until 2026-11-24T04:21:10.621Z"), Some(25));
        assert_eq!(seconds_end("2026-11-24"), None);
        assert_eq!(seconds_end("refused (2026-11-24T04:21:10.621Z)"), None);
        assert_eq!(
            whole_seconds("until 2026-11-24T04:21:10.621Z"),
            "until 2026-11-24T04:21:10Z"
        );
        assert_eq!(
            whole_seconds("2026-11-24T04:21:10Z"),
            "2026-11-24T04:21:10Z"
        );
    }

    #[test]
    fn many_wide_columns_still_fit() {
        let cell = "x".repeat(60);
        let rows = vec![vec![cell.clone(); 6]];
        let table = make_table(&["A", "B", "C", "D", "E", "F"], rows);
        assert!(width(&table) <= MAX_TABLE_WIDTH, "{table}");
        assert!(
            table.to_string().contains(&cell),
            "the first column is whole"
        );
    }
}
