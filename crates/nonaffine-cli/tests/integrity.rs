//! Through the binary: `nonaffine verify`, a closed or full stdout, and OS
//! errors said once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "nonaffine-integrity-cli-{}-{test}",
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
fn verify_names_every_damaged_file_of_the_run_and_the_store() {
    let dir = scratch("verify");
    std::fs::write(dir.join("k.yaml"), KERNELS).unwrap();
    assert!(nonaffine(&dir, &["run", "k.yaml", "--out", "runs/k"])
        .status
        .success());
    let ok = nonaffine(&dir, &["verify", "runs/k"]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("ok: ") && stdout.contains(" in 4 job folders"),
        "{stdout}"
    );

    // A table cut at a line boundary in the run folder, a summary deleted in the store.
    let slow = dir.join("runs/k/stages/slow/_");
    let csv = std::fs::read_dir(&slow)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("the kernel stage writes a CSV table");
    let text = std::fs::read_to_string(&csv).unwrap();
    let cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&csv, cut).unwrap();
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("runs/k/stages/flat/_/stage.json")).unwrap(),
    )
    .unwrap();
    let key = record["key"].as_str().unwrap();
    let stored_summary = dir.join("runs/.store").join(key).join("summary.yaml");
    std::fs::remove_file(&stored_summary).unwrap();

    let bad = nonaffine(&dir, &["verify", "runs/k"]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: 2 damaged:\n"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: ", csv.strip_prefix(&dir).unwrap().display())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{}: missing",
            stored_summary.strip_prefix(&dir).unwrap().display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--force STAGE"), "{stderr}");

    // The next run restores both: the run folder's from the store, the store's by recomputing.
    let again = nonaffine(&dir, &["run", "k.yaml", "--out", "runs/k"]);
    let log = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{log}");
    assert!(
        log.contains("slow: cached output damaged, not reused"),
        "{log}"
    );
    assert!(log.contains("store entry damaged, not reused"), "{log}");
    assert!(nonaffine(&dir, &["verify", "runs/k"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_stdout_ends_quietly_and_a_full_one_is_an_error_not_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .arg("plugins")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away first, as `| head -c 0` would
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert_eq!(stderr, "");

    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .arg("plugins")
        .env("RUST_BACKTRACE", "1")
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: cannot write to standard output: No space left on device (os error 28)\n"
    );
}

#[test]
fn an_os_error_is_said_once() {
    let dir = scratch("os-error");
    std::fs::write(dir.join("k.yaml"), KERNELS).unwrap();
    std::fs::write(dir.join("plain-file"), "").unwrap();
    let out = nonaffine(&dir, &["run", "k.yaml", "--out", "plain-file/run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.matches("os error 20").count(), 1, "{stderr}");
    assert!(
        stderr.contains("plain-file/run/stages: Not a directory (os error 20)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
