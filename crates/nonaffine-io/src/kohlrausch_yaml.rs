//! The YAML data files of fitted Kohlrausch parameters (`vendor/reference/*.yaml`),
//! read into plain values: no physics is checked here (the reference stage does
//! that), but every key is where the format says, and each fit's key lines are
//! kept so that a value refused later can be reported at its `file:line`.

use crate::{read_text, IoError};
use serde::Deserialize;
use std::path::Path;

/// A file of Kohlrausch fits σ(t) = σ∞ + σ0 exp(−(t/τ)^β), one per temperature,
/// as written (docs/theory.md §7).
#[derive(Clone, Debug, PartialEq)]
pub struct KohlrauschFile {
    /// Citation of the data.
    pub source: String,
    /// Material name (empty when absent).
    pub material: String,
    /// Time unit of every τ, as written (`min`, `s`, `ps`).
    pub time_unit: String,
    /// Unit of σ0/ε0 and σ∞/ε0 (`GPa`, or `sigma0/eps0` when normalised; empty when absent).
    pub modulus_unit: String,
    /// One fit per temperature, at least one.
    pub fits: Vec<KohlrauschRow>,
    /// Where each fit's keys are written, parallel to `fits`.
    pub fit_lines: Vec<FitLines>,
}

/// One fitted temperature, as written.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KohlrauschRow {
    /// Temperature in K.
    pub temperature_k: f64,
    /// Free label (`Tg`, `0.9 Tg`).
    #[serde(default)]
    pub label: String,
    /// Stretching exponent β (dimensionless).
    pub beta: f64,
    /// Relaxation time τ in the file's time unit.
    pub tau: f64,
    /// σ0/ε0 in the file's modulus unit (1 when absent).
    #[serde(default = "one")]
    pub sigma0_over_eps0: f64,
    /// σ∞/ε0 in the file's modulus unit (0 when absent).
    #[serde(default)]
    pub sigma_inf_over_eps0: f64,
}

fn one() -> f64 {
    1.0
}

/// The lines of one item of the block list `fits:` (1-based; 0 when the list is
/// not in block style, e.g. written as a flow sequence `[...]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FitLines {
    /// The item's first line (its `- `).
    pub item: usize,
    /// Each key written in the item and its line, in file order.
    pub keys: Vec<(String, usize)>,
}

impl FitLines {
    /// The line of `key`, or the item's first line when the key is not written
    /// there (a default value).
    pub fn of(&self, key: &str) -> usize {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map_or(self.item, |&(_, n)| n)
    }
}

/// The file's top level, as serde reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    source: String,
    #[serde(default)]
    material: String,
    time_unit: String,
    #[serde(default)]
    modulus_unit: String,
    fits: Vec<KohlrauschRow>,
}

/// Reads a Kohlrausch-fit YAML file. Errors name the file and the YAML line
/// (an unknown or missing key, a value of the wrong type, an empty `fits`).
pub fn read_kohlrausch_yaml(path: &Path) -> Result<KohlrauschFile, IoError> {
    let text = read_text(path)?;
    parse_kohlrausch_yaml(&text, &path.display().to_string())
}

/// Parses the text of a Kohlrausch-fit YAML file; `source` names it in errors.
pub fn parse_kohlrausch_yaml(text: &str, source: &str) -> Result<KohlrauschFile, IoError> {
    let raw: Raw = serde_yaml::from_str(text).map_err(|e| {
        let message = e.to_string();
        match e.location() {
            Some(l) => IoError::line(source, l.line(), message),
            None => IoError::Content {
                file: source.to_string(),
                message,
            },
        }
    })?;
    if raw.fits.is_empty() {
        return Err(IoError::Content {
            file: source.to_string(),
            message: "`fits` is empty".into(),
        });
    }
    let mut fit_lines = block_item_lines(text, "fits");
    fit_lines.resize(raw.fits.len(), FitLines::default());
    Ok(KohlrauschFile {
        source: raw.source,
        material: raw.material,
        time_unit: raw.time_unit,
        modulus_unit: raw.modulus_unit,
        fits: raw.fits,
        fit_lines,
    })
}

/// The lines of each item of the top-level block list `list:` and of the keys
/// written in it (empty when the list is not in block style).
fn block_item_lines(text: &str, list: &str) -> Vec<FitLines> {
    let lines: Vec<&str> = text.lines().collect();
    let header = format!("{list}:");
    let Some(start) = lines.iter().position(|l| l.trim_end() == header) else {
        return Vec::new();
    };
    let mut items: Vec<FitLines> = Vec::new();
    for (n, l) in lines.iter().enumerate().skip(start + 1) {
        let body = l.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if l.len() == body.len() {
            break; // the next top-level key
        }
        if body.starts_with("- ") || body == "-" {
            items.push(FitLines {
                item: n + 1,
                keys: Vec::new(),
            });
        }
        let field = body.trim_start_matches("- ").trim_start();
        if let (Some(item), Some((key, _))) = (items.last_mut(), field.split_once(':')) {
            if !key.is_empty() && !key.contains(char::is_whitespace) {
                item.keys.push((key.to_string(), n + 1));
            }
        }
    }
    items
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_point_at_the_written_key_or_the_item() {
        let text = "source: x\ntime_unit: min\n# two fits\nfits:\n  - temperature_k: 670\n    beta: 0.69\n    tau: 0.87\n\n  # a comment\n  - temperature_k: 600\n    tau: 2\n    beta: 0.5\nmaterial: CuZr\n";
        let f = parse_kohlrausch_yaml(text, "t.yaml").unwrap();
        assert_eq!(f.fits.len(), 2);
        assert_eq!(f.material, "CuZr");
        assert_eq!(f.fits[1].sigma0_over_eps0, 1.0);
        assert_eq!(f.fit_lines[0].of("temperature_k"), 5);
        assert_eq!(f.fit_lines[0].of("tau"), 7);
        assert_eq!(f.fit_lines[1].of("tau"), 11);
        assert_eq!(f.fit_lines[1].of("beta"), 12);
        // A default value: the item's first line.
        assert_eq!(f.fit_lines[1].of("sigma0_over_eps0"), 10);
        // A flow list has no item lines.
        let flow = "source: x\ntime_unit: s\nfits: [{temperature_k: 1, beta: 1, tau: 1}]\n";
        let f = parse_kohlrausch_yaml(flow, "f.yaml").unwrap();
        assert_eq!(f.fit_lines, vec![FitLines::default()]);
        assert_eq!(f.fit_lines[0].of("tau"), 0);
    }

    #[test]
    fn format_errors_name_the_file_and_line() {
        let e = parse_kohlrausch_yaml(
            "source: x\ntime_unit: min\nfits:\n  - temperature: 600\n",
            "bad.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("bad.yaml:4: ") && e.contains("unknown field `temperature`"),
            "{e}"
        );
        let e = parse_kohlrausch_yaml("source: x\ntime_unit: min\nfits: []\n", "e.yaml")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "e.yaml: `fits` is empty");
    }
}
