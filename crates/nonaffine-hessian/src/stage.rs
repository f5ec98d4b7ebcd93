//! The `hessian` workflow stage.
//!
//! Inputs: upstream `quench` stage folders (every `glass_T{T}K_s{k}.data` listed
//! in their `summary.json`), or one structure file given as `structure_file`.
//! Each structure gets a subfolder of the stage folder (`T670K_s0/`, or the
//! file's stem), holding the files of [`crate::HessianProducts::write_dir`] plus
//! `report.json` (sizes, sum rules, largest force, conjugate-gradient
//! iterations and residuals, timings; see [`HessianReport`]) and
//! `structure.json` (its source and capture temperature, read downstream as
//! [`StructureOutput`]). With
//! `matrix_format: npz` H is `hessian.npz` instead of `hessian.mtx`; with
//! `matrix: false` the folder has neither: everything comes from the
//! pair list ([`crate::compute_matrix_free`]; `nnz` and `blocks` are then 0), and the
//! spectrum stage reads it with `operator: matrix-free`. With more than
//! one upstream quench stage, subfolder names start with the branch label.

use crate::outputs::{StructureOutput, FORMAT};
use crate::{
    compute_matrix_free_reporting, compute_reporting, HessianError, HessianOptions, HessianReport,
    HessianRun, MatrixFormat, PcgOptions,
};
use nonaffine_core::{
    InputSpec, InputsError, ParamError, ParamKind, ParamSpec, Params, PluginInfo, PluginKind,
    Potential, Progress, Stage, StageContext, StageError, Structure, Summary,
};
use nonaffine_quench::outputs::{
    check_structure_inputs, named_structures, NamedStructure, STRUCTURE_INPUTS,
};
use std::path::Path;

/// Parameters of the `hessian` stage.
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "potential",
        kind: ParamKind::Plugin(PluginKind::Potential),
        unit: "",
        default: None,
        doc: "potential plugin with an analytic form: {plugin: eam/fs, file: ..., elements: [Cu, Zr]} (eam/alloy, lj/cut also)",
    },
    ParamSpec {
        name: "structure_file",
        kind: ParamKind::Path,
        unit: "",
        default: Some("(none: upstream quench stages)"),
        doc: "a structure (LAMMPS data or extxyz, types named by the potential's elements) instead of upstream quench stages",
    },
    ParamSpec {
        name: "relaxed",
        kind: ParamKind::Bool,
        unit: "",
        default: Some("true"),
        doc: "also compute the relaxed elastic constants C = C^B − (1/V) Ξᵀ H⁺ Ξ (six conjugate-gradient solves)",
    },
    ParamSpec {
        name: "matrix",
        kind: ParamKind::Bool,
        unit: "",
        default: Some("true"),
        doc: "write hessian.mtx; false: matrix-free (Ξ, Born and relaxed moduli from the pair list; memory linear in N; the spectrum stage must then use operator: matrix-free)",
    },
    ParamSpec {
        name: "matrix_format",
        kind: ParamKind::Text,
        unit: "",
        default: Some("mtx"),
        doc: "file of the stored H: mtx (hessian.mtx, Matrix Market text, lower triangle) or npz (hessian.npz, scipy.sparse.save_npz's CSR layout, both triangles: ≈ 10× faster to write and read); the spectrum stage reads either",
    },
    ParamSpec {
        name: "pcg_tolerance",
        kind: ParamKind::Number,
        unit: "",
        default: Some("1e-10"),
        doc: "relative residual ‖H u − Ξ‖/‖Ξ‖ at which each conjugate-gradient solve stops",
    },
];

/// Stage description.
pub const INFO: PluginInfo = PluginInfo {
    name: "hessian",
    version: "2",
    doc: "Analytic Hessian H = ∂²U/∂x∂x (sparse, all embedding terms), nonaffine force fields \
          Ξ = ∂f/∂η, Born moduli C^B = (1/V)∂²U/∂η², residual stress and, optionally, the relaxed \
          moduli C^B − (1/V)ΞᵀH⁺Ξ of every upstream quench structure (docs/theory.md §3, paper Appendix C). \
          Writes hessian.mtx or hessian.npz (`matrix_format`; neither with `matrix: false`), xi.csv, born.json, relaxed.json, \
          report.json, structure.json per structure.",
    params: PARAMS,
};

/// The `hessian` stage.
pub struct HessianStage;

/// Every input structure with its subfolder name and capture (the naming
/// rule of [`nonaffine_quench::outputs::named_structures`]).
fn structure_files(ctx: &StageContext<'_>) -> Result<Vec<NamedStructure>, StageError> {
    let file = if ctx.params.contains("structure_file") {
        Some(ctx.params.path_value("structure_file")?)
    } else {
        None
    };
    let quenches: Vec<_> = ctx.inputs_of_kind("quench").collect();
    named_structures(file.as_deref(), &quenches).map_err(|e| StageError::Failed(e.to_string()))
}

/// The summary entries of one structure: sizes, checks and a few rounded moduli.
pub fn structure_summary(run: &HessianRun) -> Summary {
    let p = &run.products;
    let r = &run.report;
    let diag: Vec<f64> = (0..6).map(|a| p.born_gpa[a][a]).collect();
    let mut s = Summary::new();
    s.int("n_atoms", p.structure.len() as i64)
        .int("nnz", r.assembly.nnz as i64)
        .int("blocks", r.assembly.blocks as i64)
        .int("pairs", r.assembly.pairs as i64)
        .floats("born_diagonal_gpa", &diag, 4)
        .float("born_c12_gpa", p.born_gpa[0][1], 4)
        .floats("stress_gpa", &p.stress_gpa, 2)
        .text(
            "translation_sum_rule",
            if r.assembly.max_row_sum <= 1e-10 && r.max_xi_sum <= 1e-10 {
                "holds (|Σ_j H_ij|, |Σ_i Ξ_i| ≤ 1e-10 of max)"
            } else {
                "VIOLATED"
            },
        );
    if let Some(c) = p.relaxed_gpa {
        s.float("relaxed_c11_gpa", c[0][0], 4)
            .float("relaxed_c12_gpa", c[0][1], 4)
            .float("relaxed_c44_gpa", c[3][3], 4);
    }
    s
}

fn failed(name: &str, e: HessianError) -> StageError {
    StageError::Failed(format!("{name}: {e}"))
}

/// Reads the structure file of `named` (its types checked against the
/// potential's elements, named by `elements_key` in messages), computes and
/// writes its folder with `structure.json`; without
/// `matrix` (the stored H's format), matrix-free ([`crate::compute_matrix_free`], no
/// stored H).
fn one(
    named: &NamedStructure,
    potential: &dyn Potential,
    elements_key: &str,
    options: &HessianOptions,
    matrix: Option<MatrixFormat>,
    ctx: &StageContext<'_>,
) -> Result<HessianRun, StageError> {
    let name = named.name.as_str();
    let structure_out = StructureOutput {
        format: FORMAT,
        name: name.to_string(),
        source: named.path.clone(),
        temperature_k: named.capture.as_ref().map(|c| c.temperature_k),
        sample: named.capture.as_ref().map(|c| c.sample),
    };
    let structure: Structure =
        nonaffine_io::read_structure_for(&named.path, potential, elements_key)
            .map_err(|e| StageError::Failed(e.to_string()))?;
    let dir = ctx.out_dir.join(name);
    let progress = &Phases {
        inner: ctx.progress,
        name,
    };
    let run = if let Some(format) = matrix {
        let run = compute_reporting(&structure, potential, options, progress)
            .map_err(|e| failed(name, e))?;
        progress.message(&format!("writing {}", format.file_name()));
        run.products
            .write_dir_as(&dir, format)
            .map_err(|e| failed(name, e))?;
        run
    } else {
        let run = compute_matrix_free_reporting(&structure, potential, options, progress)
            .map_err(|e| failed(name, e))?;
        run.products
            .write_dir_without_matrix(&dir)
            .map_err(|e| failed(name, e))?;
        run
    };
    write_report(&dir.join("report.json"), &run.report)?;
    structure_out.write(&dir)?;
    Ok(run)
}

/// Forwards one structure's phase messages, prefixed with its name, to the
/// stage's progress (whose bar counts structures).
struct Phases<'a> {
    inner: &'a dyn Progress,
    name: &'a str,
}

impl Progress for Phases<'_> {
    fn set_total(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn message(&self, text: &str) {
        self.inner.message(&format!("{}: {text}", self.name));
    }
}

fn write_report(path: &Path, report: &HessianReport) -> Result<(), StageError> {
    let text =
        serde_json::to_string_pretty(report).map_err(|e| StageError::Failed(e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|e| StageError::io(path, e))
}

impl Stage for HessianStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(STRUCTURE_INPUTS)
    }

    fn check_inputs(&self, params: &Params, kinds: &[&str]) -> Result<(), InputsError> {
        check_structure_inputs(INFO.name, params, kinds)
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        ctx.params.check_known(PARAMS)?;
        let (plugin, pot_params) = ctx.params.plugin("potential")?;
        let potential = ctx.registry.potential(&plugin, &pot_params)?;
        let options = HessianOptions {
            relaxed: ctx.params.bool_or("relaxed", true)?,
            pcg: PcgOptions {
                relative_tolerance: ctx.params.positive_or("pcg_tolerance", 1e-10)?,
                ..PcgOptions::default()
            },
        };
        let text = ctx.params.text_or("matrix_format", "mtx")?;
        let format = MatrixFormat::parse(text).ok_or_else(|| {
            ParamError::new(
                ctx.params.path("matrix_format"),
                format!("`{text}` is not a matrix format; use mtx or npz"),
            )
        })?;
        let matrix = ctx.params.bool_or("matrix", true)?.then_some(format);
        let files = structure_files(ctx)?;
        let elements_key = ctx.params.path("potential.elements");
        ctx.progress.set_total(files.len() as u64);
        let mut summary = Summary::new();
        summary
            .int("structures", files.len() as i64)
            .text("potential", potential.name());
        for (k, structure) in files.iter().enumerate() {
            ctx.progress.message(&structure.name);
            let run = one(
                structure,
                potential.as_ref(),
                &elements_key,
                &options,
                matrix,
                ctx,
            )?;
            summary.nested(&structure.name, structure_summary(&run));
            ctx.progress.set_position(k as u64 + 1);
        }
        Ok(summary)
    }
}
