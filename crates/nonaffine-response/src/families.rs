//! The kernel families the `response` stage fits: read from upstream `kernel`
//! stages (each one family, its parameter values the start values), or built
//! from the stage's own `kernels` parameter when there are none.
//!
//! Time-scale parameters (τ of `exponential`, r of `stretched-exp`) are held
//! fixed: they are degenerate with the time shift (see [`crate::calibrate`]).
//! A kernel whose plugin the stage has no parametric family for (`tabulated`,
//! or any other plugin) is fitted through its own table `kernel.csv`: its shape
//! is kept and only an amplitude scale and the time shift are free.

use crate::FreeParam;
use nonaffine_core::{
    MemoryKernel, ParamError, Params, Registry, StageContext, StageError, StageInput,
};
use num_complex::Complex64;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Plugins with a parametric family (free amplitude, b; fixed time scale).
pub(crate) const PARAMETRIC: [&str; 3] = ["markovian", "exponential", "stretched-exp"];

/// Start values of the stretching exponent b tried by the multi-start beside
/// the kernel stage's own (the paper's b lie in 0.55–0.72).
const B_GRID: [f64; 4] = [0.35, 0.5, 0.65, 0.85];

/// Amplitude start values tried beside the kernel stage's own, as factors of
/// it: small amplitudes reach the weak-coupling regime, where the response
/// takes the kernel's own shape and amplitude and heights are nearly
/// degenerate (a valley LM walks slowly along from one start).
const AMPLITUDE_FACTORS: [f64; 4] = [1e-6, 1e-4, 1e-2, 1e2];

/// Keys of the `kernel` stage itself (not passed to its plugin).
const KERNEL_STAGE_KEYS: [&str; 4] = ["plugin", "omega_min", "omega_max", "points"];

/// A kernel family: plugin, free parameters, fixed ones.
#[derive(Clone)]
pub(crate) struct Family {
    /// The upstream kernel stage's name, or the plugin name for a family
    /// built from the `kernels` parameter.
    pub label: String,
    /// Kernel plugin.
    pub plugin: String,
    /// Fitted parameters with their start values.
    pub free: Vec<FreeParam>,
    /// Held parameters: (name, value, unit).
    pub fixed: Vec<(String, f64, String)>,
    /// The tabulated ν̃(ω) of a kernel fitted by amplitude only.
    pub table: Option<Arc<KernelTable>>,
}

impl Family {
    /// Builds the family's kernel from free-parameter values: a scaled table,
    /// or through the registry.
    pub fn build(&self, registry: &Registry, values: &[f64]) -> Option<Box<dyn MemoryKernel>> {
        if let Some(table) = &self.table {
            let scale = *values.first()?;
            return Some(Box::new(ScaledTable {
                table: Arc::clone(table),
                scale,
            }));
        }
        let mut text = String::new();
        for (free, v) in self.free.iter().zip(values) {
            let _ = write!(text, "{}={v:e},", free.name);
        }
        for (name, v, _) in &self.fixed {
            let _ = write!(text, "{name}={v:e},");
        }
        let params = Params::from_pairs("fit", text.trim_end_matches(',')).ok()?;
        registry.kernel(&self.plugin, &params).ok()
    }

    /// A note for fit.json on what is held (tables), empty otherwise.
    pub fn note(&self) -> Option<String> {
        self.table.as_ref().map(|t| {
            format!(
                "`{}` kernel of stage `{}`: its tabulated shape ν̃(ω) (kernel.csv, ω in \
                 {:.1e}..{:.1e} rad/time, power laws beyond) is kept; only an amplitude scale \
                 and the time shift are fitted",
                self.plugin,
                self.label,
                t.omega[0],
                t.omega[t.omega.len() - 1]
            )
        })
    }
}

/// The free amplitude ν0 (`unit`) as the stage fits it: log scale, bounds
/// 1e-12…1e12, multi-start grid 1e-6…1e2 × `start`.
pub fn amplitude(start: f64, unit: &str) -> FreeParam {
    FreeParam {
        name: "nu0".into(),
        unit: unit.into(),
        start,
        log: true,
        lower: 1e-12,
        upper: 1e12,
        grid: AMPLITUDE_FACTORS.iter().map(|f| f * start).collect(),
    }
}

/// The free stretching exponent b as the stage fits it: bounds 0.1…2,
/// multi-start grid 0.35…0.85.
pub fn stretching(start: f64) -> FreeParam {
    FreeParam {
        name: "b".into(),
        unit: String::new(),
        start,
        log: false,
        lower: 0.1,
        upper: 2.0,
        grid: B_GRID.to_vec(),
    }
}

/// Start values of a parametric family.
pub(crate) struct Starts {
    /// ν0 of exponential and stretched-exp, 1/time².
    pub nu0: f64,
    /// ν0 of markovian, 1/time.
    pub markovian_nu0: f64,
    /// b of stretched-exp.
    pub b: f64,
    /// r of stretched-exp (fixed), time^-b.
    pub r: f64,
    /// τ of exponential (fixed), time.
    pub tau: f64,
}

/// The parametric family of `plugin` with start values `s`; `None` for a
/// plugin without one.
pub(crate) fn parametric(label: &str, plugin: &str, s: &Starts) -> Option<Family> {
    let (free, fixed) = match plugin {
        "markovian" => (vec![amplitude(s.markovian_nu0, "1/time")], Vec::new()),
        "exponential" => (
            vec![amplitude(s.nu0, "1/time^2")],
            vec![("tau".into(), s.tau, "time".into())],
        ),
        "stretched-exp" => (
            vec![amplitude(s.nu0, "1/time^2"), stretching(s.b)],
            vec![("r".into(), s.r, "time^-b".into())],
        ),
        _ => return None,
    };
    Some(Family {
        label: label.into(),
        plugin: plugin.into(),
        free,
        fixed,
        table: None,
    })
}

/// The families of the stage's own parameters (`kernels`, `nu0`, ...).
pub(crate) fn from_params(
    names: &[String],
    s: &Starts,
    p: &Params,
) -> Result<Vec<Family>, StageError> {
    names
        .iter()
        .map(|name| {
            parametric(name, name, s).ok_or_else(|| {
                ParamError::new(
                    p.path("kernels"),
                    format!(
                        "`{name}` is not one of: {}; for other kernels add a `kernel` stage and \
                         list it in `inputs`",
                        PARAMETRIC.join(", ")
                    ),
                )
                .into()
            })
        })
        .collect()
}

/// One family per upstream `kernel` stage, in input order.
pub(crate) fn from_inputs(ctx: &StageContext<'_>) -> Result<Vec<Family>, StageError> {
    ctx.inputs_of_kind("kernel").map(from_input).collect()
}

fn from_input(input: &StageInput) -> Result<Family, StageError> {
    let path = input.dir.join("stage.json");
    let text = std::fs::read_to_string(&path).map_err(|e| StageError::io(&path, e))?;
    let bad = |what: String| {
        StageError::Failed(format!(
            "{}: {what}; is this a `kernel` stage's folder?",
            path.display()
        ))
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let params = value["params"]
        .as_object()
        .ok_or_else(|| bad("no `params` object".into()))?;
    let plugin = params
        .get("plugin")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("no `params.plugin`".into()))?;
    let number = |key: &str| params.get(key).and_then(serde_json::Value::as_f64);
    if PARAMETRIC.contains(&plugin) {
        // Keys the plugin knows but the family does not use would be silently
        // lost; every plugin key must be a family parameter.
        let used: &[&str] = match plugin {
            "markovian" => &["nu0"],
            "exponential" => &["nu0", "tau"],
            _ => &["nu0", "b", "r"],
        };
        for key in params.keys() {
            if !KERNEL_STAGE_KEYS.contains(&key.as_str()) && !used.contains(&key.as_str()) {
                return Err(bad(format!(
                    "kernel parameter `{key}` of `{plugin}` is not one the response fits \
                     ({})",
                    used.join(", ")
                )));
            }
        }
        let need = |key: &str| {
            number(key)
                .filter(|v| *v > 0.0 && v.is_finite())
                .ok_or_else(|| bad(format!("`{plugin}` needs a positive number `{key}`")))
        };
        let starts = Starts {
            nu0: if plugin == "markovian" {
                1.0
            } else {
                need("nu0")?
            },
            markovian_nu0: if plugin == "markovian" {
                need("nu0")?
            } else {
                1.0
            },
            b: if plugin == "stretched-exp" {
                need("b")?
            } else {
                1.0
            },
            r: if plugin == "stretched-exp" {
                need("r")?
            } else {
                1.0
            },
            tau: if plugin == "exponential" {
                need("tau")?
            } else {
                1.0
            },
        };
        return parametric(&input.stage, plugin, &starts)
            .ok_or_else(|| bad(format!("no family for `{plugin}`")));
    }
    let table = KernelTable::read(&input.dir.join("kernel.csv"))?;
    Ok(Family {
        label: input.stage.clone(),
        plugin: plugin.into(),
        free: vec![FreeParam {
            name: "scale".into(),
            unit: String::new(),
            start: 1.0,
            log: true,
            lower: 1e-12,
            upper: 1e12,
            grid: AMPLITUDE_FACTORS.to_vec(),
        }],
        fixed: Vec::new(),
        table: Some(Arc::new(table)),
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
