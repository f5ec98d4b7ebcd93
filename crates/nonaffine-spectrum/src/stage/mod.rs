//! The `spectrum` workflow stage.
//!
//! Inputs: upstream `hessian` stage folders. Each holds either the files of
//! one structure (`hessian.mtx` or `hessian.npz`, `xi.csv`, `born.json`, `structure.data`;
//! no stored H when the Hessian stage ran with `matrix: false`) or one
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
//! | `<sample>/sample.json`, `<sample>/vdos.csv`, `<sample>/gamma.csv` | the same per sample; sample.json carries the capture temperature from the hessian stage's `structure.json`, and downstream stages read it as [`crate::outputs::SampleOutput`] |
//!
//! D reaches the solver as the stored sparse matrix (`operator: stored`, the
//! default: `hessian.mtx` or `hessian.npz`) or matrix-free (`operator: matrix-free` with the
//! Hessian stage's `potential`: [`nonaffine_hessian::MatrixFreeHessian`]
//! computes D·v from the pair list, the stored H is not read, memory is linear
//! in N; Ξ from the potential must equal `xi.csv` to 1e-6 or the stage stops).
//!
//! Zero modes (|λ| ≤ `zero_tolerance`·max|D_ii|) are excluded and counted (three
//! for a periodic solid). Negative modes beyond that mean the structure is not
//! at a minimum: with `negative_modes: error` (default) the stage fails naming
//! the sample, count and size; with `exclude` they are left out and reported.
//!
//! The code, in the order the stage runs:
//!
//! | module | concern |
//! |---|---|
//! | `settings` | the parameters, read and checked before anything is loaded |
//! | `inputs` | the upstream structures, the solver's size limits, loading each Hessian and building D |
//! | `solve` | one structure: the solver, mode census, completeness, relaxed moduli, Debye model (docs/theory.md §4) |
//! | `curves` | the common frequency grid, VDOS, Γ(ν) and boson peak per sample and averaged |
//! | `report` | what the stage writes and claims: the CSV tables, `spectrum.json`, the summary |
//! | `figures` | the VDOS, boson-peak and Γ plots |

mod curves;
mod direct;
mod figures;
mod inputs;
mod report;
mod settings;
mod solve;

pub use direct::{spectrum_of, SampleSpectrum};
pub use solve::{SampleReport, Timings};

use curves::{averages, common_grid, sample_curves, set_peak, Curves, SampleCurves};
use figures::figures;
use inputs::{load_sample, stored_size_notes, structure_dirs};
use nonaffine_core::{
    InputSpec, Params, PluginInfo, Registry, Stage, StageContext, StageError, Summary,
};
use nonaffine_hessian::outputs::StructureOutput;
use report::{
    gamma_csv, summary, vdos_csv, write, write_json, write_sample_tables, SpectrumFile,
    TotalTimings,
};
use settings::{Settings, PARAMS};
use solve::{solve_sample, Sample};
use std::time::Instant;

/// The stage's progress handed to the solver of one sample: the solver's own
/// units (e.g. D·v products) and status, prefixed with the sample.
struct SampleProgress<'a> {
    inner: &'a dyn nonaffine_core::Progress,
    prefix: String,
}

impl nonaffine_core::Progress for SampleProgress<'_> {
    fn set_total(&self, total: u64) {
        self.inner.set_total(total);
    }
    fn set_position(&self, done: u64) {
        self.inner.set_position(done);
    }
    fn message(&self, text: &str) {
        self.inner.message(&format!("{}: {text}", self.prefix));
    }
}

/// Registry entry of the stage.
pub const INFO: PluginInfo = PluginInfo {
    name: "spectrum",
    version: "3",
    doc:
        "Eigenvalues ω_p² of the mass-weighted Hessian of every upstream `hessian` structure \
          with a named solver (dense, arpack, lanczos, debye), projections Ξ̂_p for the response \
          stage (modes.csv), VDOS over the 3N−3 non-zero modes, Γ(ν), D(ν)/ν² with the boson \
          peak against the Debye level, participation ratios, averages over samples and plots. \
          The solver's own parameters go beside its name: `solver: { plugin: lanczos, steps: 60 }`.",
    params: PARAMS,
};

/// The `spectrum` stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpectrumStage;

impl Stage for SpectrumStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(&[InputSpec {
            kind: "hessian",
            required: true,
            doc: "the Hessian, Ξ and Born moduli of each structure",
        }])
    }

    /// The stage's and the solver's parameters (the solver plugin refuses
    /// values outside its ranges), before any matrix is read.
    fn check(&self, params: &Params, registry: &Registry) -> Result<(), StageError> {
        Settings::read(params, registry)?;
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let started = Instant::now();
        let set = Settings::read(ctx.params, ctx.registry)?;
        let solver_name = &set.solver_name;

        let dirs = structure_dirs(ctx)?;
        // The solver's size and memory limits, from each stored H's header,
        // before any matrix is read (matrix-free: once the structure is read).
        let mut resource_notes = if set.potential.is_none() {
            stored_size_notes(&dirs, set.solver.as_ref())?
        } else {
            Vec::new()
        };
        ctx.progress.set_total(dirs.len() as u64);
        let mut samples = Vec::new();
        for (k, (name, dir)) in dirs.iter().enumerate() {
            ctx.progress.message(&format!("{name}: {solver_name}"));
            let (products, built) = load_sample(dir, &set, &mut resource_notes)?;
            let solver_progress = SampleProgress {
                inner: ctx.progress,
                prefix: format!("{name} ({}/{})", k + 1, dirs.len()),
            };
            let mut sample = solve_sample(
                name,
                dir,
                &products,
                built,
                set.solver.as_ref(),
                set.zero_tol,
                &solver_progress,
            )?;
            sample.report.temperature_k = StructureOutput::read(dir)?.and_then(|s| s.temperature_k);
            ctx.progress.set_total(dirs.len() as u64);
            refuse_negative_modes(&sample, dir, &set)?;
            samples.push(sample);
            ctx.progress.set_position(k as u64 + 1);
        }

        let kind = samples[0].report.modes_kind;
        let (grid, sigma) = common_grid(&samples, &set)?;
        let centers = grid.centers();

        let mut curves = Curves::default();
        resource_notes.dedup();
        let mut warnings = resource_notes;
        for s in &mut samples {
            let clock = Instant::now();
            let c = sample_curves(s, grid, &centers, sigma);
            set_peak(s, &c, &centers, grid, sigma, set.peak_width);
            let dir = ctx.out_dir.join(&s.report.name);
            write_sample_tables(&dir, s, &c, &centers, kind)?;
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
        let avg = averages(&samples, &curves, &centers, grid, sigma, set.peak_width);
        write(
            &ctx.out_dir.join("vdos.csv"),
            &vdos_csv(&centers, &all, avg.debye_for_mean.as_ref()),
        )?;
        write(&ctx.out_dir.join("gamma.csv"), &gamma_csv(&centers, &all))?;

        if set.plots {
            let figs = figures(
                &centers,
                &curves,
                &avg.smooth_mean,
                &avg.smooth_spread,
                [&avg.peak_nu, &avg.peak_vdos_mean, &avg.peak_vdos_spread],
                avg.debye_for_mean.as_ref(),
                avg.peak_of_mean.as_ref(),
                grid,
                solver_name,
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
            solver: solver_name,
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
            boson_peak_of_mean: avg.peak_of_mean.clone(),
            boson_peak_mean_thz: avg.peak_mean,
            boson_peak_spread_thz: avg.peak_spread,
            debye_frequency_mean_thz: avg.debye_mean,
            warnings: warnings.clone(),
        };
        write_json(&ctx.out_dir.join("spectrum.json"), &file)?;
        Ok(summary(
            solver_name,
            &samples,
            avg.peak_of_mean.as_ref(),
            avg.debye_for_mean.as_ref(),
        ))
    }
}

/// With `negative_modes: error`, an error naming the sample's folder `dir`
/// when it has negative eigenvalues beyond round-off.
fn refuse_negative_modes(
    sample: &Sample,
    dir: &std::path::Path,
    set: &Settings,
) -> Result<(), StageError> {
    let c = &sample.report.census;
    if c.negative == 0 || set.negative != "error" {
        return Ok(());
    }
    Err(StageError::Failed(format!(
        "{}: {} negative eigenvalue(s) beyond round-off (most negative λ = {:.3e} eV/(Å²·amu), ν = {:.3}i THz): \
         the structure is not at a minimum; minimize it to a tighter force tolerance, \
         or set `negative_modes: exclude` to leave these modes out",
        dir.display(),
        c.negative,
        c.most_negative_eigenvalue.unwrap_or(0.0),
        c.most_negative_thz.unwrap_or(0.0)
    )))
}
