//! Parcel status names: the ones the sandbox writes and every ParcelStatus
//! name a `status` filter accepts (appendix/enums.md, then the WSDL's).

/// Parcel status names the sandbox writes (appendix/enums.md).
pub(crate) mod status {
    /// Outbound: upload accepted.
    pub const OUTBOX_PENDING: &str = "outboxPending";
    /// Outbound: delivered into the recipient's inbox.
    pub const OUTBOX_SENT: &str = "outboxSent";
    /// Outbound: the recipient confirmed.
    pub const OUTBOX_ACKNOWLEDGED: &str = "outboxAcknowledged";
    /// Inbound: ready for download.
    pub const INBOX_READY: &str = "InBoxReady";
    /// Inbound: confirmed.
    pub const INBOX_TRANSFERRED: &str = "InBoxTransferred";
    /// Inbound: content evicted.
    pub const INBOX_ARCHIVED: &str = "InBoxArchived";
}

/// Every ParcelStatus name a `status` filter accepts (appendix/enums.md,
/// then the WSDL's names not already listed).
pub(crate) const PARCEL_STATUS_NAMES: &[&str] = &[
    "InBoxReady",
    "InBoxTransferred",
    "InBoxArchived",
    "as2Receive",
    "as2Sent",
    "ftpReceived",
    "ftpSent",
    "outboxPending",
    "outboxSent",
    "outboxAcknowledged",
    "outboxRetry",
    "outboxFailed",
    "outboxDeliveryError",
    "outboxTransferred",
    "Cancelled",
    "VaultReady",
    "x1256Pending",
    "as2MDNSent",
    "as2MDNPending",
    "as2MDNRejected",
    "as2MDNConfirmed",
    "as2SendFailed",
    "gisbReceived",
    "gisbSent",
    "gisbSendFailed",
    "cxmlReceived",
    "cxmlSent",
    "cxmlSendFailed",
    "x400Received",
    "smtpReceived",
    "oftpReceived",
    "oftpSendFailed",
    "oftpSent",
    "oftpAborted",
    "ftpSendFailed",
    "as4Received",
    "as4MDNSent",
    "as4MDNPending",
    "as4MDNRejected",
    "as4MDNConfirmed",
    "as4Sent",
    "as4SendFailed",
];

/// The canonical ParcelStatus name for `raw` (case-insensitive).
pub(crate) fn parse_status(raw: &str) -> Option<&'static str> {
    let raw = raw.trim();
    PARCEL_STATUS_NAMES
        .iter()
        .copied()
        .find(|n| n.eq_ignore_ascii_case(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_parse_case_insensitively() {
        assert_eq!(parse_status("inboxready"), Some("InBoxReady"));
        assert_eq!(
            parse_status("OUTBOXDELIVERYERROR"),
            Some("outboxDeliveryError")
        );
        assert_eq!(parse_status("nope"), None);
    }
}
