//! The SOAP operations the gateway translates, and the one table that lists
//! them.
//!
//! Each operation follows mini-redis's command pattern: a request struct read
//! from the operation element ([`Operation::parse`]), an async
//! [`Operation::call`] that does the REST work, and a response struct that
//! writes itself in the WSDL's element order ([`WriteBody`]). The table
//! [`OPERATIONS`] lists every operation with its SOAPAction and REST
//! endpoints; dispatch, the endpoint and operation pages, the served WSDL's check and
//! `docs/MAPPING.md` all come from it, so they cannot drift apart.

use std::future::Future;
use std::pin::Pin;

use crate::schema::catalog;
use crate::soap::writer::WriteBody;
use crate::soap::{Fault, Params};

/// Declares an operation on the generated shapes: its request is
/// `schema::requests::{Request}` (read by the generated parser), its
/// response `schema::responses::{Response}` (written by the generated
/// writer), so the operation is only its REST mapping, the block. The block
/// has the request as `$req` and the [`Context`] as `$ctx`, and returns
/// `Result<Response, Fault>`.
macro_rules! operation {
    (
        $(#[$meta:meta])*
        $name:ident($request:ident) -> $response:ident,
        |$req:ident, $ctx:ident| $body:block
    ) => {
        $(#[$meta])*
        pub struct $name(crate::schema::requests::$request);

        impl crate::ops::Operation for $name {
            const NAME: &'static str = stringify!($name);
            type Response = crate::schema::responses::$response;

            fn parse(params: &crate::soap::Params) -> Result<Self, crate::soap::Fault> {
                crate::schema::requests::$request::parse(params).map($name)
            }

            async fn call(
                self,
                $ctx: &crate::ops::Context,
            ) -> Result<Self::Response, crate::soap::Fault> {
                let $req = self.0;
                $body
            }
        }
    };
}

mod callback_add;
mod callback_lists;
mod callback_queue;
mod callback_test;
pub mod callback_types;
mod context;
mod crossing;
mod directory;
mod interchanges;
mod login;
mod logout;
mod parcel_download;
mod parcel_lists;
mod parcel_types;
mod parcel_upload;
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

/// Whether an operation only reads or also changes state upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only: calling it twice answers the same and changes nothing.
    Read,
    /// Changes state (uploads, confirms, adds, updates, deletes, logins).
    Write,
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
    /// Whether it changes state upstream (only reads may be shadowed).
    pub access: Access,
    /// The handler.
    pub handler: Handler,
}

impl OperationSpec {
    /// The SOAPAction of this operation in a namespace (`{ns}{name}`).
    pub fn soap_action(&self, namespace: &str) -> String {
        format!("{namespace}{}", self.name)
    }

    /// Whether the original ECGridOS WSDLs declare it (`CallBackAdd` is
    /// only in the published docs and samples), from the generated
    /// catalogue.
    pub fn in_original_wsdl(&self) -> bool {
        catalog::find(self.name).is_some()
    }

    /// Which served WSDLs declare it: both, unless the original v3.2 WSDL
    /// lacks it (an operation of neither original is declared in both).
    pub fn availability(&self) -> Availability {
        match catalog::find(self.name) {
            Some(op) if !op.in_v32 => Availability::V41Only,
            _ => Availability::Both,
        }
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
    access: Access,
) -> OperationSpec {
    OperationSpec {
        name: O::NAME,
        rest,
        summary,
        access,
        handler: run::<O>,
    }
}

/// Every operation the gateway translates.
pub static OPERATIONS: &[OperationSpec] = &[
    spec::<login::Login>(
        &["POST /v2/auth/login"],
        "Log in with LoginName (or UserName, UserID, Email) and Password; returns a new SessionID holding the REST bearer token.",
        Access::Write,
    ),
    spec::<logout::Logout>(
        &["POST /v2/auth/logout"],
        "End the session upstream and forget the SessionID; 1 when ended, 0 when it was already gone.",
        Access::Write,
    ),
    spec::<whoami::WhoAmI>(
        &["GET /v2/users/me"],
        "The session's user as SessionInfo.",
        Access::Read,
    ),
    spec::<service::Version>(
        &["GET /v2/auth/version"],
        "The gateway version and the upstream REST API version.",
        Access::Read,
    ),
    spec::<service::NowUtc>(
        &[],
        "The gateway's clock in UTC (no REST call).",
        Access::Read,
    ),
    spec::<callback_add::CallBackAddEx>(
        &["POST /v2/callbacks/create"],
        "Register a callback (reference shape plus frequency, retries, status, direction, objectStatus, userId); returns CallBackEventIDInfo.",
        Access::Write,
    ),
    spec::<callback_add::CallBackAdd>(
        &["POST /v2/callbacks/create"],
        "Register a callback in the reference form (URL, Event, AuthType, Username, Password) or the guide form (CallBackURL, CallBackEvent, ECGridID, Frequency, Retries); returns CallBackQueueIDInfo whose CallBackQueueID is the callbackId.",
        Access::Write,
    ),
    spec::<callback_test::CallBackTest>(
        &["POST /v2/callbacks/test"],
        "Send a test delivery to a callback (CallBackEventID or the guide's CallBackQueueID); Status Completed or Error, one CallBackLog entry with the endpoint's HTTP status and body.",
        Access::Write,
    ),
    spec::<callback_queue::CallBackQueueInfo>(
        &["GET /v2/callbacks/get-queue-by-id", "POST /v2/callbacks/get-event-by-id"],
        "A callback's latest delivery as CallBackQueueIDInfo, with one CallBackLog entry per attempt.",
        Access::Read,
    ),
    spec::<callback_queue::CallBackEventInfo>(
        &["GET /v2/callbacks/get-queue-by-id", "POST /v2/callbacks/event-list"],
        "A callback registration as CallBackEventIDInfo, with its latest QueueCount deliveries (newest first) in CallBackQueue.",
        Access::Read,
    ),
    spec::<callback_lists::CallBackEventListEx>(
        &["POST /v2/callbacks/queue-list"],
        "Callbacks of a network and mailbox (0 = all) as ArrayOfCallBackEventIDInfo; Active only unless ShowInactive.",
        Access::Read,
    ),
    spec::<callback_lists::CallBackPendingList>(
        &["POST /v2/callbacks/event-list"],
        "Open deliveries (pending, failed, rate_limited) as ArrayOfCallBackQueueIDInfo, oldest first.",
        Access::Read,
    ),
    spec::<callback_lists::CallBackPendingListEx>(
        &["POST /v2/callbacks/event-list"],
        "CallBackPendingList for one network and mailbox (0 = all).",
        Access::Read,
    ),
    spec::<callback_lists::CallBackFailedList>(
        &["POST /v2/callbacks/event-list"],
        "Dead-lettered deliveries of the last MaxDays days (0 = no limit) as ArrayOfCallBackQueueIDInfo, oldest first.",
        Access::Read,
    ),
    spec::<callback_lists::CallBackFailedListEx>(
        &["POST /v2/callbacks/event-list"],
        "CallBackFailedList for one network and mailbox (0 = all).",
        Access::Read,
    ),
    spec::<callback_queue::CallBackEventSetStatus>(
        &["POST /v2/callbacks/update"],
        "Set a callback's Status (Active, Suspended, Terminated, ...); true once the upstream took it.",
        Access::Write,
    ),
    spec::<parcel_lists::ParcelInBox>(
        &["POST /v2/parcels/pending-inbox-list"],
        "Every parcel waiting in the caller's inbox (InBoxReady), as ParcelIDInfoCollection with each parcel's status history in Log.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelInBoxEx>(
        &["POST /v2/parcels/inbox-list"],
        "Waiting parcels (InBoxReady) of a network and mailbox, from and to ECGrid IDs (0 = not filtered), every page.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelInBoxArchive>(
        &["POST /v2/parcels/inbox-list"],
        "One page of the caller's inbound parcels of every status, by date range, from and to IDs and mailbag control id.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelInBoxArchiveEx>(
        &["POST /v2/parcels/inbox-list"],
        "ParcelInBoxArchive for one network and mailbox (0 = the caller's).",
        Access::Read,
    ),
    spec::<parcel_download::ParcelDownload>(
        &["POST /v2/parcels/download"],
        "The parcel's file as FileInfo with Content (the REST base64, not decoded); the parcel stays in the inbox until confirmed.",
        Access::Write,
    ),
    spec::<parcel_download::ParcelDownloadA>(
        &["POST /v2/parcels/download"],
        "ParcelDownload with the file in ContentBase64String.",
        Access::Write,
    ),
    spec::<parcel_download::ParcelDownloadNoUpdate>(
        &["POST /v2/parcels/download"],
        "ParcelDownload without changing the parcel's status (noUpdate).",
        Access::Read,
    ),
    spec::<parcel_download::ParcelDownloadNoUpdateA>(
        &["POST /v2/parcels/download"],
        "ParcelDownloadNoUpdate with the file in ContentBase64String.",
        Access::Read,
    ),
    spec::<parcel_download::ParcelDownloadConfirm>(
        &["POST /v2/parcels/confirm"],
        "Confirm a download: the parcel becomes InBoxTransferred and leaves the inbox; true once confirmed.",
        Access::Write,
    ),
    spec::<parcel_download::ParcelDownloadReset>(
        &["POST /v2/parcels/reset-to-inbox/{id}"],
        "Put a parcel back in the inbox (InBoxReady); true once reset.",
        Access::Write,
    ),
    spec::<parcel_download::ParcelInfo>(
        &["GET /v2/parcels/{id}"],
        "One parcel as ParcelIDInfo, its status history in Log.",
        Access::Read,
    ),
    spec::<parcel_upload::ParcelUpload>(
        &["POST /v2/parcels/upload"],
        "Send a file (base64Binary Content; Bytes checked when not 0); routed by the interchange header; returns the outbound ParcelID.",
        Access::Write,
    ),
    spec::<parcel_upload::ParcelUploadA>(
        &["POST /v2/parcels/upload"],
        "ParcelUpload with the file as a base64 string (ContentBase64).",
        Access::Write,
    ),
    spec::<parcel_upload::ParcelUploadEx>(
        &["POST /v2/parcels/upload"],
        "ParcelUpload from a named network and mailbox (v3.2: ECGridIDFrom, ECGridIDTo too).",
        Access::Write,
    ),
    spec::<parcel_upload::ParcelUploadExA>(
        &["POST /v2/parcels/upload"],
        "ParcelUploadEx with the file as a base64 string (ContentBase64).",
        Access::Write,
    ),
    spec::<parcel_lists::ParcelOutBoxArchive>(
        &["POST /v2/parcels/outbox-list"],
        "One page of the caller's outbound parcels of every status, by date range, from and to IDs and mailbag control id.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelOutBoxArchiveEx>(
        &["POST /v2/parcels/outbox-list"],
        "ParcelOutBoxArchive for one network and mailbox (0 = the caller's).",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelOutBoxInProcess>(
        &["POST /v2/parcels/outbox-list"],
        "The caller's outbound parcels not yet delivered (outboxPending), every page.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelOutBoxInProcessEx>(
        &["POST /v2/parcels/outbox-list"],
        "ParcelOutBoxInProcess for one network and mailbox.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelOutBoxError>(
        &["POST /v2/parcels/outbox-list"],
        "The caller's outbound parcels that could not be delivered (outboxFailed) in a date range, every page.",
        Access::Read,
    ),
    spec::<parcel_lists::ParcelOutBoxErrorEx>(
        &["POST /v2/parcels/outbox-list"],
        "ParcelOutBoxError for one network and mailbox.",
        Access::Read,
    ),
    spec::<directory::MailboxInfo>(
        &["GET /v2/mailboxes/{id}"],
        "One mailbox as MailboxIDInfo.",
        Access::Read,
    ),
    spec::<directory::MailboxList>(
        &["POST /v2/mailboxes/list"],
        "The caller's network's mailboxes whose name contains Name, as ArrayOfMailboxIDInfo.",
        Access::Read,
    ),
    spec::<directory::NetworkInfo>(
        &["GET /v2/networks/{id}"],
        "One network as NetworkIDInfo.",
        Access::Read,
    ),
    spec::<directory::NetworkList>(
        &["POST /v2/networks/list"],
        "The networks whose name contains Name, as ArrayOfNetworkIDInfo.",
        Access::Read,
    ),
    spec::<directory::TPInfo>(
        &["GET /v2/ids/{id}"],
        "One trading-partner ID as ECGridIDInfo.",
        Access::Read,
    ),
    spec::<directory::TPSearch>(
        &["POST /v2/ids/find"],
        "Trading-partner IDs by Qualifier (blank = any) and ID, as ArrayOfECGridIDInfo.",
        Access::Read,
    ),
    spec::<interchanges::InterchangeInBox>(
        &["POST /v2/interchanges/inbox-list"],
        "Interchanges received, by date range, from and to IDs and control id, as ArrayOfInterchangeIDInfo.",
        Access::Read,
    ),
    spec::<interchanges::InterchangeOutBox>(
        &["POST /v2/interchanges/outbox-list"],
        "Interchanges sent, by the same filters, as ArrayOfInterchangeIDInfo.",
        Access::Read,
    ),
    spec::<interchanges::InterchangeInfo>(
        &["GET /v2/interchanges/{id}"],
        "One interchange as InterchangeIDInfo (InterchangeID must fit the WSDL's int).",
        Access::Read,
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
