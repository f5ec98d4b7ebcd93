//! Comparing runs stage by stage through their `summary.yaml` files.
//!
//! Jobs are matched by stage name and branch label. Each is "same", "changed"
//! (every field that moved beyond tolerance, old → new, relative change) or
//! "only in" one side. A snapshot folder stores one run's summaries in a single
//! `summaries.yaml` so a user can check later runs against it, as insta does
//! for Rust tests.

use crate::report::read_manifest;
use crate::yaml;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Name of the file a snapshot folder holds.
pub const SNAPSHOT_FILE: &str = "summaries.yaml";

/// Why summaries could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CompareError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column where known.
        message: String,
    },
}

/// The summaries of one run (or snapshot): (stage, branch) → summary, in run order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summaries {
    /// Where they came from, for messages.
    pub source: String,
    /// (stage, branch, summary) in run order.
    pub entries: Vec<(String, String, Value)>,
}

fn read_yaml_value(path: &Path) -> Result<Value, CompareError> {
    let text = std::fs::read_to_string(path).map_err(|source| CompareError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    yaml::from_str(&text).map_err(|e| CompareError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl Summaries {
    /// Reads every job's `summary.yaml` of the run folder `run_dir`, in the
    /// order of its `manifest.json`.
    pub fn from_run(run_dir: &Path) -> Result<Summaries, CompareError> {
        let manifest = read_manifest(run_dir).map_err(|e| CompareError::Invalid {
            path: run_dir.join("manifest.json"),
            message: format!("not a finished run folder ({e})"),
        })?;
        let entries = manifest
            .stages
            .iter()
            .map(|s| {
                Ok((
                    s.stage.clone(),
                    s.branch.clone(),
                    read_yaml_value(&run_dir.join(&s.dir).join("summary.yaml"))?,
                ))
            })
            .collect::<Result<_, CompareError>>()?;
        Ok(Summaries {
            source: run_dir.display().to_string(),
            entries,
        })
    }

    /// Reads a snapshot folder written by [`Summaries::write_snapshot`].
    pub fn from_snapshot(dir: &Path) -> Result<Summaries, CompareError> {
        let path = dir.join(SNAPSHOT_FILE);
        let tree: BTreeMap<String, BTreeMap<String, Value>> = {
            let text = std::fs::read_to_string(&path).map_err(|source| CompareError::Io {
                path: path.clone(),
                source,
            })?;
            yaml::from_str(&text).map_err(|e| CompareError::Invalid {
                path: path.clone(),
                message: e.to_string(),
            })?
        };
        let entries = tree
            .into_iter()
            .flat_map(|(stage, branches)| {
                branches
                    .into_iter()
                    .map(move |(b, v)| (stage.clone(), if b == "_" { String::new() } else { b }, v))
            })
            .collect();
        Ok(Summaries {
            source: format!("snapshot {}", dir.display()),
            entries,
        })
    }

    /// Stores these summaries as `<dir>/summaries.yaml` (stage → branch →
    /// summary, `_` for an unswept stage), replacing any earlier snapshot.
    pub fn write_snapshot(&self, dir: &Path) -> Result<PathBuf, CompareError> {
        let mut tree: BTreeMap<&str, BTreeMap<&str, &Value>> = BTreeMap::new();
        for (stage, branch, v) in &self.entries {
            tree.entry(stage)
                .or_default()
                .insert(if branch.is_empty() { "_" } else { branch }, v);
        }
        let path = dir.join(SNAPSHOT_FILE);
        let text = yaml::to_string(&tree).map_err(|e| CompareError::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
        std::fs::create_dir_all(dir).map_err(|source| CompareError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let header = format!(
            "# nonaffine stage summaries of {}; check with `nonaffine snapshot check RUN {}`\n",
            self.source,
            dir.display()
        );
        std::fs::write(&path, header + &text).map_err(|source| CompareError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    fn get(&self, stage: &str, branch: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(s, b, _)| s == stage && b == branch)
            .map(|(_, _, v)| v)
    }
}

/// Tolerances: a default, and per field (`field` in every stage, or
/// `stage.field` in one stage; the more specific wins).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerances {
    /// Default relative tolerance (0: any change counts).
    #[serde(default)]
    pub rtol: f64,
    /// Default absolute tolerance, for values near zero.
    #[serde(default)]
    pub atol: f64,
    /// Relative tolerance per field path (`energy_ev_per_atom`, `glass.volume_a3_per_atom`).
    #[serde(default)]
    pub fields: BTreeMap<String, f64>,
}

impl Tolerances {
    /// Reads a tolerance file (YAML with `rtol`, `atol`, `fields`).
    pub fn from_file(path: &Path) -> Result<Tolerances, CompareError> {
        let text = std::fs::read_to_string(path).map_err(|source| CompareError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        yaml::from_str(&text).map_err(|e| CompareError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    fn rtol(&self, stage: &str, field: &str) -> f64 {
        self.fields
            .get(&format!("{stage}.{field}"))
            .or_else(|| self.fields.get(field))
            .copied()
            .unwrap_or(self.rtol)
    }
}

/// One field that moved.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    /// Field path in the summary (`modes.lowest_thz`, `values[2]`).
    pub field: String,
    /// Old value as text, `(absent)` if missing.
    pub old: String,
    /// New value as text, `(absent)` if missing.
    pub new: String,
    /// (new − old)/|old| for numbers with old ≠ 0.
    pub relative: Option<f64>,
}

/// How one job compares.
#[derive(Clone, Debug, PartialEq)]
pub enum StageStatus {
    /// Every field within tolerance.
    Same,
    /// These fields moved beyond tolerance.
    Changed(Vec<FieldChange>),
    /// Only the first run has this job.
    OnlyInA,
    /// Only the second run has this job.
    OnlyInB,
}

/// One job's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct StageDiff {
    /// Stage name.
    pub stage: String,
    /// Branch label.
    pub branch: String,
    /// Result.
    pub status: StageStatus,
}

/// The comparison of two runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffReport {
    /// Name of the first run.
    pub a: String,
    /// Name of the second run.
    pub b: String,
    /// Jobs of A in order, then those only in B.
    pub stages: Vec<StageDiff>,
}

impl DiffReport {
    /// Whether anything differs beyond tolerance (a changed field or an unmatched job).
    pub fn has_changes(&self) -> bool {
        self.stages.iter().any(|s| s.status != StageStatus::Same)
    }
}

/// Leaves of a summary tree as (path, value).
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&p, x, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                leaves(&format!("{prefix}[{i}]"), x, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Fields of one job that moved beyond tolerance.
fn compare_one(stage: &str, a: &Value, b: &Value, tol: &Tolerances) -> Vec<FieldChange> {
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    leaves("", a, &mut la);
    leaves("", b, &mut lb);
    let mut fields: Vec<&String> = la.iter().map(|(k, _)| k).collect();
    fields.extend(
        lb.iter()
            .map(|(k, _)| k)
            .filter(|k| !la.iter().any(|(x, _)| x == *k)),
    );
    let mut out = Vec::new();
    for field in fields {
        let va = la.iter().find(|(k, _)| k == field).map(|(_, v)| v);
        let vb = lb.iter().find(|(k, _)| k == field).map(|(_, v)| v);
        let (changed, relative) = match (va.and_then(Value::as_f64), vb.and_then(Value::as_f64)) {
            (Some(x), Some(y)) => {
                let allowed = tol.atol + tol.rtol(stage, field) * x.abs().max(y.abs());
                let relative = (x != 0.0).then(|| (y - x) / x.abs());
                ((y - x).abs() > allowed, relative)
            }
            _ => (va != vb, None),
        };
        if changed {
            out.push(FieldChange {
                field: field.clone(),
                old: show(va),
                new: show(vb),
                relative,
            });
        }
    }
    out
}

/// Compares two sets of summaries job by job.
pub fn compare(a: &Summaries, b: &Summaries, tol: &Tolerances) -> DiffReport {
    let mut stages = Vec::new();
    for (stage, branch, va) in &a.entries {
        let status = match b.get(stage, branch) {
            None => StageStatus::OnlyInA,
            Some(vb) => {
                let changes = compare_one(stage, va, vb, tol);
                if changes.is_empty() {
                    StageStatus::Same
                } else {
                    StageStatus::Changed(changes)
                }
            }
        };
        stages.push(StageDiff {
            stage: stage.clone(),
            branch: branch.clone(),
            status,
        });
    }
    for (stage, branch, _) in &b.entries {
        if a.get(stage, branch).is_none() {
            stages.push(StageDiff {
                stage: stage.clone(),
                branch: branch.clone(),
                status: StageStatus::OnlyInB,
            });
        }
    }
    DiffReport {
        a: a.source.clone(),
        b: b.source.clone(),
        stages,
    }
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "A: {}\nB: {}", self.a, self.b)?;
        let mut counts = [0usize; 4];
        for s in &self.stages {
            let label = if s.branch.is_empty() {
                s.stage.clone()
            } else {
                format!("{} [{}]", s.stage, s.branch)
            };
            match &s.status {
                StageStatus::Same => {
                    counts[0] += 1;
                    writeln!(f, "{label}: same")?;
                }
                StageStatus::Changed(changes) => {
                    counts[1] += 1;
                    writeln!(f, "{label}: changed")?;
                    for c in changes {
                        let rel = c
                            .relative
                            .map(|r| format!(" ({:+.3}%)", 100.0 * r))
                            .unwrap_or_default();
                        writeln!(f, "    {}: {} → {}{rel}", c.field, c.old, c.new)?;
                    }
                }
                StageStatus::OnlyInA => {
                    counts[2] += 1;
                    writeln!(f, "{label}: only in A")?;
                }
                StageStatus::OnlyInB => {
                    counts[3] += 1;
                    writeln!(f, "{label}: only in B")?;
                }
            }
        }
        write!(
            f,
            "{} same, {} changed, {} only in A, {} only in B",
            counts[0], counts[1], counts[2], counts[3]
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sums(entries: &[(&str, &str, Value)]) -> Summaries {
        Summaries {
            source: "x".into(),
            entries: entries
                .iter()
                .map(|(s, b, v)| (s.to_string(), b.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn tolerance_decides_same_or_changed_and_specific_fields_win() {
        let a = sums(&[("k", "", json!({"e": 100.0, "f": 1.0, "name": "x"}))]);
        let b = sums(&[("k", "", json!({"e": 100.05, "f": 1.0, "name": "x"}))]);
        let loose = Tolerances {
            rtol: 1e-3,
            ..Default::default()
        };
        assert!(!compare(&a, &b, &loose).has_changes());
        let strict = Tolerances {
            rtol: 1e-3,
            fields: [("k.e".to_string(), 1e-5)].into(),
            ..Default::default()
        };
        let report = compare(&a, &b, &strict);
        let StageStatus::Changed(changes) = &report.stages[0].status else {
            panic!("{report}")
        };
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "e");
        assert!((changes[0].relative.unwrap() - 5e-4).abs() < 1e-12);
    }

    #[test]
    fn nested_fields_text_and_missing_jobs() {
        let a = sums(&[
            ("k", "", json!({"m": {"v": [1, 2]}, "t": "a"})),
            ("gone", "seed=1", json!({})),
        ]);
        let b = sums(&[
            ("k", "", json!({"m": {"v": [1, 3]}, "t": "b", "new": 1})),
            ("extra", "", json!({})),
        ]);
        let r = compare(&a, &b, &Tolerances::default());
        let StageStatus::Changed(c) = &r.stages[0].status else {
            panic!("{r}")
        };
        let fields: Vec<&str> = c.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, vec!["m.v[1]", "t", "new"]);
        assert_eq!(c[2].old, "(absent)");
        assert_eq!(r.stages[1].status, StageStatus::OnlyInA);
        assert_eq!(r.stages[2].status, StageStatus::OnlyInB);
        assert!(r
            .to_string()
            .ends_with("0 same, 1 changed, 1 only in A, 1 only in B"));
    }
}
