//! Reading reference data: the YAML of fitted Kohlrausch parameters and raw
//! (time, stress) CSV files.

use crate::{Kohlrausch, ReferenceError};
use serde::Deserialize;
use std::path::Path;

/// A set of Kohlrausch fits at several temperatures (`vendor/reference/*.yaml`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSet {
    /// Citation of the data.
    pub source: String,
    /// Material name.
    #[serde(default)]
    pub material: String,
    /// Time unit of every τ (`min`, `s`, `ps`).
    pub time_unit: String,
    /// Unit of σ0/ε0 and σ∞/ε0 (`GPa`, or `sigma0/eps0` when normalised).
    #[serde(default)]
    pub modulus_unit: String,
    /// One fit per temperature.
    pub fits: Vec<ReferenceFit>,
}

/// One fitted temperature.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReferenceFit {
    /// Temperature in K.
    pub temperature_k: f64,
    /// Free label (`Tg`, `0.9 Tg`).
    #[serde(default)]
    pub label: String,
    /// Stretching exponent β.
    pub beta: f64,
    /// Relaxation time τ in the set's time unit.
    pub tau: f64,
    /// σ0/ε0 in the set's modulus unit (1 when absent).
    #[serde(default = "one")]
    pub sigma0_over_eps0: f64,
    /// σ∞/ε0 (0 when absent).
    #[serde(default)]
    pub sigma_inf_over_eps0: f64,
}

fn one() -> f64 {
    1.0
}

impl ReferenceSet {
    /// Reads and checks a YAML file; errors name the file (and YAML line) or the fit.
    pub fn load(path: &Path) -> Result<Self, ReferenceError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReferenceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let set: ReferenceSet = serde_yaml::from_str(&text).map_err(|e| ReferenceError::Parse {
            path: path.to_path_buf(),
            line: e.location().map_or(0, |l| l.line()),
            message: e.to_string(),
        })?;
        if set.fits.is_empty() {
            return Err(ReferenceError::Parse {
                path: path.to_path_buf(),
                line: 0,
                message: "`fits` is empty".into(),
            });
        }
        for i in 0..set.fits.len() {
            set.kohlrausch(i).map_err(|e| match e {
                ReferenceError::Invalid { what, message } => ReferenceError::Parse {
                    path: path.to_path_buf(),
                    line: fit_key_line(&text, i, &what),
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

/// 1-based line of `key` in the `index`-th item of the block list `fits:` (the
/// item's first line when the key is not written there, e.g. a default; 0 when
/// the list is not in block style).
fn fit_key_line(text: &str, index: usize, key: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == "fits:") else {
        return 0;
    };
    let mut item = None;
    let mut seen = 0;
    for (n, l) in lines.iter().enumerate().skip(start + 1) {
        let body = l.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if l.len() == body.len() {
            break; // next top-level key
        }
        if body.starts_with("- ") || body == "-" {
            if item.is_some() {
                break; // the next item
            }
            if seen == index {
                item = Some(n);
            }
            seen += 1;
        }
        if item.is_some() {
            let field = body.trim_start_matches("- ").trim_start();
            if field.starts_with(&format!("{key}:")) {
                return n + 1;
            }
        }
    }
    item.map_or(0, |n| n + 1)
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
