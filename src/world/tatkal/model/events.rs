//! The world's events.

/// The world's events. Arrivals are not stored: the queue draws the next
/// one when it is due ([`TatkalQueue`](crate::world::tatkal::TatkalQueue)).
#[derive(Clone, Copy, Debug)]
pub enum Ev {
    /// The next user arrives.
    Arrival,
    /// An engine finished a request begun in the engine's `life` (its
    /// station's crashes so far: a finish from before a crash is stale).
    Done {
        engine: u16,
        life: u16,
        user: u32,
        attempt: u16,
        step: u8,
        sent_ms: u32,
    },
    /// A user's patience with one page ran out.
    Timeout {
        user: u32,
        attempt: u16,
        engine: u16,
    },
    /// A user sends their next request (after thinking, a CAPTCHA or a backoff).
    Send { user: u32, attempt: u16 },
    /// A user who arrived early (no waiting room) hits the site at 10:00.
    Start { user: u32 },
    /// A crashed engine comes back.
    Restart { engine: u16, epoch: u16 },
    /// Booking opens (10:00).
    Open,
    /// The waiting room admits its next batch.
    Admit,
    /// Crash checks, utilisation, the adaptive rate and the series.
    Sample,
}

impl Ev {
    pub(super) fn user(self) -> Option<u32> {
        match self {
            Ev::Done { user, .. }
            | Ev::Timeout { user, .. }
            | Ev::Send { user, .. }
            | Ev::Start { user } => Some(user),
            _ => None,
        }
    }
}

pub(super) const PREFETCH_AHEAD: usize = 16;
pub(super) const ADMIT_EVERY_MS: u64 = 100;
pub(super) const HISTORY: usize = 600;
