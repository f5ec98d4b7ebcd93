//! `nonaffine verify`: every file of a run folder's jobs and of its store,
//! hashed in full against the sizes and SHA-256 their `stage.json` recorded.

use crate::cache::{verify_outputs, Verify};
use crate::error::RunError;
use crate::run::read_record;
use std::path::{Path, PathBuf};

/// What [`verify_run`] found.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    /// Job folders checked (run folder and store).
    pub folders: usize,
    /// Files hashed.
    pub files: usize,
    /// One line per damaged file or unverifiable folder, naming it.
    pub problems: Vec<String>,
}

/// Finished job folders under `root`: `<root>/<a>/<b>/` for a run's
/// `stages/` (depth 2), `<root>/<key>/` for a store (depth 1); `.tmp-`
/// folders of running or killed runs are skipped.
fn job_folders(root: &Path, depth: usize) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().contains(".tmp-"))
        .flat_map(|e| {
            if depth > 1 {
                job_folders(&e.path(), depth - 1)
            } else {
                vec![e.path()]
            }
        })
        .collect();
    out.sort();
    out
}

fn check(dir: &Path, report: &mut VerifyReport) {
    report.folders += 1;
    match read_record(dir) {
        None => report
            .problems
            .push(format!("{}: no stage.json", dir.display())),
        Some(Err(e)) => report
            .problems
            .push(format!("{}: stage.json unreadable ({e})", dir.display())),
        Some(Ok(record)) => match &record.outputs {
            None => report.problems.push(format!(
                "{}: stage.json has no output hashes (older nonaffine): unverifiable; the next run recomputes it",
                dir.display()
            )),
            Some(outputs) => {
                report.files += outputs.len();
                report
                    .problems
                    .extend(verify_outputs(dir, outputs, Verify::Full));
            }
        },
    }
}

/// Hashes every output of every job in the run folder `out` and, when given,
/// every entry of the store.
pub fn verify_run(out: &Path, store: Option<&Path>) -> Result<VerifyReport, RunError> {
    let stages = out.join("stages");
    std::fs::read_dir(&stages).map_err(|e| RunError::io(&stages, e))?;
    let mut report = VerifyReport::default();
    for dir in job_folders(&stages, 2) {
        check(&dir, &mut report);
    }
    if let Some(store) = store {
        for dir in job_folders(store, 1) {
            check(&dir, &mut report);
        }
    }
    Ok(report)
}

/// Deletes what this process left half-done in the run folder `out` and the
/// store: its `.tmp-<pid>-` job folders and its `.lock`. For an interrupted
/// run that exits at once; a later run would delete them as well.
pub fn remove_own_temporaries(out: &Path, store: Option<&Path>) {
    let mark = format!(".tmp-{}-", std::process::id());
    let remove_marked = |dir: &Path| {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().contains(&mark) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    };
    for stage in std::fs::read_dir(out.join("stages"))
        .into_iter()
        .flatten()
        .flatten()
    {
        remove_marked(&stage.path());
    }
    if let Some(store) = store {
        remove_marked(store);
    }
    let lock = out.join(".lock");
    if std::fs::read_to_string(&lock).is_ok_and(|t| t.trim() == crate::run::lock_line()) {
        let _ = std::fs::remove_file(lock);
    }
}
