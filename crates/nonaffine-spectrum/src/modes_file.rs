//! `modes.csv`: what the response stage reads — ω_p² and Ξ̂_{p,a} per mode.
//!
//! One header line, then one row per eigenvalue (or quadrature node), ascending:
//!
//! `index,class,eigenvalue_ev_per_a2_amu,nu_thz,xi_xx,xi_yy,xi_zz,xi_yz,xi_xz,xi_xy,participation`
//!
//! - `class`: `mode` (λ above the zero-mode threshold: used by the VDOS, Γ and
//!   the response), `zero` (translations) or `negative` (beyond round-off; the
//!   structure is not at a minimum), or `node` for the nodes of a Gauss
//!   quadrature (`lanczos` solver; each node carries its quadrature weights as
//!   Ξ̂, so Σ_node Ξ̂_a Ξ̂_b f(λ) approximates Σ_p Ξ̂_{p,a} Ξ̂_{p,b} f(λ_p)).
//! - `eigenvalue_ev_per_a2_amu`: λ = ω² in eV/(Å²·amu); `nu_thz`: ν = sqrt(λ)·15.633
//!   (negative for negative λ).
//! - `xi_*`: Ξ̂_{p,a} = φ_p · M^{-1/2}Ξ_a in eV/(Å·amu^{1/2}), Voigt order.
//! - `participation`: participation ratio, empty when the solver has none.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so reading
//! gives back the exact f64 values.

use crate::analysis::frequency_thz;
use nonaffine_core::Modes;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Header line of `modes.csv`.
pub const HEADER: &str =
    "index,class,eigenvalue_ev_per_a2_amu,nu_thz,xi_xx,xi_yy,xi_zz,xi_yz,xi_xz,xi_xy,participation";

/// A `modes.csv` that cannot be read.
#[derive(Debug, Error)]
#[error("{path}: line {line}: {message}")]
pub struct ModesFileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the file could not be opened).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One row of `modes.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModeRow {
    /// `mode`, `zero`, `negative` or `node`.
    pub class: String,
    /// λ = ω², eV/(Å²·amu).
    pub eigenvalue: f64,
    /// Ξ̂_{p,a}, eV/(Å·amu^{1/2}).
    pub projection: [f64; 6],
    /// Participation ratio, when known.
    pub participation: Option<f64>,
}

/// Text of `modes.csv` for `modes`, with `class(λ)` naming each row.
pub fn modes_csv(modes: &Modes, class: &dyn Fn(f64) -> &'static str) -> String {
    let mut out = String::with_capacity(200 * modes.len() + HEADER.len() + 1);
    out += HEADER;
    out.push('\n');
    for (p, (l, x)) in modes.eigenvalues.iter().zip(&modes.projections).enumerate() {
        let _ = write!(out, "{p},{},{l:e},{:e}", class(*l), frequency_thz(*l));
        for v in x {
            let _ = write!(out, ",{v:e}");
        }
        match modes.participation.get(p) {
            Some(r) => {
                let _ = writeln!(out, ",{r:e}");
            }
            None => out += ",\n",
        }
    }
    out
}

/// Reads every row of a `modes.csv`.
pub fn read_modes_csv(path: &Path) -> Result<Vec<ModeRow>, ModesFileError> {
    let err = |line: usize, message: String| ModesFileError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, e.to_string()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == HEADER => {}
        _ => return Err(err(1, format!("expected the header `{HEADER}`"))),
    }
    let mut rows = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 11 {
            return Err(err(
                n + 1,
                format!("expected 11 columns, found {}", f.len()),
            ));
        }
        let num = |k: usize| -> Result<f64, ModesFileError> {
            f[k].parse()
                .map_err(|e| err(n + 1, format!("column {} `{}`: {e}", k + 1, f[k])))
        };
        let mut projection = [0.0; 6];
        for (a, x) in projection.iter_mut().enumerate() {
            *x = num(4 + a)?;
        }
        rows.push(ModeRow {
            class: f[1].to_string(),
            eigenvalue: num(2)?,
            projection,
            participation: if f[10].is_empty() {
                None
            } else {
                Some(num(10)?)
            },
        });
    }
    Ok(rows)
}

/// The rows the response uses (`mode` and `node`) as [`Modes`] (kind unset:
/// it is recorded in the sample's `sample.json`).
pub fn response_modes(rows: &[ModeRow]) -> Modes {
    let used: Vec<&ModeRow> = rows
        .iter()
        .filter(|r| r.class == "mode" || r.class == "node")
        .collect();
    Modes {
        eigenvalues: used.iter().map(|r| r.eigenvalue).collect(),
        projections: used.iter().map(|r| r.projection).collect(),
        participation: used.iter().filter_map(|r| r.participation).collect(),
        kind: None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_is_exact() {
        let modes = Modes {
            eigenvalues: vec![-1e-3, 1e-15, 0.123_456_789_012_345_6],
            projections: vec![
                [0.1; 6],
                [1e-300, -2.0, 3.0, 4.0, 5.0, 6.0],
                [std::f64::consts::PI; 6],
            ],
            participation: vec![0.5, 0.25, 1.0 / 3.0],
            kind: None,
        };
        let class = |l: f64| {
            if l < -1e-9 {
                "negative"
            } else if l < 1e-9 {
                "zero"
            } else {
                "mode"
            }
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("modes.csv");
        std::fs::write(&p, modes_csv(&modes, &class)).unwrap();
        let rows = read_modes_csv(&p).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].class, "negative");
        assert_eq!(rows[1].projection, modes.projections[1]);
        let used = response_modes(&rows);
        assert_eq!(used.eigenvalues, vec![modes.eigenvalues[2]]);
        assert_eq!(used.participation, vec![1.0 / 3.0]);
        std::fs::write(&p, "index,class\n").unwrap();
        let e = read_modes_csv(&p).unwrap_err().to_string();
        assert!(
            e.contains("line 1") && e.contains("expected the header"),
            "{e}"
        );
    }
}
