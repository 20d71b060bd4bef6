//! The callback URL rule, which keeps the sandbox's real webhook deliveries
//! from reaching anything internal (issue 16, finding 8: SSRF).
//!
//! - `https://` only; plain `http://` only when the sandbox runs with
//!   `--allow-http-callbacks`.
//! - Never to an internal address: private (RFC 1918, unique-local),
//!   shared (100.64/10), link-local (169.254/16, fe80::/10, where the cloud
//!   metadata services live), unspecified, multicast, reserved and
//!   documentation ranges, IPv4-mapped and -translated IPv6 (which would
//!   smuggle any of those), 6to4 and Teredo; loopback only with
//!   `--allow-http-callbacks` (the local testing the flag is for); and
//!   never to the metadata host names.
//! - Checked twice: [`check_callback_url`] when a callback is registered or
//!   updated (the URL, an IP literal's address, the host name), with
//!   [`check_resolved_at_registration`] refusing a name that resolves to a
//!   refused address then, and
//!   [`resolve_for_delivery`] at every delivery, which resolves the name
//!   once, checks every address it got, and hands back the addresses the
//!   delivery must connect to, so DNS cannot answer differently between
//!   the check and the connection (rebinding). `localhost` names resolve to
//!   loopback without DNS (RFC 6761).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// The message of every URL-rule refusal (followed by the specific reason).
pub const URL_RULE: &str = "callback URL must use https:// to a public address; http:// and loopback addresses are allowed only when the sandbox runs with --allow-http-callbacks";

/// What a delivery reports for a URL whose host does not resolve to an
/// address it may reach: the same words for a name that does not resolve
/// and for one that resolves to an internal address, so a delivery's error
/// tells nothing of the internal network.
pub const REFUSED_ADDRESS: &str =
    "address error: the URL's host does not resolve to a public address webhooks may be delivered to";

/// Longest accepted callback URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Host names of cloud metadata services, refused whatever they resolve to.
const METADATA_NAMES: [&str; 3] = [
    "metadata.google.internal",
    "metadata",
    "instance-data.ec2.internal",
];

/// Checks a callback URL against the rule; `Err` carries the message for a
/// 400 `InvalidParameter` (it always contains [`URL_RULE`]).
pub fn check_callback_url(raw: &str, allow_loopback: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(format!(
            "{URL_RULE} (the URL is longer than {MAX_URL_LEN} bytes)"
        ));
    }
    let url = Url::parse(raw).map_err(|e| format!("{URL_RULE} (not a valid URL: {e})"))?;
    let host = match url.host() {
        Some(h) => h,
        None => return Err(format!("{URL_RULE} (the URL has no host)")),
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback => {}
        "http" => {
            return Err(format!(
                "{URL_RULE} (this sandbox runs without --allow-http-callbacks)"
            ))
        }
        other => return Err(format!("{URL_RULE} (scheme '{other}' is not allowed)")),
    }
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if METADATA_NAMES.contains(&name.as_str()) {
                return Err(format!(
                    "{URL_RULE} (host '{name}' is a cloud metadata service)"
                ));
            }
            if is_localhost_name(&name) && !allow_loopback {
                return Err(format!(
                    "{URL_RULE} (host '{name}' is loopback, and this sandbox runs without --allow-http-callbacks)"
                ));
            }
            if url.scheme() == "http" && !is_localhost_name(&name) {
                return Err(format!(
                    "{URL_RULE} (http:// is allowed only to loopback hosts; '{name}' is not one)"
                ));
            }
        }
        Host::Ipv4(ip) => check_address(IpAddr::V4(ip), allow_loopback, url.scheme())?,
        Host::Ipv6(ip) => check_address(IpAddr::V6(ip), allow_loopback, url.scheme())?,
    }
    Ok(url)
}

/// Refuses an address a callback may not name (`scheme` is the URL's).
fn check_address(ip: IpAddr, allow_loopback: bool, scheme: &str) -> Result<(), String> {
    match classify(ip) {
        Reach::Public if scheme == "http" => Err(format!(
            "{URL_RULE} (http:// is allowed only to loopback hosts; {ip} is not one)"
        )),
        Reach::Public => Ok(()),
        Reach::Loopback if allow_loopback => Ok(()),
        Reach::Loopback => Err(format!(
            "{URL_RULE} ({ip} is loopback, and this sandbox runs without --allow-http-callbacks)"
        )),
        Reach::Internal(what) => Err(format!("{URL_RULE} ({ip} is {what})")),
    }
}

/// Where an address leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The public internet.
    Public,
    /// This machine.
    Loopback,
    /// Anything else a webhook must never reach, and what it is.
    Internal(&'static str),
}

/// Where `ip` leads.
pub fn classify(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (127, _, _) => Reach::Loopback,
        (0, _, _) => Reach::Internal("an unspecified (0.0.0.0/8) address"),
        (10, _, _) | (192, 168, _) => Reach::Internal("a private address"),
        (172, 16..=31, _) => Reach::Internal("a private address"),
        (100, 64..=127, _) => Reach::Internal("a shared (carrier-grade NAT) address"),
        (169, 254, _) => {
            Reach::Internal("a link-local address (cloud metadata services live there)")
        }
        (192, 0, 0) | (192, 0, 2) | (192, 88, 99) | (198, 51, 100) | (203, 0, 113) => {
            Reach::Internal("a reserved address")
        }
        (198, 18..=19, _) => Reach::Internal("a reserved (benchmarking) address"),
        (224..=239, _, _) => Reach::Internal("a multicast address"),
        (240..=255, _, _) => Reach::Internal("a reserved address"),
        _ => Reach::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Reach {
    if ip == Ipv6Addr::LOCALHOST {
        return Reach::Loopback;
    }
    if ip.is_unspecified() {
        return Reach::Internal("the unspecified address");
    }
    let s = ip.segments();
    if ip.to_ipv4_mapped().is_some() {
        return Reach::Internal("an IPv4-mapped address");
    }
    match s[0] {
        0x0000 => Reach::Internal("an IPv4-compatible or reserved address"),
        0x0064 if s[1] == 0xff9b => Reach::Internal("an IPv4-translated (NAT64) address"),
        0x0100 if s[1..4] == [0, 0, 0] => Reach::Internal("a discard address"),
        0x2001 if s[1] == 0 => Reach::Internal("a Teredo address"),
        0x2001 if s[1] == 0x0db8 => Reach::Internal("a documentation address"),
        0x2002 => Reach::Internal("a 6to4 address"),
        0xfc00..=0xfdff => Reach::Internal("a unique-local (private) address"),
        0xfe80..=0xfebf => Reach::Internal("a link-local address"),
        0xfec0..=0xfeff => Reach::Internal("a site-local address"),
        0xff00..=0xffff => Reach::Internal("a multicast address"),
        _ => Reach::Public,
    }
}

/// True for `localhost` and names under `.localhost` (RFC 6761: always
/// loopback, never asked of DNS).
fn is_localhost_name(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

/// The addresses a delivery to `url` must connect to: the URL's host
/// resolved once (loopback for `localhost` names, no DNS for IP literals),
/// every address checked against the rule. `Err` is [`REFUSED_ADDRESS`]
/// (for a name that does not resolve as for a refused address) or the
/// rule's message for a URL that breaks it.
pub async fn resolve_for_delivery(
    url: &str,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, String> {
    let url = check_callback_url(url, allow_loopback)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name))
            if is_localhost_name(&name.trim_end_matches('.').to_ascii_lowercase()) =>
        {
            vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            ]
        }
        Some(Host::Domain(name)) => match tokio::net::lookup_host((name, port)).await {
            Ok(found) => found.collect(),
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    let allowed = |addr: &SocketAddr| match classify(addr.ip()) {
        Reach::Public => true,
        Reach::Loopback => allow_loopback,
        Reach::Internal(_) => false,
    };
    // One refused address refuses the name: a name that resolves to a
    // public and an internal address would otherwise reach the internal
    // one whenever the connection tries it.
    if addresses.is_empty() || !addresses.iter().all(allowed) {
        return Err(REFUSED_ADDRESS.to_string());
    }
    Ok(addresses)
}

/// How long a registration waits for its host name to resolve.
pub const REGISTRATION_LOOKUP: std::time::Duration = std::time::Duration::from_secs(2);

/// The check at registration beyond [`check_callback_url`]: a host name is
/// resolved (within [`REGISTRATION_LOOKUP`]) and refused when any address
/// it resolves to is one a delivery may not reach, so `https://intranet/`
/// is refused when it is registered, not only when it is delivered to. A
/// name that does not resolve now (no DNS, a name not yet published) is
/// accepted: every delivery resolves it again and is refused then.
pub async fn check_resolved_at_registration(url: &Url, allow_loopback: bool) -> Result<(), String> {
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((name, port));
    match tokio::time::timeout(REGISTRATION_LOOKUP, lookup).await {
        Ok(Ok(found)) => {
            let found: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            judge_resolved(name, &found, allow_loopback)
        }
        _ => Ok(()),
    }
}

/// Refuses `name` when one of the addresses it resolved to is not one a
/// delivery may reach.
fn judge_resolved(name: &str, found: &[IpAddr], allow_loopback: bool) -> Result<(), String> {
    for ip in found {
        let refused = match classify(*ip) {
            Reach::Public => None,
            Reach::Loopback if allow_loopback => None,
            Reach::Loopback => {
                Some("loopback, and this sandbox runs without --allow-http-callbacks")
            }
            Reach::Internal(what) => Some(what),
        };
        if let Some(why) = refused {
            return Err(format!(
                "{URL_RULE} (host '{name}' resolves to {ip}, which is {why})"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_resolving_to_any_internal_address_is_refused() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.0.0.7".parse().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(judge_resolved("app.example.com", &[public], false).is_ok());
        let err = judge_resolved("intranet", &[public, private], false).unwrap_err();
        assert!(err.starts_with(URL_RULE), "{err}");
        assert!(
            err.contains("host 'intranet' resolves to 10.0.0.7"),
            "{err}"
        );
        assert!(judge_resolved("box", &[loopback], false).is_err());
        assert!(judge_resolved("box", &[loopback], true).is_ok());
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(
            judge_resolved("box", &[metadata], true).is_err(),
            "the flag allows loopback only"
        );
    }

    #[tokio::test]
    async fn registration_resolves_the_host_name() {
        // This machine's own name resolves (from /etc/hosts) to one of its
        // addresses, which are never public here; the test cannot run
        // where it does not.
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let name = name.trim();
        let found: Vec<IpAddr> = tokio::net::lookup_host((name, 443))
            .await
            .unwrap_or_else(|e| {
                panic!("this machine's name {name} must resolve for this test: {e}")
            })
            .map(|a| a.ip())
            .collect();
        assert!(
            found.iter().all(|ip| classify(*ip) != Reach::Public),
            "{name} resolves to a public address here ({found:?}); the test needs an internal one"
        );
        let url = Url::parse(&format!("https://{name}/hook")).unwrap();
        let err = check_resolved_at_registration(&url, false)
            .await
            .unwrap_err();
        assert!(err.contains(&format!("host '{name}' resolves to")), "{err}");
        // Literals and names that do not resolve are left to the other checks.
        let literal = Url::parse("https://93.184.216.34/hook").unwrap();
        assert!(check_resolved_at_registration(&literal, false)
            .await
            .is_ok());
        let unknown = Url::parse("https://no-such-name.invalid/hook").unwrap();
        assert!(check_resolved_at_registration(&unknown, false)
            .await
            .is_ok());
    }

    #[test]
    fn https_to_public_hosts_is_allowed() {
        assert!(check_callback_url("https://app.example.com/hook", false).is_ok());
        assert!(check_callback_url("https://93.184.216.34/hook", false).is_ok());
        assert!(check_callback_url("https://[2606:2800:220:1::1]/hook", false).is_ok());
        assert!(check_callback_url("https://example.com/hook", true).is_ok());
    }

    #[test]
    fn loopback_needs_the_flag_and_http_needs_loopback() {
        for ok in [
            "http://127.0.0.1:9000/h",
            "http://127.1.2.3/h",
            "http://localhost:1/x",
            "http://LOCALHOST/x",
            "http://foo.localhost/x",
            "http://[::1]:8080/h",
            "https://127.0.0.1:8443/h",
            "https://localhost/h",
        ] {
            assert!(check_callback_url(ok, true).is_ok(), "{ok}");
            let e = check_callback_url(ok, false).unwrap_err();
            assert!(
                e.contains(URL_RULE) && e.contains("without --allow-http-callbacks"),
                "{ok}: {e}"
            );
        }
        for bad in [
            "http://example.com/h",
            "http://93.184.216.34/h",
            "http://[2606:2800:220:1::1]/h",
            "http://localhost.example.com/h",
        ] {
            let e = check_callback_url(bad, true).unwrap_err();
            assert!(
                e.contains(URL_RULE) && e.contains("allowed only to loopback hosts"),
                "{bad}: {e}"
            );
        }
    }

    /// Every address of the SSRF finding, and their neighbours,
    /// with and without the flag, over https and http.
    #[test]
    fn internal_addresses_are_refused_whatever_the_flag() {
        for bad in [
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://172.16.0.1/",
            "https://172.31.255.255/",
            "https://192.168.1.1:8443/",
            "https://100.100.100.200/",
            "https://0.0.0.0/",
            "https://0.1.2.3/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[::a9fe:a9fe]/",
            "https://[::]/",
            "https://[fe80::1]/",
            "https://[fd00:ec2::254]/",
            "https://[fc00::1]/",
            "https://[2002:a9fe:a9fe::1]/",
            "https://[2001:0:a9fe:a9fe::1]/",
            "https://[ff02::1]/",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://METADATA.GOOGLE.INTERNAL./x",
            "http://169.254.169.254/",
            "http://10.0.0.1/",
            "http://[::ffff:7f00:1]/",
        ] {
            for flag in [false, true] {
                let e = check_callback_url(bad, flag).unwrap_err();
                assert!(e.starts_with(URL_RULE), "{bad} ({flag}): {e}");
            }
        }
        // Decimal, octal and hex spellings are the same addresses to the
        // URL parser, and refused as such.
        for spelled in [
            "https://2852039166/",
            "https://0251.0376.0251.0376/",
            "https://0xa9fea9fe/",
        ] {
            let e = check_callback_url(spelled, true).unwrap_err();
            assert!(
                e.contains("169.254.169.254 is a link-local address"),
                "{spelled}: {e}"
            );
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        for bad in [
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "mailto:a@b.c",
            "gopher://127.0.0.1:6379/_",
            "not a url",
            "",
        ] {
            let e = check_callback_url(bad, true).unwrap_err();
            assert!(e.starts_with(URL_RULE), "{bad}: {e}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_callback_url(&long, true).is_err());
    }

    #[tokio::test]
    async fn delivery_resolves_once_and_checks_every_address() {
        // localhost names are loopback without DNS, allowed with the flag.
        let addrs = resolve_for_delivery("http://foo.localhost:9/x", true)
            .await
            .unwrap();
        assert!(
            addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9),
            "{addrs:?}"
        );
        assert!(resolve_for_delivery("http://foo.localhost:9/x", false)
            .await
            .is_err());
        let addrs = resolve_for_delivery("https://127.0.0.1:8443/h", true)
            .await
            .unwrap();
        assert_eq!(addrs, ["127.0.0.1:8443".parse().unwrap()]);
        // A name that does not resolve and an internal address read alike.
        let unresolved = resolve_for_delivery("https://no-such-host.invalid/h", true).await;
        assert_eq!(unresolved.unwrap_err(), REFUSED_ADDRESS);
        let e = resolve_for_delivery("https://10.0.0.1/h", true)
            .await
            .unwrap_err();
        assert!(e.starts_with(URL_RULE), "{e}");
    }
}
