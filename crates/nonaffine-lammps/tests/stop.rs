//! `stop_workers` against a real worker. A file of its own: it stops every
//! worker of the test process, so no other test may share the process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_lammps::{run_job, Event, Job, Step, WorkerConfig};

/// 10^7 MD steps of a 256-atom Lennard-Jones crystal: only a kill ends it.
fn endless_job() -> Job {
    let cmds = [
        "units lj",
        "atom_style atomic",
        "lattice fcc 0.8442",
        "region box block 0 4 0 4 0 4",
        "create_box 1 box",
        "create_atoms 1 box",
        "mass 1 1.0",
        "pair_style lj/cut 2.5",
        "pair_coeff 1 1 1.0 1.0 2.5",
        "velocity all create 1.0 1",
        "fix md all nve",
        "thermo_style custom step temp",
    ]
    .map(String::from)
    .to_vec();
    Job {
        steps: vec![
            Step::Commands(cmds),
            Step::Run {
                label: "md".into(),
                steps: 10_000_000,
                chunk: 100,
                thermo: vec!["temp".into()],
                span: None,
            },
        ],
    }
}

#[test]
fn stop_workers_ends_a_running_job_and_its_caller_gets_an_error() {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut sent = false;
        run_job(&WorkerConfig::default(), &endless_job(), &mut |ev| {
            if matches!(ev, Event::Progress { .. }) && !sent {
                sent = true;
                tx.send(()).unwrap();
            }
        })
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
    let t0 = std::time::Instant::now();
    assert_eq!(
        nonaffine_lammps::stop_workers(std::time::Duration::from_secs(5)),
        1
    );
    let err = handle.join().unwrap().unwrap_err();
    assert!(t0.elapsed() < std::time::Duration::from_secs(5));
    assert!(err.to_string().contains("killed by signal 15"), "{err}");
}
