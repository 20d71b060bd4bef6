//! The SOAP operations the gateway translates, and the one table that lists
//! them.
//!
//! Each operation follows mini-redis's command pattern: a request struct read
//! from the operation element ([`Operation::parse`]), an async
//! [`Operation::call`] that does the REST work, and a response struct that
//! writes itself in the WSDL's element order ([`WriteBody`]). The table
//! [`OPERATIONS`] lists every operation with its SOAPAction and REST
//! endpoints; dispatch, the coverage page, the served WSDL's check and
//! `docs/MAPPING.md` all come from it, so they cannot drift apart.

use std::future::Future;
use std::pin::Pin;

use crate::soap::writer::WriteBody;
use crate::soap::{Fault, Params};

mod callback_add;
mod callback_lists;
mod callback_queue;
mod callback_test;
pub mod callback_types;
mod context;
mod login;
mod logout;
mod service;
mod whoami;

pub use context::{Caller, Clock, Context};

/// One SOAP operation: how to read it, what it does, how it answers.
pub trait Operation: Sized + Send + 'static {
    /// The operation (and body element) name, e.g. `Login`.
    const NAME: &'static str;
    /// The response, which writes `<{NAME}Result>` itself.
    type Response: WriteBody + Send + 'static;

    /// Reads the request from the operation element's parameters.
    fn parse(params: &Params) -> Result<Self, Fault>;

    /// Does the work: REST calls, session changes.
    fn call(self, ctx: &Context) -> impl Future<Output = Result<Self::Response, Fault>> + Send;
}

/// A boxed response body, as dispatch hands it to the writer.
pub type Body = Box<dyn WriteBody + Send>;

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Body, Fault>> + Send + 'a>>;

/// Runs an operation from its parameters.
pub type Handler = for<'a> fn(&'a Context, &'a Params) -> HandlerFuture<'a>;

/// Which served WSDLs declare an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Declared in both the v4.1 and v3.2 WSDLs (the originals have it).
    Both,
    /// Declared in the v4.1 WSDL only (the v3.2 original lacks it).
    V41Only,
}

/// A row of the operation table.
#[derive(Debug, Clone, Copy)]
pub struct OperationSpec {
    /// Operation name.
    pub name: &'static str,
    /// The REST v2 calls it makes, e.g. `POST /v2/auth/login`.
    pub rest: &'static [&'static str],
    /// One line: what the translation does.
    pub summary: &'static str,
    /// Whether the original ECGridOS WSDL declares it (`CallBackAdd` is
    /// only in the published docs and samples).
    pub in_original_wsdl: bool,
    /// Which served WSDLs declare it.
    pub availability: Availability,
    /// The handler.
    pub handler: Handler,
}

impl OperationSpec {
    /// The SOAPAction of this operation in a namespace (`{ns}{name}`).
    pub fn soap_action(&self, namespace: &str) -> String {
        format!("{namespace}{}", self.name)
    }
}

fn run<'a, O: Operation>(ctx: &'a Context, params: &'a Params) -> HandlerFuture<'a> {
    let parsed = O::parse(params);
    Box::pin(async move {
        let response = parsed?.call(ctx).await?;
        Ok(Box::new(response) as Body)
    })
}

const fn spec<O: Operation>(
    rest: &'static [&'static str],
    summary: &'static str,
    in_original_wsdl: bool,
    availability: Availability,
) -> OperationSpec {
    OperationSpec {
        name: O::NAME,
        rest,
        summary,
        in_original_wsdl,
        availability,
        handler: run::<O>,
    }
}

/// Every operation the gateway translates.
pub static OPERATIONS: &[OperationSpec] = &[
    spec::<login::Login>(
        &["POST /v2/auth/login"],
        "Log in with LoginName (or UserName, UserID, Email) and Password; returns a new SessionID holding the REST bearer token.",
        true,
        Availability::Both,
    ),
    spec::<logout::Logout>(
        &["POST /v2/auth/logout"],
        "End the session upstream and forget the SessionID; 1 when ended, 0 when it was already gone.",
        true,
        Availability::Both,
    ),
    spec::<whoami::WhoAmI>(
        &["GET /v2/users/me"],
        "The session's user as SessionInfo.",
        true,
        Availability::Both,
    ),
    spec::<service::Version>(
        &["GET /v2/auth/version"],
        "The gateway version and the upstream REST API version.",
        true,
        Availability::Both,
    ),
    spec::<service::NowUtc>(
        &[],
        "The gateway's clock in UTC (no REST call).",
        true,
        Availability::Both,
    ),
    spec::<callback_add::CallBackAddEx>(
        &["POST /v2/callbacks/create"],
        "Register a callback (reference shape plus frequency, retries, status, direction, objectStatus, userId); returns CallBackEventIDInfo.",
        true,
        Availability::Both,
    ),
    spec::<callback_add::CallBackAdd>(
        &["POST /v2/callbacks/create"],
        "Register a callback in the reference form (URL, Event, AuthType, Username, Password) or the guide form (CallBackURL, CallBackEvent, ECGridID, Frequency, Retries); returns CallBackQueueIDInfo whose CallBackQueueID is the callbackId.",
        false,
        Availability::Both,
    ),
    spec::<callback_test::CallBackTest>(
        &["POST /v2/callbacks/test"],
        "Send a test delivery to a callback (CallBackEventID or the guide's CallBackQueueID); Status Completed or Error, one CallBackLog entry with the endpoint's HTTP status and body.",
        true,
        Availability::Both,
    ),
    spec::<callback_queue::CallBackQueueInfo>(
        &["GET /v2/callbacks/get-queue-by-id", "POST /v2/callbacks/get-event-by-id"],
        "A callback's latest delivery as CallBackQueueIDInfo, with one CallBackLog entry per attempt.",
        true,
        Availability::Both,
    ),
    spec::<callback_queue::CallBackEventInfo>(
        &["GET /v2/callbacks/get-queue-by-id", "POST /v2/callbacks/event-list"],
        "A callback registration as CallBackEventIDInfo, with its latest QueueCount deliveries (newest first) in CallBackQueue.",
        true,
        Availability::Both,
    ),
    spec::<callback_lists::CallBackEventListEx>(
        &["POST /v2/callbacks/queue-list"],
        "Callbacks of a network and mailbox (0 = all) as ArrayOfCallBackEventIDInfo; Active only unless ShowInactive.",
        true,
        Availability::Both,
    ),
    spec::<callback_lists::CallBackPendingList>(
        &["POST /v2/callbacks/event-list"],
        "Open deliveries (pending, failed, rate_limited) as ArrayOfCallBackQueueIDInfo, oldest first.",
        true,
        Availability::Both,
    ),
    spec::<callback_lists::CallBackPendingListEx>(
        &["POST /v2/callbacks/event-list"],
        "CallBackPendingList for one network and mailbox (0 = all).",
        true,
        Availability::Both,
    ),
    spec::<callback_lists::CallBackFailedList>(
        &["POST /v2/callbacks/event-list"],
        "Dead-lettered deliveries of the last MaxDays days (0 = no limit) as ArrayOfCallBackQueueIDInfo, oldest first.",
        true,
        Availability::Both,
    ),
    spec::<callback_lists::CallBackFailedListEx>(
        &["POST /v2/callbacks/event-list"],
        "CallBackFailedList for one network and mailbox (0 = all).",
        true,
        Availability::Both,
    ),
    spec::<callback_queue::CallBackEventSetStatus>(
        &["POST /v2/callbacks/update"],
        "Set a callback's Status (Active, Suspended, Terminated, ...); true once the upstream took it.",
        true,
        Availability::V41Only,
    ),
];

/// The request and response types of the operations, for benchmarks
/// (`benches/hot_path.rs` times `Operation::parse` and the response writers
/// without a network). Not part of the gateway's interface.
#[doc(hidden)]
pub mod bench_api {
    pub use super::callback_test::{sample_response as callback_test_sample, CallBackTest};
    pub use super::login::{Login, LoginResponse};
    pub use super::whoami::{sample_response as whoami_sample, WhoAmI};
    pub use crate::schema::responses::{CallBackTestResponse, WhoAmIResponse};
}

/// The table row for an operation name (exact, as XML names are
/// case-sensitive).
pub fn find(name: &str) -> Option<&'static OperationSpec> {
    OPERATIONS.iter().find(|spec| spec.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_found() {
        for (i, spec) in OPERATIONS.iter().enumerate() {
            assert!(
                OPERATIONS[i + 1..]
                    .iter()
                    .all(|other| other.name != spec.name),
                "{} twice",
                spec.name
            );
            assert_eq!(find(spec.name).unwrap().name, spec.name);
        }
        assert!(find("login").is_none());
        assert_eq!(
            find("Login").unwrap().soap_action("https://os.ecgrid.io/"),
            "https://os.ecgrid.io/Login"
        );
    }
}
