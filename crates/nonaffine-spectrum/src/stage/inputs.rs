//! The `spectrum` stage's inputs: the structures of the upstream `hessian`
//! folders, the solver's size limits checked before any matrix is read, and each
//! structure's Hessian products with the mass-weighted dynamical matrix
//! D = M^{-1/2} H M^{-1/2} (docs/theory.md Eq. (22)) as the solver will see it,
//! stored or matrix-free.

use super::settings::Settings;
use crate::operator::CsrOperator;
use nonaffine_core::{SpectrumSolver, StageContext, StageError, SymmetricOperator};
use nonaffine_hessian::{products, HessianProducts, MatrixFreeHessian};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `(sample name, folder)` of every structure in the upstream `hessian` folders.
pub(super) fn structure_dirs(ctx: &StageContext<'_>) -> Result<Vec<(String, PathBuf)>, StageError> {
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

/// Notes of the solver's size and memory limits for every stored H
/// (`hessian.mtx` or `hessian.npz`), read from its header only; a size the
/// solver refuses is an error naming the file.
pub(super) fn stored_size_notes(
    dirs: &[(String, PathBuf)],
    solver: &dyn SpectrumSolver,
) -> Result<Vec<String>, StageError> {
    let mut resource_notes = Vec::new();
    for (_, dir) in dirs {
        let stored = products::matrix_file(dir).map_err(|e| StageError::Failed(e.to_string()))?;
        if let Some(file) = stored {
            let (rows, _, _) =
                products::matrix_size(&file).map_err(|e| StageError::Failed(e.to_string()))?;
            resource_notes.extend(
                solver
                    .check_order(rows)
                    .map_err(|e| StageError::Failed(format!("{}: {e}", file.display())))?,
            );
        }
    }
    Ok(resource_notes)
}

/// Reads one structure's Hessian products and builds D (matrix-free: after the
/// solver's size check, which adds to `resource_notes`).
pub(super) fn load_sample(
    dir: &Path,
    set: &Settings,
    resource_notes: &mut Vec<String>,
) -> Result<(HessianProducts, Built), StageError> {
    let clock = Instant::now();
    let read = if set.potential.is_some() {
        HessianProducts::read_dir_without_matrix
    } else if products::matrix_file(dir)
        .map_err(|e| StageError::Failed(e.to_string()))?
        .is_some()
    {
        HessianProducts::read_dir
    } else {
        return Err(StageError::Failed(format!(
            "{}: no hessian.mtx or hessian.npz (the hessian stage ran with `matrix: false`?); set \
             `operator: matrix-free` and `potential` to compute D·v from the pair list",
            dir.display()
        )));
    };
    let products =
        read(dir, set.elements.as_deref()).map_err(|e| StageError::Failed(e.to_string()))?;
    let load_s = clock.elapsed().as_secs_f64();
    let built = build_operator(&products, set, dir, resource_notes, load_s)?;
    Ok((products, built))
}

/// D of `products` as the solver will see it: the stored Hessian mass
/// weighted, or (with the settings' `potential`, after the solver's size
/// check, which adds to `resource_notes`) matrix-free. `dir` names the sample
/// in errors; `load_s` is the time spent reading it.
pub(super) fn build_operator(
    products: &HessianProducts,
    set: &Settings,
    dir: &Path,
    resource_notes: &mut Vec<String>,
    load_s: f64,
) -> Result<Built, StageError> {
    let (potential, solver) = (&set.potential, &set.solver);
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
    Ok(Built {
        operator,
        kind,
        scale,
        xi,
        load_s,
        operator_s: clock.elapsed().as_secs_f64(),
    })
}

/// D of one sample as the solver will see it.
pub(super) struct Built {
    pub(super) operator: Box<dyn SymmetricOperator>,
    /// `stored` or `matrix-free`.
    pub(super) kind: &'static str,
    /// max|D_ii|, eV/(Å²·amu): scale of the zero-mode tolerance.
    pub(super) scale: f64,
    /// M^{-1/2} Ξ, eV/(Å·amu^{1/2}).
    pub(super) xi: Vec<[f64; 6]>,
    pub(super) load_s: f64,
    pub(super) operator_s: f64,
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
