//! What migration mode has seen since start, per operation: calls per
//! route, shadow outcomes, the drift paths found and the noise paths
//! learned, and the last few differences (redacted). Shared by every worker
//! behind one mutex; bounded (only real operation names are recorded, and
//! every list has a cap), so a client cannot grow it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

use serde::Serialize;

use super::compare::PathDiff;
use super::table::{is_real_operation, Route};

/// Differences kept per operation.
const LAST_DIFFERENCES: usize = 5;
/// Paths kept per difference, drift paths and noise paths per operation.
const MAX_PATHS: usize = 100;
/// Longest value shown (characters).
const MAX_VALUE_CHARS: usize = 120;

/// Calls per route.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RouteCounts {
    /// Answered by the REST translation.
    pub rest: u64,
    /// Passed through to the legacy service.
    pub legacy: u64,
    /// Sent to both.
    pub shadow: u64,
}

/// Outcomes of shadowed calls.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ShadowCounts {
    /// Both answered and the answers agree (noise and ignored paths aside).
    pub agreed: u64,
    /// Both answered and the answers differ.
    pub differed: u64,
    /// One side gave no answer (unreachable, timed out, unreadable).
    pub one_side_failed: u64,
    /// Extra legacy reads made to learn noise.
    pub noise_checks: u64,
}

/// One shadowed call whose answers differed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Difference {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The differing paths and both values, redacted.
    pub paths: Vec<PathDiff>,
}

/// Everything recorded for one operation.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct OperationStats {
    /// Calls per route.
    pub calls: RouteCounts,
    /// Shadow outcomes.
    pub shadow: ShadowCounts,
    /// Paths seen differing, and on how many calls.
    pub drift_paths: BTreeMap<String, u64>,
    /// Paths learned to differ between two identical legacy reads.
    pub noise_paths: BTreeSet<String>,
    /// The last few differences, newest last.
    pub last_differences: VecDeque<Difference>,
    /// The last one-side failure, e.g. `rest: ...` (redacted).
    pub last_failure: Option<String>,
}

/// What a shadowed call came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The answers agree.
    Agreed,
    /// They differ at these paths.
    Differed(Vec<PathDiff>),
    /// One side failed; which and why.
    OneSideFailed(String),
}

/// The shared record.
#[derive(Debug, Default)]
pub struct MigrationStats {
    operations: Mutex<BTreeMap<String, OperationStats>>,
}

impl MigrationStats {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, operation: &str, f: impl FnOnce(&mut OperationStats) -> T) -> Option<T> {
        let mut ops = self.operations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(stats) = ops.get_mut(operation) {
            return Some(f(stats));
        }
        if !is_real_operation(operation) {
            return None;
        }
        Some(f(ops.entry(operation.to_string()).or_default()))
    }

    /// Counts a call of `operation` on `route`; returns how many calls the
    /// route has had (this one included).
    pub fn count(&self, operation: &str, route: Route) -> u64 {
        self.with(operation, |s| {
            let n = match route {
                Route::Rest => &mut s.calls.rest,
                Route::Legacy => &mut s.calls.legacy,
                Route::Shadow => &mut s.calls.shadow,
            };
            *n += 1;
            *n
        })
        .unwrap_or(0)
    }

    /// The noise paths learned for `operation`.
    pub fn noise(&self, operation: &str) -> BTreeSet<String> {
        self.with(operation, |s| s.noise_paths.clone())
            .unwrap_or_default()
    }

    /// Adds noise paths (from two legacy reads that differed there).
    pub fn learn_noise(&self, operation: &str, paths: impl IntoIterator<Item = String>) {
        self.with(operation, |s| {
            s.shadow.noise_checks += 1;
            for path in paths {
                if s.noise_paths.len() < MAX_PATHS {
                    s.noise_paths.insert(path);
                }
            }
        });
    }

    /// Records a shadowed call's outcome; returns the drift paths never
    /// seen before (each is logged once).
    pub fn record(&self, operation: &str, outcome: Outcome, at: String) -> Vec<String> {
        self.with(operation, |s| match outcome {
            Outcome::Agreed => {
                s.shadow.agreed += 1;
                Vec::new()
            }
            Outcome::OneSideFailed(why) => {
                s.shadow.one_side_failed += 1;
                s.last_failure = Some(redact(&why));
                Vec::new()
            }
            Outcome::Differed(paths) => {
                s.shadow.differed += 1;
                let mut new = Vec::new();
                for d in &paths {
                    let room = s.drift_paths.len() < MAX_PATHS;
                    match s.drift_paths.get_mut(&d.path) {
                        Some(n) => *n += 1,
                        None if room => {
                            s.drift_paths.insert(d.path.clone(), 1);
                            new.push(d.path.clone());
                        }
                        None => {}
                    }
                }
                if s.last_differences.len() == LAST_DIFFERENCES {
                    s.last_differences.pop_front();
                }
                s.last_differences.push_back(Difference {
                    at,
                    paths: paths
                        .into_iter()
                        .take(MAX_PATHS)
                        .map(|d| PathDiff {
                            legacy: redact_value(&d.path, &d.legacy),
                            rest: redact_value(&d.path, &d.rest),
                            path: d.path,
                        })
                        .collect(),
                });
                new
            }
        })
        .unwrap_or_default()
    }

    /// A copy of everything, by operation name.
    pub fn snapshot(&self) -> BTreeMap<String, OperationStats> {
        self.operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Element names whose values are never shown: credentials, session ids,
/// file contents.
fn is_secret_field(path: &str) -> bool {
    let field = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [
        "password",
        "sessionid",
        "apikey",
        "key",
        "token",
        "content",
        "bytes",
        "secret",
    ]
    .iter()
    .any(|s| field.contains(s))
}

/// A value as shown on the page: secrets and file contents withheld, GUIDs
/// cut to four digits, long values shortened.
pub fn redact_value(path: &str, value: &str) -> String {
    if is_secret_field(path) && !value.is_empty() {
        return "[redacted]".to_string();
    }
    redact(value)
}

/// GUIDs (SessionIDs look like them) cut to their first four digits, and
/// the text shortened to [`MAX_VALUE_CHARS`].
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_VALUE_CHARS + 8));
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if out.chars().count() >= MAX_VALUE_CHARS {
            out.push('…');
            break;
        }
        if i + 36 <= bytes.len() && is_guid(&bytes[i..i + 36]) {
            out.push_str(&text[i..i + 4]);
            out.push('…');
            i += 36;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn is_guid(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_operations_are_recorded_and_new_drift_is_reported_once() {
        let stats = MigrationStats::new();
        assert_eq!(stats.count("NoSuchOp", Route::Legacy), 0);
        assert_eq!(stats.count("WhoAmI", Route::Shadow), 1);
        let diff = |p: &str| PathDiff {
            path: p.into(),
            legacy: "A1B2C3D4-E5F6-7890-ABCD-EF1234567890".into(),
            rest: "x".into(),
        };
        let first = stats.record("WhoAmI", Outcome::Differed(vec![diff("/R/A")]), "t".into());
        assert_eq!(first, ["/R/A"]);
        let again = stats.record("WhoAmI", Outcome::Differed(vec![diff("/R/A")]), "t".into());
        assert!(again.is_empty());
        let snap = stats.snapshot();
        let s = &snap["WhoAmI"];
        assert_eq!(s.drift_paths["/R/A"], 2);
        assert_eq!(s.last_differences[0].paths[0].legacy, "A1B2…");
        assert_eq!(snap.len(), 1);
    }

    #[test]
    fn secrets_are_withheld() {
        assert_eq!(redact_value("/R/SessionID", "abc"), "[redacted]");
        assert_eq!(redact_value("/R/Password", "pw"), "[redacted]");
        assert_eq!(redact_value("/R/Name", "Ann"), "Ann");
        assert_eq!(
            redact(&"x".repeat(500)).chars().count(),
            MAX_VALUE_CHARS + 1
        );
    }
}
