use super::*;

#[test]
fn the_command_tree_is_consistent() {
    use clap::CommandFactory as _;
    super::super::Cli::command().debug_assert();
}

#[test]
fn flags_must_fit_the_mode() {
    assert_eq!(
        build_mode(ModeName::Up, None, None, None).unwrap(),
        FaultMode::Up
    );
    assert_eq!(
        build_mode(ModeName::Flaky, None, Some(0.5), None).unwrap(),
        FaultMode::Flaky {
            error_rate: 0.5,
            status: 503
        }
    );
    for (mode, latency, rate, status, wants) in [
        (
            ModeName::Up,
            None,
            None,
            Some(500),
            "--status does not apply to mode up",
        ),
        (ModeName::Down, Some(5), None, None, "--latency"),
        (ModeName::Slow, None, None, None, "needs --latency"),
        (ModeName::Lost, None, None, None, "needs --latency"),
        (
            ModeName::Lost,
            Some(5),
            None,
            Some(500),
            "--status does not apply",
        ),
        (ModeName::Flaky, None, None, Some(500), "needs --error-rate"),
        (ModeName::Flaky, None, Some(2.0), None, "between 0 and 1"),
        (ModeName::Down, None, None, Some(42), "status 42"),
    ] {
        let err = build_mode(mode, latency, rate, status).unwrap_err();
        assert_eq!(err.exit, Exit::Usage);
        assert!(err.message.contains(wants), "{}", err.message);
    }
}

#[test]
fn a_scoped_mode_says_so() {
    let only: RequestScope = "POST /v3/payments".parse().unwrap();
    assert_eq!(
        describe(&FaultMode::Lost { latency_ms: 30_000 }, Some(&only)),
        "lost (done, answered +30000 ms) for POST /v3/payments only"
    );
    assert_eq!(describe(&FaultMode::Up, None), "up");
}

#[test]
fn charges_of_every_shape_make_rows_with_amounts_in_major_units() {
    let stripe =
        serde_json::json!({"id":"pi_1","status":"requires_action","amount":1990,"currency":"usd"});
    let efi = serde_json::json!({"txid":"tx1","status":"ATIVA","valor":{"original":"19.90"}});
    let asaas = serde_json::json!({"id":"pay_1","status":"PENDING","value":19.9});
    assert_eq!(
        charge_row("stripe", &stripe),
        ["stripe", "pi_1", "requires_action", "19.90 USD"]
    );
    assert_eq!(
        charge_row("efi", &efi),
        ["efi", "tx1", "ATIVA", "19.90 BRL"]
    );
    assert_eq!(
        charge_row("asaas", &asaas),
        ["asaas", "pay_1", "PENDING", "19.90 BRL"]
    );
    let session = serde_json::json!({"id":"cs_test_1","object":"checkout.session",
        "status":"open","amount_total":4590,"currency":"brl"});
    assert_eq!(
        charge_row("stripe", &session),
        ["stripe", "cs_test_1", "open", "45.90 BRL"]
    );
    // A shape it does not know: the raw value rather than nothing.
    let odd = serde_json::json!({"id":"x","status":"?","amount":1990});
    assert_eq!(charge_row("stripe", &odd)[3], "1990");
    assert_eq!(segment("a b/c"), "a%20b%2Fc");
}
