//! Kill a run with SIGKILL in the middle of a stage, then resume it.
//!
//! The test re-executes its own test binary as the child (selected by an
//! environment variable), so the kill hits a real, separate process.

use crate::common::{calls, registry};
use crate::run::Case;
use nonaffine_workflow::{run, Quiet, RunOptions, Workflow};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "NONAFFINE_TEST_RESUME_CHILD";
/// Stages the child forces (comma-separated).
const FORCE: &str = "NONAFFINE_TEST_RESUME_FORCE";

const WORKFLOW: &str = "
name: resume
stages:
  a: { stage: source, params: { value: 1 } }
  b: { stage: double, inputs: [a] }
  slow: { stage: slow, inputs: [b] }
  after: { stage: double, inputs: [slow] }
";

fn leftovers(stage_dir: &Path) -> Vec<String> {
    std::fs::read_dir(stage_dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn kill_mid_stage_and_resume() {
    if let Ok(dir) = std::env::var(CHILD) {
        // Child role: run until the parent kills us inside `slow`.
        let dir = Path::new(&dir);
        let reg = registry();
        let wf = Workflow::load(&dir.join("wf.yaml"), &reg).unwrap();
        run(
            &wf,
            &reg,
            &RunOptions {
                out_dir: dir.join("out"),
                force: std::env::var(FORCE)
                    .unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                jobs: 1,
                store: None,
            },
            &Quiet,
        )
        .unwrap();
        return;
    }
    let case = Case::new(WORKFLOW);
    let slow_dir = case.out().join("stages/slow");
    kill_inside_slow(&case, "");
    // What the kill left: finished stages in place, the killed one only as a temp folder.
    let a_record = std::fs::read(case.out().join("stages/a/_/stage.json")).unwrap();
    assert!(case.out().join("stages/b/_/stage.json").exists());
    let left = leftovers(&slow_dir);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("_.tmp-"), "{left:?}");
    assert!(!case.out().join("stages/after").exists());
    assert!(!case.out().join("manifest.json").exists());

    // Resume in this process (no sleep): finished stages come from the cache.
    let report = case.run(&[]);
    assert_eq!(report.cached(), vec!["a", "b"]);
    assert_eq!(report.ran(), vec!["slow", "after"]);
    assert_eq!(
        leftovers(&slow_dir),
        vec!["_"],
        "temp folder of the killed run removed"
    );
    assert!(!slow_dir.join("_/partial.txt").exists());
    assert_eq!(
        std::fs::read(case.out().join("stages/a/_/stage.json")).unwrap(),
        a_record
    );
    // a = 1, b = 2, slow copies b, after = 2 × slow.
    assert_eq!(case.value("after/_"), 4.0);
    assert_eq!(
        calls(&case.out()),
        vec![
            "source a/_",
            "double b/_",
            "slow slow/_",
            "slow slow/_",
            "double after/_"
        ]
    );
    assert!(case.run(&[]).ran().is_empty());

    // Killed while redoing a finished stage (forced): the old output stays
    // whole and, its key being unchanged, is reused.
    let slow_record = std::fs::read(slow_dir.join("_/stage.json")).unwrap();
    kill_inside_slow(&case, "slow");
    assert_eq!(
        std::fs::read(slow_dir.join("_/stage.json")).unwrap(),
        slow_record
    );
    assert_eq!(
        leftovers(&slow_dir).len(),
        2,
        "old output and the killed temp folder"
    );
    let report = case.run(&[]);
    assert!(report.ran().is_empty(), "{}", report.explain());
    assert_eq!(leftovers(&slow_dir), vec!["_"]);
}

/// Runs the workflow in a child process (forcing `force`) and SIGKILLs it
/// once the `slow` stage has started writing.
fn kill_inside_slow(case: &Case, force: &str) {
    let slow_dir = case.out().join("stages/slow");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "resume::kill_mid_stage_and_resume",
            "--test-threads=1",
        ])
        .env(CHILD, case.dir.path())
        .env(FORCE, force)
        .env("NONAFFINE_TEST_SLEEP_MS", "120000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        let started = leftovers(&slow_dir)
            .iter()
            .any(|n| n.contains(".tmp-") && slow_dir.join(n).join("started").exists());
        if started {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "child never reached the slow stage"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "child ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}
