//! Users: one compact record each, indexed by `u32`, and their states.

pub(super) const PENDING: u8 = 0;
pub(super) const QUEUED: u8 = 1;
pub(super) const THINKING: u8 = 2;
pub(super) const AWAITING: u8 = 3;
pub(super) const BOOKED: u8 = 10;
pub(super) const SOLD_OUT: u8 = 11;
pub(super) const ABANDONED: u8 = 12;
pub(super) const BLOCKED: u8 = 13;

pub(super) const FLAG_BOT: u8 = 1;
pub(super) const FLAG_PARALLEL: u8 = 2;
pub(super) const FLAG_CHALLENGED: u8 = 4;
/// Admitted from the waiting room: `eta_ms` now holds the admission instant.
pub(super) const FLAG_ADMITTED: u8 = 8;
/// The current booking attempt is a human's, begun while their train had
/// seats: it counts in the success rate.
pub(super) const FLAG_ATTEMPT: u8 = 16;
/// Admitted from the waiting room with a seat of their train held for
/// them while they book.
pub(super) const FLAG_HELD: u8 = 32;

/// Patience value meaning "never gives up" (bots).
pub(super) const FOREVER: u16 = u16::MAX;

/// One user: 16 bytes, all of a user's hot state in one cache line
/// (events touch users in random order, so one record beats many arrays).
#[derive(Clone, Copy, Debug)]
pub(super) struct User {
    pub(super) arrived_ms: u32,
    pub(super) train: u16,
    pub(super) attempt: u16,
    pub(super) patience_s: u16,
    /// When the current booking attempt (its login session) began, s.
    pub(super) begun_s: u16,
    pub(super) flags: u8,
    pub(super) state: u8,
    pub(super) step: u8,
    pub(super) retries: u8,
}

const _: () = assert!(std::mem::size_of::<User>() == 16);

/// Every user, indexed by `u32`.
#[derive(Default)]
pub(super) struct Users {
    pub(super) v: Vec<User>,
    /// The ETA shown on joining the waiting room; after admission, the
    /// admission instant (ms). Apart, since only the room touches it.
    pub(super) eta_ms: Vec<u32>,
}

impl Users {
    pub(super) fn with_capacity(n: usize) -> Self {
        Users {
            v: Vec::with_capacity(n),
            eta_ms: Vec::with_capacity(n),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.v.len()
    }

    pub(super) fn push(&mut self, arrived_ms: u32, train: u16, flags: u8, patience_s: u16) -> u32 {
        let id = self.v.len() as u32;
        self.eta_ms.push(0);
        self.v.push(User {
            arrived_ms,
            train,
            attempt: 0,
            patience_s,
            begun_s: 0,
            flags,
            state: PENDING,
            step: 0,
            retries: 0,
        });
        id
    }

    pub(super) fn is_bot(&self, u: u32) -> bool {
        self.v[u as usize].flags & FLAG_BOT != 0
    }
}

/// Every user's outcome counted by scanning the per-user state: an
/// independent check of the running counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    pub users: u64,
    pub booked: u64,
    pub sold_out: u64,
    pub abandoned: u64,
    pub blocked: u64,
    pub in_system: u64,
}
