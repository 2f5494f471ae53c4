//! The run-time every world stands on. A world is a [`Model`]: its state
//! and how it reacts to its own typed events and to [`Command`]s. The
//! [`Runtime`] owns the model's event queue (and so the clock and the
//! count of events), runs the event loop, and hands the model a
//! [`Context`] to schedule events and write to the event log, in the
//! spirit of nexosim's `Context`. `Runtime<M>` is a [`World`], the
//! object-safe face the [`Simulation`](super::Simulation), the dashboard
//! and headless runs use: the per-event loop is monomorphised for each
//! model and its queue, so a dynamic call happens once per batch of
//! events, never per event.
//!
//! ```text
//!  Simulation ──(step_until, apply)──▶ dyn World = Runtime<M>
//!                                        │ owns M::Queue (clock, events)
//!                                        │ loop: pop ─▶ M::handle(cx, ev)
//!                                        ▼
//!                                 Context { now, schedule, log }
//! ```
//!
//! The runtime also owns the world's [`Sampler`]: the model declares its
//! series once ([`Model::sampling`]) and keeps its sample tick an event in
//! its own queue (so the order of events stays the model's). When the
//! loop pops that tick ([`Model::is_sample`], one discriminant check per
//! event) the runtime schedules the next one, lets the model do its
//! periodic work ([`Model::on_sample`]), asks it to
//! [`observe`](Model::observe) and records the points; the model's
//! [`snapshot`](Model::snapshot) reads them back from the [`History`].

use std::marker::PhantomData;

use super::engine::EventQueue;
use super::log::EventLog;
use super::metrics::{ClosedForms, Metrics};
use super::sampler::{History, Probe, Sampler, Sampling};
use super::time::SimTime;
use super::world::{Catalog, Command, CommandError, Ledger, Snapshot, World};

/// What a model sees of the run-time while it handles an event or a command.
pub struct Context<'a, E, Q: EventQueue<E>> {
    queue: &'a mut Q,
    log: &'a mut EventLog,
    _event: PhantomData<fn(E)>,
}

impl<'a, E, Q: EventQueue<E>> Context<'a, E, Q> {
    /// A context over `queue` writing to `log` (the runtime makes these;
    /// tests of a single model may too).
    pub fn new(queue: &'a mut Q, log: &'a mut EventLog) -> Self {
        Context {
            queue,
            log,
            _event: PhantomData,
        }
    }

    /// The current simulated instant.
    #[inline]
    #[must_use]
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Schedules `event` at `at` (an instant in the past runs now).
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        self.queue.schedule(at, event);
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        let at = self.queue.now() + delay;
        self.queue.schedule(at, event);
    }

    /// Writes a line to the event log, stamped now.
    pub fn log(&mut self, text: impl Into<String>) {
        let at = self.queue.now();
        self.log.push(at, text);
    }

    /// The queue itself, for models whose queue offers more (look-ahead).
    #[must_use]
    pub fn queue(&self) -> &Q {
        self.queue
    }

    /// The queue itself, mutable.
    pub fn queue_mut(&mut self) -> &mut Q {
        self.queue
    }
}

/// A world's model: typed state reacting to typed events. Deterministic:
/// the same parameters, seed and commands give the same results.
pub trait Model: Send + 'static {
    type Event;
    type Queue: EventQueue<Self::Event> + Send;

    /// Handles one event at `cx.now()`.
    fn handle(&mut self, cx: &mut Context<'_, Self::Event, Self::Queue>, event: Self::Event);

    /// Applies a command at `cx.now()`; returns a line for the event log
    /// (empty: nothing to say). A refused command changes nothing.
    fn apply(
        &mut self,
        cx: &mut Context<'_, Self::Event, Self::Queue>,
        cmd: &Command,
    ) -> Result<String, CommandError>;

    /// What the dashboard draws at `now`, its sparklines and chart read
    /// from `history` (`events_processed` is filled in by the runtime).
    fn snapshot(&self, now: SimTime, history: &History) -> Snapshot;

    /// The series the model samples and how often (none by default).
    /// Read once, when the [`Runtime`] is made.
    fn sampling(&self) -> Sampling {
        Sampling::none()
    }

    /// Whether `event` is the model's sample tick. The model schedules
    /// the first tick itself; the runtime handles each tick (the model's
    /// [`handle`](Model::handle) never sees it) and schedules the next
    /// one [`Sampling::every`] later, before anything else happens at
    /// the tick.
    #[inline]
    fn is_sample(_event: &Self::Event) -> bool {
        false
    }

    /// Periodic work at a sample tick that is more than recording (crash
    /// checks, utilisation, trimming), run before [`observe`](Model::observe).
    fn on_sample(&mut self, _cx: &mut Context<'_, Self::Event, Self::Queue>) {}

    /// Writes the current value of every declared series at a sample
    /// tick (a window quantile may restart here).
    fn observe(&mut self, _now: SimTime, _probe: &mut Probe<'_>) {}

    /// Headless metrics at `now`.
    fn metrics(&self, now: SimTime) -> Metrics;

    /// Closed forms for the same keys, each named by its model, where
    /// they apply (see [`ClosedForms`]).
    fn analytic(&self, now: SimTime) -> ClosedForms;

    /// Where every entity is at `now` (the conservation law).
    fn ledger(&self, now: SimTime) -> Ledger;

    /// Forgets statistics gathered so far (end of warm-up).
    fn reset_statistics(&mut self, now: SimTime);

    /// The active policy.
    fn policy(&self) -> String;

    /// Policies, switches and faults the world offers.
    fn catalog(&self) -> &Catalog;
}

/// A model with its queue and its sampler: a [`World`].
pub struct Runtime<M: Model> {
    model: M,
    queue: M::Queue,
    sampler: Sampler,
}

impl<M: Model> Runtime<M> {
    /// `model` with its queue (holding the model's first events, its
    /// first sample tick among them).
    pub fn new(model: M, queue: M::Queue) -> Self {
        let sampler = Sampler::new(model.sampling(), queue.now());
        Runtime {
            model,
            queue,
            sampler,
        }
    }

    /// The sampled series so far.
    #[must_use]
    pub fn history(&self) -> &History {
        self.sampler.history()
    }

    #[must_use]
    pub fn model(&self) -> &M {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    #[must_use]
    pub fn queue(&self) -> &M::Queue {
        &self.queue
    }

    /// Runs `f` with the model and a context (e.g. to set a model up).
    pub fn with_context<R>(
        &mut self,
        log: &mut EventLog,
        f: impl FnOnce(&mut M, &mut Context<'_, M::Event, M::Queue>) -> R,
    ) -> R {
        let mut cx = Context::new(&mut self.queue, log);
        f(&mut self.model, &mut cx)
    }
}

/// One sample tick (see the module docs): rare, so kept off the loop.
#[inline(never)]
fn sample<M: Model>(
    model: &mut M,
    sampler: &mut Sampler,
    cx: &mut Context<'_, M::Event, M::Queue>,
    tick: M::Event,
) {
    let now = cx.now();
    cx.schedule(now + sampler.every(), tick);
    model.on_sample(cx);
    sampler.sample(now, |probe| model.observe(now, probe));
}

impl<M: Model> World for Runtime<M> {
    fn now(&self) -> SimTime {
        self.queue.now()
    }

    fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    fn advance(&mut self, until: SimTime, max_events: u64, log: &mut EventLog) -> u64 {
        let mut n = 0;
        let mut cx = Context::new(&mut self.queue, log);
        while n < max_events {
            let Some(ev) = cx.queue.pop_until(until) else {
                cx.queue.advance_clock(until);
                return n;
            };
            if M::is_sample(&ev) {
                sample(&mut self.model, &mut self.sampler, &mut cx, ev);
            } else {
                self.model.handle(&mut cx, ev);
            }
            n += 1;
        }
        if cx.queue.peek_time().is_none_or(|t| t > until) {
            cx.queue.advance_clock(until);
        }
        n
    }

    fn apply(&mut self, cmd: &Command, log: &mut EventLog) -> Result<String, CommandError> {
        let mut cx = Context::new(&mut self.queue, log);
        self.model.apply(&mut cx, cmd)
    }

    fn snapshot(&self) -> Snapshot {
        let mut s = self
            .model
            .snapshot(self.queue.now(), self.sampler.history());
        s.events_processed = self.queue.processed();
        s
    }

    fn metrics(&self) -> Metrics {
        self.model.metrics(self.queue.now())
    }

    fn analytic(&self) -> ClosedForms {
        self.model.analytic(self.queue.now())
    }

    fn ledger(&self) -> Ledger {
        self.model.ledger(self.queue.now())
    }

    fn reset_statistics(&mut self) {
        self.model.reset_statistics(self.queue.now());
        self.sampler.restart_counters();
    }

    fn policy(&self) -> String {
        self.model.policy()
    }

    fn catalog(&self) -> &Catalog {
        self.model.catalog()
    }

    fn events_processed(&self) -> u64 {
        self.queue.processed()
    }
}
