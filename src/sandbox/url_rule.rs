//! The callback URL rule: HTTPS only; plain `http://` only to loopback hosts
//! and only when the sandbox runs with `--allow-http-callbacks`.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// The message of every URL-rule refusal (followed by the specific reason).
pub const URL_RULE: &str = "callback URL must use https://; http:// is allowed only for loopback hosts when the sandbox runs with --allow-http-callbacks";

/// Longest accepted callback URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Checks a callback URL against the rule; `Err` carries the message for a
/// 400 `InvalidParameter` (it always contains [`URL_RULE`]).
pub fn check_callback_url(raw: &str, allow_http_loopback: bool) -> Result<Url, String> {
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
        "https" => Ok(url),
        "http" if allow_http_loopback && is_loopback(&host) => Ok(url),
        "http" if allow_http_loopback => {
            Err(format!("{URL_RULE} (host '{host}' is not a loopback host)"))
        }
        "http" => Err(format!(
            "{URL_RULE} (this sandbox runs without --allow-http-callbacks)"
        )),
        other => Err(format!("{URL_RULE} (scheme '{other}' is not allowed)")),
    }
}

/// True for `localhost`, 127.0.0.0/8 and `::1` (including `::ffff:127.x.y.z`).
pub fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Host::Ipv4(ip) => is_loopback_v4(*ip),
        Host::Ipv6(ip) => is_loopback_v6(*ip),
    }
}

fn is_loopback_v4(ip: Ipv4Addr) -> bool {
    ip.octets()[0] == 127
}

fn is_loopback_v6(ip: Ipv6Addr) -> bool {
    ip == Ipv6Addr::LOCALHOST || ip.to_ipv4_mapped().is_some_and(is_loopback_v4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_always_allowed() {
        assert!(check_callback_url("https://app.example.com/hook", false).is_ok());
        assert!(check_callback_url("https://127.0.0.1:8443/hook", false).is_ok());
        assert!(check_callback_url("https://example.com/hook", true).is_ok());
    }

    #[test]
    fn http_needs_flag_and_loopback() {
        for ok in [
            "http://127.0.0.1:9000/h",
            "http://127.1.2.3/h",
            "http://localhost:1/x",
            "http://LOCALHOST/x",
            "http://[::1]:8080/h",
            "http://[::ffff:127.0.0.1]/h",
        ] {
            assert!(check_callback_url(ok, true).is_ok(), "{ok}");
            let e = check_callback_url(ok, false).unwrap_err();
            assert!(
                e.contains(URL_RULE) && e.contains("without --allow-http-callbacks"),
                "{e}"
            );
        }
        for bad in [
            "http://example.com/h",
            "http://10.0.0.1/h",
            "http://128.0.0.1/h",
            "http://[::2]/h",
            "http://localhost.example.com/h",
        ] {
            let e = check_callback_url(bad, true).unwrap_err();
            assert!(
                e.contains(URL_RULE) && e.contains("not a loopback host"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        for bad in [
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "mailto:a@b.c",
            "not a url",
            "",
        ] {
            let e = check_callback_url(bad, true).unwrap_err();
            assert!(e.starts_with(URL_RULE), "{bad}: {e}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_callback_url(&long, true).is_err());
    }
}
