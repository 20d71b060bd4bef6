//! The gateway's per-request work without a network: read the envelope,
//! dispatch (table lookup + `Operation::parse`), write the response or the
//! fault. Timed with criterion; allocations counted with a counting global
//! allocator (below) and printed as a table after the timings.
//!
//! `cargo bench --bench hot_path` runs everything; `cargo bench --bench
//! hot_path -- whoami` filters as criterion does. The allocation table is
//! printed whatever the filter.
//!
//! The CallBackTest cases use the WSDL form a generated client sends
//! (`SessionID, CallBackEventID, ParcelID, InterchangeID, UserID`), the real
//! `CallBackTest::parse`, and the generated `CallBackQueueIDInfo` writer fed
//! by the answer the sandbox gives for a delivered test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use criterion::{BenchmarkId, Criterion};

use ecgrid_gateway::ops::bench_api::{
    callback_test_sample, whoami_sample, CallBackTest, Login, LoginResponse, WhoAmI,
};
use ecgrid_gateway::ops::{self, Operation};
use ecgrid_gateway::soap::writer::WriteBody;
use ecgrid_gateway::soap::{
    read_envelope, write_fault, write_response, Fault, Limits, SoapVersion,
};

/// Counts every allocation (and reallocation) and the bytes asked for, then
/// defers to the system allocator. A hand-written wrapper rather than dhat
/// or stats_alloc: it needs no dependency, and two relaxed atomic adds per
/// allocation cost the same in every case, so the timings stay comparable.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, bytes) made while running `f`.
fn count_allocs<T>(f: impl FnOnce() -> T) -> (u64, u64, T) {
    let (a0, b0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    let out = f();
    (ALLOCS.load(Relaxed) - a0, BYTES.load(Relaxed) - b0, out)
}

const NS: &str = "https://os.ecgrid.io/";
const SESSION: &str = "A1B2C3D4-E5F6-7890-ABCD-EF1234567890";

/// A request envelope as a .NET client writes it (one line, no header).
fn envelope(version: SoapVersion, operation: &str, params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in params {
        body.push_str(&format!("<{name}>{value}</{name}>"));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="{}"><soap:Body><{operation} xmlns="{NS}">{body}</{operation}></soap:Body></soap:Envelope>"#,
        version.envelope_ns()
    )
    .into_bytes()
}

#[derive(Clone, Copy)]
enum Kind {
    Login,
    WhoAmI,
    CallBackTest,
    /// A Login without Password: parse refuses it, the fault is written.
    Fault,
}

struct Case {
    name: String,
    kind: Kind,
    version: SoapVersion,
    body: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for version in [SoapVersion::V11, SoapVersion::V12] {
        let v = if version == SoapVersion::V11 {
            "11"
        } else {
            "12"
        };
        let mut add = |label: &str, kind, op: &str, params: &[(&str, &str)]| {
            out.push(Case {
                name: format!("{label}_soap{v}"),
                kind,
                version,
                body: envelope(version, op, params),
            })
        };
        add(
            "login",
            Kind::Login,
            "Login",
            &[("LoginName", "demo"), ("Password", "Demo#2026")],
        );
        add("whoami", Kind::WhoAmI, "WhoAmI", &[("SessionID", SESSION)]);
        add(
            "callbacktest",
            Kind::CallBackTest,
            "CallBackTest",
            &[
                ("SessionID", SESSION),
                ("CallBackEventID", "7001"),
                ("ParcelID", "0"),
                ("InterchangeID", "0"),
                ("UserID", "0"),
            ],
        );
        add("fault", Kind::Fault, "Login", &[("LoginName", "demo")]);
    }
    out
}

/// Read + dispatch: the request as far as the operation's `call`. The parsed
/// requests are held (and black-boxed) so the parse is not optimised away.
#[allow(dead_code)]
enum Parsed {
    Login(Login),
    WhoAmI(WhoAmI),
    CallBackTest(CallBackTest),
    Fault(Fault),
}

fn read_and_dispatch(case: &Case, limits: &Limits) -> (SoapVersion, Parsed) {
    let mut request =
        read_envelope(&case.body, Some(case.version), limits).expect("valid envelope");
    let spec = ops::find(&request.operation).expect("operation in the table");
    let parsed = match spec.name {
        "Login" => match Login::parse(&mut request.params) {
            Ok(r) => Parsed::Login(r),
            Err(f) => Parsed::Fault(f),
        },
        "WhoAmI" => match <WhoAmI as Operation>::parse(&mut request.params) {
            Ok(r) => Parsed::WhoAmI(r),
            Err(f) => Parsed::Fault(f),
        },
        "CallBackTest" => match CallBackTest::parse(&mut request.params) {
            Ok(r) => Parsed::CallBackTest(r),
            Err(f) => Parsed::Fault(f),
        },
        other => unreachable!("{other}"),
    };
    (request.version, parsed)
}

/// The response the operation's `call` would have produced.
fn respond(parsed: &Parsed) -> Result<Box<dyn WriteBody>, &Fault> {
    Ok(match parsed {
        Parsed::Login(_) => Box::new(LoginResponse::sample()),
        Parsed::WhoAmI(_) => Box::new(whoami_sample()),
        Parsed::CallBackTest(_) => Box::new(callback_test_sample(7001)),
        Parsed::Fault(f) => return Err(f),
    })
}

fn op_name(parsed: &Parsed) -> &'static str {
    match parsed {
        Parsed::Login(_) => "Login",
        Parsed::WhoAmI(_) => "WhoAmI",
        Parsed::CallBackTest(_) => "CallBackTest",
        Parsed::Fault(_) => "Login",
    }
}

fn write(
    version: SoapVersion,
    parsed: &Parsed,
    body: &Result<Box<dyn WriteBody>, &Fault>,
) -> String {
    match body {
        Ok(body) => write_response(version, NS, op_name(parsed), &**body),
        Err(fault) => write_fault(version, fault),
    }
}

fn check(case: &Case) {
    let (version, parsed) = read_and_dispatch(case, &Limits::default());
    let body = respond(&parsed);
    let xml = write(version, &parsed, &body);
    let fault = matches!(case.kind, Kind::Fault);
    assert_eq!(xml.contains("soap:Fault"), fault, "{}: {xml}", case.name);
}

fn bench(c: &mut Criterion, cases: &[Case]) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("hot_path");
    for case in cases {
        check(case);
        group.bench_with_input(BenchmarkId::new("parse", &case.name), case, |b, case| {
            b.iter(|| black_box(read_and_dispatch(black_box(case), &limits)))
        });
        let (version, parsed) = read_and_dispatch(case, &limits);
        group.bench_with_input(
            BenchmarkId::new("write", &case.name),
            &parsed,
            |b, parsed| {
                b.iter(|| {
                    let body = respond(parsed);
                    black_box(write(version, parsed, &body))
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("total", &case.name), case, |b, case| {
            b.iter(|| {
                let (version, parsed) = read_and_dispatch(black_box(case), &limits);
                let body = respond(&parsed);
                black_box(write(version, &parsed, &body))
            })
        });
    }
    group.finish();
}

/// Median ns of one parse + dispatch + write, from 31 batches.
fn quick_median_ns(case: &Case, limits: &Limits) -> f64 {
    const BATCH: u32 = 2_000;
    let mut samples: Vec<f64> = (0..31)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..BATCH {
                let (version, parsed) = read_and_dispatch(black_box(case), limits);
                let body = respond(&parsed);
                black_box(write(version, &parsed, &body));
            }
            start.elapsed().as_nanos() as f64 / f64::from(BATCH)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Time and allocations per case, as a markdown table.
fn summary(cases: &[Case]) {
    let limits = Limits::default();
    println!();
    println!("| case | total µs (median) | allocs parse+dispatch | allocs write | allocs total | bytes allocated |");
    println!("|---|---:|---:|---:|---:|---:|");
    for case in cases {
        // Once first, so lazily built statics do not count.
        check(case);
        let (pa, pb, (version, parsed)) = count_allocs(|| read_and_dispatch(case, &limits));
        let (wa, wb, xml) = count_allocs(|| {
            let body = respond(&parsed);
            write(version, &parsed, &body)
        });
        black_box(xml);
        let ns = quick_median_ns(case, &limits);
        println!(
            "| {} | {:.2} | {pa} | {wa} | {} | {} |",
            case.name,
            ns / 1000.0,
            pa + wa,
            pb + wb
        );
    }
}

fn main() {
    let cases = cases();
    let mut c = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c, &cases);
    c.final_summary();
    // `--profile-time` runs (under a profiler) skip the table, and so does
    // `cargo test --all-targets` (no `--bench`), where timings mean nothing.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time") {
        summary(&cases);
    }
}
