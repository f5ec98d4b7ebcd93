//! Stage output descriptions: the versioned JSON files (`reference.json`,
//! `kernel.json`, `structure.json`, `sample.json`) through which a stage
//! hands typed values downstream. Each stage crate owns its description type;
//! this module writes and reads them alike.

use crate::StageError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// Writes `value` to `path` as pretty-printed JSON.
pub fn write_description<T: Serialize>(path: &Path, value: &T) -> Result<(), StageError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StageError::Failed(format!("{}: {e}", path.display())))?;
    std::fs::write(path, text + "\n").map_err(|e| StageError::io(path, e))
}

/// Reads the description at `path` written by a `stage` stage. Its `format`
/// must be `format`, checked before the fields, so that a description of
/// another version asks for a rerun of `stage` instead of naming a field.
pub fn read_description<T: DeserializeOwned>(
    path: &Path,
    stage: &str,
    format: u32,
) -> Result<T, StageError> {
    let not_ours = |e: serde_json::Error| {
        StageError::Failed(format!(
            "{}: {e}; is this a `{stage}` stage's output?",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(not_ours)?;
    let found = value.get("format").and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(format)) {
        let found = found.map_or_else(|| "missing".to_string(), |f| f.to_string());
        return Err(StageError::Failed(format!(
            "{}: format {found} (this program reads {format}); rerun the {stage} stage",
            path.display()
        )));
    }
    serde_json::from_value(value).map_err(not_ours)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Description {
        format: u32,
        volume_a3: f64,
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        let d = Description {
            format: 2,
            volume_a3: 0.1 + 0.2,
        };
        write_description(&path, &d).unwrap();
        assert_eq!(read_description::<Description>(&path, "x", 2).unwrap(), d);

        let cases = [
            (
                r#"{"format": 1, "volume_a3": 1}"#,
                "format 1 (this program reads 2); rerun the x stage",
            ),
            (
                r#"{"volume_a3": 1}"#,
                "format missing (this program reads 2); rerun the x stage",
            ),
            (
                r#"{"format": 2}"#,
                "missing field `volume_a3`; is this a `x` stage's output?",
            ),
            ("{", "is this a `x` stage's output?"),
        ];
        for (text, needle) in cases {
            std::fs::write(&path, text).unwrap();
            let e = read_description::<Description>(&path, "x", 2)
                .unwrap_err()
                .to_string();
            assert!(e.contains("d.json") && e.contains(needle), "{text}: {e}");
        }
    }
}
