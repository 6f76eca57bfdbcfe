use super::*;

#[test]
fn statuses_map_in_one_place() {
    use ChargeStatus::*;
    let cases = [
        ("PENDING", false, 0, RequiresAction),
        ("PENDING", true, 0, Canceled),
        ("AWAITING_RISK_ANALYSIS", false, 0, Processing),
        ("AUTHORIZED", false, 0, Processing),
        ("CONFIRMED", false, 0, Succeeded),
        ("RECEIVED", false, 0, Succeeded),
        ("RECEIVED_IN_CASH", false, 0, Succeeded),
        ("RECEIVED", false, 500, PartiallyRefunded),
        ("RECEIVED", false, 1990, Refunded),
        ("REFUND_IN_PROGRESS", false, 0, Succeeded),
        ("CHARGEBACK_DISPUTE", false, 0, Succeeded),
        ("REFUNDED", false, 1990, Refunded),
        ("OVERDUE", false, 0, Canceled),
        ("DUNNING_REQUESTED", false, 0, Canceled),
        ("DUNNING_RECEIVED", false, 0, Succeeded),
        ("SOMETHING_NEW", false, 0, Unknown),
    ];
    for (status, deleted, refunded, expected) in cases {
        assert_eq!(
            charge_status(status, deleted, 1990, refunded),
            expected,
            "{status}"
        );
    }
}

#[test]
fn references_are_checked_before_they_reach_a_path() {
    assert!(check_reference("pay_080225913252").is_ok());
    for bad in ["", "pay_1/../../customers", "pay 1", "pay_1?x=1"] {
        assert_eq!(
            check_reference(bad).unwrap_err().outcome,
            AttemptOutcome::Invalid
        );
    }
}
