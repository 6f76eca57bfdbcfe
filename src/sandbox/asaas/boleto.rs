//! Boleto lines for the Asaas fake: a digitable line (47 digits) and barcode (44) from Asaas's
//! bank with valid check digits (FEBRABAN layout: mod 10 per field, mod 11 for the barcode).

use time::Date;
use time::macros::format_description;

/// Asaas's bank code (Asaas IP S.A.).
const BANK: &str = "461";

/// The digitable line (47 digits) and barcode (44) of a boleto from Asaas's bank, with valid
/// check digits: mod 10 per field, mod 11 for the barcode.
pub(super) fn boleto_line(number: u64, value: i64, due_date: &str) -> (String, String) {
    let factor = due_factor(due_date);
    let value = format!("{:010}", value.rem_euclid(10_000_000_000));
    let free = format!("{:025}", u128::from(number) * 7919 + 1_100_000_000_000);
    let without_dv = format!("{BANK}9{factor}{value}{free}");
    let dv = mod11(&without_dv);
    let barcode = format!("{BANK}9{dv}{factor}{value}{free}");
    let f1 = format!("{BANK}9{}", &free[..5]);
    let f2 = &free[5..15];
    let f3 = &free[15..];
    let line = format!(
        "{f1}{}{f2}{}{f3}{}{dv}{factor}{value}",
        mod10(&f1),
        mod10(f2),
        mod10(f3)
    );
    (line, barcode)
}

/// Days from 1997-10-07 to the due date, restarting at 1000 after 9999 (on 2025-02-22).
fn due_factor(due_date: &str) -> String {
    let format = format_description!("[year]-[month]-[day]");
    let base = Date::from_calendar_date(1997, time::Month::October, 7);
    let days = match (Date::parse(due_date, format), base) {
        (Ok(due), Ok(base)) => (due - base).whole_days(),
        _ => 0,
    };
    let factor = if days >= 10_000 {
        1000 + (days - 10_000) % 9000
    } else {
        days.max(0)
    };
    format!("{factor:04}")
}

fn digits(text: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    text.chars().filter_map(|c| c.to_digit(10))
}

fn mod10(field: &str) -> u32 {
    let sum: u32 = digits(field)
        .rev()
        .zip([2, 1].into_iter().cycle())
        .map(|(d, w)| {
            let p = d * w;
            p / 10 + p % 10
        })
        .sum();
    (10 - sum % 10) % 10
}

fn mod11(barcode: &str) -> u32 {
    let sum: u32 = digits(barcode)
        .rev()
        .zip((2..=9).cycle())
        .map(|(d, w)| d * w)
        .sum();
    match 11 - sum % 11 {
        0 | 10 | 11 => 1,
        dv => dv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boleto_lines_have_valid_check_digits() {
        let (line, barcode) = boleto_line(42, 1990, "2025-03-12");
        assert_eq!(line.len(), 47);
        assert_eq!(barcode.len(), 44);
        assert!(line.chars().all(|c| c.is_ascii_digit()));
        assert!(barcode.starts_with("4619"));
        assert!(line.ends_with("0000001990"));
        // 2025-02-22 restarted the factor at 1000.
        assert_eq!(due_factor("2025-02-22"), "1000");
        assert_eq!(due_factor("2025-02-21"), "9999");
        assert_eq!(&line[33..37], "1018");
        // The barcode's check digit is the one in the line's fourth field.
        assert_eq!(&barcode[4..5], &line[32..33]);
        assert_eq!(
            mod11(&format!("{}{}", &barcode[..4], &barcode[5..])),
            barcode[4..5].parse::<u32>().unwrap()
        );
        // Known mod-10 example from the FEBRABAN layout: 0019050095 → 5.
        assert_eq!(mod10("001905009"), 5);
    }
}
