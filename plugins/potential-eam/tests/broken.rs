//! The corpus of broken setfl files: each must fail with an error that names
//! the file, the line and what was expected (tests/data/broken/expected.txt).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use potential_eam::{EamPotential, Flavor};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/broken")
}

#[test]
fn every_broken_file_gives_its_expected_error() {
    let dir = corpus();
    let manifest = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let mut listed = BTreeSet::new();
    let mut failures = Vec::new();
    for row in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cols.len(), 5, "bad manifest row: {row}");
        let (file, flavor, elements, line, message) = (cols[0], cols[1], cols[2], cols[3], cols[4]);
        let flavor = match flavor {
            "fs" => Flavor::Fs,
            "alloy" => Flavor::Alloy,
            other => panic!("unknown flavor {other}"),
        };
        let elements: Vec<String> = elements.split(',').map(String::from).collect();
        let path = dir.join(file);
        listed.insert(file.to_string());
        let err = match EamPotential::from_file(&path, flavor, &elements) {
            Ok(_) => {
                failures.push(format!("{file}: parsed without error"));
                continue;
            }
            Err(e) => e.to_string(),
        };
        let place = if line == "-" {
            format!("{}: ", path.display())
        } else {
            format!("{}:{line}: ", path.display())
        };
        if !err.starts_with(&place) || !err.contains(message) {
            failures.push(format!(
                "{file}: expected `{place}…{message}…`, got\n    {err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "expected.txt")
        .collect();
    assert_eq!(
        listed, on_disk,
        "every corpus file needs one manifest row and vice versa"
    );
    assert!(
        listed.len() >= 15,
        "the corpus must hold at least 15 broken files"
    );
}
