//! Queuing the webhook deliveries of real parcel events (`InBox`, `OutBox`,
//! `ConfirmDelivery`, `OutBoxError`) for the delivery worker.

use super::state::Shared;
use super::store::NewEvent;
use crate::domain::{CallBackEventType, Direction, Status};

/// A parcel event for the callbacks of one mailbox.
#[derive(Debug, Clone)]
pub(crate) struct ParcelEvent {
    pub guide: CallBackEventType,
    pub network_id: i32,
    pub mailbox_id: i32,
    /// The mailbox's ECGrid ID (a callback with `ecGridId` 0 matches any).
    pub ecgrid_id: i32,
    /// The parcel the event is about (0 when none was stored).
    pub parcel_id: i64,
    pub file_name: String,
}

/// Queues one delivery per matching `Active` callback: owned by an account
/// of the event's network, scoped to that network, to the mailbox or all
/// mailboxes (0), to the ECGrid ID or any (0), for the event's object and
/// direction (or `NoDir`) and guide name. Returns how many were queued and
/// wakes the delivery worker.
pub(crate) fn enqueue(s: &Shared, ev: &ParcelEvent) -> usize {
    let (object, direction) = ev.guide.object_and_direction();
    let owners: Vec<usize> = s
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.network_id == ev.network_id)
        .map(|(i, _)| i)
        .collect();
    let queued = {
        let mut store = s.store();
        let targets: Vec<i32> = store
            .callbacks
            .values()
            .filter(|cb| owners.contains(&cb.owner) && cb.status == Status::Active)
            .filter(|cb| cb.network_id == 0 || cb.network_id == ev.network_id)
            .filter(|cb| cb.mailbox_id == 0 || cb.mailbox_id == ev.mailbox_id)
            .filter(|cb| cb.ecgrid_id == 0 || cb.ecgrid_id == ev.ecgrid_id)
            .filter(|cb| cb.object == object)
            .filter(|cb| cb.direction == Direction::NoDir || cb.direction == direction)
            .filter(|cb| cb.guide_name().map_or(true, |g| g == ev.guide))
            .map(|cb| cb.id)
            .collect();
        targets
            .into_iter()
            .filter_map(|cb_id| {
                store.add_event(
                    cb_id,
                    NewEvent {
                        guide: Some(ev.guide),
                        object,
                        mailbox_id: ev.mailbox_id,
                        object_id: ev.parcel_id,
                        file_name: ev.file_name.clone(),
                        is_test: false,
                    },
                )
            })
            .count()
    };
    if queued > 0 {
        s.wake.notify_one();
    }
    tracing::info!(
        event = %ev.guide,
        mailbox_id = ev.mailbox_id,
        parcel_id = ev.parcel_id,
        queued,
        "parcel event"
    );
    queued
}
