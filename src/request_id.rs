//! Request ids: the client's `X-Request-Id` kept when it is a short
//! token, else a new one from the process's id generator
//! ([`next_random_u64`], also the source of trace and span ids).

use axum::http::HeaderMap;

/// The request's `X-Request-Id` when it is a short token, else a new one.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(new_request_id)
}

/// A new request id: 16 hex digits, unique within the process and not
/// guessable across restarts. A per-process random seed (one OS draw) plus
/// a counter, mixed by splitmix64; no system call per request (a
/// `getrandom` per request was 11% of the gateway's syscall time under
/// load, see bench/results/HISTORY.md). The id is for log correlation only, never a
/// secret.
fn new_request_id() -> String {
    let z = next_random_u64();
    // 16 lowercase hex digits, without going through `fmt`.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits: Vec<u8> = (0..16)
        .rev()
        .map(|i| HEX[((z >> (i * 4)) & 0xF) as usize])
        .collect();
    String::from_utf8(digits).unwrap_or_default()
}

/// 64 bits from the process's id generator (request ids, trace and span
/// ids): a per-process random seed (one OS draw) plus a counter, mixed by
/// splitmix64, so no value repeats within the process.
pub fn next_random_u64() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut bytes = [0u8; 8];
        // A failed draw leaves zeros: ids stay unique, only predictable.
        let _ = getrandom::getrandom(&mut bytes);
        u64::from_le_bytes(bytes)
    });
    // splitmix64 of seed + n·golden: a bijection of n, so no repeats.
    let mut z = seed.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn request_ids_are_kept_when_sane() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert("x-request-id", HeaderValue::from_static("<script>"));
        assert_eq!(request_id(&h).len(), 16);
    }

    #[test]
    fn new_request_ids_are_hex_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids
            .iter()
            .all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
