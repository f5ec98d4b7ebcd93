//! Reading reference data: the YAML of fitted Kohlrausch parameters (parsed by
//! `nonaffine-io`, checked here) and raw (time, stress) CSV files.

use crate::{Kohlrausch, ReferenceError};
use std::path::Path;

/// One fitted temperature of a [`ReferenceSet`]: temperature in K, label, β, τ in
/// the set's time unit, σ0/ε0 and σ∞/ε0 in the set's modulus unit.
pub use nonaffine_io::KohlrauschRow as ReferenceFit;

/// A set of Kohlrausch fits at several temperatures (`vendor/reference/*.yaml`),
/// each checked to be a valid [`Kohlrausch`] model.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceSet {
    /// Citation of the data.
    pub source: String,
    /// Material name.
    pub material: String,
    /// Time unit of every τ (`min`, `s`, `ps`).
    pub time_unit: String,
    /// Unit of σ0/ε0 and σ∞/ε0 (`GPa`, or `sigma0/eps0` when normalised).
    pub modulus_unit: String,
    /// One fit per temperature.
    pub fits: Vec<ReferenceFit>,
}

impl ReferenceSet {
    /// Reads (with `nonaffine-io`) and checks a YAML file; errors name the file
    /// and the YAML line, and for a refused value the fit and key (`fits[1].tau`).
    pub fn load(path: &Path) -> Result<Self, ReferenceError> {
        let file = nonaffine_io::read_kohlrausch_yaml(path)?;
        let set = ReferenceSet {
            source: file.source,
            material: file.material,
            time_unit: file.time_unit,
            modulus_unit: file.modulus_unit,
            fits: file.fits,
        };
        for (i, lines) in file.fit_lines.iter().enumerate() {
            set.kohlrausch(i).map_err(|e| match e {
                ReferenceError::Invalid { what, message } => ReferenceError::Parse {
                    path: path.to_path_buf(),
                    line: lines.of(&what),
                    message: format!("fits[{i}].{what}: {message}"),
                },
                other => ReferenceError::Invalid {
                    what: format!("{}: fits[{i}]", path.display()),
                    message: other.to_string(),
                },
            })?;
        }
        Ok(set)
    }

    /// The i-th fit as a [`Kohlrausch`] model.
    pub fn kohlrausch(&self, i: usize) -> Result<Kohlrausch, ReferenceError> {
        let f = self.fits.get(i).ok_or_else(|| ReferenceError::Invalid {
            what: format!("fits[{i}]"),
            message: format!("only {} fits", self.fits.len()),
        })?;
        Kohlrausch::new(
            f.sigma0_over_eps0,
            f.tau,
            &self.time_unit,
            f.beta,
            f.sigma_inf_over_eps0,
        )
    }
}

/// Reads a CSV of `time,stress` rows (optional header, `#` comments); errors name
/// the file and line. Data that cannot be a relaxation (a stress ≤ 0, or ln σ
/// growing with t beyond noise: `check_relaxing`) are refused.
pub fn read_relaxation_csv(path: &Path) -> Result<(Vec<f64>, Vec<f64>), ReferenceError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReferenceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (mut t, mut s, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split([',', ' ', '\t', ';'])
            .filter(|f| !f.is_empty())
            .collect();
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse().ok()).collect();
        if t.is_empty() && parsed.iter().all(Option::is_none) {
            continue; // header
        }
        let err = |message: String| ReferenceError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        match (
            parsed.first().copied().flatten(),
            parsed.get(1).copied().flatten(),
        ) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() && a >= 0.0 => {
                t.push(a);
                s.push(b);
                lines.push(i + 1);
            }
            _ => {
                return Err(err(format!(
                    "expected two finite numbers time,stress with time ≥ 0, found `{line}`"
                )))
            }
        }
    }
    if t.len() < 5 {
        return Err(ReferenceError::Parse {
            path: path.to_path_buf(),
            line: 0,
            message: format!(
                "needs at least 5 rows time,stress to fit, found {}",
                t.len()
            ),
        });
    }
    crate::fit::check_relaxing(&t, &s).map_err(|e| {
        let line = match e {
            crate::fit::NotRelaxing::NonPositive(i) => lines[i],
            crate::fit::NotRelaxing::Growing { .. } => 0,
        };
        ReferenceError::Parse {
            path: path.to_path_buf(),
            line,
            message: e.message(&t, &s, &|i| format!("line {}", lines[i])),
        }
    })?;
    Ok((t, s))
}
