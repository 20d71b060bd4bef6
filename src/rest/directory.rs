//! REST v2 directory reads (`docs/REST.md`, "Directory endpoints" and
//! "Interchange endpoints"): mailboxes, networks, trading-partner IDs and
//! interchanges. Lists are read whether the upstream answers the paged
//! object or a bare array; fields marked *(ext)* in the contract are
//! `Option`, so a real upstream that omits them still decodes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::client::{Auth, RestClient};
use super::error::RestError;
use super::paging::ListPage;
use super::timestamp;

/// A mailbox record.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct MailboxRecord {
    /// `mailboxId`.
    pub mailbox_id: Option<i32>,
    /// `networkId`.
    pub network_id: Option<i32>,
    /// `uniqueId`.
    pub unique_id: Option<String>,
    /// `companyName`.
    pub company_name: Option<String>,
    /// A `Status` name.
    pub status: Option<String>,
    /// Created.
    #[serde(deserialize_with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Modified.
    #[serde(deserialize_with = "timestamp::option")]
    pub modified: Option<OffsetDateTime>,
    /// *(ext)* Display name.
    pub name: Option<String>,
    /// *(ext)* Description.
    pub description: Option<String>,
}

/// A network record.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkRecord {
    /// `networkId`.
    pub network_id: Option<i32>,
    /// `uniqueId`.
    pub unique_id: Option<String>,
    /// `companyName`.
    pub company_name: Option<String>,
    /// A `Status` name.
    pub status: Option<String>,
    /// Created.
    #[serde(deserialize_with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Modified.
    #[serde(deserialize_with = "timestamp::option")]
    pub modified: Option<OffsetDateTime>,
    /// *(ext)* Display name.
    pub name: Option<String>,
}

/// A trading-partner ID record.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct IdRecord {
    /// `ecGridId`.
    #[serde(rename = "ecGridId")]
    pub ecgrid_id: Option<i32>,
    /// `mailboxId`.
    pub mailbox_id: Option<i32>,
    /// `networkId`.
    pub network_id: Option<i32>,
    /// The qualifier (`ZZ`, `01`, …).
    pub qualifier: Option<String>,
    /// The ID.
    pub id: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// A `StatusECGridID` name.
    pub status: Option<String>,
    /// *(ext)* Network name.
    pub network_name: Option<String>,
    /// *(ext)* Mailbox name.
    pub mailbox_name: Option<String>,
    /// *(ext)* Whether it is its mailbox's default ID.
    pub mailbox_default: Option<bool>,
    /// *(ext)* A `UseType` name.
    pub use_type: Option<String>,
}

/// An interchange record.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct InterchangeRecord {
    /// `interchangeId`.
    pub interchange_id: Option<i64>,
    /// The parcel that carried it (the caller's side).
    pub parcel_id: Option<i64>,
    /// Sender ID.
    pub sender: Option<String>,
    /// Receiver ID.
    pub receiver: Option<String>,
    /// An `EDIStandard` name.
    pub standard: Option<String>,
    /// First message type (`850`, `ORDERS`).
    pub document_type: Option<String>,
    /// Status name.
    pub status: Option<String>,
    /// Created.
    #[serde(deserialize_with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// *(ext)* Sender qualifier.
    pub sender_qualifier: Option<String>,
    /// *(ext)* Receiver qualifier.
    pub receiver_qualifier: Option<String>,
    /// *(ext)* Sender's ECGrid ID.
    #[serde(rename = "ecGridIdFrom")]
    pub ecgrid_id_from: Option<i32>,
    /// *(ext)* Recipient's ECGrid ID.
    #[serde(rename = "ecGridIdTo")]
    pub ecgrid_id_to: Option<i32>,
    /// *(ext)* Sender's network.
    pub network_id_from: Option<i32>,
    /// *(ext)* Sender's mailbox.
    pub mailbox_id_from: Option<i32>,
    /// *(ext)* Recipient's network.
    pub network_id_to: Option<i32>,
    /// *(ext)* Recipient's mailbox.
    pub mailbox_id_to: Option<i32>,
    /// *(ext)* ISA13 / UNB 0020.
    pub interchange_control_id: Option<String>,
    /// *(ext)* The header's date and time.
    #[serde(deserialize_with = "timestamp::option")]
    pub interchange_date_time: Option<OffsetDateTime>,
    /// *(ext)* Size in bytes.
    pub bytes: Option<i64>,
    /// *(ext)* The ISA or UNB segment.
    pub header: Option<String>,
    /// *(ext)* The carrying parcel's status.
    pub parcel_status: Option<String>,
}

/// A page of a directory list: the paged object (its items under any
/// of the list names) or a bare array.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Page<T> {
    Paged {
        #[serde(rename = "totalRecords", default)]
        total_records: Option<i64>,
        #[serde(alias = "mailboxes", alias = "networks", alias = "interchanges")]
        items: Vec<T>,
    },
    Bare(Vec<T>),
}

/// The filter of `interchanges/{inbox,outbox}-list`.
#[derive(Serialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InterchangeFilter {
    /// Created on or after (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub begin_date: Option<String>,
    /// Created on or before (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Sender's ECGrid ID.
    #[serde(rename = "ecGridIdFrom", skip_serializing_if = "Option::is_none")]
    pub ecgrid_id_from: Option<i32>,
    /// Recipient's ECGrid ID.
    #[serde(rename = "ecGridIdTo", skip_serializing_if = "Option::is_none")]
    pub ecgrid_id_to: Option<i32>,
    /// *(ext)* ISA13 / UNB 0020, exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interchange_control_id: Option<String>,
}

#[derive(Serialize)]
struct NameFilter<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindId<'a> {
    qualifier: &'a str,
    id: &'a str,
    show_inactive: bool,
}

impl RestClient {
    /// `GET /v2/mailboxes/{id}`.
    pub async fn mailbox(&self, auth: &Auth, mailbox_id: i32) -> Result<MailboxRecord, RestError> {
        self.get(&format!("/v2/mailboxes/{mailbox_id}"), auth).await
    }

    /// `POST /v2/mailboxes/list {name}`, every page.
    pub async fn mailbox_list(
        &self,
        auth: &Auth,
        name: Option<&str>,
    ) -> Result<Vec<MailboxRecord>, RestError> {
        self.list_all::<Page<_>, _>("/v2/mailboxes/list", auth, &NameFilter { name })
            .await
    }

    /// `GET /v2/networks/{id}`.
    pub async fn network(&self, auth: &Auth, network_id: i32) -> Result<NetworkRecord, RestError> {
        self.get(&format!("/v2/networks/{network_id}"), auth).await
    }

    /// `POST /v2/networks/list {name}`, every page.
    pub async fn network_list(
        &self,
        auth: &Auth,
        name: Option<&str>,
    ) -> Result<Vec<NetworkRecord>, RestError> {
        self.list_all::<Page<_>, _>("/v2/networks/list", auth, &NameFilter { name })
            .await
    }

    /// `GET /v2/ids/{id}`.
    pub async fn trading_partner(
        &self,
        auth: &Auth,
        ecgrid_id: i32,
    ) -> Result<IdRecord, RestError> {
        self.get(&format!("/v2/ids/{ecgrid_id}"), auth).await
    }

    /// `POST /v2/ids/find {qualifier, id, showInactive}`.
    pub async fn find_trading_partners(
        &self,
        auth: &Auth,
        qualifier: &str,
        id: &str,
        show_inactive: bool,
    ) -> Result<Vec<IdRecord>, RestError> {
        let body = FindId {
            qualifier,
            id,
            show_inactive,
        };
        let page: Page<IdRecord> = self.post("/v2/ids/find", auth, Some(&body)).await?;
        Ok(page.into_parts().0)
    }

    /// `GET /v2/interchanges/{id}`.
    pub async fn interchange(
        &self,
        auth: &Auth,
        interchange_id: i64,
    ) -> Result<InterchangeRecord, RestError> {
        self.get(&format!("/v2/interchanges/{interchange_id}"), auth)
            .await
    }

    /// `POST /v2/interchanges/{inbox,outbox}-list`, every page.
    pub async fn interchange_list(
        &self,
        auth: &Auth,
        outbox: bool,
        filter: &InterchangeFilter,
    ) -> Result<Vec<InterchangeRecord>, RestError> {
        let path = if outbox {
            "/v2/interchanges/outbox-list"
        } else {
            "/v2/interchanges/inbox-list"
        };
        self.list_all::<Page<_>, _>(path, auth, filter).await
    }
}

impl<T: DeserializeOwned> ListPage for Page<T> {
    type Item = T;
    fn into_parts(self) -> (Vec<T>, Option<u64>) {
        match self {
            Page::Paged {
                total_records,
                items,
            } => (items, total_records.and_then(|t| u64::try_from(t).ok())),
            Page::Bare(items) => (items, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_read_under_each_list_name_and_bare() {
        for name in ["mailboxes", "networks", "interchanges"] {
            let page: Page<serde_json::Value> = serde_json::from_value(json!({
                "totalRecords": 1, "pageNo": 1, "recordsPerPage": 25, name: [{"x": 1}]
            }))
            .unwrap();
            assert_eq!(page.into_parts().0.len(), 1, "{name}");
        }
        let bare: Page<IdRecord> =
            serde_json::from_value(json!([{"ecGridId": 100101, "qualifier": "ZZ"}])).unwrap();
        let (ids, total) = bare.into_parts();
        assert_eq!((ids[0].ecgrid_id, total), (Some(100101), None));
    }
}
