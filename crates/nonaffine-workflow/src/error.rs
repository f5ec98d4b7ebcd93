//! Errors of loading, validating and running workflows.

use nonaffine_core::StageError;
use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// One problem in a workflow file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The workflow file, as the user named it.
    pub file: PathBuf,
    /// Line and column (from 1) of the offending key or value, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => {
                write!(
                    f,
                    "{}:{line}:{column}: {}",
                    self.file.display(),
                    self.message
                )
            }
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// A workflow that could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// The file could not be read.
    #[error("cannot read workflow {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message, so not also a `source`: a chain
        /// printed with `{:#}` would say it twice).
        error: std::io::Error,
    },
    /// The file has problems; one line each, in file order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

/// A run that stopped.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RunError {
    /// Reading or writing a file of the run folder failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error (in the message, so not also a `source`: a chain
        /// printed with `{:#}` would say it twice).
        error: std::io::Error,
    },
    /// A file of the run folder is not what this program wrote.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A stage returned an error; its temporary folder was removed.
    #[error("stage `{stage}`{} failed: {error}", if branch.is_empty() { String::new() } else { format!(" [{branch}]") })]
    Stage {
        /// Stage name in the workflow.
        stage: String,
        /// Sweep point label, empty when not swept.
        branch: String,
        /// The stage's error (in the message, so not also a `source`).
        error: Box<StageError>,
    },
    /// Two sweep points of a stage would write the same output folder.
    #[error("stage `{stage}`: sweep points [{first}] and [{second}] would share the folder `{folder}`; make the swept values distinct")]
    SharedFolder {
        /// Stage name in the workflow.
        stage: String,
        /// The first sweep point's label.
        first: String,
        /// The second sweep point's label.
        second: String,
        /// The folder name both map to.
        folder: String,
    },
    /// `--force` named a stage the workflow does not have.
    #[error("--force {name}: no such stage in the workflow{}; stages: {}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), known.join(", "))]
    UnknownForce {
        /// The name given.
        name: String,
        /// The nearest stage name, if close.
        suggestion: Option<String>,
        /// All stage names.
        known: Vec<String>,
    },
    /// An input of a job changed on disk after this run had verified it.
    #[error("inputs of `{job}` changed after this run checked them: {}; nothing was computed from them. Run the same command again: it recomputes the damaged job (or name it with `--force STAGE`)", problems.join("; "))]
    DamagedInput {
        /// The job that was about to run.
        job: String,
        /// One line per damaged file: which file, expected vs found.
        problems: Vec<String>,
    },
    /// An executor could not run a job, or the job it ran failed (for a batch
    /// job: the scheduler's state, exit code and the tail of its stderr).
    #[error("`{job}`: {message}")]
    Executor {
        /// The job's label, `stage [branch]`.
        job: String,
        /// What happened, with what the executor knows of it.
        message: String,
    },
    /// Another live process of this host is running in the same output folder.
    #[error("{} is in use by process {pid}; wait for it or choose another --out", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The process holding it.
        pid: u32,
    },
    /// A process on another host (sharing the folder over a network file
    /// system) holds the output folder; whether it still runs cannot be
    /// checked from here.
    #[error("{} is in use by process {pid} on host {host}; wait for it, or delete the file if that run is gone", path.display())]
    LockedOnHost {
        /// The lock file.
        path: PathBuf,
        /// The process holding it, on `host`.
        pid: u32,
        /// The host it runs on.
        host: String,
    },
}

impl RunError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RunError::Io {
            path: path.into(),
            error: source,
        }
    }
}
