//! Checkpoints of the quench MD: a job stopped at a checkpoint and continued
//! from its LAMMPS restart file gives the same configurations as the same
//! job run straight through (the stop is a real SIGUSR1 to the worker, as a
//! Slurm batch job gets before its time limit).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::potential;

use nonaffine_core::ParamValue;
use nonaffine_lammps::{run_job, Checkpointing, Event, Job, JobOutput, LammpsError, WorkerConfig};
use nonaffine_quench::{md_job, QuenchProtocol};
use std::path::Path;

/// 108 atoms, 1 ps melt (500 steps), 2000 K/ps to 536 K (482 steps), two
/// captures, chunks of 50 steps.
fn protocol(seed: i64) -> QuenchProtocol {
    common::protocol(
        108,
        1.0,
        2000.0,
        &[1000.0, 536.0],
        &[
            ("seed", ParamValue::Integer(seed)),
            ("progress_every_steps", ParamValue::Integer(50)),
        ],
    )
}

fn usr1(pid: u32) {
    let s = std::process::Command::new("kill")
        .args(["-USR1", &pid.to_string()])
        .status()
        .unwrap();
    assert!(s.success());
}

/// Runs `job` with checkpoints in `dir`, sending SIGUSR1 to the worker when
/// `stop_at` says so; returns the result and the events.
fn run(
    job: &Job,
    dir: &Path,
    every_steps: u64,
    stop_at: &dyn Fn(&Event) -> bool,
) -> (Result<JobOutput, LammpsError>, Vec<Event>) {
    run_on(None, job, dir, every_steps, stop_at)
}

/// [`run`] under `mpirun -np ranks` when given: the signal goes to rank 0 only.
fn run_on(
    ranks: Option<usize>,
    job: &Job,
    dir: &Path,
    every_steps: u64,
    stop_at: &dyn Fn(&Event) -> bool,
) -> (Result<JobOutput, LammpsError>, Vec<Event>) {
    let config = WorkerConfig {
        checkpoint: Some(Checkpointing {
            dir: dir.to_path_buf(),
            every_steps,
        }),
        mpi_ranks: ranks,
        ..Default::default()
    };
    let mut events = Vec::new();
    let (mut pid, mut sent) = (0, false);
    let out = run_job(&config, job, &mut |ev| {
        if let Event::Hello { pid: p, .. } = ev {
            pid = *p;
        }
        if !sent && stop_at(ev) {
            usr1(pid);
            sent = true;
        }
        events.push(ev.clone());
    });
    (out, events)
}

fn stopped_at(out: Result<JobOutput, LammpsError>) -> u64 {
    match out {
        Err(LammpsError::Stopped {
            timestep: Some(t), ..
        }) => t,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("the job ran to its end despite SIGUSR1"),
    }
}

fn resumed_at(events: &[Event]) -> Option<u64> {
    events.iter().find_map(|e| match e {
        Event::Resumed { timestep, .. } => Some(*timestep),
        _ => None,
    })
}

/// Asserts that the two runs took the same snapshots, bit for bit
/// (positions, image flags, box).
fn assert_same(a: &JobOutput, b: &JobOutput) {
    let labels = |o: &JobOutput| {
        o.snapshots
            .iter()
            .map(|s| s.label.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(labels(a), labels(b));
    for (x, y) in a.snapshots.iter().zip(&b.snapshots) {
        assert_eq!(x.step, y.step);
        assert_eq!(x.types, y.types);
        assert_eq!(x.images, y.images, "snapshot {}", x.label);
        let worst = x
            .positions
            .iter()
            .zip(&y.positions)
            .flat_map(|(p, q)| (0..3).map(move |k| (p[k] - q[k]).abs()))
            .fold(0.0f64, f64::max);
        assert!(
            worst == 0.0,
            "snapshot {}: positions differ by up to {worst:e} Å",
            x.label
        );
        assert_eq!((x.cell.lo, x.cell.hi), (y.cell.lo, y.cell.hi));
    }
}

#[test]
fn md_stopped_twice_and_resumed_gives_the_configurations_of_the_straight_run() {
    let p = protocol(3);
    let job = md_job(&p, potential().as_ref(), 0);
    let straight = run_job(&WorkerConfig::default(), &job, &mut |_| {}).unwrap();
    assert_eq!(straight.snapshots.len(), 2);
    let dir = tempfile::tempdir().unwrap();
    let melt = p.melt_steps();

    // 1. Stopped in the melt, right after its first chunk.
    let (out, events) = run(
        &job,
        dir.path(),
        200,
        &|e| matches!(e, Event::Progress { label, .. } if label == "melt"),
    );
    let first = stopped_at(out);
    assert!(first < melt, "stopped at {first}, the melt ends at {melt}");
    assert_eq!(resumed_at(&events), None);

    // 2. Continued from there, periodic checkpoints every 200 steps, stopped
    // again once the first capture is taken (in the cooling).
    let (out, events) = run(&job, dir.path(), 200, &|e| matches!(e, Event::Snapshot(_)));
    assert_eq!(resumed_at(&events), Some(first));
    let periodic = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Checkpointed {
                    stopping: false,
                    ..
                }
            )
        })
        .count();
    assert!(periodic >= 2, "{periodic} periodic checkpoints");
    let second = stopped_at(out);
    assert!(
        second > melt + p.cooling_step_at(1000.0),
        "stopped at {second}"
    );

    // 3. Continued to the end: the first capture comes from the checkpoint.
    let (out, events) = run(&job, dir.path(), 200, &|_| false);
    assert_eq!(resumed_at(&events), Some(second));
    let resumed = out.unwrap();
    // Exact: the restart file holds every double of the state (positions,
    // velocities, box, the npt thermostat and barostat variables), and the
    // straight run also starts each chunk with a full setup (Step::Resumable).
    assert_same(&straight, &resumed);
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("restart."))
        .collect();
    assert!(left.is_empty(), "restart files left: {left:?}");

    // 4. Run again: the finished job's checkpoint gives its snapshots, no MD.
    let (out, events) = run(&job, dir.path(), 200, &|_| false);
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Progress { .. } | Event::Resumed { .. })));
    assert_same(&straight, &out.unwrap());

    // 5. Another job (another seed) does not continue this one's checkpoint,
    // even with its own job.json beside it (two jobs sharing a folder).
    let other = md_job(&protocol(4), potential().as_ref(), 0);
    std::fs::write(
        dir.path().join("job.json"),
        serde_json::to_string(&other).unwrap(),
    )
    .unwrap();
    let (out, events) = run(&other, dir.path(), 0, &|_| false);
    assert_eq!(resumed_at(&events), None);
    let fresh = run_job(&WorkerConfig::default(), &other, &mut |_| {}).unwrap();
    assert_same(&fresh, &out.unwrap());
    assert_ne!(
        fresh.snapshots[0].positions,
        straight.snapshots[0].positions
    );
}

#[test]
fn mpi_ranks_agree_on_the_stop_and_resume_exactly() {
    let p = protocol(5);
    let job = md_job(&p, potential().as_ref(), 0);
    let config = WorkerConfig {
        mpi_ranks: Some(2),
        ..Default::default()
    };
    let straight = run_job(&config, &job, &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // SIGUSR1 reaches rank 0 only (its pid is the one in Hello); rank 1
    // must stop at the same chunk boundary, or write_restart would hang.
    let (out, _) = run_on(
        Some(2),
        &job,
        dir.path(),
        0,
        &|e| matches!(e, Event::Progress { label, .. } if label == "melt"),
    );
    let at = stopped_at(out);
    let (out, events) = run_on(Some(2), &job, dir.path(), 0, &|_| false);
    assert_eq!(resumed_at(&events), Some(at));
    assert_same(&straight, &out.unwrap());
}

/// A 10 ps melt, stopped in its middle after a periodic checkpoint: long
/// enough for `fix npt`'s dilation point to matter (taken by default from
/// the box when the fix is defined, it moved by round-off in a re-defined
/// fix, and these runs parted before the quench gave it explicitly).
#[test]
fn a_long_melt_stopped_in_its_middle_is_continued_exactly() {
    let p = common::protocol(
        108,
        10.0,
        2000.0,
        &[670.0, 536.0],
        &[
            ("seed", ParamValue::Integer(1)),
            ("progress_every_steps", ParamValue::Integer(100)),
        ],
    );
    let job = md_job(&p, potential().as_ref(), 0);
    let straight = run_job(&WorkerConfig::default(), &job, &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run(
        &job,
        dir.path(),
        500,
        &|e| matches!(e, Event::Progress { label, done, .. } if label == "melt" && *done == 2500),
    );
    let at = stopped_at(out);
    assert!((2500..p.melt_steps()).contains(&at), "stopped at {at}");
    let (out, events) = run(&job, dir.path(), 500, &|_| false);
    assert_eq!(resumed_at(&events), Some(at));
    assert_same(&straight, &out.unwrap());
}
