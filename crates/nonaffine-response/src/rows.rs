//! Numeric CSV tables written by upstream stages (one header line).

use nonaffine_core::StageError;
use std::path::Path;

/// The rows of `path` after its header, each with exactly `K` numbers, with
/// their 1-based line numbers; blank lines are skipped. Errors name the file,
/// the line and `columns` (the expected column names, for the message).
pub(crate) fn numeric_rows<const K: usize>(
    path: &Path,
    columns: &str,
) -> Result<Vec<(usize, [f64; K])>, StageError> {
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let at = |message: String| {
            StageError::Failed(format!("{}:{}: {message}", path.display(), n + 1))
        };
        let values: Vec<f64> = line
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| at(e.to_string()))?;
        let found = values.len();
        let row: [f64; K] = values
            .try_into()
            .map_err(|_| at(format!("expected {K} columns ({columns}), found {found}")))?;
        rows.push((n + 1, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rows_with_line_numbers_and_errors_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n\n3, 4e-1\n").unwrap();
        let rows = numeric_rows::<2>(&path, "a, b").unwrap();
        assert_eq!(rows, vec![(2, [1.0, 2.0]), (4, [3.0, 0.4])]);
        std::fs::write(&path, "a,b\n1,2\n1,2,3\n").unwrap();
        let e = numeric_rows::<2>(&path, "a, b").unwrap_err().to_string();
        assert!(
            e.ends_with("t.csv:3: expected 2 columns (a, b), found 3"),
            "{e}"
        );
        std::fs::write(&path, "a,b\n1,x\n").unwrap();
        let e = numeric_rows::<2>(&path, "a, b").unwrap_err().to_string();
        assert!(e.contains("t.csv:2: invalid float literal"), "{e}");
    }
}
