//! From a structure and a potential to [`HessianProducts`].

use crate::affine::{born_and_stress, force_fields};
use crate::assemble::{assemble, AssemblyStats};
use crate::model::Model;
use crate::relaxed::{
    relaxed_moduli_reporting, HessianOperator, PcgOptions, PcgReport, Relaxation,
};
use crate::{HessianError, HessianProducts, MatrixFreeHessian};
use nalgebra_sparse::CsrMatrix;
use nonaffine_core::{EamForm, NoProgress, Potential, Progress, Structure};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The analytic second derivatives of an [`EamForm`] potential for one
/// structure (species indexed as the form's, see
/// [`nonaffine_forces::align_species`]). Evaluates the radial functions once;
/// each product is then a pass over the stored bonds.
pub struct AnalyticDerivatives {
    model: Model,
    volume_a3: f64,
}

impl AnalyticDerivatives {
    /// Builds the neighbour list (every periodic image within the cutoff) and
    /// evaluates F', F'', ρ', ρ'', φ', φ'' of every bond.
    pub fn new(form: &dyn EamForm, structure: &Structure) -> Result<Self, HessianError> {
        Ok(Self {
            model: Model::new(form, structure)?,
            volume_a3: structure.cell.volume(),
        })
    }

    /// H = ∂²U/∂x∂x (3N×3N, both triangles, exactly symmetric), eV/Å², and
    /// its size and round-off diagnostics.
    pub fn hessian(&self) -> (CsrMatrix<f64>, AssemblyStats) {
        assemble(&self.model)
    }

    /// Ξ_{m,a} = ∂f_m/∂η_a: 3N rows (atom m, axis α at 3m+α), Voigt columns, eV/Å.
    pub fn force_fields(&self) -> Vec<[f64; 6]> {
        force_fields(&self.model)
    }

    /// Born moduli C^B = (1/V) ∂²U/∂η∂η and residual stress σ = (1/V) ∂U/∂η,
    /// both in GPa, Voigt (see [`crate::affine`] for the convention).
    pub fn born_and_stress_gpa(&self) -> ([[f64; 6]; 6], [f64; 6]) {
        born_and_stress(&self.model, self.volume_a3)
    }

    /// Forces f = −∂U/∂x from the same bonds, eV/Å.
    pub fn forces(&self) -> Vec<[f64; 3]> {
        self.model.forces()
    }
}

/// What [`compute`] does besides H, Ξ and C^B.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HessianOptions {
    /// Whether to solve for the relaxed moduli (six conjugate-gradient solves).
    pub relaxed: bool,
    /// Conjugate-gradient settings.
    pub pcg: PcgOptions,
}

impl Default for HessianOptions {
    fn default() -> Self {
        Self {
            relaxed: true,
            pcg: PcgOptions::default(),
        }
    }
}

/// Wall-clock seconds of each step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Neighbour list and radial functions.
    pub model_s: f64,
    /// Hessian assembly.
    pub hessian_s: f64,
    /// Ξ, C^B and σ.
    pub affine_s: f64,
    /// Relaxed moduli (PCG), when computed.
    pub relaxed_s: f64,
}

/// Checks and statistics of one computation (written as `report.json` by the stage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HessianReport {
    /// Sizes of H and its symmetry and translation sum rule.
    pub assembly: AssemblyStats,
    /// Largest |f_m| of the structure, eV/Å: the relaxed moduli assume it is ~0.
    pub max_force_ev_per_a: f64,
    /// Largest |Σ_m Ξ_{m,a}| over axes and components (zero by translation
    /// invariance), relative to the largest |Ξ_{m,a}|.
    pub max_xi_sum: f64,
    /// Conjugate-gradient statistics, when the relaxed moduli were computed.
    pub pcg: Option<PcgReport>,
    /// Time of each step.
    pub timings: Timings,
}

/// The products of one structure and their report.
#[derive(Clone, Debug)]
pub struct HessianRun {
    /// H, Ξ, C^B, σ and (optionally) the relaxed moduli.
    pub products: HessianProducts,
    /// Checks and statistics.
    pub report: HessianReport,
    /// Nonaffine displacements per unit strain u_a = H⁺ Ξ_a (3N rows, Voigt
    /// columns, Å), when the relaxed moduli were computed.
    pub displacements: Option<Vec<[f64; 6]>>,
}

/// Computes H, Ξ, C^B, σ and, if asked, the relaxed moduli of `structure`
/// with `potential`. The structure's species are matched to the potential's
/// elements by name (masses from the potential); atom order is kept.
/// A potential without an analytic form is refused.
pub fn compute(
    structure: &Structure,
    potential: &dyn Potential,
    options: &HessianOptions,
) -> Result<HessianRun, HessianError> {
    compute_reporting(structure, potential, options, &NoProgress)
}

/// [`compute`] telling `progress` its phases (neighbour list, assembly, Ξ and
/// C^B, the relaxed moduli's conjugate gradient: positions 1 to 4 of 4, or 3
/// without the relaxed moduli) and the conjugate gradient's iterations.
pub fn compute_reporting(
    structure: &Structure,
    potential: &dyn Potential,
    options: &HessianOptions,
    progress: &dyn Progress,
) -> Result<HessianRun, HessianError> {
    let (aligned, form) = aligned_with_form(structure, potential)?;
    compute_with_form_reporting(&aligned, form, options, progress)
}

/// The phase count [`compute_reporting`] reports.
fn phases(options: &HessianOptions, progress: &dyn Progress) {
    progress.set_total(if options.relaxed { 4 } else { 3 });
    progress.set_position(0);
    progress.message("neighbour list and radial functions");
}

/// The potential's analytic form (refused when it has none) and the structure
/// with its species re-indexed to the form's elements.
fn aligned_with_form<'p>(
    structure: &Structure,
    potential: &'p dyn Potential,
) -> Result<(Structure, &'p dyn EamForm), HessianError> {
    let form = potential
        .form()
        .ok_or_else(|| HessianError::NoForm(potential.name().to_string()))?;
    Ok((nonaffine_forces::align_species(structure, potential)?, form))
}

/// [`compute`] for a structure whose species already index `form`'s.
pub fn compute_with_form(
    structure: &Structure,
    form: &dyn EamForm,
    options: &HessianOptions,
) -> Result<HessianRun, HessianError> {
    compute_with_form_reporting(structure, form, options, &NoProgress)
}

fn compute_with_form_reporting(
    structure: &Structure,
    form: &dyn EamForm,
    options: &HessianOptions,
    progress: &dyn Progress,
) -> Result<HessianRun, HessianError> {
    phases(options, progress);
    let mut timings = Timings::default();
    let clock = Instant::now();
    let derivatives = AnalyticDerivatives::new(form, structure)?;
    timings.model_s = clock.elapsed().as_secs_f64();
    progress.set_position(1);
    progress.message("assembling H");

    let clock = Instant::now();
    let (hessian, assembly) = derivatives.hessian();
    timings.hessian_s = clock.elapsed().as_secs_f64();
    progress.set_position(2);
    progress.message("Ξ, Born moduli and stress");

    let clock = Instant::now();
    let xi = derivatives.force_fields();
    let (born_gpa, stress_gpa) = derivatives.born_and_stress_gpa();
    let max_force_ev_per_a = derivatives
        .forces()
        .iter()
        .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
        .fold(0.0, f64::max);
    timings.affine_s = clock.elapsed().as_secs_f64();

    let max_xi_sum = translation_sum(&xi);

    let products = HessianProducts {
        structure: structure.clone(),
        hessian,
        xi,
        born_gpa,
        stress_gpa,
        relaxed_gpa: None,
    };
    progress.set_position(3);
    let relaxation = relax(
        &products,
        &products.hessian,
        options,
        &mut timings,
        progress,
    )?;
    Ok(finish(products, relaxation, |pcg| HessianReport {
        assembly,
        max_force_ev_per_a,
        max_xi_sum,
        pcg,
        timings,
    }))
}

/// Largest |Σ_m Ξ_{m,a}| over axes and components, relative to the largest |Ξ_{m,a}|.
fn translation_sum(xi: &[[f64; 6]]) -> f64 {
    let mut sums = [[0.0f64; 6]; 3];
    let mut largest = 0.0f64;
    for (row, x) in xi.iter().enumerate() {
        for a in 0..6 {
            sums[row % 3][a] += x[a];
            largest = largest.max(x[a].abs());
        }
    }
    let worst_sum = sums.iter().flatten().fold(0.0f64, |m, s| m.max(s.abs()));
    if largest > 0.0 {
        worst_sum / largest
    } else {
        worst_sum
    }
}

/// The relaxed moduli of `products` with H given by `hessian`, if `options` ask.
fn relax(
    products: &HessianProducts,
    hessian: &dyn HessianOperator,
    options: &HessianOptions,
    timings: &mut Timings,
    progress: &dyn Progress,
) -> Result<Option<Relaxation>, HessianError> {
    if !options.relaxed {
        return Ok(None);
    }
    progress.message("relaxed moduli (six conjugate-gradient solves)");
    let clock = Instant::now();
    let relaxation = relaxed_moduli_reporting(
        hessian,
        &products.xi,
        &products.born_gpa,
        products.volume_a3(),
        &options.pcg,
        progress,
    )?;
    timings.relaxed_s = clock.elapsed().as_secs_f64();
    progress.set_position(4);
    Ok(Some(relaxation))
}

/// The run of `products` and their relaxation; `report` gets the PCG statistics.
fn finish(
    mut products: HessianProducts,
    relaxation: Option<Relaxation>,
    report: impl FnOnce(Option<PcgReport>) -> HessianReport,
) -> HessianRun {
    let (pcg, displacements) = match relaxation {
        Some(r) => {
            products.relaxed_gpa = Some(r.relaxed_gpa);
            (Some(r.report), Some(r.displacements))
        }
        None => (None, None),
    };
    HessianRun {
        products,
        report: report(pcg),
        displacements,
    }
}

/// [`compute`] without storing H: Ξ, C^B, σ and the relaxed moduli from the
/// pair list of a [`MatrixFreeHessian`] (memory linear in N; the relaxed
/// moduli's conjugate gradient applies H on the fly). `products.hessian` is a
/// 3N×3N matrix with no entries, to be written with
/// [`HessianProducts::write_dir_without_matrix`]. The report's `assembly`
/// counts the pair list's pairs and bytes (no blocks, no entries) and its
/// `max_row_sum` is the largest |(H t)_i| over the three unit translations t,
/// relative to the largest diagonal entry of H.
pub fn compute_matrix_free(
    structure: &Structure,
    potential: &dyn Potential,
    options: &HessianOptions,
) -> Result<HessianRun, HessianError> {
    compute_matrix_free_reporting(structure, potential, options, &NoProgress)
}

/// [`compute_matrix_free`] telling `progress` its phases as
/// [`compute_reporting`] does (the second, assembly, is the translation check).
pub fn compute_matrix_free_reporting(
    structure: &Structure,
    potential: &dyn Potential,
    options: &HessianOptions,
    progress: &dyn Progress,
) -> Result<HessianRun, HessianError> {
    let (aligned, form) = aligned_with_form(structure, potential)?;
    phases(options, progress);
    let mut timings = Timings::default();
    let clock = Instant::now();
    let operator = MatrixFreeHessian::new(form, &aligned)?;
    timings.model_s = clock.elapsed().as_secs_f64();
    progress.set_position(1);
    progress.message("Ξ, Born moduli and stress from the pair list");

    let clock = Instant::now();
    let xi = operator.force_fields();
    let (born_gpa, stress_gpa) = operator.born_and_stress_gpa(aligned.cell.volume());
    let max_force_ev_per_a = operator
        .forces()
        .iter()
        .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
        .fold(0.0, f64::max);
    timings.affine_s = clock.elapsed().as_secs_f64();

    progress.set_position(2);
    progress.message("translation sum rule (H t)");
    // H t for the three unit translations t (translation sum rule).
    let n3 = 3 * aligned.len();
    let translations: Vec<[f64; 6]> = (0..n3)
        .map(|row| std::array::from_fn(|a| if a == row % 3 { 1.0 } else { 0.0 }))
        .collect();
    let mut ht = vec![[0.0; 6]; n3];
    operator.apply6(&translations, &mut ht);
    let worst_row = ht
        .iter()
        .flat_map(|row| row[..3].iter())
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let h_max = operator.max_abs_entry();
    let assembly = AssemblyStats {
        atoms: aligned.len(),
        pairs: operator.pairs(),
        blocks: 0,
        nnz: 0,
        bytes: operator.bytes(),
        max_row_sum: if h_max > 0.0 {
            worst_row / h_max
        } else {
            worst_row
        },
    };

    let max_xi_sum = translation_sum(&xi);
    let products = HessianProducts {
        hessian: CsrMatrix::zeros(n3, n3),
        structure: aligned,
        xi,
        born_gpa,
        stress_gpa,
        relaxed_gpa: None,
    };
    progress.set_position(3);
    let relaxation = relax(&products, &operator, options, &mut timings, progress)?;
    Ok(finish(products, relaxation, |pcg| HessianReport {
        assembly,
        max_force_ev_per_a,
        max_xi_sum,
        pcg,
        timings,
    }))
}
