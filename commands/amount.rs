//! `payorch amount 10,50 --currency BRL`: turns an amount as people write it into the minor
//! units the API takes, with the same parser `charge create --amount` uses; and [`major`], the
//! one way the CLI writes an amount for people (major units with the currency; `-o json` keeps
//! minor units).

use clap::Args;

use payorch::model::{Currency, Money};

use super::{CliError, Ctx, Exit};

#[derive(Debug, Args)]
pub struct AmountArgs {
    /// The amount: `10.50`, `10,50`, `1050` (major units), or minor units with --minor
    #[arg(allow_hyphen_values = true)]
    pub amount: String,
    /// ISO 4217 currency: BRL, USD, EUR, JPY, …
    #[arg(long, short, default_value = "BRL", value_parser = |s: &str| Currency::parse(s).map_err(|e| e.to_string()))]
    pub currency: Currency,
    /// AMOUNT is already in minor units (cents)
    #[arg(long)]
    pub minor: bool,
}

/// Parses `--amount` the one way every command does, naming the flag on failure.
pub fn parse_amount(
    flag: &str,
    input: &str,
    currency: Currency,
    minor: bool,
) -> Result<Money, CliError> {
    let parsed = if minor {
        Money::parse_minor(input, currency)
    } else {
        Money::parse_major(input, currency)
    };
    parsed.map_err(|e| CliError::new(Exit::Usage, format!("{flag}: {e}")))
}

/// `minor` units of `currency` as an operator reads them: `45.00 BRL`, `0.00 BRL`, `1990 JPY`.
pub fn major(minor: i64, currency: Currency) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    match Money::from_minor(minor.saturating_abs(), currency) {
        Ok(money) => format!("{sign}{money}"),
        // Zero, the one amount `Money` refuses.
        Err(_) => match currency.exponent() {
            0 => format!("0 {currency}"),
            e => format!("0.{} {currency}", "0".repeat(e as usize)),
        },
    }
}

pub fn run(ctx: &Ctx, args: AmountArgs) -> anyhow::Result<()> {
    let money = parse_amount("AMOUNT", &args.amount, args.currency, args.minor)?;
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "amount": money.minor(),
            "currency": money.currency(),
            "decimal": money.to_decimal_string(),
            "exponent": money.currency().exponent(),
        }))?;
    } else {
        ctx.out.fields(&[
            ("amount", money.minor().to_string()),
            ("currency", money.currency().to_string()),
            ("decimal", money.to_decimal_string()),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_writes_every_amount_with_its_currency() {
        assert_eq!(major(4500, Currency::Brl), "45.00 BRL");
        assert_eq!(major(5, Currency::Usd), "0.05 USD");
        assert_eq!(major(0, Currency::Brl), "0.00 BRL");
        assert_eq!(major(0, Currency::Jpy), "0 JPY");
        assert_eq!(major(1990, Currency::Jpy), "1990 JPY");
        assert_eq!(major(-250, Currency::Eur), "-2.50 EUR");
    }
}
