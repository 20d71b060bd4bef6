//! REST parcel records → the WSDL's parcel types: `ParcelIDInfo` (with its
//! status history as `Log`, an `ArrayOfManifestInfo`),
//! `ParcelIDInfoCollection` and `FileInfo`.
//!
//! | SOAP `ParcelIDInfo` | REST parcel record |
//! |---|---|
//! | `ParcelID` | `parcelId` / `id` |
//! | `ParcelBytes`, `ActualBytes` | `bytes` / `size` |
//! | `ParcelDate` | `created` |
//! | `NetworkIDFrom` … `MailboxNameTo` | `networkIdFrom` … `mailboxNameTo` *(ext)*; without them, the side the parcel is on from `networkId` / `mailboxId` |
//! | `FileName`, `MailbagControlID` | `fileName`, `mailbagControlId` *(ext)* |
//! | `StatusDate`, `LocalStatusDate` | `modified` |
//! | `StatusCode`, `StatusMessage` | `status`, `statusMessage` *(ext)* |
//! | `Direction` | `direction` *(ext)*, else the list it came from |
//! | `Valid` | `Valid` once the parcel was routed (it has a status), else `Pending` |
//! | `Log` | `statusHistory` *(ext)*: one `ManifestInfo` per entry (`ManifestDate` ← `date`, `StatusCode` ← `status`, `StatusMessage` ← `message`, `Type` `ECGridOS`) |
//!
//! `ArchiveDate` is `DateTime.MinValue`, `LocalStatus` 0 and
//! `Acknowledgment` absent: REST has none of them.

use crate::domain::Direction;
use crate::rest::parcels::{DownloadedParcel, ParcelRecord};
use crate::schema::enums::{EDIStandard, ManifestType, ParcelValid};
use crate::schema::types::{
    ArrayOfManifestInfo, ArrayOfParcelIDInfo, FileInfo, ManifestInfo, ParcelIDInfo,
    ParcelIDInfoCollection,
};
use crate::schema::Base64;
use crate::soap::Fault;

use super::crossing::{upstream_enum_or_default, wsdl_int};

/// A parcel record as `ParcelIDInfo`; `listed_as` is the direction of the
/// list it came from, for an upstream that does not say.
pub fn parcel_id_info(record: &ParcelRecord, listed_as: Direction) -> Result<ParcelIDInfo, Fault> {
    let parcel_id = record
        .parcel_id()
        .ok_or_else(|| Fault::server("upstream parcel record has no parcelId"))?;
    let direction = match record.direction.as_deref() {
        None | Some("") => listed_as,
        Some(name) => upstream_enum_or_default("direction", Some(name))?,
    };
    // Without the (ext) sender/recipient fields, the one side REST names is
    // the mailbox the parcel is in.
    let (here_network, here_mailbox) = (
        record.network_id.unwrap_or(0),
        record.mailbox_id.unwrap_or(0),
    );
    let (own_from, own_to) = match direction {
        Direction::OutBox => ((here_network, here_mailbox), (0, 0)),
        _ => ((0, 0), (here_network, here_mailbox)),
    };
    let bytes = wsdl_int("bytes", record.bytes())?;
    let log = record.status_history.as_ref().map(|history| {
        ArrayOfManifestInfo(
            history
                .iter()
                .map(|entry| ManifestInfo {
                    manifest_date: entry.date.into(),
                    network_id: here_network,
                    r#type: ManifestType::ECGridOS,
                    parcel_id,
                    status_code: entry.status.clone(),
                    status_message: entry.message.clone(),
                    ..ManifestInfo::default()
                })
                .collect(),
        )
    });
    Ok(ParcelIDInfo {
        parcel_bytes: bytes,
        parcel_date: record.created.into(),
        actual_bytes: bytes,
        network_id_from: record.network_id_from.unwrap_or(own_from.0),
        network_name_from: record.network_name_from.clone(),
        mailbox_id_from: record.mailbox_id_from.unwrap_or(own_from.1),
        mailbox_name_from: record.mailbox_name_from.clone(),
        network_id_to: record.network_id_to.unwrap_or(own_to.0),
        network_name_to: record.network_name_to.clone(),
        mailbox_id_to: record.mailbox_id_to.unwrap_or(own_to.1),
        mailbox_name_to: record.mailbox_name_to.clone(),
        file_name: record.file_name.clone(),
        mailbag_control_id: record.mailbag_control_id.clone().filter(|m| !m.is_empty()),
        status_date: record.modified.or(record.created).into(),
        status_code: record.status.clone(),
        status_message: record.status_message.clone(),
        local_status_date: record.modified.or(record.created).into(),
        valid: if record.status.is_some() {
            ParcelValid::Valid
        } else {
            ParcelValid::Pending
        },
        direction,
        log,
        parcel_id,
        ..ParcelIDInfo::default()
    })
}

/// Parcels as a `ParcelIDInfoCollection`: one page of `total` records
/// (`None`: these are all of them) of `page_size` per page.
pub fn parcel_collection(
    records: &[ParcelRecord],
    listed_as: Direction,
    page: Option<(i64, i64, Option<i64>)>,
) -> Result<ParcelIDInfoCollection, Fault> {
    let list = records
        .iter()
        .map(|r| parcel_id_info(r, listed_as))
        .collect::<Result<Vec<_>, _>>()?;
    let count = list.len() as i64;
    let (page_number, page_size, total) = match page {
        Some((number, size, total)) => (number, size, total.unwrap_or(count)),
        None => (1, count, count),
    };
    let total_pages = if page_size > 0 {
        (total + page_size - 1) / page_size
    } else {
        1
    };
    let short = |v: i64| v.clamp(0, i64::from(i16::MAX)) as i16;
    let int = |v: i64| v.clamp(0, i64::from(i32::MAX)) as i32;
    Ok(ParcelIDInfoCollection {
        page_size: short(page_size),
        page_number: short(page_number),
        count: int(count),
        total_records: int(total),
        total_pages: short(total_pages.max(1)),
        parcel_id_info_list: Some(ArrayOfParcelIDInfo(list)),
    })
}

/// How a download's content is written: `Content` (`xs:base64Binary`) for
/// `ParcelDownload`, `ContentBase64String` (`xs:string`) for the `…A`
/// variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentForm {
    /// `FileInfo/Content`.
    Binary,
    /// `FileInfo/ContentBase64String`.
    Base64String,
}

/// A download as `FileInfo`; the base64 text moves from the REST answer to
/// the SOAP answer without being decoded.
pub fn file_info(download: DownloadedParcel, form: ContentForm) -> Result<FileInfo, Fault> {
    let parcel_id = download
        .parcel_id
        .ok_or_else(|| Fault::server("upstream download has no parcelId"))?;
    let standard: EDIStandard = upstream_enum_or_default("standard", download.standard.as_deref())?;
    let content = download
        .content
        .ok_or_else(|| Fault::server("upstream download has no content"))?;
    let (content, content_base64_string) = match form {
        ContentForm::Binary => (Some(Base64(content)), None),
        ContentForm::Base64String => (None, Some(content)),
    };
    Ok(FileInfo {
        parcel_id,
        file_name: download.file_name,
        file_date: download.file_date.into(),
        bytes: wsdl_int("bytes", download.bytes.or(download.size))?,
        standard,
        content,
        content_base64_string,
        router_archive: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::parcels::StatusEntry;

    fn record() -> ParcelRecord {
        ParcelRecord {
            parcel_id: Some(5550002),
            mailbox_id: Some(201),
            network_id: Some(2),
            file_name: Some("850.edi".into()),
            size: Some(1234),
            status: Some("InBoxReady".into()),
            created: Some(time::macros::datetime!(2026-05-07 08:00 UTC)),
            status_history: Some(vec![StatusEntry {
                status: Some("InBoxReady".into()),
                date: Some(time::macros::datetime!(2026-05-07 08:00 UTC)),
                message: Some("Delivered".into()),
            }]),
            ..ParcelRecord::default()
        }
    }

    #[test]
    fn a_record_without_ext_fields_fills_its_own_side() {
        let info = parcel_id_info(&record(), Direction::InBox).unwrap();
        assert_eq!((info.network_id_to, info.mailbox_id_to), (2, 201));
        assert_eq!((info.network_id_from, info.mailbox_id_from), (0, 0));
        assert_eq!((info.parcel_bytes, info.actual_bytes), (1234, 1234));
        assert_eq!(info.valid, ParcelValid::Valid);
        assert_eq!(info.status_date, info.parcel_date);
        let log = info.log.unwrap().0;
        assert_eq!(log[0].status_code.as_deref(), Some("InBoxReady"));
        assert_eq!(log[0].parcel_id, 5550002);
        let out = parcel_id_info(&record(), Direction::OutBox).unwrap();
        assert_eq!((out.network_id_from, out.mailbox_id_from), (2, 201));
    }

    #[test]
    fn bad_upstream_records_are_server_faults() {
        let mut no_id = record();
        no_id.parcel_id = None;
        assert!(parcel_id_info(&no_id, Direction::InBox).is_err());
        let mut odd = record();
        odd.direction = Some("Sideways".into());
        let fault = parcel_id_info(&odd, Direction::InBox).unwrap_err();
        assert!(fault.message.contains("`direction`"));
    }

    #[test]
    fn collections_count_pages() {
        let records = vec![record(), record()];
        let all = parcel_collection(&records, Direction::InBox, None).unwrap();
        assert_eq!((all.count, all.total_records, all.total_pages), (2, 2, 1));
        let paged = parcel_collection(&records, Direction::InBox, Some((2, 2, Some(5)))).unwrap();
        assert_eq!(
            (
                paged.page_number,
                paged.page_size,
                paged.total_records,
                paged.total_pages
            ),
            (2, 2, 5, 3)
        );
        let empty = parcel_collection(&[], Direction::InBox, None).unwrap();
        assert_eq!((empty.count, empty.total_pages), (0, 1));
    }

    #[test]
    fn downloads_keep_the_base64_in_the_form_asked() {
        let download = DownloadedParcel {
            parcel_id: Some(9),
            content: Some("SVNB".into()),
            bytes: Some(3),
            standard: Some("X12".into()),
            ..DownloadedParcel::default()
        };
        let binary = file_info(download.clone(), ContentForm::Binary).unwrap();
        assert_eq!(binary.content, Some(Base64("SVNB".into())));
        assert_eq!(binary.content_base64_string, None);
        let text = file_info(download, ContentForm::Base64String).unwrap();
        assert_eq!(text.content_base64_string.as_deref(), Some("SVNB"));
        assert!(file_info(DownloadedParcel::default(), ContentForm::Binary).is_err());
    }
}
