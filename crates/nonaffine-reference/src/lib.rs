//! Reference data for calibration: Kohlrausch fits of stress relaxation and the
//! dynamic moduli they imply (docs/theory.md §7; paper Eqs. 8–9, Appendix D).
//!
//! A stress relaxation σ(t) = σ∞ + σ0 exp(−(t/τ)^β) at strain ε0 gives
//! E'(ω) = σ∞/ε0 + (σ0/ε0) ωτ s_β(ωτ) and E''(ω) = (σ0/ε0) ωτ c_β(ωτ)
//! (paper Eqs. 8–9 with t = τu), where c_β, s_β are the KWW cosine and sine
//! transforms of `nonaffine-kww`; ω is in rad per τ's time unit.
//!
//! - [`Kohlrausch`]: one fit; moduli, loss-peak position, α-wing slopes.
//! - [`fit_kohlrausch`]: Levenberg–Marquardt fit of raw (time, stress) data with
//!   standard errors, for users who start from their own measurements.
//! - [`ReferenceSet::load`]: the YAML format of `vendor/reference/*.yaml`
//!   (the paper's three Cu50Zr50 fits ship as `cu50zr50-kohlrausch.yaml`).
//! - [`ReferenceStage`]: the `reference` workflow stage; what it hands
//!   downstream (the table's time unit in seconds, its temperatures) is
//!   [`outputs::ReferenceOutput`].

mod data;
mod fit;
mod kohlrausch;
pub mod outputs;
mod stage;

pub use data::{read_relaxation_csv, ReferenceFit, ReferenceSet};
pub use fit::{fit_kohlrausch, KohlrauschFit};
pub use kohlrausch::{Kohlrausch, LossPeak};
pub use stage::{ReferenceStage, INFO};

use std::path::PathBuf;
use thiserror::Error;

/// Why reference data could not be read, fitted or evaluated.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line of a data file is malformed.
    #[error("{path}{}: {message}", at_line(*.line))]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 for the file as a whole: not printed).
        line: usize,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A data file could not be read or is not in its format (`nonaffine-io`'s
    /// error, naming the file and line).
    #[error(transparent)]
    Read(#[from] nonaffine_io::IoError),
    /// A parameter value is out of range.
    #[error("{what}: {message}")]
    Invalid {
        /// Which value (`beta`, `fits[1].tau`, ...).
        what: String,
        /// What is wrong.
        message: String,
    },
    /// The least-squares fit failed.
    #[error("Kohlrausch fit failed: {0}")]
    Fit(String),
    /// The KWW transform refused its arguments.
    #[error(transparent)]
    Kww(#[from] nonaffine_kww::KwwError),
}

/// `:LINE` for a 1-based line, nothing for 0 (the file as a whole).
fn at_line(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
