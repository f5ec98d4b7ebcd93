//! Interrupting `nonaffine run` while LAMMPS works: SIGTERM ends the run
//! cleanly (workers stopped, no temporary folder, a resume hint, exit 143);
//! after SIGKILL, which runs no handler, the worker still ends by itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nonaffine-interrupt-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A quench whose melt alone takes hours.
fn long_workflow(dir: &Path) -> PathBuf {
    let wf = dir.join("long.yaml");
    std::fs::write(
        &wf,
        format!(
            "name: long
stages:
  glass:
    stage: quench
    params:
      potential: {{ plugin: eam/fs, file: {}, elements: [Cu, Zr] }}
      n_atoms: 100
      composition: {{ Cu: 0.5, Zr: 0.5 }}
      melt_temperature_k: 2000
      melt_time_ps: 100000
      cooling_rate_k_per_ps: 100
      capture_temperatures_k: [670]
",
            common::cuzr_file().display()
        ),
    )
    .unwrap();
    wf
}

/// Pids of the processes whose parent is `parent` (from /proc).
fn children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            out.push(pid);
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    // A zombie (reaped by nobody yet) has ended: state Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit_once(')')
                .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Starts the run and waits until its LAMMPS worker runs; returns both
/// (the caller waits for the child; a failed assertion here ends the test).
#[allow(clippy::zombie_processes)]
fn start(dir: &Path) -> (Child, u32) {
    let wf = long_workflow(dir);
    let child = Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .current_dir(dir)
        .args(["run", wf.to_str().unwrap(), "--out", "out"])
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if let Some(&worker) = children(child.id()).first() {
            // Let it get into the MD.
            std::thread::sleep(Duration::from_millis(500));
            return (child, worker);
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "no worker started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_gone(pid: u32, what: &str) {
    let t0 = Instant::now();
    while alive(pid) {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{what}: worker {pid} still alive 5 s after the runner was signalled"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tmp_folders(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("out/stages/glass"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn sigterm_stops_the_worker_cleans_up_and_says_how_to_resume() {
    let dir = scratch("sigterm");
    let (child, worker) = start(&dir);
    assert_eq!(tmp_folders(&dir).len(), 1, "the quench is running");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    wait_gone(worker, "SIGTERM");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM: stopped glass; 1 LAMMPS worker(s) stopped")
            && stderr.contains("Resume with the same command: ")
            && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert_eq!(tmp_folders(&dir), Vec::<String>::new());
    assert!(!dir.join("out/.lock").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_of_the_runner_does_not_orphan_the_worker() {
    let dir = scratch("sigkill");
    let (mut child, worker) = start(&dir);
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    wait_gone(worker, "SIGKILL");
    let _ = std::fs::remove_dir_all(&dir);
}
