//! Fuzzes `soap::read_envelope` with inputs up to 1 MiB (run with
//! `-max_len=1048576`): it must answer every input with a request or a
//! fault, never panic, and stay linear (libFuzzer's `-timeout` catches a
//! slow input). Seeds in `fuzz/seeds/envelope/` hold the attack shapes of
//! issue 16 (many attributes, namespace declarations, header elements,
//! DOCTYPE/XXE, control characters, text after the root).
#![no_main]

use ecgrid_gateway::soap::{read_envelope, Limits, SoapVersion};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    for version in [None, Some(SoapVersion::V11), Some(SoapVersion::V12)] {
        if let Err(fault) = read_envelope(data, version, &limits) {
            // Faults quote the request only in short excerpts.
            assert!(fault.message.len() <= 2048, "{} bytes", fault.message.len());
        }
    }
});
