//! How the REST client reaches its upstream: directly, through an HTTP
//! forward proxy, or through a proxy's `CONNECT` tunnel.
//!
//! The gateway has one upstream, so the route is chosen once, when the
//! client is built, from the standard proxy variables (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, either case, read as curl reads
//! them; hyper-util's matcher): an `http://` upstream goes to the proxy in
//! absolute form (`GET http://host/path`), an `https://` upstream through a
//! `CONNECT` tunnel with TLS end to end. Only `http://` proxies are
//! supported; any other proxy scheme is refused at startup with the variable
//! named, not at the first call.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Uri};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A boxed error, as the client's connector returns.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The way to the upstream, fixed for the client's life.
#[derive(Clone, PartialEq, Eq)]
pub enum Route {
    /// Connect to the upstream host.
    Direct,
    /// Connect to an HTTP proxy and send it each request in absolute form
    /// (an `http://` upstream).
    Forward {
        /// The proxy (`http://host:port`).
        proxy: Uri,
        /// `Proxy-Authorization` for every request, from the proxy URL's
        /// user and password.
        auth: Option<HeaderValue>,
    },
    /// Ask an HTTP proxy for a `CONNECT` tunnel to the upstream and speak
    /// TLS through it (an `https://` upstream).
    Tunnel {
        /// The proxy (`http://host:port`).
        proxy: Uri,
        /// `Proxy-Authorization` for the `CONNECT`.
        auth: Option<HeaderValue>,
    },
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The proxy URL is printed without its user and password (the Uri
        // holds them in the authority), and never the auth header.
        match self {
            Route::Direct => f.write_str("Direct"),
            Route::Forward { proxy, .. } => write!(f, "Forward({})", without_userinfo(proxy)),
            Route::Tunnel { proxy, .. } => write!(f, "Tunnel({})", without_userinfo(proxy)),
        }
    }
}

/// An upstream's base URL (`https://rest.ecgrid.io`, `https://os.ecgrid.io`)
/// split into what requests are sent to: its origin (`scheme://authority`,
/// what connections are opened to) and its path without a trailing slash
/// (a request's own path follows it). `what` names the URL in errors
/// ("upstream", "legacy"). `Config` has already checked the scheme, the
/// host, and that there is no query, fragment or user.
pub fn split_base_url(base: &str, what: &str) -> Result<(Uri, String), String> {
    let invalid = |reason: &dyn std::fmt::Display| {
        format!("the {what} URL {base} is not a valid URL: {reason}")
    };
    let parsed = url::Url::parse(base).map_err(|e| invalid(&e))?;
    if parsed.cannot_be_a_base() {
        return Err(format!("the {what} URL {base} cannot have a path"));
    }
    let origin: Uri = parsed
        .origin()
        .ascii_serialization()
        .parse()
        .map_err(|e| invalid(&e))?;
    if origin.scheme().is_none() || origin.authority().is_none() {
        return Err(invalid(&"expected an http:// or https:// URL with a host"));
    }
    Ok((origin, parsed.path().trim_end_matches('/').to_string()))
}

impl Route {
    /// The route to `upstream` under the process's proxy variables.
    pub fn from_env(upstream: &Uri) -> Result<Route, String> {
        Route::with_matcher(upstream, &Matcher::from_env())
    }

    /// The route to `upstream` that `matcher` picks.
    pub fn with_matcher(upstream: &Uri, matcher: &Matcher) -> Result<Route, String> {
        let Some(intercept) = matcher.intercept(upstream) else {
            return Ok(Route::Direct);
        };
        let proxy = intercept.uri().clone();
        if proxy.scheme_str() != Some("http") {
            return Err(format!(
                "the proxy {} for the upstream ({}) is not supported: only http:// proxies are \
                 (set NO_PROXY to the upstream's host to connect directly)",
                without_userinfo(&proxy),
                proxy_variables(upstream),
            ));
        }
        let auth = intercept.basic_auth().cloned().map(|mut value| {
            value.set_sensitive(true);
            value
        });
        Ok(if upstream.scheme_str() == Some("https") {
            Route::Tunnel { proxy, auth }
        } else {
            Route::Forward { proxy, auth }
        })
    }

    /// The `Proxy-Authorization` value each request must carry (forward
    /// proxies only; a tunnel authenticates once, on `CONNECT`).
    pub fn request_auth(&self) -> Option<&HeaderValue> {
        match self {
            Route::Forward { auth, .. } => auth.as_ref(),
            _ => None,
        }
    }
}

/// The variables that can name a proxy for `upstream`, for error messages.
fn proxy_variables(upstream: &Uri) -> &'static str {
    if upstream.scheme_str() == Some("https") {
        "HTTPS_PROXY or ALL_PROXY"
    } else {
        "HTTP_PROXY or ALL_PROXY"
    }
}

/// `scheme://host:port` of a proxy URL, without user and password.
fn without_userinfo(uri: &Uri) -> String {
    let host = uri.host().unwrap_or("");
    match (uri.scheme_str(), uri.port_u16()) {
        (Some(scheme), Some(port)) => format!("{scheme}://{host}:{port}"),
        (Some(scheme), None) => format!("{scheme}://{host}"),
        (None, _) => host.to_string(),
    }
}

/// The client's connector: TCP to the upstream or to the proxy its
/// [`Route`] names (TLS is layered on top by hyper-rustls).
#[derive(Clone)]
pub struct UpstreamConnector {
    tcp: HttpConnector,
    route: Arc<Route>,
}

impl UpstreamConnector {
    /// A connector that opens TCP connections with `tcp` along `route`.
    pub fn new(tcp: HttpConnector, route: Arc<Route>) -> Self {
        UpstreamConnector { tcp, route }
    }
}

impl tower::Service<Uri> for UpstreamConnector {
    type Response = UpstreamStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<UpstreamStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::<Uri>::poll_ready(&mut self.tcp, cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match &*self.route {
            Route::Direct => {
                let connecting = self.tcp.call(dst);
                Box::pin(async move {
                    Ok(UpstreamStream {
                        io: connecting.await?,
                        proxied: false,
                    })
                })
            }
            Route::Forward { proxy, .. } => {
                let connecting = self.tcp.call(proxy.clone());
                Box::pin(async move {
                    Ok(UpstreamStream {
                        io: connecting.await?,
                        proxied: true,
                    })
                })
            }
            Route::Tunnel { proxy, auth } => {
                let mut tunnel = Tunnel::new(proxy.clone(), self.tcp.clone());
                if let Some(auth) = auth {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let connecting = tunnel.call(dst);
                Box::pin(async move {
                    Ok(UpstreamStream {
                        io: connecting.await?,
                        proxied: false,
                    })
                })
            }
        }
    }
}

/// A TCP connection to the upstream or a proxy. `proxied` tells the client
/// to write request targets in absolute form (forward proxy).
pub struct UpstreamStream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for UpstreamStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for UpstreamStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for UpstreamStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(all: &str, no: &str) -> Matcher {
        Matcher::builder()
            .all(all.to_string())
            .no(no.to_string())
            .build()
    }

    #[test]
    fn no_proxy_variables_mean_a_direct_route() {
        let upstream: Uri = "https://rest.ecgrid.io".parse().unwrap();
        let route = Route::with_matcher(&upstream, &Matcher::builder().build()).unwrap();
        assert_eq!(route, Route::Direct);
    }

    #[test]
    fn an_https_upstream_is_tunnelled_and_an_http_one_forwarded() {
        let m = matcher("http://proxy.corp:3128", "");
        let https: Uri = "https://rest.ecgrid.io".parse().unwrap();
        let http: Uri = "http://rest.ecgrid.io".parse().unwrap();
        assert!(matches!(
            Route::with_matcher(&https, &m).unwrap(),
            Route::Tunnel { ref proxy, auth: None } if proxy == "http://proxy.corp:3128/"
        ));
        assert!(matches!(
            Route::with_matcher(&http, &m).unwrap(),
            Route::Forward { ref proxy, auth: None } if proxy == "http://proxy.corp:3128/"
        ));
    }

    #[test]
    fn no_proxy_exempts_the_upstream() {
        let m = matcher("http://proxy.corp:3128", "localhost,.ecgrid.io");
        let upstream: Uri = "https://rest.ecgrid.io".parse().unwrap();
        assert_eq!(Route::with_matcher(&upstream, &m).unwrap(), Route::Direct);
    }

    #[test]
    fn proxy_credentials_become_basic_auth_and_are_never_printed() {
        let m = matcher("http://alice:s3cret@proxy.corp:3128", "");
        let http: Uri = "http://rest.ecgrid.io".parse().unwrap();
        let route = Route::with_matcher(&http, &m).unwrap();
        let auth = route.request_auth().expect("forward proxy auth");
        assert_eq!(auth, "Basic YWxpY2U6czNjcmV0");
        assert!(auth.is_sensitive());
        let shown = format!("{route:?}");
        assert_eq!(shown, "Forward(http://proxy.corp:3128)");
        // A tunnel authenticates on CONNECT only.
        let https: Uri = "https://rest.ecgrid.io".parse().unwrap();
        let tunnel = Route::with_matcher(&https, &m).unwrap();
        assert!(tunnel.request_auth().is_none());
        assert!(matches!(tunnel, Route::Tunnel { auth: Some(_), .. }));
    }

    #[test]
    fn an_unsupported_proxy_scheme_is_refused_naming_the_variables() {
        let m = matcher("socks5://bob:pw@proxy.corp:1080", "");
        let https: Uri = "https://rest.ecgrid.io".parse().unwrap();
        let err = Route::with_matcher(&https, &m).unwrap_err();
        assert_eq!(
            err,
            "the proxy socks5://proxy.corp:1080 for the upstream (HTTPS_PROXY or ALL_PROXY) is \
             not supported: only http:// proxies are (set NO_PROXY to the upstream's host to \
             connect directly)"
        );
        assert!(!err.contains("pw"), "{err}");
    }
}
