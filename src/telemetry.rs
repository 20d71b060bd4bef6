//! Logging setup: `tracing` to stderr, text or JSON, filtered by `RUST_LOG`
//! (default `info`).
//!
//! What is logged is decided where it is logged: spans carry the operation,
//! SOAP version, namespace, upstream status and latency and a request id;
//! SessionIDs appear only redacted, and passwords, API keys and tokens never.
//!
//! Lines are formatted on the thread that logs them and written to stderr by
//! one writer thread (`tracing-appender`), which writes whatever has queued
//! up in one system call and flushes whenever the queue runs dry. Nothing is
//! dropped: when the queue is full, a logging thread waits for room.

use std::io::{BufWriter, IsTerminal};
use std::time::Duration;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Bytes the writer thread gathers before a write to stderr (it also writes
/// whenever its queue is empty, so a quiet gateway's lines are not held).
const WRITE_BUFFER: usize = 64 * 1024;

/// Keeps the log writer thread running; dropping it writes out every queued
/// line. Hold it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber (once; later calls install nothing and
/// return an inert guard). Text lines are coloured only when stderr is a
/// terminal: escape codes in a log file or collector are noise, and writing
/// them cost about 3% of the gateway's CPU under load at `info`
/// (bench/results/HISTORY.md).
pub fn init(format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("ecgrid-log")
        .finish(BufWriter::with_capacity(WRITE_BUFFER, std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}

/// A duration as milliseconds with microsecond precision, for log fields
/// (`0.988`, not `0.9883629999999999`).
pub fn millis(elapsed: Duration) -> f64 {
    elapsed.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_keep_three_decimals() {
        assert_eq!(
            millis(Duration::from_nanos(988_362_999)).to_string(),
            "988.362"
        );
        assert_eq!(millis(Duration::from_nanos(988_363)).to_string(), "0.988");
        assert_eq!(millis(Duration::from_secs(2)).to_string(), "2000");
    }
}
