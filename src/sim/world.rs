//! The contract between a world and everything that drives it (the
//! [`Simulation`](super::Simulation) wrapper, the dashboard, headless runs).

use serde::{Deserialize, Serialize};

use super::fault::{Fault, FaultCatalog, FaultTemplate};
use super::log::EventLog;
pub use super::log::LogEntry;
use super::metrics::{ClosedForms, Metrics, Rolling};
use super::time::SimTime;

/// A change made at the current simulated instant: from the keyboard, or
/// from a scenario's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Switch the balancing / routing / admission policy by name.
    SetPolicy(String),
    /// Multiply the world's main arrival rate (1.1 = +10 %).
    ScaleArrivals(f64),
    /// Inject a fault; the id is how it is cleared later.
    InjectFault { id: u64, fault: Fault },
    /// Clear one fault.
    ClearFault(u64),
    /// Clear every active fault.
    ClearFaults,
    /// Turn a world's named switch on or off (e.g. `waiting_room`).
    Toggle { name: String, on: bool },
}

/// Why a command was refused. Nothing changes when a command is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("unknown policy `{name}`; expected one of: {expected}")]
    UnknownPolicy { name: String, expected: String },
    #[error("unknown target `{name}`; expected one of: {expected}")]
    UnknownTarget { name: String, expected: String },
    #[error("unknown switch `{name}`; expected one of: {expected}")]
    UnknownToggle { name: String, expected: String },
    #[error("this world has no fault `{0}`")]
    UnsupportedFault(String),
    #[error("fault `{kind}` does not apply to `{target}`; it applies only on: {expected}")]
    UnsupportedFaultOn {
        kind: String,
        target: String,
        expected: String,
    },
    #[error(transparent)]
    Fault(#[from] crate::sim::fault::FaultError),
    #[error("{0}")]
    Invalid(String),
}

/// A gauge: a fraction of something, with the words to show beside it (so
/// that no state is told by colour alone).
#[derive(Clone, Debug, PartialEq)]
pub struct GaugeView {
    pub label: String,
    /// 0.0..=1.0
    pub ratio: f64,
    pub text: String,
    /// Shown in a warning style when true (the text says it too).
    pub alarm: bool,
}

/// A rolling series for a sparkline.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesView {
    pub label: String,
    pub unit: String,
    /// Oldest first, bounded.
    pub values: Vec<f64>,
}

impl SeriesView {
    /// A sparkline of a world's rolling series.
    #[must_use]
    pub fn of(label: &str, unit: &str, values: &Rolling) -> Self {
        SeriesView {
            label: label.into(),
            unit: unit.into(),
            values: values.values(),
        }
    }
}

/// The line chart of the world's main quantity over simulated time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChartView {
    pub label: String,
    /// (simulated seconds, value), oldest first, bounded.
    pub points: Vec<(f64, f64)>,
    /// The analytic value drawn as a reference line, with its name.
    pub reference: Option<(String, f64)>,
    /// What the y-axis counts (`people`, `orders`, `s`), shown on the axis.
    pub unit: String,
}

/// State of a server or route in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitState {
    Up,
    Degraded,
    Down,
}

impl UnitState {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            UnitState::Up => "up",
            UnitState::Degraded => "degraded",
            UnitState::Down => "DOWN",
        }
    }
}

/// One server / route / road in the table.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitView {
    pub name: String,
    pub state: UnitState,
    pub in_flight: f64,
    pub ewma_latency_s: f64,
    /// Share of traffic, 0–1.
    pub share: f64,
    /// World-specific extra column (e.g. queue length, travel time).
    pub extra: String,
}

/// A closed form beside the simulated value.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalyticRow {
    pub label: String,
    pub closed_form: Option<f64>,
    pub simulated: f64,
    pub unit: String,
}

/// One road of the traffic world's map panel.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadView {
    pub name: String,
    pub flow_per_h: f64,
    pub capacity_per_h: f64,
    pub queue: f64,
    pub travel_time_min: f64,
    pub free_flow_min: f64,
    pub share: f64,
    pub closed: bool,
}

/// Everything the dashboard shows of a world at one instant.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Snapshot {
    pub now: SimTime,
    pub policy: String,
    pub gauges: Vec<GaugeView>,
    pub sparklines: Vec<SeriesView>,
    pub chart: ChartView,
    /// What the table's rows are, e.g. "engines" (empty: "servers").
    pub units_title: String,
    /// Name of the table's extra column, e.g. "queue".
    pub units_extra_header: String,
    pub units: Vec<UnitView>,
    pub analytic: Vec<AnalyticRow>,
    /// The model the closed forms come from (`M/M/1/500`), or why there
    /// is none (`no closed form: …`).
    pub closed_form_model: String,
    /// A world's own status line, e.g. the IPL scoreboard.
    pub status_line: Option<String>,
    /// The traffic world's roads (empty elsewhere).
    pub roads: Vec<RoadView>,
    /// Switches the world offers and their state.
    pub toggles: Vec<(String, bool)>,
    pub events_processed: u64,
    /// Names of the active faults.
    pub active_faults: Vec<String>,
    /// The network world's map (absent elsewhere).
    pub network: Option<NetworkMap>,
}

/// One node of the network map.
#[derive(Clone, Debug, PartialEq)]
pub struct MapNode {
    pub name: String,
    /// `source`, `station`, `router` or `sink`.
    pub kind: String,
    /// Column: hops from a source (sinks last; a node no traffic reaches
    /// right of what depends on it).
    pub layer: usize,
    pub state: UnitState,
    /// The state in words (`up`, `DOWN`, `unreachable: depends on dns`).
    pub words: String,
    pub in_system: u64,
    /// Room (0: holds nobody).
    pub capacity: u64,
    pub utilisation: f64,
}

/// The network world's map: nodes by layer and the edges between them.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NetworkMap {
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
}

/// An edge of the network map, between indices into its `nodes`.
#[derive(Clone, Debug, PartialEq)]
pub struct MapEdge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// A route's probability (`None`: a router's choice, a call or a
    /// dependency).
    pub p: Option<f64>,
}

/// What an edge of the network map is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Jobs are routed along it.
    Route,
    /// A synchronous call (the caller holds its slot for the answer).
    Call,
    /// `from` depends on `to` (unreachable while `to` is).
    Depends,
}

/// Where every entity of a world is: the conservation law every world
/// keeps at every instant, `arrived + in_system_at_reset = completed +
/// Σ left + in_system`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ledger {
    /// What the entities are (passengers, users, orders, cars).
    pub entity: &'static str,
    pub arrived: u64,
    /// Present when statistics were last reset (end of warm-up).
    pub in_system_at_reset: u64,
    pub completed: u64,
    /// Entities that left without completing, by reason.
    pub left: Vec<(&'static str, u64)>,
    pub in_system: u64,
}

impl Ledger {
    /// Entities that left without completing, all reasons.
    #[must_use]
    pub fn left_total(&self) -> u64 {
        self.left.iter().map(|(_, n)| n).sum()
    }

    /// Whether the books balance; what is off when they do not.
    pub fn check(&self) -> Result<(), Unbalanced> {
        let lhs = self.arrived + self.in_system_at_reset;
        let rhs = self.completed + self.left_total() + self.in_system;
        if lhs == rhs {
            Ok(())
        } else {
            Err(Unbalanced(self.clone()))
        }
    }
}

/// Books that do not balance: the ledger as it stood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}: arrived {} + {} at reset ≠ completed {} + left {} ({:?}) + inside {}",
    .0.entity,
    .0.arrived,
    .0.in_system_at_reset,
    .0.completed,
    .0.left_total(),
    .0.left,
    .0.in_system
)]
pub struct Unbalanced(pub Ledger);

/// A world switch (the dashboard's `t` menu, `Toggle` in a timeline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToggleSpec {
    pub name: String,
    /// One line saying what turning it on does.
    pub about: String,
}

impl ToggleSpec {
    #[must_use]
    pub fn new(name: &str, about: &str) -> Self {
        ToggleSpec {
            name: name.into(),
            about: about.into(),
        }
    }
}

/// What a world offers a user: the policies `p` cycles through, other
/// policy names it accepts, its switches and its faults. Known from the
/// parameters alone, so validation never builds a world.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Catalog {
    /// In menu order (the `p` key's cycle).
    pub policies: Vec<String>,
    /// Also accepted by `--policy` and a timeline's `Policy` (e.g. the IPL
    /// world's balancers).
    pub other_policies: Vec<String>,
    pub toggles: Vec<ToggleSpec>,
    pub faults: FaultCatalog,
}

impl Catalog {
    /// Whether `name` is a policy the world accepts.
    #[must_use]
    pub fn accepts_policy(&self, name: &str) -> bool {
        self.policies
            .iter()
            .chain(&self.other_policies)
            .any(|p| p == name)
    }

    /// Every policy name accepted, cycle first, each once (a world may
    /// accept a name twice: Tatkal's `random` admission and balancing).
    #[must_use]
    pub fn all_policies(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for n in self.policies.iter().chain(&self.other_policies) {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        names
    }

    /// Whether `name` is one of the world's switches.
    #[must_use]
    pub fn has_toggle(&self, name: &str) -> bool {
        self.toggles.iter().any(|t| t.name == name)
    }

    /// Checks a command against the catalog (targets, fault kinds,
    /// policies, switches) before the world sees it.
    pub fn check(&self, cmd: &Command) -> Result<(), CommandError> {
        match cmd {
            Command::SetPolicy(name) if !self.accepts_policy(name) => {
                Err(CommandError::UnknownPolicy {
                    name: name.clone(),
                    expected: hinted(name, &self.all_policies()),
                })
            }
            Command::Toggle { name, .. } if !self.has_toggle(name) => {
                Err(CommandError::UnknownToggle {
                    name: name.clone(),
                    expected: if self.toggles.is_empty() {
                        "(this world has no switches)".to_string()
                    } else {
                        let names: Vec<&str> =
                            self.toggles.iter().map(|t| t.name.as_str()).collect();
                        hinted(name, &names)
                    },
                })
            }
            Command::InjectFault { fault, .. } => self.faults.check(fault),
            _ => Ok(()),
        }
    }
}

/// `names` joined for an "expected one of" list, with a "did you mean"
/// when one of them is close to `found`.
fn hinted(found: &str, names: &[&str]) -> String {
    let m = names.join(", ");
    match super::fault::catalog::closest(found, names) {
        Some(e) => format!("{m} (did you mean `{e}`?)"),
        None => m,
    }
}

/// A simulated world, as the [`Simulation`](super::Simulation), the
/// dashboard and headless runs see it. Worlds implement
/// [`Model`](super::runtime::Model) and run as
/// [`Runtime`](super::runtime::Runtime), which implements this.
/// Implementations must be deterministic: the same parameters, seed and
/// commands give the same results, byte for byte.
pub trait World: Send {
    /// The current simulated instant.
    fn now(&self) -> SimTime;

    /// The time of the next pending event.
    fn next_event_time(&self) -> Option<SimTime>;

    /// Handles every event due at or before `until`, but no more than
    /// `max_events`; returns how many were handled. When all events up to
    /// `until` were handled the clock stands at `until`. Lines the world
    /// logs go to `log`.
    fn advance(&mut self, until: SimTime, max_events: u64, log: &mut EventLog) -> u64;

    /// Applies a command at the current instant. Returns a line for the
    /// event log describing what changed.
    fn apply(&mut self, cmd: &Command, log: &mut EventLog) -> Result<String, CommandError>;

    /// What the dashboard draws.
    fn snapshot(&self) -> Snapshot;

    /// Headless metrics (see each world's docs for the keys).
    fn metrics(&self) -> Metrics;

    /// Closed forms for the same keys, each named by its model, where
    /// they apply.
    fn analytic(&self) -> ClosedForms;

    /// Where every entity is now: arrived = completed + left by reason +
    /// inside (tests check it at every step, in every world).
    fn ledger(&self) -> Ledger;

    /// Forgets statistics gathered so far (end of warm-up). Conservation
    /// counters keep holding: entities present at the reset count as
    /// `in_system_at_reset`.
    fn reset_statistics(&mut self);

    /// The active policy.
    fn policy(&self) -> String;

    /// Policies, switches and faults the world offers.
    fn catalog(&self) -> &Catalog;

    /// Events handled since the start.
    fn events_processed(&self) -> u64;

    /// The policies a user can switch between, in menu order.
    fn policies(&self) -> Vec<String> {
        self.catalog().policies.clone()
    }

    /// The fault menu.
    fn fault_menu(&self) -> Vec<FaultTemplate> {
        self.catalog().faults.menu.clone()
    }
}
