//! The worlds, and the registry that lists them. Each world is a module
//! holding its typed parameters (deserialised from a scenario's RON), its
//! model (wired from blocks, a [`Model`](crate::sim::Model) run by the
//! [`Runtime`](crate::sim::Runtime)) and its view of itself.
//!
//! The `worlds!` table below is the only list of worlds: the scenario's
//! [`WorldSpec`], its validation, building, the catalogs, the built-in
//! scenarios, the picker and the dashboard's world keys are all generated
//! from it. Adding a world is its module, one line here, and its `.ron`
//! file in `scenarios/`.

pub mod ipl;
pub mod network;
pub mod platform;
pub mod tatkal;
pub mod traffic;

use serde::{Deserialize, Serialize};

use crate::sim::{Catalog, World};

/// Why a world could not be built from its parameters.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// The parameters failed validation: the first problem found.
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(ParamIssue),
    /// The network's hard dependencies form a cycle.
    #[error("dependency cycle")]
    DependencyCycle,
    /// A block refused the numbers derived from the parameters.
    #[error(transparent)]
    Block(#[from] crate::sim::blocks::BlockError),
    /// The world refused a command given at build time (the policy).
    #[error(transparent)]
    Command(#[from] crate::sim::CommandError),
}

impl BuildError {
    /// The first problem of a validation, if there is one.
    pub fn check(issues: Vec<ParamIssue>) -> Result<(), BuildError> {
        match issues.into_iter().next() {
            Some(issue) => Err(BuildError::Invalid(issue)),
            None => Ok(()),
        }
    }
}

/// One problem found by a world's validation: the RON field it concerns
/// (used to point at the line) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamIssue {
    pub field: String,
    pub message: String,
}

impl ParamIssue {
    #[must_use]
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        ParamIssue {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// What every world's parameters provide to the registry.
pub trait WorldParams {
    /// Checks the parameters; every problem found.
    fn validate(&self) -> Vec<ParamIssue>;
    /// The policies, switches and faults a world built from these
    /// parameters offers, without building it.
    fn catalog(&self) -> Catalog;
    /// Builds the world, seeded; `policy` overrides the world's default.
    fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, BuildError>;
    /// What one replication over `duration_s` is expected to cost, from
    /// the parameters alone (see [`crate::work`]).
    fn work(&self, duration_s: f64) -> crate::work::Work;
}

impl<T: WorldParams> WorldParams for Box<T> {
    fn validate(&self) -> Vec<ParamIssue> {
        T::validate(self)
    }
    fn catalog(&self) -> Catalog {
        T::catalog(self)
    }
    fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, BuildError> {
        T::build(self, seed, policy)
    }
    fn work(&self, duration_s: f64) -> crate::work::Work {
        T::work(self, duration_s)
    }
}

/// A shipped scenario: its name and RON text.
pub struct Builtin {
    pub name: &'static str,
    /// The world kind it runs (`platform`, …).
    pub kind: &'static str,
    pub text: &'static str,
}

/// The registry: `Variant(params type) => "kind" [built-in scenario names]`.
/// Built-ins are `scenarios/NAME.ron`, embedded; the first world's first
/// built-in is the default scenario, and the order here is the picker's.
macro_rules! worlds {
    ($( $variant:ident($params:ty) => $kind:literal [$($builtin:literal),+ $(,)?] ),+ $(,)?) => {
        /// The world a scenario runs, with its typed parameters.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[allow(clippy::large_enum_variant)] // one per scenario; the big one is boxed
        pub enum WorldSpec {
            $( $variant($params), )+
        }

        /// The world kinds, in registry order (the dashboard's number keys).
        pub const KINDS: &[&str] = &[$($kind),+];

        /// The shipped scenarios, in the picker's order.
        pub const BUILTINS: &[Builtin] = &[
            $( $( Builtin {
                name: $builtin,
                kind: $kind,
                text: include_str!(concat!("../scenarios/", $builtin, ".ron")),
            }, )+ )+
        ];

        impl WorldSpec {
            /// The world's short name (`platform`, `tatkal`, …).
            #[must_use]
            pub fn kind(&self) -> &'static str {
                match self {
                    $( WorldSpec::$variant(_) => $kind, )+
                }
            }

            /// Checks the parameters; every problem found.
            #[must_use]
            pub fn validate(&self) -> Vec<ParamIssue> {
                match self {
                    $( WorldSpec::$variant(p) => WorldParams::validate(p), )+
                }
            }

            /// Policies, switches and faults, without building the world.
            #[must_use]
            pub fn catalog(&self) -> Catalog {
                match self {
                    $( WorldSpec::$variant(p) => WorldParams::catalog(p), )+
                }
            }

            /// Builds the world, seeded; `policy` overrides the world's
            /// default. A policy the world does not offer is refused by its
            /// catalog first, with the names it offers.
            pub fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, BuildError> {
                if let Some(name) = policy {
                    self.catalog()
                        .check(&crate::sim::Command::SetPolicy(name.to_string()))?;
                }
                match self {
                    $( WorldSpec::$variant(p) => WorldParams::build(p, seed, policy), )+
                }
            }

            /// What one replication over `duration_s` is expected to cost.
            #[must_use]
            pub fn work(&self, duration_s: f64) -> crate::work::Work {
                match self {
                    $( WorldSpec::$variant(p) => WorldParams::work(p, duration_s), )+
                }
            }
        }
    };
}

worlds! {
    Platform(platform::PlatformParams) => "platform" ["platform", "platform-trains"],
    Tatkal(tatkal::TatkalParams) => "tatkal" ["tatkal", "tatkal-2023"],
    IplFinal(Box<ipl::IplParams>) => "ipl-final" ["ipl-final", "ipl-final-playbook"],
    BkcTraffic(traffic::TrafficParams) => "bkc-traffic" ["bkc-traffic"],
    Network(network::NetworkParams) => "network" ["western-line", "us-east-1", "bgp-cascade"],
}

/// The default scenario (`chaoswala` with no arguments).
pub const DEFAULT_SCENARIO: &str = BUILTINS[0].name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_builtin_and_names_are_unique() {
        for k in KINDS {
            assert!(BUILTINS.iter().any(|b| b.kind == *k), "{k} has no built-in");
        }
        let mut names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTINS.len());
    }
}
