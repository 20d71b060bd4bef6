//! What one SOAP call carries while it runs, in one task-local: its W3C
//! trace context (which the REST client writes on every request it makes
//! for the call) and its metric labels (which `server.rs` fills in as the
//! call learns them and records once it is answered). One scope rather
//! than one per concern: each poll of the call swaps the task-local in and
//! out, so a second scope cost as much again (callgrind, BENCHMARKS.md).

use std::cell::Cell;

use crate::metrics::CallLabels;
use crate::trace_context::TraceContext;

/// The current call's context.
pub struct CallScope {
    /// The call's trace (continued from the client or started).
    pub trace: TraceContext,
    /// The call's metric labels so far.
    pub labels: Cell<CallLabels>,
}

tokio::task_local! {
    /// The scope of the SOAP call the current task is running.
    pub static CURRENT: CallScope;
}

/// Updates the current call's labels (nothing outside a call's task).
pub fn label(update: impl FnOnce(&mut CallLabels)) {
    let _ = CURRENT.try_with(|scope| {
        let mut labels = scope.labels.get();
        update(&mut labels);
        scope.labels.set(labels);
    });
}

/// The current call's labels, if there is a call.
pub fn labels() -> Option<CallLabels> {
    CURRENT.try_with(|scope| scope.labels.get()).ok()
}

/// The current call's trace context, if there is a call.
pub fn trace() -> Option<TraceContext> {
    CURRENT.try_with(|scope| scope.trace).ok()
}

/// The current call's `traceparent` to send upstream, if there is a call.
pub fn traceparent() -> Option<[u8; 55]> {
    CURRENT.try_with(|scope| scope.trace.traceparent()).ok()
}
