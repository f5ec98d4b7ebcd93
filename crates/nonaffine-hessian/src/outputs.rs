//! What the `hessian` stage hands downstream about each structure, as a type:
//! `structure.json` in the structure's subfolder, beside the Hessian products.
//! The spectrum stage reads the capture temperature from it instead of
//! parsing folder names.

use nonaffine_core::outputs::{read_description, write_description};
use nonaffine_core::StageError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the [`StructureOutput`] description.
pub const FORMAT: u32 = 1;

/// One structure of a hessian stage's folder (`<structure>/structure.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StructureOutput {
    /// Version of this description ([`FORMAT`]).
    pub format: u32,
    /// The subfolder's name (`T670K_s0`, or a structure file's stem).
    pub name: String,
    /// The structure file the products were computed from.
    pub source: PathBuf,
    /// Capture temperature of a quenched structure, K; none for a
    /// `structure_file`.
    pub temperature_k: Option<f64>,
    /// Sample index of a quenched structure (0-based); none for a
    /// `structure_file`.
    pub sample: Option<usize>,
}

impl StructureOutput {
    /// The description's file name.
    pub const FILE: &'static str = "structure.json";

    /// Writes `structure.json` into the structure's folder `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), StageError> {
        write_description(&dir.join(Self::FILE), self)
    }

    /// Reads `structure.json` of a structure folder `dir`; `None` when the
    /// folder has none (products written by `nonaffine hessian` outside a
    /// workflow).
    pub fn read(dir: &Path) -> Result<Option<Self>, StageError> {
        let path = dir.join(Self::FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let out: StructureOutput = read_description(&path, "hessian", FORMAT)?;
        if let Some(t) = out.temperature_k {
            if !(t.is_finite() && t >= 0.0) {
                return Err(StageError::Failed(format!(
                    "{}: temperature_k must be a non-negative number of kelvin, found {t}",
                    path.display()
                )));
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(StructureOutput::read(dir.path()).unwrap(), None);
        let out = StructureOutput {
            format: FORMAT,
            name: "T670K_s0".into(),
            source: "q/glass_T670K_s0.data".into(),
            temperature_k: Some(670.0),
            sample: Some(0),
        };
        out.write(dir.path()).unwrap();
        assert_eq!(StructureOutput::read(dir.path()).unwrap(), Some(out));

        let path = dir.path().join(StructureOutput::FILE);
        std::fs::write(
            &path,
            r#"{"format": 9, "name": "a", "source": "a", "temperature_k": 1, "sample": 0}"#,
        )
        .unwrap();
        let e = StructureOutput::read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("format 9") && e.contains("rerun the hessian stage"),
            "{e}"
        );
        std::fs::write(
            &path,
            r#"{"format": 1, "name": "a", "source": "a", "temperature_k": -3, "sample": 0}"#,
        )
        .unwrap();
        let e = StructureOutput::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("structure.json") && e.contains("-3"), "{e}");
    }
}
