//! `ecgrid-gateway`: `serve` (the gateway), `sandbox` (the REST v2
//! emulator on its own) and `healthcheck` (a running gateway's `/healthz`,
//! for a container's `HEALTHCHECK`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use ecgrid_gateway::config::{LogFormat, ServeArgs};
use ecgrid_gateway::healthcheck::HealthcheckArgs;
use ecgrid_gateway::sandbox::cli::SandboxCommand;
use ecgrid_gateway::{startup, telemetry};

/// mimalloc instead of glibc malloc: under load, malloc/free/memmove were
/// about a fifth of the gateway's CPU (perf, bench/results/HISTORY.md). The binary only;
/// the library leaves the choice to whoever links it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SOAP-to-REST compatibility gateway for ECGridOS clients.
#[derive(Parser)]
#[command(name = "ecgrid-gateway", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at startup: the size of `ServeArgs` (one `Option` per flag)
// costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the gateway: legacy ECGridOS SOAP in, ECGrid REST v2 out.
    Serve(Box<ServeArgs>),
    /// Run the embedded ECGrid REST v2 sandbox on its own.
    Sandbox(SandboxCommand),
    /// Ask a running gateway's /healthz; exit 0 when it answers 200.
    Healthcheck(HealthcheckArgs),
}

/// Exit code for bad command-line or configuration values (as clap uses).
const EXIT_USAGE: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = match args.resolve() {
                Ok(config) => config,
                Err(err) => {
                    eprintln!("error: {err}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            let logs = telemetry::init(config.log_format);
            let result = startup::run(config).await;
            finish(logs, result)
        }
        Command::Healthcheck(args) => match args.run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::FAILURE
            }
        },
        Command::Sandbox(command) => {
            let logs = telemetry::init(LogFormat::Text);
            let result = command.run().await;
            finish(logs, result)
        }
    }
}

/// Writes out the queued log lines, then reports how the command ended (so
/// an error is the last thing on stderr).
fn finish(logs: telemetry::LogGuard, result: Result<(), String>) -> ExitCode {
    drop(logs);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
