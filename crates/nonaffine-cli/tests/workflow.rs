//! `nonaffine validate | run | diff | snapshot` end to end through the binary,
//! with the real `kernel` stage (fast: no LAMMPS).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "nonaffine-workflow-cli-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn nonaffine(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .current_dir(dir)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const KERNELS: &str = "name: kernels
stages:
  slow:
    stage: kernel
    params: { plugin: stretched-exp, nu0: 0.137, b: 0.72, r: 1.2e-6 }
  flat:
    stage: kernel
    params: { plugin: markovian, nu0: 0.137 }
";

#[test]
fn validate_names_line_column_and_nearest_kind() {
    let dir = scratch("validate");
    std::fs::write(
        dir.join("bad.yaml"),
        KERNELS.replace(
            "stage: kernel\n    params: { plugin: markovian",
            "stage: kernal\n    params: { plugin: markovian",
        ),
    )
    .unwrap();
    let out = nonaffine(&dir, &["validate", "bad.yaml"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("bad.yaml:7:5: unknown stage kind `kernal` (did you mean `kernel`?)"),
        "{}",
        text(&out)
    );
    std::fs::write(dir.join("good.yaml"), KERNELS).unwrap();
    let out = nonaffine(&dir, &["validate", "good.yaml"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("good.yaml: valid (2 stages, 2 jobs)"),
        "{}",
        text(&out)
    );
}

#[test]
fn run_caches_explains_and_diff_and_snapshot_report_changes() {
    let dir = scratch("run");
    std::fs::write(dir.join("k.yaml"), KERNELS).unwrap();
    let first = nonaffine(&dir, &["run", "k.yaml"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("2 ran, 0 from cache"),
        "{}",
        text(&first)
    );
    assert!(
        dir.join("runs/kernels/manifest.json").exists(),
        "default out is runs/<name>"
    );
    let again = nonaffine(&dir, &["run", "k.yaml", "--explain"]);
    assert!(
        text(&again).contains("0 ran, 2 from cache"),
        "{}",
        text(&again)
    );
    assert!(text(&again).contains("slow: fresh"), "{}", text(&again));

    let accepted = nonaffine(&dir, &["snapshot", "accept", "runs/kernels", "snap"]);
    assert!(accepted.status.success(), "{}", text(&accepted));
    std::fs::write(dir.join("k.yaml"), KERNELS.replace("b: 0.72", "b: 0.6")).unwrap();
    let changed = nonaffine(&dir, &["run", "k.yaml", "--out", "runs/b", "--explain"]);
    assert!(changed.status.success(), "{}", text(&changed));
    // runs/b computed the new `slow`; runs/kernels takes it from the shared
    // store (runs/.store) unless told not to, and --explain says why.
    let stored = nonaffine(
        &dir,
        &["run", "k.yaml", "--out", "runs/stored", "--explain"],
    );
    assert!(
        text(&stored).contains("slow: from the store"),
        "{}",
        text(&stored)
    );
    let same = nonaffine(
        &dir,
        &[
            "run",
            "k.yaml",
            "--out",
            "runs/kernels",
            "--explain",
            "--no-store",
        ],
    );
    assert!(
        text(&same).contains("slow: ran, key changed: params.b: 0.72 → 0.6"),
        "{}",
        text(&same)
    );

    let diff = nonaffine(&dir, &["diff", "runs/b", "runs/kernels"]);
    assert!(diff.status.success(), "identical inputs: {}", text(&diff));
    let check = nonaffine(&dir, &["snapshot", "check", "runs/kernels", "snap"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(text(&check).contains("slow: changed"), "{}", text(&check));
    assert!(text(&check).contains("flat: same"), "{}", text(&check));
    let loose = nonaffine(
        &dir,
        &["snapshot", "check", "runs/kernels", "snap", "--rtol", "1e9"],
    );
    assert!(loose.status.success(), "{}", text(&loose));
}
