//! The IPL final world (not built yet).

use serde::{Deserialize, Serialize};

use crate::scenario::ParamIssue;
use crate::sim::World;

/// Parameters of the IPL final world.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IplParams {}

impl IplParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        Vec::new()
    }

    pub fn build(&self, _seed: u64, _policy: Option<&str>) -> Result<Box<dyn World>, String> {
        Err("the IPL final world is not built yet".to_string())
    }
}
