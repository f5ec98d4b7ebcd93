//! `manifest.json` (what made each output) and `report.md` (links to every
//! output file) of a run folder.

use crate::cache::{FileRecord, InputRecord};
use crate::error::RunError;
use crate::run::{write_atomic, RunReport, Status, NONAFFINE_VERSION};
use crate::workflow::Workflow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Contents of `<out>/manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of nonaffine that wrote it.
    pub nonaffine_version: String,
    /// The workflow.
    pub workflow: ManifestWorkflow,
    /// Wall time of the run in s.
    pub seconds: f64,
    /// Every job of the run, in run order.
    pub stages: Vec<ManifestStage>,
}

/// The workflow a manifest was made from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestWorkflow {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// File as named on the command line.
    pub file: String,
    /// SHA-256 of the file's text.
    pub sha256: String,
    /// Validation warnings (deprecated forms), `file:line:column: message`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
}

/// One job in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestStage {
    /// Stage name.
    pub stage: String,
    /// Branch label, empty when not swept.
    pub branch: String,
    /// Output folder relative to the run folder.
    pub dir: PathBuf,
    /// Stage kind.
    pub kind: String,
    /// Stage version.
    pub version: String,
    /// Cache key.
    pub key: String,
    /// `ran` or `cached`.
    pub status: String,
    /// Why it ran, when it did.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Wall time in s of the run that made the output.
    pub seconds: f64,
    /// Canonical parameters (file paths replaced by content hashes).
    pub params: Value,
    /// Versions of the plugins the parameters name.
    pub plugins: BTreeMap<String, String>,
    /// Upstream outputs read, per input.
    pub inputs: Vec<Vec<InputRecord>>,
    /// Files the parameters name.
    pub files: Vec<FileRecord>,
    /// The stage's own `provenance.json` (program versions, file headers...), if it wrote one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub provenance: Option<Value>,
}

/// Reads `<run>/manifest.json`.
pub fn read_manifest(run_dir: &Path) -> Result<Manifest, RunError> {
    let path = run_dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| RunError::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| RunError::Corrupt {
        path,
        message: format!("not a nonaffine manifest: {e}"),
    })
}

pub(crate) fn write_manifest(workflow: &Workflow, report: &RunReport) -> Result<(), RunError> {
    let stages = report
        .outcomes
        .iter()
        .map(|o| {
            let prov_path = report.out_dir.join(&o.dir).join("provenance.json");
            let provenance = std::fs::read_to_string(&prov_path).ok().map(|text| {
                serde_json::from_str(&text).unwrap_or_else(|e| {
                    tracing::warn!("{}: not JSON ({e}); kept as text", prov_path.display());
                    Value::String(text)
                })
            });
            ManifestStage {
                stage: o.stage.clone(),
                branch: o.branch.clone(),
                dir: o.dir.clone(),
                kind: o.record.parts.kind.clone(),
                version: o.record.parts.version.clone(),
                key: o.record.key.clone(),
                status: match o.status {
                    Status::Cached => "cached",
                    Status::Stored => "stored",
                    Status::Ran(_) => "ran",
                }
                .to_string(),
                reason: match &o.status {
                    Status::Cached | Status::Stored => None,
                    Status::Ran(r) => Some(r.to_string()),
                },
                seconds: o.record.seconds,
                params: o.record.parts.params.clone(),
                plugins: o.record.parts.plugins.clone(),
                inputs: o.record.parts.inputs.clone(),
                files: o.record.files.clone(),
                provenance,
            }
        })
        .collect();
    let manifest = Manifest {
        nonaffine_version: NONAFFINE_VERSION.to_string(),
        workflow: ManifestWorkflow {
            name: workflow.name.clone(),
            description: workflow.description.clone(),
            file: workflow.file.display().to_string(),
            sha256: workflow.source_sha256.clone(),
            warnings: workflow.warnings.iter().map(ToString::to_string).collect(),
        },
        seconds: report.seconds,
        stages,
    };
    let path = report.out_dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| RunError::Corrupt {
        path: path.clone(),
        message: e.to_string(),
    })?;
    write_atomic(&path, text.as_bytes())
}

/// Files under `dir`, relative to it, sorted; hidden files skipped.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A relative path as a Markdown link target (spaces and parentheses escaped).
fn link(path: &Path) -> String {
    path.components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .replace(' ', "%20")
                .replace('(', "%28")
                .replace(')', "%29")
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) fn write_markdown(workflow: &Workflow, report: &RunReport) -> Result<(), RunError> {
    let mut md = String::new();
    let _ = writeln!(md, "# Workflow `{}`\n", workflow.name);
    if !workflow.description.is_empty() {
        let _ = writeln!(md, "{}\n", workflow.description);
    }
    let _ = writeln!(
        md,
        "From `{}` by nonaffine {NONAFFINE_VERSION}; provenance of every output in [manifest.json](manifest.json).\n",
        workflow.file.display()
    );
    if !workflow.warnings.is_empty() {
        let _ = writeln!(
            md,
            "**Warnings** (the workflow validated, but should change):\n"
        );
        for w in &workflow.warnings {
            let _ = writeln!(md, "- {w}");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(
        md,
        "| stage | branch | kind | status | time (s) |\n|---|---|---|---|---|"
    );
    for o in &report.outcomes {
        let status = match &o.status {
            Status::Cached => "cached".to_string(),
            Status::Stored => "from the store".to_string(),
            Status::Ran(r) => format!("ran: {r}"),
        };
        let _ = writeln!(
            md,
            "| [{}](#{}) | {} | {} | {} | {:.2} |",
            o.stage,
            anchor(&o.label()),
            o.branch,
            o.record.parts.kind,
            status.replace('|', "\\|"),
            o.record.seconds
        );
    }
    for o in &report.outcomes {
        let _ = writeln!(md, "\n## {}\n", o.label());
        let _ = writeln!(
            md,
            "Kind `{}` v{}, key `{}`.\n",
            o.record.parts.kind,
            o.record.parts.version,
            &o.record.key[..16.min(o.record.key.len())]
        );
        let dir = report.out_dir.join(&o.dir);
        if let Ok(summary) = std::fs::read_to_string(dir.join("summary.yaml")) {
            let _ = writeln!(md, "```yaml\n{}```\n", summary);
        }
        let files = files_under(&dir);
        let (figures, others): (Vec<&PathBuf>, Vec<&PathBuf>) = files.iter().partition(|f| {
            matches!(
                f.extension().and_then(|e| e.to_str()),
                Some("png" | "svg" | "jpg" | "jpeg")
            )
        });
        for f in figures {
            let target = link(&o.dir.join(f));
            let _ = writeln!(md, "![{}]({target})\n", f.display());
        }
        for f in others {
            let _ = writeln!(md, "- [{}]({})", f.display(), link(&o.dir.join(f)));
        }
    }
    write_atomic(&report.out_dir.join("report.md"), md.as_bytes())
}

/// GitHub-style heading anchor.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
