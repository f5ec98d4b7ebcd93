//! The kernel families the `response` stage fits, one per upstream `kernel`
//! stage, read through that stage's output description
//! ([`nonaffine_memory::outputs::KernelOutput`]): the kernel is rebuilt
//! through the registry and its declared fit parameters
//! ([`nonaffine_core::MemoryKernel::fit_parameters`]) say what is free, with
//! which bounds and scale, and what is held — among them the time scale, which
//! is degenerate with the time shift (see [`crate::calibrate`]). Their values
//! in the kernel stage are the start values: the kernel stage is their one
//! source. A kernel that declares no free parameter (`tabulated`, say) is
//! fitted through its own table `kernel.csv`: its shape is kept and only an
//! amplitude scale and the time shift are free.

use crate::FreeParam;
use nonaffine_core::{
    FitRole, KernelParameter, MemoryKernel, StageContext, StageError, StageInput,
};
use nonaffine_memory::outputs::KernelOutput;
use num_complex::Complex64;
use std::path::Path;
use std::sync::Arc;

/// A kernel family: free parameters, held ones, and how to build a kernel.
#[derive(Clone)]
pub(crate) struct Family {
    /// The upstream kernel stage's name.
    pub label: String,
    /// Kernel plugin.
    pub plugin: String,
    /// Fitted parameters with their start values.
    pub free: Vec<FreeParam>,
    /// Held parameters: (name, value, unit).
    pub fixed: Vec<(String, f64, String)>,
    source: Source,
}

/// What a family's kernels are built from.
#[derive(Clone)]
enum Source {
    /// The kernel stage's kernel, varied through
    /// [`MemoryKernel::with_values`]; `declared` are its fit parameters in the
    /// order it takes them.
    Parametric {
        kernel: Arc<dyn MemoryKernel>,
        declared: Vec<KernelParameter>,
    },
    /// The tabulated ν̃(ω) of a kernel fitted by amplitude only.
    Table(Arc<KernelTable>),
}

impl Family {
    /// Builds the family's kernel from free-parameter values (natural units):
    /// the kernel with its free parameters set and the held ones at their
    /// values, or a scaled table; `None` when the plugin refuses the values.
    pub fn build(&self, values: &[f64]) -> Option<Box<dyn MemoryKernel>> {
        match &self.source {
            Source::Table(table) => Some(Box::new(ScaledTable {
                table: Arc::clone(table),
                scale: *values.first()?,
            })),
            Source::Parametric { kernel, declared } => {
                let mut free = values.iter();
                let all = declared
                    .iter()
                    .map(|p| {
                        if p.is_free() {
                            free.next().copied()
                        } else {
                            Some(p.value)
                        }
                    })
                    .collect::<Option<Vec<f64>>>()?;
                kernel.with_values(&all).ok()
            }
        }
    }

    /// A note for fit.json on what is held (tables), empty otherwise.
    pub fn note(&self) -> Option<String> {
        match &self.source {
            Source::Table(t) => Some(format!(
                "`{}` kernel of stage `{}`: its tabulated shape ν̃(ω) (kernel.csv, ω in \
                 {:.1e}..{:.1e} rad/time, power laws beyond) is kept; only an amplitude scale \
                 and the time shift are fitted",
                self.plugin,
                self.label,
                t.omega[0],
                t.omega[t.omega.len() - 1]
            )),
            Source::Parametric { .. } => None,
        }
    }
}

/// One family per upstream `kernel` stage, in input order.
pub(crate) fn from_inputs(ctx: &StageContext<'_>) -> Result<Vec<Family>, StageError> {
    ctx.inputs_of_kind("kernel")
        .map(|input| from_input(ctx, input))
        .collect()
}

fn from_input(ctx: &StageContext<'_>, input: &StageInput) -> Result<Family, StageError> {
    let out = KernelOutput::read(&input.dir)?;
    if !out.is_parametric() {
        let table = KernelTable::read(&input.dir.join(&out.table))?;
        return Ok(Family {
            label: input.stage.clone(),
            plugin: out.plugin,
            free: vec![FreeParam::from(&KernelParameter::amplitude(
                "scale", 1.0, "",
            ))],
            fixed: Vec::new(),
            source: Source::Table(Arc::new(table)),
        });
    }
    let kernel = out.kernel(ctx.registry, &input.dir)?;
    let declared = kernel.fit_parameters();
    let names = |ps: &[KernelParameter]| ps.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    if names(&declared) != names(&out.fit) {
        return Err(StageError::Failed(format!(
            "{}: the kernel's fit parameters are [{}] but the file lists [{}]; rerun the \
             kernel stage (`--force {}`)",
            input.dir.join(KernelOutput::FILE).display(),
            names(&declared).join(", "),
            names(&out.fit).join(", "),
            input.stage
        )));
    }
    let free = declared
        .iter()
        .filter(|p| p.is_free())
        .map(FreeParam::from)
        .collect();
    let fixed = declared
        .iter()
        .filter(|p| p.role != FitRole::Free)
        .map(|p| (p.name.clone(), p.value, p.unit.clone()))
        .collect();
    Ok(Family {
        label: input.stage.clone(),
        plugin: out.plugin,
        free,
        fixed,
        source: Source::Parametric {
            kernel: Arc::from(kernel),
            declared,
        },
    })
}

/// ν̃(ω) = ν1 − iν2 tabulated by a `kernel` stage (`kernel.csv`).
#[derive(Clone, Debug)]
pub(crate) struct KernelTable {
    /// ω, rad per time unit, ascending.
    pub omega: Vec<f64>,
    /// ν1(ω), 1/time.
    pub nu1: Vec<f64>,
    /// ν2(ω), 1/time.
    pub nu2: Vec<f64>,
    /// (t, ν(t)) from `kernel_time.csv` when present, t ascending, ν in 1/time²
    /// (for plots only).
    pub time: Vec<(f64, f64)>,
}

impl KernelTable {
    /// Reads `omega,nu1,nu2` rows (one header line).
    pub fn read(path: &Path) -> Result<Self, StageError> {
        let mut t = Self {
            omega: Vec::new(),
            nu1: Vec::new(),
            nu2: Vec::new(),
            time: Vec::new(),
        };
        for (line, [w, a, b]) in crate::rows::numeric_rows::<3>(path, "omega, nu1, nu2")? {
            if w <= 0.0 || t.omega.last().is_some_and(|last| w <= *last) {
                return Err(StageError::Failed(format!(
                    "{}:{line}: ω must be positive and increasing",
                    path.display()
                )));
            }
            t.omega.push(w);
            t.nu1.push(a);
            t.nu2.push(b);
        }
        if t.omega.len() < 2 {
            return Err(StageError::Failed(format!(
                "{}: need at least 2 rows",
                path.display()
            )));
        }
        // ν(t) beside it, for the kernel figure; a missing or odd file only
        // leaves the figure without this kernel.
        if let Ok(text) = std::fs::read_to_string(path.with_file_name("kernel_time.csv")) {
            t.time = text
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let (a, b) = l.split_once(',')?;
                    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
                })
                .collect();
            t.time.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(t)
    }

    /// ν(t) from `kernel_time.csv`, linear in log t between rows; NaN outside.
    pub fn nu_time(&self, t: f64) -> f64 {
        let n = self.time.len();
        if n < 2 || t < self.time[0].0 || t > self.time[n - 1].0 {
            return f64::NAN;
        }
        let i = self.time.partition_point(|r| r.0 < t).clamp(1, n - 1);
        let ((t0, y0), (t1, y1)) = (self.time[i - 1], self.time[i]);
        y0 + (t / t0).ln() / (t1 / t0).ln() * (y1 - y0)
    }

    /// (ν1, ν2) at ω: log-log interpolation between rows (linear where a value
    /// is not positive); below the table ν1 is held and ν2 ∝ ω (an integrable
    /// kernel), above it both follow the power law of the last two rows.
    pub fn at(&self, omega: f64) -> (f64, f64) {
        let n = self.omega.len();
        if omega <= self.omega[0] {
            return (self.nu1[0], self.nu2[0] * omega / self.omega[0]);
        }
        let i = self.omega.partition_point(|w| *w < omega).clamp(1, n - 1);
        let (w0, w1) = (self.omega[i - 1], self.omega[i]);
        let t = (omega / w0).ln() / (w1 / w0).ln();
        let interp = |y0: f64, y1: f64| {
            if y0 > 0.0 && y1 > 0.0 {
                (y0.ln() + t * (y1 / y0).ln()).exp()
            } else if omega > w1 {
                y1 // beyond the table with a sign change: hold
            } else {
                y0 + t * (y1 - y0)
            }
        };
        (
            interp(self.nu1[i - 1], self.nu1[i]),
            interp(self.nu2[i - 1], self.nu2[i]),
        )
    }
}

/// scale · (tabulated ν̃(ω)).
struct ScaledTable {
    table: Arc<KernelTable>,
    scale: f64,
}

impl MemoryKernel for ScaledTable {
    fn name(&self) -> &str {
        "scaled-table"
    }

    /// From `kernel_time.csv`; NaN outside its range.
    fn nu_time(&self, t: f64) -> f64 {
        self.scale * self.table.nu_time(t)
    }

    fn nu_freq(&self, omega: f64) -> Complex64 {
        let (a, b) = self.table.at(omega);
        Complex64::new(self.scale * a, -self.scale * b)
    }

    fn memory_time(&self) -> Option<f64> {
        None
    }

    fn parameters(&self) -> Vec<(String, f64, String)> {
        vec![("scale".into(), self.scale, String::new())]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::KernelTable;

    /// An exponential kernel ν̃ = ν0 τ/(1 + iωτ) tabulated at 10 rows per
    /// decade (as the `kernel` stage writes it) is reproduced to 0.5 % between
    /// rows (log-log interpolation; worst at the corner ωτ ≈ 1) and continued
    /// by its asymptotes beyond.
    #[test]
    fn table_interpolates_an_exponential_kernel() {
        let (nu0, tau) = (0.5, 3.0);
        let exact = |w: f64| {
            let d = 1.0 + (w * tau).powi(2);
            (nu0 * tau / d, nu0 * tau * w * tau / d)
        };
        let omega: Vec<f64> = (0..=80)
            .map(|i| 10f64.powf(-4.0 + 0.1 * f64::from(i)))
            .collect();
        let t = KernelTable {
            time: Vec::new(),
            nu1: omega.iter().map(|w| exact(*w).0).collect(),
            nu2: omega.iter().map(|w| exact(*w).1).collect(),
            omega,
        };
        for w in [1e-7, 3.3e-3, 0.41, 7.7, 1e5] {
            let (a, b) = t.at(w);
            let (ea, eb) = exact(w);
            assert!((a / ea - 1.0).abs() < 5e-3, "ν1({w}) = {a}, exact {ea}");
            assert!((b / eb - 1.0).abs() < 5e-3, "ν2({w}) = {b}, exact {eb}");
        }
    }
}
