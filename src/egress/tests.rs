//! The policy against the attack inputs, and the resolver against real lookups.

use super::*;

fn refused(url: &str) -> TargetError {
    check_url(url, TargetPolicy::STRICT).expect_err(url)
}

#[test]
fn attack_urls_are_refused_when_set() {
    for url in [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://192.168.1.1/hook",
        "https://172.16.5.4/hook",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[ff02::1]/hook",
        "https://[::]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook",
        "https://[::10.0.0.1]/hook",
        "https://0.0.0.0:22/",
        "https://255.255.255.255/",
        "https://224.0.0.1/",
        "https://localhost/hook",
        "https://LOCALHOST./hook",
        "https://api.localhost/hook",
        "https://2130706433/hook",
        "https://0x7f.1/hook",
        "https://0177.0.0.1/hook",
        "https://127.1/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
    ] {
        assert!(
            matches!(refused(url), TargetError::Refused { .. }),
            "{url}: {:?}",
            refused(url)
        );
    }
}

#[test]
fn numeric_forms_are_normalized_before_the_check() {
    for (url, host) in [
        ("https://2130706433/", "127.0.0.1"),
        ("https://0x7f.1/", "127.0.0.1"),
        ("https://0177.0.0.1/", "127.0.0.1"),
        ("https://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"),
    ] {
        let u = check_url(url, TargetPolicy::ALLOW_PRIVATE).unwrap();
        assert_eq!(u.host_str(), Some(host), "{url}");
    }
}

#[test]
fn the_error_names_the_address_and_the_allowance() {
    assert_eq!(
        refused("https://10.0.0.1/").to_string(),
        "refused: 10.0.0.1 is a private address; set webhooks.allow_private_targets to deliver there"
    );
    assert!(
        refused("https://169.254.169.254/")
            .to_string()
            .contains("cloud metadata")
    );
}

#[test]
fn http_and_userinfo_are_refused() {
    assert_eq!(refused("http://shop.example/hook"), TargetError::NotHttps);
    assert_eq!(
        refused("https://user:pass@shop.example/hook"),
        TargetError::Userinfo
    );
    // Credentials are refused even with the allowance, and never echoed.
    assert_eq!(
        check_url("http://user:pass@127.0.0.1:9/", TargetPolicy::ALLOW_PRIVATE).unwrap_err(),
        TargetError::Userinfo
    );
    let e = refused("ftp://user:secret@x/").to_string();
    assert!(!e.contains("secret"), "{e}");
    assert!(matches!(refused("not a url"), TargetError::NotHttp(_)));
}

#[test]
fn public_https_and_the_allowance_pass() {
    for url in [
        "https://shop.example/hook",
        "https://93.184.215.14/hook",
        "https://[2606:4700::1111]/hook",
    ] {
        check_url(url, TargetPolicy::STRICT).unwrap();
    }
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:8080/",
        "https://[::1]/",
    ] {
        check_url(url, TargetPolicy::ALLOW_PRIVATE).unwrap();
    }
}

#[tokio::test]
async fn the_resolver_refuses_local_names_and_addresses() {
    let strict = GuardedResolver {
        policy: TargetPolicy::STRICT,
    };
    let e = strict
        .resolve("localhost".parse().unwrap())
        .await
        .err()
        .expect("localhost is refused");
    assert!(refusal_in(e.as_ref()).is_some(), "{e}");
    // A name is judged by the addresses it resolves to.
    let e = strict
        .resolve("127.0.0.1".parse().unwrap())
        .await
        .err()
        .expect("a loopback answer is refused");
    assert!(e.to_string().contains("loopback"), "{e}");
    let open = GuardedResolver {
        policy: TargetPolicy::ALLOW_PRIVATE,
    };
    let addrs: Vec<_> = open
        .resolve("localhost".parse().unwrap())
        .await
        .unwrap()
        .collect();
    assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
}

#[test]
fn excerpts_are_short_and_printable() {
    assert_eq!(sanitize("  token\r\n\u{1b}[31mred\0 "), "token   [31mred");
    assert_eq!(sanitize(&"x".repeat(5000)).len(), MAX_BODY_EXCERPT);
}

/// IPv6 forms that carry an IPv4 address reach that address: 6to4, Teredo (client XORed),
/// NAT64 (well-known and local-use), IPv4-compatible, mapped and SIIT-translated. Each of these
/// was classified public before (only mapped, compatible and the NAT64 /96 were looked into).
#[test]
fn ipv6_embeddings_are_judged_by_the_ipv4_they_carry() {
    for (url, what) in [
        // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
        ("https://[2002:7f00:1::]/", "loopback"),
        ("https://[2002:7f00:0001:0:0:0:0:1]/", "loopback"),
        ("https://[2002:a9fe:a9fe::1]/", "cloud metadata"),
        ("https://[2002:a00:1::]/", "private"),
        ("https://[2002:c0a8:101::]/", "private"),
        ("https://[2002::]/", "unspecified"),
        // Teredo: 2001:0:SERVER:FLAGS:PORT:~CLIENT; 127.0.0.1 is 80ff:fffe once XORed.
        (
            "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
            "loopback",
        ),
        (
            "https://[2001:0:4136:e378:8000:63bf:5601:5601]/",
            "cloud metadata",
        ),
        ("https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "private"),
        ("https://[2001::ffff:ffff]/", "unspecified"),
        // NAT64, well-known prefix and local-use prefix.
        ("https://[64:ff9b::7f00:1]/", "loopback"),
        ("https://[64:ff9b::169.254.169.254]/", "cloud metadata"),
        ("https://[64:ff9b:1::a00:1]/", "local-use NAT64"),
        ("https://[64:ff9b:1:ffff::8.8.8.8]/", "local-use NAT64"),
        // IPv4-compatible (deprecated), mapped, and SIIT-translated.
        ("https://[::127.0.0.1]/", "loopback"),
        ("https://[::a9fe:a9fe]/", "cloud metadata"),
        ("https://[::ffff:10.1.2.3]/", "private"),
        ("https://[::ffff:0:127.0.0.1]/", "loopback"),
        ("https://[::ffff:0:c0a8:101]/", "private"),
    ] {
        let e = refused(url).to_string();
        assert!(e.contains(what), "{url}: {e}");
    }
    // The same forms around a public IPv4 stay public.
    for url in [
        "https://[2002:808:808::1]/",
        "https://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/",
        "https://[64:ff9b::8.8.8.8]/",
        "https://[::ffff:8.8.8.8]/",
    ] {
        check_url(url, TargetPolicy::STRICT).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    assert_eq!(
        embedded_v4("2001:0:4136:e378:8000:63bf:3fff:fdd2".parse().unwrap()),
        Some(Ipv4Addr::new(192, 0, 2, 45)),
        "RFC 4380's own example"
    );
}
