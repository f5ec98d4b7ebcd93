//! The `response` workflow stage (docs/theory.md §8; paper Figs. 3–4).
//!
//! Inputs: one or more `spectrum` stage folders (each `<sample>/modes.csv` and
//! `<sample>/sample.json` with C^B, V, the modes kind and the elastic Debye
//! frequency `debye.frequency_thz`) and one `reference` folder
//! (`reference.csv`; its time unit in seconds from `reference.json`,
//! [`ReferenceOutput`]). Each sample is read as the spectrum stage's typed
//! [`SampleOutput`]; it belongs to the reference temperature it records (its
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

use crate::families::{self, Family};
use crate::{
    calibrate_from, debye_control, second_moment_debye_omega, Affine, Calibration, Estimate,
    FitMode, KernelModel, Target,
};
use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
use nonaffine_core::{
    check_input_kinds, InputSpec, InputsError, Modes, ModesKind, ParamError, ParamKind, ParamSpec,
    Params, PluginInfo, Registry, Stage, StageContext, StageError, Summary,
};
use nonaffine_numerics::log_grid;
use nonaffine_plot::{Figure, Scale, Series, Style};
use nonaffine_reference::outputs::ReferenceOutput;
use nonaffine_spectrum::modes_file::{read_modes_csv, response_modes};
use nonaffine_spectrum::outputs::{sample_dirs, SampleOutput};
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

/// One sample: its modes and affine part.
pub(crate) struct Sample {
    /// `<branch>/<structure>`, or the structure alone when not swept.
    pub name: String,
    /// The structure (the sample folder's name, the hessian stage's subfolder).
    pub structure: String,
    /// The sweep point label of its spectrum stage (`seed=1`), empty if none.
    pub branch: String,
    /// The upstream spectrum stage it came from.
    pub stage: String,
    pub temperature_k: Option<f64>,
    pub modes: Modes,
    /// What its modes are.
    pub kind: ModesKind,
    /// Elastic Debye ω_D of its sample.json (`debye.frequency_thz` / 15.633),
    /// sqrt(eV/(Å²·amu)).
    debye_omega: Option<f64>,
    pub affine: Affine,
    /// Residual stress of its sample.json (`stress_gpa`), GPa, Voigt.
    pub stress_gpa: [f64; 6],
}

/// The ω_D the `debye` control used at one temperature, as written to `fit.json`.
#[derive(Clone, Debug, Serialize)]
struct DebyeFrequency {
    temperature_k: f64,
    /// `spectrum stage (elastic)`: the mean of the samples' `debye.frequency_thz`,
    /// the ω_D of the spectrum stage's boson-peak Debye level; or the fallback
    /// `5<ω²>/3 of the modes`.
    source: &'static str,
    /// ν_D = ω_D/2π, THz.
    frequency_thz: f64,
    /// ω_D, sqrt(eV/(Å²·amu)).
    omega_sqrt_ev_per_a2_amu: f64,
    /// Samples whose elastic ω_D went into the mean.
    samples: usize,
}

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

/// One claim of the paper, tested.
#[derive(Clone, Debug, Serialize)]
struct Claim {
    temperature_k: Option<f64>,
    claim: String,
    holds: bool,
    numbers: Vec<(String, f64)>,
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

/// Reference curves of one temperature.
struct Reference {
    temperature_k: f64,
    omega: Vec<f64>,
    storage: Vec<f64>,
    loss: Vec<f64>,
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

/// Every `<sample>/modes.csv` + `sample.json` of the upstream spectrum folders.
pub(crate) fn read_samples(ctx: &StageContext<'_>) -> Result<Vec<Sample>, StageError> {
    let inputs: Vec<_> = ctx.inputs_of_kind("spectrum").collect();
    if inputs.is_empty() {
        return Err(StageError::MissingInput("spectrum".into()));
    }
    let mut out = Vec::new();
    for input in inputs {
        for dir in sample_dirs(&input.dir)? {
            let leaf = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = if input.branch.is_empty() {
                leaf.clone()
            } else {
                format!("{}/{leaf}", input.branch)
            };
            let rows = read_modes_csv(&dir.join("modes.csv"))
                .map_err(|e| StageError::Failed(e.to_string()))?;
            let sample = SampleOutput::read(&dir)?;
            out.push(Sample {
                temperature_k: sample.temperature_k,
                name,
                branch: input.branch.clone(),
                structure: leaf,
                stress_gpa: sample.stress_gpa,
                stage: input.stage.clone(),
                kind: sample.modes_kind,
                debye_omega: sample.debye.map(|d| d.frequency_thz / THZ_PER_OMEGA_UNIT),
                modes: response_modes(&rows),
                affine: Affine {
                    born_gpa: sample.born_gpa,
                    volume_a3: sample.volume_a3,
                },
            });
        }
    }
    if out.is_empty() {
        return Err(StageError::Failed(
            "no <sample>/modes.csv in the upstream spectrum folders".into(),
        ));
    }
    Ok(out)
}

/// The reference table's time unit (name, seconds) from the reference
/// stage's [`ReferenceOutput`]; `time_unit_s`, when given, must agree with it.
fn reference_time_unit(ctx: &StageContext<'_>, p: &Params) -> Result<(String, f64), StageError> {
    let input = ctx
        .inputs_of_kind("reference")
        .next()
        .ok_or_else(|| StageError::MissingInput("reference".into()))?;
    let out = ReferenceOutput::read(&input.dir)?;
    if p.contains("time_unit_s") {
        let given = p.positive("time_unit_s")?;
        if (given / out.time_unit_s - 1.0).abs() > 1e-9 {
            return Err(ParamError::new(
                p.path("time_unit_s"),
                format!(
                    "{given} s disagrees with the reference stage's time unit `{}` = {} s; \
                     remove the key (the unit comes from the reference stage)",
                    out.time_unit, out.time_unit_s
                ),
            )
            .into());
        }
    }
    Ok((out.time_unit, out.time_unit_s))
}

/// `reference.csv` of the upstream reference stage, grouped by temperature.
fn read_reference(ctx: &StageContext<'_>) -> Result<Vec<Reference>, StageError> {
    let input = ctx
        .inputs_of_kind("reference")
        .next()
        .ok_or_else(|| StageError::MissingInput("reference".into()))?;
    let path = input.dir.join("reference.csv");
    let mut out: Vec<Reference> = Vec::new();
    for (_, f) in crate::rows::numeric_rows::<4>(&path, "temperature_k, omega, storage, loss")? {
        match out.iter_mut().find(|r| r.temperature_k == f[0]) {
            Some(r) => {
                r.omega.push(f[1]);
                r.storage.push(f[2]);
                r.loss.push(f[3]);
            }
            None => out.push(Reference {
                temperature_k: f[0],
                omega: vec![f[1]],
                storage: vec![f[2]],
                loss: vec![f[3]],
            }),
        }
    }
    if out.is_empty() {
        return Err(StageError::Failed(format!("{}: no rows", path.display())));
    }
    Ok(out)
}

/// The samples of temperature `t`: those named for it, else (with a warning)
/// those named for no temperature.
fn choose<'a>(
    samples: &'a [Sample],
    t: f64,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'a Sample>, StageError> {
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.temperature_k.is_some_and(|x| (x - t).abs() < 0.5))
        .collect();
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.temperature_k.is_none())
        .collect();
    if chosen.is_empty() {
        let mut have: Vec<f64> = samples.iter().filter_map(|s| s.temperature_k).collect();
        have.sort_by(f64::total_cmp);
        have.dedup();
        let have: Vec<String> = have.iter().map(|x| format!("{x} K")).collect();
        return Err(StageError::Failed(format!(
            "no spectrum sample at T = {t} K (the samples were captured at {}); capture a \
             glass at {t} K (the quench stage's `capture_temperatures_k`) or drop it from the \
             reference",
            have.join(", ")
        )));
    }
    warnings.push(format!(
        "T = {t} K: no sample was captured at this temperature; using the {} sample(s) without \
         a capture temperature (structure files)",
        chosen.len()
    ));
    Ok(chosen)
}

/// The sample mean of C* over `chosen` (not empty) as one mode sum:
/// projections of sample i scaled by sqrt(V̄/(n V_i)), so
/// (1/V̄) R = (1/n) Σ_i R_i/V_i, and C^B and V averaged.
fn average(chosen: &[&Sample]) -> (Modes, Affine) {
    let n = chosen.len() as f64;
    let volume = chosen.iter().map(|s| s.affine.volume_a3).sum::<f64>() / n;
    let mut born = [[0.0; 6]; 6];
    let mut modes = Modes::default();
    for s in chosen {
        for (row, src) in born.iter_mut().zip(&s.affine.born_gpa) {
            for (c, v) in row.iter_mut().zip(src) {
                *c += v / n;
            }
        }
        let w = (volume / (n * s.affine.volume_a3)).sqrt();
        modes.eigenvalues.extend(&s.modes.eigenvalues);
        modes
            .projections
            .extend(s.modes.projections.iter().map(|x| x.map(|v| v * w)));
    }
    (
        modes,
        Affine {
            born_gpa: born,
            volume_a3: volume,
        },
    )
}

/// The debye control keeps the glass's Γ(ω) and changes only D(ω), so it
/// needs every mode: ARPACK's lowest modes or Lanczos quadrature nodes give
/// neither the true Γ(ω) nor the mode count. Refused with what to change.
fn refuse_incomplete(chosen: &[&Sample]) -> Result<(), StageError> {
    for s in chosen {
        let what = match s.kind {
            ModesKind::Lowest => "only the lowest modes (solver `arpack`)",
            ModesKind::Quadrature => "Lanczos quadrature nodes (solver `lanczos`)",
            _ => continue,
        };
        return Err(StageError::Failed(format!(
            "`debye_control` needs every mode of the glass, but the upstream spectrum stage \
             `{}` gave {what} for sample `{}`; give that stage `solver: dense`, or add a \
             second spectrum stage with `solver: debye` for the control, or set \
             `debye_control: false`",
            s.stage, s.name
        )));
    }
    Ok(())
}

/// ω_D of the debye control at temperature `t`: the mean over `chosen` of the
/// elastic Debye frequency the spectrum stage wrote (`debye.frequency_thz` of
/// sample.json, the ω_D of its boson-peak Debye level), so the control is the
/// paper's "Debye model with the same Debye frequency". Without one, 5⟨ω²⟩/3
/// of `modes` with a warning; `None` when `modes` has no non-zero mode either.
fn debye_frequency(
    t: f64,
    chosen: &[&Sample],
    modes: &Modes,
    warnings: &mut Vec<String>,
) -> Option<DebyeFrequency> {
    let elastic: Vec<f64> = chosen.iter().filter_map(|s| s.debye_omega).collect();
    let missing: Vec<&str> = chosen
        .iter()
        .filter(|s| s.debye_omega.is_none())
        .map(|s| s.name.as_str())
        .collect();
    let (source, omega) = if elastic.is_empty() {
        let omega = second_moment_debye_omega(modes)?;
        warnings.push(format!(
            "T = {t} K: no sample.json gives `debye.frequency_thz` (samples {}); the debye \
             control uses ω_D from 5<ω²>/3 of the modes ({:.4} THz), not the elastic Debye \
             frequency of the spectrum stage",
            missing.join(", "),
            omega * THZ_PER_OMEGA_UNIT
        ));
        ("5<ω²>/3 of the modes", omega)
    } else {
        if !missing.is_empty() {
            warnings.push(format!(
                "T = {t} K: samples {} give no `debye.frequency_thz`; the debye control's ω_D \
                 is the mean of the other {}",
                missing.join(", "),
                elastic.len()
            ));
        }
        (
            "spectrum stage (elastic)",
            elastic.iter().sum::<f64>() / elastic.len() as f64,
        )
    };
    Some(DebyeFrequency {
        temperature_k: t,
        source,
        frequency_thz: omega * THZ_PER_OMEGA_UNIT,
        omega_sqrt_ev_per_a2_amu: omega,
        samples: elastic.len(),
    })
}

fn find<'a>(
    fits: &'a [FitRecord],
    t: f64,
    kernel: &str,
    spectrum: &str,
    mode: FitMode,
) -> Option<&'a FitRecord> {
    fits.iter().find(|f| {
        f.temperature_k == t && f.kernel == kernel && f.spectrum == spectrum && f.mode == mode
    })
}

/// The paper's claims, each tested on the fits of `mode`.
fn claims(references: &[Reference], fits: &[FitRecord], mode: FitMode) -> Vec<Claim> {
    let mut out = Vec::new();
    for r in references {
        let t = r.temperature_k;
        let Some(st) = find(fits, t, "stretched-exp", "boson_peak", mode) else {
            continue;
        };
        let others: Vec<(&str, &str, &str)> = vec![
            (
                "markovian",
                "boson_peak",
                "the Markovian kernel does not fit",
            ),
            (
                "exponential",
                "boson_peak",
                "the exponential kernel does not fit",
            ),
            (
                "stretched-exp",
                "debye",
                "the stretched kernel with the debye spectrum does not fit",
            ),
        ];
        let mut best = true;
        let mut numbers = vec![("aic_stretched".to_string(), st.aic)];
        let mut worse = Vec::new();
        for (kernel, spectrum, text) in others {
            if let Some(o) = find(fits, t, kernel, spectrum, mode) {
                let delta = o.aic - st.aic;
                best &= delta > 0.0;
                numbers.push((format!("aic_{kernel}_{spectrum}"), o.aic));
                worse.push(Claim {
                    temperature_k: Some(t),
                    claim: format!("{text} (ΔAIC > {AIC_MARGIN} against stretched-exp)"),
                    holds: delta > AIC_MARGIN,
                    numbers: vec![
                        ("delta_aic".into(), delta),
                        ("r_squared".into(), o.r_squared),
                        ("r_squared_stretched".into(), st.r_squared),
                    ],
                });
            }
        }
        out.push(Claim {
            temperature_k: Some(t),
            claim: "the stretched-exp kernel with the boson-peak spectrum fits best by AIC".into(),
            holds: best,
            numbers,
        });
        out.extend(worse);
    }
    // b against T, hottest first.
    let mut bs: Vec<(f64, f64, f64)> = references
        .iter()
        .filter_map(|r| {
            let f = find(fits, r.temperature_k, "stretched-exp", "boson_peak", mode)?;
            let b = f.value("b")?;
            Some((r.temperature_k, b.value, b.std_error))
        })
        .collect();
    bs.sort_by(|a, b| b.0.total_cmp(&a.0));
    if bs.len() >= 2 {
        let non_increasing = bs.windows(2).all(|w| {
            let tol = if w[0].2.is_finite() && w[1].2.is_finite() {
                w[0].2.hypot(w[1].2)
            } else {
                0.0
            };
            w[1].1 <= w[0].1 + tol
        });
        let first = bs[0];
        let last = bs[bs.len() - 1];
        let mut numbers = Vec::new();
        for (t, b, e) in &bs {
            numbers.push((format!("b_{t}K"), *b));
            numbers.push((format!("b_{t}K_std_error"), *e));
        }
        out.push(Claim {
            temperature_k: None,
            claim: "the fitted b falls as T falls (non-increasing within errors, lowest T below highest T)"
                .into(),
            holds: non_increasing && last.1 < first.1,
            numbers,
        });
    }
    out
}

/// Colours of the temperatures (hottest first), distinguishable in print.
const COLORS: [(u8, u8, u8); 4] = [
    (214, 39, 40),
    (31, 119, 180),
    (44, 160, 44),
    (148, 103, 189),
];

/// The figures: Fig. 3/4 analogues and the loss tangent (reference lines,
/// theory symbols, log-log), and ν(t), ν̃(ω) of the fitted kernels. ω is
/// converted to rad/s with the reference's time unit; moduli stay in the
/// reference's unit (σ0/ε0 of its Kohlrausch fit: normalised).
fn figures(
    references: &[Reference],
    fits: &[FitRecord],
    mode: FitMode,
    families: &[&Family],
    time_unit_s: f64,
) -> Vec<(&'static str, Figure, Scale)> {
    let log_log = Scale {
        log_x: true,
        log_y: true,
        legend_lower: false,
    };
    let per_s = 1.0 / time_unit_s;
    let mut x_range = (f64::INFINITY, 0.0f64);
    for r in references {
        for w in r.omega.iter().filter(|w| **w > 0.0) {
            x_range.0 = x_range.0.min(w * per_s);
            x_range.1 = x_range.1.max(w * per_s);
        }
    }
    let panels: [(&'static str, &str, &str, usize); 3] = [
        (
            "fig3_storage",
            "Storage modulus E'(ω), Fig. 3 analogue",
            "E' / (σ0/ε0)  (normalised by the Kohlrausch amplitude)",
            1,
        ),
        (
            "fig4_loss",
            "Loss modulus E''(ω), Fig. 4 analogue",
            "E'' / (σ0/ε0)  (normalised by the Kohlrausch amplitude)",
            2,
        ),
        ("tan_delta", "Loss tangent tan δ = E''/E'", "tan δ", 3),
    ];
    let mut out: Vec<(&'static str, Figure, Scale)> = panels
        .iter()
        .map(|(stem, title, y_label, col)| {
            let pick = |e1: f64, e2: f64| match col {
                1 => e1,
                2 => e2,
                _ => e2 / e1,
            };
            let mut series = Vec::new();
            for (k, r) in references.iter().enumerate() {
                let color = COLORS[k % COLORS.len()];
                series.push(Series {
                    label: format!("{} K reference (Kohlrausch)", r.temperature_k),
                    points: r
                        .omega
                        .iter()
                        .zip(r.storage.iter().zip(&r.loss))
                        .map(|(w, (e1, e2))| (w * per_s, pick(*e1, *e2)))
                        .collect(),
                    color,
                    style: Style::Line,
                    band: Vec::new(),
                });
                if let Some(f) = find(fits, r.temperature_k, "stretched-exp", "boson_peak", mode) {
                    let b = f.value("b").map_or(f64::NAN, |e| e.value);
                    series.push(Series {
                        label: format!("{} K theory, stretched-exp b = {b:.2}", r.temperature_k),
                        points: f
                            .curve
                            .iter()
                            .step_by(2)
                            .map(|(w, e1, e2)| (w * per_s, pick(*e1, *e2)))
                            .collect(),
                        color,
                        style: Style::Markers,
                        band: Vec::new(),
                    });
                }
            }
            (
                *stem,
                Figure {
                    title: (*title).into(),
                    x_label: "ω (rad/s)".into(),
                    y_label: (*y_label).into(),
                    x_range,
                    series,
                    marker: None,
                },
                // E', E'' rise to the right: the lower right corner is free.
                Scale {
                    legend_lower: *col < 3,
                    ..log_log
                },
            )
        })
        .collect();

    // The fitted kernels in physical time: t_s = t · (model time unit in s),
    // ν̃ in 1/s = ν̃ / (model time unit in s).
    let mut time_series = Vec::new();
    let mut freq_series = Vec::new();
    let (mut t_range, mut w_range) = ((f64::INFINITY, 0.0f64), x_range);
    for (k, r) in references.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        for f in fits.iter().filter(|f| {
            f.temperature_k == r.temperature_k && f.spectrum == "boson_peak" && f.mode == mode
        }) {
            let Some(family) = families.iter().find(|x| x.label == f.kernel_stage) else {
                continue;
            };
            let Some(kernel) = family.build(&f.free_values) else {
                continue;
            };
            let unit = f.model_time_unit_s;
            let style = match f.kernel.as_str() {
                "stretched-exp" => Style::Line,
                "exponential" => Style::Dashed,
                _ => Style::Markers,
            };
            let label = format!("{} K {}", r.temperature_k, f.kernel);
            // ν(t)/ν(0+) over 8 decades around the memory time (or 1e-3..1e5
            // model units from the loss peak).
            let centre = kernel
                .memory_time()
                .unwrap_or(1.0 / (f.loss_peak_omega * time_unit_s.recip() * unit).max(1e-300));
            if f.kernel != "markovian" {
                let t = log_grid(centre * 1e-4, centre * 1e4, 81);
                // ν at the earliest time it is known (a table starts late).
                let nu0 = t
                    .iter()
                    .map(|t| kernel.nu_time(*t))
                    .find(|v| v.is_finite())
                    .unwrap_or(f64::NAN);
                if nu0.is_finite() && nu0 > 0.0 {
                    let pts: Vec<(f64, f64)> = t
                        .iter()
                        .map(|t| (t * unit, kernel.nu_time(*t) / nu0))
                        .filter(|(_, y)| y.is_finite())
                        .step_by(if style == Style::Markers { 4 } else { 1 })
                        .collect();
                    for (x, _) in &pts {
                        t_range.0 = t_range.0.min(*x);
                        t_range.1 = t_range.1.max(*x);
                    }
                    time_series.push(Series {
                        label: label.clone(),
                        points: pts,
                        color,
                        style,
                        band: Vec::new(),
                    });
                }
            }
            if f.kernel == "stretched-exp" {
                let w = log_grid(x_range.0, x_range.1, 61);
                for (part, dashed) in [("ν1", false), ("ν2", true)] {
                    freq_series.push(Series {
                        label: format!("{} K {part}", r.temperature_k),
                        points: w
                            .iter()
                            .map(|w| {
                                let z = kernel.nu_freq(w * unit);
                                (*w, if dashed { -z.im } else { z.re } / unit)
                            })
                            .collect(),
                        color,
                        style: if dashed { Style::Dashed } else { Style::Line },
                        band: Vec::new(),
                    });
                }
                w_range = x_range;
            }
        }
    }
    if !time_series.is_empty() && t_range.1 > t_range.0 {
        out.push((
            "kernel_time",
            Figure {
                title: "Fitted memory kernels ν(t)/ν(0)".into(),
                x_label: "t (s)".into(),
                y_label: "ν(t)/ν(0)".into(),
                x_range: t_range,
                series: time_series,
                marker: None,
            },
            Scale {
                log_y: false,
                ..log_log
            },
        ));
    }
    if !freq_series.is_empty() {
        out.push((
            "kernel_freq",
            Figure {
                title: "Fitted stretched-exp kernels ν̃(ω) = ν1 − iν2".into(),
                x_label: "ω (rad/s)".into(),
                y_label: "ν1 (solid), ν2 (dashed) (1/s)".into(),
                x_range: w_range,
                series: freq_series,
                marker: None,
            },
            log_log,
        ));
    }
    out
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
