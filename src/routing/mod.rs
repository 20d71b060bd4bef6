//! Routing: which side answers each ECGridOS operation, and the two sides
//! that are not the REST translation.
//!
//! Every operation of the original WSDLs has one [`Route`]: `rest` (the
//! gateway's translation, [`crate::ops::OPERATIONS`]), `legacy` (passed
//! through to the legacy ECGridOS service as received, only the SessionID
//! swapped), or `shadow` (both; the primary answers, the two answers are
//! compared). The [`RouteTable`] is built once at startup from `--route`,
//! `[routes]` and `--default-route`; [`Router`] is what `server.rs` asks
//! per request, and it runs the legacy and shadow routes itself.
//!
//! - [`endpoint`]: the two endpoint paths and the base URL clients see.
//! - [`table`]: routes, the table, and the startup checks that name the
//!   closest real operation.
//! - Every operation name of the two original WSDLs comes from
//!   [`crate::schema::catalog`] (generated with the shapes).
//! - [`sniff`]: the operation and the SessionID's byte range, read from the
//!   raw envelope without judging the rest of it.
//! - [`request_reading`]: a request's body read while its route is chosen;
//!   a large one bound for the legacy route passed on as it arrives.
//! - [`passthrough`] and [`answer_stream`]: the legacy route, answers
//!   streamed back with the legacy SessionID swapped out.
//! - [`shadow`], [`compare`], [`stats`] and [`page`]: shadow comparison,
//!   what it learned, and `GET /migration` (`.json`).

pub mod answer_stream;
pub mod compare;
pub mod endpoint;
pub mod page;
pub mod passthrough;
pub mod request_reading;
pub mod router;
pub mod shadow;
pub mod sniff;
pub mod stats;
pub mod table;

pub use endpoint::{base_url, Endpoint};
pub use router::{Router, RouterChoice};
pub use table::{DefaultRoute, Route, RouteSettings, RouteTable, ShadowPrimary};
