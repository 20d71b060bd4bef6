//! Directory reads: `MailboxInfo(MailboxID)` → `GET /v2/mailboxes/{id}`,
//! `MailboxList(Name)` → `POST mailboxes/list {name}`, `NetworkInfo` /
//! `NetworkList` the same on networks, `TPInfo(ECGridID)` → `GET
//! /v2/ids/{id}`, `TPSearch(Qualifier, ID, ShowInactive)` → `POST ids/find`.
//!
//! The WSDL's records are wider than REST's: fields REST has no value for
//! (contacts, configs, owners) are left out where optional and take .NET's
//! default where required. `Name` is the REST `name` *(ext)*, else its
//! `companyName`; enum-valued fields (`Status`, `UseType`) cross by name.

use crate::rest::directory::{IdRecord, MailboxRecord, NetworkRecord};
use crate::rest::Auth;
use crate::schema::responses::*;
use crate::schema::types::{
    ArrayOfECGridIDInfo, ArrayOfMailboxIDInfo, ArrayOfNetworkIDInfo, ECGridIDInfo, MailboxIDInfo,
    NetworkIDInfo,
};
use crate::soap::Fault;

use super::crossing::{object_id, upstream_enum_or_default};

/// A REST mailbox as `MailboxIDInfo`.
fn mailbox_id_info(record: &MailboxRecord) -> Result<MailboxIDInfo, Fault> {
    Ok(MailboxIDInfo {
        mailbox_id: record.mailbox_id.unwrap_or(0),
        network_id: record.network_id.unwrap_or(0),
        name: record.name.clone().or_else(|| record.company_name.clone()),
        created: record.created.into(),
        modified: record.modified.into(),
        status: upstream_enum_or_default("status", record.status.as_deref())?,
        description: record.description.clone(),
        ..MailboxIDInfo::default()
    })
}

/// A REST network as `NetworkIDInfo`.
fn network_id_info(record: &NetworkRecord) -> Result<NetworkIDInfo, Fault> {
    Ok(NetworkIDInfo {
        network_id: record.network_id.unwrap_or(0),
        name: record.name.clone().or_else(|| record.company_name.clone()),
        status: upstream_enum_or_default("status", record.status.as_deref())?,
        created: record.created.into(),
        modified: record.modified.into(),
        ..NetworkIDInfo::default()
    })
}

/// A REST trading-partner ID as `ECGridIDInfo`.
pub fn ecgrid_id_info(record: &IdRecord) -> Result<ECGridIDInfo, Fault> {
    Ok(ECGridIDInfo {
        ecgrid_id: record.ecgrid_id.unwrap_or(0),
        network_id: record.network_id.unwrap_or(0),
        network_name: record.network_name.clone(),
        mailbox_id: record.mailbox_id.unwrap_or(0),
        mailbox_name: record.mailbox_name.clone(),
        qualifier: record.qualifier.clone(),
        id: record.id.clone(),
        description: record.description.clone(),
        mailbox_default: record.mailbox_default.unwrap_or(false),
        status: upstream_enum_or_default("status", record.status.as_deref())?,
        use_type: upstream_enum_or_default("useType", record.use_type.as_deref())?,
        ..ECGridIDInfo::default()
    })
}

/// A name filter: blank is no filter.
fn name_filter(name: &Option<String>) -> Option<&str> {
    name.as_deref().map(str::trim).filter(|n| !n.is_empty())
}

operation! {
    /// `MailboxInfo`: one mailbox.
    MailboxInfo(MailboxInfoRequest) -> MailboxInfoResponse,
    |req, ctx| {
        let id = object_id("MailboxID", req.mailbox_id)?;
        let record = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.mailbox(&auth, id).await
            })
            .await?;
        Ok(MailboxInfoResponse { result: Some(mailbox_id_info(&record)?) })
    }
}

operation! {
    /// `MailboxList`: the caller's network's mailboxes whose name matches.
    MailboxList(MailboxListRequest) -> MailboxListResponse,
    |req, ctx| {
        let name = name_filter(&req.name);
        let records = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.mailbox_list(&auth, name).await
            })
            .await?;
        let list = records.iter().map(mailbox_id_info).collect::<Result<_, _>>()?;
        Ok(MailboxListResponse { result: Some(ArrayOfMailboxIDInfo(list)) })
    }
}

operation! {
    /// `NetworkInfo`: one network.
    NetworkInfo(NetworkInfoRequest) -> NetworkInfoResponse,
    |req, ctx| {
        let id = object_id("NetworkID", req.network_id)?;
        let record = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.network(&auth, id).await
            })
            .await?;
        Ok(NetworkInfoResponse { result: Some(network_id_info(&record)?) })
    }
}

operation! {
    /// `NetworkList`: the networks whose name matches.
    NetworkList(NetworkListRequest) -> NetworkListResponse,
    |req, ctx| {
        let name = name_filter(&req.name);
        let records = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.network_list(&auth, name).await
            })
            .await?;
        let list = records.iter().map(network_id_info).collect::<Result<_, _>>()?;
        Ok(NetworkListResponse { result: Some(ArrayOfNetworkIDInfo(list)) })
    }
}

operation! {
    /// `TPInfo`: one trading-partner ID.
    TPInfo(TPInfoRequest) -> TPInfoResponse,
    |req, ctx| {
        let id = object_id("ECGridID", req.ecgrid_id)?;
        let record = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.trading_partner(&auth, id).await
            })
            .await?;
        Ok(TPInfoResponse { result: Some(ecgrid_id_info(&record)?) })
    }
}

operation! {
    /// `TPSearch`: trading-partner IDs by qualifier and ID.
    TPSearch(TPSearchRequest) -> TPSearchResponse,
    |req, ctx| {
        let id = req.id.as_deref().map(str::trim).filter(|id| !id.is_empty()).ok_or_else(|| {
            Fault::invalid("parameter ID is required: the trading-partner ID to look for")
        })?;
        let qualifier = req.qualifier.as_deref().unwrap_or("").trim();
        let show_inactive = req.show_inactive;
        let records = ctx
            .call_as(req.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.find_trading_partners(&auth, qualifier, id, show_inactive).await
            })
            .await?;
        let list = records.iter().map(ecgrid_id_info).collect::<Result<_, _>>()?;
        Ok(TPSearchResponse { result: Some(ArrayOfECGridIDInfo(list)) })
    }
}
