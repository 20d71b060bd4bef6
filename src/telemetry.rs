//! Logging setup: `tracing` to stderr, text or JSON, filtered by `RUST_LOG`
//! (default `info`).
//!
//! What is logged is decided where it is logged: spans carry the operation,
//! SOAP version, namespace, upstream status and latency and a request id;
//! SessionIDs appear only redacted, and passwords, API keys and tokens never.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber (once; later calls do nothing). Text
/// lines are coloured only when stderr is a terminal: escape codes in a log
/// file or collector are noise, and writing them cost about 3% of the
/// gateway's CPU under load at `info` (BENCHMARKS.md).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
