//! Session store at scale: resident memory and lookup latency with 10k,
//! 100k and 1M live sessions in the gateway's `SessionStore` (moka), set up
//! as `serve` sets it up by default (idle timeout 20 min, capacity 1M).
//!
//! `cargo bench --bench session_scale` measures each size in a fresh child
//! process (so memory freed by a smaller run does not hide in the next), and
//! prints a markdown table; `-- --out FILE` also writes it to FILE.
//! Sizes can be chosen with `-- --sizes 10000,100000`, the bearer token's
//! length with `-- --token-len 300` (default 32, the sandbox's; ECGrid's
//! published examples are JWTs, a few hundred characters).
//!
//! Per size: the SessionIDs are generated first (their `Vec` is outside the
//! measurement); then N sessions shaped like a login (bearer token of the
//! chosen length, user id, expiry, creation time) are inserted, moka's
//! pending work is run, and the growth of VmRSS is the store's cost. Lookup
//! latency is timed per `get` of a live session (random order, 200k
//! lookups), and for an unknown id. The allocator is mimalloc, as in the
//! gateway binary.

use std::time::{Duration, Instant};

/// The gateway binary's allocator, so the memory measured is what `serve`
/// would use.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ecgrid_gateway::session::{Session, SessionId, SessionStore};
use time::OffsetDateTime;

const DEFAULT_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
const LOOKUPS: usize = 200_000;
const CAPACITY: u64 = 1_000_000;
const IDLE: Duration = Duration::from_secs(20 * 60);

/// VmRSS of this process, KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A small xorshift generator: lookup order without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Measures one size; returns a table row.
fn one(n: usize, token_len: usize) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let ids: Vec<SessionId> = (0..n)
        .map(|_| SessionId::generate().expect("OS random"))
        .collect();
    let now = OffsetDateTime::now_utc();
    let store = SessionStore::new(IDLE, CAPACITY);
    let before = rss_kib();
    let started = Instant::now();
    rt.block_on(async {
        for (i, id) in ids.iter().enumerate() {
            let unique = format!(
                "{:032x}",
                (i as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
            );
            let token: String = unique.chars().cycle().take(token_len).collect();
            let session = Session {
                token: token.into(),
                expires_at: Some(now + time::Duration::hours(1)),
                user_id: 1001,
                created: now,
                legacy_session_id: None,
            };
            store.insert(*id, session).await.expect("memory store");
        }
        store.run_pending_tasks().await;
    });
    let insert_ns = started.elapsed().as_nanos() as f64 / n as f64;
    let after = rss_kib();
    let live = store.len();

    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut hit_ns = Vec::with_capacity(LOOKUPS);
    let mut miss_ns = Vec::with_capacity(LOOKUPS / 10);
    rt.block_on(async {
        let mut found = 0usize;
        for _ in 0..LOOKUPS {
            let id = ids[(rng.next() % n as u64) as usize];
            let t = Instant::now();
            let s = store.get(id).await.expect("memory store");
            hit_ns.push(t.elapsed().as_nanos() as u64);
            found += usize::from(s.is_some());
        }
        assert!(found * 100 >= LOOKUPS * 99, "{found} of {LOOKUPS} found");
        for _ in 0..LOOKUPS / 10 {
            let id = SessionId::generate().expect("OS random");
            let t = Instant::now();
            let s = store.get(id).await.expect("memory store");
            miss_ns.push(t.elapsed().as_nanos() as u64);
            assert!(s.is_none());
        }
    });
    hit_ns.sort_unstable();
    miss_ns.sort_unstable();
    let delta = after.saturating_sub(before);
    format!(
        "| {n} | {token_len} | {live} | {:.1} | {:.0} | {:.0} | {} | {} | {} | {} | {} |",
        delta as f64 / 1024.0,
        delta as f64 * 1024.0 / n as f64,
        insert_ns,
        percentile(&hit_ns, 0.5),
        percentile(&hit_ns, 0.99),
        percentile(&hit_ns, 0.999),
        percentile(&miss_ns, 0.5),
        percentile(&miss_ns, 0.99),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let token_len: usize = value("--token-len")
        .map(|v| v.parse().expect("--token-len takes a number"))
        .unwrap_or(32);
    if let Ok(n) = std::env::var("SESSION_SCALE_ONE") {
        let n = n.parse().expect("SESSION_SCALE_ONE is a number");
        println!("{}", one(n, token_len));
        return;
    }
    // `cargo test --all-targets` runs bench targets without `--bench`: a
    // small size only, so the check stays quick.
    let testing = !args.iter().any(|a| a == "--bench");
    let sizes: Vec<usize> = match value("--sizes") {
        None if testing => vec![1_000],
        Some(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("--sizes takes numbers"))
            .collect(),
        None => DEFAULT_SIZES.to_vec(),
    };
    let exe = std::env::current_exe().expect("own path");
    let mut table = String::from(
        "| sessions | token chars | live | RSS growth MiB | bytes/session | insert ns/session | get p50 ns | get p99 ns | get p99.9 ns | miss p50 ns | miss p99 ns |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for n in sizes {
        let out = std::process::Command::new(&exe)
            .env("SESSION_SCALE_ONE", n.to_string())
            .args(["--token-len", &token_len.to_string()])
            .output()
            .expect("run the measurement");
        assert!(
            out.status.success(),
            "size {n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let row = String::from_utf8_lossy(&out.stdout).trim().to_string();
        println!("{row}");
        table.push_str(&row);
        table.push('\n');
    }
    println!("\n{table}");
    if let Some(path) = value("--out") {
        std::fs::write(&path, &table).expect("write --out");
        println!("wrote {path}");
    }
}
