//! What the `reference` stage hands downstream, as a type: `reference.json`
//! beside the table `reference.csv`. Downstream stages read it with
//! [`ReferenceOutput::read`] instead of assuming a time unit.

use nonaffine_core::outputs::{read_description, write_description};
use nonaffine_core::StageError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the [`ReferenceOutput`] description.
pub const FORMAT: u32 = 1;

/// The reference stage's output description (`reference.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceOutput {
    /// Version of this description ([`FORMAT`]).
    pub format: u32,
    /// Name of the time unit of τ and of ω in the table (`min`, `s`).
    pub time_unit: String,
    /// That time unit in seconds (60 for `min`): ω of the table times
    /// 1/`time_unit_s` is in rad/s.
    pub time_unit_s: f64,
    /// Temperatures of the table, K, in table order.
    pub temperatures_k: Vec<f64>,
    /// File name of the table in the same folder: `temperature_k`,
    /// ω in rad per time unit, E', E'' (modulus unit of the data).
    pub table: String,
}

impl ReferenceOutput {
    /// The description's file name.
    pub const FILE: &'static str = "reference.json";

    /// Writes `reference.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), StageError> {
        write_description(&dir.join(Self::FILE), self)
    }

    /// Reads `reference.json` of a reference stage's folder `dir`.
    pub fn read(dir: &Path) -> Result<Self, StageError> {
        let path = dir.join(Self::FILE);
        let out: ReferenceOutput = read_description(&path, "reference", FORMAT)?;
        if !(out.time_unit_s > 0.0 && out.time_unit_s.is_finite()) {
            return Err(StageError::Failed(format!(
                "{}: time_unit_s must be a positive number of seconds, found {}",
                path.display(),
                out.time_unit_s
            )));
        }
        Ok(out)
    }
}

/// Time unit names [`seconds_per_unit`] knows, for messages.
pub const TIME_UNITS: &str = "fs, ps, ns, us, ms, s, min, h, d";

/// Seconds in one `unit` (`min` → 60), or None for a name not in [`TIME_UNITS`].
pub fn seconds_per_unit(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "fs" => 1e-15,
        "ps" => 1e-12,
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn written_output_reads_back_and_units_convert() {
        let dir = tempfile::tempdir().unwrap();
        let out = ReferenceOutput {
            format: FORMAT,
            time_unit: "min".into(),
            time_unit_s: seconds_per_unit("min").unwrap(),
            temperatures_k: vec![670.0, 603.0],
            table: "reference.csv".into(),
        };
        out.write(dir.path()).unwrap();
        assert_eq!(ReferenceOutput::read(dir.path()).unwrap(), out);
        assert_eq!(out.time_unit_s, 60.0);
        assert_eq!(seconds_per_unit("h"), Some(3600.0));
        assert_eq!(seconds_per_unit("minutes"), None);
        let e = ReferenceOutput::read(&dir.path().join("none")).unwrap_err();
        assert!(e.to_string().contains("reference.json"), "{e}");
    }
}
