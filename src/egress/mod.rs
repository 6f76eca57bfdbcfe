//! The outbound URL policy: which URLs payorch will call, so a merchant's endpoint cannot turn
//! the delivery worker against the network it runs in (SSRF), and a gateway base URL from the
//! config or a sandbox cannot carry credentials or send them in clear ([`check_base_url`]).
//! No dependency on the rest of the crate: config, gateways and webhooks all use it.
//!
//! Checked twice. When an endpoint is set ([`check_url`]): an absolute `https` URL without
//! credentials (`user:pass@`), whose host is not a local address or name as far as can be known
//! without DNS. When a delivery is made: the same check again (a stored URL may predate it),
//! then the host's addresses are resolved by [`GuardedResolver`], which refuses them all if any
//! is loopback, private, link-local (the cloud metadata address among them), unique-local,
//! multicast, unspecified, broadcast or otherwise reserved. An IPv6 address that carries an IPv4
//! one (mapped, compatible, NAT64, 6to4, Teredo: [`embedded_v4`]) is judged by that IPv4.
//! The connection goes only to the addresses that resolver checked, so a second DNS answer
//! cannot swap them (rebinding). Numeric host forms (`2130706433`, `0x7f.1`, octal)
//! are normalized to dotted IPv4 by the URL parser before the check.
//!
//! `[webhooks] allow_private_targets = true` ([`TargetPolicy::allow_private`]) lifts the address
//! and name checks and allows plain `http`, for a laptop, CI or an internal network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a URL or an address is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("`{0}` is not an absolute http(s) URL with a host")]
    NotHttp(String),
    #[error(
        "plain http is refused: use https (or set webhooks.allow_private_targets for a development receiver)"
    )]
    NotHttps,
    #[error(
        "credentials in the URL (user:pass@) are refused: deliveries are authenticated by their signature"
    )]
    Userinfo,
    #[error("refused: {host} is {what}; set webhooks.allow_private_targets to deliver there")]
    Refused { host: String, what: &'static str },
}

/// What the policy allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Private and loopback targets, and plain http (`webhooks.allow_private_targets`).
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Public https targets only: the default.
    pub const STRICT: TargetPolicy = TargetPolicy {
        allow_private: false,
    };
    /// Anything http(s): development and internal networks.
    pub const ALLOW_PRIVATE: TargetPolicy = TargetPolicy {
        allow_private: true,
    };
}

/// Checks a URL before it is stored or called: absolute http(s) with a host, https unless the
/// policy allows private targets, no userinfo, and no host that is known to be local (an IP
/// literal in any numeric form, or a local name). Names are resolved only at delivery.
pub fn check_url(url: &str, policy: TargetPolicy) -> Result<reqwest::Url, TargetError> {
    let parsed = reqwest::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
        .ok_or_else(|| TargetError::NotHttp(redact(url.trim())))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Userinfo);
    }
    if policy.allow_private {
        return Ok(parsed);
    }
    if parsed.scheme() != "https" {
        return Err(TargetError::NotHttps);
    }
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        check_ip(ip)?;
    } else {
        check_name(host)?;
    }
    Ok(parsed)
}

/// Checks a gateway base URL (`gateways.*.base_url`, or one a `payorch sandbox` advertises):
/// an absolute http(s) URL with a host, no userinfo, and https unless the host is a loopback or
/// private address or a local name (the sandbox, a fake in a test), or `allow_private`
/// (`webhooks.allow_private_targets`) says plain http is wanted anywhere. The base URL is the
/// operator's, so https to any host passes (an egress proxy on the private network is
/// legitimate); what is refused is sending the gateway's credentials in clear over a network
/// that is not the operator's own, and credentials in the URL itself. The error is a sentence
/// for the caller to put after the key.
pub fn check_base_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = check_url(url, TargetPolicy::ALLOW_PRIVATE).map_err(|e| match e {
        TargetError::Userinfo => "credentials in the URL (user:pass@) are refused: gateway \
             credentials belong in the keyring or the environment (payorch gateway credentials set)"
            .to_string(),
        TargetError::NotHttp(u) => format!("`{u}` is not an http(s) URL"),
        other => other.to_string(),
    })?;
    if parsed.scheme() == "https" || allow_private {
        return Ok(parsed);
    }
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let local = match bare.parse::<IpAddr>() {
        Ok(ip) => classify(ip).is_some(),
        Err(_) => check_name(host).is_err(),
    };
    if local {
        return Ok(parsed);
    }
    Err(format!(
        "plain http to {host} would send the gateway's credentials in clear: use https (plain \
         http is allowed to loopback and private addresses, such as the sandbox's, and anywhere \
         with webhooks.allow_private_targets)"
    ))
}

/// Refuses host names that always mean this machine or a cloud metadata service.
pub fn check_name(host: &str) -> Result<(), TargetError> {
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    let local = name == "localhost"
        || name.ends_with(".localhost")
        || name == "metadata"
        || name == "metadata.goog"
        || name == "instance-data"
        || name == "internal"
        || name.ends_with(".internal");
    if local {
        return Err(TargetError::Refused {
            host: host.to_string(),
            what: "a local or cloud metadata host name",
        });
    }
    Ok(())
}

/// Refuses an address that is not a public unicast one.
pub fn check_ip(ip: IpAddr) -> Result<(), TargetError> {
    match classify(ip) {
        None => Ok(()),
        Some(what) => Err(TargetError::Refused {
            host: ip.to_string(),
            what,
        }),
    }
}

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_broadcast() => "a broadcast address",
        (169, 254, 169) if ip.octets()[3] == 254 => "the cloud metadata address",
        (0, ..) => "an unspecified address",
        (127, ..) => "a loopback address",
        (10, ..) | (192, 168, _) => "a private address",
        (172, 16..=31, _) | (100, 64..=127, _) => "a private address",
        (169, 254, _) => "a link-local address",
        (224..=239, ..) => "a multicast address",
        (240..=255, ..) => "a reserved address",
        (192, 0, 0) | (192, 0, 2) | (198, 18..=19, _) | (198, 51, 100) | (203, 0, 113) => {
            "a reserved address"
        }
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    if let Some(v4) = embedded_v4(ip) {
        // The address reaches the IPv4 host it carries: judge that one. A public IPv4 inside
        // goes on to the IPv6 checks below (6to4 and Teredo prefixes are otherwise public).
        if let Some(what) = classify_v4(v4) {
            return Some(what);
        }
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        // RFC 8215's local-use NAT64 prefix: a translator inside someone's network, with the
        // IPv4 address at a place only that network's prefix length says.
        return Some("a local-use NAT64 address");
    }
    Some(match s[0] {
        0xfe80..=0xfebf => "a link-local address",
        0xfec0..=0xfeff => "a site-local address",
        0xfc00..=0xfdff => "a unique-local address",
        0xff00..=0xffff => "a multicast address",
        0x2001 if s[1] == 0x0db8 => "a reserved address",
        _ => return None,
    })
}

/// The IPv4 address an IPv6 address carries and reaches, where the form says there is one:
/// IPv4-mapped `::ffff:a.b.c.d` and SIIT-translated `::ffff:0:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` (RFC 6052), 6to4 `2002:AABB:CCDD::/48` (RFC 3056) and
/// Teredo `2001:0::/32`, whose last 32 bits are the client's IPv4 XORed with all ones
/// (RFC 4380).
pub fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let ([a, b], [c, d]) = (hi.to_be_bytes(), lo.to_be_bytes());
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..]
        | [0, 0, 0, 0, 0xffff, 0, ..]
        | [0, 0, 0, 0, 0, 0, ..]
        | [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(v4(s[6], s[7])),
        [0x2002, ..] => Some(v4(s[1], s[2])),
        [0x2001, 0, ..] => Some(v4(!s[6], !s[7])),
        _ => None,
    }
}

/// A URL for an error message, its credentials masked.
fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{scheme}://***@{}", &rest[at + 1..]);
        }
    }
    url.to_string()
}

/// How much of a failed response's body the delivery log keeps, in characters.
pub const MAX_BODY_EXCERPT: usize = 200;

/// A short, printable excerpt of a response body for the delivery log: at most
/// [`MAX_BODY_EXCERPT`] characters of its first bytes, control characters replaced by spaces.
/// The rest is never read, so a large or endless body costs nothing.
pub async fn body_excerpt(mut response: reqwest::Response) -> String {
    let limit = MAX_BODY_EXCERPT * 4;
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(limit);
    sanitize(&String::from_utf8_lossy(&bytes))
}

/// `text` cut to [`MAX_BODY_EXCERPT`] characters, control characters as spaces, trimmed.
pub fn sanitize(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| *c != char::REPLACEMENT_CHARACTER)
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_BODY_EXCERPT)
        .collect();
    clean.trim().to_string()
}

/// The delivery client's DNS: resolves a name and hands the connector only addresses that
/// passed [`check_ip`] (all of them, or the lookup fails with [`TargetError::Refused`]).
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    pub policy: TargetPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            if !policy.allow_private {
                check_name(&host)?;
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !policy.allow_private {
                for a in &addrs {
                    if let Some(what) = classify(a.ip()) {
                        return Err(Box::new(TargetError::Refused {
                            host: format!("{host} ({})", a.ip()),
                            what,
                        })
                            as Box<dyn std::error::Error + Send + Sync>);
                    }
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The policy's refusal somewhere in an error's chain of causes, if it is there.
pub fn refusal_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a TargetError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<TargetError>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests;
