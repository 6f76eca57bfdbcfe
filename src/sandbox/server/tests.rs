//! The sandbox server against real sockets: listeners, faults, control API, delivery.

use super::*;

fn flaky(rate: f64) -> Fault {
    let fault = Fault::default();
    fault.set(
        FaultMode::Flaky {
            error_rate: rate,
            status: 500,
        },
        None,
    );
    fault
}

fn failures(fault: &Fault, n: usize) -> usize {
    (0..n)
        .filter(|_| matches!(fault.decide("GET", "/"), Action::Fail(500, _)))
        .count()
}

#[test]
fn flaky_fails_exactly_its_share() {
    assert_eq!(failures(&flaky(0.0), 100), 0);
    assert_eq!(failures(&flaky(1.0), 100), 100);
    assert_eq!(failures(&flaky(0.5), 100), 50);
    assert_eq!(failures(&flaky(0.25), 100), 25);
    assert_eq!(failures(&flaky(0.1), 10), 1);
    assert_eq!(failures(&flaky(1.0 / 3.0), 9), 3);
    // Every second request, starting with the second.
    let half = flaky(0.5);
    let pattern: Vec<bool> = (0..4)
        .map(|_| matches!(half.decide("GET", "/"), Action::Fail(..)))
        .collect();
    assert_eq!(pattern, [false, true, false, true]);
}

#[test]
fn a_scoped_fault_hits_only_its_requests() {
    let fault = Fault::default();
    let only: RequestScope = "POST /v3/payments".parse().unwrap();
    fault.set(FaultMode::Lost { latency_ms: 5 }, Some(only));
    assert!(matches!(
        fault.decide("POST", "/v3/payments"),
        Action::Hold(_)
    ));
    for (method, path) in [
        ("GET", "/v3/payments"),
        ("DELETE", "/v3/payments/pay_1"),
        ("POST", "/v3/payments/pay_1/refund"),
        ("POST", "/v3/customers"),
    ] {
        assert!(
            matches!(fault.decide(method, path), Action::Pass),
            "{method} {path}"
        );
    }
    // A prefix; flaky counts only the requests in scope.
    let cob: RequestScope = "put /v2/cob/*".parse().unwrap();
    assert_eq!(cob.to_string(), "PUT /v2/cob/*");
    fault.set(
        FaultMode::Flaky {
            error_rate: 0.5,
            status: 500,
        },
        Some(cob),
    );
    let seen: Vec<bool> = [
        ("PUT", "/v2/cob/a"),
        ("GET", "/v2/cob/a"),
        ("PUT", "/v2/cob/b"),
        ("PATCH", "/v2/cob/b"),
    ]
    .iter()
    .map(|(m, p)| matches!(fault.decide(m, p), Action::Fail(500, _)))
    .collect();
    assert_eq!(seen, [false, false, true, false]);
    // Setting a mode again replaces the scope.
    fault.set(FaultMode::Slow { latency_ms: 5 }, None);
    assert!(matches!(fault.decide("GET", "/v3/x"), Action::Delay(_)));
}

#[test]
fn scopes_parse_strictly() {
    for bad in [
        "",
        "POST",
        "/v3/payments",
        "POST v3/payments",
        "P0ST /v3/payments",
        "POST /v3/*/refund",
        "POST /v3/payments?x=1",
        "POST /v3/pay ments",
    ] {
        let err = bad.parse::<RequestScope>().unwrap_err();
        assert!(err.contains("request scope"), "{bad}: {err}");
    }
    let s: ModeSetting =
        serde_json::from_str(r#"{"mode":"lost","latency_ms":10,"only":"POST /v3/payments"}"#)
            .unwrap();
    assert_eq!(s.mode, FaultMode::Lost { latency_ms: 10 });
    assert_eq!(s.only.unwrap().to_string(), "POST /v3/payments");
    // Without a scope it reads and writes as the bare mode did.
    let s: ModeSetting = serde_json::from_str(r#"{"mode":"up"}"#).unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"mode":"up"}"#);
    let scope = Some("POST /x".parse::<RequestScope>().unwrap());
    assert!(validate_scope(&FaultMode::Down { status: None }, scope.as_ref()).is_err());
    assert!(validate_scope(&FaultMode::Up, scope.as_ref()).is_err());
    assert!(validate_scope(&FaultMode::Down { status: Some(503) }, scope.as_ref()).is_ok());
}

#[test]
fn modes_are_validated() {
    let ok = [
        FaultMode::Up,
        FaultMode::Down { status: None },
        FaultMode::Down { status: Some(500) },
        FaultMode::Slow { latency_ms: 0 },
        FaultMode::Slow {
            latency_ms: MAX_LATENCY_MS,
        },
        FaultMode::Lost {
            latency_ms: MAX_LATENCY_MS,
        },
        FaultMode::Flaky {
            error_rate: 0.0,
            status: 100,
        },
        FaultMode::Flaky {
            error_rate: 1.0,
            status: 599,
        },
    ];
    for mode in ok {
        assert!(validate_mode(&mode).is_ok(), "{mode:?}");
    }
    let bad = [
        FaultMode::Down { status: Some(42) },
        FaultMode::Down { status: Some(600) },
        FaultMode::Slow {
            latency_ms: MAX_LATENCY_MS + 1,
        },
        FaultMode::Lost {
            latency_ms: MAX_LATENCY_MS + 1,
        },
        FaultMode::Flaky {
            error_rate: 2.0,
            status: 500,
        },
        FaultMode::Flaky {
            error_rate: -0.1,
            status: 500,
        },
        FaultMode::Flaky {
            error_rate: f64::NAN,
            status: 500,
        },
        FaultMode::Flaky {
            error_rate: 0.5,
            status: 99,
        },
    ];
    for mode in bad {
        assert!(validate_mode(&mode).is_err(), "{mode:?}");
    }
}

#[test]
fn webhook_urls_must_be_http() {
    assert!(parse_webhook_url("http://127.0.0.1:9/hook").is_ok());
    assert!(parse_webhook_url("https://example.com/w?x=1").is_ok());
    for bad in [
        "ftp://example.com/",
        "not a url",
        "",
        "/relative",
        "mailto:a@b.c",
    ] {
        let err = parse_webhook_url(bad).unwrap_err().to_string();
        assert!(err.contains("is not a webhook URL"), "{bad}: {err}");
    }
}

#[test]
fn queries_are_appended() {
    let u = reqwest::Url::parse("http://h/w").unwrap();
    assert_eq!(with_query(&u, None).as_str(), "http://h/w");
    assert_eq!(with_query(&u, Some("hmac=x")).as_str(), "http://h/w?hmac=x");
    let q = reqwest::Url::parse("http://h/w?a=1").unwrap();
    assert_eq!(
        with_query(&q, Some("hmac=x")).as_str(),
        "http://h/w?a=1&hmac=x"
    );
}

#[test]
fn bound_everywhere_advertises_loopback() {
    assert_eq!(
        advertised_ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    );
    assert_eq!(
        advertised_ip(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    );
    let lan = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    assert_eq!(advertised_ip(lan), lan);
}

/// The info document the sandbox serves is what the gateway registry reads
/// (`gateway::registry::SandboxInfo`, the contract on the gateway side): each fake's own base
/// URL and test credentials, the rest ignored; [`SandboxInfo::for_registry`] says the same.
#[test]
fn the_info_document_reads_as_the_registrys_contract() {
    use crate::gateway::registry::{self, SandboxGateway};
    let credentials: BTreeMap<String, String> =
        [("api_key".to_string(), "sandbox".to_string())].into();
    let info = SandboxInfo {
        control_url: "http://127.0.0.1:4010/_sandbox".into(),
        gateways: [(
            GatewayId::Asaas,
            GatewayInfo {
                base_url: "http://127.0.0.1:4013".into(),
                shared_base_url: "http://127.0.0.1:4010/asaas".into(),
                credentials: credentials.clone(),
                mode: FaultMode::Down { status: None },
                only: None,
                webhook_url: Some("http://127.0.0.1:8080/webhooks/default/asaas".into()),
            },
        )]
        .into(),
    };
    let read: registry::SandboxInfo =
        serde_json::from_value(serde_json::to_value(&info).unwrap()).unwrap();
    assert_eq!(
        read.gateways,
        [(
            GatewayId::Asaas,
            SandboxGateway {
                base_url: "http://127.0.0.1:4013".into(),
                credentials,
            }
        )]
        .into()
    );
    assert_eq!(info.for_registry(), read);
}
