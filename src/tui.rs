//! The live dashboard (feature `tui`).

use crate::scenario::Loaded;

/// Flags of `chaoswala tui`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub seed: Option<u64>,
    pub policy: Option<String>,
}

/// Opens the dashboard on the world picker.
pub fn run_picker() -> anyhow::Result<()> {
    anyhow::bail!("the dashboard is not built yet; try `chaoswala run platform`")
}

/// Opens the dashboard on one scenario.
pub fn run_scenario(_loaded: Loaded, _opts: &Options) -> anyhow::Result<()> {
    anyhow::bail!("the dashboard is not built yet; try `chaoswala run platform`")
}
