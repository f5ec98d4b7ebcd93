//! The `response` stage in `modes: [predict]`: the parameter-free C*(ω) of
//! every upstream spectrum sample ([`crate::predict`]) and, with upstream
//! `oscillate` stages, its comparison with the MD measurement.
//!
//! Kernel: one upstream `kernel` stage (its parameters read in ps), or
//! Markovian ν = 1/`damping_time_ps`. An MD point is predicted with its own
//! thermostat: Langevin damping τ_d → ν = 1/τ_d (no free parameter); a
//! kernel stage that disagrees is reported, not used. Other thermostats use
//! the kernel stage when given, else the point is skipped with a warning.
//!
//! | file | content |
//! |---|---|
//! | `predicted.csv` | `sample,omega_rad_per_ps,frequency_thz,stress,strain,storage_gpa,loss_gpa,box_storage_gpa,box_loss_gpa`: C*_ab (η convention, symmetric) and M*_ba = dσ_b/dh_a of a box strain (pre-stress terms), all 36 pairs |
//! | `moduli.csv` | `sample,omega_rad_per_ps,frequency_thz,modulus,storage_gpa,loss_gpa`: E (Young's), G, K (Voigt averages) and C11 |
//! | `comparison.csv` | one row per MD point: measured C', C'' ± errors, predicted, relative deviation, loss-angle difference, χ² contribution (T > 0) |
//! | `predict.json` | kernel, samples, claims with numbers, warnings |
//! | `predicted.{png,svg}`, `compare_T<T>K_<component>.{png,svg}` | E', E'', G', G'' over ν; MD points with error bars over the theory |

use crate::families::{self, Family};
use crate::predict::{log_spaced_thz, omega_of_thz, predict, predicted_moduli, Prediction};
use crate::stage::{read_samples, Sample};
use nonaffine_core::{
    MemoryKernel, ParamError, Params, Registry, StageContext, StageError, Summary,
};
use nonaffine_oscillate::table::{read_oscillate_csv, MeasuredPoint, ThermostatKind};
use nonaffine_plot::{Figure, Scale, Series, Style};
use num_complex::Complex64;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Voigt labels.
const VOIGT: [&str; 6] = ["xx", "yy", "zz", "yz", "xz", "xy"];

/// A kernel in ps and how it was chosen.
struct Kernel {
    label: String,
    kernel: Box<dyn MemoryKernel>,
}

/// One MD point beside its prediction.
#[derive(Clone, Debug, Serialize)]
struct Compared {
    structure: String,
    sample: String,
    component: &'static str,
    frequency_thz: f64,
    omega_rad_per_ps: f64,
    temperature_k: f64,
    thermostat: &'static str,
    damping_time_ps: Option<f64>,
    strain_amplitude: f64,
    md_storage_gpa: f64,
    md_loss_gpa: f64,
    md_storage_err_gpa: Option<f64>,
    md_loss_err_gpa: Option<f64>,
    theory_storage_gpa: f64,
    theory_loss_gpa: f64,
    /// |C*_MD − C*_theory| / |C*_MD|.
    relative_deviation: f64,
    /// δ_MD − δ_theory, δ = atan2(C'', C'), rad.
    loss_angle_difference_rad: f64,
    /// (ΔC'/σ')² + (ΔC''/σ'')² when the MD gives errors.
    chi2: Option<f64>,
    md_volume_a3: f64,
    theory_volume_a3: f64,
}

/// One tested statement with its verdict and numbers.
#[derive(Clone, Debug, Serialize)]
struct Claim {
    claim: String,
    holds: bool,
    numbers: Vec<(String, f64)>,
}

#[derive(Serialize)]
struct PredictFile<'a> {
    kernel: &'a str,
    frequencies_thz: &'a [f64],
    samples: Vec<SampleRecord>,
    tolerance: f64,
    comparison_points: usize,
    claims: &'a [Claim],
    warnings: &'a [String],
}

#[derive(Serialize)]
struct SampleRecord {
    name: String,
    volume_a3: f64,
    stress_gpa: [f64; 6],
    born_gpa: [[f64; 6]; 6],
}

/// Predict mode's own values, checked before anything runs: frequencies,
/// tolerance, damping time.
pub(crate) fn check(p: &Params) -> Result<(), StageError> {
    frequencies(p)?;
    p.positive_or("tolerance", 0.005)?;
    p.positive_or("damping_time_ps", 1.0)?;
    Ok(())
}

/// Runs predict mode (the stage has checked `modes: [predict]`).
pub(crate) fn run(ctx: &StageContext<'_>) -> Result<Summary, StageError> {
    let p = ctx.params;
    let frequencies = frequencies(p)?;
    let tolerance = p.positive_or("tolerance", 0.005)?;
    let plots = p.bool_or("plots", true)?;
    let samples = read_samples(ctx)?;
    let mut warnings = Vec::new();
    let stresses: Vec<[f64; 6]> = samples.iter().map(|s| s.stress_gpa).collect();
    let kernels = families::from_inputs(ctx)?;
    let kernel = match kernels.as_slice() {
        [] => {
            let tau = p.positive_or("damping_time_ps", 1.0)?;
            Kernel {
                label: format!("markovian ν = 1/τ_d = {} 1/ps", 1.0 / tau),
                kernel: friction(ctx.registry, 1.0 / tau)?,
            }
        }
        [family] => {
            if p.contains("damping_time_ps") {
                return Err(ParamError::new(
                    p.path("damping_time_ps"),
                    format!(
                        "is given beside the kernel stage `{}`; drop one (one source of the \
                         friction)",
                        family.label
                    ),
                )
                .into());
            }
            from_family(family)?
        }
        more => {
            return Err(StageError::Failed(format!(
                "predict mode takes at most one upstream `kernel` stage, found {} ({}); give \
                 each its own `response` stage",
                more.len(),
                more.iter()
                    .map(|f| f.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };

    let omegas: Vec<f64> = frequencies.iter().map(|f| omega_of_thz(*f)).collect();
    ctx.progress.set_total(samples.len() as u64 + 1);
    let mut predictions = Vec::with_capacity(samples.len());
    for (i, (s, stress)) in samples.iter().zip(&stresses).enumerate() {
        ctx.progress.message(&s.name);
        predictions.push(predict(
            &s.affine,
            stress,
            &s.modes,
            kernel.kernel.as_ref(),
            &omegas,
        ));
        ctx.progress.set_position(i as u64 + 1);
    }
    write(
        &ctx.out_dir.join("predicted.csv"),
        &predicted_csv(&samples, &predictions),
    )?;
    write(
        &ctx.out_dir.join("moduli.csv"),
        &moduli_csv(&samples, &predictions),
    )?;

    let measured = read_measured(ctx)?;
    let compared = compare(
        ctx.registry,
        &samples,
        &stresses,
        &measured,
        &kernel,
        &kernels,
        &mut warnings,
    )?;
    let claims = claims(&compared, tolerance);
    if !measured.is_empty() {
        write(
            &ctx.out_dir.join("comparison.csv"),
            &comparison_csv(&compared),
        )?;
    }
    if plots {
        for (stem, fig) in figures(
            ctx.registry,
            &samples,
            &stresses,
            &predictions,
            &compared,
            &frequencies,
        ) {
            let scale = Scale {
                log_x: true,
                log_y: true,
                legend_lower: true,
            };
            if let Err(e) = fig.write_scaled(&ctx.out_dir.join(&stem), scale) {
                warnings.push(format!("plot {stem}: {e}"));
            }
        }
    }
    let file = PredictFile {
        kernel: &kernel.label,
        frequencies_thz: &frequencies,
        samples: samples
            .iter()
            .zip(&stresses)
            .map(|(s, stress)| SampleRecord {
                name: s.name.clone(),
                volume_a3: s.affine.volume_a3,
                stress_gpa: *stress,
                born_gpa: s.affine.born_gpa,
            })
            .collect(),
        tolerance,
        comparison_points: compared.len(),
        claims: &claims,
        warnings: &warnings,
    };
    let json = serde_json::to_string_pretty(&file)
        .map_err(|e| StageError::Failed(format!("predict.json: {e}")))?;
    write(&ctx.out_dir.join("predict.json"), &(json + "\n"))?;
    ctx.progress.set_position(samples.len() as u64 + 1);
    Ok(summary(
        &samples,
        &predictions,
        &frequencies,
        &kernel,
        &compared,
        &claims,
        &warnings,
    ))
}

/// `frequencies_thz`, or 31 log-spaced from 0.01 to 10 THz.
fn frequencies(p: &Params) -> Result<Vec<f64>, StageError> {
    if !p.contains("frequencies_thz") {
        return Ok(log_spaced_thz(0.01, 10.0, 31));
    }
    let f = p.numbers("frequencies_thz")?;
    if f.is_empty() || f.iter().any(|x| !(*x > 0.0 && x.is_finite())) {
        return Err(ParamError::new(
            p.path("frequencies_thz"),
            "give at least one positive, finite frequency in THz",
        )
        .into());
    }
    Ok(f)
}

/// The Markovian kernel ν̃ = `nu_per_ps` (1/ps) through the registry: the
/// friction of Langevin dynamics with damping time 1/ν.
fn friction(registry: &Registry, nu_per_ps: f64) -> Result<Box<dyn MemoryKernel>, StageError> {
    let params = Params::from_pairs("predict.kernel", &format!("nu0={nu_per_ps:e}"))?;
    Ok(registry.kernel("markovian", &params)?)
}

/// The kernel of an upstream kernel stage, its parameters read in ps.
fn from_family(family: &Family) -> Result<Kernel, StageError> {
    let values: Vec<f64> = family.free.iter().map(|f| f.start).collect();
    let kernel = family.build(&values).ok_or_else(|| {
        StageError::Failed(format!(
            "kernel stage `{}` (`{}`): could not build the kernel from its parameters",
            family.label, family.plugin
        ))
    })?;
    let params: Vec<String> = kernel
        .parameters()
        .iter()
        .map(|(n, v, u)| format!("{n} = {v} {}", u.replace("time", "ps")))
        .collect();
    Ok(Kernel {
        label: format!(
            "{} (kernel stage `{}`: {})",
            family.plugin,
            family.label,
            params.join(", ")
        ),
        kernel,
    })
}

/// Every upstream `oscillate` stage's `oscillate.csv`, with its branch.
fn read_measured(ctx: &StageContext<'_>) -> Result<Vec<(String, MeasuredPoint)>, StageError> {
    let mut out = Vec::new();
    for input in ctx.inputs_of_kind("oscillate") {
        let path = input.dir.join("oscillate.csv");
        let points = read_oscillate_csv(&path).map_err(|e| StageError::Failed(e.to_string()))?;
        out.extend(points.into_iter().map(|p| (input.branch.clone(), p)));
    }
    Ok(out)
}

/// `k=v` pairs of a sweep label.
fn pairs(branch: &str) -> Vec<&str> {
    branch.split(',').filter(|s| !s.is_empty()).collect()
}

/// The sample an MD point was measured on: the same structure name, and a
/// spectrum branch whose sweep values all appear in the MD point's branch.
fn sample_of(
    samples: &[Sample],
    branch: &str,
    point: &MeasuredPoint,
) -> Result<Option<usize>, StageError> {
    let md = pairs(branch);
    let found: Vec<usize> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.structure == point.structure && pairs(&s.branch).iter().all(|kv| md.contains(kv))
        })
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [i] => Ok(Some(*i)),
        more => Err(StageError::Failed(format!(
            "MD point of structure `{}` [{branch}] matches {} spectrum samples ({}); sweep the \
             spectrum and oscillate stages over the same keys so each point names one glass",
            point.structure,
            more.len(),
            more.iter()
                .map(|i| samples[*i].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Each MD point beside the theory for its glass and thermostat.
fn compare(
    registry: &Registry,
    samples: &[Sample],
    stresses: &[[f64; 6]],
    measured: &[(String, MeasuredPoint)],
    kernel: &Kernel,
    kernel_stages: &[Family],
    warnings: &mut Vec<String>,
) -> Result<Vec<Compared>, StageError> {
    let mut out = Vec::new();
    let mut unmatched = Vec::new();
    let mut disagreements: Vec<String> = Vec::new();
    for (branch, m) in measured {
        let Some(i) = sample_of(samples, branch, m)? else {
            unmatched.push(format!("{} [{branch}]", m.structure));
            continue;
        };
        let s = &samples[i];
        let w = m.omega_rad_per_ps;
        let langevin;
        let used: &dyn MemoryKernel =
            match (m.thermostat, m.damping_time_ps) {
                (ThermostatKind::Langevin, Some(tau)) if tau > 0.0 => {
                    langevin = friction(registry, 1.0 / tau)?;
                    if let Some(f) = kernel_stages.first() {
                        let theirs = kernel.kernel.nu_freq(w);
                        let gap = (theirs - Complex64::new(1.0 / tau, 0.0)).norm() * tau;
                        if gap > 1e-6 {
                            let text =
                                format!(
                            "kernel stage `{}` gives ν̃ = {:.4e} {:+.4e}i 1/ps at {} THz, but \
                             the MD's Langevin friction is 1/τ_d = {:.4e} 1/ps; the comparison \
                             uses the MD's",
                            f.label, theirs.re, theirs.im, m.frequency_thz, 1.0 / tau
                        );
                            if disagreements.len() < 3 {
                                disagreements.push(text);
                            }
                        }
                    }
                    langevin.as_ref()
                }
                _ if !kernel_stages.is_empty() => kernel.kernel.as_ref(),
                _ => {
                    warnings.push(format!(
                        "MD point {} {} at {} THz ({} thermostat): no friction model (only a \
                     Langevin thermostat gives one without a kernel stage); skipped",
                        m.structure, m.component, m.frequency_thz, m.thermostat
                    ));
                    continue;
                }
            };
        let a = m.component.voigt_index();
        let c = predicted_moduli(&s.affine, &s.modes, used, w);
        let theory = crate::predict::box_strain_response(&c, &stresses[i])[a][a];
        out.push(compared(m, s, theory));
    }
    warnings.extend(disagreements);
    if !unmatched.is_empty() {
        unmatched.sort();
        unmatched.dedup();
        return Err(StageError::Failed(format!(
            "MD points of structures with no spectrum sample: {}; the oscillate stage must \
             measure the glasses of the hessian/spectrum stages (same structure names)",
            unmatched.join(", ")
        )));
    }
    Ok(out)
}

fn compared(m: &MeasuredPoint, s: &Sample, theory: Complex64) -> Compared {
    let md = Complex64::new(m.storage_gpa, m.loss_gpa);
    let chi2 = match (m.storage_err_gpa, m.loss_err_gpa) {
        (Some(e1), Some(e2)) if e1 > 0.0 && e2 > 0.0 => {
            Some(((md.re - theory.re) / e1).powi(2) + ((md.im - theory.im) / e2).powi(2))
        }
        _ => None,
    };
    Compared {
        structure: m.structure.clone(),
        sample: s.name.clone(),
        component: m.component.as_str(),
        frequency_thz: m.frequency_thz,
        omega_rad_per_ps: m.omega_rad_per_ps,
        temperature_k: m.temperature_k,
        thermostat: m.thermostat.as_str(),
        damping_time_ps: m.damping_time_ps,
        strain_amplitude: m.strain_amplitude,
        md_storage_gpa: m.storage_gpa,
        md_loss_gpa: m.loss_gpa,
        md_storage_err_gpa: m.storage_err_gpa,
        md_loss_err_gpa: m.loss_err_gpa,
        theory_storage_gpa: theory.re,
        theory_loss_gpa: theory.im,
        relative_deviation: (md - theory).norm() / md.norm(),
        loss_angle_difference_rad: md.arg() - theory.arg(),
        chi2,
        md_volume_a3: m.volume_a3,
        theory_volume_a3: s.affine.volume_a3,
    }
}

/// Groups of points one claim speaks about: (T, thermostat, τ_d, component).
fn groups(compared: &[Compared]) -> Vec<Vec<&Compared>> {
    let mut out: Vec<Vec<&Compared>> = Vec::new();
    for c in compared {
        let same = |o: &&Compared| {
            o.temperature_k == c.temperature_k
                && o.thermostat == c.thermostat
                && o.damping_time_ps == c.damping_time_ps
                && o.component == c.component
        };
        match out.iter_mut().find(|g| g.first().is_some_and(same)) {
            Some(g) => g.push(c),
            None => out.push(vec![c]),
        }
    }
    out
}

fn describe(c: &Compared) -> String {
    let thermostat = match c.damping_time_ps {
        Some(t) => format!("{} τ_d = {t} ps", c.thermostat),
        None => c.thermostat.to_string(),
    };
    format!("T = {} K, {thermostat}, {}", c.temperature_k, c.component)
}

/// The claims: at T = 0 (no MD errors) the deviation bound; with errors the
/// χ² per degree of freedom (two per point) against 1 + 3·sqrt(2/dof) (three
/// standard deviations of χ²/dof) and the power of the test: the smallest
/// uniform relative shift δ of C* that the errors resolve at 2σ,
/// δ_min = 2 / sqrt(Σ_p (C'_p/σ'_p)² + (C''_p/σ''_p)²).
fn claims(compared: &[Compared], tolerance: f64) -> Vec<Claim> {
    let mut out = Vec::new();
    for g in groups(compared) {
        let first = g[0];
        let worst = g
            .iter()
            .copied()
            .max_by(|a, b| a.relative_deviation.total_cmp(&b.relative_deviation))
            .unwrap_or(first);
        let worst_angle = g
            .iter()
            .map(|c| c.loss_angle_difference_rad.abs())
            .fold(0.0, f64::max);
        let lo = g
            .iter()
            .map(|c| c.frequency_thz)
            .fold(f64::INFINITY, f64::min);
        let hi = g.iter().map(|c| c.frequency_thz).fold(0.0, f64::max);
        let n = g.len() as f64;
        let chi2: Vec<f64> = g.iter().filter_map(|c| c.chi2).collect();
        let mut numbers = vec![
            ("points".to_string(), n),
            (
                "worst_relative_deviation".to_string(),
                worst.relative_deviation,
            ),
            ("worst_at_thz".to_string(), worst.frequency_thz),
            ("worst_loss_angle_difference_rad".to_string(), worst_angle),
            (
                "mean_relative_deviation".to_string(),
                g.iter().map(|c| c.relative_deviation).sum::<f64>() / n,
            ),
        ];
        if chi2.len() == g.len() {
            let dof = 2.0 * n;
            let total: f64 = chi2.iter().sum();
            let bound = 1.0 + 3.0 * (2.0 / dof).sqrt();
            let information: f64 = g
                .iter()
                .map(|c| {
                    let (e1, e2) = (
                        c.md_storage_err_gpa.unwrap_or(f64::INFINITY),
                        c.md_loss_err_gpa.unwrap_or(f64::INFINITY),
                    );
                    (c.md_storage_gpa / e1).powi(2) + (c.md_loss_gpa / e2).powi(2)
                })
                .sum();
            numbers.push(("chi2".into(), total));
            numbers.push(("chi2_per_dof".into(), total / dof));
            numbers.push(("chi2_per_dof_bound".into(), bound));
            numbers.push(("resolvable_relative_shift".into(), 2.0 / information.sqrt()));
            out.push(Claim {
                claim: format!(
                    "{}: theory within the MD errors from {lo} to {hi} THz (χ²/dof ≤ {bound:.2}; \
                     resolves a uniform shift of {:.1} %)",
                    describe(first),
                    200.0 / information.sqrt()
                ),
                holds: total / dof <= bound,
                numbers,
            });
        } else {
            out.push(Claim {
                claim: format!(
                    "{}: |C*_MD − C*_theory|/|C*| ≤ {} % from {lo} to {hi} THz (worst {:.3} % at \
                     {} THz)",
                    describe(first),
                    100.0 * tolerance,
                    100.0 * worst.relative_deviation,
                    worst.frequency_thz
                ),
                holds: worst.relative_deviation <= tolerance,
                numbers,
            });
        }
    }
    out
}

fn predicted_csv(samples: &[Sample], predictions: &[Vec<Prediction>]) -> String {
    let mut csv = String::from(
        "sample,omega_rad_per_ps,frequency_thz,stress,strain,storage_gpa,loss_gpa,\
         box_storage_gpa,box_loss_gpa\n",
    );
    for (s, preds) in samples.iter().zip(predictions) {
        for p in preds {
            let nu = p.omega_rad_per_ps / (2.0 * std::f64::consts::PI);
            for (b, stress) in VOIGT.iter().enumerate() {
                for (a, strain) in VOIGT.iter().enumerate() {
                    let (c, m) = (p.moduli[b][a], p.box_strain[b][a]);
                    let _ = writeln!(
                        csv,
                        "{},{:.10e},{:.10e},{},{},{:.10e},{:.10e},{:.10e},{:.10e}",
                        s.name, p.omega_rad_per_ps, nu, stress, strain, c.re, c.im, m.re, m.im
                    );
                }
            }
        }
    }
    csv
}

fn moduli_csv(samples: &[Sample], predictions: &[Vec<Prediction>]) -> String {
    let mut csv =
        String::from("sample,omega_rad_per_ps,frequency_thz,modulus,storage_gpa,loss_gpa\n");
    for (s, preds) in samples.iter().zip(predictions) {
        for p in preds {
            let nu = p.omega_rad_per_ps / (2.0 * std::f64::consts::PI);
            let iso = &p.isotropic;
            for (name, c) in [
                ("E", iso.young),
                ("G", iso.shear),
                ("K", iso.bulk),
                ("C11", iso.uniaxial),
            ] {
                let _ = writeln!(
                    csv,
                    "{},{:.10e},{:.10e},{name},{:.10e},{:.10e}",
                    s.name, p.omega_rad_per_ps, nu, c.re, c.im
                );
            }
        }
    }
    csv
}

fn comparison_csv(compared: &[Compared]) -> String {
    let opt = |x: Option<f64>| x.map(|v| format!("{v:.6e}")).unwrap_or_default();
    let mut csv = String::from(
        "structure,sample,component,frequency_thz,omega_rad_per_ps,temperature_k,thermostat,\
         damping_time_ps,strain_amplitude,md_storage_gpa,md_loss_gpa,md_storage_err_gpa,\
         md_loss_err_gpa,theory_storage_gpa,theory_loss_gpa,relative_deviation,\
         loss_angle_difference_rad,chi2,md_volume_a3,theory_volume_a3\n",
    );
    for c in compared {
        let _ = writeln!(
            csv,
            "{},{},{},{},{:.10e},{},{},{},{},{:.8e},{:.8e},{},{},{:.8e},{:.8e},{:.6e},{:.6e},{},{:.8e},{:.8e}",
            c.structure,
            c.sample,
            c.component,
            c.frequency_thz,
            c.omega_rad_per_ps,
            c.temperature_k,
            c.thermostat,
            c.damping_time_ps.map(|t| t.to_string()).unwrap_or_default(),
            c.strain_amplitude,
            c.md_storage_gpa,
            c.md_loss_gpa,
            opt(c.md_storage_err_gpa),
            opt(c.md_loss_err_gpa),
            c.theory_storage_gpa,
            c.theory_loss_gpa,
            c.relative_deviation,
            c.loss_angle_difference_rad,
            opt(c.chi2),
            c.md_volume_a3,
            c.theory_volume_a3
        );
    }
    csv
}

const STORAGE: (u8, u8, u8) = (31, 119, 180);
const LOSS: (u8, u8, u8) = (214, 39, 40);
const SHEAR_STORAGE: (u8, u8, u8) = (44, 160, 44);
const SHEAR_LOSS: (u8, u8, u8) = (148, 103, 189);

/// E', E'', G', G'' over ν (mean of the samples), and per (T, thermostat,
/// component) the MD points (mean over structures, errors combined) with
/// error bars over the theory for the same glasses and friction.
fn figures(
    registry: &Registry,
    samples: &[Sample],
    stresses: &[[f64; 6]],
    predictions: &[Vec<Prediction>],
    compared: &[Compared],
    frequencies: &[f64],
) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    let n = predictions.len() as f64;
    let (lo, hi) = frequencies
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), f| (a.min(*f), b.max(*f)));
    if n > 0.0 && hi > lo {
        let mean = |pick: &dyn Fn(&Prediction) -> f64| -> Vec<(f64, f64)> {
            (0..frequencies.len())
                .map(|k| {
                    (
                        frequencies[k],
                        predictions.iter().map(|p| pick(&p[k])).sum::<f64>() / n,
                    )
                })
                .collect()
        };
        let line = |label: &str, color, style, points| Series {
            label: label.into(),
            points,
            color,
            style,
            band: Vec::new(),
        };
        out.push((
            "predicted".to_string(),
            Figure {
                title: format!("Predicted E*(ν), G*(ν) (mean of {} samples)", samples.len()),
                x_label: "ν (THz)".into(),
                y_label: "modulus (GPa)".into(),
                x_range: (lo, hi),
                series: vec![
                    line("E'", STORAGE, Style::Line, mean(&|p| p.isotropic.young.re)),
                    line("E''", LOSS, Style::Line, mean(&|p| p.isotropic.young.im)),
                    line(
                        "G'",
                        SHEAR_STORAGE,
                        Style::Dashed,
                        mean(&|p| p.isotropic.shear.re),
                    ),
                    line(
                        "G''",
                        SHEAR_LOSS,
                        Style::Dashed,
                        mean(&|p| p.isotropic.shear.im),
                    ),
                ],
                marker: None,
            },
        ));
    }
    for g in groups(compared) {
        let first = g[0];
        let structures: Vec<&str> = {
            let mut v: Vec<&str> = g.iter().map(|c| c.sample.as_str()).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut freqs: Vec<f64> = g.iter().map(|c| c.frequency_thz).collect();
        freqs.sort_by(f64::total_cmp);
        freqs.dedup();
        let (flo, fhi) = (freqs[0] / 1.5, freqs[freqs.len() - 1] * 1.5);
        // Theory line: mean over the same glasses of M*_aa with the MD's friction.
        let a = VOIGT
            .iter()
            .position(|v| *v == first.component)
            .unwrap_or(0);
        let grid = log_spaced_thz(flo, fhi, 80);
        let kernel = match first.damping_time_ps {
            Some(t) if first.thermostat == "langevin" => match friction(registry, 1.0 / t) {
                Ok(k) => k,
                Err(_) => continue,
            },
            _ => continue,
        };
        let theory: Vec<Complex64> = grid
            .iter()
            .map(|f| {
                let mut sum = Complex64::new(0.0, 0.0);
                let mut count = 0.0f64;
                for name in &structures {
                    if let Some(i) = samples.iter().position(|s| s.name == *name) {
                        let s = &samples[i];
                        let c = predicted_moduli(
                            &s.affine,
                            &s.modes,
                            kernel.as_ref(),
                            omega_of_thz(*f),
                        );
                        sum += crate::predict::box_strain_response(&c, &stresses[i])[a][a];
                        count += 1.0;
                    }
                }
                sum / count.max(1.0)
            })
            .collect();
        let mut md = Vec::new();
        for f in &freqs {
            let at: Vec<&&Compared> = g.iter().filter(|c| c.frequency_thz == *f).collect();
            let k = at.len() as f64;
            let mean = |x: &dyn Fn(&Compared) -> f64| at.iter().map(|c| x(c)).sum::<f64>() / k;
            let err = |x: &dyn Fn(&Compared) -> Option<f64>| {
                at.iter()
                    .map(|c| x(c).unwrap_or(0.0).powi(2))
                    .sum::<f64>()
                    .sqrt()
                    / k
            };
            md.push((
                *f,
                mean(&|c| c.md_storage_gpa),
                err(&|c| c.md_storage_err_gpa),
                mean(&|c| c.md_loss_gpa),
                err(&|c| c.md_loss_err_gpa),
            ));
        }
        let series = vec![
            Series {
                label: "C' theory".into(),
                points: grid.iter().zip(&theory).map(|(f, c)| (*f, c.re)).collect(),
                color: STORAGE,
                style: Style::Line,
                band: Vec::new(),
            },
            Series {
                label: "C'' theory".into(),
                points: grid.iter().zip(&theory).map(|(f, c)| (*f, c.im)).collect(),
                color: LOSS,
                style: Style::Line,
                band: Vec::new(),
            },
            Series {
                label: "C' MD".into(),
                points: md.iter().map(|m| (m.0, m.1)).collect(),
                color: STORAGE,
                style: Style::MarkersWithErrors,
                band: md.iter().map(|m| (m.0, m.1 - m.2, m.1 + m.2)).collect(),
            },
            Series {
                label: "C'' MD".into(),
                points: md.iter().map(|m| (m.0, m.3)).collect(),
                color: LOSS,
                style: Style::MarkersWithErrors,
                band: md.iter().map(|m| (m.0, m.3 - m.4, m.3 + m.4)).collect(),
            },
        ];
        out.push((
            format!("compare_T{}K_{}", first.temperature_k, first.component),
            Figure {
                title: format!(
                    "{}: MD (points) against theory (lines), mean of {} glass(es)",
                    describe(first),
                    structures.len()
                ),
                x_label: "ν (THz)".into(),
                y_label: format!("C*_{0}{0} (GPa)", first.component),
                x_range: (flo, fhi),
                series,
                marker: None,
            },
        ));
    }
    out
}

fn summary(
    samples: &[Sample],
    predictions: &[Vec<Prediction>],
    frequencies: &[f64],
    kernel: &Kernel,
    compared: &[Compared],
    claims: &[Claim],
    warnings: &[String],
) -> Summary {
    let mut s = Summary::new();
    s.text("mode", "predict")
        .text("kernel", &kernel.label)
        .int("samples", samples.len() as i64)
        .int("frequencies", frequencies.len() as i64)
        .int("warnings", warnings.len() as i64);
    for (sample, preds) in samples.iter().zip(predictions) {
        let mut ss = Summary::new();
        if let (Some(first), Some(last)) = (preds.first(), preds.last()) {
            for (tag, p) in [("lowest", first), ("highest", last)] {
                let nu = p.omega_rad_per_ps / (2.0 * std::f64::consts::PI);
                let mut ps = Summary::new();
                ps.float("frequency_thz", nu, 4);
                for (name, c) in [
                    ("e", p.isotropic.young),
                    ("g", p.isotropic.shear),
                    ("k", p.isotropic.bulk),
                ] {
                    ps.float(&format!("{name}_storage_gpa"), c.re, 4).float(
                        &format!("{name}_loss_gpa"),
                        c.im,
                        3,
                    );
                }
                ss.nested(tag, ps);
            }
            if let Some(peak) = preds
                .iter()
                .max_by(|a, b| a.isotropic.shear.im.total_cmp(&b.isotropic.shear.im))
            {
                ss.float(
                    "g_loss_peak_thz",
                    peak.omega_rad_per_ps / (2.0 * std::f64::consts::PI),
                    3,
                )
                .float("g_loss_peak_gpa", peak.isotropic.shear.im, 3);
            }
        }
        s.nested(&sample.name, ss);
    }
    if !compared.is_empty() {
        let mut cs = Summary::new();
        cs.int("points", compared.len() as i64);
        for (i, c) in claims.iter().enumerate() {
            cs.text(
                &format!("{i:02} {}", c.claim),
                if c.holds { "holds" } else { "does not hold" },
            );
        }
        s.nested("comparison", cs);
    }
    s
}

fn write(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}
