//! `payorch report costs|billing` with the real binary on SQLite: the store conformance
//! suite's cost fixtures (`store::conformance::seed_cost_fixtures`, hand-computed sums there)
//! written straight into the data dir, then the table, JSON and CSV outputs checked (tables and
//! CSV as insta snapshots, JSON against the hand sums); charges made through `serve` and the
//! sandbox summed to what the API says they cost; bad input refused with exit 2 or 3 and
//! nothing on stdout.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::fees::{create, pay, start};
use common::Env;
use payorch::store::conformance::{COST_FIXTURE_FEES, seed_cost_fixtures};
use payorch::store::sqlite::SqliteStore;

/// The fixtures' range: the suite's T0 (2027-01-15T08:00Z) and a day after it.
pub const FROM: &str = "2027-01-15T08:00:00Z";
pub const TO: &str = "2027-01-16T08:00:00Z";

/// A data dir holding the fixtures, and a config with their fee schedule.
pub struct Seeded {
    pub env: Env,
    config: PathBuf,
}

impl Seeded {
    pub async fn sqlite() -> Seeded {
        let env = Env::new();
        let config = Seeded::config_in(&env);
        let store = SqliteStore::open(&env.data_dir().join("payorch.db")).expect("open the store");
        seed_cost_fixtures(&store).await;
        Seeded { env, config }
    }

    /// A config file with the fixtures' `[fees]`.
    pub fn config_in(env: &Env) -> PathBuf {
        let config = env.path().join("payorch.toml");
        std::fs::write(&config, COST_FIXTURE_FEES).expect("write the config");
        config
    }

    pub fn with_env(env: Env) -> Seeded {
        let config = Seeded::config_in(&env);
        Seeded { env, config }
    }

    pub fn run(&self, args: &[&str]) -> common::Run {
        let mut cmd = self.env.cmd();
        cmd.arg("--config").arg(&self.config).args(args);
        common::Run(cmd.output().expect("run payorch"))
    }
}

fn costs(s: &Seeded, extra: &[&str]) -> common::Run {
    let mut args = vec!["report", "costs", "--from", FROM, "--to", TO];
    args.extend(extra);
    s.run(&args)
}

/// One row of `report costs -o json` as (key, currency, charges, volume, refunded, fees, net).
fn sums(report: &Value, by: &str) -> Vec<(String, String, i64, i64, i64, i64, i64)> {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_i64().unwrap_or_else(|| panic!("{k} in {r}"));
            (
                r[by].as_str().expect("key").to_string(),
                r["currency"].as_str().expect("currency").to_string(),
                n("charges"),
                n("volume"),
                n("refunded"),
                n("fees"),
                n("net"),
            )
        })
        .collect()
}

fn row(key: &str, cur: &str, sums: [i64; 5]) -> (String, String, i64, i64, i64, i64, i64) {
    let [charges, volume, refunded, fees, net] = sums;
    (key.into(), cur.into(), charges, volume, refunded, fees, net)
}

#[tokio::test]
async fn costs_by_gateway_as_a_table_json_and_csv() {
    let s = Seeded::sqlite().await;
    let table = costs(&s, &["--tenant", "acme"]).ok();
    insta::assert_snapshot!("costs_by_gateway_table", table);

    let json = costs(&s, &["--tenant", "acme", "-o", "json"]).json();
    assert_eq!(json["from"], "2027-01-15T05:00:00-03:00");
    assert_eq!(json["to"], "2027-01-16T05:00:00-03:00");
    assert_eq!(json["utc_offset"], "-03:00");
    assert_eq!(json["tenant"], "acme");
    assert_eq!(json["by"], "gateway");
    assert_eq!(
        sums(&json, "gateway"),
        vec![
            row("none", "BRL", [1, 0, 0, 0, 0]),
            row("stripe", "BRL", [3, 17_000, 0, 1_138, 15_862]),
            row("stripe", "USD", [2, 9_000, 0, 146, 8_854]),
            row("efi", "BRL", [3, 6_000, 1_000, 82, 4_918]),
            row("asaas", "BRL", [2, 21_500, 5_000, 399, 16_101]),
        ]
    );
    let efi = &json["rows"][3];
    assert_eq!(
        efi["by_status"],
        json!({"requires_action": 1, "succeeded": 1, "refunded": 1})
    );
    assert_eq!(
        (efi["fees_gateway"].as_i64(), efi["fees_estimated"].as_i64()),
        (Some(70), Some(12))
    );
    assert_eq!(
        efi["failover"],
        json!({"charges": 1, "fees": 70, "primary_fees": 50, "extra": 20, "unpriced": 0})
    );
    // c9, a link that failed over from Stripe, is unpriced in the store's conformance schedule;
    // the binary's schedule is the built-in one under the config's `[fees]`, and its built-in
    // Stripe link rate (3.99 % + 0.39 on 15.00 = 0.60 + 0.39) prices it at the 0.99 it paid.
    assert_eq!(
        json["rows"][4]["failover"],
        json!({"charges": 2, "fees": 399, "primary_fees": 936, "extra": 0, "unpriced": 0})
    );
    assert_eq!(json["rows"][1]["effective_rate_ppm"], 66_941);
    assert_eq!(json["rows"][0]["effective_rate_ppm"], Value::Null);

    let csv = costs(&s, &["--tenant", "acme", "-o", "csv"]).ok();
    insta::assert_snapshot!("costs_by_gateway_csv", csv);
}

#[tokio::test]
async fn costs_by_method_day_and_tenant() {
    let s = Seeded::sqlite().await;
    insta::assert_snapshot!(
        "costs_by_method_table",
        costs(&s, &["--tenant", "acme", "--by", "method"]).ok()
    );
    // São Paulo's days by default; UTC's moves c2 (T0 + 17 h) to the 16th.
    let days = costs(&s, &["--tenant", "acme", "--by", "day", "-o", "json"]).json();
    assert_eq!(
        sums(&days, "day"),
        vec![
            row("2027-01-15", "BRL", [8, 24_500, 1_000, 1_319, 22_181]),
            row("2027-01-15", "USD", [1, 5_000, 0, 0, 5_000]),
            row("2027-01-16", "BRL", [1, 20_000, 5_000, 300, 14_700]),
            row("2027-01-16", "USD", [1, 4_000, 0, 146, 3_854]),
        ]
    );
    let utc = costs(
        &s,
        &[
            "--tenant",
            "acme",
            "--by",
            "day",
            "--utc-offset",
            "+00:00",
            "-o",
            "json",
        ],
    )
    .json();
    let volumes: Vec<(String, i64)> = sums(&utc, "day")
        .into_iter()
        .map(|r| (format!("{} {}", r.0, r.1), r.3))
        .collect();
    assert_eq!(
        volumes,
        vec![
            ("2027-01-15 BRL".into(), 19_500),
            ("2027-01-15 USD".into(), 5_000),
            ("2027-01-16 BRL".into(), 25_000),
            ("2027-01-16 USD".into(), 4_000),
        ]
    );
    // Without --tenant: every listed tenant (not the unlisted `ghost`).
    let tenants = costs(&s, &["--by", "tenant", "-o", "json"]).json();
    assert_eq!(tenants["tenant"], Value::Null);
    assert_eq!(
        sums(&tenants, "tenant"),
        vec![
            row("acme", "BRL", [9, 44_500, 6_000, 1_619, 36_881]),
            row("acme", "USD", [2, 9_000, 0, 146, 8_854]),
            row("other", "BRL", [1, 9_900, 0, 100, 9_800]),
        ]
    );
    insta::assert_snapshot!("costs_by_tenant_table", costs(&s, &["--by", "tenant"]).ok());
    // Dates are whole days at the offset: the 15th and the 16th in São Paulo hold the two
    // fixtures just outside the cases' range too (T0 − 1 ms and T0 + 1 day).
    let whole = s
        .run(&[
            "report",
            "costs",
            "--tenant",
            "acme",
            "--by",
            "tenant",
            "--from",
            "2027-01-15",
            "--to",
            "2027-01-16",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(whole["from"], "2027-01-15T00:00:00-03:00");
    assert_eq!(whole["to"], "2027-01-17T00:00:00-03:00");
    assert_eq!(
        sums(&whole, "tenant"),
        vec![
            row("acme", "BRL", [11, 214_500, 6_000, 1_621, 206_879]),
            row("acme", "USD", [2, 9_000, 0, 146, 8_854]),
        ]
    );
}

#[tokio::test]
async fn billing_has_a_section_per_tenant() {
    let s = Seeded::sqlite().await;
    // January 2027 in São Paulo holds every fixture, the two outside the cases' day too.
    let table = s.run(&["report", "billing", "--month", "2027-01"]).ok();
    insta::assert_snapshot!("billing_table", table);
    let csv = s
        .run(&["report", "billing", "--month", "2027-01", "-o", "csv"])
        .ok();
    insta::assert_snapshot!("billing_csv", csv);

    let json = s
        .run(&["report", "billing", "--month", "2027-01", "-o", "json"])
        .json();
    assert_eq!(json["month"], "2027-01");
    assert_eq!(json["from"], "2027-01-01T00:00:00-03:00");
    assert_eq!(json["to"], "2027-02-01T00:00:00-03:00");
    let tenants: Vec<&str> = json["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["acme", "default", "other"]);
    let acme = &json["tenants"][0]["totals"];
    assert_eq!(acme[0]["currency"], "BRL");
    assert_eq!(
        [
            &acme[0]["charges"],
            &acme[0]["volume"],
            &acme[0]["refunded"],
            &acme[0]["fees"],
            &acme[0]["net"]
        ],
        [
            &json!(11),
            &json!(214_500),
            &json!(6_000),
            &json!(1_621),
            &json!(206_879)
        ]
    );
    assert_eq!(
        acme[0]["by_status"],
        json!({"pending": 1, "requires_action": 1, "succeeded": 6, "failed": 1,
               "refunded": 1, "partially_refunded": 1})
    );
    assert_eq!(json["tenants"][1]["totals"], json!([]));

    let one = s
        .run(&[
            "report", "billing", "--month", "2027-01", "--tenant", "other", "-o", "json",
        ])
        .json();
    assert_eq!(one["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(one["tenants"][0]["name"], "Other, \"O\" Ltda");
    assert_eq!(one["tenants"][0]["totals"][0]["net"], 9_800);

    // February: nothing yet, a section per tenant all the same.
    let feb = s.run(&["report", "billing", "--month", "2027-02"]).ok();
    assert_eq!(feb.matches("no charges").count(), 3, "{feb}");
}

#[tokio::test]
async fn bad_input_names_the_flag_and_prints_nothing() {
    let s = Seeded::sqlite().await;
    for (args, code, says) in [
        (
            vec!["report", "billing", "--month", "2027-13"],
            2,
            "--month",
        ),
        (
            vec!["report", "billing", "--month", "01-2027"],
            2,
            "--month",
        ),
        (vec!["report", "billing"], 2, "--month"),
        (
            vec![
                "report",
                "costs",
                "--from",
                "2027-01-16",
                "--to",
                "2027-01-15",
            ],
            2,
            "--from",
        ),
        (
            vec!["report", "costs", "--from", FROM, "--to", FROM],
            2,
            "--from",
        ),
        (vec!["report", "costs", "--from", "yesterday"], 2, "--from"),
        (vec!["report", "costs", "--to", "2027-02-30"], 2, "--to"),
        (vec!["report", "costs", "--by", "currency"], 2, "--by"),
        (
            vec!["report", "costs", "--utc-offset", "-3"],
            2,
            "--utc-offset",
        ),
        (vec!["report", "costs", "--tenant", "nobody"], 3, "--tenant"),
        (
            vec![
                "report", "billing", "--month", "2027-01", "--tenant", "nobody",
            ],
            3,
            "nobody",
        ),
        (vec!["tenant", "list", "-o", "csv"], 2, "-o csv"),
    ] {
        let run = s.run(&args);
        let err = run.fails(code);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(run.stdout(), "", "{args:?}");
    }
}

/// The default range is this month so far: a fresh data dir has nothing in it.
#[test]
fn an_empty_month_says_so() {
    let s = Seeded::with_env(Env::new());
    let out = s.run(&["report", "costs"]).ok();
    assert!(out.contains("No charges in this range."), "{out}");
    let json = s.run(&["report", "costs", "-o", "json"]).json();
    assert_eq!(json["rows"], json!([]));
    let csv = s.run(&["report", "costs", "-o", "csv", "--by", "day"]).ok();
    assert!(csv.starts_with("day,currency,charges,pending,"), "{csv}");
    assert_eq!(csv.lines().count(), 1, "{csv}");
}

const BOUND: Duration = Duration::from_secs(60);

/// Charges made through `serve` and the sandbox: the report adds up exactly what the API says
/// each charge is and cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charges_made_through_serve_add_up_to_what_the_api_says() {
    let stack = start("");
    let mut made = Vec::new();
    for (gateway, method, amount) in [
        ("stripe", "card", 10_000),
        ("stripe", "card", 2_590),
        ("efi", "pix", 5_000),
        ("asaas", "pix", 1_990),
        ("efi", "pix", 700),
    ] {
        made.push(create(&stack, gateway, method, amount).await);
    }
    // Pay two of the three Pix charges (the last stays waiting for its payer).
    for charge in &mut made[2..4] {
        *charge = pay(&stack, charge).await;
    }
    // Refund part of the first card charge.
    let id = made[0]["id"].as_str().unwrap().to_string();
    let (status, _) = stack
        .api()
        .post(
            &format!("/v1/charges/{id}/refunds"),
            &format!("refund-{}", payorch::id::new_ulid()),
            &json!({"amount": 2_500}),
            BOUND,
        )
        .await
        .expect("refund");
    assert_eq!(status, 200);
    stack.charge_when(&id, "partially_refunded", BOUND).await;
    let mut now = Vec::new();
    for c in &made {
        let (_, c) = stack
            .api()
            .get_charge(c["id"].as_str().unwrap())
            .await
            .expect("GET charge");
        now.push(c);
    }

    let report: Value = serde_json::from_str(&stack.cli(&[
        "report",
        "costs",
        "--by",
        "gateway",
        "--from",
        "2000-01-01",
        "-o",
        "json",
    ]))
    .expect("JSON");
    for gateway in ["stripe", "efi", "asaas"] {
        let mine: Vec<&Value> = now.iter().filter(|c| c["gateway"] == gateway).collect();
        let paid: Vec<&&Value> = mine
            .iter()
            .filter(|c| {
                ["succeeded", "partially_refunded", "refunded"]
                    .contains(&c["status"].as_str().unwrap())
            })
            .collect();
        let volume: i64 = paid.iter().map(|c| c["amount"].as_i64().unwrap()).sum();
        let refunded: i64 = paid
            .iter()
            .map(|c| c["amount_refunded"].as_i64().unwrap())
            .sum();
        let fees: i64 = paid
            .iter()
            .map(|c| {
                c["fee"]["amount"]
                    .as_i64()
                    .expect("a paid charge has a fee")
            })
            .sum();
        let row = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["gateway"] == gateway)
            .unwrap_or_else(|| panic!("{gateway} in {report:#}"));
        assert_eq!(row["charges"], mine.len(), "{gateway}: {report:#}");
        assert_eq!(
            (
                row["volume"].as_i64(),
                row["refunded"].as_i64(),
                row["fees"].as_i64()
            ),
            (Some(volume), Some(refunded), Some(fees)),
            "{gateway}: {report:#}"
        );
        assert_eq!(row["net"].as_i64(), Some(volume - refunded - fees));
        assert!(volume > 0 && fees > 0, "{gateway}: {report:#}");
    }
    assert_eq!(report["rows"].as_array().unwrap().len(), 3, "{report:#}");
}
