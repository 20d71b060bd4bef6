//! Interchanges: `InterchangeInBox` / `InterchangeOutBox(BeginDate, EndDate,
//! ECGridIDFrom, ECGridIDTo, InterchangeControlID)` → `POST
//! /v2/interchanges/{inbox,outbox}-list` (every page) →
//! `ArrayOfInterchangeIDInfo`; `InterchangeInfo(InterchangeID)` → `GET
//! /v2/interchanges/{id}` → `InterchangeIDInfo`.
//!
//! `InterchangeProcessDate` and `StatusDate` are `created`, `StatusCode` the
//! carrying parcel's status *(ext)*; `TPFrom` / `TPTo` carry the sender's and
//! receiver's ECGrid ID, qualifier and ID; `InterchangeID` is an `xs:int` in
//! the WSDL, so a wider REST id is a Server fault rather than a wrong id.

use crate::rest::directory::{InterchangeFilter, InterchangeRecord};
use crate::rest::Auth;
use crate::schema::requests::InterchangeInBoxRequest;
use crate::schema::responses::*;
use crate::schema::types::{ArrayOfInterchangeIDInfo, ECGridIDInfo, InterchangeIDInfo};
use crate::soap::Fault;

use super::crossing::{date_filter, object_id, scope, upstream_enum_or_default, wsdl_int};
use super::Context;

/// A REST interchange as `InterchangeIDInfo`.
fn interchange_id_info(record: &InterchangeRecord) -> Result<InterchangeIDInfo, Fault> {
    let party = |ecgrid_id: Option<i32>, qualifier: &Option<String>, id: &Option<String>| {
        Box::new(ECGridIDInfo {
            ecgrid_id: ecgrid_id.unwrap_or(0),
            qualifier: qualifier.clone(),
            id: id.clone(),
            ..ECGridIDInfo::default()
        })
    };
    Ok(InterchangeIDInfo {
        interchange_id: wsdl_int("interchangeId", record.interchange_id)?,
        interchange_process_date: record.created.into(),
        network_id_from: record.network_id_from.unwrap_or(0),
        mailbox_id_from: record.mailbox_id_from.unwrap_or(0),
        network_id_to: record.network_id_to.unwrap_or(0),
        mailbox_id_to: record.mailbox_id_to.unwrap_or(0),
        standard: upstream_enum_or_default("standard", record.standard.as_deref())?,
        bytes: wsdl_int("bytes", record.bytes)?,
        interchange_control_id: record.interchange_control_id.clone(),
        interchange_date_time: record.interchange_date_time.into(),
        status_date: record.created.into(),
        status_code: record
            .parcel_status
            .clone()
            .or_else(|| record.status.clone()),
        document_type: record.document_type.clone().filter(|d| !d.is_empty()),
        header: record.header.clone(),
        tp_from: Some(party(
            record.ecgrid_id_from,
            &record.sender_qualifier,
            &record.sender,
        )),
        tp_to: Some(party(
            record.ecgrid_id_to,
            &record.receiver_qualifier,
            &record.receiver,
        )),
        ..InterchangeIDInfo::default()
    })
}

/// One box's interchanges (the two requests have the same parameters).
async fn interchange_box(
    ctx: &Context,
    req: InterchangeInBoxRequest,
    outbox: bool,
) -> Result<ArrayOfInterchangeIDInfo, Fault> {
    let filter = InterchangeFilter {
        begin_date: date_filter(req.begin_date),
        end_date: date_filter(req.end_date),
        ecgrid_id_from: scope("ECGridIDFrom", req.ecgrid_id_from)?,
        ecgrid_id_to: scope("ECGridIDTo", req.ecgrid_id_to)?,
        interchange_control_id: req
            .interchange_control_id
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty()),
    };
    let filter = &filter;
    let records = ctx
        .call_as(req.session_id.as_deref(), |auth: Auth| async move {
            ctx.rest.interchange_list(&auth, outbox, filter).await
        })
        .await?;
    let list = records
        .iter()
        .map(interchange_id_info)
        .collect::<Result<_, _>>()?;
    Ok(ArrayOfInterchangeIDInfo(list))
}

operation! {
    /// `InterchangeInBox`: interchanges the caller received.
    InterchangeInBox(InterchangeInBoxRequest) -> InterchangeInBoxResponse,
    |req, ctx| {
        Ok(InterchangeInBoxResponse { result: Some(interchange_box(ctx, req, false).await?) })
    }
}

operation! {
    /// `InterchangeOutBox`: interchanges the caller sent.
    InterchangeOutBox(InterchangeOutBoxRequest) -> InterchangeOutBoxResponse,
    |req, ctx| {
        let req = InterchangeInBoxRequest {
            session_id: req.session_id,
            begin_date: req.begin_date,
            end_date: req.end_date,
            ecgrid_id_from: req.ecgrid_id_from,
            ecgrid_id_to: req.ecgrid_id_to,
            interchange_control_id: req.interchange_control_id,
        };
        Ok(InterchangeOutBoxResponse { result: Some(interchange_box(ctx, req, true).await?) })
    }
}

operation! {
    /// `InterchangeInfo`: one interchange.
    InterchangeInfo(InterchangeInfoRequest) -> InterchangeInfoResponse,
    |req, ctx| {
        let id = object_id("InterchangeID", req.interchange_id)?;
        let record = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.interchange(&auth, id).await
            })
            .await?;
        Ok(InterchangeInfoResponse { result: Some(interchange_id_info(&record)?) })
    }
}
