//! Configuration of `ecgrid-gateway serve`: one [`Config`] from flags, the
//! `ECGRID_GATEWAY_<NAME>` environment and an optional TOML file (in that
//! order of precedence), validated at the boundary into domain types.
//!
//! A bad value is a [`ConfigError`] that names the flag (or file key); the
//! binary prints it and exits with code 2, as clap does for its own errors.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::Deserialize;

use crate::routing::table::{check_route, closest_operation, is_real_operation, LegacyService};
use crate::routing::{DefaultRoute, Route, RouteSettings, ShadowPrimary};
use crate::session::{RedisTarget, SessionBackend, SessionKey};

/// Default `--listen`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default `--upstream`.
pub const DEFAULT_UPSTREAM: &str = "https://rest.ecgrid.io";
/// Default `--session-idle-timeout`.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Default `--session-capacity`.
pub const DEFAULT_SESSION_CAPACITY: u64 = 1_000_000;
/// Default `--upstream-timeout`.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `--max-body`: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// Default `--max-upload-body`: 96 MiB, the body limit of the upload
/// operations (`ParcelUpload…`): a 64 MiB file is about 85.4 MiB of base64
/// plus its envelope (ASMX's default is 4 MiB; operators raise it for EDI
/// files).
pub const DEFAULT_MAX_UPLOAD_BODY: usize = 96 * 1024 * 1024;
/// Default `--max-body-memory`: 256 MiB (raised to `--max-upload-body`
/// when that is larger), the request-body bytes held at once by all
/// connections together (`body_memory`).
pub const DEFAULT_MAX_BODY_MEMORY: usize = 256 * 1024 * 1024;
/// Default `--shutdown-grace`.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Most `--workers` accepted.
pub const MAX_WORKERS: usize = 1024;
/// Default `--body-read-timeout`: the time a request body gets on top of
/// what `--body-min-rate` allows for its bytes.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `--body-min-rate`: 32 KiB/s (a 1 MiB body may take 10 s + 32 s,
/// a 64 MiB upload 10 s + 34 min).
pub const DEFAULT_BODY_MIN_RATE: u64 = 32 * 1024;
/// Fewest and most connections the default `--max-connections` picks.
pub const DEFAULT_MAX_CONNECTIONS_RANGE: (usize, usize) = (256, 16_384);

/// Default `--max-connections`: as many connections as a quarter of the
/// memory the process may use (its cgroup's limit, else the machine's)
/// holds when each carries a whole `max_body` request and a full request
/// head buffer (64 KiB with hyper's state), within
/// [`DEFAULT_MAX_CONNECTIONS_RANGE`].
pub fn default_max_connections(max_body: usize) -> usize {
    let (least, most) = DEFAULT_MAX_CONNECTIONS_RANGE;
    let Some(memory) = memory_limit() else {
        return least;
    };
    let per_connection = max_body as u64 + 64 * 1024;
    ((memory / 4 / per_connection) as usize).clamp(least, most)
}

/// The memory the process may use, in bytes: cgroup v2 `memory.max`, else
/// `MemTotal` of `/proc/meminfo`; `None` where neither can be read.
fn memory_limit() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        });
    match (cgroup, total) {
        (Some(c), Some(t)) => Some(c.min(t)),
        (c, t) => c.or(t),
    }
}

/// Default `--workers`: one per CPU the process may use.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `serve` flags as given (flags and env merged by clap); `None` = not given.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "ECGRID_GATEWAY_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// REST v2 upstream base URL [default: https://rest.ecgrid.io]
    #[arg(long, env = "ECGRID_GATEWAY_UPSTREAM", value_name = "URL")]
    pub upstream: Option<String>,
    /// Start the embedded REST v2 sandbox in-process and use it as upstream
    #[arg(long, env = "ECGRID_GATEWAY_SANDBOX")]
    pub sandbox: bool,
    /// Let the embedded sandbox deliver webhooks to http:// loopback URLs
    #[arg(long, env = "ECGRID_GATEWAY_ALLOW_HTTP_CALLBACKS")]
    pub allow_http_callbacks: bool,
    /// Most bytes of parcel files the embedded sandbox keeps, oldest archived first [default: 256MiB]
    #[arg(long, env = "ECGRID_GATEWAY_MAX_PARCEL_BYTES", value_name = "SIZE")]
    pub max_parcel_bytes: Option<String>,
    /// Base URL written into served WSDL addresses [default: from the request's Host]
    #[arg(long, env = "ECGRID_GATEWAY_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Forget a session after this long without use, e.g. 20m [default: 20m]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_SESSION_IDLE_TIMEOUT",
        allow_hyphen_values = true,
        value_name = "DURATION"
    )]
    pub session_idle_timeout: Option<String>,
    /// Most live sessions kept [default: 1000000]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_SESSION_CAPACITY",
        allow_hyphen_values = true,
        value_name = "N"
    )]
    pub session_capacity: Option<String>,
    /// Where sessions live: memory (this process) or redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS), shared by every instance [default: memory]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_SESSIONS",
        hide_env_values = true,
        value_name = "memory|URL"
    )]
    pub sessions: Option<String>,
    /// Key sealing the sessions kept in Redis: 64 hex digits (256 bits), e.g. from `openssl rand -hex 32`; required with --sessions redis://…
    #[arg(
        long,
        env = "ECGRID_GATEWAY_SESSION_KEY",
        hide_env_values = true,
        value_name = "HEX"
    )]
    pub session_key: Option<String>,
    /// During a key rotation, the previous --session-key: sessions sealed with it still open, and are sealed again with the new key on use
    #[arg(
        long,
        env = "ECGRID_GATEWAY_SESSION_KEY_PREVIOUS",
        hide_env_values = true,
        value_name = "HEX"
    )]
    pub session_key_previous: Option<String>,
    /// Fail an upstream call after this long, e.g. 30s [default: 30s]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_UPSTREAM_TIMEOUT",
        allow_hyphen_values = true,
        value_name = "DURATION"
    )]
    pub upstream_timeout: Option<String>,
    /// PEM file of CA certificates to trust for an https upstream, besides the built-in Mozilla roots (e.g. a TLS-inspecting egress proxy's CA)
    #[arg(long, env = "ECGRID_GATEWAY_UPSTREAM_CA", value_name = "FILE")]
    pub upstream_ca: Option<String>,
    /// Largest request body accepted, e.g. 1MiB, 512KiB, 65536 [default: 1MiB]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_MAX_BODY",
        allow_hyphen_values = true,
        value_name = "SIZE"
    )]
    pub max_body: Option<String>,
    /// Largest request body of an upload operation (ParcelUpload…), e.g. 128MiB [default: 96MiB, a 64 MiB file in base64]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_MAX_UPLOAD_BODY",
        allow_hyphen_values = true,
        value_name = "SIZE"
    )]
    pub max_upload_body: Option<String>,
    /// Request-body bytes held at once by all connections together, e.g. 512MiB; at least --max-upload-body [default: 256MiB]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_MAX_BODY_MEMORY",
        allow_hyphen_values = true,
        value_name = "SIZE"
    )]
    pub max_body_memory: Option<String>,
    /// Most client connections open at once; more wait to be accepted [default: from memory, see docs/SECURITY.md]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_MAX_CONNECTIONS",
        allow_hyphen_values = true,
        value_name = "N"
    )]
    pub max_connections: Option<String>,
    /// Time a request body gets beyond what --body-min-rate allows, e.g. 10s [default: 10s]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_BODY_READ_TIMEOUT",
        allow_hyphen_values = true,
        value_name = "DURATION"
    )]
    pub body_read_timeout: Option<String>,
    /// Slowest average rate a request body may arrive at, per second, e.g. 32KiB [default: 32KiB]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_BODY_MIN_RATE",
        allow_hyphen_values = true,
        value_name = "SIZE"
    )]
    pub body_min_rate: Option<String>,
    /// Worker threads serving connections [default: one per CPU]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_WORKERS",
        allow_hyphen_values = true,
        value_name = "N"
    )]
    pub workers: Option<String>,
    /// On shutdown, close connections still open after this long, e.g. 30s [default: 30s]
    #[arg(
        long,
        env = "ECGRID_GATEWAY_SHUTDOWN_GRACE",
        allow_hyphen_values = true,
        value_name = "DURATION"
    )]
    pub shutdown_grace: Option<String>,
    /// Log format [default: text]
    #[arg(long, env = "ECGRID_GATEWAY_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Base URL of the legacy ECGridOS SOAP service for the legacy and shadow routes, e.g. https://os.ecgrid.io (`sandbox` with --sandbox: an embedded emulator)
    #[arg(long, env = "ECGRID_GATEWAY_LEGACY", value_name = "URL")]
    pub legacy: Option<String>,
    /// Route of one operation: OP=rest, OP=legacy or OP=shadow (repeatable; env: comma-separated)
    #[arg(
        long = "route",
        env = "ECGRID_GATEWAY_ROUTE",
        value_delimiter = ',',
        value_name = "OP=ROUTE"
    )]
    pub routes: Vec<String>,
    /// What operations the gateway does not translate get: legacy or fault [default: legacy with --legacy, else fault]
    #[arg(long, env = "ECGRID_GATEWAY_DEFAULT_ROUTE", value_name = "ROUTE")]
    pub default_route: Option<String>,
    /// Whose answer a shadowed call returns: legacy or rest [default: legacy]
    #[arg(long, env = "ECGRID_GATEWAY_SHADOW_PRIMARY", value_name = "SIDE")]
    pub shadow_primary: Option<String>,
    /// TOML file with any of the settings above (flags and env win)
    #[arg(long, env = "ECGRID_GATEWAY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The TOML file: the same settings, snake_case or kebab-case keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    upstream: Option<String>,
    sandbox: Option<bool>,
    #[serde(alias = "allow-http-callbacks")]
    allow_http_callbacks: Option<bool>,
    #[serde(alias = "max-parcel-bytes")]
    max_parcel_bytes: Option<String>,
    #[serde(alias = "public-url")]
    public_url: Option<String>,
    #[serde(alias = "session-idle-timeout")]
    session_idle_timeout: Option<String>,
    #[serde(alias = "session-capacity")]
    session_capacity: Option<u64>,
    sessions: Option<String>,
    #[serde(alias = "session-key")]
    session_key: Option<String>,
    #[serde(alias = "session-key-previous")]
    session_key_previous: Option<String>,
    #[serde(alias = "upstream-timeout")]
    upstream_timeout: Option<String>,
    #[serde(alias = "upstream-ca")]
    upstream_ca: Option<String>,
    #[serde(alias = "max-body")]
    max_body: Option<toml::Value>,
    #[serde(alias = "max-upload-body")]
    max_upload_body: Option<toml::Value>,
    #[serde(alias = "max-body-memory")]
    max_body_memory: Option<toml::Value>,
    workers: Option<u64>,
    #[serde(alias = "max-connections")]
    max_connections: Option<u64>,
    #[serde(alias = "body-read-timeout")]
    body_read_timeout: Option<String>,
    #[serde(alias = "body-min-rate")]
    body_min_rate: Option<toml::Value>,
    #[serde(alias = "shutdown-grace")]
    shutdown_grace: Option<String>,
    #[serde(alias = "log-format")]
    log_format: Option<LogFormat>,
    legacy: Option<String>,
    /// `[routes]`: operation = "rest" | "legacy" | "shadow".
    routes: Option<BTreeMap<String, String>>,
    #[serde(alias = "default-route")]
    default_route: Option<String>,
    #[serde(alias = "shadow-primary")]
    shadow_primary: Option<String>,
    /// `[shadow]`: `ignore = { Operation = ["/path", …] }`.
    shadow: Option<ShadowFile>,
}

/// The `[shadow]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShadowFile {
    /// Element paths never counted as drift, per operation.
    #[serde(default)]
    ignore: BTreeMap<String, Vec<String>>,
}

/// Where the gateway sends its REST calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// A REST v2 base URL.
    Url(String),
    /// The embedded sandbox, started in-process.
    Sandbox {
        /// Passed to the sandbox's URL rule.
        allow_http_callbacks: bool,
    },
}

/// The validated configuration of `serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// The upstream.
    pub upstream: Upstream,
    /// Base URL for served WSDL addresses, without trailing slash.
    pub public_url: Option<String>,
    /// Session idle timeout.
    pub session_idle_timeout: Duration,
    /// Session capacity (with Redis, of each instance's near-cache).
    pub session_capacity: u64,
    /// Where sessions live (`--sessions`, `--session-key`).
    pub sessions: SessionBackend,
    /// Upstream call timeout.
    pub upstream_timeout: Duration,
    /// Extra CA certificates trusted for the upstream (`--upstream-ca`),
    /// on top of the built-in Mozilla roots.
    pub upstream_ca: Vec<CertificateDer<'static>>,
    /// Request body limit in bytes.
    pub max_body: usize,
    /// Request body limit of the upload operations (never below
    /// `max_body`).
    pub max_upload_body: usize,
    /// Request-body bytes all connections may hold at once
    /// (`--max-body-memory`, never below `max_upload_body`).
    pub max_body_memory: usize,
    /// With `--sandbox`: the sandbox's bound on stored parcel content
    /// (`--max-parcel-bytes`).
    pub sandbox_max_parcel_bytes: usize,
    /// Worker threads (each a single-threaded runtime; see `workers.rs`).
    pub workers: usize,
    /// Most client connections open at once (`--max-connections`).
    pub max_connections: usize,
    /// Time a request body gets beyond its bytes at `body_min_rate`.
    pub body_read_timeout: Duration,
    /// Slowest average rate of a request body, bytes per second.
    pub body_min_rate: u64,
    /// How long a shutdown waits for open connections before closing them.
    pub shutdown_grace: Duration,
    /// Log format.
    pub log_format: LogFormat,
    /// Routes, the legacy service and shadow settings (`routing`).
    pub routing: RouteSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("valid default"),
            upstream: Upstream::Url(DEFAULT_UPSTREAM.to_string()),
            public_url: None,
            session_idle_timeout: DEFAULT_SESSION_IDLE_TIMEOUT,
            session_capacity: DEFAULT_SESSION_CAPACITY,
            sessions: SessionBackend::Memory,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
            upstream_ca: Vec::new(),
            max_body: DEFAULT_MAX_BODY,
            max_upload_body: DEFAULT_MAX_UPLOAD_BODY,
            max_body_memory: DEFAULT_MAX_BODY_MEMORY,
            sandbox_max_parcel_bytes: crate::sandbox::DEFAULT_MAX_PARCEL_BYTES,
            workers: default_workers(),
            max_connections: default_max_connections(DEFAULT_MAX_BODY),
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            body_min_rate: DEFAULT_BODY_MIN_RATE,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            log_format: LogFormat::Text,
            routing: RouteSettings::default(),
        }
    }
}

/// A setting with a bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where a value came from, for error messages.
#[derive(Clone, Copy)]
enum Source<'a> {
    Flag(&'a str),
    File(&'a Path, &'a str),
}

impl std::fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "--{flag}"),
            Source::File(path, key) => write!(f, "'{key}' in {}", path.display()),
        }
    }
}

fn bad(source: Source<'_>, value: &str, why: &str) -> ConfigError {
    ConfigError(format!("invalid value '{value}' for {source}: {why}"))
}

impl ServeArgs {
    /// Validates the flags (and the `--config` file they name) into a
    /// [`Config`].
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let path = self.config.as_deref().unwrap_or(Path::new(""));
        let pick = |flag: &Option<String>, file_value: &Option<String>, name: &'static str| match (
            flag, file_value,
        ) {
            (Some(v), _) => Some((v.clone(), Source::Flag(name))),
            (None, Some(v)) => Some((v.clone(), Source::File(path, name))),
            _ => None,
        };
        let mut config = Config::default();

        if let Some((v, src)) = pick(&self.listen, &file.listen, "listen") {
            config.listen = v
                .trim()
                .parse()
                .map_err(|_| bad(src, &v, "expected IP:PORT, e.g. 127.0.0.1:8080"))?;
        }
        let sandbox = self.sandbox || file.sandbox.unwrap_or(false);
        let allow_http = self.allow_http_callbacks || file.allow_http_callbacks.unwrap_or(false);
        let upstream = pick(&self.upstream, &file.upstream, "upstream");
        let max_parcel = pick(
            &self.max_parcel_bytes,
            &file.max_parcel_bytes,
            "max-parcel-bytes",
        );
        config.sandbox_max_parcel_bytes = match max_parcel {
            None => crate::sandbox::DEFAULT_MAX_PARCEL_BYTES,
            Some((_, src)) if !sandbox => {
                return Err(ConfigError(format!(
                    "{src} applies to the embedded sandbox only; add --sandbox"
                )))
            }
            Some((v, src)) => parse_size(&v).ok_or_else(|| {
                bad(
                    src,
                    &v,
                    "expected a size of at least 1KiB, e.g. 256MiB or 2GiB",
                )
            })?,
        };
        config.upstream = match (sandbox, upstream) {
            (true, Some((v, src))) => {
                return Err(ConfigError(format!(
                    "{src} ('{v}') conflicts with --sandbox, which uses the embedded sandbox as the upstream; give one of them"
                )))
            }
            (true, None) => Upstream::Sandbox {
                allow_http_callbacks: allow_http,
            },
            (false, Some((v, src))) => Upstream::Url(parse_base_url(&v, src)?),
            (false, None) => Upstream::Url(DEFAULT_UPSTREAM.to_string()),
        };
        if allow_http && !sandbox {
            return Err(ConfigError(
                "--allow-http-callbacks applies to the embedded sandbox only; add --sandbox".into(),
            ));
        }
        if let Some((v, src)) = pick(&self.public_url, &file.public_url, "public-url") {
            config.public_url = Some(parse_base_url(&v, src)?);
        }
        if let Some((v, src)) = pick(
            &self.session_idle_timeout,
            &file.session_idle_timeout,
            "session-idle-timeout",
        ) {
            config.session_idle_timeout = parse_duration(&v, src)?;
        }
        config.sessions = sessions(
            pick(&self.sessions, &file.sessions, "sessions"),
            pick(&self.session_key, &file.session_key, "session-key"),
            pick(
                &self.session_key_previous,
                &file.session_key_previous,
                "session-key-previous",
            ),
        )?;
        // Whole numbers: the flag is a string, the TOML value a number.
        let pick_count = |flag: &Option<String>, file_value: Option<u64>, name: &'static str| {
            pick(flag, &file_value.map(|n| n.to_string()), name)
        };
        if let Some((v, src)) = pick_count(
            &self.session_capacity,
            file.session_capacity,
            "session-capacity",
        ) {
            config.session_capacity = parse_count(
                &v,
                src,
                1..=u64::MAX,
                "expected a whole number of sessions, at least 1",
            )?;
        }
        if let Some((v, src)) = pick_count(&self.workers, file.workers, "workers") {
            config.workers = parse_count(
                &v,
                src,
                1..=MAX_WORKERS,
                &format!("expected a whole number of worker threads from 1 to {MAX_WORKERS}"),
            )?;
        }
        if let Some((v, src)) = pick(
            &self.upstream_timeout,
            &file.upstream_timeout,
            "upstream-timeout",
        ) {
            config.upstream_timeout = parse_duration(&v, src)?;
        }
        if let Some((v, src)) = pick(&self.upstream_ca, &file.upstream_ca, "upstream-ca") {
            // Trusted only for TLS to an https upstream: with any other it
            // would be accepted and do nothing.
            let plain_http = match &config.upstream {
                Upstream::Url(url) if url.starts_with("https://") => None,
                Upstream::Url(url) => Some(format!("the upstream is {url}")),
                Upstream::Sandbox { .. } => Some("--sandbox's is plain HTTP".to_string()),
            };
            if let Some(upstream) = plain_http {
                return Err(bad(
                    src,
                    &v,
                    &format!("CA certificates apply to an https:// upstream only, and {upstream}"),
                ));
            }
            // A relative path in the file is relative to the file.
            let ca_path = match src {
                Source::File(file_path, _) => {
                    file_path.parent().unwrap_or(Path::new("")).join(v.trim())
                }
                Source::Flag(_) => PathBuf::from(v.trim()),
            };
            config.upstream_ca = read_ca_file(&ca_path, src)?;
        }
        let pick_size = |flag: &Option<String>, file_value: &Option<toml::Value>, name| {
            flag.clone().map(|v| (v, Source::Flag(name))).or(file_value
                .as_ref()
                .map(|v| match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .map(|v| (v, Source::File(path, name))))
        };
        let size = |(v, src): (String, Source<'_>)| {
            parse_size(&v).ok_or_else(|| {
                bad(
                    src,
                    &v,
                    "expected a size of at least 1KiB, e.g. 1MiB, 512KiB or 65536",
                )
            })
        };
        if let Some(given) = pick_size(&self.max_body, &file.max_body, "max-body") {
            config.max_body = size(given)?;
        }
        if let Some(given) = pick_size(
            &self.max_upload_body,
            &file.max_upload_body,
            "max-upload-body",
        ) {
            config.max_upload_body = size(given)?;
        }
        config.max_upload_body = config.max_upload_body.max(config.max_body);
        config.max_body_memory = DEFAULT_MAX_BODY_MEMORY.max(config.max_upload_body);
        if let Some(given) = pick_size(
            &self.max_body_memory,
            &file.max_body_memory,
            "max-body-memory",
        ) {
            let (value, src) = given.clone();
            config.max_body_memory = size(given)?;
            if config.max_body_memory < config.max_upload_body {
                return Err(bad(
                    src,
                    &value,
                    &format!(
                        "must be at least --max-upload-body ({} bytes), or no upload could be held",
                        config.max_upload_body
                    ),
                ));
            }
            if config.max_body_memory > u32::MAX as usize {
                return Err(bad(src, &value, "must be below 4GiB"));
            }
        }
        config.max_connections = default_max_connections(config.max_body);
        if let Some((v, src)) = pick_count(
            &self.max_connections,
            file.max_connections,
            "max-connections",
        ) {
            config.max_connections = parse_count(
                &v,
                src,
                1..=1_000_000,
                "expected a whole number of connections from 1 to 1000000",
            )?;
        }
        if let Some((v, src)) = pick(
            &self.body_read_timeout,
            &file.body_read_timeout,
            "body-read-timeout",
        ) {
            config.body_read_timeout = parse_duration(&v, src)?;
        }
        let body_min_rate = self
            .body_min_rate
            .clone()
            .map(|v| (v, Source::Flag("body-min-rate")))
            .or(file
                .body_min_rate
                .as_ref()
                .map(|v| match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .map(|v| (v, Source::File(path, "body-min-rate"))));
        if let Some((v, src)) = body_min_rate {
            config.body_min_rate = parse_size(&v).map(|n| n as u64).ok_or_else(|| {
                bad(
                    src,
                    &v,
                    "expected a rate of at least 1KiB per second, e.g. 32KiB or 65536",
                )
            })?;
        }
        if let Some((v, src)) = pick(&self.shutdown_grace, &file.shutdown_grace, "shutdown-grace") {
            config.shutdown_grace = parse_duration(&v, src)?;
        }
        config.log_format = self
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Text);
        config.routing = self.routing(&file, path, sandbox)?;
        Ok(config)
    }
}

impl ServeArgs {
    /// `--legacy`, `--route`/`[routes]`, `--default-route`,
    /// `--shadow-primary` and `[shadow] ignore`, checked.
    fn routing(
        &self,
        file: &FileConfig,
        path: &Path,
        sandbox: bool,
    ) -> Result<RouteSettings, ConfigError> {
        let pick = |flag: &Option<String>, file_value: &Option<String>, name: &'static str| match (
            flag, file_value,
        ) {
            (Some(v), _) => Some((v.clone(), Source::Flag(name))),
            (None, Some(v)) => Some((v.clone(), Source::File(path, name))),
            _ => None,
        };
        let mut settings = RouteSettings::default();
        if let Some((v, src)) = pick(&self.legacy, &file.legacy, "legacy") {
            settings.legacy = Some(if v.trim() == "sandbox" {
                if !sandbox {
                    return Err(bad(
                        src,
                        &v,
                        "the embedded legacy emulator runs with --sandbox only; add --sandbox or give the legacy service's URL",
                    ));
                }
                LegacyService::Sandbox
            } else {
                LegacyService::Url(parse_base_url(&v, src)?)
            });
        }
        let legacy = settings.legacy.is_some();
        // The file's routes first, then the flags' (which win per operation).
        let mut routes: Vec<(String, String, Source<'_>)> = Vec::new();
        for (op, route) in file.routes.iter().flatten() {
            routes.push((op.clone(), route.clone(), Source::File(path, "routes")));
        }
        for given in &self.routes {
            let Some((op, route)) = given.split_once('=') else {
                return Err(bad(
                    Source::Flag("route"),
                    given,
                    "expected OPERATION=ROUTE, e.g. ParcelDownload=legacy",
                ));
            };
            routes.push((
                op.trim().to_string(),
                route.to_string(),
                Source::Flag("route"),
            ));
        }
        for (op, route_name, src) in routes {
            let shown = format!("{op}={route_name}");
            let route = Route::parse(&route_name)
                .ok_or_else(|| bad(src, &shown, "the route must be rest, legacy or shadow"))?;
            check_route(&op, route, legacy).map_err(|why| bad(src, &shown, &why))?;
            settings.routes.insert(op, route);
        }
        settings.default_route = if legacy {
            DefaultRoute::Legacy
        } else {
            DefaultRoute::Fault
        };
        if let Some((v, src)) = pick(&self.default_route, &file.default_route, "default-route") {
            settings.default_route = match v.trim() {
                "legacy" if legacy => DefaultRoute::Legacy,
                "legacy" => {
                    return Err(bad(
                        src,
                        &v,
                        "routing untranslated operations to legacy needs --legacy URL",
                    ))
                }
                "fault" => DefaultRoute::Fault,
                _ => return Err(bad(src, &v, "expected legacy or fault")),
            };
        }
        if let Some((v, src)) = pick(&self.shadow_primary, &file.shadow_primary, "shadow-primary") {
            settings.shadow_primary = match v.trim() {
                "legacy" => ShadowPrimary::Legacy,
                "rest" => ShadowPrimary::Rest,
                _ => return Err(bad(src, &v, "expected legacy or rest")),
            };
        }
        for (op, paths) in file.shadow.iter().flat_map(|s| &s.ignore) {
            let src = Source::File(path, "shadow.ignore");
            if !is_real_operation(op) {
                let hint = closest_operation(op)
                    .map(|c| format!(" (closest real name: {c})"))
                    .unwrap_or_default();
                return Err(bad(src, op, &format!("not an ECGridOS operation{hint}")));
            }
            if let Some(p) = paths.iter().find(|p| !p.starts_with('/')) {
                return Err(bad(
                    src,
                    p,
                    &format!(
                        "an ignored path of {op} is an element path from the Body, e.g. /{op}Response/{op}Result/LastLogin"
                    ),
                ));
            }
            settings.shadow_ignore.insert(op.clone(), paths.clone());
        }
        Ok(settings)
    }
}

/// `--sessions`, `--session-key` and `--session-key-previous`, checked
/// together: Redis needs a key, a key needs Redis. Neither a key nor a
/// Redis password is ever repeated in an error.
fn sessions(
    backend: Option<(String, Source<'_>)>,
    key: Option<(String, Source<'_>)>,
    previous: Option<(String, Source<'_>)>,
) -> Result<SessionBackend, ConfigError> {
    let read_key = |(text, src): (String, Source<'_>)| {
        SessionKey::from_hex(&text).ok_or_else(|| {
            ConfigError(format!(
                "invalid value for {src}: expected 64 hex digits (256 bits), e.g. from \
                 `openssl rand -hex 32`; got {} characters",
                text.trim().chars().count()
            ))
        })
    };
    let target = match backend {
        None => None,
        Some((v, _)) if v.trim() == "memory" => None,
        Some((v, src)) => Some(RedisTarget::parse(&v).map_err(|why| {
            let shown = RedisTarget::parse(&v)
                .map(|t| t.shown().to_string())
                .unwrap_or_else(|_| {
                    if v.contains('@') {
                        "<URL with credentials>".to_string()
                    } else {
                        v.trim().to_string()
                    }
                });
            bad(src, &shown, &why)
        })?),
    };
    let Some(target) = target else {
        if let Some((_, src)) = key.or(previous) {
            return Err(ConfigError(format!(
                "{src} seals sessions kept in Redis and applies to --sessions redis://… only"
            )));
        }
        return Ok(SessionBackend::Memory);
    };
    let Some(key) = key else {
        return Err(ConfigError(format!(
            "--sessions {} keeps sessions (credentials) in Redis and needs --session-key HEX \
             (64 hex digits, env ECGRID_GATEWAY_SESSION_KEY) to seal them; generate one with \
             `openssl rand -hex 32`",
            target.shown()
        )));
    };
    Ok(SessionBackend::Redis {
        target,
        key: read_key(key)?,
        previous_key: previous.map(read_key).transpose()?,
    })
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError(format!(
            "invalid value '{}' for --config: cannot read it: {e}",
            path.display()
        ))
    })?;
    toml::from_str(&text).map_err(|e| {
        ConfigError(format!(
            "invalid value '{}' for --config: {}",
            path.display(),
            e.to_string().trim()
        ))
    })
}

/// A whole number within `range`; otherwise an error naming `source` that
/// says what was `expected`.
fn parse_count<T: std::str::FromStr + PartialOrd>(
    value: &str,
    source: Source<'_>,
    range: std::ops::RangeInclusive<T>,
    expected: &str,
) -> Result<T, ConfigError> {
    match value.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(bad(source, value, expected)),
    }
}

fn parse_duration(value: &str, source: Source<'_>) -> Result<Duration, ConfigError> {
    match humantime::parse_duration(value.trim()) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(bad(source, value, "must be longer than zero")),
        Err(e) => Err(bad(
            source,
            value,
            &format!("{e}; expected e.g. 30s, 20m or 1h"),
        )),
    }
}

fn parse_base_url(value: &str, source: Source<'_>) -> Result<String, ConfigError> {
    let url = url::Url::parse(value.trim()).map_err(|e| {
        bad(
            source,
            value,
            &format!("{e}; expected e.g. https://rest.ecgrid.io"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(
            source,
            value,
            "expected an http:// or https:// URL with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Not echoed: the value holds a password.
        return Err(ConfigError(format!(
            "invalid value for {source}: a base URL cannot carry a user or password (each \
             call authenticates with the caller's own credential)"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            source,
            value,
            "a base URL cannot have a query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Reads the CA certificates of a PEM file; each must be usable as a trust
/// anchor, and there must be at least one.
fn read_ca_file(
    path: &Path,
    source: Source<'_>,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let shown = path.display();
    let fail = |why: String| ConfigError(format!("invalid value '{shown}' for {source}: {why}"));
    let pem = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(fail(
            "no certificate in it (expected PEM blocks starting -----BEGIN CERTIFICATE-----)"
                .to_string(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, cert) in certs.iter().enumerate() {
        roots.add(cert.clone()).map_err(|e| {
            fail(format!(
                "certificate {} of {} cannot be a trust anchor: {e}",
                i + 1,
                certs.len()
            ))
        })?;
    }
    Ok(certs)
}

/// Parses `65536`, `64k`, `64KiB`, `1M`, `1MiB` (binary units); at least 1 KiB.
fn parse_size(value: &str) -> Option<usize> {
    let v = value.trim();
    let digits_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(digits_end);
    let number: usize = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(factor).filter(|&n| n >= 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message of the error `args` resolve to (they must not resolve).
    fn error_of(args: ServeArgs) -> String {
        args.resolve().unwrap_err().0
    }

    /// A fresh self-signed certificate, written as `ca.pem` in `dir`.
    fn write_ca(dir: &Path) -> (rcgen::CertifiedKey<rcgen::KeyPair>, PathBuf) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, cert.cert.pem()).unwrap();
        (cert, path)
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.max_body, 1024 * 1024);
        assert_eq!(config.workers, default_workers());
        assert!(config.workers >= 1);
    }

    #[test]
    fn body_memory_defaults_to_256_mib_never_below_the_upload_limit() {
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(config.max_body_memory, 256 << 20);
        let config = ServeArgs {
            max_upload_body: Some("300MiB".into()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            config.max_body_memory,
            300 << 20,
            "raised to the upload limit"
        );
        let config = ServeArgs {
            max_body_memory: Some("512MiB".into()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.max_body_memory, 512 << 20);
        assert_eq!(
            error_of(ServeArgs {
                max_body_memory: Some("64MiB".into()),
                ..Default::default()
            }),
            "invalid value '64MiB' for --max-body-memory: must be at least --max-upload-body \
             (100663296 bytes), or no upload could be held"
        );
        assert_eq!(
            error_of(ServeArgs {
                max_body_memory: Some("5GiB".into()),
                ..Default::default()
            }),
            "invalid value '5GiB' for --max-body-memory: must be below 4GiB"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.toml");
        std::fs::write(&path, "max-body-memory = \"1GiB\"\n").unwrap();
        let config = ServeArgs {
            config: Some(path),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.max_body_memory, 1 << 30);
    }

    #[test]
    fn connection_and_body_limits_come_from_flags_or_the_file() {
        let config = ServeArgs::default().resolve().unwrap();
        let (least, most) = DEFAULT_MAX_CONNECTIONS_RANGE;
        assert!((least..=most).contains(&config.max_connections));
        assert_eq!(
            config.max_connections,
            default_max_connections(config.max_body)
        );
        assert_eq!(config.body_read_timeout, DEFAULT_BODY_READ_TIMEOUT);
        assert_eq!(config.body_min_rate, 32 * 1024);
        // A larger --max-body means fewer connections fit by default.
        assert!(default_max_connections(64 << 20) <= default_max_connections(1 << 20));
        let args = ServeArgs {
            max_connections: Some("500".into()),
            body_read_timeout: Some("3s".into()),
            body_min_rate: Some("8KiB".into()),
            ..Default::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.max_connections, 500);
        assert_eq!(config.body_read_timeout, Duration::from_secs(3));
        assert_eq!(config.body_min_rate, 8192);
        for (args, expected) in [
            (
                ServeArgs { max_connections: Some("0".into()), ..Default::default() },
                "invalid value '0' for --max-connections: expected a whole number of connections from 1 to 1000000",
            ),
            (
                ServeArgs { body_read_timeout: Some("0s".into()), ..Default::default() },
                "invalid value '0s' for --body-read-timeout: must be longer than zero",
            ),
            (
                ServeArgs { body_min_rate: Some("10".into()), ..Default::default() },
                "invalid value '10' for --body-min-rate: expected a rate of at least 1KiB per second, e.g. 32KiB or 65536",
            ),
        ] {
            assert_eq!(error_of(args), expected);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.toml");
        std::fs::write(
            &path,
            "max-connections = 77\nbody_read_timeout = \"2s\"\nbody-min-rate = \"4KiB\"\n",
        )
        .unwrap();
        let config = ServeArgs {
            config: Some(path),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(
            (
                config.max_connections,
                config.body_read_timeout,
                config.body_min_rate
            ),
            (77, Duration::from_secs(2), 4096)
        );
    }

    #[test]
    fn redis_sessions_need_a_key_and_never_echo_secrets() {
        const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        let config = ServeArgs::default().resolve().unwrap();
        assert_eq!(config.sessions, SessionBackend::Memory);
        let memory = ServeArgs {
            sessions: Some("memory".into()),
            ..Default::default()
        };
        assert_eq!(memory.resolve().unwrap().sessions, SessionBackend::Memory);
        let err = error_of(ServeArgs {
            sessions: Some("redis://app:hunter2@127.0.0.1:6379/1".into()),
            ..Default::default()
        });
        assert!(err.contains("needs --session-key HEX"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let config = ServeArgs {
            sessions: Some("redis://app:hunter2@127.0.0.1:6379/1".into()),
            session_key: Some(KEY.into()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        let SessionBackend::Redis { target, .. } = &config.sessions else {
            panic!("expected Redis: {config:?}");
        };
        assert!(target.shown().starts_with("redis://app:***@127.0.0.1:6379"));
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains(KEY),
            "{shown}"
        );
        let err = error_of(ServeArgs {
            sessions: Some("redis://127.0.0.1:6379".into()),
            session_key: Some(format!("{}zz", &KEY[2..])),
            ..Default::default()
        });
        assert!(
            err.starts_with("invalid value for --session-key: expected 64 hex digits"),
            "{err}"
        );
        assert!(!err.contains(&KEY[2..]), "{err}");
        let err = error_of(ServeArgs {
            session_key: Some(KEY.into()),
            ..Default::default()
        });
        assert!(
            err.contains("--session-key seals sessions kept in Redis"),
            "{err}"
        );
        let err = error_of(ServeArgs {
            sessions: Some("http://127.0.0.1:6379".into()),
            ..Default::default()
        });
        assert!(
            err.starts_with("invalid value 'http://127.0.0.1:6379' for --sessions"),
            "{err}"
        );
        let err = error_of(ServeArgs {
            sessions: Some("redis://u:hunter2@h:1/x".into()),
            session_key: Some(KEY.into()),
            ..Default::default()
        });
        assert!(
            err.contains("--sessions") && !err.contains("hunter2"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.toml");
        std::fs::write(
            &path,
            format!("sessions = \"rediss://cache:6380/0\"\nsession-key = \"{KEY}\"\n"),
        )
        .unwrap();
        let config = ServeArgs {
            config: Some(path),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert!(matches!(config.sessions, SessionBackend::Redis { .. }));
    }

    #[test]
    fn workers_come_from_the_flag_or_the_file_within_bounds() {
        let args = ServeArgs {
            workers: Some("3".into()),
            ..Default::default()
        };
        assert_eq!(args.resolve().unwrap().workers, 3);
        for bad_value in ["0", "-2", "1025", "many", ""] {
            let err = error_of(ServeArgs {
                workers: Some(bad_value.into()),
                ..Default::default()
            });
            assert_eq!(
                err,
                format!("invalid value '{bad_value}' for --workers: expected a whole number of worker threads from 1 to 1024")
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.toml");
        std::fs::write(&path, "workers = 5\nsession-capacity = 7\n").unwrap();
        let from_file = ServeArgs {
            config: Some(path.clone()),
            ..Default::default()
        };
        let config = from_file.resolve().unwrap();
        assert_eq!((config.workers, config.session_capacity), (5, 7));
        let flag_wins = ServeArgs {
            workers: Some("2".into()),
            ..from_file
        };
        assert_eq!(flag_wins.resolve().unwrap().workers, 2);
        std::fs::write(&path, "workers = 0\n").unwrap();
        let err = error_of(ServeArgs {
            config: Some(path.clone()),
            ..Default::default()
        });
        assert!(
            err.starts_with("invalid value '0' for 'workers' in "),
            "{err}"
        );
    }

    #[test]
    fn upstream_ca_files_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, good) = write_ca(dir.path());
        let config = ServeArgs {
            upstream_ca: Some(good.display().to_string()),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.upstream_ca, vec![cert.cert.der().clone()]);

        // In the TOML file, a relative path is relative to the file.
        let toml = dir.path().join("gateway.toml");
        std::fs::write(&toml, "upstream-ca = \"ca.pem\"\n").unwrap();
        let from_file = ServeArgs {
            config: Some(toml.clone()),
            ..Default::default()
        };
        assert_eq!(from_file.resolve().unwrap().upstream_ca.len(), 1);

        let missing = dir.path().join("nope.pem");
        let err = error_of(ServeArgs {
            upstream_ca: Some(missing.display().to_string()),
            ..Default::default()
        });
        assert!(
            err.starts_with(&format!(
                "invalid value '{}' for --upstream-ca: cannot read the file: ",
                missing.display()
            )),
            "{err}"
        );

        // The error `contents` given as the --upstream-ca file resolve to.
        let error_with_ca = |name: &str, contents: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, contents).unwrap();
            error_of(ServeArgs {
                upstream_ca: Some(path.display().to_string()),
                ..Default::default()
            })
        };
        let err = error_with_ca("key.pem", &cert.signing_key.serialize_pem());
        assert!(
            err.ends_with(
                "no certificate in it (expected PEM blocks starting -----BEGIN CERTIFICATE-----)"
            ),
            "{err}"
        );
        let err = error_with_ca(
            "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        );
        assert!(
            err.contains("for --upstream-ca: not a PEM certificate file"),
            "{err}"
        );
        // Valid PEM and base64, but "hello" is no certificate.
        let err = error_with_ca(
            "junk-der.pem",
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        );
        assert!(
            err.contains("for --upstream-ca: certificate 1 of 1 cannot be a trust anchor"),
            "{err}"
        );
    }

    #[test]
    fn an_upstream_ca_without_an_https_upstream_is_refused_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (_, ca) = write_ca(dir.path());
        let ca = ca.display().to_string();
        let err = error_of(ServeArgs {
            upstream: Some("http://127.0.0.1:8081".into()),
            upstream_ca: Some(ca.clone()),
            ..Default::default()
        });
        assert_eq!(
            err,
            format!(
                "invalid value '{ca}' for --upstream-ca: CA certificates apply to an https:// \
                 upstream only, and the upstream is http://127.0.0.1:8081"
            )
        );
        let err = error_of(ServeArgs {
            sandbox: true,
            upstream_ca: Some(ca.clone()),
            ..Default::default()
        });
        assert!(err.contains("for --upstream-ca: "), "{err}");
        assert!(err.ends_with("--sandbox's is plain HTTP"), "{err}");
        // The scheme is compared as parsed, so any case of HTTPS is one.
        let config = ServeArgs {
            upstream: Some("HTTPS://rest.ecgrid.io".into()),
            upstream_ca: Some(ca),
            ..Default::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(config.upstream_ca.len(), 1);
    }

    #[test]
    fn an_upstream_url_with_a_password_is_refused_without_echoing_it() {
        let err = error_of(ServeArgs {
            upstream: Some("https://svc:Hunter2@rest.ecgrid.io".into()),
            ..Default::default()
        });
        assert_eq!(
            err,
            "invalid value for --upstream: a base URL cannot carry a user or password (each \
             call authenticates with the caller's own credential)"
        );
    }

    #[test]
    fn bad_values_name_the_flag() {
        let args = ServeArgs {
            session_idle_timeout: Some("soon".into()),
            ..Default::default()
        };
        let err = error_of(args);
        assert!(
            err.starts_with("invalid value 'soon' for --session-idle-timeout"),
            "{err}"
        );
        for (args, flag) in [
            (
                ServeArgs {
                    listen: Some("nope".into()),
                    ..Default::default()
                },
                "--listen",
            ),
            (
                ServeArgs {
                    upstream: Some("ftp://x".into()),
                    ..Default::default()
                },
                "--upstream",
            ),
            (
                ServeArgs {
                    max_body: Some("12".into()),
                    ..Default::default()
                },
                "--max-body",
            ),
            (
                ServeArgs {
                    session_capacity: Some("0".into()),
                    ..Default::default()
                },
                "--session-capacity",
            ),
            (
                ServeArgs {
                    upstream_timeout: Some("0s".into()),
                    ..Default::default()
                },
                "--upstream-timeout",
            ),
        ] {
            let err = error_of(args);
            assert!(err.contains(flag), "{err}");
        }
    }

    #[test]
    fn sandbox_conflicts_with_upstream_and_owns_http_callbacks() {
        let args = ServeArgs {
            sandbox: true,
            upstream: Some("http://x".into()),
            ..Default::default()
        };
        assert!(args
            .resolve()
            .unwrap_err()
            .0
            .contains("conflicts with --sandbox"));
        let args = ServeArgs {
            allow_http_callbacks: true,
            ..Default::default()
        };
        assert!(error_of(args).contains("add --sandbox"));
        let args = ServeArgs {
            sandbox: true,
            allow_http_callbacks: true,
            ..Default::default()
        };
        assert_eq!(
            args.resolve().unwrap().upstream,
            Upstream::Sandbox {
                allow_http_callbacks: true
            }
        );
        let args = ServeArgs {
            sandbox: true,
            max_parcel_bytes: Some("2MiB".into()),
            ..Default::default()
        };
        assert_eq!(args.resolve().unwrap().sandbox_max_parcel_bytes, 2 << 20);
        let args = ServeArgs {
            max_parcel_bytes: Some("2MiB".into()),
            ..Default::default()
        };
        assert!(error_of(args).contains("--max-parcel-bytes applies to the embedded sandbox only"));
        let args = ServeArgs {
            sandbox: true,
            max_parcel_bytes: Some("huge".into()),
            ..Default::default()
        };
        assert!(error_of(args).starts_with("invalid value 'huge' for --max-parcel-bytes"));
    }

    #[test]
    fn file_values_apply_under_flags_and_errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gw.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\nmax-body = \"2MiB\"\nsession_idle_timeout = \"5m\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            session_idle_timeout: Some("1m".into()),
            ..Default::default()
        };
        let config = args.resolve().unwrap();
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.max_body, 2 * 1024 * 1024);
        assert_eq!(config.session_idle_timeout, Duration::from_secs(60));

        std::fs::write(&path, "upstream_timeout = \"forever\"\n").unwrap();
        let err = error_of(ServeArgs {
            config: Some(path.clone()),
            ..Default::default()
        });
        assert!(err.contains("'upstream-timeout' in"), "{err}");
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let err = error_of(ServeArgs {
            config: Some(path),
            ..Default::default()
        });
        assert!(err.contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn sizes_and_urls() {
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("512KiB"), Some(512 * 1024));
        assert_eq!(parse_size("1M"), Some(1024 * 1024));
        assert_eq!(parse_size("1 xb"), None);
        assert_eq!(parse_size("10"), None);
        assert_eq!(
            parse_base_url("https://gw.example.com/", Source::Flag("public-url")).unwrap(),
            "https://gw.example.com"
        );
    }
}
