//! Plugin traits and the registry that finds plugins by name.
//!
//! A plugin crate implements one trait here and exposes a [`PluginInfo`] and a
//! factory function. The `nonaffine-registry` crate is the one place that lists
//! them; nothing else knows a plugin's concrete type.

use crate::error::PluginError;
use crate::params::{nearest, ParamSpec, Params, PluginKind};
use crate::spectrum::{SpectrumSolver, SpectrumSolverFactory};
use crate::stage::Stage;
use num_complex::Complex64;
use serde::{Deserialize, Serialize};

/// Name, version, documentation and parameters of a plugin or stage.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PluginInfo {
    /// Name used in workflows (`eam/fs`, `stretched-exp`).
    pub name: &'static str,
    /// Version; part of every cache key that uses the plugin.
    pub version: &'static str,
    /// One paragraph: what it computes and which equation it implements.
    pub doc: &'static str,
    /// Its parameters.
    pub params: &'static [ParamSpec],
}

/// Where a potential came from: recorded with every result made from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Provenance {
    /// File path or description of the source.
    pub source: String,
    /// Header (comment) lines of the file.
    pub header: Vec<String>,
    /// SHA-256 of the file contents, hex.
    pub sha256: Option<String>,
}

/// A radial function's value and first two derivatives at one point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Radial {
    /// f(x).
    pub value: f64,
    /// f'(x).
    pub d1: f64,
    /// f''(x).
    pub d2: f64,
}

/// The embedded-atom functional form (docs/theory.md Eqs. (7)–(8)):
/// U = Σ_i F_{t_i}(ρ̄_i) + ½ Σ_{i≠j} φ_{t_i t_j}(r_ij), ρ̄_i = Σ_j ρ_{t_i t_j}(r_ij).
///
/// Pair potentials are the special case F = 0 ([`EamForm::has_embedding`] false).
/// Energies, forces, Hessians and Born moduli are computed from this form by
/// the engine crates, so every potential of this form gets all of them.
pub trait EamForm: Send + Sync {
    /// Number of species (types) the form is defined for.
    fn species_count(&self) -> usize;
    /// Largest interaction range in Å.
    fn cutoff(&self) -> f64;
    /// Pair energy φ_ab(r) in eV (and derivatives in eV/Å, eV/Å²). Zero beyond the cutoff.
    fn pair(&self, a: usize, b: usize, r: f64) -> Radial;
    /// Density contributed at a `host` atom by a `neighbor` atom at distance r.
    fn density(&self, host: usize, neighbor: usize, r: f64) -> Radial;
    /// Embedding energy F_a(ρ̄) in eV and its derivatives with respect to ρ̄.
    fn embedding(&self, a: usize, rho: f64) -> Radial;
    /// False for pure pair potentials (skips the density pass).
    fn has_embedding(&self) -> bool {
        true
    }
}

/// An interatomic potential plugin.
pub trait Potential: Send + Sync {
    /// Plugin name (`eam/fs`).
    fn name(&self) -> &str;
    /// Species names in the potential's type order (type 1 in LAMMPS is index 0).
    fn elements(&self) -> &[String];
    /// Mass of each species in amu, in the same order.
    fn masses_amu(&self) -> Vec<f64>;
    /// Largest interaction range in Å.
    fn cutoff_angstrom(&self) -> f64;
    /// LAMMPS commands that set this potential up (`pair_style ...`, `pair_coeff ...`),
    /// for types numbered as in [`Potential::elements`].
    fn lammps_commands(&self) -> Vec<String>;
    /// Where the potential came from.
    fn provenance(&self) -> Provenance;
    /// The analytic form, when the potential has one the engines can evaluate.
    /// None means only LAMMPS can evaluate it (no Hessian stage).
    fn form(&self) -> Option<&dyn EamForm>;
}

/// A memory kernel ν(t) of the generalized Langevin equation (paper Eq. 3).
///
/// Times are in the kernel's time unit; ν(t) has units of 1/time², and
/// ν̃(ω) = ∫₀^∞ ν(t) e^{−iωt} dt = ν1(ω) − i ν2(ω) (docs/theory.md Eq. (35)) units of 1/time.
pub trait MemoryKernel: Send + Sync {
    /// Plugin name.
    fn name(&self) -> &str;
    /// ν(t).
    fn nu_time(&self, t: f64) -> f64;
    /// ν̃(ω) = ν1(ω) − i ν2(ω), ω in rad per time unit.
    fn nu_freq(&self, omega: f64) -> Complex64;
    /// Characteristic memory time (e.g. τ_m = r^{−1/b}), when the kernel has one.
    fn memory_time(&self) -> Option<f64>;
    /// Parameter values as (name, value, unit).
    fn parameters(&self) -> Vec<(String, f64, String)>;
    /// The parameters a calibration may vary, with their current values (the
    /// start values of a fit), in the order [`MemoryKernel::with_values`] takes
    /// them. Empty (the default): the kernel has no parametric family and is
    /// fitted as its tabulated ν̃(ω) with an amplitude scale and the time shift.
    fn fit_parameters(&self) -> Vec<KernelParameter> {
        Vec::new()
    }
    /// The same kernel with every parameter of [`MemoryKernel::fit_parameters`]
    /// set to `values` (same order, natural units); refused like the factory
    /// refuses the values. The default refuses: no parametric family.
    fn with_values(&self, values: &[f64]) -> Result<Box<dyn MemoryKernel>, PluginError> {
        let _ = values;
        Err(PluginError::Build {
            plugin: self.name().to_string(),
            message: "the kernel has no fit parameters".into(),
        })
    }
}

/// How a fit moves a kernel parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitScale {
    /// The value itself (shape parameters such as a stretching exponent).
    Linear,
    /// log10 of the value (positive amplitudes and rates spanning decades).
    Log,
}

/// What a calibration does with a kernel parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitRole {
    /// Fitted.
    Free,
    /// The kernel's time scale: degenerate with the calibration's time shift
    /// (for ω ≪ ω_p the response depends on ν(t) = ν0 f(t/τ) only through ωτ;
    /// docs/theory.md §8), so it is held at its value and the shift is fitted.
    TimeScale,
    /// Held at its value for another reason the plugin states in its doc (for
    /// example the fixed relaxation-time grid of a Prony series).
    Fixed,
}

/// A kernel parameter as a calibration sees it: value, unit, bounds, scale,
/// role and the further start values of a multi-start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelParameter {
    /// Name (the plugin's key, or `key_k` for the k-th entry of a list key).
    pub name: String,
    /// Current value, natural units (the start value of a fit).
    pub value: f64,
    /// Unit in the kernel's time unit (`1/time^2`, `time`, empty when none).
    pub unit: String,
    /// Smallest value a fit may take.
    pub lower: f64,
    /// Largest value a fit may take.
    pub upper: f64,
    /// Linear or log10 in the fit.
    pub scale: FitScale,
    /// Free, or held (and why).
    pub role: FitRole,
    /// Further start values a multi-start scans, natural units.
    pub grid: Vec<f64>,
}

impl KernelParameter {
    /// A positive amplitude: log scale, bounds 1e-12…1e12 (units of the
    /// kernel), multi-start over 1e-6…1e2 × `value` (small amplitudes reach the
    /// weak-coupling regime, where amplitudes and heights are nearly
    /// degenerate, a valley a fit walks slowly along from one start).
    pub fn amplitude(name: &str, value: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            lower: 1e-12,
            upper: 1e12,
            scale: FitScale::Log,
            role: FitRole::Free,
            grid: [1e-6, 1e-4, 1e-2, 1e2].iter().map(|f| f * value).collect(),
        }
    }

    /// A parameter held at `value` with `role` (not fitted; bounds are the value).
    pub fn held(name: &str, value: f64, unit: &str, role: FitRole) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            lower: value,
            upper: value,
            scale: FitScale::Log,
            role,
            grid: Vec::new(),
        }
    }

    /// True when a fit varies it.
    pub fn is_free(&self) -> bool {
        self.role == FitRole::Free
    }
}

/// `values` as exactly `N` fit-parameter values of kernel `plugin`, for
/// [`MemoryKernel::with_values`]; refused naming the count otherwise.
pub fn fit_values<const N: usize>(plugin: &str, values: &[f64]) -> Result<[f64; N], PluginError> {
    values.try_into().map_err(|_| PluginError::Build {
        plugin: plugin.to_string(),
        message: format!(
            "{} fit-parameter values given, the kernel has {N}",
            values.len()
        ),
    })
}

/// Builds a potential from parameters.
pub type PotentialFactory = fn(&Params) -> Result<Box<dyn Potential>, PluginError>;
/// Builds a memory kernel from parameters.
pub type KernelFactory = fn(&Params) -> Result<Box<dyn MemoryKernel>, PluginError>;

/// An ordered list of named entries of one plugin kind.
pub struct Catalog<T> {
    kind: &'static str,
    entries: Vec<(PluginInfo, T)>,
}

impl<T> Catalog<T> {
    /// An empty catalog of plugins of `kind` ("potential", "kernel").
    pub fn new(kind: &'static str) -> Self {
        Self {
            kind,
            entries: Vec::new(),
        }
    }

    /// Adds an entry. Later entries with the same name are rejected by
    /// [`Registry::check`].
    pub fn register(&mut self, info: PluginInfo, item: T) {
        self.entries.push((info, item));
    }

    /// The entry named `name`, or an error listing the known names.
    pub fn get(&self, name: &str) -> Result<&(PluginInfo, T), PluginError> {
        self.entries
            .iter()
            .find(|(i, _)| i.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.entries.iter().map(|(i, _)| i.name).collect();
                PluginError::Unknown {
                    kind: self.kind,
                    name: name.to_string(),
                    suggestion: nearest(name, &known).map(str::to_string),
                    known: known.into_iter().map(str::to_string).collect(),
                }
            })
    }

    /// All entries in registration order.
    pub fn entries(&self) -> &[(PluginInfo, T)] {
        &self.entries
    }

    /// Plugin kind name.
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

/// All plugins and stages known to a program.
pub struct Registry {
    /// Interatomic potentials.
    pub potentials: Catalog<PotentialFactory>,
    /// Memory kernels.
    pub kernels: Catalog<KernelFactory>,
    /// Spectrum solvers (`dense`, `arpack`, `lanczos`, `debye`).
    pub spectrum_solvers: Catalog<SpectrumSolverFactory>,
    /// Workflow stages.
    pub stages: Catalog<Box<dyn Stage>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            potentials: Catalog::new("potential"),
            kernels: Catalog::new("kernel"),
            spectrum_solvers: Catalog::new("spectrum solver"),
            stages: Catalog::new("stage"),
        }
    }
}

impl Registry {
    /// Builds the potential named `name`.
    pub fn potential(
        &self,
        name: &str,
        params: &Params,
    ) -> Result<Box<dyn Potential>, PluginError> {
        let (info, factory) = self.potentials.get(name)?;
        params.check_known(info.params)?;
        factory(params)
    }

    /// Builds the memory kernel named `name`.
    pub fn kernel(
        &self,
        name: &str,
        params: &Params,
    ) -> Result<Box<dyn MemoryKernel>, PluginError> {
        let (info, factory) = self.kernels.get(name)?;
        params.check_known(info.params)?;
        factory(params)
    }

    /// Builds the spectrum solver named `name`.
    pub fn spectrum_solver(
        &self,
        name: &str,
        params: &Params,
    ) -> Result<Box<dyn SpectrumSolver>, PluginError> {
        let (info, factory) = self.spectrum_solvers.get(name)?;
        params.check_known(info.params)?;
        factory(params)
    }

    /// Infos of the plugins of one catalog, in registration order.
    pub fn infos(&self, kind: PluginKind) -> Vec<PluginInfo> {
        fn of<T>(c: &Catalog<T>) -> Vec<PluginInfo> {
            c.entries().iter().map(|(i, _)| *i).collect()
        }
        match kind {
            PluginKind::Potential => of(&self.potentials),
            PluginKind::Kernel => of(&self.kernels),
            PluginKind::SpectrumSolver => of(&self.spectrum_solvers),
        }
    }

    /// Infos of every plugin (potentials, kernels, spectrum solvers): the names
    /// a `plugin:` key may take. Names are unique over all of them
    /// ([`Registry::check`]), so a name alone finds a plugin's version.
    pub fn plugin_infos(&self) -> Vec<PluginInfo> {
        [
            PluginKind::Potential,
            PluginKind::Kernel,
            PluginKind::SpectrumSolver,
        ]
        .into_iter()
        .flat_map(|k| self.infos(k))
        .collect()
    }

    /// The stage named `name`.
    pub fn stage(&self, name: &str) -> Result<&dyn Stage, PluginError> {
        Ok(self.stages.get(name)?.1.as_ref())
    }

    /// Checks the registry's invariants: unique names, and a name, version,
    /// doc and documented parameters for every entry. Returns the problems found.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut all: Vec<(&str, &PluginInfo)> = Vec::new();
        all.extend(
            self.potentials
                .entries()
                .iter()
                .map(|(i, _)| ("potential", i)),
        );
        all.extend(self.kernels.entries().iter().map(|(i, _)| ("kernel", i)));
        all.extend(
            self.spectrum_solvers
                .entries()
                .iter()
                .map(|(i, _)| ("spectrum solver", i)),
        );
        all.extend(self.stages.entries().iter().map(|(i, _)| ("stage", i)));
        for (n, (kind, info)) in all.iter().enumerate() {
            if info.name.is_empty() || info.version.is_empty() || info.doc.trim().is_empty() {
                problems.push(format!(
                    "{kind} `{}` lacks a name, version or doc",
                    info.name
                ));
            }
            for p in info.params {
                if p.doc.trim().is_empty() {
                    problems.push(format!(
                        "{kind} `{}` parameter `{}` has no doc",
                        info.name, p.name
                    ));
                }
            }
            if all[..n]
                .iter()
                .any(|(k, i)| k == kind && i.name == info.name)
            {
                problems.push(format!("{kind} `{}` is registered twice", info.name));
            } else if *kind != "stage" {
                // `plugin: NAME` is looked up over every plugin catalog.
                if let Some((other, _)) = all[..n]
                    .iter()
                    .find(|(k, i)| *k != "stage" && i.name == info.name)
                {
                    problems.push(format!(
                        "{kind} `{}` has the name of a {other}; plugin names must be unique",
                        info.name
                    ));
                }
            }
        }
        problems
    }
}

/// `text` as one word of a LAMMPS command (a file path in `pair_coeff`,
/// `read_data`, `fix print … file`): as is when plain, else quoted so that
/// LAMMPS' parser takes whitespace, `#` (a comment otherwise) and `$` (a
/// variable otherwise) literally: "…", or '…' when it holds a `"`, or """…"""
/// when it holds both; `None` when it holds `"""` and `'` (no quoting works).
pub fn lammps_word(text: &str) -> Option<String> {
    let special = |c: char| c.is_whitespace() || matches!(c, '#' | '$' | '"' | '\'');
    if !text.contains(special) {
        Some(text.to_string())
    } else if !text.contains('"') {
        Some(format!("\"{text}\""))
    } else if !text.contains('\'') {
        Some(format!("'{text}'"))
    } else if !text.contains("\"\"\"") {
        Some(format!("\"\"\"{text}\"\"\""))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LAMMPS reads `#` as a comment and `$x` as a variable unless quoted; the
    /// quoted forms are checked through LAMMPS itself in nonaffine-forces'
    /// tests/lammps.rs.
    #[test]
    fn paths_are_quoted_for_lammps_when_needed() {
        assert_eq!(
            lammps_word("/a/CuZr.eam.fs").as_deref(),
            Some("/a/CuZr.eam.fs")
        );
        assert_eq!(lammps_word("/a/#1/x").as_deref(), Some("\"/a/#1/x\""));
        assert_eq!(lammps_word("/a b/$x").as_deref(), Some("\"/a b/$x\""));
        assert_eq!(lammps_word("/a\"b").as_deref(), Some("'/a\"b'"));
        assert_eq!(
            lammps_word("/a\"b'c").as_deref(),
            Some("\"\"\"/a\"b'c\"\"\"")
        );
        assert_eq!(lammps_word("/a\"\"\"b'c"), None);
    }

    #[test]
    fn unknown_name_lists_known_ones_and_suggests() {
        let mut c: Catalog<u8> = Catalog::new("kernel");
        for name in ["markovian", "exponential", "stretched-exp"] {
            c.register(
                PluginInfo {
                    name,
                    version: "1",
                    doc: "d",
                    params: &[],
                },
                0,
            );
        }
        let e = c.get("stretched_exp").unwrap_err().to_string();
        assert!(e.contains("unknown kernel plugin `stretched_exp`"), "{e}");
        assert!(e.contains("did you mean `stretched-exp`"), "{e}");
        assert!(e.contains("markovian, exponential, stretched-exp"), "{e}");
    }

    #[test]
    fn plugin_names_must_be_unique_over_all_catalogs() {
        fn info(name: &'static str) -> PluginInfo {
            PluginInfo {
                name,
                version: "1",
                doc: "d",
                params: &[],
            }
        }
        fn no_solver(_: &Params) -> Result<Box<dyn SpectrumSolver>, PluginError> {
            Err(PluginError::Build {
                plugin: "x".into(),
                message: "none".into(),
            })
        }
        fn no_kernel(_: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
            Err(PluginError::Build {
                plugin: "x".into(),
                message: "none".into(),
            })
        }
        let mut r = Registry::default();
        r.kernels.register(info("dense"), no_kernel);
        r.spectrum_solvers.register(info("lanczos"), no_solver);
        assert!(r.check().is_empty(), "{:?}", r.check());
        assert_eq!(r.infos(PluginKind::SpectrumSolver)[0].name, "lanczos");
        assert_eq!(r.plugin_infos().len(), 2);
        r.spectrum_solvers.register(info("dense"), no_solver);
        let problems = r.check();
        assert_eq!(
            problems,
            vec!["spectrum solver `dense` has the name of a kernel; plugin names must be unique"]
        );
    }
}
