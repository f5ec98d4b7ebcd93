//! Reading a `quench` stage's folder: its captures (data file, temperature,
//! sample) from `summary.json`, and the one naming rule that downstream
//! stages use for per-structure subfolders and table rows, so that the
//! hessian stage's `T670K_s0/` and an MD point of the same glass match.

use nonaffine_core::{check_input_kinds, InputSpec, InputsError, Params, StageInput};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A quench folder or input list that cannot be read.
#[derive(Debug, Error)]
pub enum OutputsError {
    /// `summary.json` could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `summary.json` is not a quench summary.
    #[error("{path}: {message}; is this a `quench` stage's output?")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Neither a structure file nor a quench stage.
    #[error("no structures: add a `quench` stage to this stage's inputs or set `structure_file`")]
    NoStructures,
}

/// One captured and minimized structure of a quench folder.
#[derive(Clone, Debug, PartialEq)]
pub struct QuenchCaptureFile {
    /// The LAMMPS data file (folder joined).
    pub data_file: PathBuf,
    /// Capture temperature, K.
    pub temperature_k: f64,
    /// Sample index (0-based).
    pub sample: usize,
}

#[derive(Deserialize)]
struct SummaryFile {
    captures: Vec<CaptureEntry>,
}

#[derive(Deserialize)]
struct CaptureEntry {
    data_file: String,
    meta: CaptureMetaEntry,
}

#[derive(Deserialize)]
struct CaptureMetaEntry {
    temperature_k: f64,
    sample: usize,
}

/// The captures listed in `dir/summary.json`, in the order written.
pub fn read_captures(dir: &Path) -> Result<Vec<QuenchCaptureFile>, OutputsError> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|source| OutputsError::Io {
        path: path.clone(),
        source,
    })?;
    let summary: SummaryFile = serde_json::from_str(&text).map_err(|e| OutputsError::Format {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(summary
        .captures
        .into_iter()
        .map(|c| QuenchCaptureFile {
            data_file: dir.join(c.data_file),
            temperature_k: c.meta.temperature_k,
            sample: c.meta.sample,
        })
        .collect())
}

/// The inputs of a stage that works on structures (hessian, oscillate):
/// quench stages, needed unless `structure_file` is given.
pub const STRUCTURE_INPUTS: &[InputSpec] = &[InputSpec {
    kind: "quench",
    required: true,
    doc: "its captured and minimized structures; or set `structure_file`",
}];

/// [`nonaffine_core::Stage::check_inputs`] for a stage on structures:
/// only quench stages, and at least one unless `structure_file` is set.
pub fn check_structure_inputs(
    stage_kind: &str,
    params: &Params,
    kinds: &[&str],
) -> Result<(), InputsError> {
    match check_input_kinds(stage_kind, STRUCTURE_INPUTS, kinds) {
        Err(InputsError::Missing(_)) if params.contains("structure_file") => Ok(()),
        other => other,
    }
}

/// An input structure of a downstream stage and the name of its subfolder.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedStructure {
    /// Subfolder / table name: `T670K_s0` (with `<branch>-` or
    /// `<stage>-<k>-` in front when several sources are combined), or the
    /// sanitized stem of a `structure_file`.
    pub name: String,
    /// The structure file.
    pub path: PathBuf,
    /// The capture, when it comes from a quench stage.
    pub capture: Option<QuenchCaptureFile>,
}

/// The input structures of a stage: `structure_file` (if any) first, then
/// every capture of every upstream quench stage in `quenches`, named by the
/// rule of [`NamedStructure::name`].
pub fn named_structures(
    structure_file: Option<&Path>,
    quenches: &[&StageInput],
) -> Result<Vec<NamedStructure>, OutputsError> {
    let mut out = Vec::new();
    if let Some(path) = structure_file {
        let stem = path
            .file_stem()
            .map(|s| sanitize(&s.to_string_lossy()))
            .unwrap_or_else(|| "structure".into());
        out.push(NamedStructure {
            name: stem,
            path: path.to_path_buf(),
            capture: None,
        });
    }
    for (k, input) in quenches.iter().enumerate() {
        let prefix = if quenches.len() == 1 && out.is_empty() {
            String::new()
        } else if input.branch.is_empty() {
            format!("{}-{k}-", sanitize(&input.stage))
        } else {
            format!("{}-", sanitize(&input.branch))
        };
        for c in read_captures(&input.dir)? {
            let stem = c
                .data_file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = stem.strip_prefix("glass_").unwrap_or(&stem);
            out.push(NamedStructure {
                name: format!("{prefix}{}", sanitize(name)),
                path: c.data_file.clone(),
                capture: Some(c),
            });
        }
    }
    if out.is_empty() {
        return Err(OutputsError::NoStructures);
    }
    Ok(out)
}

/// `text` with every character outside `[A-Za-z0-9._-]` replaced by `_`.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn quench_dir(dir: &Path, temps: &[f64]) {
        std::fs::create_dir_all(dir).unwrap();
        let caps: Vec<_> = temps
            .iter()
            .map(|t| {
                serde_json::json!({
                    "data_file": format!("glass_T{t}K_s0.data"),
                    "meta": { "temperature_k": t, "sample": 0, "seed": 1 },
                })
            })
            .collect();
        std::fs::write(
            dir.join("summary.json"),
            serde_json::json!({ "captures": caps }).to_string(),
        )
        .unwrap();
    }

    fn input(stage: &str, branch: &str, dir: &Path) -> StageInput {
        StageInput {
            stage: stage.into(),
            kind: "quench".into(),
            branch: branch.into(),
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn names_follow_the_quench_stems_and_prefix_several_sources() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        quench_dir(&a, &[670.0, 300.5]);
        quench_dir(&b, &[670.0]);
        let one = named_structures(None, &[&input("quench", "", &a)]).unwrap();
        let names: Vec<&str> = one.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["T670K_s0", "T300.5K_s0"]);
        assert_eq!(one[1].capture.as_ref().unwrap().temperature_k, 300.5);
        assert_eq!(one[0].path, a.join("glass_T670K_s0.data"));
        let (ia, ib) = (input("q", "seed=1", &a), input("q", "", &b));
        let two = named_structures(Some(Path::new("x/my glass.data")), &[&ia, &ib]).unwrap();
        let names: Vec<&str> = two.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "my_glass",
                "seed_1-T670K_s0",
                "seed_1-T300.5K_s0",
                "q-1-T670K_s0"
            ]
        );
        assert!(matches!(
            named_structures(None, &[]),
            Err(OutputsError::NoStructures)
        ));
        std::fs::write(a.join("summary.json"), "{\"captures\": 3}").unwrap();
        let e = named_structures(None, &[&ia]).unwrap_err().to_string();
        assert!(e.contains("summary.json") && e.contains("quench"), "{e}");
    }
}
