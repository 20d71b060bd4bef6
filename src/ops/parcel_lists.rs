//! The parcel lists, all answered as `ParcelIDInfoCollection`:
//!
//! * `ParcelInBox` → `POST pending-inbox-list {}`: every parcel waiting.
//! * `ParcelInBoxEx(NetworkID, MailboxID, ECGridIDFrom, ECGridIDTo)` →
//!   `inbox-list {…, status: InBoxReady}`, every page (0 = not filtered).
//! * `ParcelInBoxArchive[Ex](BeginDate, EndDate, ECGridIDFrom, ECGridIDTo,
//!   MailbagControlID, PageNo, RecordsPerPage)` → one page of `inbox-list`,
//!   every status (`Ex` adds NetworkID, MailboxID).
//! * `ParcelOutBoxArchive[Ex]` → the same on `outbox-list`.
//! * `ParcelOutBoxInProcess[Ex]` → `outbox-list {status: outboxPending}`.
//! * `ParcelOutBoxError[Ex](BeginDate, EndDate)` → `outbox-list {status:
//!   outboxFailed}`.

use crate::domain::Direction;
use crate::rest::parcels::{ParcelBox, ParcelFilter};
use crate::rest::Auth;
use crate::schema::responses::*;
use crate::schema::types::ParcelIDInfoCollection;
use crate::schema::XsDateTime;
use crate::soap::Fault;

use super::crossing::{date_filter, page, scope};
use super::parcel_types::parcel_collection;
use super::Context;

/// Which mailbox a list reads (the `Ex` forms name one; 0 = the caller's).
struct Mailbox {
    network_id: i32,
    mailbox_id: i32,
}

const OWN: Mailbox = Mailbox {
    network_id: 0,
    mailbox_id: 0,
};

impl Mailbox {
    fn filter(&self) -> Result<ParcelFilter, Fault> {
        Ok(ParcelFilter {
            network_id: scope("NetworkID", self.network_id)?,
            mailbox_id: scope("MailboxID", self.mailbox_id)?,
            ..ParcelFilter::default()
        })
    }
}

/// The archive filters both boxes share.
struct Archive<'a> {
    begin_date: XsDateTime,
    end_date: XsDateTime,
    ecgrid_id_from: i32,
    ecgrid_id_to: i32,
    mailbag_control_id: Option<&'a str>,
    page_no: i16,
    records_per_page: i16,
}

/// Every parcel of `box_` that `filter` matches.
async fn whole_list(
    ctx: &Context,
    session_id: Option<&str>,
    box_: ParcelBox,
    filter: ParcelFilter,
) -> Result<ParcelIDInfoCollection, Fault> {
    let filter = &filter;
    let parcels = ctx
        .call_as(session_id, |auth: Auth| async move {
            ctx.rest.parcel_list_all(&auth, box_, filter).await
        })
        .await?;
    parcel_collection(&parcels, direction(box_), None)
}

/// One page of `box_`'s archive.
async fn archive_page(
    ctx: &Context,
    session_id: Option<&str>,
    box_: ParcelBox,
    mailbox: Mailbox,
    archive: Archive<'_>,
) -> Result<ParcelIDInfoCollection, Fault> {
    let (page_no, records_per_page) = page(archive.page_no, archive.records_per_page)?;
    let filter = ParcelFilter {
        ecgrid_id_from: scope("ECGridIDFrom", archive.ecgrid_id_from)?,
        ecgrid_id_to: scope("ECGridIDTo", archive.ecgrid_id_to)?,
        begin_date: date_filter(archive.begin_date),
        end_date: date_filter(archive.end_date),
        mailbag_control_id: archive
            .mailbag_control_id
            .filter(|m| !m.trim().is_empty())
            .map(str::to_string),
        page_no,
        records_per_page,
        ..mailbox.filter()?
    };
    let filter = &filter;
    let answer = ctx
        .call_as(session_id, |auth: Auth| async move {
            ctx.rest.parcel_page(&auth, box_, filter).await
        })
        .await?;
    let (parcels, total, number, size) = answer.into_page();
    let number = number.unwrap_or(i64::from(page_no.unwrap_or(1)));
    let size = size.unwrap_or(i64::from(records_per_page.unwrap_or(25)));
    parcel_collection(&parcels, direction(box_), Some((number, size, total)))
}

fn direction(box_: ParcelBox) -> Direction {
    match box_ {
        ParcelBox::InBox => Direction::InBox,
        ParcelBox::OutBox => Direction::OutBox,
    }
}

/// The outbox parcels in one status.
async fn outbox_in(
    ctx: &Context,
    session_id: Option<&str>,
    mailbox: Mailbox,
    status: &str,
    dates: (XsDateTime, XsDateTime),
) -> Result<ParcelIDInfoCollection, Fault> {
    let filter = ParcelFilter {
        status: Some(status.to_string()),
        begin_date: date_filter(dates.0),
        end_date: date_filter(dates.1),
        ..mailbox.filter()?
    };
    whole_list(ctx, session_id, ParcelBox::OutBox, filter).await
}

operation! {
    /// `ParcelInBox`: every parcel waiting in the caller's inbox.
    ParcelInBox(ParcelInBoxRequest) -> ParcelInBoxResponse,
    |req, ctx| {
        let parcels = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.pending_inbox(&auth, None, None).await
            })
            .await?;
        Ok(ParcelInBoxResponse {
            result: Some(parcel_collection(&parcels, Direction::InBox, None)?),
        })
    }
}

operation! {
    /// `ParcelInBoxEx`: waiting parcels of a mailbox, from and to IDs.
    ParcelInBoxEx(ParcelInBoxExRequest) -> ParcelInBoxExResponse,
    |req, ctx| {
        let mailbox = Mailbox { network_id: req.network_id, mailbox_id: req.mailbox_id };
        let filter = ParcelFilter {
            ecgrid_id_from: scope("ECGridIDFrom", req.ecgrid_id_from)?,
            ecgrid_id_to: scope("ECGridIDTo", req.ecgrid_id_to)?,
            status: Some("InBoxReady".to_string()),
            ..mailbox.filter()?
        };
        let list = whole_list(ctx, req.session_id.as_deref(), ParcelBox::InBox, filter).await?;
        Ok(ParcelInBoxExResponse { result: Some(list) })
    }
}

/// The [`Archive`] query of an archive request: the same fields in the
/// plain and the `Ex` request.
macro_rules! archive_of {
    ($req:ident) => {
        Archive {
            begin_date: $req.begin_date,
            end_date: $req.end_date,
            ecgrid_id_from: $req.ecgrid_id_from,
            ecgrid_id_to: $req.ecgrid_id_to,
            mailbag_control_id: $req.mailbag_control_id.as_deref(),
            page_no: $req.page_no,
            records_per_page: $req.records_per_page,
        }
    };
}

macro_rules! archive_operations {
    ($box_:expr, $plain:ident($plain_req:ident) -> $plain_resp:ident, $ex:ident($ex_req:ident) -> $ex_resp:ident) => {
        operation! {
            /// One page of the caller's archive, every status.
            $plain($plain_req) -> $plain_resp,
            |req, ctx| {
                let archive = archive_of!(req);
                let page = archive_page(ctx, req.session_id.as_deref(), $box_, OWN, archive).await?;
                Ok($plain_resp { result: Some(page) })
            }
        }

        operation! {
            /// One page of a mailbox's archive, every status.
            $ex($ex_req) -> $ex_resp,
            |req, ctx| {
                let mailbox = Mailbox { network_id: req.network_id, mailbox_id: req.mailbox_id };
                let archive = archive_of!(req);
                let page = archive_page(ctx, req.session_id.as_deref(), $box_, mailbox, archive).await?;
                Ok($ex_resp { result: Some(page) })
            }
        }
    };
}

archive_operations!(
    ParcelBox::InBox,
    ParcelInBoxArchive(ParcelInBoxArchiveRequest) -> ParcelInBoxArchiveResponse,
    ParcelInBoxArchiveEx(ParcelInBoxArchiveExRequest) -> ParcelInBoxArchiveExResponse
);
archive_operations!(
    ParcelBox::OutBox,
    ParcelOutBoxArchive(ParcelOutBoxArchiveRequest) -> ParcelOutBoxArchiveResponse,
    ParcelOutBoxArchiveEx(ParcelOutBoxArchiveExRequest) -> ParcelOutBoxArchiveExResponse
);

/// REST's status of a parcel still on its way out.
const IN_PROCESS: &str = "outboxPending";
/// REST's status of a parcel that could not be delivered.
const FAILED: &str = "outboxFailed";
const NO_DATES: (XsDateTime, XsDateTime) = (XsDateTime(None), XsDateTime(None));

operation! {
    /// `ParcelOutBoxInProcess`: the caller's parcels not yet delivered.
    ParcelOutBoxInProcess(ParcelOutBoxInProcessRequest) -> ParcelOutBoxInProcessResponse,
    |req, ctx| {
        let list = outbox_in(ctx, req.session_id.as_deref(), OWN, IN_PROCESS, NO_DATES).await?;
        Ok(ParcelOutBoxInProcessResponse { result: Some(list) })
    }
}

operation! {
    /// `ParcelOutBoxInProcessEx`: a mailbox's parcels not yet delivered.
    ParcelOutBoxInProcessEx(ParcelOutBoxInProcessExRequest) -> ParcelOutBoxInProcessExResponse,
    |req, ctx| {
        let mailbox = Mailbox { network_id: req.network_id, mailbox_id: req.mailbox_id };
        let list = outbox_in(ctx, req.session_id.as_deref(), mailbox, IN_PROCESS, NO_DATES).await?;
        Ok(ParcelOutBoxInProcessExResponse { result: Some(list) })
    }
}

operation! {
    /// `ParcelOutBoxError`: the caller's undeliverable parcels in a period.
    ParcelOutBoxError(ParcelOutBoxErrorRequest) -> ParcelOutBoxErrorResponse,
    |req, ctx| {
        let dates = (req.begin_date, req.end_date);
        let list = outbox_in(ctx, req.session_id.as_deref(), OWN, FAILED, dates).await?;
        Ok(ParcelOutBoxErrorResponse { result: Some(list) })
    }
}

operation! {
    /// `ParcelOutBoxErrorEx`: a mailbox's undeliverable parcels in a period.
    ParcelOutBoxErrorEx(ParcelOutBoxErrorExRequest) -> ParcelOutBoxErrorExResponse,
    |req, ctx| {
        let mailbox = Mailbox { network_id: req.network_id, mailbox_id: req.mailbox_id };
        let dates = (req.begin_date, req.end_date);
        let list = outbox_in(ctx, req.session_id.as_deref(), mailbox, FAILED, dates).await?;
        Ok(ParcelOutBoxErrorExResponse { result: Some(list) })
    }
}
