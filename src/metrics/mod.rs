//! The gateway's Prometheus metrics (`GET /metrics`): what is recorded,
//! cheaply, on the hot path.
//!
//! Every series is a plain `AtomicU64` in a table fixed at first use, one
//! slot per label combination, so recording is an index and a relaxed
//! `fetch_add` on whichever worker thread serves the call: no lock, no
//! allocation, no map. The tables are read only when `/metrics` is scraped
//! (`exposition.rs`, which writes them through prometheus-client's
//! OpenMetrics text encoder).
//!
//! Labels are bounded by construction: `operation` is an index into the
//! names of the two original WSDLs and the translated operations
//! ([`operation_index`]; anything else is `unknown`), `soap_version`,
//! `outcome`, `route` and `upstream` are enums, and an upstream `status` is
//! an HTTP status code (100–599) or `error`. Nothing from a request's
//! content other than a known operation name becomes a label.
//!
//! One table per process (like Prometheus' default registry): in-process
//! test gateways share it; the metrics tests run the binary.

mod exposition;
mod histogram;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

pub use exposition::{render, Scrape, CONTENT_TYPE};
use histogram::Histogram;

use crate::soap::SoapVersion;

/// How a SOAP call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An answer (HTTP 2xx).
    Ok,
    /// A fault the client must fix (`soap:Client` and the envelope
    /// faults; HTTP 4xx from a legacy service).
    ClientFault,
    /// A fault of the gateway or an upstream (`soap:Server`; HTTP 5xx
    /// from a legacy service without a readable fault code).
    ServerFault,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Ok, Outcome::ClientFault, Outcome::ServerFault];

    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ClientFault => "client_fault",
            Outcome::ServerFault => "server_fault",
        }
    }
}

/// What a SOAP call's metrics are labelled with, filled in as the call
/// goes (`call_scope`) and recorded once it is answered.
#[derive(Debug, Clone, Copy)]
pub struct CallLabels {
    /// A SOAP POST to an endpoint (other requests are not counted).
    pub soap: bool,
    /// [`operation_index`] of the operation.
    pub operation: u16,
    /// The SOAP version.
    pub version: SoapVersion,
    /// Which side answered.
    pub route: RouteLabel,
    /// The code of the gateway's own fault, when it answered one.
    pub fault: Option<crate::soap::FaultCode>,
}

impl CallLabels {
    /// Labels of a request nothing is known about yet.
    pub fn new() -> Self {
        CallLabels {
            soap: false,
            operation: unknown_operation(),
            version: SoapVersion::V11,
            route: RouteLabel::Rest,
            fault: None,
        }
    }
}

impl Default for CallLabels {
    fn default() -> Self {
        Self::new()
    }
}

/// Which side answered a SOAP call (`routing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteLabel {
    /// Translated to REST.
    Rest,
    /// Passed to the legacy ECGridOS service.
    Legacy,
    /// Sent to both.
    Shadow,
}

impl RouteLabel {
    const ALL: [RouteLabel; 3] = [RouteLabel::Rest, RouteLabel::Legacy, RouteLabel::Shadow];

    fn label(self) -> &'static str {
        match self {
            RouteLabel::Rest => "rest",
            RouteLabel::Legacy => "legacy",
            RouteLabel::Shadow => "shadow",
        }
    }
}

/// An upstream the gateway calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    /// ECGrid REST v2.
    Rest,
    /// The legacy ECGridOS SOAP service (`--legacy`).
    Legacy,
}

impl Upstream {
    const ALL: [Upstream; 2] = [Upstream::Rest, Upstream::Legacy];

    fn label(self) -> &'static str {
        match self {
            Upstream::Rest => "rest",
            Upstream::Legacy => "legacy",
        }
    }
}

const VERSIONS: [SoapVersion; 2] = [SoapVersion::V11, SoapVersion::V12];

fn version_slot(version: SoapVersion) -> usize {
    usize::from(version != SoapVersion::V11)
}

/// Upstream status slots: 100..=599, then one for "no answer".
const STATUS_SLOTS: usize = 501;

/// The index of an operation name for the `operation` label: one of the
/// original WSDLs' or a translated one, else the `unknown` slot.
pub fn operation_index(name: &str) -> u16 {
    let table = tables();
    table.by_name.get(name).copied().unwrap_or(table.unknown)
}

/// The index of the `unknown` operation (no lookup).
pub fn unknown_operation() -> u16 {
    tables().unknown
}

/// FNV-1a: the name lookup hashes an operation name per call; SipHash's
/// flood resistance is not needed for a map that is never written after
/// it is made (an unknown name is a miss, whatever its hash).
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// Every table, made once.
struct Tables {
    names: Vec<&'static str>,
    by_name: HashMap<&'static str, u16, FnvBuild>,
    unknown: u16,
    /// [operation][version][outcome][route]
    requests: Box<[AtomicU64]>,
    /// Per operation.
    request_seconds: Box<[Histogram]>,
    /// [upstream][status slot]
    upstream_requests: Box<[AtomicU64]>,
    /// Per upstream.
    upstream_seconds: Box<[Histogram]>,
}

static TABLES: OnceLock<Tables> = OnceLock::new();

/// Makes the tables with the translated operations' names besides the
/// original WSDLs' (`startup` passes `ops::OPERATIONS`'; metrics does not
/// import `ops`, which imports `rest`, which records here). Without it, the
/// first recording makes them with the WSDLs' names only, and a translated
/// operation outside them counts as `unknown`.
pub fn init(translated: impl IntoIterator<Item = &'static str>) {
    let _ = TABLES.get_or_init(|| make_tables(translated.into_iter().collect()));
}

fn tables() -> &'static Tables {
    TABLES.get_or_init(|| make_tables(Vec::new()))
}

fn make_tables(translated: Vec<&'static str>) -> Tables {
    {
        let mut names: Vec<&'static str> = crate::schema::catalog::WSDL_OPERATIONS
            .iter()
            .map(|op| op.name)
            .collect();
        for name in translated {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let unknown = names.len() as u16;
        names.push("unknown");
        let by_name: HashMap<&'static str, u16, FnvBuild> = names
            .iter()
            .enumerate()
            .take(unknown as usize)
            .map(|(i, name)| (*name, i as u16))
            .collect();
        let counters = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect();
        let ops = names.len();
        Tables {
            requests: counters(ops * VERSIONS.len() * Outcome::ALL.len() * RouteLabel::ALL.len()),
            request_seconds: (0..ops).map(|_| Histogram::default()).collect(),
            upstream_requests: counters(Upstream::ALL.len() * STATUS_SLOTS),
            upstream_seconds: (0..Upstream::ALL.len())
                .map(|_| Histogram::default())
                .collect(),
            names,
            by_name,
            unknown,
        }
    }
}

fn request_slot(op: u16, version: usize, outcome: usize, route: usize) -> usize {
    ((usize::from(op) * VERSIONS.len() + version) * Outcome::ALL.len() + outcome)
        * RouteLabel::ALL.len()
        + route
}

/// Records one SOAP call: its operation ([`operation_index`]), version,
/// outcome and route, and how long it took.
pub fn record_request(
    operation: u16,
    version: SoapVersion,
    outcome: Outcome,
    route: RouteLabel,
    elapsed: Duration,
) {
    let t = tables();
    let op = operation.min(t.unknown);
    let outcome = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
    let route = RouteLabel::ALL
        .iter()
        .position(|r| *r == route)
        .unwrap_or(0);
    t.requests[request_slot(op, version_slot(version), outcome, route)]
        .fetch_add(1, Ordering::Relaxed);
    t.request_seconds[usize::from(op)].observe(elapsed);
}

/// Records one upstream exchange that began at `started`: the HTTP status
/// it answered (`None`: no answer — unreachable, timed out, unreadable)
/// and how long it took (one clock read).
pub fn record_upstream(upstream: Upstream, status: Option<u16>, started: std::time::Instant) {
    let elapsed = started.elapsed();
    let t = tables();
    let which = Upstream::ALL
        .iter()
        .position(|u| *u == upstream)
        .unwrap_or(0);
    let slot = match status {
        Some(code @ 100..=599) => usize::from(code - 100),
        _ => STATUS_SLOTS - 1,
    };
    t.upstream_requests[which * STATUS_SLOTS + slot].fetch_add(1, Ordering::Relaxed);
    t.upstream_seconds[which].observe(elapsed);
    let now = millis_at(started + elapsed);
    let seen = if status.is_some() {
        &LAST_ANSWER_MS
    } else {
        &LAST_FAILURE_MS
    };
    seen[which].store(now, Ordering::Relaxed);
}

/// When each upstream last answered / last failed to, in milliseconds
/// since [`process_millis`]'s start (0: never); read by `/readyz`.
static LAST_ANSWER_MS: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
static LAST_FAILURE_MS: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

static START: OnceLock<std::time::Instant> = OnceLock::new();

/// Milliseconds from the tables' start to `at` (at least 1, so 0 means
/// never).
fn millis_at(at: std::time::Instant) -> u64 {
    let start = START.get_or_init(std::time::Instant::now);
    u64::try_from(at.saturating_duration_since(*start).as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Milliseconds from the tables' start to now.
fn process_millis() -> u64 {
    millis_at(std::time::Instant::now())
}

/// How long ago `upstream` last answered (any HTTP status), if it did and
/// no exchange with it has failed since.
pub fn answered_within(upstream: Upstream) -> Option<Duration> {
    let which = Upstream::ALL
        .iter()
        .position(|u| *u == upstream)
        .unwrap_or(0);
    let answer = LAST_ANSWER_MS[which].load(Ordering::Relaxed);
    let failure = LAST_FAILURE_MS[which].load(Ordering::Relaxed);
    (answer != 0 && answer >= failure)
        .then(|| Duration::from_millis(process_millis().saturating_sub(answer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded_to_the_known_ones() {
        init(crate::ops::OPERATIONS.iter().map(|spec| spec.name));
        let login = operation_index("Login");
        assert_eq!(tables().names[usize::from(login)], "Login");
        assert_eq!(
            tables().names[usize::from(operation_index("CallBackAdd"))],
            "CallBackAdd",
            "translated operations outside the original WSDL count too"
        );
        let unknown = operation_index("DropTables; --");
        assert_eq!(tables().names[usize::from(unknown)], "unknown");
        assert_eq!(operation_index(""), unknown);
        // Out-of-range indices fall into `unknown`, never out of bounds.
        record_request(
            u16::MAX,
            SoapVersion::V12,
            Outcome::ServerFault,
            RouteLabel::Shadow,
            Duration::from_millis(1),
        );
        record_upstream(Upstream::Legacy, Some(1000), std::time::Instant::now());
        record_upstream(Upstream::Legacy, Some(0), std::time::Instant::now());
        assert_eq!(unknown_operation(), unknown);
    }

    #[test]
    fn an_answer_right_after_a_failure_makes_the_upstream_answered_again() {
        record_upstream(Upstream::Legacy, None, std::time::Instant::now());
        assert_eq!(answered_within(Upstream::Legacy), None);
        record_upstream(Upstream::Legacy, Some(200), std::time::Instant::now());
        assert!(answered_within(Upstream::Legacy).is_some());
    }
}
