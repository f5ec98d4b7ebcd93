//! What the `kernel` stage hands downstream, as a type: `kernel.json` beside
//! the tables `kernel.csv` and `kernel_time.csv`. It is the one source of a
//! kernel's start values: a calibration rebuilds the kernel through the
//! registry from [`KernelOutput::plugin`] and [`KernelOutput::params`] and
//! varies the parameters the kernel declares ([`KernelOutput::fit`]).

use nonaffine_core::outputs::{read_description, write_description};
use nonaffine_core::{KernelParameter, MemoryKernel, ParamValue, Params, Registry, StageError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Version of the [`KernelOutput`] description.
pub const FORMAT: u32 = 1;

/// The kernel stage's output description (`kernel.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelOutput {
    /// Version of this description ([`FORMAT`]).
    pub format: u32,
    /// Kernel plugin name.
    pub plugin: String,
    /// The plugin's version.
    pub plugin_version: String,
    /// The plugin's own parameters as the stage received them (the stage's
    /// keys `plugin`, `omega_min`, ... left out), in the kernel's time unit.
    pub params: BTreeMap<String, ParamValue>,
    /// The parameters a calibration may vary, with their values: the start
    /// values of a fit. Empty: the kernel is fitted as its table.
    pub fit: Vec<KernelParameter>,
    /// Characteristic memory time, kernel time unit, when the kernel has one.
    pub memory_time: Option<f64>,
    /// File name of ν̃(ω) in the same folder: `omega,nu1,nu2` (ω in rad per
    /// time unit, ν1, ν2 in 1/time).
    pub table: String,
    /// File name of ν(t) in the same folder: `t,nu` (t in time units, ν in
    /// 1/time²).
    pub time_table: String,
}

impl KernelOutput {
    /// The description's file name.
    pub const FILE: &'static str = "kernel.json";

    /// Writes `kernel.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), StageError> {
        write_description(&dir.join(Self::FILE), self)
    }

    /// Reads `kernel.json` of a kernel stage's folder `dir`.
    pub fn read(dir: &Path) -> Result<Self, StageError> {
        read_description(&dir.join(Self::FILE), "kernel", FORMAT)
    }

    /// True when a calibration can vary at least one parameter.
    pub fn is_parametric(&self) -> bool {
        self.fit.iter().any(KernelParameter::is_free)
    }

    /// The kernel rebuilt through `registry` from its plugin and parameters;
    /// `dir` (its folder) names it in errors.
    pub fn kernel(
        &self,
        registry: &Registry,
        dir: &Path,
    ) -> Result<Box<dyn MemoryKernel>, StageError> {
        let origin = format!("{}: params", dir.join(Self::FILE).display());
        let params = Params::new(origin, self.params.clone());
        Ok(registry.kernel(&self.plugin, &params)?)
    }
}
