//! One structure's spectrum in memory: what the stage computes for one
//! sample (solver, census, VDOS, Γ, boson peak) from Hessian products the
//! caller holds, without reading or writing files (the Python package's
//! `spectrum`).

use super::curves::{common_grid, sample_curves, set_peak};
use super::inputs::build_operator;
use super::settings::Settings;
use super::solve::solve_sample;
use super::{refuse_negative_modes, SampleReport};
use crate::analysis::Grid;
use nonaffine_core::{Params, Registry, SpectrumResult, StageError};
use nonaffine_hessian::HessianProducts;
use std::path::Path;

/// The spectrum of one structure and its curves on the frequency grid.
#[derive(Clone, Debug)]
pub struct SampleSpectrum {
    /// What the stage writes to `<sample>/sample.json` (boson peak included).
    pub report: SampleReport,
    /// The solver's output: eigenvalues (or quadrature nodes) with Ξ̂, the
    /// KPM density when the solver made one, diagnostics.
    pub result: SpectrumResult,
    /// The frequency grid (THz).
    pub grid: Grid,
    /// Standard deviation of the Gaussian smoothing, THz.
    pub smoothing_thz: f64,
    /// Shell centres ν, THz.
    pub nu_thz: Vec<f64>,
    /// Histogram VDOS, 1/THz (NaN for a KPM density).
    pub vdos_histogram: Vec<f64>,
    /// Gaussian-smoothed (or KPM) VDOS over the non-zero modes, 1/THz.
    pub vdos: Vec<f64>,
    /// Γ_a(ν) shell means, eV²/(Å²·amu).
    pub gamma_shell: Vec<[f64; 6]>,
    /// Γ_a(ν) smoothed (or KPM), eV²/(Å²·amu).
    pub gamma: Vec<[f64; 6]>,
    /// The solver's resource notes and the sample's warnings.
    pub warnings: Vec<String>,
}

/// The spectrum of `products` with the `spectrum` stage's parameters `params`
/// (the keys of a workflow's `spectrum` stage, e.g. `solver: { plugin:
/// lanczos, steps: 60 }`, `bins`); `label` names the structure in errors.
pub fn spectrum_of(
    products: &HessianProducts,
    params: &Params,
    registry: &Registry,
    label: &Path,
) -> Result<SampleSpectrum, StageError> {
    let set = Settings::read(params, registry)?;
    let mut notes = Vec::new();
    if set.potential.is_none() {
        let n = 3 * products.structure.len();
        notes.extend(
            set.solver
                .check_order(n)
                .map_err(|e| StageError::Failed(format!("{}: {e}", label.display())))?,
        );
    }
    let built = build_operator(products, &set, label, &mut notes, 0.0)?;
    let mut sample = solve_sample(
        "sample",
        label,
        products,
        built,
        set.solver.as_ref(),
        set.zero_tol,
        &nonaffine_core::NoProgress,
    )?;
    refuse_negative_modes(&sample, label, &set)?;
    let samples = std::slice::from_ref(&sample);
    let (grid, sigma) = common_grid(samples, &set)?;
    let centers = grid.centers();
    let curves = sample_curves(&sample, grid, &centers, sigma);
    set_peak(&mut sample, &curves, &centers, grid, sigma, set.peak_width);
    notes.extend(sample.report.warnings.iter().cloned());
    Ok(SampleSpectrum {
        report: sample.report,
        result: sample.result,
        grid,
        smoothing_thz: sigma,
        nu_thz: centers,
        vdos_histogram: curves.hist,
        vdos: curves.smooth,
        gamma_shell: curves.gamma_shell,
        gamma: curves.gamma_smooth,
        warnings: notes,
    })
}
