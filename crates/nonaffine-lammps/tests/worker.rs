//! The worker against real LAMMPS: evaluation, errors, kills, MPI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{Cell, Species, Structure};
use nonaffine_lammps::{
    evaluate, evaluate_with, run_job, Event, Job, LammpsError, Step, WorkerConfig,
};
use std::path::PathBuf;

fn potential() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs")
}

fn setup() -> Vec<String> {
    vec![
        "pair_style eam/fs".into(),
        format!("pair_coeff * * {} Cu Zr", potential().display()),
    ]
}

/// A B2 CuZr crystal (a = 3.26 Å), 3×3×3 cells, slightly distorted so forces are not zero.
fn b2(distort: bool) -> Structure {
    let a = 3.26;
    let n = 3;
    let mut pos = Vec::new();
    let mut types = Vec::new();
    for i in 0..n {
        for j in 0..n {
            for k in 0..n {
                let base = [i as f64 * a, j as f64 * a, k as f64 * a];
                pos.push(base);
                types.push(0);
                pos.push([base[0] + a / 2.0, base[1] + a / 2.0, base[2] + a / 2.0]);
                types.push(1);
            }
        }
    }
    if distort {
        for (m, p) in pos.iter_mut().enumerate() {
            let phase = m as f64 * 0.7;
            p[0] += 0.05 * phase.sin();
            p[1] += 0.04 * (1.3 * phase).cos();
            p[2] -= 0.03 * (0.4 * phase).sin();
        }
    }
    let l = n as f64 * a;
    let cell = Cell::from_lammps([0.0; 3], [l, l, l], 0.4, -0.3, 0.2);
    let species = vec![
        Species {
            name: "Cu".into(),
            mass_amu: 63.546,
        },
        Species {
            name: "Zr".into(),
            mass_amu: 91.224,
        },
    ];
    let images = vec![[0; 3]; pos.len()];
    Structure::new(cell, species, types, pos, images).unwrap()
}

#[test]
fn evaluation_is_self_consistent_and_matches_lmp_binary() {
    let s = b2(true);
    let e = evaluate(&s, &setup()).unwrap();
    assert_eq!(e.forces_ev_per_a.len(), s.len());
    // pe/atom sums to the total energy.
    let sum: f64 = e.per_atom_energy_ev.iter().sum();
    assert!(
        (sum - e.energy_ev).abs() < 1e-9 * e.energy_ev.abs(),
        "{sum} vs {}",
        e.energy_ev
    );
    // Newton's third law: forces sum to zero.
    for k in 0..3 {
        let fk: f64 = e.forces_ev_per_a.iter().map(|f| f[k]).sum();
        assert!(fk.abs() < 1e-9, "net force {fk}");
    }
    // The same structure through Debian's `lmp` binary (read_data + run 0).
    let (pe, forces) = lmp_binary_run0(&s);
    assert!(
        (pe - e.energy_ev).abs() < 1e-12 * pe.abs(),
        "{pe} vs {}",
        e.energy_ev
    );
    for (a, b) in forces.iter().zip(&e.forces_ev_per_a) {
        for k in 0..3 {
            assert!((a[k] - b[k]).abs() < 1e-11, "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn lammps_error_is_reported_and_the_caller_lives() {
    let s = b2(false);
    let err = evaluate(&s, &["pair_style no/such/style".to_string()]).unwrap_err();
    match &err {
        LammpsError::Lammps { message, .. } => {
            assert!(message.contains("Unrecognized pair style"), "{message}")
        }
        other => panic!("expected a LAMMPS error, got {other}"),
    }
    let err = evaluate(
        &s,
        &[
            "pair_style eam/fs".into(),
            "pair_coeff * * /no/such/file.eam.fs Cu Zr".into(),
        ],
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ERROR") && text.contains("/no/such/file.eam.fs"),
        "{text}"
    );
    // The log lived in a temporary folder that is gone now: the message
    // quotes its tail and does not send the user to the deleted file.
    assert!(
        !text.contains("log.lammps") && text.contains("--- last lines of the LAMMPS log ---"),
        "{text}"
    );
    // The process is still alive and LAMMPS still works.
    assert!(evaluate(&s, &setup()).is_ok());
}

#[test]
fn killed_worker_is_reported_not_hung_on() {
    let s = b2(false);
    let mut steps = vec![Step::Commands(nonaffine_lammps::preamble())];
    steps.push(Step::CreateAtoms(nonaffine_lammps::atoms_spec(&s).unwrap()));
    let mut cmds = setup();
    cmds.extend(
        [
            "velocity all create 1500 1",
            "fix md all nve",
            "thermo_style custom step temp",
            "thermo 100",
        ]
        .map(String::from),
    );
    steps.push(Step::Commands(cmds));
    steps.push(Step::Run {
        label: "md".into(),
        steps: 10_000_000,
        chunk: 100,
        thermo: vec!["temp".into()],
        span: None,
    });
    let job = Job { steps };
    let mut pid = None;
    let mut killed = false;
    let err = run_job(&WorkerConfig::default(), &job, &mut |ev| match ev {
        Event::Hello { pid: p, .. } => pid = Some(*p),
        Event::Progress { .. } if !killed => {
            killed = true;
            let status = std::process::Command::new("kill")
                .args(["-9", &pid.unwrap().to_string()])
                .status();
            assert!(status.unwrap().success());
        }
        _ => {}
    })
    .unwrap_err();
    match err {
        LammpsError::Crashed { status, step, .. } => {
            assert!(status.contains("signal 9"), "{status}");
            assert_eq!(step, Some(3));
        }
        other => panic!("expected Crashed, got {other}"),
    }
}

/// A job of 10^7 MD steps (hours): only a kill ends it.
fn endless_job() -> Job {
    let s = b2(false);
    let mut steps = vec![Step::Commands(nonaffine_lammps::preamble())];
    steps.push(Step::CreateAtoms(nonaffine_lammps::atoms_spec(&s).unwrap()));
    let mut cmds = setup();
    cmds.extend(
        [
            "velocity all create 1500 1",
            "fix md all nve",
            "thermo_style custom step temp",
            "thermo 100",
        ]
        .map(String::from),
    );
    steps.push(Step::Commands(cmds));
    steps.push(Step::Run {
        label: "md".into(),
        steps: 10_000_000,
        chunk: 100,
        thermo: vec!["temp".into()],
        span: None,
    });
    Job { steps }
}

#[test]
fn a_crash_names_the_job_step_in_words() {
    let mut killed = false;
    let mut pid = 0;
    let err = run_job(
        &WorkerConfig::default(),
        &endless_job(),
        &mut |ev| match ev {
            Event::Hello { pid: p, .. } => pid = *p,
            Event::Progress { .. } if !killed => {
                killed = true;
                std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status()
                    .unwrap();
            }
            _ => {}
        },
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("(killed by signal 9) during job step 4 of 4 (run `md`, 10000000 MD steps)"),
        "{text}"
    );
    assert!(!text.contains("Some("), "{text}");
}

/// The worker started as `run_job` starts it, with a job file, for tests of
/// its own behaviour; `mpi`: under `mpirun -np 2`.
fn spawn_worker(dir: &std::path::Path, mpi: bool) -> std::process::Child {
    std::fs::write(
        dir.join("job.json"),
        serde_json::to_string(&endless_job()).unwrap(),
    )
    .unwrap();
    let worker = nonaffine_lammps::find_worker().unwrap();
    let mut cmd = if mpi {
        let mut c = std::process::Command::new("mpirun");
        c.args(["--allow-run-as-root", "--oversubscribe", "-np", "2"])
            .arg(worker);
        c
    } else {
        std::process::Command::new(worker)
    };
    cmd.arg("--job")
        .arg(dir.join("job.json"))
        .arg("--log")
        .arg(dir.join("log.lammps"))
        .arg("--watch-stdin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// What a parent's SIGKILL does to the pipe: its end closes. The worker (and,
/// under mpirun, every rank) must then end by itself within seconds.
#[test]
fn a_worker_whose_parent_pipe_closes_exits() {
    use std::io::BufRead as _;
    for mpi in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = spawn_worker(dir.path(), mpi);
        // Wait until the MD runs (a progress line), then close stdin.
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("\"progress\"") || l.contains("Progress")));
        drop(child.stdin.take());
        let t0 = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                t0.elapsed() < std::time::Duration::from_secs(10),
                "worker (mpi: {mpi}) still running 10 s after its stdin closed"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(!status.success(), "mpi: {mpi}: {status}");
    }
}

#[test]
fn mpirun_with_two_ranks_gives_the_serial_result() {
    let have_mpirun = std::process::Command::new("mpirun")
        .arg("--version")
        .output()
        .is_ok();
    assert!(
        have_mpirun,
        "mpirun not found: install openmpi-bin (scripts/setup.sh does)"
    );
    let s = b2(true);
    let serial = evaluate(&s, &setup()).unwrap();
    let cfg = WorkerConfig {
        mpi_ranks: Some(2),
        ..Default::default()
    };
    let mpi = evaluate_with(&cfg, &s, &setup()).unwrap();
    assert!((serial.energy_ev - mpi.energy_ev).abs() < 1e-10 * serial.energy_ev.abs());
    for (a, b) in serial.forces_ev_per_a.iter().zip(&mpi.forces_ev_per_a) {
        for k in 0..3 {
            assert!((a[k] - b[k]).abs() < 1e-10, "{a:?} vs {b:?}");
        }
    }
}

/// Runs `lmp` on a data file written here with full precision; returns pe and forces.
fn lmp_binary_run0(s: &Structure) -> (f64, Vec<[f64; 3]>) {
    let dir = tempfile::tempdir().unwrap();
    let (lo, hi, xy, xz, yz) = s.cell.to_lammps().unwrap();
    let mut data = format!(
        "test\n\n{} atoms\n2 atom types\n{:e} {:e} xlo xhi\n{:e} {:e} ylo yhi\n{:e} {:e} zlo zhi\n{xy:e} {xz:e} {yz:e} xy xz yz\n\nMasses\n\n1 63.546\n2 91.224\n\nAtoms # atomic\n\n",
        s.len(), lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]
    );
    for (i, (p, t)) in s.positions.iter().zip(&s.types).enumerate() {
        data += &format!("{} {} {:e} {:e} {:e}\n", i + 1, t + 1, p[0], p[1], p[2]);
    }
    std::fs::write(dir.path().join("in.data"), data).unwrap();
    let script = format!(
        "units metal\natom_style atomic\nboundary p p p\nread_data in.data\n{}\nrun 0\nprint \"PE $(pe:%.17g)\"\nwrite_dump all custom f.dump id fx fy fz modify sort id format float %.17g\n",
        setup().join("\n")
    );
    std::fs::write(dir.path().join("in.lmp"), script).unwrap();
    let out = std::process::Command::new("lmp")
        .args(["-in", "in.lmp", "-log", "none"])
        .current_dir(dir.path())
        .output()
        .expect("Debian's `lmp` binary (package lammps) is needed: run scripts/setup.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pe: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PE "))
        .expect("no PE line")
        .trim()
        .parse()
        .unwrap();
    let dump = std::fs::read_to_string(dir.path().join("f.dump")).unwrap();
    let forces = dump
        .lines()
        .skip(9)
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .skip(1)
                .map(|x| x.parse().unwrap())
                .collect();
            [v[0], v[1], v[2]]
        })
        .collect();
    (pe, forces)
}
