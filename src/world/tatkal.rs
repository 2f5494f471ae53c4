//! The Tatkal world (not built yet).

use serde::{Deserialize, Serialize};

use crate::scenario::ParamIssue;
use crate::sim::World;

/// Parameters of the Tatkal world.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TatkalParams {}

impl TatkalParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        Vec::new()
    }

    pub fn build(&self, _seed: u64, _policy: Option<&str>) -> Result<Box<dyn World>, String> {
        Err("the Tatkal world is not built yet".to_string())
    }
}
