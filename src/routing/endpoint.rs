//! The two ECGridOS endpoint paths the gateway serves, and the base URL a
//! client reaches the gateway at (for WSDL addresses and the pages).

use http::{header, HeaderMap};

use crate::soap::ServiceNs;

/// One of the two ECGridOS endpoint paths the gateway serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v4.1/prod/ECGridOS.asmx`, namespace `https://os.ecgrid.io/`.
    V41,
    /// `/v3.2/prod/ecgridos.asmx`, namespace `http://ecgridos.net/`.
    V32,
}

impl Endpoint {
    /// Both endpoints.
    pub const ALL: [Endpoint; 2] = [Endpoint::V41, Endpoint::V32];

    /// The canonical path.
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::V41 => "/v4.1/prod/ECGridOS.asmx",
            Endpoint::V32 => "/v3.2/prod/ecgridos.asmx",
        }
    }

    /// The endpoint's service namespace.
    pub const fn namespace(self) -> ServiceNs {
        match self {
            Endpoint::V41 => ServiceNs::V41,
            Endpoint::V32 => ServiceNs::V32,
        }
    }

    /// The endpoint at `path` (case-insensitive).
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.path().eq_ignore_ascii_case(path))
    }
}

/// The base URL clients reach the gateway at: `public_url`
/// (`--public-url`), else the request's `Host` (with `X-Forwarded-Proto`
/// when a proxy set it).
pub fn base_url(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = public_url {
        return url.to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| is_plausible_host(h))
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A Host header is echoed into the WSDL, so only host[:port] characters pass.
fn is_plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn endpoint_paths_are_case_insensitive() {
        assert_eq!(
            Endpoint::from_path("/V4.1/PROD/ecgridos.ASMX"),
            Some(Endpoint::V41)
        );
        assert_eq!(
            Endpoint::from_path("/v3.2/prod/ECGridOS.asmx"),
            Some(Endpoint::V32)
        );
        assert_eq!(Endpoint::from_path("/v4.1/prod/other.asmx"), None);
    }

    #[test]
    fn base_url_prefers_the_public_url_and_checks_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("gw.example:8080"));
        assert_eq!(base_url(None, &h), "http://gw.example:8080");
        assert_eq!(base_url(Some("https://x"), &h), "https://x");
        h.insert(header::HOST, HeaderValue::from_static("<evil>"));
        assert_eq!(base_url(None, &h), "http://localhost");
    }
}
