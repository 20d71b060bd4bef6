//! The bounded in-memory parcel store: files (content shared by a parcel's
//! outbound and inbound records), parcel records with their status history,
//! and the interchanges read from the files' headers.
//!
//! File contents are bounded by `--max-parcel-bytes` in total: storing a file
//! that would go over it first evicts the content of the oldest confirmed
//! files, then the oldest of any status (their inbound parcel becomes
//! `InBoxArchived`). Records are bounded by [`MAX_PARCEL_RECORDS`]; beyond
//! it the oldest uploads are dropped entirely.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use time::OffsetDateTime;

use super::edi_route::InterchangeHeader;
use super::parcel_status::status;

/// Most parcel records kept (two per upload).
pub(crate) const MAX_PARCEL_RECORDS: usize = 100_000;
/// First parcel id.
pub(crate) const FIRST_PARCEL_ID: i64 = 5_550_001;
/// First interchange id.
pub(crate) const FIRST_INTERCHANGE_ID: i64 = 9_870_001;

/// One entry of a parcel's status history.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntry {
    pub status: &'static str,
    pub date: OffsetDateTime,
    pub message: String,
}

/// One side of a transfer: network and mailbox, with names.
#[derive(Debug, Clone)]
pub(crate) struct Side {
    pub ecgrid_id: i32,
    pub network_id: i32,
    pub network_name: String,
    pub mailbox_id: i32,
    pub mailbox_name: String,
}

/// Which mailbox a parcel is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    /// In the sender's outbox.
    Out,
    /// In the recipient's inbox.
    In,
}

/// One parcel record.
#[derive(Debug, Clone)]
pub(crate) struct Parcel {
    pub id: i64,
    pub way: Way,
    /// The other record of the same upload.
    pub twin: i64,
    /// Key of the file in [`ParcelStore`] (the upload's sequence number).
    pub file_key: u64,
    pub file_name: String,
    pub bytes: usize,
    /// `X12`, `EDIFACT` or `Binary`.
    pub standard: &'static str,
    pub from: Side,
    pub to: Side,
    pub interchange_id: Option<i64>,
    pub created: OffsetDateTime,
    pub history: Vec<HistoryEntry>,
    pub download_count: u32,
}

impl Parcel {
    /// The current status (latest history entry).
    pub fn status(&self) -> &'static str {
        self.history.last().map(|h| h.status).unwrap_or("")
    }

    /// The date of the latest history entry.
    pub fn modified(&self) -> OffsetDateTime {
        self.history.last().map(|h| h.date).unwrap_or(self.created)
    }

    /// The mailbox the parcel is in.
    pub fn owner(&self) -> &Side {
        match self.way {
            Way::Out => &self.from,
            Way::In => &self.to,
        }
    }

    fn push(&mut self, status: &'static str, message: String, now: OffsetDateTime) {
        self.history.push(HistoryEntry {
            status,
            date: now,
            message,
        });
    }
}

/// One interchange (one per EDI upload).
#[derive(Debug, Clone)]
pub(crate) struct Interchange {
    pub id: i64,
    pub outbound: i64,
    pub inbound: i64,
    pub header: InterchangeHeader,
    pub from: Side,
    pub to: Side,
    pub bytes: usize,
    pub created: OffsetDateTime,
}

/// A stored file.
#[derive(Debug)]
struct StoredFile {
    content: Bytes,
    inbound: i64,
}

/// What a new upload carries (already routed and checked).
pub(crate) struct NewUpload {
    pub file_name: String,
    pub content: Vec<u8>,
    pub standard: &'static str,
    pub header: Option<InterchangeHeader>,
    pub from: Side,
    pub to: Side,
}

/// The ids a stored upload got.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stored {
    pub outbound: i64,
    pub inbound: i64,
}

/// The parcel store.
#[derive(Debug)]
pub(crate) struct ParcelStore {
    pub parcels: BTreeMap<i64, Parcel>,
    pub interchanges: BTreeMap<i64, Interchange>,
    files: BTreeMap<u64, StoredFile>,
    /// Keys of files whose inbound parcel is confirmed (evicted first).
    confirmed: BTreeSet<u64>,
    total_bytes: usize,
    max_bytes: usize,
    next_parcel: i64,
    next_interchange: i64,
    next_file: u64,
}

impl ParcelStore {
    /// An empty store holding at most `max_bytes` of file content.
    pub fn new(max_bytes: usize) -> Self {
        ParcelStore {
            parcels: BTreeMap::new(),
            interchanges: BTreeMap::new(),
            files: BTreeMap::new(),
            confirmed: BTreeSet::new(),
            total_bytes: 0,
            max_bytes,
            next_parcel: FIRST_PARCEL_ID,
            next_interchange: FIRST_INTERCHANGE_ID,
            next_file: 0,
        }
    }

    /// Bytes of file content held now.
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Stores an upload: the outbound parcel (`outboxPending`, then
    /// `outboxSent`) and the inbound one (`InBoxReady`), evicting older
    /// content first when needed. The caller has checked that the file fits
    /// the bound on its own.
    pub fn store(&mut self, up: NewUpload, now: OffsetDateTime) -> Stored {
        let len = up.content.len();
        while self.total_bytes + len > self.max_bytes && self.evict_one(now) {}
        while self.parcels.len() + 2 > MAX_PARCEL_RECORDS && self.drop_oldest_upload() {}
        let outbound = self.next_parcel;
        let inbound = outbound + 1;
        self.next_parcel += 2;
        let file_key = self.next_file;
        self.next_file += 1;
        let interchange_id = up.header.as_ref().map(|_| {
            let id = self.next_interchange;
            self.next_interchange += 1;
            id
        });
        if let (Some(id), Some(header)) = (interchange_id, up.header) {
            self.interchanges.insert(
                id,
                Interchange {
                    id,
                    outbound,
                    inbound,
                    header,
                    from: up.from.clone(),
                    to: up.to.clone(),
                    bytes: len,
                    created: now,
                },
            );
        }
        let mut out = Parcel {
            id: outbound,
            way: Way::Out,
            twin: inbound,
            file_key,
            file_name: up.file_name,
            bytes: len,
            standard: up.standard,
            from: up.from,
            to: up.to,
            interchange_id,
            created: now,
            history: Vec::new(),
            download_count: 0,
        };
        out.push(
            status::OUTBOX_PENDING,
            format!("Accepted from mailbox {}", out.from.mailbox_id),
            now,
        );
        let mut inb = out.clone();
        inb.id = inbound;
        inb.way = Way::In;
        inb.twin = outbound;
        inb.history.clear();
        let delivered = format!(
            "Delivered to mailbox {} from ECGrid ID {}",
            out.to.mailbox_id, out.from.ecgrid_id
        );
        inb.push(status::INBOX_READY, delivered.clone(), now);
        out.push(status::OUTBOX_SENT, delivered, now);
        self.files.insert(
            file_key,
            StoredFile {
                content: Bytes::from(up.content),
                inbound,
            },
        );
        self.total_bytes += len;
        self.parcels.insert(outbound, out);
        self.parcels.insert(inbound, inb);
        Stored { outbound, inbound }
    }

    /// The content of a parcel's file, `None` once evicted.
    pub fn content(&self, parcel: &Parcel) -> Option<Bytes> {
        self.files.get(&parcel.file_key).map(|f| f.content.clone())
    }

    /// Records a download that updates the parcel.
    pub fn record_download(&mut self, id: i64, now: OffsetDateTime) {
        if let Some(p) = self.parcels.get_mut(&id) {
            p.download_count = p.download_count.saturating_add(1);
            let status = p.status();
            p.push(status, "Downloaded (not yet confirmed)".into(), now);
        }
    }

    /// Confirms an inbound parcel; true when this changed its status (the
    /// first confirm), false when it was already confirmed.
    pub fn confirm(&mut self, id: i64, now: OffsetDateTime) -> bool {
        let Some(p) = self.parcels.get_mut(&id) else {
            return false;
        };
        if p.status() != status::INBOX_READY {
            return false;
        }
        p.push(
            status::INBOX_TRANSFERRED,
            "Download confirmed by the recipient".into(),
            now,
        );
        let (twin, key) = (p.twin, p.file_key);
        if self.files.contains_key(&key) {
            self.confirmed.insert(key);
        }
        if let Some(o) = self.parcels.get_mut(&twin) {
            if o.status() != status::OUTBOX_ACKNOWLEDGED {
                o.push(
                    status::OUTBOX_ACKNOWLEDGED,
                    format!("Download confirmed by mailbox {}", o.to.mailbox_id),
                    now,
                );
            }
        }
        true
    }

    /// Resets an inbound parcel to `InBoxReady`; false when it already was
    /// (or its content is archived: the caller checks that first).
    pub fn reset(&mut self, id: i64, now: OffsetDateTime) -> bool {
        let Some(p) = self.parcels.get_mut(&id) else {
            return false;
        };
        if p.status() == status::INBOX_READY {
            return false;
        }
        p.push(
            status::INBOX_READY,
            "Reset to the inbox by the recipient".into(),
            now,
        );
        self.confirmed.remove(&p.file_key);
        true
    }

    /// Evicts one file's content (oldest confirmed, else oldest); false when
    /// nothing is left to evict.
    fn evict_one(&mut self, now: OffsetDateTime) -> bool {
        let key = match self.confirmed.pop_first() {
            Some(k) => k,
            None => match self.files.keys().next() {
                Some(k) => *k,
                None => return false,
            },
        };
        let Some(file) = self.files.remove(&key) else {
            return true;
        };
        self.confirmed.remove(&key);
        self.total_bytes = self.total_bytes.saturating_sub(file.content.len());
        let max = self.max_bytes;
        if let Some(p) = self.parcels.get_mut(&file.inbound) {
            p.push(
                status::INBOX_ARCHIVED,
                format!("Content archived: evicted to keep stored files under --max-parcel-bytes ({max} bytes)"),
                now,
            );
        }
        true
    }

    /// Drops the oldest upload (both records, its file and interchange).
    fn drop_oldest_upload(&mut self) -> bool {
        let Some((&id, p)) = self.parcels.iter().next() else {
            return false;
        };
        let (twin, key, ic) = (p.twin, p.file_key, p.interchange_id);
        self.parcels.remove(&id);
        self.parcels.remove(&twin);
        if let Some(f) = self.files.remove(&key) {
            self.total_bytes = self.total_bytes.saturating_sub(f.content.len());
        }
        self.confirmed.remove(&key);
        if let Some(ic) = ic {
            self.interchanges.remove(&ic);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(n: i32) -> Side {
        Side {
            ecgrid_id: n * 1000,
            network_id: n,
            network_name: format!("N{n}"),
            mailbox_id: n * 100,
            mailbox_name: format!("M{n}"),
        }
    }

    fn upload(len: usize) -> NewUpload {
        NewUpload {
            file_name: "f.bin".into(),
            content: vec![7; len],
            standard: "Binary",
            header: None,
            from: side(1),
            to: side(2),
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH
    }

    #[test]
    fn an_upload_makes_two_records_with_history() {
        let mut s = ParcelStore::new(1000);
        let ids = s.store(upload(10), now());
        let out = &s.parcels[&ids.outbound];
        let inb = &s.parcels[&ids.inbound];
        assert_eq!(out.status(), status::OUTBOX_SENT);
        assert_eq!(out.history.len(), 2);
        assert_eq!(inb.status(), status::INBOX_READY);
        assert_eq!(inb.owner().mailbox_id, 200);
        s.record_download(ids.inbound, now());
        assert_eq!(s.parcels[&ids.inbound].status(), status::INBOX_READY);
        assert!(s.confirm(ids.inbound, now()));
        assert!(!s.confirm(ids.inbound, now()));
        assert_eq!(
            s.parcels[&ids.outbound].status(),
            status::OUTBOX_ACKNOWLEDGED
        );
        assert!(s.reset(ids.inbound, now()));
        assert!(!s.reset(ids.inbound, now()));
        let statuses: Vec<_> = s.parcels[&ids.inbound]
            .history
            .iter()
            .map(|h| h.status)
            .collect();
        assert_eq!(
            statuses,
            ["InBoxReady", "InBoxReady", "InBoxTransferred", "InBoxReady"]
        );
    }

    #[test]
    fn the_byte_bound_evicts_confirmed_files_first_then_the_oldest() {
        let mut s = ParcelStore::new(100);
        let a = s.store(upload(40), now());
        let b = s.store(upload(40), now());
        assert!(s.confirm(b.inbound, now()));
        let c = s.store(upload(40), now());
        assert_eq!(s.total_bytes(), 80);
        assert!(s.content(&s.parcels[&a.inbound]).is_some());
        assert!(s.content(&s.parcels[&b.inbound]).is_none());
        assert_eq!(s.parcels[&b.inbound].status(), status::INBOX_ARCHIVED);
        let _d = s.store(upload(40), now());
        assert!(s.content(&s.parcels[&a.inbound]).is_none());
        assert_eq!(s.parcels[&a.inbound].status(), status::INBOX_ARCHIVED);
        assert!(s.content(&s.parcels[&c.inbound]).is_some());
        assert_eq!(s.total_bytes(), 80);
    }
}
