//! One structure through the solver: the spectrum of D (docs/theory.md Eq. (22)),
//! the census of zero and negative modes, the completeness of the projections
//! (Eq. (25)), the relaxed moduli from the modes (Eq. (30)), participation
//! ratios (Eq. (31)) and the Debye model (Eq. (28)).

use super::inputs::Built;
use crate::analysis::{
    census, frequency_thz, relaxed_from_modes, BosonPeak, DebyeModel, ModeCensus,
};
use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
use nonaffine_core::{ModesKind, SpectrumProblem, SpectrumResult, StageError};
use nonaffine_hessian::HessianProducts;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Results of one structure.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// Version of the description downstream stages read
    /// ([`crate::outputs::FORMAT`]).
    pub format: u32,
    /// Sample (folder) name.
    pub name: String,
    /// Capture temperature of its structure (the hessian stage's
    /// `structure.json`), K; none for a structure file.
    pub temperature_k: Option<f64>,
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

pub(super) struct Sample {
    pub(super) report: SampleReport,
    pub(super) result: SpectrumResult,
    /// Frequencies (THz) and projections of the positive modes.
    pub(super) nu: Vec<f64>,
    pub(super) xi: Vec<[f64; 6]>,
    /// Normalisation of the VDOS: number of non-zero modes of the structure.
    pub(super) mode_count: f64,
}

/// Solves one structure and fills its report (boson peak comes later, on the common grid).
pub(super) fn solve_sample(
    name: &str,
    dir: &Path,
    products: &HessianProducts,
    built: Built,
    solver: &dyn nonaffine_core::SpectrumSolver,
    zero_tol: f64,
    progress: &dyn nonaffine_core::Progress,
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
        operator: op.as_ref(),
        xi: &xi,
        debye_omega: pre_debye
            .as_ref()
            .map(|d| d.frequency_thz / THZ_PER_OMEGA_UNIT),
    };
    let start = Instant::now();
    let result = solver
        .solve_with_progress(&problem, progress)
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
    if kind == ModesKind::Quadrature && result.density.is_none() {
        warnings.push(
            "quadrature nodes without a density (lanczos `vdos: false`): no VDOS, Γ or boson \
             peak; modes.csv holds the full quadrature the response needs"
                .into(),
        );
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
            format: crate::outputs::FORMAT,
            name: name.to_string(),
            temperature_k: None,
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

pub(super) fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}
