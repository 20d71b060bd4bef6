//! `ecgrid-gateway sandbox`: run the sandbox from the command line.

use std::path::PathBuf;

use clap::Args;

use super::{load_accounts, parties_summary, start, SandboxConfig};

/// Options of the `sandbox` subcommand; each may also come from the
/// environment variable `ECGRID_GATEWAY_<NAME>`.
#[derive(Args, Debug, Clone)]
pub struct SandboxCommand {
    /// Address to listen on.
    #[arg(long, env = "ECGRID_GATEWAY_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: std::net::SocketAddr,
    /// Also accept http:// callback URLs, but only to loopback hosts.
    #[arg(long, env = "ECGRID_GATEWAY_ALLOW_HTTP_CALLBACKS")]
    pub allow_http_callbacks: bool,
    /// TOML file of extra [[account]] tables (demo and partner are always there).
    #[arg(long, env = "ECGRID_GATEWAY_ACCOUNTS", value_name = "FILE")]
    pub accounts: Option<PathBuf>,
    /// Bearer token lifetime, e.g. "1h" (default 1h).
    #[arg(long, env = "ECGRID_GATEWAY_TOKEN_TTL", value_name = "DURATION")]
    pub token_ttl: Option<humantime::Duration>,
    /// Timeout of one webhook delivery attempt, e.g. "10s" (default 10s).
    #[arg(long, env = "ECGRID_GATEWAY_DELIVERY_TIMEOUT", value_name = "DURATION")]
    pub delivery_timeout: Option<humantime::Duration>,
    /// First retry delay of a failed delivery, e.g. "1s" (default 1s).
    #[arg(long, env = "ECGRID_GATEWAY_RETRY_BASE_DELAY", value_name = "DURATION")]
    pub retry_base_delay: Option<humantime::Duration>,
    /// Most bytes of parcel file content kept in memory, e.g. "256MiB"
    /// (default 256 MiB; the oldest files are archived first).
    #[arg(
        long,
        env = "ECGRID_GATEWAY_MAX_PARCEL_BYTES",
        value_name = "SIZE",
        value_parser = parse_byte_size
    )]
    pub max_parcel_bytes: Option<usize>,
}

/// A size such as `1048576`, `512KiB`, `64MiB` or `2GiB` (k/m/g, kb/mb/gb,
/// kib/mib/gib are all 1024-based); at least 1 KiB.
pub fn parse_byte_size(value: &str) -> Result<usize, String> {
    let v = value.trim();
    let digits_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(digits_end);
    let bad = || format!("'{value}' is not a size of at least 1KiB (e.g. 268435456, 512MiB, 2GiB)");
    let number: usize = number.parse().map_err(|_| bad())?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    number
        .checked_mul(factor)
        .filter(|n| *n >= 1024)
        .ok_or_else(bad)
}

impl SandboxCommand {
    /// The sandbox configuration these options describe.
    pub fn config(&self) -> Result<SandboxConfig, String> {
        let mut config = SandboxConfig {
            allow_http_callbacks: self.allow_http_callbacks,
            ..SandboxConfig::default()
        };
        if let Some(path) = &self.accounts {
            config.accounts = load_accounts(path)?;
        }
        if let Some(n) = self.max_parcel_bytes {
            config.max_parcel_bytes = n;
        }
        if let Some(d) = self.token_ttl {
            config.token_ttl = d.into();
        }
        if let Some(d) = self.delivery_timeout {
            config.delivery.timeout = d.into();
        }
        if let Some(d) = self.retry_base_delay {
            config.delivery.backoff_base = d.into();
            config.delivery.backoff_max = config.delivery.backoff_max.max(d.into());
        }
        if config.token_ttl.is_zero() || config.delivery.timeout.is_zero() {
            return Err("--token-ttl and --delivery-timeout must be greater than zero".to_string());
        }
        Ok(config)
    }

    /// Binds, prints one line with the URL and the parties (credentials of
    /// the built-in ones, ECGrid IDs, mailboxes), serves
    /// until Ctrl-C or SIGTERM, then shuts down gracefully (the report is
    /// logged).
    pub async fn run(self) -> Result<(), String> {
        let config = self.config()?;
        let config_accounts = config.accounts.clone();
        let listener = tokio::net::TcpListener::bind(&self.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", self.listen))?;
        let handle = start(listener, config)
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        println!(
            "ecgrid-gateway sandbox listening on {} (accounts: {}; demo and partner are interconnected)",
            handle.base_url(),
            parties_summary(&config_accounts)
        );
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        let report = handle.shutdown().await;
        tracing::info!(
            finished = report.finished,
            unfinished = report.unfinished.len(),
            "sandbox shut down"
        );
        Ok(())
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        c: SandboxCommand,
    }

    #[test]
    fn parses_flags_and_durations() {
        let t = T::try_parse_from([
            "x",
            "--listen",
            "127.0.0.1:0",
            "--allow-http-callbacks",
            "--token-ttl",
            "5m",
            "--delivery-timeout",
            "2s",
            "--retry-base-delay",
            "20ms",
        ])
        .unwrap();
        let cfg = t.c.config().unwrap();
        assert!(cfg.allow_http_callbacks);
        assert_eq!(cfg.token_ttl, Duration::from_secs(300));
        assert_eq!(cfg.delivery.timeout, Duration::from_secs(2));
        assert_eq!(cfg.delivery.backoff_base, Duration::from_millis(20));
        assert_eq!(cfg.accounts, crate::sandbox::Account::builtins());
        assert_eq!(
            cfg.max_parcel_bytes,
            crate::sandbox::DEFAULT_MAX_PARCEL_BYTES
        );
        let t = T::try_parse_from(["x", "--max-parcel-bytes", "2MiB"]).unwrap();
        assert_eq!(t.c.config().unwrap().max_parcel_bytes, 2 << 20);
        let Err(e) = T::try_parse_from(["x", "--max-parcel-bytes", "lots"]) else {
            panic!("a bad size must not parse");
        };
        assert!(e.to_string().contains("--max-parcel-bytes"), "{e}");
        assert!(T::try_parse_from(["x", "--token-ttl", "soon"]).is_err());
    }

    #[test]
    fn accounts_file_adds_to_the_demo_account() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("acc.toml");
        std::fs::write(&p, "[[account]]\nlogin=\"bob\"\npassword=\"p\"\napi_key=\"kb\"\nuser_id=7\nnetwork_id=2\nmailbox_id=3\n").unwrap();
        let t = T::try_parse_from(["x", "--accounts", p.to_str().unwrap()]).unwrap();
        let cfg = t.c.config().unwrap();
        assert_eq!(cfg.accounts.len(), 3);
        std::fs::write(&p, "[[account]]\nlogin=\"demo\"\npassword=\"p\"\napi_key=\"kb\"\nuser_id=7\nnetwork_id=2\nmailbox_id=3\n").unwrap();
        let e = t.c.config().unwrap_err();
        assert!(
            e.contains("acc.toml") && e.contains("duplicate login"),
            "{e}"
        );
    }

    #[test]
    fn options_come_from_the_environment_too() {
        // Only variables that the other tests set explicitly on the command line.
        std::env::set_var("ECGRID_GATEWAY_ALLOW_HTTP_CALLBACKS", "true");
        std::env::set_var("ECGRID_GATEWAY_DELIVERY_TIMEOUT", "3s");
        let t = T::try_parse_from(["x"]).unwrap();
        std::env::remove_var("ECGRID_GATEWAY_ALLOW_HTTP_CALLBACKS");
        std::env::remove_var("ECGRID_GATEWAY_DELIVERY_TIMEOUT");
        assert!(t.c.allow_http_callbacks);
        assert_eq!(
            t.c.config().unwrap().delivery.timeout,
            Duration::from_secs(3)
        );
        assert_eq!(t.c.listen.to_string(), "127.0.0.1:8081");
    }

    #[test]
    fn a_bad_listen_address_is_a_usage_error_naming_the_flag() {
        let Err(e) = T::try_parse_from(["x", "--listen", "not-an-address"]) else {
            panic!("a bad address must not parse");
        };
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--listen"), "{e}");
    }
}
