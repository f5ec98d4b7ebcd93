//! What the `spectrum` stage hands downstream about each sample, as a type:
//! the part of `<sample>/sample.json` ([`crate::stage::SampleReport`]) that
//! the response stage relies on, beside the modes of `<sample>/modes.csv`
//! ([`crate::modes_file`]). Read with [`SampleOutput::read`].

use nonaffine_core::outputs::{read_description, write_description};
use nonaffine_core::{ModesKind, StageError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the description ([`SampleOutput`]; written as
/// [`crate::stage::SampleReport::format`]).
pub const FORMAT: u32 = 1;

/// The file of a sample folder that [`SampleOutput`] describes.
pub const FILE: &str = "sample.json";

/// One sample of a spectrum stage's folder, as downstream stages read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleOutput {
    /// Version of this description ([`FORMAT`]).
    pub format: u32,
    /// Sample (folder) name.
    pub name: String,
    /// Capture temperature of its structure, K; none for a structure file
    /// (such a sample serves every temperature of a reference).
    pub temperature_k: Option<f64>,
    /// Cell volume V, Å³.
    pub volume_a3: f64,
    /// What the modes of `modes.csv` are.
    pub modes_kind: ModesKind,
    /// Born moduli C^B, GPa, Voigt.
    pub born_gpa: [[f64; 6]; 6],
    /// Residual stress σ (tension positive), GPa, Voigt.
    pub stress_gpa: [f64; 6],
    /// The elastic Debye model, when the stage could make one.
    pub debye: Option<DebyeFrequency>,
}

/// The part of the spectrum stage's Debye model downstream stages read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DebyeFrequency {
    /// Elastic Debye frequency ν_D, THz.
    pub frequency_thz: f64,
}

impl SampleOutput {
    /// Reads `sample.json` of the sample folder `dir`, checking its format
    /// and that V and ν_D are positive.
    pub fn read(dir: &Path) -> Result<Self, StageError> {
        let path = dir.join(FILE);
        let out: SampleOutput = read_description(&path, "spectrum", FORMAT)?;
        let bad = |what: String| StageError::Failed(format!("{}: {what}", path.display()));
        if !(out.volume_a3 > 0.0 && out.volume_a3.is_finite()) {
            return Err(bad(format!(
                "volume_a3 must be a positive volume in Å³, found {}",
                out.volume_a3
            )));
        }
        if let Some(d) = &out.debye {
            if !(d.frequency_thz > 0.0 && d.frequency_thz.is_finite()) {
                return Err(bad(format!(
                    "debye.frequency_thz must be a positive frequency in THz, found {}",
                    d.frequency_thz
                )));
            }
        }
        if let Some(t) = out.temperature_k {
            if !(t >= 0.0 && t.is_finite()) {
                return Err(bad(format!(
                    "temperature_k must be a non-negative temperature in K, found {t}"
                )));
            }
        }
        Ok(out)
    }

    /// Writes the description alone as `dir/sample.json` (for folders made
    /// by hand or by other programs; the stage writes the full report).
    pub fn write(&self, dir: &Path) -> Result<(), StageError> {
        write_description(&dir.join(FILE), self)
    }
}

/// The sample folders of a spectrum stage's folder `dir` (every subfolder
/// with a `modes.csv`), sorted by name.
pub fn sample_dirs(dir: &Path) -> Result<Vec<PathBuf>, StageError> {
    let entries = std::fs::read_dir(dir).map_err(|e| StageError::io(dir, e))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|d| d.join("modes.csv").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SampleOutput {
        let mut born = [[0.0; 6]; 6];
        born[0][0] = 150.0;
        SampleOutput {
            format: FORMAT,
            name: "T670K_s0".into(),
            temperature_k: Some(670.0),
            volume_a3: 3.0e4,
            modes_kind: ModesKind::Complete,
            born_gpa: born,
            stress_gpa: [0.1, 0.0, 0.0, 0.0, 0.0, 0.0],
            debye: Some(DebyeFrequency { frequency_thz: 7.8 }),
        }
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        sample().write(dir.path()).unwrap();
        assert_eq!(SampleOutput::read(dir.path()).unwrap(), sample());
    }

    #[test]
    fn refusals_name_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        type Change = fn(&mut SampleOutput);
        let cases: [(Change, &str); 4] = [
            (|s| s.format = 7, "rerun the spectrum stage"),
            (|s| s.volume_a3 = 0.0, "volume_a3"),
            (
                |s| {
                    s.debye = Some(DebyeFrequency {
                        frequency_thz: -1.0,
                    })
                },
                "debye.frequency_thz",
            ),
            (|s| s.temperature_k = Some(-5.0), "temperature_k"),
        ];
        for (change, needle) in cases {
            let mut s = sample();
            change(&mut s);
            s.write(dir.path()).unwrap();
            let e = SampleOutput::read(dir.path()).unwrap_err().to_string();
            assert!(
                e.contains("sample.json") && e.contains(needle),
                "{needle}: {e}"
            );
        }
        std::fs::write(dir.path().join(FILE), r#"{"format": 1}"#).unwrap();
        let e = SampleOutput::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("missing field"), "{e}");
    }
}
