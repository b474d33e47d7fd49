//! How many endpoints are probed at once. An endpoint starts in one of a few *active* slots
//! (`--concurrency`); one that has not finished after a patience has gone quiet (a dead or slow
//! server) and moves to a large *quiet* pool, where it costs a socket and a timer, so it no
//! longer holds a slot that a live endpoint needs. The patience follows how long live endpoints
//! take: when answers slow down (a busy machine, a loaded server), endpoints keep their active
//! slot longer and fewer start, instead of piling up until good servers time out. A
//! per-address limit (`--per-host`) keeps a single server from seeing more than a few
//! connections from one run.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout, timeout_at};

/// The connections one address may see at once unless `--per-host` says otherwise.
pub const DEFAULT_PER_HOST: usize = 16;
/// Endpoints that may wait quietly at once, when the open-file limit allows it.
pub const DEFAULT_QUIET: usize = 5120;

/// How long an endpoint keeps its active slot before it counts as quiet, while no endpoint has
/// answered yet: a fortieth of the endpoint timeout, between 25 ms and 250 ms. A live server
/// slower than that loses nothing: it finishes in the quiet pool.
pub fn patience_for(timeout: Duration) -> Duration {
    (timeout / 40).clamp(Duration::from_millis(25), Duration::from_millis(250))
}

/// The sizes of the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotSizes {
    /// Endpoints being probed that have not yet gone quiet (`--concurrency`).
    pub active: usize,
    /// Endpoints that went quiet and still wait for their answer or their timeout.
    pub quiet: usize,
    /// Whether `quiet` is lower than [`DEFAULT_QUIET`] because of the open-file limit.
    pub quiet_limited_by_open_files: bool,
    /// How long an endpoint may stay active before it moves to the quiet pool, at least.
    pub patience: Duration,
    /// The endpoint timeout: work that ends sooner was answered (it tells how long live
    /// endpoints take); the patience never exceeds a quarter of it.
    pub timeout: Duration,
    /// Connections to one address at once, and whether the limit also binds loopback addresses
    /// (only when given explicitly: the machine's own services do not ban their monitor).
    pub per_address: Option<PerAddressSize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerAddressSize {
    pub limit: usize,
    pub loopback_too: bool,
}

/// The pools of one run, shared by its endpoints.
#[derive(Debug)]
pub struct Slots {
    active: Arc<Semaphore>,
    quiet: Arc<Semaphore>,
    patience: Duration,
    timeout: Duration,
    /// How long answered work has been taking, smoothed, in microseconds (0: none yet).
    answer_micros: AtomicU64,
    per_address: Option<PerAddress>,
    quiet_limited_by_open_files: bool,
    /// Set when an endpoint found the quiet pool full.
    quiet_pool_was_full: AtomicBool,
}

impl Slots {
    pub fn new(sizes: SlotSizes) -> Slots {
        Slots {
            active: Arc::new(Semaphore::new(sizes.active.max(1))),
            quiet: Arc::new(Semaphore::new(sizes.quiet)),
            patience: sizes.patience,
            timeout: sizes.timeout,
            answer_micros: AtomicU64::new(0),
            per_address: sizes.per_address.map(|size| PerAddress {
                size,
                semaphores: Mutex::new(HashMap::new()),
            }),
            quiet_limited_by_open_files: sizes.quiet_limited_by_open_files,
            quiet_pool_was_full: AtomicBool::new(false),
        }
    }

    /// How long an endpoint starting now keeps its active slot: three times what answered work
    /// has been taking, at least the configured patience, at most a quarter of the timeout.
    pub(crate) fn patience(&self) -> Duration {
        let answers = Duration::from_micros(self.answer_micros.load(Ordering::Relaxed)) * 3;
        answers.clamp(self.patience, (self.timeout / 4).max(self.patience))
    }

    /// Counts the time an endpoint's answered work took (work that ended well before the
    /// timeout). A name's resolution (work without an address) is not counted: an IP target's
    /// is instant, and would make the patience shorter than what endpoints take.
    fn record(&self, address: Option<IpAddr>, took: Duration) {
        if address.is_none() || took >= self.timeout.mul_f64(0.8) {
            return;
        }
        let took = took.as_micros().min(u64::MAX as u128) as u64;
        let _ = self
            .answer_micros
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 { took } else { old - old / 8 + took / 8 })
            });
    }

    /// Whether the open-file limit made endpoints wait: the quiet pool, made smaller by that
    /// limit, was full at some point.
    pub fn open_files_slowed_the_run(&self) -> bool {
        self.quiet_limited_by_open_files && self.quiet_pool_was_full.load(Ordering::Relaxed)
    }

    /// Runs the work that `start` makes for one endpoint once a slot is free (and a slot of its
    /// address, when given), moving it to the quiet pool when it outlasts the patience. `None`
    /// when `deadline` came before a slot did; the work is then not started. The work is made
    /// (boxed, by `start`) only once it has a slot: an endpoint that waits costs little.
    pub(crate) async fn run<F: Future>(
        &self,
        address: Option<IpAddr>,
        deadline: Option<Instant>,
        start: impl FnOnce() -> std::pin::Pin<Box<F>>,
    ) -> Option<F::Output> {
        let _address_slot = match (&self.per_address, address) {
            (Some(limits), Some(address)) => match limits.semaphore_for(address) {
                Some(semaphore) => Some(until(deadline, semaphore.acquire_owned()).await?),
                None => None,
            },
            _ => None,
        };
        let active = until(deadline, self.active.clone().acquire_owned()).await?;
        let started = Instant::now();
        let mut work = start();
        if let Ok(done) = timeout(self.patience(), &mut work).await {
            self.record(address, started.elapsed());
            return Some(done);
        }
        // Gone quiet: trade the active slot for a quiet one as soon as one is free, still
        // serving the work meanwhile.
        let quiet = match self.quiet.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.quiet_pool_was_full.store(true, Ordering::Relaxed);
                tokio::select! {
                    done = &mut work => {
                        self.record(address, started.elapsed());
                        return Some(done);
                    }
                    permit = self.quiet.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        // The pool is never closed; keep the active slot if it were.
                        Err(_) => return Some(work.await),
                    },
                }
            }
        };
        drop(active);
        let done = work.await;
        drop(quiet);
        self.record(address, started.elapsed());
        Some(done)
    }
}

/// Waits for a permit, but not past the deadline.
async fn until<P, E>(deadline: Option<Instant>, acquire: impl Future<Output = Result<P, E>>) -> Option<P> {
    match deadline {
        Some(deadline) => timeout_at(deadline, acquire).await.ok()?.ok(),
        None => acquire.await.ok(),
    }
}

/// One semaphore per address in use; an address's entry is dropped when its last connection
/// ends, so the map holds only the addresses being probed.
#[derive(Debug)]
struct PerAddress {
    size: PerAddressSize,
    semaphores: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

impl PerAddress {
    fn semaphore_for(&self, address: IpAddr) -> Option<AddressSemaphore<'_>> {
        if address.is_loopback() && !self.size.loopback_too {
            return None;
        }
        let mut map = self.semaphores.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let semaphore = map
            .entry(address)
            .or_insert_with(|| Arc::new(Semaphore::new(self.size.limit.max(1))))
            .clone();
        Some(AddressSemaphore {
            owner: self,
            address,
            semaphore,
        })
    }
}

/// An address's semaphore, taken from the map.
struct AddressSemaphore<'a> {
    owner: &'a PerAddress,
    address: IpAddr,
    semaphore: Arc<Semaphore>,
}

impl<'a> AddressSemaphore<'a> {
    async fn acquire_owned(self) -> Result<AddressSlot<'a>, tokio::sync::AcquireError> {
        let permit = self.semaphore.clone().acquire_owned().await?;
        Ok(AddressSlot {
            owner: self.owner,
            address: self.address,
            permit: Some(permit),
        })
    }
}

/// A connection slot of one address; its release forgets the address when nobody else uses it.
struct AddressSlot<'a> {
    owner: &'a PerAddress,
    address: IpAddr,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for AddressSlot<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut map = self
            .owner
            .semaphores
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Only the map holds it: no connection to this address is open or waiting.
        if map.get(&self.address).is_some_and(|s| Arc::strong_count(s) == 1) {
            map.remove(&self.address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::join_all;
    use std::sync::atomic::AtomicUsize;

    fn sizes(active: usize, quiet: usize, per_address: Option<PerAddressSize>) -> SlotSizes {
        SlotSizes {
            active,
            quiet,
            quiet_limited_by_open_files: true,
            patience: Duration::from_millis(50),
            // The tests' work of a second or more stands for endpoints that never answer.
            timeout: Duration::from_secs(1),
            per_address,
        }
    }

    /// Slots whose patience starts at 25 ms and may grow, for work that answers within a 4 s
    /// timeout.
    fn patient_slots() -> Slots {
        let mut sizes = sizes(16, 5000, None);
        sizes.patience = Duration::from_millis(25);
        sizes.timeout = Duration::from_secs(4);
        Slots::new(sizes)
    }

    /// Work that stays busy `for_how_long`, counting how many run at once.
    async fn busy(for_how_long: Duration, running: &AtomicUsize, most: &AtomicUsize) {
        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(for_how_long).await;
        running.fetch_sub(1, Ordering::SeqCst);
    }

    /// Runs work that takes `for_how_long` for each of `addresses` at once; how many ran at
    /// once at most, and how many were started.
    async fn most_at_once(
        slots: &Slots,
        addresses: impl IntoIterator<Item = Option<IpAddr>>,
        deadline: Option<Instant>,
        for_how_long: Duration,
    ) -> (usize, usize) {
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let all = addresses
            .into_iter()
            .map(|address| slots.run(address, deadline, || Box::pin(busy(for_how_long, &running, &most))));
        let started = join_all(all).await.iter().filter(|done| done.is_some()).count();
        (most.load(Ordering::SeqCst), started)
    }

    #[tokio::test(start_paused = true)]
    async fn quiet_endpoints_free_their_active_slot() {
        // 1,000 endpoints that each take 2 s, with 10 active slots: without the quiet pool
        // they would take 200 s; with it they start 10 per patience.
        let slots = Slots::new(sizes(10, 2000, None));
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let start = Instant::now();
        let all = (0..1000).map(|_| slots.run(None, None, || Box::pin(busy(Duration::from_secs(2), &running, &most))));
        let done = join_all(all).await;
        assert!(done.iter().all(Option::is_some));
        let took = start.elapsed();
        assert!(took < Duration::from_secs(8), "{took:?}");
        // Ten start per patience (50 ms): 400 are waiting when the first finish.
        assert!(most.load(Ordering::SeqCst) >= 400, "{most:?}");
        assert!(!slots.open_files_slowed_the_run());
    }

    #[tokio::test(start_paused = true)]
    async fn fast_endpoints_never_leave_the_active_pool() {
        let slots = Slots::new(sizes(4, 0, None));
        let (most, _) = most_at_once(&slots, vec![None; 40], None, Duration::from_millis(10)).await;
        assert_eq!(most, 4);
        assert!(!slots.open_files_slowed_the_run(), "nobody needed the quiet pool");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_quiet_pool_keeps_the_active_slot_and_says_so() {
        let slots = Slots::new(sizes(2, 1, None));
        let (most, _) = most_at_once(&slots, vec![None; 6], None, Duration::from_secs(1)).await;
        // Two active plus one quiet at most.
        assert_eq!(most, 3);
        assert!(slots.open_files_slowed_the_run());
    }

    #[tokio::test(start_paused = true)]
    async fn one_address_gets_at_most_its_limit() {
        let per_address = Some(PerAddressSize {
            limit: 3,
            loopback_too: true,
        });
        let slots = Slots::new(sizes(100, 100, per_address));
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        let (most, _) = most_at_once(&slots, vec![Some(address); 12], None, Duration::from_secs(1)).await;
        assert_eq!(most, 3);
        let held = slots.per_address.as_ref().unwrap().semaphores.lock().unwrap().len();
        assert_eq!(held, 0, "addresses no longer probed are forgotten");
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_limit_spares_loopback_and_other_addresses_are_separate() {
        let per_address = Some(PerAddressSize {
            limit: 1,
            loopback_too: false,
        });
        let slots = Slots::new(sizes(100, 100, per_address));
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let (most, _) = most_at_once(&slots, vec![Some(loopback); 5], None, Duration::from_secs(1)).await;
        assert_eq!(most, 5);
        let others = (1..=5).map(|i| Some(format!("192.0.2.{i}").parse::<IpAddr>().unwrap()));
        let (most, _) = most_at_once(&slots, others, None, Duration::from_secs(1)).await;
        assert_eq!(most, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn no_work_starts_past_the_deadline() {
        let slots = Slots::new(sizes(1, 0, None));
        let deadline = Some(Instant::now() + Duration::from_millis(1500));
        let (_, started) = most_at_once(&slots, vec![None; 3], deadline, Duration::from_secs(1)).await;
        assert_eq!(started, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_answers_slow_the_start_of_new_endpoints() {
        // Work whose time grows with the work running at once, as handshakes do on a busy
        // machine: 20 ms plus 4 ms per endpoint in progress. With a fixed patience, each slow
        // answer would step aside and let more in, until answers took longer than the timeout.
        let slots = patient_slots();
        let (running, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let slowest = std::sync::Mutex::new(Duration::ZERO);
        let loaded = || async {
            let started = Instant::now();
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20 + 4 * now as u64)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            let took = started.elapsed();
            let mut slowest = slowest.lock().unwrap();
            *slowest = (*slowest).max(took);
        };
        let endpoint = Some(IpAddr::from([127, 0, 0, 1]));
        join_all((0..3000).map(|_| slots.run(endpoint, None, || Box::pin(loaded())))).await;
        let slowest = *slowest.lock().unwrap();
        assert!(slowest < Duration::from_secs(1), "an answer took {slowest:?}");
        assert!(most.load(Ordering::SeqCst) < 500, "{most:?} at once");
        assert!(slots.patience() > Duration::from_millis(25), "{:?}", slots.patience());
    }

    #[tokio::test(start_paused = true)]
    async fn instant_resolutions_do_not_shorten_the_patience() {
        let slots = patient_slots();
        let endpoint = Some(IpAddr::from([127, 0, 0, 1]));
        let answer = || Box::pin(tokio::time::sleep(Duration::from_millis(100)));
        join_all((0..50).map(|_| slots.run(endpoint, None, answer))).await;
        let patience = slots.patience();
        assert!(patience >= Duration::from_millis(250), "{patience:?}");
        // IP targets resolve at once, through the same slots.
        join_all((0..1000).map(|_| slots.run(None, None, || Box::pin(async {})))).await;
        assert_eq!(slots.patience(), patience);
    }

    #[test]
    fn patience_follows_the_timeout_within_bounds() {
        assert_eq!(patience_for(Duration::from_secs(2)), Duration::from_millis(50));
        assert_eq!(patience_for(Duration::from_secs(5)), Duration::from_millis(125));
        assert_eq!(patience_for(Duration::from_millis(100)), Duration::from_millis(25));
        assert_eq!(patience_for(Duration::from_secs(60)), Duration::from_millis(250));
    }
}
