//! The `response` workflow stage (docs/theory.md §8; paper Figs. 3–4).
//!
//! Inputs: one or more `spectrum` stage folders (each `<sample>/modes.csv` and
//! `<sample>/sample.json` with C^B, V, the modes kind and the elastic Debye
//! frequency `debye.frequency_thz`) and one `reference` folder
//! (`reference.csv`; its time unit in seconds from `reference.json`,
//! [`nonaffine_reference::outputs::ReferenceOutput`]). Each sample is read as
//! the spectrum stage's typed [`nonaffine_spectrum::outputs::SampleOutput`]; it belongs to the reference temperature it records (its
//! structure's capture temperature, within 0.5 K); samples at one temperature
//! are averaged (their mode sums weighted by 1/(n V), i.e. the sample mean of
//! C*). Samples without a temperature (a structure file) serve every
//! temperature.
//!
//! Kernels: each upstream `kernel` stage is one fitted family; the kernel
//! declares its fit parameters and the kernel stage's values are the start
//! values (a kernel that declares none keeps its tabulated shape, `kernel.csv`,
//! and fits an amplitude scale only). See [`crate::families`].
//!
//! For each temperature, each kernel family (with the boson-peak spectrum) and
//! the `stretched-exp` family with the `debye` control spectrum, and each fit
//! mode, the stage runs [`crate::calibrate`]. The control's ω_D is the
//! spectrum stage's elastic Debye frequency averaged over the temperature's
//! samples (5⟨ω²⟩/3 of the modes only as a fallback, with a warning); it needs
//! complete spectra and refuses `arpack` or `lanczos` upstream. The time
//! scale a kernel declares is held fixed: it is degenerate with the time shift.
//!
//! | file | content |
//! |---|---|
//! | `fit.json` | per temperature and model: parameters with units and standard errors, χ², R², AIC, BIC, τ_m (s), regime; the claims table with verdicts and numbers; the debye control's ω_D per temperature (source, THz); the paper's values |
//! | `response.csv` | `temperature_k,model,spectrum,mode,omega,storage,loss,tan_delta`: fitted theory on the reference ω grid |
//! | `fig3_storage.{png,svg}`, `fig4_loss.{png,svg}`, `tan_delta.{png,svg}` | reference (lines) and the stretched-exp fit (symbols) at every temperature, log-log axes, ω in rad/s, moduli in the reference's unit σ0/ε0 |
//! | `kernel_time.{png,svg}`, `kernel_freq.{png,svg}` | ν(t)/ν(0) of the fitted kernels against t in s; ν1, ν2 of the fitted stretched-exp kernels in 1/s against ω in rad/s |
//!
//! The code, in the order the stage runs:
//!
//! | module | concern |
//! |---|---|
//! | this one | parameters, inputs contract, the fit jobs per temperature × kernel × spectrum × mode, `fit.json`, `response.csv`, the summary |
//! | `samples` | the spectrum samples, reference curves and time unit; samples per temperature averaged into one mode sum; the debye control's ω_D |
//! | `claims` | the paper's claims tested on the fits |
//! | `figures` | Fig. 3/4 analogues, the loss tangent, the fitted kernels |
//! | `predict_stage` (beside this module) | `modes: [predict]`: the parameter-free prediction and its MD comparison |

mod claims;
mod figures;
mod samples;

pub(crate) use samples::{read_samples, Sample};

use crate::families::{self, Family};
use crate::{
    calibrate_from, debye_control, Affine, Calibration, Estimate, FitMode, KernelModel, Target,
};
use claims::{claims, Claim};
use figures::figures;
use nonaffine_core::{
    check_input_kinds, InputSpec, InputsError, Modes, ParamError, ParamKind, ParamSpec, Params,
    PluginInfo, Registry, Stage, StageContext, StageError, Summary,
};
use samples::{
    average, choose, debye_frequency, read_reference, reference_time_unit, refuse_incomplete,
    DebyeFrequency,
};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Registry entry of the stage.
pub const INFO: PluginInfo = PluginInfo {
    name: "response",
    version: "5",
    doc: "Calibrates E*(ω) from upstream `spectrum` samples (averaged per temperature) and \
          the upstream `kernel` stages (each kernel's declared fit parameters, started from \
          the kernel stage's values) against an upstream `reference` stage: each kernel with the boson-peak spectrum, stretched-exp with the debye \
          control. Writes fit.json (parameters ± errors, χ², R², AIC, the paper's claims with \
          verdicts), response.csv and Fig. 3/4 analogues.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "modes", kind: ParamKind::TextList, unit: "", default: Some("[paper]"), doc: "fit modes: paper (Eqs. 6-7, free E_A, A, B) and/or consistent (C^B and 1/V as derived, one scale); the first decides the claims. Or [predict] alone: the parameter-free C*(ω), E*, G*, K* at physical frequencies (kernel in ps; no reference), compared with upstream `oscillate` MD points when given" },
    ParamSpec { name: "frequencies_thz", kind: ParamKind::NumberList, unit: "THz", default: Some("31 log-spaced from 0.01 to 10"), doc: "predict mode: frequencies ν = ω/2π of predicted.csv and moduli.csv" },
    ParamSpec { name: "damping_time_ps", kind: ParamKind::Number, unit: "ps", default: Some("1"), doc: "predict mode without an upstream kernel stage: Markovian friction ν = 1/τ_d (LAMMPS fix langevin's damping time); MD comparisons use each point's own thermostat instead" },
    ParamSpec { name: "tolerance", kind: ParamKind::Number, unit: "", default: Some("0.005"), doc: "predict mode: the claim at T = 0 is |C*_MD − C*_theory|/|C*| ≤ tolerance at every measured frequency" },
    ParamSpec { name: "debye_control", kind: ParamKind::Bool, unit: "", default: Some("true"), doc: "also fit stretched-exp with the debye control spectrum (Debye-law D(ω) up to the spectrum stage's elastic ω_D, the glass's Γ(ω): no boson-peak excess); needs complete spectra (solver dense)" },
    ParamSpec { name: "shells", kind: ParamKind::Integer, unit: "", default: Some("40"), doc: "frequency shells of Γ(ω) for the debye control" },
    ParamSpec { name: "starts", kind: ParamKind::Integer, unit: "", default: Some("4"), doc: "Levenberg-Marquardt starts per fit: the best distinct minima of the scans over the shift (from the kernel stage's start values and the further starts each kernel parameter declares); each gets 25 iterations, the best is refined" },
    ParamSpec { name: "time_unit_s", kind: ParamKind::Number, unit: "s", default: Some("(the reference stage's)"), doc: "the reference's time unit in seconds; it comes from the reference stage (reference.json), so give it only as a check: it must agree" },
    ParamSpec { name: "signal_floor", kind: ParamKind::Number, unit: "", default: Some("1e-3"), doc: "reference points with E' or E'' below this fraction of their maximum are not fitted" },
    ParamSpec { name: "plots", kind: ParamKind::Bool, unit: "", default: Some("true"), doc: "write PNG and SVG figures" },
];

/// The paper's fitted stretched-exp values (Cui et al.), for comparison:
/// (T in K, b, r in the paper's time unit^-b); ν0 = [`PAPER_NU0`] throughout.
pub const PAPER_VALUES: [(f64, f64, f64); 3] = [
    (670.0, 0.72, 1.2e-6),
    (603.0, 0.58, 7e-6),
    (536.0, 0.58, 3.4e-6),
];
/// The paper's ν0.
pub const PAPER_NU0: f64 = 0.137;
/// An AIC difference above this counts as "does not fit as well" (decisive evidence).
pub const AIC_MARGIN: f64 = 10.0;

/// The `response` stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResponseStage;

/// One fit as written to `fit.json`.
#[derive(Serialize)]
struct FitRecord {
    temperature_k: f64,
    kernel: String,
    kernel_stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    spectrum: &'static str,
    mode: FitMode,
    parameters: Vec<Estimate>,
    fixed: Vec<(String, f64, String)>,
    points: usize,
    chi2: f64,
    rms_log10: f64,
    r_squared: f64,
    aic: f64,
    bic: f64,
    memory_time_s: Option<f64>,
    loss_peak_omega: f64,
    coupling_at_peak: f64,
    regime: crate::Regime,
    model_time_unit_s: f64,
    #[serde(skip)]
    curve: Vec<(f64, f64, f64)>,
    /// Fitted free kernel parameters, natural units (to rebuild the kernel).
    #[serde(skip)]
    free_values: Vec<f64>,
}

impl FitRecord {
    fn value(&self, name: &str) -> Option<&Estimate> {
        self.parameters.iter().find(|e| e.name == name)
    }
}

#[derive(Serialize)]
struct FitFile<'a> {
    samples: Vec<(String, Option<f64>)>,
    /// The reference table's time unit (from the reference stage) and its seconds.
    time_unit: &'a str,
    time_unit_s: f64,
    aic_margin: f64,
    fits: &'a [FitRecord],
    claims: &'a [Claim],
    /// ω_D of the debye control per temperature (empty without the control).
    debye_control: Vec<DebyeFrequency>,
    paper: serde_json::Value,
    warnings: Vec<String>,
}

/// The upstream kinds the stage reads.
const INPUTS: &[InputSpec] = &[
    InputSpec {
        kind: "spectrum",
        required: true,
        doc: "the modes, Ξ̂, Born moduli and volume of each sample",
    },
    InputSpec {
        kind: "kernel",
        required: false,
        doc: "a kernel family to fit (calibration), or the friction of a prediction",
    },
    InputSpec {
        kind: "reference",
        required: false,
        doc: "the relaxation data a calibration fits",
    },
    InputSpec {
        kind: "oscillate",
        required: false,
        doc: "MD points a prediction is compared with",
    },
];

/// The fit modes of `modes` (default `[paper]`); empty for `[predict]`,
/// which is a mode of its own.
fn fit_modes(p: &Params) -> Result<Vec<FitMode>, ParamError> {
    let names = if p.contains("modes") {
        p.texts("modes")?
    } else {
        vec!["paper".into()]
    };
    if names.iter().any(|m| m == "predict") {
        if names.len() > 1 {
            return Err(ParamError::new(
                p.path("modes"),
                "`predict` is a mode of its own (no fit, no reference); give it to a \
                 second `response` stage and keep the fit modes here",
            ));
        }
        return Ok(Vec::new());
    }
    let modes = names
        .iter()
        .map(|m| match m.as_str() {
            "paper" => Ok(FitMode::Paper),
            "consistent" => Ok(FitMode::Consistent),
            other => Err(ParamError::new(
                p.path("modes"),
                format!("`{other}` is not one of: paper, consistent, predict"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if modes.is_empty() {
        return Err(ParamError::new(p.path("modes"), "give at least one mode"));
    }
    Ok(modes)
}

impl Stage for ResponseStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(INPUTS)
    }

    /// Calibration needs spectra, a reference and at least one kernel; the
    /// predict mode needs spectra and reads kernels and MD points, never a
    /// reference.
    fn check_inputs(&self, params: &Params, kinds: &[&str]) -> Result<(), InputsError> {
        check_input_kinds(INFO.name, INPUTS, kinds)?;
        let Ok(modes) = fit_modes(params) else {
            return Ok(()); // `check` reports the modes
        };
        let missing = |what: &str| Err(InputsError::Missing(what.to_string()));
        if modes.is_empty() {
            if let Some(i) = kinds.iter().position(|k| *k == "reference") {
                return Err(InputsError::Unexpected {
                    index: i,
                    stage_kind: "response (modes: [predict])".into(),
                    found: "reference".into(),
                    expected: "`spectrum`, `kernel` and `oscillate` (a prediction has no fit; \
                               calibrate against the reference in a second response stage)"
                        .into(),
                });
            }
        } else if !kinds.contains(&"reference") {
            return missing(
                "a calibrating `response` needs a `reference` stage in `inputs` (the data it \
                 fits); for a parameter-free prediction set `modes: [predict]`",
            );
        } else if !kinds.contains(&"kernel") {
            return missing(
                "a calibrating `response` fits the kernel of each `kernel` stage in `inputs` \
                 (its parameters are the start values); add one (`stage: kernel`, \
                 `params: { plugin: NAME, ... }`) and list it in `inputs`",
            );
        }
        Ok(())
    }

    /// Known keys and the fit modes; predict mode's own values.
    fn check(&self, params: &Params, _: &Registry) -> Result<(), StageError> {
        params.check_known(PARAMS)?;
        if fit_modes(params)?.is_empty() {
            crate::predict_stage::check(params)?;
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let p = ctx.params;
        p.check_known(PARAMS)?;
        let fit_modes = fit_modes(p)?;
        if fit_modes.is_empty() {
            return crate::predict_stage::run(ctx);
        }
        let families = families::from_inputs(ctx)?;
        if families.is_empty() {
            return Err(StageError::Failed(
                "no upstream `kernel` stage: the response fits the kernel of each `kernel` \
                 stage in `inputs` (its parameters are the start values); add one \
                 (`stage: kernel`, `params: { plugin: NAME, ... }`) and list it in `inputs`"
                    .into(),
            ));
        }
        // The paper's control: its stretched-exp kernel with the debye spectrum.
        let stretched = families.iter().find(|f| f.plugin == "stretched-exp");
        let control = p.bool_or("debye_control", true)?;
        let shells = p.count_or("shells", 40)?.max(1) as usize;
        let starts = p.count_or("starts", 4)?.max(1) as usize;
        let signal_floor = p.number_or("signal_floor", 1e-3)?;
        let plots = p.bool_or("plots", true)?;

        let samples = read_samples(ctx)?;
        let references = read_reference(ctx)?;
        let (time_unit, time_unit_s) = reference_time_unit(ctx, p)?;
        let mut warnings = Vec::new();
        let control = match (stretched, control) {
            (Some(f), true) => Some(f),
            (None, true) => {
                warnings.push(
                    "no `stretched-exp` kernel among the upstream kernel stages: the debye \
                     control (stretched-exp with the debye spectrum) was not fitted"
                        .into(),
                );
                None
            }
            (_, false) => None,
        };

        // Per temperature: the averaged spectrum, its debye control, the target.
        let mut sets = Vec::with_capacity(references.len());
        let mut debye_used = Vec::new();
        for reference in &references {
            let t = reference.temperature_k;
            let chosen = choose(&samples, t, &mut warnings)?;
            let (modes, affine) = average(&chosen);
            let debye = match control {
                Some(_) => {
                    refuse_incomplete(&chosen)?;
                    match debye_frequency(t, &chosen, &modes, &mut warnings) {
                        Some(d) => {
                            let m = debye_control(&modes, d.omega_sqrt_ev_per_a2_amu, shells);
                            debye_used.push(d);
                            m
                        }
                        None => Modes::default(),
                    }
                }
                None => Modes::default(),
            };
            let target = Target {
                omega: reference.omega.clone(),
                storage: reference.storage.clone(),
                loss: reference.loss.clone(),
                time_unit_seconds: time_unit_s,
                signal_floor,
            };
            sets.push((t, modes, debye, affine, target));
        }
        let mut jobs: Vec<Job<'_>> = Vec::new();
        for (set, (t, modes, debye, affine, target)) in sets.iter().enumerate() {
            let mut models: Vec<(&Family, &'static str, &Modes)> =
                families.iter().map(|f| (f, "boson_peak", modes)).collect();
            if let Some(f) = control {
                models.push((f, "debye", debye));
            }
            for (family, spectrum, modes) in models {
                for &mode in &fit_modes {
                    jobs.push(Job {
                        set,
                        t: *t,
                        family,
                        spectrum,
                        modes,
                        affine,
                        target,
                        mode,
                    });
                }
            }
        }
        ctx.progress.set_total(jobs.len() as u64);
        let fit_one = |job: &Job<'_>, starts: usize, seeds: &[Vec<f64>]| {
            let builder = |v: &[f64]| job.family.build(v);
            let model = KernelModel {
                plugin: job.family.plugin.clone(),
                free: job.family.free.clone(),
                build: &builder,
            };
            calibrate_from(
                job.affine, job.modes, &model, job.mode, job.target, starts, seeds,
            )
        };
        let done = AtomicU64::new(0);
        let first = in_parallel(&jobs, |job| {
            let r = fit_one(job, starts, &[]);
            ctx.progress.message(&format!(
                "T = {} K: {} ({})",
                job.t, job.family.label, job.spectrum
            ));
            ctx.progress
                .set_position(done.fetch_add(1, Ordering::Relaxed) + 1);
            r
        });
        // Second pass: each fit restarted from the optima of the same kernel
        // family and mode at the other temperatures and with the other
        // spectrum; kept where it lowers χ².
        let seeds_of = |i: usize| -> Vec<Vec<f64>> {
            let job = &jobs[i];
            jobs.iter()
                .zip(&first)
                .filter(|(o, _)| {
                    (o.set != job.set || o.spectrum != job.spectrum)
                        && o.family.label == job.family.label
                        && o.mode == job.mode
                })
                .filter_map(|(_, r)| r.as_ref().ok().map(|c| c.optimum.clone()))
                .collect()
        };
        let indices: Vec<usize> = (0..jobs.len()).collect();
        let second = in_parallel(&indices, |&i| {
            let seeds = seeds_of(i);
            (!seeds.is_empty())
                .then(|| fit_one(&jobs[i], 0, &seeds).ok())
                .flatten()
        });
        let mut fits: Vec<FitRecord> = Vec::new();
        for ((job, first), second) in jobs.iter().zip(first).zip(second) {
            let best = match (first, second) {
                (Ok(a), Some(b)) if b.chi2 < a.chi2 => Ok(b),
                (Err(_), Some(b)) => Ok(b),
                (a, _) => a,
            };
            match best {
                Ok(c) => fits.push(record(job.t, job.family, job.spectrum, c)),
                Err(e) => warnings.push(format!(
                    "T = {} K, {} with the {} spectrum, {:?} mode: {e}",
                    job.t, job.family.label, job.spectrum, job.mode
                )),
            }
        }

        let claims = claims(&references, &fits, fit_modes[0]);
        let mut csv = String::from(
            "temperature_k,model,kernel_stage,spectrum,mode,omega,storage,loss,tan_delta\n",
        );
        for f in &fits {
            let mode = serde_json::to_value(f.mode)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            for (w, e1, e2) in &f.curve {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{mode},{w:.10e},{e1:.10e},{e2:.10e},{:.10e}",
                    f.temperature_k,
                    f.kernel,
                    f.kernel_stage,
                    f.spectrum,
                    e2 / e1
                );
            }
        }
        write(&ctx.out_dir.join("response.csv"), &csv)?;

        if plots {
            let mut plotted: Vec<&Family> = families.iter().collect();
            plotted.extend(control);
            for (stem, fig, scale) in
                figures(&references, &fits, fit_modes[0], &plotted, time_unit_s)
            {
                if let Err(e) = fig.write_scaled(&ctx.out_dir.join(stem), scale) {
                    warnings.push(format!("plot {stem}: {e}"));
                }
            }
        }

        let paper = serde_json::json!({
            "nu0": PAPER_NU0,
            "per_temperature": PAPER_VALUES.iter().map(|(t, b, r)| serde_json::json!({
                "temperature_k": t, "b": b, "r": r
            })).collect::<Vec<_>>(),
        });
        let file = FitFile {
            samples: samples
                .iter()
                .map(|s| (s.name.clone(), s.temperature_k))
                .collect(),
            time_unit: &time_unit,
            time_unit_s,
            aic_margin: AIC_MARGIN,
            fits: &fits,
            claims: &claims,
            debye_control: debye_used,
            paper,
            warnings: warnings.clone(),
        };
        let json = serde_json::to_string_pretty(&file)
            .map_err(|e| StageError::Failed(format!("fit.json: {e}")))?;
        write(&ctx.out_dir.join("fit.json"), &(json + "\n"))?;
        let mut s = summary(&samples, &fits, &claims, fit_modes[0], &warnings);
        s.text(
            "reference_time_unit",
            &format!("{time_unit} = {time_unit_s} s"),
        );
        Ok(s)
    }
}

/// One calibration to run: a model (kernel family × spectrum × mode) at one
/// temperature.
struct Job<'a> {
    set: usize,
    t: f64,
    family: &'a Family,
    spectrum: &'static str,
    modes: &'a Modes,
    affine: &'a Affine,
    target: &'a Target,
    mode: FitMode,
}

/// `f` over `items` on the machine's threads (independent fits), results in
/// item order.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

fn record(t: f64, fam: &Family, spectrum: &'static str, c: Calibration) -> FitRecord {
    let free_values = c.parameters[..fam.free.len()]
        .iter()
        .map(|e| e.value)
        .collect();
    FitRecord {
        temperature_k: t,
        kernel: fam.plugin.clone(),
        kernel_stage: fam.label.clone(),
        note: fam.note(),
        spectrum,
        mode: c.mode,
        parameters: c.parameters,
        fixed: fam.fixed.clone(),
        points: c.points,
        chi2: c.chi2,
        rms_log10: c.rms_log10,
        r_squared: c.r_squared,
        aic: c.aic,
        bic: c.bic,
        memory_time_s: c.memory_time_s,
        model_time_unit_s: c.model_time_unit_s,
        free_values,
        loss_peak_omega: c.loss_peak_omega,
        coupling_at_peak: c.coupling_at_peak,
        regime: c.regime,
        curve: c.curve,
    }
}

fn summary(
    samples: &[Sample],
    fits: &[FitRecord],
    claims: &[Claim],
    mode: FitMode,
    warnings: &[String],
) -> Summary {
    let mut s = Summary::new();
    s.int("samples", samples.len() as i64)
        .int("fits", fits.len() as i64)
        .int("warnings", warnings.len() as i64);
    let mut temps: Vec<f64> = fits.iter().map(|f| f.temperature_k).collect();
    temps.dedup();
    for t in temps {
        let mut ts = Summary::new();
        for f in fits
            .iter()
            .filter(|f| f.temperature_k == t && f.mode == mode)
        {
            let mut fs = Summary::new();
            // The free kernel parameters and the time shift.
            for e in f.parameters.iter().take(f.free_values.len() + 1) {
                fs.float(&e.name, e.value, 3);
            }
            fs.float("aic", f.aic, 3)
                .float("r_squared", f.r_squared, 3)
                .text("regime", &format!("{:?}", f.regime).to_lowercase());
            ts.nested(&format!("{}_{}", f.kernel_stage, f.spectrum), fs);
        }
        s.nested(&format!("T{t}K"), ts);
    }
    let mut cs = Summary::new();
    for (i, c) in claims.iter().enumerate() {
        let key = match c.temperature_k {
            Some(t) => format!("{i:02} T{t}K {}", c.claim),
            None => format!("{i:02} {}", c.claim),
        };
        cs.text(&key, if c.holds { "holds" } else { "does not hold" });
    }
    s.nested("claims", cs);
    s
}

fn write(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}
