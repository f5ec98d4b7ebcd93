//! Calibration of the response against reference E'(ω), E''(ω) (docs/theory.md
//! §8).
//!
//! Least squares on log10 of both moduli over the points where the reference
//! carries signal, by Levenberg–Marquardt ([`nonaffine_numerics::lm`]) from
//! several starts. Free: the kernel's free parameters, the time-unit shift
//! log10 s (ω_model = s·ω_ref, so one reference time unit is 1/s model units)
//! and the heights — one overall scale in `consistent` mode (the reference
//! moduli are in units of σ0/ε0, not GPa), E_A, A, B in `paper` mode.
//!
//! A degeneracy to know: for ω ≪ ω_p the response depends on the kernel only
//! through ω ν̃(ω), which for ν(t) = ν0 f(t/τ) is ν0 · (ωτ) f̃(ωτ) — a function
//! of ωτ = s ω_ref τ. The kernel's time scale τ and the shift s are therefore
//! not separately determined; the kernel declares its time scale
//! ([`nonaffine_core::FitRole::TimeScale`]), callers hold it fixed and fit s. The memory
//! time in seconds, τ_m · s · (reference time unit in s), is determined.

use crate::moduli::resolvent_argument;
use crate::{Affine, ModeSum, ResponseError};
use nonaffine_core::units::GPA_PER_EV_PER_A3;
use nonaffine_core::{FitScale, KernelParameter, MemoryKernel};
use nonaffine_numerics::{levenberg_marquardt, LmOptions, LmStatus, Steps};
use num_complex::Complex64;
use serde::Serialize;
use std::cell::RefCell;

/// `consistent` (C^B and 1/V as derived, one height scale) or `paper` (Eqs. 6–7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FitMode {
    /// E* = scale · [C^B_11 − (1/V) R_xx,xx].
    Consistent,
    /// E' = E_A − A Re R_xx,xx, E'' = −B Im R_xx,xx.
    Paper,
}

/// A kernel parameter the fit varies.
#[derive(Clone, Debug, PartialEq)]
pub struct FreeParam {
    /// Parameter name (as the kernel plugin knows it).
    pub name: String,
    /// Unit (in the model's time unit).
    pub unit: String,
    /// Starting value.
    pub start: f64,
    /// Fit log10 of the value (for positive scale parameters).
    pub log: bool,
    /// Smallest allowed value.
    pub lower: f64,
    /// Largest allowed value.
    pub upper: f64,
    /// Further start values the multi-start scans (natural units), e.g. a
    /// coarse grid of a shape parameter.
    pub grid: Vec<f64>,
}

impl From<&KernelParameter> for FreeParam {
    /// The fit's view of a parameter a kernel declares (its value the start).
    fn from(p: &KernelParameter) -> Self {
        Self {
            name: p.name.clone(),
            unit: p.unit.clone(),
            start: p.value,
            log: p.scale == FitScale::Log,
            lower: p.lower,
            upper: p.upper,
            grid: p.grid.clone(),
        }
    }
}

/// Builds a kernel from values of its free parameters; `None` when refused.
/// May borrow (e.g. the plugin registry) for `'a`.
pub type KernelBuilder<'a> = dyn Fn(&[f64]) -> Option<Box<dyn MemoryKernel>> + Sync + 'a;

/// A kernel family with its free parameters.
pub struct KernelModel<'a> {
    /// Plugin name (`stretched-exp`).
    pub plugin: String,
    /// Free parameters, in the order `build` takes them.
    pub free: Vec<FreeParam>,
    /// Builds the kernel from values of the free parameters (natural units);
    /// `None` when the plugin refuses them.
    pub build: &'a KernelBuilder<'a>,
}

/// Reference curves to fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// ω, rad per reference time unit, ascending.
    pub omega: Vec<f64>,
    /// E'(ω), reference modulus unit.
    pub storage: Vec<f64>,
    /// E''(ω), reference modulus unit.
    pub loss: Vec<f64>,
    /// The reference time unit in seconds (60 for minutes).
    pub time_unit_seconds: f64,
    /// Points with E' or E'' below this fraction of their maximum are left out.
    pub signal_floor: f64,
}

/// A fitted value with its unit and standard error.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// Name.
    pub name: String,
    /// Value.
    pub value: f64,
    /// Standard error from s²(JᵀJ)⁻¹ (propagated linearly for log-fitted
    /// values); NaN when the parameter is not determined.
    pub std_error: f64,
    /// Unit.
    pub unit: String,
}

/// Coupling regime at the loss peak (docs/theory.md Eq. (55)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// max_p ω ν1/ω_p² < 1: the response reduces to the kernel's own shape, the
    /// spectrum enters through a prefactor.
    Weak,
    /// ≥ 1: the soft (boson-peak) modes shape the α-wing.
    Strong,
}

/// Result of [`calibrate`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// Kernel plugin.
    pub plugin: String,
    /// Mode.
    pub mode: FitMode,
    /// Kernel parameters, then `log10_time_shift`, then the heights.
    pub parameters: Vec<Estimate>,
    /// Number of residuals (storage and loss points).
    pub points: usize,
    /// Number of fitted parameters.
    pub k: usize,
    /// χ² = Σ (log10 model − log10 reference)² (unit weights).
    pub chi2: f64,
    /// Root mean square of the log10 residuals.
    pub rms_log10: f64,
    /// R² of the log10 moduli (each curve about its own mean).
    pub r_squared: f64,
    /// AIC = n ln(χ²/n) + 2k.
    pub aic: f64,
    /// BIC = n ln(χ²/n) + k ln n.
    pub bic: f64,
    /// Kernel memory time τ_m converted to seconds through the fitted shift.
    pub memory_time_s: Option<f64>,
    /// Model time unit implied by the shift, s (physical: 1.018e-14 s).
    pub model_time_unit_s: f64,
    /// ω of the model's loss peak, rad per reference time unit.
    pub loss_peak_omega: f64,
    /// max_p ω ν1(ω)/ω_p² at the loss peak.
    pub coupling_at_peak: f64,
    /// Regime of the coupling.
    pub regime: Regime,
    /// The model on the target grid: (ω_ref, E', E'').
    pub curve: Vec<(f64, f64, f64)>,
    /// LM starts tried.
    pub starts: usize,
    /// The optimum's kernel coordinates (log10 for log parameters) and log10
    /// shift: a seed for [`calibrate_from`] at another temperature.
    #[serde(skip)]
    pub optimum: Vec<f64>,
}

struct Problem<'a> {
    affine: &'a Affine,
    modes: &'a dyn ModeSum,
    kernel: &'a KernelModel<'a>,
    mode: FitMode,
    omega: Vec<f64>,
    log_storage: Vec<f64>,
    log_loss: Vec<f64>,
    /// The sums of the last (kernel values, shift): the Jacobian columns of
    /// the heights change no sum, so they reuse these.
    memo: RefCell<Option<(Vec<f64>, Vec<Complex64>)>>,
}

impl Problem<'_> {
    fn nk(&self) -> usize {
        self.kernel.free.len()
    }

    fn kernel_values(&self, theta: &[f64]) -> Option<Vec<f64>> {
        self.kernel
            .free
            .iter()
            .zip(theta)
            .map(|(f, t)| {
                let v = if f.log { 10f64.powf(*t) } else { *t };
                (v >= f.lower && v <= f.upper && v.is_finite()).then_some(v)
            })
            .collect()
    }

    /// The unscaled resolvent component S(ω_ref) = R_xx,xx for each grid point.
    fn sums(&self, kernel: &dyn MemoryKernel, log_shift: f64, omega: &[f64]) -> Vec<Complex64> {
        let s = 10f64.powf(log_shift);
        let zs: Vec<_> = omega
            .iter()
            .map(|w| resolvent_argument(s * w, kernel))
            .collect();
        self.modes.resolvent_components(&zs, 0, 0)
    }

    /// (E', E'') from sums and heights (log10 values).
    fn moduli(&self, sums: &[Complex64], heights: &[f64]) -> Vec<(f64, f64)> {
        match self.mode {
            FitMode::Consistent => {
                let scale = 10f64.powf(heights[0]);
                let f = GPA_PER_EV_PER_A3 / self.affine.volume_a3;
                sums.iter()
                    .map(|s| {
                        let e = self.affine.born_gpa[0][0] - f * s;
                        (scale * e.re, -scale * f * s.im)
                    })
                    .collect()
            }
            FitMode::Paper => {
                let (ea, a, b) = (
                    10f64.powf(heights[0]),
                    10f64.powf(heights[1]),
                    10f64.powf(heights[2]),
                );
                sums.iter().map(|s| (ea - a * s.re, -b * s.im)).collect()
            }
        }
    }

    fn residuals_of(&self, moduli: &[(f64, f64)]) -> Vec<f64> {
        let log = |v: f64, reference: f64| {
            if v > 0.0 {
                v.log10()
            } else {
                reference - 12.0 // non-positive modulus: a large, finite penalty
            }
        };
        let mut r = Vec::with_capacity(2 * moduli.len());
        for (i, (e1, _)) in moduli.iter().enumerate() {
            r.push(log(*e1, self.log_storage[i]) - self.log_storage[i]);
        }
        for (i, (_, e2)) in moduli.iter().enumerate() {
            r.push(log(*e2, self.log_loss[i]) - self.log_loss[i]);
        }
        r
    }

    fn residuals(&self, theta: &[f64]) -> Option<Vec<f64>> {
        let nk = self.nk();
        let key = &theta[..=nk];
        let mut memo = self.memo.borrow_mut();
        if !matches!(&*memo, Some((k, _)) if k.as_slice() == key) {
            let kv = self.kernel_values(theta)?;
            let kernel = (self.kernel.build)(&kv)?;
            let sums = self.sums(kernel.as_ref(), theta[nk], &self.omega);
            *memo = Some((key.to_vec(), sums));
        }
        let (_, sums) = memo.as_ref()?;
        Some(self.residuals_of(&self.moduli(sums, &theta[nk + 1..])))
    }

    /// A start at kernel coordinates `theta_kernel` and shift `log_shift`, with
    /// the heights in closed form: (residual sum of squares, θ).
    fn start_from(
        &self,
        kernel: &dyn MemoryKernel,
        theta_kernel: &[f64],
        log_shift: f64,
    ) -> Option<(f64, Vec<f64>)> {
        let sums = self.sums(kernel, log_shift, &self.omega);
        let h = self.start_heights(&sums)?;
        let rss: f64 = self
            .residuals_of(&self.moduli(&sums, &h))
            .iter()
            .map(|r| r * r)
            .sum();
        rss.is_finite().then(|| {
            let mut theta = theta_kernel.to_vec();
            theta.push(log_shift);
            theta.extend(h);
            (rss, theta)
        })
    }

    /// Heights that best match the reference for given sums (closed forms):
    /// the mean log offset for a scale, a linear fit of E' for E_A and A.
    fn start_heights(&self, sums: &[Complex64]) -> Option<Vec<f64>> {
        let n = sums.len() as f64;
        match self.mode {
            FitMode::Consistent => {
                let unit = self.moduli(sums, &[0.0]);
                let mut offset = 0.0;
                for (i, (e1, e2)) in unit.iter().enumerate() {
                    offset += self.log_storage[i] - e1.max(1e-300).log10();
                    offset += self.log_loss[i] - e2.max(1e-300).log10();
                }
                Some(vec![offset / (2.0 * n)])
            }
            FitMode::Paper => {
                let lb = sums
                    .iter()
                    .zip(&self.log_loss)
                    .map(|(s, l)| l - (-s.im).max(1e-300).log10())
                    .sum::<f64>()
                    / n;
                // E'_ref ≈ E_A − A x with x = Re S: least squares line.
                let xs: Vec<f64> = sums.iter().map(|s| s.re).collect();
                let ys: Vec<f64> = self.log_storage.iter().map(|l| 10f64.powf(*l)).collect();
                let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
                let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
                let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
                let a = -sxy / sxx;
                let ea = my + a * mx;
                (a > 0.0 && ea > 0.0 && a.is_finite()).then(|| vec![ea.log10(), a.log10(), lb])
            }
        }
    }
}

/// First log10 s of the shift scan for a reference in minutes. The grid is
/// fixed in physical time: for a reference time unit of T seconds it starts at
/// `SCAN_FROM − log10(T/60 s)`, so the same data in seconds or in minutes are
/// scanned at the same physical shifts (and fit to the same minimum); for
/// minutes, the unit it was tuned on, the grid is unchanged.
const SCAN_FROM: f64 = -30.0;
/// Step of the shift scan in log10 s.
const SCAN_STEP: f64 = 0.5;
/// Steps of the shift scan (to log10 s = 10).
const SCAN_POINTS: usize = 80;
/// Most rounds of a seed-only refit (`starts = 0`).
const SEED_ROUNDS: usize = 4;
/// LM iterations per round: each start gets one round, the best start more.
const ROUND: usize = 25;
/// Most rounds of the best start (1000 iterations; 100 when only seeds are started).
const MAX_ROUNDS: usize = 40;
/// The best start stops when a round lowers χ² by less than this fraction:
/// along a degenerate valley (amplitude against heights in the weak-coupling
/// limit) LM would otherwise creep for thousands of iterations. With χ² ≈ n s²
/// a gain of 1e-4 χ² is ≈ 0.01 s² for n ≈ 100 points, far below the Δχ² = s²
/// that moves a parameter by one standard error.
const ROUND_GAIN: f64 = 1e-4;
/// ... or when a round moves every parameter by less than this fraction of its
/// standard error: the remaining change is statistically nothing. This ends
/// the slow walk along a degenerate valley, e.g. towards the weak-coupling
/// limit ν0 → 0 on noise-free reference curves, where χ² keeps falling by a
/// few per cent per round but the parameters' errors are larger still.
const ROUND_STEP_IN_ERRORS: f64 = 0.05;

/// Fits `kernel` (with the time shift and heights) to `target` through the
/// spectrum `modes` (docs/theory.md §8); [`calibrate_from`] without seeds.
pub fn calibrate(
    affine: &Affine,
    modes: &dyn ModeSum,
    kernel: &KernelModel<'_>,
    mode: FitMode,
    target: &Target,
    starts: usize,
) -> Result<Calibration, ResponseError> {
    calibrate_from(affine, modes, kernel, mode, target, starts, &[])
}

/// Fits `kernel` (with the time shift and heights) to `target` through the
/// spectrum `modes` (docs/theory.md §8).
///
/// Starts: for the kernel's start values, and for each value of a parameter's
/// [`FreeParam::grid`] with the others at their starts, a scan of log10 s over
/// [−30, 10] in steps of 0.5 with the heights set in closed form; the local
/// minima of these scans and the `seeds` (kernel values in fit coordinates —
/// log10 for log parameters — then log10 s, e.g. another temperature's
/// optimum) are ranked by their residual, and the best `starts` distinct ones
/// (at least as many as there are seeds) each get 25 LM iterations; the best
/// of them continues in rounds of 25 until a round lowers χ² by less than
/// 1e-4 χ² or moves no parameter by 0.05 of its standard error (at most 1000
/// iterations). `starts = 0` skips the scans: only the seeds are started, and
/// the best gets at most 100 iterations (a search for a better basin).
#[allow(clippy::too_many_arguments)]
pub fn calibrate_from(
    affine: &Affine,
    modes: &dyn ModeSum,
    kernel: &KernelModel<'_>,
    mode: FitMode,
    target: &Target,
    starts: usize,
    seeds: &[Vec<f64>],
) -> Result<Calibration, ResponseError> {
    let n = target.omega.len();
    if target.storage.len() != n || target.loss.len() != n || n < 3 {
        return Err(ResponseError::Invalid(format!(
            "reference needs equal-length ω, E', E'' columns with ≥ 3 points; found {n}, {}, {}",
            target.storage.len(),
            target.loss.len()
        )));
    }
    let max1 = target.storage.iter().copied().fold(0.0, f64::max);
    let max2 = target.loss.iter().copied().fold(0.0, f64::max);
    let keep: Vec<usize> = (0..n)
        .filter(|&i| {
            target.omega[i] > 0.0
                && target.storage[i] > target.signal_floor * max1
                && target.loss[i] > target.signal_floor * max2
        })
        .collect();
    let problem = Problem {
        affine,
        modes,
        kernel,
        mode,
        omega: keep.iter().map(|&i| target.omega[i]).collect(),
        log_storage: keep.iter().map(|&i| target.storage[i].log10()).collect(),
        log_loss: keep.iter().map(|&i| target.loss[i].log10()).collect(),
        memo: RefCell::new(None),
    };
    let nk = kernel.free.len();
    let heights = match mode {
        FitMode::Consistent => 1,
        FitMode::Paper => 3,
    };
    let k = nk + 1 + heights;
    if 2 * keep.len() <= k {
        return Err(ResponseError::Invalid(format!(
            "only {} reference points carry signal (above {} of the maximum); need more than {k} residuals",
            keep.len(),
            target.signal_floor
        )));
    }
    // Kernel start vectors (fit coordinates): the start values, then each
    // grid value of one parameter with the others at their starts.
    let to_fit = |f: &FreeParam, v: f64| if f.log { v.log10() } else { v };
    let base: Vec<f64> = kernel.free.iter().map(|f| to_fit(f, f.start)).collect();
    let mut kernel_starts = vec![base.clone()];
    for (i, f) in kernel.free.iter().enumerate() {
        for v in &f.grid {
            let mut t = base.clone();
            t[i] = to_fit(f, *v);
            if !kernel_starts.contains(&t) {
                kernel_starts.push(t);
            }
        }
    }
    if problem.kernel_values(&base).is_none() {
        return Err(ResponseError::Invalid(format!(
            "kernel `{}`: start values outside their bounds",
            kernel.plugin
        )));
    }
    // Scan of the shift for each kernel start (heights in closed form); the
    // local minima of each scan, and the seeds, are the candidate starts.
    let mut candidates: Vec<(f64, Vec<f64>)> = Vec::new();
    let scan_from = SCAN_FROM - (target.time_unit_seconds / 60.0).log10();
    let scanned = if starts == 0 {
        &[][..]
    } else {
        &kernel_starts[..]
    };
    for theta_kernel in scanned {
        let Some(kernel_start) = problem
            .kernel_values(theta_kernel)
            .and_then(|v| (kernel.build)(&v))
        else {
            continue;
        };
        let scan: Vec<(f64, Vec<f64>)> = (0..=SCAN_POINTS)
            .filter_map(|i| {
                let ls = scan_from + SCAN_STEP * i as f64;
                problem.start_from(kernel_start.as_ref(), theta_kernel, ls)
            })
            .collect();
        candidates.extend(
            (0..scan.len())
                .filter(|&i| {
                    (i == 0 || scan[i].0 <= scan[i - 1].0)
                        && (i + 1 == scan.len() || scan[i].0 <= scan[i + 1].0)
                })
                .map(|i| scan[i].clone()),
        );
    }
    for seed in seeds.iter().filter(|s| s.len() == nk + 1) {
        let kernel_seed = problem
            .kernel_values(&seed[..nk])
            .and_then(|v| (kernel.build)(&v));
        if let Some(k) = kernel_seed {
            candidates.extend(problem.start_from(k.as_ref(), &seed[..nk], seed[nk]));
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Distinct starts: another shift (by more than two scan steps) or kernel.
    let mut chosen: Vec<Vec<f64>> = Vec::new();
    for (_, theta) in candidates {
        let near = chosen
            .iter()
            .any(|c| c[..nk] == theta[..nk] && (c[nk] - theta[nk]).abs() <= 2.0 * SCAN_STEP);
        if !near {
            chosen.push(theta);
        }
        if chosen.len() >= starts.max(seeds.len()).max(1) {
            break;
        }
    }
    if chosen.is_empty() {
        return Err(ResponseError::Fit(format!(
            "kernel `{}`: no shift in 1e{scan_from}..1e{} gives positive moduli",
            kernel.plugin,
            scan_from + SCAN_STEP * SCAN_POINTS as f64
        )));
    }
    // Race: every start one round of LM, then the best one round by round.
    let options = LmOptions::new(Steps::Absolute(vec![1e-5; k]), ROUND);
    let residuals = |t: &[f64]| problem.residuals(t);
    let raced = chosen
        .iter()
        .filter_map(|x0| levenberg_marquardt(&residuals, x0, &options).ok())
        .min_by(|a, b| a.rss.total_cmp(&b.rss));
    let best = raced.map(|mut sol| {
        // Seed-only refits look for a better basin, not for polish.
        let rounds = if starts == 0 { SEED_ROUNDS } else { MAX_ROUNDS };
        for _ in 1..rounds {
            if sol.status != LmStatus::MaxIterations {
                break; // LM's own convergence test stopped it
            }
            match levenberg_marquardt(&residuals, &sol.x, &options).ok() {
                Some(next) if next.rss <= sol.rss => {
                    let small_gain = sol.rss - next.rss < ROUND_GAIN * sol.rss;
                    let small_step = next.covariance.as_ref().is_some_and(|c| {
                        next.x.iter().zip(&sol.x).enumerate().all(|(i, (a, b))| {
                            (a - b).abs() < ROUND_STEP_IN_ERRORS * c[i][i].max(0.0).sqrt()
                        })
                    });
                    sol = next;
                    if small_gain || small_step {
                        break;
                    }
                }
                _ => break,
            }
        }
        sol
    });
    let sol = best.ok_or_else(|| {
        ResponseError::Fit(format!("kernel `{}`: every start failed", kernel.plugin))
    })?;

    // Estimates in natural units.
    let se = |i: usize| {
        sol.covariance
            .as_ref()
            .map_or(f64::NAN, |c| c[i][i].max(0.0).sqrt())
    };
    let mut parameters = Vec::with_capacity(k);
    for (i, f) in kernel.free.iter().enumerate() {
        let (value, std_error) = if f.log {
            let v = 10f64.powf(sol.x[i]);
            (v, v * std::f64::consts::LN_10 * se(i))
        } else {
            (sol.x[i], se(i))
        };
        parameters.push(Estimate {
            name: f.name.clone(),
            value,
            std_error,
            unit: f.unit.clone(),
        });
    }
    parameters.push(Estimate {
        name: "log10_time_shift".into(),
        value: sol.x[nk],
        std_error: se(nk),
        unit: "log10(model time units per reference time unit)".into(),
    });
    let names: &[&str] = match mode {
        FitMode::Consistent => &["scale"],
        FitMode::Paper => &["E_A", "A", "B"],
    };
    let units: &[&str] = match mode {
        FitMode::Consistent => &["reference modulus unit per GPa"],
        FitMode::Paper => &[
            "reference modulus unit",
            "reference modulus unit per eV",
            "reference modulus unit per eV",
        ],
    };
    for (j, (name, unit)) in names.iter().zip(units).enumerate() {
        let i = nk + 1 + j;
        let v = 10f64.powf(sol.x[i]);
        parameters.push(Estimate {
            name: (*name).into(),
            value: v,
            std_error: v * std::f64::consts::LN_10 * se(i),
            unit: (*unit).into(),
        });
    }

    // Statistics.
    let m = sol.residuals.len() as f64;
    let chi2 = sol.rss;
    let tss = |y: &[f64]| {
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        y.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
    };
    let r_squared = 1.0 - chi2 / (tss(&problem.log_storage) + tss(&problem.log_loss));
    let ln_term = m * (chi2 / m).max(1e-300).ln();

    // The model on the whole target grid, the loss peak and the coupling there.
    let kv = problem
        .kernel_values(&sol.x)
        .ok_or_else(|| ResponseError::Fit("optimum outside bounds".into()))?;
    let kernel_fit = (kernel.build)(&kv)
        .ok_or_else(|| ResponseError::Fit("kernel refused the optimum".into()))?;
    let sums = problem.sums(kernel_fit.as_ref(), sol.x[nk], &target.omega);
    let model = problem.moduli(&sums, &sol.x[nk + 1..]);
    let curve: Vec<(f64, f64, f64)> = target
        .omega
        .iter()
        .zip(&model)
        .map(|(w, (e1, e2))| (*w, *e1, *e2))
        .collect();
    let peak = curve
        .iter()
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map_or(f64::NAN, |c| c.0);
    let shift = 10f64.powf(sol.x[nk]);
    let omega_model = shift * peak;
    let coupling_at_peak = modes.lowest_eigenvalue().map_or(f64::NAN, |l| {
        omega_model * kernel_fit.nu_freq(omega_model).re / l
    });
    Ok(Calibration {
        plugin: kernel.plugin.clone(),
        mode,
        parameters,
        points: sol.residuals.len(),
        k,
        chi2,
        rms_log10: (chi2 / m).sqrt(),
        r_squared,
        aic: ln_term + 2.0 * k as f64,
        bic: ln_term + k as f64 * m.ln(),
        memory_time_s: kernel_fit
            .memory_time()
            .map(|tau| tau * shift * target.time_unit_seconds),
        model_time_unit_s: shift * target.time_unit_seconds,
        loss_peak_omega: peak,
        coupling_at_peak,
        regime: if coupling_at_peak >= 1.0 {
            Regime::Strong
        } else {
            Regime::Weak
        },
        curve,
        starts: chosen.len(),
        optimum: sol.x[..=nk].to_vec(),
    })
}
