//! Precedence, every source's error naming its file/line/key or variable, and the commented
//! default file `payorch init` writes.

use super::*;

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join(FILE_NAME);
    std::fs::write(&p, text).unwrap();
    p
}

fn load(text: Option<&str>, env: &dyn Env) -> Result<Loaded, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        config_file: text.map(|t| write(dir.path(), t)),
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    Config::load(&overrides, env)
}

#[test]
fn defaults_without_a_file() {
    let l = load(None, &[("HOME", "/home/x")]).unwrap();
    assert!(l.file.is_none());
    assert_eq!(l.config.server.bind, "127.0.0.1:8080");
    assert_eq!(l.config.tenant.as_str(), "default");
}

#[test]
fn the_init_template_is_valid_and_all_defaults() {
    let l = load(Some(DEFAULT_CONFIG_TOML), &[("HOME", "/h")]).unwrap();
    let expected = Config {
        data_dir: l.config.data_dir.clone(),
        ..Config::default()
    };
    assert_eq!(l.config, expected);
    // Uncommenting every setting still parses.
    let uncommented: String = DEFAULT_CONFIG_TOML
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") => rest.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    load(Some(&uncommented), &[("HOME", "/h")]).unwrap();
}

#[test]
fn file_then_env_then_flags() {
    let file = "tenant = \"acme\"\n[server]\nbind = \"0.0.0.0:9000\"\nbody_limit = 2048\n";
    let l = load(Some(file), &[("PAYORCH_SERVER_BODY_LIMIT", "4096")]).unwrap();
    assert_eq!(l.config.tenant.as_str(), "acme");
    assert_eq!(l.config.server.bind, "0.0.0.0:9000");
    assert_eq!(l.config.server.body_limit, 4096);
    assert_eq!(l.env_overrides, vec!["PAYORCH_SERVER_BODY_LIMIT"]);

    let dir = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        config_file: Some(write(dir.path(), file)),
        data_dir: Some(dir.path().join("flag-data")),
        tenant: Some(TenantId::parse("flagged").unwrap()),
        ..Default::default()
    };
    let l = Config::load(
        &overrides,
        &[("PAYORCH_TENANT", "from-env"), ("PAYORCH_DATA_DIR", "/env")],
    )
    .unwrap();
    assert_eq!(l.config.tenant.as_str(), "flagged");
    assert_eq!(l.config.data_dir(), dir.path().join("flag-data"));
    assert_eq!(
        l.config.sqlite_path(),
        dir.path().join("flag-data").join("payorch.db")
    );
}

#[test]
fn xdg_dirs() {
    let env = [
        ("XDG_DATA_HOME", "/xdg/data"),
        ("XDG_CONFIG_HOME", "relative"),
        ("HOME", "/home/u"),
    ];
    assert_eq!(
        default_data_dir(&env).unwrap(),
        PathBuf::from("/xdg/data/payorch")
    );
    assert_eq!(
        default_config_file(&env).unwrap(),
        PathBuf::from("/home/u/.config/payorch/payorch.toml")
    );
    let none: [(&str, &str); 0] = [];
    assert!(default_data_dir(&none).is_none());
    let err = Config::load(&Overrides::default(), &none).unwrap_err();
    assert!(err.to_string().contains("--data-dir"), "{err}");
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let err = load(
        Some("# comment\n[server]\nbind = \"127.0.0.1:1\"\nbindd = \"x\"\n"),
        &[],
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("line 4"), "{msg}");
    assert!(msg.contains("`server.bindd`"), "{msg}");
    assert!(msg.contains(FILE_NAME), "{msg}");
}

#[test]
fn wrong_type_names_the_key() {
    let err = load(Some("[server]\nbody_limit = \"big\"\n"), &[]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("line 2") && msg.contains("server.body_limit"),
        "{msg}"
    );
}

#[test]
fn broken_toml_names_the_line() {
    let err = load(Some("[server\nbind = 1\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn bad_values_are_refused_with_their_origin() {
    let err = load(Some("[server]\nbind = \"localhost\"\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("server.bind"), "{err}");
    assert!(err.to_string().contains("config file"), "{err}");

    let err = load(None, &[("PAYORCH_SERVER_BIND", "nope")]).unwrap_err();
    assert!(err.to_string().contains("PAYORCH_SERVER_BIND"), "{err}");

    let err = load(None, &[("PAYORCH_SERVER_BODY_LIMIT", "lots")]).unwrap_err();
    assert!(
        err.to_string().contains("PAYORCH_SERVER_BODY_LIMIT"),
        "{err}"
    );

    let err = load(None, &[("PAYORCH_IDEMPOTENCY_TTL", "1h")]).unwrap_err();
    assert!(err.to_string().contains("24h"), "{err}");

    let err = load(None, &[("PAYORCH_LOG_LEVEL", "loud")]).unwrap_err();
    assert!(err.to_string().contains("log.level"), "{err}");

    let err = load(None, &[("PAYORCH_TENANT", "Not Valid")]).unwrap_err();
    assert!(
        err.to_string().contains("PAYORCH_TENANT") || err.to_string().contains("tenant"),
        "{err}"
    );
}

#[test]
fn routing_from_file_and_env_is_checked_and_names_the_key() {
    let l = load(None, &[]).unwrap();
    assert_eq!(l.config.routing.primary, GatewayId::Stripe);
    assert_eq!(
        l.config.routing.fallbacks,
        [GatewayId::Efi, GatewayId::Asaas]
    );
    let l = load(
        Some("[routing]\nprimary = \"asaas\"\nfallbacks = [\"stripe\"]\n"),
        &[
            ("PAYORCH_ROUTING_PRIMARY", "efi"),
            ("PAYORCH_ROUTING_FALLBACKS", " asaas , stripe "),
        ],
    )
    .unwrap();
    assert_eq!(
        l.config.routing.table().unwrap(),
        RoutingTable::new(GatewayId::Efi, vec![GatewayId::Asaas, GatewayId::Stripe]).unwrap()
    );

    let err = load(None, &[("PAYORCH_ROUTING_PRIMARY", "paypal")]).unwrap_err();
    assert!(err.to_string().contains("PAYORCH_ROUTING_PRIMARY"), "{err}");
    assert!(err.to_string().contains("paypal"), "{err}");
    let err = load(Some("[routing]\nfallbacks = [\"efi\", \"efi\"]\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("`routing.fallbacks`"), "{err}");
    assert!(err.to_string().contains("efi is listed twice"), "{err}");
    let err = load(None, &[("PAYORCH_ROUTING_FALLBACKS", "stripe")]).unwrap_err();
    assert!(
        err.to_string().contains("PAYORCH_ROUTING_FALLBACKS"),
        "{err}"
    );
    let err = load(Some("[gateways.stripe]\nenabled = false\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("`routing.primary`"), "{err}");
    assert!(err.to_string().contains("stripe is disabled"), "{err}");
    let err = load(
        Some("[gateways.asaas]\nenabled = false\n"),
        &[("PAYORCH_ROUTING_PRIMARY", "efi")],
    )
    .unwrap_err();
    assert!(err.to_string().contains("`routing.fallbacks`"), "{err}");
    let err = load(Some("[routing]\nprimary = \"paypal\"\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("routing.primary"), "{err}");
}

/// What routing is built from: `[routing]`'s table and the enabled gateways; a hand-built
/// config with an invalid table is refused (a loaded one was checked already).
#[test]
fn routing_defaults_come_from_the_routing_and_gateways_sections() {
    use crate::routing::RoutingDefaults;
    use GatewayId::{Asaas, Stripe};
    let mut config = Config::default();
    config.routing.primary = Asaas;
    config.routing.fallbacks = vec![Stripe];
    config.gateways.efi.enabled = false;
    let defaults = RoutingDefaults::try_from(&config).unwrap();
    assert_eq!(
        defaults.table,
        RoutingTable::new(Asaas, vec![Stripe]).unwrap()
    );
    assert_eq!(defaults.enabled, [Stripe, Asaas].into_iter().collect());
    config.routing.fallbacks = vec![Asaas];
    assert_eq!(
        RoutingDefaults::try_from(&config),
        Err(TableError::PrimaryAmongFallbacks { gateway: Asaas })
    );
}

#[test]
fn breaker_section_loads_validates_and_renders() {
    let l = load(
        Some("[breaker]\nminimum_calls = 8\n[breaker.efi]\nwait_in_open = \"1m\"\n"),
        &[],
    )
    .unwrap();
    let efi = l.config.breaker.for_gateway(crate::model::GatewayId::Efi);
    assert_eq!((efi.minimum_calls, efi.wait_in_open.0.as_secs()), (8, 60));
    let shown = l.config.to_toml();
    assert!(shown.contains("[breaker.efi]"), "{shown}");
    let again: Config = toml::from_str(&shown).unwrap();
    assert_eq!(again.breaker.for_gateway(crate::model::GatewayId::Efi), efi);

    let err = load(Some("[breaker.efi]\nminimum_calls = 0\n"), &[]).unwrap_err();
    assert!(
        err.to_string().contains("breaker.efi.minimum_calls"),
        "{err}"
    );
    let err = load(Some("[breaker]\nwait = \"1s\"\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("wait"), "{err}");
}

#[test]
fn webhooks_section_from_file_and_env_is_checked() {
    let l = load(None, &[]).unwrap();
    assert_eq!(l.config.webhooks, WebhooksConfig::default());
    let l = load(
        Some("[webhooks]\nretry_schedule = [\"1s\"]\nattempt_timeout = \"5s\"\n"),
        &[("PAYORCH_WEBHOOKS_RETRY_SCHEDULE", "1s, 2s")],
    )
    .unwrap();
    assert_eq!(
        l.config.webhooks.retry_schedule,
        vec![
            HumanDuration(Duration::from_secs(1)),
            HumanDuration(Duration::from_secs(2))
        ]
    );
    assert_eq!(l.config.webhooks.attempt_timeout.0, Duration::from_secs(5));
    let err = load(None, &[("PAYORCH_WEBHOOKS_RETRY_SCHEDULE", "1s,later")]).unwrap_err();
    assert!(
        err.to_string().contains("PAYORCH_WEBHOOKS_RETRY_SCHEDULE"),
        "{err}"
    );
    assert!(!l.config.webhooks.allow_private_targets, "off by default");
    let l = load(
        Some("[webhooks]\nallow_private_targets = true\n"),
        &[("PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "false")],
    )
    .unwrap();
    assert!(!l.config.webhooks.allow_private_targets, "the env wins");
    let l = load(None, &[("PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1")]).unwrap();
    assert!(l.config.webhooks.allow_private_targets);
    let err = load(None, &[("PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "maybe")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS"),
        "{err}"
    );
    let err = load(None, &[("PAYORCH_WEBHOOKS_ATTEMPT_TIMEOUT", "1h")]).unwrap_err();
    assert!(
        err.to_string().contains("webhooks.attempt_timeout"),
        "{err}"
    );
}

#[test]
fn delivery_batch_size_and_concurrency_from_file_and_env_are_checked() {
    let l = load(
        Some("[webhooks]\nbatch_size = 200\nconcurrency = 2\n"),
        &[("PAYORCH_WEBHOOKS_CONCURRENCY", "8")],
    )
    .unwrap();
    assert_eq!(
        (l.config.webhooks.batch_size, l.config.webhooks.concurrency),
        (200, 8),
        "the file's batch size, the env's concurrency"
    );
    for (file, key) in [
        ("[webhooks]\nbatch_size = 0\n", "webhooks.batch_size"),
        ("[webhooks]\nbatch_size = 1001\n", "webhooks.batch_size"),
        ("[webhooks]\nconcurrency = 0\n", "webhooks.concurrency"),
        ("[webhooks]\nconcurrency = 65\n", "webhooks.concurrency"),
    ] {
        let err = load(Some(file), &[]).unwrap_err();
        assert!(err.to_string().contains(key), "{file}: {err}");
    }
    let err = load(None, &[("PAYORCH_WEBHOOKS_BATCH_SIZE", "many")]).unwrap_err();
    assert!(
        err.to_string().contains("PAYORCH_WEBHOOKS_BATCH_SIZE"),
        "{err}"
    );
}

#[test]
fn missing_explicit_file_is_an_error() {
    let overrides = Overrides {
        config_file: Some(PathBuf::from("/nonexistent/payorch.toml")),
        ..Default::default()
    };
    let err = Config::load(&overrides, &[("HOME", "/h")]).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/payorch.toml"),
        "{err}"
    );
}

#[test]
fn a_new_file_for_init_reads_as_defaults_not_the_default_file() {
    // `payorch --config ./payorch.toml init` creates that file: it must not be an error, and
    // the user's default config file must not stand in for it.
    let home = tempfile::tempdir().unwrap();
    let default = home.path().join(".config/payorch");
    std::fs::create_dir_all(&default).unwrap();
    write(&default, "tenant = \"from-default-file\"\n");
    let home_str = home.path().to_str().unwrap();
    let overrides = Overrides {
        config_file: Some(home.path().join("new/payorch.toml")),
        config_file_may_be_new: true,
        ..Default::default()
    };
    let l = Config::load(&overrides, &[("HOME", home_str)]).unwrap();
    assert!(l.file.is_none(), "{:?}", l.file);
    assert_eq!(l.config.tenant.as_str(), "default");
}

#[test]
fn amount_limits_override_one_currency_and_keep_the_rest() {
    use crate::model::Currency;
    let l = load(Some("[amount_limits]\nBRL = 500\n"), &[]).unwrap();
    assert_eq!(l.config.amount_limits.max_charge(Currency::Brl), 500);
    assert_eq!(
        l.config.amount_limits.max_charge(Currency::Usd),
        Currency::Usd.default_max_charge()
    );
    let err = load(Some("[amount_limits]\nBRL = 0\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("amount_limits.BRL"), "{err}");
    assert!(load(Some("[amount_limits]\nXYZ = 5\n"), &[]).is_err());
}

#[test]
fn fees_override_one_rate_and_keep_the_builtin_rest() {
    use crate::model::{GatewayId, Money, PaymentMethod};
    let brl = Money::from_minor(10_000, Currency::Brl).unwrap();
    let l = load(
        Some("[fees.stripe.card]\npercent = \"2.5\"\nfixed = 10\ncurrency = \"BRL\"\n"),
        &[],
    )
    .unwrap();
    let s = l.config.fees.schedule();
    let card = s
        .estimate(GatewayId::Stripe, PaymentMethod::Card, brl)
        .unwrap();
    assert_eq!(card.amount, 260);
    // The built-in Pix rates stay.
    assert_eq!(
        s.rate(GatewayId::Efi, PaymentMethod::Pix),
        crate::model::FeeSchedule::builtin().rate(GatewayId::Efi, PaymentMethod::Pix)
    );
    // A float percent, an unknown key, method or gateway: refused, naming the key or its line.
    for bad in [
        "[fees.stripe.card]\npercent = 2.5\ncurrency = \"BRL\"\n",
        "[fees.stripe.card]\nprecent = \"2.5\"\ncurrency = \"BRL\"\n",
        "[fees.stripe.cash]\ncurrency = \"BRL\"\n",
        "[fees.paypal.card]\ncurrency = \"BRL\"\n",
        "[fees.stripe.card]\npercent = \"101\"\ncurrency = \"BRL\"\n",
        "[fees.stripe.card]\nfixed = -1\ncurrency = \"BRL\"\n",
    ] {
        let err = load(Some(bad), &[]).unwrap_err().to_string();
        assert!(
            err.contains("fees") || err.contains("line "),
            "{bad}: {err}"
        );
    }
}

#[test]
fn connection_limits_have_defaults_and_ranges() {
    let l = load(None, &[]).unwrap();
    assert_eq!(
        l.config.server.header_read_timeout.0,
        Duration::from_secs(10)
    );
    assert_eq!(l.config.server.max_header_bytes, 16 * 1024);
    assert_eq!(l.config.server.max_connections, 1024);
    assert_eq!(l.config.server.body_read_timeout.0, Duration::from_secs(30));
    let l = load(
        Some("[server]\nheader_read_timeout = \"2s\"\nmax_connections = 8\n"),
        &[("PAYORCH_SERVER_MAX_HEADER_BYTES", "32768")],
    )
    .unwrap();
    assert_eq!(
        l.config.server.header_read_timeout.0,
        Duration::from_secs(2)
    );
    assert_eq!(l.config.server.max_connections, 8);
    assert_eq!(l.config.server.max_header_bytes, 32768);
    for bad in [
        "[server]\nheader_read_timeout = \"1h\"\n",
        "[server]\nmax_header_bytes = 100\n",
        "[server]\nmax_connections = 0\n",
        "[server]\nbody_read_timeout = \"1ms\"\n",
    ] {
        assert!(load(Some(bad), &[]).is_err(), "{bad}");
    }
}

#[test]
fn rate_limits_from_file_and_env_name_the_bad_key() {
    use crate::model::RateLimit;
    let l = load(None, &[]).unwrap();
    assert_eq!(l.config.limits, LimitsConfig::default());
    assert_eq!(l.config.limits.key.to_string(), "100/s");
    let l = load(
        Some("[limits]\nkey = \"3/min\"\nkey_burst = 3\ntenant = \"off\"\n"),
        &[
            ("PAYORCH_LIMITS_INBOUND", "12000/min"),
            ("PAYORCH_LIMITS_INSTANCES", "4"),
        ],
    )
    .unwrap();
    assert_eq!(l.config.limits.key.to_string(), "3/min");
    assert_eq!(l.config.limits.key_burst, 3);
    assert_eq!(l.config.limits.tenant, RateLimit::Off);
    assert_eq!(l.config.limits.inbound.to_string(), "12000/min");
    assert_eq!(l.config.limits.instances, 4);

    let err = load(Some("[limits]\nkey = \"fast\"\n"), &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("limits.key") && text.contains("200/s"),
        "{text}"
    );
    let err = load(None, &[("PAYORCH_LIMITS_TENANT", "10/day")]).unwrap_err();
    assert!(err.to_string().contains("PAYORCH_LIMITS_TENANT"), "{err}");
    let err = load(None, &[("PAYORCH_LIMITS_KEY_BURST", "0")]).unwrap_err();
    assert!(err.to_string().contains("limits.key_burst"), "{err}");
    let err = load(Some("[limits]\ninstances = 0\n"), &[]).unwrap_err();
    assert!(err.to_string().contains("limits.instances"), "{err}");
}

/// Gateway base URLs get the outbound URL policy's classifier: no userinfo anywhere, https
/// unless the host is loopback or private (the sandbox), or `webhooks.allow_private_targets`.
/// Before, any `http://` or `https://` prefix passed, credentials and cleartext included.
#[test]
fn gateway_base_urls_refuse_userinfo_and_cleartext_to_public_hosts() {
    for (var, key, url, says) in [
        (
            "PAYORCH_STRIPE_BASE_URL",
            "gateways.stripe.base_url",
            "https://sk_live_x:@api.stripe.com",
            "credentials in the URL",
        ),
        (
            "PAYORCH_ASAAS_BASE_URL",
            "gateways.asaas.base_url",
            "http://user:hunter2@127.0.0.1:9",
            "credentials in the URL",
        ),
        (
            "PAYORCH_EFI_BASE_URL",
            "gateways.efi.base_url",
            "http://pix.api.efipay.com.br",
            "plain http",
        ),
        (
            "PAYORCH_STRIPE_BASE_URL",
            "gateways.stripe.base_url",
            "http://93.184.215.14",
            "plain http",
        ),
        (
            "PAYORCH_STRIPE_BASE_URL",
            "gateways.stripe.base_url",
            "http://[2002:808:808::1]",
            "plain http",
        ),
        (
            "PAYORCH_ASAAS_BASE_URL",
            "gateways.asaas.base_url",
            "ftp://api.asaas.com",
            "not an http(s) URL",
        ),
    ] {
        let err = load(None, &[("HOME", "/h"), (var, url)]).unwrap_err();
        let ConfigError::Invalid {
            key: named,
            origin,
            message,
        } = &err
        else {
            panic!("{url}: {err}")
        };
        assert_eq!(named, key, "{url}");
        assert_eq!(
            origin.as_deref(),
            Some(&*format!("environment variable {var}"))
        );
        assert!(message.contains(says), "{url}: {message}");
        assert!(!err.to_string().contains("hunter2"), "never echoed: {err}");
        assert!(
            !err.to_string().contains("sk_live_x"),
            "never echoed: {err}"
        );
    }
    // From the file, the key and file are named.
    let err = load(
        Some("[gateways.asaas]\nbase_url = \"http://api.asaas.com\"\n"),
        &[("HOME", "/h")],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("gateways.asaas.base_url") && err.contains("config file"),
        "{err}"
    );
    // The sandbox, fakes and internal hosts over https, and plain http with the allowance.
    for url in [
        "http://127.0.0.1:4010",
        "http://localhost:4010/stripe",
        "http://[::1]:9",
        "http://10.0.0.7:8080",
        "https://api.stripe.com",
        "https://10.0.0.7",
        "https://egress.internal",
    ] {
        load(None, &[("HOME", "/h"), ("PAYORCH_STRIPE_BASE_URL", url)])
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    load(
        None,
        &[
            ("HOME", "/h"),
            ("PAYORCH_STRIPE_BASE_URL", "http://stripe-fake:4010"),
            ("PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true"),
        ],
    )
    .unwrap();
}

#[test]
fn a_lookup_grace_shorter_than_a_gateway_timeout_is_warned_about() {
    let l = load(None, &[]).unwrap();
    assert_eq!(
        l.config.lookup_grace_warning(),
        None,
        "the defaults are safe"
    );
    let l = load(
        Some("[recovery]\nlookup_grace = \"0s\"\n[gateways.asaas]\ntimeout = \"20s\"\n"),
        &[],
    )
    .unwrap();
    let warning = l.config.lookup_grace_warning().expect("a warning");
    assert!(
        warning.contains("recovery.lookup_grace (0s)")
            && warning.contains("gateways.asaas.timeout (20s)"),
        "{warning}"
    );
}
