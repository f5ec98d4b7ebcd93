//! The one error type of this crate.

use nonaffine_core::CoreError;
use std::path::PathBuf;
use thiserror::Error;

/// Reading or writing a structure or data file failed.
///
/// Every variant names the file (`file` is the path, or the name given to a
/// `parse_*` function) and, where a line is at fault, its 1-based line number.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The file could not be opened, read or written.
    #[error("{path}: {action} failed: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// "reading" or "writing".
        action: &'static str,
        /// The operating-system error.
        #[source]
        error: std::io::Error,
    },
    /// A line does not say what the format requires there.
    #[error("{file}:{line}: {message}")]
    Line {
        /// File path or name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was found and what was expected.
        message: String,
    },
    /// Something the file must contain is absent (a header keyword, a section).
    #[error("{file}: {message}")]
    Missing {
        /// File path or name.
        file: String,
        /// What is missing and how to supply it.
        message: String,
    },
    /// The file's content is not what its format requires, with no single line
    /// to point at (an empty list, a YAML error without a location).
    #[error("{file}: {message}")]
    Content {
        /// File path or name.
        file: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// The file parsed but describes an invalid structure.
    #[error("{file}: invalid structure: {error}")]
    Structure {
        /// File path or name.
        file: String,
        /// The broken invariant.
        #[source]
        error: CoreError,
    },
    /// The species names passed by the caller do not fit the file.
    #[error("{file}: {given} species names given ({names}) but the file has {types} atom types")]
    Names {
        /// File path or name.
        file: String,
        /// Number of names given.
        given: usize,
        /// The names, comma-separated.
        names: String,
        /// Number of atom types in the file.
        types: usize,
    },
    /// The element names given for the file's atom types disagree with the
    /// file (a type's mass or label says another element).
    #[error("{file}: {message}")]
    Elements {
        /// File path or name.
        file: String,
        /// Which type, what the file says and what the names say.
        message: String,
    },
    /// The file extension names no format this crate knows.
    #[error("{path}: unknown structure format; use .data/.lmp/.lammps for LAMMPS data or .xyz/.extxyz for extended XYZ")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

impl IoError {
    pub(crate) fn line(source: &str, line: usize, message: impl Into<String>) -> Self {
        Self::Line {
            file: source.to_string(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn missing(source: &str, message: impl Into<String>) -> Self {
        Self::Missing {
            file: source.to_string(),
            message: message.into(),
        }
    }
}
