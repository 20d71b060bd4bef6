//! `ecgrid-gateway sandbox`: run the sandbox from the command line.

use std::path::PathBuf;

use clap::Args;

use super::{
    load_accounts, start, Account, SandboxConfig, DEMO_API_KEY, DEMO_LOGIN, DEMO_PASSWORD,
};

/// Options of the `sandbox` subcommand; each may also come from the
/// environment variable `ECGRID_GATEWAY_<NAME>`.
#[derive(Args, Debug, Clone)]
pub struct SandboxCommand {
    /// Address to listen on.
    #[arg(long, env = "ECGRID_GATEWAY_LISTEN", default_value = "127.0.0.1:8081")]
    pub listen: String,
    /// Also accept http:// callback URLs, but only to loopback hosts.
    #[arg(long, env = "ECGRID_GATEWAY_ALLOW_HTTP_CALLBACKS")]
    pub allow_http_callbacks: bool,
    /// TOML file of extra [[account]] tables (the demo account is always there).
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
}

impl SandboxCommand {
    /// The sandbox configuration these options describe.
    pub fn config(&self) -> Result<SandboxConfig, String> {
        let mut config = SandboxConfig {
            allow_http_callbacks: self.allow_http_callbacks,
            ..SandboxConfig::default()
        };
        if let Some(path) = &self.accounts {
            let extra = load_accounts(path)?;
            let mut all = vec![Account::demo()];
            all.extend(extra);
            super::validate_accounts(&all).map_err(|e| {
                format!(
                    "accounts file {}: {e} (the demo account is built in)",
                    path.display()
                )
            })?;
            config.accounts = all;
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

    /// Binds, prints one line with the URL and the demo credentials, serves
    /// until Ctrl-C or SIGTERM, then shuts down gracefully (the report is
    /// logged).
    pub async fn run(self) -> Result<(), String> {
        let config = self.config()?;
        let listener = tokio::net::TcpListener::bind(&self.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", self.listen))?;
        let handle = start(listener, config)
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        println!(
            "ecgrid-gateway sandbox listening on {} (demo account: login {DEMO_LOGIN}, password {DEMO_PASSWORD}, API key {DEMO_API_KEY})",
            handle.base_url()
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
        assert_eq!(cfg.accounts, vec![Account::demo()]);
        assert!(T::try_parse_from(["x", "--token-ttl", "soon"]).is_err());
    }

    #[test]
    fn accounts_file_adds_to_the_demo_account() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("acc.toml");
        std::fs::write(&p, "[[account]]\nlogin=\"bob\"\npassword=\"p\"\napi_key=\"kb\"\nuser_id=7\nnetwork_id=2\nmailbox_id=3\n").unwrap();
        let t = T::try_parse_from(["x", "--accounts", p.to_str().unwrap()]).unwrap();
        let cfg = t.c.config().unwrap();
        assert_eq!(cfg.accounts.len(), 2);
        std::fs::write(&p, "[[account]]\nlogin=\"demo\"\npassword=\"p\"\napi_key=\"kb\"\nuser_id=7\nnetwork_id=2\nmailbox_id=3\n").unwrap();
        let e = t.c.config().unwrap_err();
        assert!(
            e.contains("acc.toml") && e.contains("duplicate login"),
            "{e}"
        );
    }
}
