//! Typed errors shared by every crate.

use thiserror::Error;

/// A structure that breaks an invariant of [`crate::Structure`].
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoreError {
    /// Array lengths disagree.
    #[error("structure has {positions} positions but {other} {what}")]
    LengthMismatch {
        /// Number of positions.
        positions: usize,
        /// Length of the other array.
        other: usize,
        /// Which array.
        what: &'static str,
    },
    /// An atom names a species that does not exist.
    #[error("atom {atom} has species index {index}, but only {count} species are defined")]
    BadSpecies {
        /// Atom index (0-based).
        atom: usize,
        /// Species index given.
        index: usize,
        /// Number of species.
        count: usize,
    },
    /// A position or cell entry is NaN or infinite.
    #[error("{what} is not finite")]
    NotFinite {
        /// What was not finite.
        what: String,
    },
    /// The cell has zero or negative volume.
    #[error("cell volume {volume_a3} Å³ is not positive (cell vectors must be right-handed and independent)")]
    BadCell {
        /// The signed volume in Å³.
        volume_a3: f64,
    },
    /// A species mass is not positive.
    #[error("species {name} has mass {mass_amu} amu; masses must be positive")]
    BadMass {
        /// Species name.
        name: String,
        /// Mass in amu.
        mass_amu: f64,
    },
}

/// A parameter that is missing, of the wrong kind, or out of range.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{key}: {message}")]
pub struct ParamError {
    /// Full dotted path of the key, e.g. `stages.kernel.params.b`.
    pub key: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl ParamError {
    /// Builds an error for `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Plugin lookup or construction failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum PluginError {
    /// No plugin of that kind has that name.
    #[error("unknown {kind} plugin `{name}`{}; known: {}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), known.join(", "))]
    Unknown {
        /// Plugin kind ("potential", "kernel", ...).
        kind: &'static str,
        /// Name asked for.
        name: String,
        /// Registered names.
        known: Vec<String>,
        /// Closest registered name, if any is close.
        suggestion: Option<String>,
    },
    /// A parameter is wrong.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The plugin could not be built from valid-looking parameters (unreadable file, ...).
    #[error("{plugin}: {message}")]
    Build {
        /// Plugin name.
        plugin: String,
        /// What failed.
        message: String,
    },
}
