//! The `spectrum` workflow stage.
//!
//! Inputs: upstream `hessian` stage folders. Each holds either the files of
//! one structure (`hessian.mtx`, `xi.csv`, `born.json`, `structure.data`;
//! no `hessian.mtx` when the Hessian stage ran with `matrix: false`) or one
//! subfolder per structure; every structure is one sample.
//!
//! Outputs (in the stage folder):
//!
//! | file | content |
//! |---|---|
//! | `spectrum.json` | solver, operator, total zero/negative-mode counts, seconds per phase (load, operator, solve, analysis, averages and plots, total), settings, per-sample mode census, lowest/highest ν (THz), Debye model, boson peak, relaxed moduli from the modes, timings, warnings; sample averages |
//! | `vdos.csv` | `nu_thz`, histogram and Gaussian-smoothed VDOS (1/THz) with their spread over samples, D(ν)/ν² (1/THz³) with spread, Debye VDOS |
//! | `gamma.csv` | `nu_thz`, Γ_a(ν) shell means and smoothed (eV²/(Å²·amu)), averaged over samples |
//! | `vdos.{png,svg}`, `boson_peak.{png,svg}`, `gamma.{png,svg}` | plots of the averages |
//! | `<sample>/modes.csv` | ω_p² and Ξ̂_{p,a} per mode for the response stage (see [`crate::modes_file`]) |
//! | `<sample>/sample.json`, `<sample>/vdos.csv`, `<sample>/gamma.csv` | the same per sample |
//!
//! D reaches the solver as the stored sparse matrix (`operator: stored`, the
//! default: `hessian.mtx`) or matrix-free (`operator: matrix-free` with the
//! Hessian stage's `potential`: [`nonaffine_hessian::MatrixFreeHessian`]
//! computes D·v from the pair list, `hessian.mtx` is not read, memory is linear
//! in N; Ξ from the potential must equal `xi.csv` to 1e-6 or the stage stops).
//!
//! Zero modes (|λ| ≤ `zero_tolerance`·max|D_ii|) are excluded and counted (three
//! for a periodic solid). Negative modes beyond that mean the structure is not
//! at a minimum: with `negative_modes: error` (default) the stage fails naming
//! the sample, count and size; with `exclude` they are left out and reported.

use crate::analysis::{
    boson_peak, census, frequency_thz, gamma_shells, gamma_smooth, gaussian_smooth, histogram,
    mean_and_spread, relaxed_from_modes, BosonPeak, DebyeModel, Grid, ModeCensus,
};
use crate::modes_file::modes_csv;
use crate::operator::CsrOperator;
use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
use nonaffine_core::{
    ModesKind, ParamError, ParamKind, ParamSpec, PluginInfo, PluginKind, SpectrumProblem,
    SpectrumResult, Stage, StageContext, StageError, Summary, SymmetricOperator,
};
use nonaffine_hessian::{HessianProducts, MatrixFreeHessian};
use nonaffine_plot::{Figure, Series, Style};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Registry entry of the stage.
pub const INFO: PluginInfo = PluginInfo {
    name: "spectrum",
    version: "2",
    doc:
        "Eigenvalues ω_p² of the mass-weighted Hessian of every upstream `hessian` structure \
          with a named solver (dense, arpack, lanczos, debye), projections Ξ̂_p for the response \
          stage (modes.csv), VDOS over the 3N−3 non-zero modes, Γ(ν), D(ν)/ν² with the boson \
          peak against the Debye level, participation ratios, averages over samples and plots. \
          The solver's own parameters go beside its name: `solver: { plugin: lanczos, steps: 60 }`.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "solver", kind: ParamKind::Plugin(PluginKind::SpectrumSolver), unit: "", default: Some("{ plugin: dense }"), doc: "spectrum solver plugin and its parameters, e.g. { plugin: lanczos, steps: 60 }: dense (all modes), arpack (lowest modes), lanczos (matrix-free quadrature + KPM), debye (model control); the text form `solver: NAME` is deprecated" },
    ParamSpec { name: "bins", kind: ParamKind::Integer, unit: "", default: Some("100"), doc: "frequency shells of the VDOS and Γ histograms" },
    ParamSpec { name: "nu_max_thz", kind: ParamKind::Number, unit: "THz", default: Some("0"), doc: "upper edge of the frequency grid (0: 2% above the highest mode of all samples)" },
    ParamSpec { name: "smoothing_thz", kind: ParamKind::Number, unit: "THz", default: Some("0"), doc: "standard deviation of the Gaussian smoothing (0: two shell widths)" },
    ParamSpec { name: "zero_tolerance", kind: ParamKind::Number, unit: "", default: Some("1e-8"), doc: "eigenvalues with |λ| below this times max|D_ii| are zero modes" },
    ParamSpec { name: "negative_modes", kind: ParamKind::Text, unit: "", default: Some("error"), doc: "what to do with negative eigenvalues beyond round-off: error (fail, naming the sample) or exclude (leave them out and report them)" },
    ParamSpec { name: "elements", kind: ParamKind::TextList, unit: "", default: Some("(from the data file)"), doc: "element names of the structure's atom types, when its data file has no type comments" },
    ParamSpec { name: "plots", kind: ParamKind::Bool, unit: "", default: Some("true"), doc: "write PNG and SVG plots" },
    ParamSpec { name: "operator", kind: ParamKind::Text, unit: "", default: Some("stored"), doc: "how D·v is computed: stored (the Hessian stage's hessian.mtx, sparse) or matrix-free (from the pair list on the fly with `potential`, memory linear in N; for lanczos/arpack on large glasses — dense would build D from 3N products)" },
    ParamSpec { name: "potential", kind: ParamKind::Map, unit: "", default: Some("(none)"), doc: "with operator: matrix-free, the Hessian stage's potential: {plugin: eam/fs, file: ..., elements: [Cu, Zr]}; its Ξ must equal the stage's xi.csv" },
];

/// The `spectrum` stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpectrumStage;

/// Results of one structure.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// Sample (folder) name.
    pub name: String,
    /// Where its Hessian came from.
    pub hessian_dir: PathBuf,
    /// Atoms N.
    pub atoms: usize,
    /// Cell volume, Å³.
    pub volume_a3: f64,
    /// What the modes are.
    pub modes_kind: ModesKind,
    /// Entries returned by the solver.
    pub entries: usize,
    /// Zero, negative and positive counts.
    pub census: ModeCensus,
    /// Lowest positive frequency, THz.
    pub lowest_thz: Option<f64>,
    /// Highest frequency seen, THz.
    pub highest_thz: Option<f64>,
    /// Debye model used for the Debye level.
    pub debye: Option<DebyeModel>,
    /// Boson peak of this sample.
    pub boson_peak: Option<BosonPeak>,
    /// C^B − (1/V) Σ Ξ̂Ξ̂/ω² over all modes (GPa), with every mode only.
    pub relaxed_from_modes_gpa: Option<[[f64; 6]; 6]>,
    /// Relaxed moduli of the Hessian stage (GPa), when it computed them.
    pub relaxed_hessian_gpa: Option<[[f64; 6]; 6]>,
    /// Born moduli, GPa.
    pub born_gpa: [[f64; 6]; 6],
    /// Residual stress σ = (1/V) ∂U/∂η of the structure (tension positive),
    /// GPa, Voigt; the response's predict mode needs it for the pre-stress
    /// terms of a box-strain measurement.
    pub stress_gpa: [f64; 6],
    /// Completeness Σ_p Ξ̂_{p,a}² / ‖M^{-1/2}Ξ_a‖² (1 with every mode).
    pub completeness: [f64; 6],
    /// Mean participation ratio of the 1% lowest positive modes and of all.
    pub participation_low_and_all: Option<[f64; 2]>,
    /// Solver diagnostics.
    pub diagnostics: Vec<(String, f64)>,
    /// How D·v was computed: `stored` (CSR) or `matrix-free`.
    pub operator: &'static str,
    /// Wall time of each phase, s.
    pub timings: Timings,
    /// Problems worth a look.
    pub warnings: Vec<String>,
}

/// Wall-clock seconds of each phase of one sample.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// Reading the Hessian stage's files.
    pub load_s: f64,
    /// Building D (mass weighting the CSR matrix, or the matrix-free pair list).
    pub operator_s: f64,
    /// The solver.
    pub solve_s: f64,
    /// Mode census, completeness, relaxed moduli, Debye model; then (on the
    /// common grid) VDOS, Γ, boson peak and this sample's files.
    pub analysis_s: f64,
}

struct Sample {
    report: SampleReport,
    result: SpectrumResult,
    /// Frequencies (THz) and projections of the positive modes.
    nu: Vec<f64>,
    xi: Vec<[f64; 6]>,
    /// Normalisation of the VDOS: number of non-zero modes of the structure.
    mode_count: f64,
}

#[derive(Serialize)]
struct SpectrumFile<'a> {
    solver: &'a str,
    /// `stored` or `matrix-free`.
    operator: &'static str,
    /// Zero modes (translations) over all samples.
    zero_modes: usize,
    /// Negative modes beyond round-off over all samples (excluded).
    negative_modes: usize,
    /// Seconds per phase summed over samples, plus the averages and plots and the total.
    timings_s: TotalTimings,
    grid: Grid,
    smoothing_thz: f64,
    samples: Vec<&'a SampleReport>,
    boson_peak_of_mean: Option<BosonPeak>,
    boson_peak_mean_thz: Option<f64>,
    boson_peak_spread_thz: Option<f64>,
    debye_frequency_mean_thz: Option<f64>,
    warnings: Vec<String>,
}

/// Seconds per phase of the whole stage.
#[derive(Serialize)]
struct TotalTimings {
    load: f64,
    operator: f64,
    solve: f64,
    /// Per-sample analysis (census, curves, files).
    analysis: f64,
    /// Sample averages, their files and the plots.
    averages_and_plots: f64,
    total: f64,
}

impl Stage for SpectrumStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let started = Instant::now();
        let p = ctx.params;
        p.check_known(PARAMS)?;
        let (solver_name, solver_params) = p.plugin_or("solver", "dense")?;
        let solver = ctx.registry.spectrum_solver(&solver_name, &solver_params)?;
        let bins = p.count_or("bins", 100)? as usize;
        if bins < 4 {
            return Err(ParamError::new(p.path("bins"), "need at least 4 shells").into());
        }
        let nu_max_param = p.number_or("nu_max_thz", 0.0)?;
        let smoothing_param = p.number_or("smoothing_thz", 0.0)?;
        let zero_tol = p.positive_or("zero_tolerance", 1e-8)?;
        let negative = p.text_or("negative_modes", "error")?;
        if negative != "error" && negative != "exclude" {
            return Err(ParamError::new(
                p.path("negative_modes"),
                format!("`{negative}` is not one of: error, exclude"),
            )
            .into());
        }
        let elements = if p.contains("elements") {
            Some(p.texts("elements")?)
        } else {
            None
        };
        let plots = p.bool_or("plots", true)?;
        let matrix_free = match p.text_or("operator", "stored")? {
            "stored" => false,
            "matrix-free" => true,
            other => {
                return Err(ParamError::new(
                    p.path("operator"),
                    format!("`{other}` is not one of: stored, matrix-free"),
                )
                .into())
            }
        };
        let potential = if matrix_free {
            if !p.contains("potential") {
                return Err(ParamError::new(
                    p.path("potential"),
                    "operator: matrix-free computes D·v from the potential: give the Hessian stage's \
                     potential, e.g. {plugin: eam/fs, file: CuZr_mm.eam.fs, elements: [Cu, Zr]}",
                )
                .into());
            }
            let (plugin, pot_params) = p.plugin("potential")?;
            Some(ctx.registry.potential(&plugin, &pot_params)?)
        } else {
            None
        };

        let dirs = structure_dirs(ctx)?;
        // The solver's size and memory limits, from each hessian.mtx size line,
        // before any matrix is read (matrix-free: once the structure is read).
        let mut resource_notes = Vec::new();
        if potential.is_none() {
            for (_, dir) in &dirs {
                let mtx = dir.join("hessian.mtx");
                if mtx.is_file() {
                    let (rows, _, _) = nonaffine_hessian::products::matrix_market_size(&mtx)
                        .map_err(|e| StageError::Failed(e.to_string()))?;
                    resource_notes.extend(
                        solver
                            .check_order(rows)
                            .map_err(|e| StageError::Failed(format!("{}: {e}", mtx.display())))?,
                    );
                }
            }
        }
        ctx.progress.set_total(dirs.len() as u64);
        let mut samples = Vec::new();
        for (k, (name, dir)) in dirs.iter().enumerate() {
            ctx.progress.message(&format!("{name}: {solver_name}"));
            let clock = Instant::now();
            let read = if potential.is_some() {
                HessianProducts::read_dir_without_matrix
            } else if dir.join("hessian.mtx").is_file() {
                HessianProducts::read_dir
            } else {
                return Err(StageError::Failed(format!(
                    "{}: no hessian.mtx (the hessian stage ran with `matrix: false`?); set \
                     `operator: matrix-free` and `potential` to compute D·v from the pair list",
                    dir.display()
                )));
            };
            let products =
                read(dir, elements.as_deref()).map_err(|e| StageError::Failed(e.to_string()))?;
            let load_s = clock.elapsed().as_secs_f64();
            let clock = Instant::now();
            if potential.is_some() {
                let n = 3 * products.structure.len();
                resource_notes.extend(solver.check_order(n).map_err(|e| {
                    StageError::Failed(format!("{}: {e}", dir.join("structure.data").display()))
                })?);
            }
            let xi = products.xi_mass_weighted();
            let (operator, kind, scale): (Box<dyn SymmetricOperator>, _, _) = match &potential {
                Some(pot) => {
                    let op = MatrixFreeHessian::from_potential(&products.structure, pot.as_ref())
                        .map_err(|e| StageError::Failed(format!("{}: {e}", dir.display())))?;
                    check_force_fields(dir, &op.force_fields_mass_weighted(), &xi)?;
                    let scale = op.max_diagonal();
                    (Box::new(op), "matrix-free", scale)
                }
                None => {
                    let op = CsrOperator(products.mass_weighted());
                    let scale = op.max_diagonal();
                    (Box::new(op), "stored", scale)
                }
            };
            let built = Built {
                operator: operator.as_ref(),
                kind,
                scale,
                xi,
                load_s,
                operator_s: clock.elapsed().as_secs_f64(),
            };
            let sample = solve_sample(name, dir, &products, built, solver.as_ref(), zero_tol)?;
            drop(operator);
            if sample.report.census.negative > 0 && negative == "error" {
                let c = &sample.report.census;
                return Err(StageError::Failed(format!(
                    "{}: {} negative eigenvalue(s) beyond round-off (most negative λ = {:.3e} eV/(Å²·amu), ν = {:.3}i THz): \
                     the structure is not at a minimum; minimize it to a tighter force tolerance, \
                     or set `negative_modes: exclude` to leave these modes out",
                    dir.display(),
                    c.negative,
                    c.most_negative_eigenvalue.unwrap_or(0.0),
                    c.most_negative_thz.unwrap_or(0.0)
                )));
            }
            samples.push(sample);
            ctx.progress.set_position(k as u64 + 1);
        }

        // Common grid.
        let kind = samples[0].report.modes_kind;
        let top = |s: &Sample| match &s.result.density {
            Some(d) => d.lambda.last().map_or(0.0, |l| frequency_thz(*l)),
            None => s.nu.last().copied().unwrap_or(0.0),
        };
        let nu_max = if nu_max_param > 0.0 {
            nu_max_param
        } else if kind == ModesKind::Lowest {
            samples.iter().map(top).fold(f64::INFINITY, f64::min)
        } else {
            1.02 * samples.iter().map(top).fold(0.0, f64::max)
        };
        if !(nu_max > 0.0 && nu_max.is_finite()) {
            return Err(StageError::Failed(
                "no positive modes: nothing to make a VDOS from".into(),
            ));
        }
        let grid = Grid {
            nu_max_thz: nu_max,
            bins,
        };
        let sigma = if smoothing_param > 0.0 {
            smoothing_param
        } else {
            2.0 * grid.width()
        };
        let centers = grid.centers();

        let mut curves = Curves::default();
        resource_notes.dedup();
        let mut warnings = resource_notes;
        for s in &mut samples {
            let clock = Instant::now();
            let c = sample_curves(s, grid, &centers, sigma);
            s.report.boson_peak = boson_peak(
                &centers,
                &c.smooth,
                peak_window(s, grid, sigma),
                s.report.debye.as_ref(),
            );
            let dir = ctx.out_dir.join(&s.report.name);
            std::fs::create_dir_all(&dir).map_err(|e| StageError::io(&dir, e))?;
            let census = s.report.census.clone();
            let class = move |l: f64| {
                if l.abs() <= census.threshold {
                    "zero"
                } else if l < 0.0 {
                    "negative"
                } else if kind == ModesKind::Quadrature {
                    "node"
                } else {
                    "mode"
                }
            };
            write(&dir.join("modes.csv"), &modes_csv(&s.result.modes, &class))?;
            write(
                &dir.join("vdos.csv"),
                &vdos_csv(&centers, &[&c], s.report.debye.as_ref()),
            )?;
            write(&dir.join("gamma.csv"), &gamma_csv(&centers, &[&c]))?;
            s.report.timings.analysis_s += clock.elapsed().as_secs_f64();
            write_json(&dir.join("sample.json"), &s.report)?;
            warnings.extend(
                s.report
                    .warnings
                    .iter()
                    .map(|w| format!("{}: {w}", s.report.name)),
            );
            curves.push(c);
        }
        let averages_clock = Instant::now();
        let all: Vec<&SampleCurves> = curves.0.iter().collect();
        let debye_mean = mean(
            samples
                .iter()
                .filter_map(|s| s.report.debye.as_ref())
                .map(|d| d.frequency_thz),
        );
        let debye_for_mean = samples
            .iter()
            .find_map(|s| s.report.debye.clone())
            .map(|mut d| {
                if let Some(m) = debye_mean {
                    d.frequency_thz = m;
                }
                d
            });
        write(
            &ctx.out_dir.join("vdos.csv"),
            &vdos_csv(&centers, &all, debye_for_mean.as_ref()),
        )?;
        write(&ctx.out_dir.join("gamma.csv"), &gamma_csv(&centers, &all))?;
        let (smooth_mean, smooth_spread) = mean_and_spread(
            &curves
                .0
                .iter()
                .map(|c| c.smooth.clone())
                .collect::<Vec<_>>(),
        );
        let window = samples
            .iter()
            .map(|s| peak_window(s, grid, sigma))
            .fold([0.0, f64::INFINITY], |w, x| {
                [w[0].max(x[0]), w[1].min(x[1])]
            });
        let peak_of_mean = boson_peak(&centers, &smooth_mean, window, debye_for_mean.as_ref());
        let peaks: Vec<f64> = samples
            .iter()
            .filter_map(|s| s.report.boson_peak.as_ref().map(|b| b.nu_thz))
            .collect();
        let (peak_mean, peak_spread) = if peaks.is_empty() {
            (None, None)
        } else {
            let (m, s) = mean_and_spread(&peaks.iter().map(|x| vec![*x]).collect::<Vec<_>>());
            (Some(m[0]), Some(s[0]))
        };

        if plots {
            let figs = figures(
                &centers,
                &curves,
                &smooth_mean,
                &smooth_spread,
                debye_for_mean.as_ref(),
                peak_of_mean.as_ref(),
                grid,
                &solver_name,
            );
            for (stem, fig) in figs {
                if let Err(e) = fig.write(&ctx.out_dir.join(stem)) {
                    warnings.push(format!("plot {stem}: {e}"));
                }
            }
        }

        let phase =
            |f: &dyn Fn(&Timings) -> f64| samples.iter().map(|s| f(&s.report.timings)).sum();
        let file = SpectrumFile {
            solver: &solver_name,
            operator: samples[0].report.operator,
            zero_modes: samples.iter().map(|s| s.report.census.zero).sum(),
            negative_modes: samples.iter().map(|s| s.report.census.negative).sum(),
            timings_s: TotalTimings {
                load: phase(&|t| t.load_s),
                operator: phase(&|t| t.operator_s),
                solve: phase(&|t| t.solve_s),
                analysis: phase(&|t| t.analysis_s),
                averages_and_plots: averages_clock.elapsed().as_secs_f64(),
                total: started.elapsed().as_secs_f64(),
            },
            grid,
            smoothing_thz: sigma,
            samples: samples.iter().map(|s| &s.report).collect(),
            boson_peak_of_mean: peak_of_mean.clone(),
            boson_peak_mean_thz: peak_mean,
            boson_peak_spread_thz: peak_spread,
            debye_frequency_mean_thz: debye_mean,
            warnings: warnings.clone(),
        };
        write_json(&ctx.out_dir.join("spectrum.json"), &file)?;
        Ok(summary(
            &solver_name,
            &samples,
            peak_of_mean.as_ref(),
            debye_for_mean.as_ref(),
        ))
    }
}

/// `(sample name, folder)` of every structure in the upstream `hessian` folders.
fn structure_dirs(ctx: &StageContext<'_>) -> Result<Vec<(String, PathBuf)>, StageError> {
    let inputs: Vec<_> = ctx.inputs_of_kind("hessian").collect();
    if inputs.is_empty() {
        return Err(StageError::MissingInput("hessian".into()));
    }
    let mut out = Vec::new();
    for (k, input) in inputs.iter().enumerate() {
        let prefix = if inputs.len() == 1 {
            String::new()
        } else if input.branch.is_empty() {
            format!("{}-{k}-", input.stage)
        } else {
            format!("{}-", sanitize(&input.branch))
        };
        if input.dir.join("xi.csv").is_file() {
            let name = if prefix.is_empty() {
                "sample".to_string()
            } else {
                prefix.trim_end_matches('-').to_string()
            };
            out.push((name, input.dir.clone()));
            continue;
        }
        let entries = std::fs::read_dir(&input.dir).map_err(|e| StageError::io(&input.dir, e))?;
        let mut subs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("xi.csv").is_file())
            .collect();
        subs.sort();
        if subs.is_empty() {
            return Err(StageError::Failed(format!(
                "{}: no xi.csv in the folder or its subfolders; is this a `hessian` stage's output?",
                input.dir.display()
            )));
        }
        for s in subs {
            let leaf = s
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((format!("{prefix}{}", sanitize(&leaf)), s));
        }
    }
    Ok(out)
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' || c == '=' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// D of one sample as the solver will see it.
struct Built<'a> {
    operator: &'a dyn SymmetricOperator,
    /// `stored` or `matrix-free`.
    kind: &'static str,
    /// max|D_ii|, eV/(Å²·amu): scale of the zero-mode tolerance.
    scale: f64,
    /// M^{-1/2} Ξ, eV/(Å·amu^{1/2}).
    xi: Vec<[f64; 6]>,
    load_s: f64,
    operator_s: f64,
}

/// Refuses a matrix-free potential whose Ξ is not the Hessian stage's (a
/// different potential, or species in another order).
fn check_force_fields(
    dir: &Path,
    ours: &[[f64; 6]],
    stored: &[[f64; 6]],
) -> Result<(), StageError> {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for (a, b) in ours.iter().zip(stored) {
        for k in 0..6 {
            diff += (a[k] - b[k]).powi(2);
            norm += b[k] * b[k];
        }
    }
    let rel = (diff / norm.max(f64::MIN_POSITIVE)).sqrt();
    if rel > 1e-6 || ours.len() != stored.len() {
        return Err(StageError::Failed(format!(
            "{}: Ξ from the matrix-free `potential` differs from the Hessian stage's xi.csv by {rel:.1e} \
             (relative): give the `potential` the Hessian stage used",
            dir.display()
        )));
    }
    Ok(())
}

/// Solves one structure and fills its report (boson peak comes later, on the common grid).
fn solve_sample(
    name: &str,
    dir: &Path,
    products: &HessianProducts,
    built: Built<'_>,
    solver: &dyn nonaffine_core::SpectrumSolver,
    zero_tol: f64,
) -> Result<Sample, StageError> {
    let Built {
        operator: op,
        kind: operator_kind,
        scale,
        xi,
        load_s,
        operator_s,
    } = built;
    let s = &products.structure;
    let atoms = s.len();
    let volume = products.volume_a3();
    let mut warnings = Vec::new();
    // Debye model before solving (the `debye` solver needs ω_D): relaxed moduli
    // of the Hessian stage when present, else Born.
    let number_density = atoms as f64 / volume;
    let pre_debye = debye_model(
        products.relaxed_gpa.as_ref(),
        "relaxed (hessian stage)",
        &products.born_gpa,
        s.density_g_per_cm3(),
        number_density,
        &mut warnings,
    );
    let problem = SpectrumProblem {
        operator: op,
        xi: &xi,
        debye_omega: pre_debye
            .as_ref()
            .map(|d| d.frequency_thz / THZ_PER_OMEGA_UNIT),
    };
    let start = Instant::now();
    let result = solver
        .solve(&problem)
        .map_err(|e| StageError::Failed(format!("{}: {e}", dir.display())))?;
    let solve_s = start.elapsed().as_secs_f64();
    let clock = Instant::now();
    let modes = &result.modes;
    let kind = modes.kind.unwrap_or(ModesKind::Complete);
    let mut eigen_for_census = modes.eigenvalues.clone();
    if let Some(l) = result.lowest_eigenvalue {
        eigen_for_census.push(l);
    }
    let mut census = census(&eigen_for_census, zero_tol, scale);
    if kind == ModesKind::Quadrature || kind == ModesKind::Model {
        // Quadrature nodes are not eigenvalues: only the lowest-eigenvalue
        // estimate speaks about negative modes; zero modes are the 3 translations.
        census = self::census(
            &result.lowest_eigenvalue.into_iter().collect::<Vec<_>>(),
            zero_tol,
            scale,
        );
        census.zero = 3;
        census.total = 3 * atoms;
        census.positive = 3 * atoms - 3 - census.negative;
    } else if census.zero != 3 && kind == ModesKind::Complete {
        warnings.push(format!(
            "{} zero modes (expected 3 translations of a periodic solid; largest |λ| among them {:.2e}, threshold {:.2e} eV/(Å²·amu))",
            census.zero, census.largest_zero_eigenvalue, census.threshold
        ));
    }
    if census.negative > 0 {
        warnings.push(format!(
            "{} negative eigenvalue(s), most negative {:.3e} eV/(Å²·amu) ({:.3}i THz): excluded",
            census.negative,
            census.most_negative_eigenvalue.unwrap_or(0.0),
            census.most_negative_thz.unwrap_or(0.0)
        ));
    }
    let used: Vec<usize> = (0..modes.len())
        .filter(|&p| modes.eigenvalues[p] > census.threshold)
        .collect();
    let nu: Vec<f64> = used
        .iter()
        .map(|&p| frequency_thz(modes.eigenvalues[p]))
        .collect();
    let pxi: Vec<[f64; 6]> = used.iter().map(|&p| modes.projections[p]).collect();
    let norms: Vec<f64> = (0..6)
        .map(|a| xi.iter().map(|r| r[a] * r[a]).sum())
        .collect();
    let mut completeness = [0.0; 6];
    for (a, c) in completeness.iter_mut().enumerate() {
        let sum: f64 = modes.projections.iter().map(|x| x[a] * x[a]).sum();
        *c = if norms[a] > 0.0 {
            sum / norms[a]
        } else {
            f64::NAN
        };
    }
    let relaxed_from_modes_gpa = (kind == ModesKind::Complete).then(|| {
        relaxed_from_modes(
            &products.born_gpa,
            &modes.eigenvalues,
            &modes.projections,
            census.threshold,
            volume,
        )
    });
    let debye = if products.relaxed_gpa.is_none() && relaxed_from_modes_gpa.is_some() {
        debye_model(
            relaxed_from_modes_gpa.as_ref(),
            "relaxed (from modes)",
            &products.born_gpa,
            s.density_g_per_cm3(),
            number_density,
            &mut warnings,
        )
    } else {
        pre_debye
    };
    let participation_low_and_all = if modes.participation.len() == modes.len() && !used.is_empty()
    {
        let pr: Vec<f64> = used.iter().map(|&p| modes.participation[p]).collect();
        let low = (pr.len() / 100).max(1);
        Some([
            mean(pr[..low].iter().copied()).unwrap_or(0.0),
            mean(pr.iter().copied()).unwrap_or(0.0),
        ])
    } else {
        None
    };
    let mode_count = (3 * atoms).saturating_sub(census.zero.max(3) + census.negative) as f64;
    Ok(Sample {
        report: SampleReport {
            name: name.to_string(),
            hessian_dir: dir.to_path_buf(),
            atoms,
            volume_a3: volume,
            modes_kind: kind,
            entries: modes.len(),
            census,
            lowest_thz: if kind == ModesKind::Quadrature {
                None
            } else {
                nu.first().copied()
            },
            highest_thz: if kind == ModesKind::Quadrature {
                None
            } else {
                nu.last().copied()
            },
            debye,
            boson_peak: None,
            relaxed_from_modes_gpa,
            relaxed_hessian_gpa: products.relaxed_gpa,
            born_gpa: products.born_gpa,
            stress_gpa: products.stress_gpa,
            completeness,
            participation_low_and_all,
            diagnostics: result.diagnostics.clone(),
            operator: operator_kind,
            timings: Timings {
                load_s,
                operator_s,
                solve_s,
                analysis_s: clock.elapsed().as_secs_f64(),
            },
            warnings,
        },
        result,
        nu,
        xi: pxi,
        mode_count,
    })
}

fn debye_model(
    relaxed: Option<&[[f64; 6]; 6]>,
    relaxed_source: &str,
    born: &[[f64; 6]; 6],
    density: f64,
    number_density: f64,
    warnings: &mut Vec<String>,
) -> Option<DebyeModel> {
    if let Some(c) = relaxed {
        match DebyeModel::from_moduli(c, density, number_density, relaxed_source) {
            Ok(d) => return Some(d),
            Err(e) => warnings.push(format!("{e}; falling back to Born moduli")),
        }
    }
    match DebyeModel::from_moduli(born, density, number_density, "born") {
        Ok(d) => Some(d),
        Err(e) => {
            warnings.push(e);
            None
        }
    }
}

/// Per-sample curves on the common grid.
#[derive(Clone, Debug, Default)]
struct SampleCurves {
    hist: Vec<f64>,
    smooth: Vec<f64>,
    gamma_shell: Vec<[f64; 6]>,
    gamma_smooth: Vec<[f64; 6]>,
}

#[derive(Default)]
struct Curves(Vec<SampleCurves>);

impl Curves {
    fn push(&mut self, c: SampleCurves) {
        self.0.push(c);
    }
}

fn sample_curves(s: &Sample, grid: Grid, centers: &[f64], sigma: f64) -> SampleCurves {
    if let Some(d) = &s.result.density {
        // KPM: ρ(λ) → D(ν) = (ρ − ρ_zero)(λ(ν)) dλ/dν / (3N − 3); Γ = projected/ρ.
        let n_nonzero = s.mode_count;
        let mut smooth = Vec::with_capacity(centers.len());
        let mut gamma = Vec::with_capacity(centers.len());
        for &nu in centers {
            let lambda = crate::analysis::eigenvalue_of_thz(nu);
            let rho = interpolate(&d.lambda, &d.density, lambda);
            let zero = interpolate(&d.lambda, &d.zero_mode_density, lambda);
            let dl_dnu = 2.0 * lambda / nu;
            smooth.push(((rho - zero).max(0.0)) * dl_dnu / n_nonzero);
            let mut g = [f64::NAN; 6];
            for (a, ga) in g.iter_mut().enumerate() {
                let proj: Vec<f64> = d.projected.iter().map(|x| x[a]).collect();
                let num = interpolate(&d.lambda, &proj, lambda);
                let den = rho - zero;
                if den > 1e-12 * rho.abs().max(1e-300) && den > 0.0 {
                    *ga = num / den;
                }
            }
            gamma.push(g);
        }
        return SampleCurves {
            hist: vec![f64::NAN; centers.len()],
            smooth,
            gamma_shell: gamma.clone(),
            gamma_smooth: gamma,
        };
    }
    SampleCurves {
        hist: histogram(&s.nu, grid, s.mode_count),
        smooth: gaussian_smooth(&s.nu, None, centers, sigma, s.mode_count),
        gamma_shell: gamma_shells(&s.nu, &s.xi, grid),
        gamma_smooth: gamma_smooth(&s.nu, &s.xi, centers, sigma),
    }
}

/// Linear interpolation of y(x) at `at` (x ascending); 0 outside.
fn interpolate(x: &[f64], y: &[f64], at: f64) -> f64 {
    if x.len() < 2 || at < x[0] || at > x[x.len() - 1] {
        return 0.0;
    }
    let k = x.partition_point(|v| *v <= at).clamp(1, x.len() - 1);
    let t = (at - x[k - 1]) / (x[k] - x[k - 1]);
    y[k - 1] + t * (y[k] - y[k - 1])
}

/// Where to look for the boson peak: above the smoothing (or KPM) resolution
/// and the lowest mode, below 40% of the grid (or the top of a lowest-k window).
fn peak_window(s: &Sample, grid: Grid, sigma: f64) -> [f64; 2] {
    match (&s.result.density, s.report.modes_kind) {
        (Some(d), _) => {
            // ν where the KPM resolution δν = c²δλ/(2ν) falls to ν/2.
            let lo = THZ_PER_OMEGA_UNIT * d.resolution.sqrt();
            [lo.max(2.0 * sigma), 0.4 * grid.nu_max_thz]
        }
        (None, ModesKind::Lowest) => [
            s.nu.first().copied().unwrap_or(0.0).max(2.0 * sigma),
            grid.nu_max_thz - 2.0 * sigma,
        ],
        _ => [
            s.nu.first().copied().unwrap_or(0.0).max(2.0 * sigma),
            0.4 * grid.nu_max_thz,
        ],
    }
}

const VOIGT: [&str; 6] = ["xx", "yy", "zz", "yz", "xz", "xy"];

fn vdos_csv(centers: &[f64], curves: &[&SampleCurves], debye: Option<&DebyeModel>) -> String {
    let hist: Vec<Vec<f64>> = curves.iter().map(|c| c.hist.clone()).collect();
    let smooth: Vec<Vec<f64>> = curves.iter().map(|c| c.smooth.clone()).collect();
    let reduced: Vec<Vec<f64>> = curves
        .iter()
        .map(|c| {
            c.smooth
                .iter()
                .zip(centers)
                .map(|(g, nu)| g / (nu * nu))
                .collect()
        })
        .collect();
    let (hm, hs) = mean_and_spread(&hist);
    let (sm, ss) = mean_and_spread(&smooth);
    let (rm, rs) = mean_and_spread(&reduced);
    let mut out = String::from(
        "nu_thz,vdos_hist_per_thz,vdos_hist_spread,vdos_smooth_per_thz,vdos_smooth_spread,vdos_over_nu2_per_thz3,vdos_over_nu2_spread,debye_vdos_per_thz\n",
    );
    for (k, nu) in centers.iter().enumerate() {
        let d = debye.map_or(f64::NAN, |d| d.vdos(*nu));
        let _ = writeln!(
            out,
            "{nu:.6e},{},{},{},{},{},{},{}",
            num(hm[k]),
            num(hs[k]),
            num(sm[k]),
            num(ss[k]),
            num(rm[k]),
            num(rs[k]),
            num(d)
        );
    }
    out
}

fn gamma_csv(centers: &[f64], curves: &[&SampleCurves]) -> String {
    let mut out = String::from("nu_thz");
    for a in VOIGT {
        let _ = write!(out, ",gamma_{a}");
    }
    for a in VOIGT {
        let _ = write!(out, ",gamma_{a}_smooth");
    }
    out.push('\n');
    let column = |pick: &dyn Fn(&SampleCurves) -> &Vec<[f64; 6]>, a: usize| {
        mean_and_spread(
            &curves
                .iter()
                .map(|c| pick(c).iter().map(|g| g[a]).collect())
                .collect::<Vec<_>>(),
        )
        .0
    };
    let shells: Vec<Vec<f64>> = (0..6).map(|a| column(&|c| &c.gamma_shell, a)).collect();
    let smooth: Vec<Vec<f64>> = (0..6).map(|a| column(&|c| &c.gamma_smooth, a)).collect();
    for (k, nu) in centers.iter().enumerate() {
        let _ = write!(out, "{nu:.6e}");
        for col in shells.iter().chain(&smooth) {
            let _ = write!(out, ",{}", num(col[k]));
        }
        out.push('\n');
    }
    out
}

/// A CSV number: empty for NaN.
fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:.8e}")
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

#[allow(clippy::too_many_arguments)]
fn figures(
    centers: &[f64],
    curves: &Curves,
    smooth_mean: &[f64],
    smooth_spread: &[f64],
    debye: Option<&DebyeModel>,
    peak: Option<&BosonPeak>,
    grid: Grid,
    solver: &str,
) -> Vec<(&'static str, Figure)> {
    let blue = (31, 119, 180);
    let orange = (255, 127, 14);
    let n = curves.0.len();
    let samples = if n == 1 {
        "1 sample".to_string()
    } else {
        format!("mean of {n} samples ± spread")
    };
    let (hist_mean, _) =
        mean_and_spread(&curves.0.iter().map(|c| c.hist.clone()).collect::<Vec<_>>());
    let band = |m: &[f64], s: &[f64], f: &dyn Fn(f64, f64) -> f64| -> Vec<(f64, f64, f64)> {
        if n < 2 {
            return Vec::new();
        }
        centers
            .iter()
            .enumerate()
            .map(|(k, x)| (*x, f(m[k] - s[k], *x), f(m[k] + s[k], *x)))
            .collect()
    };
    let id = |v: f64, _: f64| v;
    let mut vdos = vec![Series {
        label: format!("smoothed ({samples})"),
        points: centers
            .iter()
            .copied()
            .zip(smooth_mean.iter().copied())
            .collect(),
        color: blue,
        style: Style::Line,
        band: band(smooth_mean, smooth_spread, &id),
    }];
    if hist_mean.iter().any(|x| x.is_finite()) {
        vdos.insert(
            0,
            Series {
                label: "histogram".into(),
                points: centers
                    .iter()
                    .copied()
                    .zip(hist_mean.iter().copied())
                    .collect(),
                color: (170, 170, 170),
                style: Style::Steps,
                band: Vec::new(),
            },
        );
    }
    if let Some(d) = debye {
        vdos.push(Series {
            label: format!(
                "Debye, ν_D = {:.2} THz ({})",
                d.frequency_thz, d.moduli_source
            ),
            points: centers.iter().map(|x| (*x, d.vdos(*x))).collect(),
            color: orange,
            style: Style::Dashed,
            band: Vec::new(),
        });
    }
    let reduced: Vec<f64> = smooth_mean
        .iter()
        .zip(centers)
        .map(|(g, x)| g / (x * x))
        .collect();
    let top = peak.map_or(0.5 * grid.nu_max_thz, |p| {
        (3.0 * p.nu_thz).min(grid.nu_max_thz)
    });
    let lo = peak.map_or(0.0, |p| p.window_thz[0]);
    let mut red = vec![Series {
        label: format!("D(ν)/ν² ({samples})"),
        points: centers
            .iter()
            .copied()
            .zip(reduced.iter().copied())
            .filter(|(x, _)| *x >= lo)
            .collect(),
        color: blue,
        style: Style::Line,
        band: band(smooth_mean, smooth_spread, &|v, x| v / (x * x))
            .into_iter()
            .filter(|(x, _, _)| *x >= lo)
            .collect(),
    }];
    if let Some(d) = debye {
        red.push(Series {
            label: format!("Debye level 3/ν_D³ ({})", d.moduli_source),
            points: centers.iter().map(|x| (*x, d.level())).collect(),
            color: orange,
            style: Style::Dashed,
            band: Vec::new(),
        });
    }
    let colors = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
    ];
    let gamma: Vec<Series> = (0..6)
        .map(|a| {
            let (m, _) = mean_and_spread(
                &curves
                    .0
                    .iter()
                    .map(|c| c.gamma_smooth.iter().map(|g| g[a]).collect())
                    .collect::<Vec<_>>(),
            );
            Series {
                label: format!("Γ_{}", VOIGT[a]),
                points: centers.iter().copied().zip(m).collect(),
                color: colors[a],
                style: Style::Line,
                band: Vec::new(),
            }
        })
        .collect();
    vec![
        (
            "vdos",
            Figure {
                title: format!("Vibrational density of states ({solver})"),
                x_label: "ν (THz)".into(),
                y_label: "D(ν) (1/THz)".into(),
                x_range: (0.0, grid.nu_max_thz),
                series: vdos,
                marker: None,
            },
        ),
        (
            "boson_peak",
            Figure {
                title: "Reduced VDOS D(ν)/ν²: boson peak".into(),
                x_label: "ν (THz)".into(),
                y_label: "D(ν)/ν² (1/THz³)".into(),
                x_range: (0.0, top),
                series: red,
                marker: peak.map(|p| {
                    (
                        p.nu_thz,
                        p.height_per_thz3,
                        format!(
                            "boson peak {:.2} THz{}",
                            p.nu_thz,
                            p.excess_over_debye
                                .map_or(String::new(), |e| format!(", {e:.2}× Debye"))
                        ),
                    )
                }),
            },
        ),
        (
            "gamma",
            Figure {
                title: "Γ(ν): mean Ξ̂² on frequency shells".into(),
                x_label: "ν (THz)".into(),
                y_label: "Γ (eV²/(Å²·amu))".into(),
                x_range: (0.0, grid.nu_max_thz),
                series: gamma,
                marker: None,
            },
        ),
    ]
}

fn summary(
    solver: &str,
    samples: &[Sample],
    peak: Option<&BosonPeak>,
    debye: Option<&DebyeModel>,
) -> Summary {
    let mut s = Summary::new();
    s.text("solver", solver)
        .int("samples", samples.len() as i64);
    let r0 = &samples[0].report;
    s.int("atoms", r0.atoms as i64);
    s.text("modes_kind", &format!("{:?}", r0.modes_kind).to_lowercase());
    s.int(
        "entries",
        samples.iter().map(|x| x.report.entries as i64).sum(),
    );
    s.int(
        "zero_modes",
        samples.iter().map(|x| x.report.census.zero as i64).sum(),
    );
    s.int(
        "negative_modes",
        samples
            .iter()
            .map(|x| x.report.census.negative as i64)
            .sum(),
    );
    let lows: Vec<f64> = samples.iter().filter_map(|x| x.report.lowest_thz).collect();
    let highs: Vec<f64> = samples
        .iter()
        .filter_map(|x| x.report.highest_thz)
        .collect();
    if !lows.is_empty() {
        s.float(
            "lowest_thz",
            lows.iter().copied().fold(f64::INFINITY, f64::min),
            3,
        );
        s.float("highest_thz", highs.iter().copied().fold(0.0, f64::max), 3);
    }
    match peak {
        Some(p) => {
            s.float("boson_peak_thz", p.nu_thz, 2);
            if let Some(e) = p.excess_over_debye {
                s.float("boson_peak_over_debye", e, 2);
            }
        }
        None => {
            s.text("boson_peak_thz", "none");
        }
    }
    if let Some(d) = debye {
        s.float("debye_thz", d.frequency_thz, 3)
            .text("debye_moduli", &d.moduli_source);
    }
    s
}

fn write(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StageError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StageError::Failed(format!("{}: {e}", path.display())))?;
    write(path, &(text + "\n"))
}
