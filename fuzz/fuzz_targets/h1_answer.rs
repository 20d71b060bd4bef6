//! Fuzzes the upstream clients' HTTP/1.1 answer reader (`http1`: status
//! line, headers, interim answers, Content-Length, chunked and
//! close-delimited bodies) on answers the "upstream" sends and then
//! closes. It must return an answer or an error, never panic, and never
//! return more body than its limit.
#![no_main]

use std::sync::OnceLock;

use ecgrid_gateway::http1::read_answer_from;
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 64 * 1024;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok((status, body, _reusable)) = runtime().block_on(read_answer_from(data, MAX_BODY)) {
        // Interim answers are skipped, 101 refused: a final status only.
        assert!((200..=599).contains(&status), "status {status}");
        assert!(body.len() <= MAX_BODY, "{} bytes", body.len());
    }
});
