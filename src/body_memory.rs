//! The memory request bodies hold while they arrive, shared by every
//! worker (issue 16: 300 stalled near-1 MB bodies held 358 MiB).
//!
//! A body is held whole until it has arrived (the envelope reader needs all
//! of it), in a [`BodyBuffer`] whose every allocated byte is charged to a
//! budget before it is allocated (`--max-body-memory`, default 256 MiB, at
//! least `--max-upload-body`), and given back when the body is complete or
//! refused. What is charged is the buffer's capacity, not the bytes that
//! arrived: a body announcing 1 MB is given (and charged) its 1 MB at once,
//! one allocation and no copies, and a body of unknown length grows by
//! doubling, each growth charged first. Bodies read under `--max-body` — every operation but the
//! uploads, and an unannounced body until its first bytes show an upload —
//! may together take only [`BodyMemory::small_share`] of it (a thirty-second, at
//! least `--max-body`), so requests that cannot be uploads never crowd out
//! a file and a flood of them holds little.
//!
//! When the budget is spent, a body waits for room (the TCP window then
//! holds the client back) for at most [`ROOM_WAIT`], then gets a 503 with
//! `Retry-After`; while anyone waits, a body that has sent nothing for
//! [`STALL`] is ended with a 408, giving its bytes to those still sending.
//! A client that keeps sending therefore always gets room before a stalled
//! one keeps it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio::time::Instant;

/// How long a body that has sent nothing keeps its bytes while another
/// body waits for room.
pub const STALL: Duration = Duration::from_secs(2);
/// How long a body waits for room before it is answered 503.
pub const ROOM_WAIT: Duration = Duration::from_secs(5);

/// The budget of request-body bytes, shared by every worker thread.
#[derive(Debug)]
pub struct BodyMemory {
    all: Arc<Semaphore>,
    small: Arc<Semaphore>,
    total: usize,
    small_share: usize,
    /// Bodies waiting for room now.
    waiting: AtomicUsize,
}

/// Why a body got no room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoom {
    /// The wait for room passed [`ROOM_WAIT`] (or the body's own deadline).
    Timeout,
    /// One frame is larger than the budget could ever give.
    TooLarge,
}

/// The bytes one body holds of the budget; given back on drop.
#[derive(Debug)]
pub struct HeldBytes {
    memory: Arc<BodyMemory>,
    all: Option<OwnedSemaphorePermit>,
    small: Option<OwnedSemaphorePermit>,
}

impl BodyMemory {
    /// A budget of `total` bytes, of which bodies read under a limit of
    /// `max_body` may take a thirty-second (at least `max_body`, at most `total`).
    pub fn new(total: usize, max_body: usize) -> Arc<BodyMemory> {
        let total = total.clamp(1, u32::MAX as usize);
        let small_share = (total / 32).max(max_body).min(total);
        Arc::new(BodyMemory {
            all: Arc::new(Semaphore::new(total)),
            small: Arc::new(Semaphore::new(small_share)),
            total,
            small_share,
            waiting: AtomicUsize::new(0),
        })
    }

    /// The whole budget, bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The part bodies read under `--max-body` may take together, bytes.
    pub fn small_share(&self) -> usize {
        self.small_share
    }

    /// Bytes held by bodies now.
    pub fn held(&self) -> usize {
        self.total - self.all.available_permits()
    }

    /// Whether some body is waiting for room now (a stalled body should
    /// then give its bytes back).
    pub fn contended(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
    }

    /// A body's account, holding nothing yet.
    pub fn account(self: &Arc<Self>) -> HeldBytes {
        HeldBytes {
            memory: self.clone(),
            all: None,
            small: None,
        }
    }
}

impl HeldBytes {
    /// Bytes this body holds.
    pub fn bytes(&self) -> usize {
        self.all.as_ref().map_or(0, |p| p.num_permits())
    }

    /// Charges `n` more bytes, from the small share too while `small` (the
    /// body is read under `--max-body`), waiting for room until `until` or
    /// [`ROOM_WAIT`] from now, whichever is first.
    pub async fn charge(&mut self, n: usize, small: bool, until: Instant) -> Result<(), NoRoom> {
        if n == 0 {
            return Ok(());
        }
        let memory = self.memory.clone();
        let cap = if small {
            memory.small_share
        } else {
            memory.total
        };
        if self.bytes() + n > cap {
            return Err(NoRoom::TooLarge);
        }
        let count = u32::try_from(n).map_err(|_| NoRoom::TooLarge)?;
        let small_permit = if small {
            Some(acquire(&memory, &memory.small, count, until).await?)
        } else {
            None
        };
        let all_permit = acquire(&memory, &memory.all, count, until).await?;
        merge(&mut self.all, all_permit);
        if let Some(permit) = small_permit {
            merge(&mut self.small, permit);
        }
        Ok(())
    }

    /// The body turned out to be an upload: it no longer counts against
    /// the small share (it keeps its bytes of the whole budget).
    pub fn leave_small_share(&mut self) {
        self.small = None;
    }
}

/// A body's bytes while they arrive, in one buffer charged to the budget.
#[derive(Debug)]
pub struct BodyBuffer {
    bytes: Vec<u8>,
    held: HeldBytes,
    /// The body's length when announced (`Content-Length`).
    announced: Option<usize>,
}

/// The smallest buffer a body of unknown length starts with.
const FIRST_CAPACITY: usize = 16 * 1024;

impl BodyBuffer {
    /// An empty buffer for a body of `announced` bytes, when known.
    pub fn new(memory: &Arc<BodyMemory>, announced: Option<usize>) -> BodyBuffer {
        BodyBuffer {
            bytes: Vec::new(),
            held: memory.account(),
            announced,
        }
    }

    /// Bytes received so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing was received yet.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes of the budget this body holds (its buffer's capacity).
    pub fn held(&self) -> usize {
        self.held.bytes()
    }

    /// The bytes received so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends `data`, first growing the buffer, charged to the budget
    /// (from the small share while `small`), to its announced length, or
    /// by doubling, never past `limit`; waits for room until `until` (see
    /// [`HeldBytes::charge`]).
    pub async fn push(
        &mut self,
        data: &[u8],
        limit: usize,
        small: bool,
        until: Instant,
    ) -> Result<(), NoRoom> {
        let needed = self.bytes.len() + data.len();
        let capacity = self.bytes.capacity();
        if needed > capacity {
            let grown = match self.announced {
                Some(announced) if announced >= needed => announced,
                _ => (capacity * 2).max(FIRST_CAPACITY),
            };
            let target = grown.max(needed).min(limit.max(needed));
            self.held.charge(target - capacity, small, until).await?;
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    /// The body turned out to be an upload: it leaves the small share.
    pub fn leave_small_share(&mut self) {
        self.held.leave_small_share();
    }

    /// The whole body; its bytes leave the budget.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

fn merge(slot: &mut Option<OwnedSemaphorePermit>, permit: OwnedSemaphorePermit) {
    match slot {
        Some(held) => held.merge(permit),
        None => *slot = Some(permit),
    }
}

/// Counts a waiting body for as long as it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn start(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn acquire(
    memory: &BodyMemory,
    semaphore: &Arc<Semaphore>,
    count: u32,
    until: Instant,
) -> Result<OwnedSemaphorePermit, NoRoom> {
    match semaphore.clone().try_acquire_many_owned(count) {
        Ok(permit) => return Ok(permit),
        Err(TryAcquireError::NoPermits) => {}
        Err(TryAcquireError::Closed) => return Err(NoRoom::Timeout),
    }
    let _waiting = Waiting::start(&memory.waiting);
    let until = until.min(Instant::now() + ROOM_WAIT);
    match tokio::time::timeout_at(until, semaphore.clone().acquire_many_owned(count)).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) | Err(_) => Err(NoRoom::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_buffer_is_charged_its_announced_length_at_once() {
        let memory = BodyMemory::new(64_000, 8000);
        let mut body = BodyBuffer::new(&memory, Some(5000));
        body.push(&[b'a'; 100], 8000, true, far()).await.unwrap();
        assert_eq!((body.len(), body.held(), memory.held()), (100, 5000, 5000));
        body.push(&[b'b'; 4900], 8000, true, far()).await.unwrap();
        assert_eq!(body.held(), 5000, "no growth within the announced length");
        let bytes = body.into_bytes();
        assert_eq!((bytes.len(), memory.held()), (5000, 0));
    }

    #[tokio::test]
    async fn a_buffer_of_unknown_length_doubles_each_growth_charged_up_to_the_limit() {
        let memory = BodyMemory::new(1 << 20, 1 << 20);
        let mut body = BodyBuffer::new(&memory, None);
        body.push(&[1; 10], 100_000, false, far()).await.unwrap();
        assert_eq!(body.held(), FIRST_CAPACITY);
        body.push(&[2; FIRST_CAPACITY], 100_000, false, far())
            .await
            .unwrap();
        assert_eq!(body.held(), 2 * FIRST_CAPACITY);
        body.push(&[3; 40_000], 100_000, false, far())
            .await
            .unwrap();
        assert_eq!(body.held(), 4 * FIRST_CAPACITY);
        body.push(&[4; 30_000], 100_000, false, far())
            .await
            .unwrap();
        assert_eq!(body.held(), 100_000, "capped at the limit");
        assert_eq!(body.as_slice().len(), 10 + FIRST_CAPACITY + 70_000);
        assert_eq!(memory.held(), 100_000);
        // A body that announced less than it sends grows past its length.
        let mut short = BodyBuffer::new(&memory, Some(10));
        short.push(&[5; 20], 100_000, false, far()).await.unwrap();
        assert_eq!(short.held(), FIRST_CAPACITY);
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn bytes_are_given_back_when_a_body_is_dropped() {
        let memory = BodyMemory::new(8000, 1000);
        assert_eq!((memory.total(), memory.small_share()), (8000, 1000));
        let mut body = memory.account();
        body.charge(600, true, far()).await.unwrap();
        body.charge(400, true, far()).await.unwrap();
        assert_eq!((body.bytes(), memory.held()), (1000, 1000));
        drop(body);
        assert_eq!(memory.held(), 0);
    }

    #[tokio::test]
    async fn small_bodies_share_a_thirty_second_and_an_upload_leaves_it() {
        let memory = BodyMemory::new(64_000, 1000);
        assert_eq!(memory.small_share(), 2000);
        let mut a = memory.account();
        let mut b = memory.account();
        a.charge(1000, true, far()).await.unwrap();
        b.charge(1000, true, far()).await.unwrap();
        let mut c = memory.account();
        let start = Instant::now();
        let refused = c.charge(10, true, start + Duration::from_millis(50)).await;
        assert_eq!(refused, Err(NoRoom::Timeout));
        assert!(!memory.contended(), "the waiting count is given back");
        // `a` turns out to be an upload: the small share has room again,
        // and `a` may grow past it into the whole budget.
        a.leave_small_share();
        c.charge(10, true, far()).await.unwrap();
        a.charge(9000, false, far()).await.unwrap();
        assert_eq!(memory.held(), 11_010);
    }

    #[tokio::test]
    async fn a_frame_past_what_the_budget_can_give_is_refused_at_once() {
        let memory = BodyMemory::new(8000, 1000);
        let mut body = memory.account();
        assert_eq!(body.charge(1001, true, far()).await, Err(NoRoom::TooLarge));
        assert_eq!(body.charge(8001, false, far()).await, Err(NoRoom::TooLarge));
        assert_eq!(memory.held(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_body_is_counted_and_gets_room_when_bytes_are_given_back() {
        let memory = BodyMemory::new(8000, 8000);
        let mut full = memory.account();
        full.charge(8000, false, far()).await.unwrap();
        let waiter = {
            let memory = memory.clone();
            tokio::spawn(async move {
                let mut body = memory.account();
                body.charge(100, false, far()).await.map(|()| body.bytes())
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(memory.contended());
        drop(full);
        assert_eq!(waiter.await.unwrap(), Ok(100));
        assert!(!memory.contended());
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_for_room_ends_after_room_wait() {
        let memory = BodyMemory::new(1000, 1000);
        let mut full = memory.account();
        full.charge(1000, false, far()).await.unwrap();
        let start = Instant::now();
        let mut body = memory.account();
        assert_eq!(body.charge(1, false, far()).await, Err(NoRoom::Timeout));
        assert_eq!(start.elapsed(), ROOM_WAIT);
    }
}
