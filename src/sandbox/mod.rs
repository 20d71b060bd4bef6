//! Embedded ECGrid REST v2 sandbox (interface stub until the sandbox lands).
#![allow(missing_docs)]
use std::net::SocketAddr;
pub mod cli {
    #[derive(clap::Args, Debug)]
    pub struct SandboxCommand {}
    impl SandboxCommand {
        pub async fn run(self) -> Result<(), String> {
            Err("sandbox not built yet".into())
        }
    }
}
pub const DEMO_LOGIN: &str = "demo";
pub const DEMO_PASSWORD: &str = "Demo#2026";
pub const DEMO_API_KEY: &str = "demo-api-key";
#[derive(Default)]
pub struct SandboxConfig {
    pub allow_http_callbacks: bool,
}
#[derive(Debug)]
pub struct ShutdownReport;
pub struct SandboxHandle {
    addr: SocketAddr,
}
impl SandboxHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub async fn shutdown(self) -> ShutdownReport {
        ShutdownReport
    }
}
pub async fn start(
    l: tokio::net::TcpListener,
    _c: SandboxConfig,
) -> std::io::Result<SandboxHandle> {
    Ok(SandboxHandle {
        addr: l.local_addr()?,
    })
}
