//! The worker side: executes a job and streams events (rank 0 prints).

use crate::engine::{pack_image, unpack_image, Lammps};
use crate::protocol::{AtomsSpec, Event, Job, Snapshot, Step, EVENT_PREFIX};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// Exit code of a worker whose parent went away (its stdin pipe closed),
/// should killing itself fail.
pub const ORPHANED_EXIT: i32 = 4;

/// Flag that makes the worker exit when its stdin reaches end-of-file.
pub const WATCH_STDIN_FLAG: &str = "--watch-stdin";

/// This process's MPI rank as the launcher tells it (Open MPI, PMIx, MPICH),
/// or None outside `mpirun`. Known before MPI is initialised.
fn launcher_rank() -> Option<u32> {
    ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
}

/// Exits the process when stdin reaches end-of-file: the parent holds the
/// other end of the pipe, so EOF means the parent ended, even by SIGKILL.
/// Only rank 0 has the parent's stdin under `mpirun` (the other ranks read
/// /dev/null); its exit makes `mpirun` end the others.
fn exit_when_parent_goes() {
    if launcher_rank().is_some_and(|r| r != 0) {
        return;
    }
    std::thread::spawn(|| {
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        // Not eprintln!: stderr is a pipe to the dead parent, and a failed
        // write would panic this thread instead of ending the process.
        let _ = writeln!(
            std::io::stderr(),
            "nonaffine-lammps-worker: the parent process ended (stdin closed); stopping"
        );
        // Not `exit`: MPI's exit handlers wait for the main thread, which is
        // inside LAMMPS, and the process would hang. SIGKILL to ourselves
        // ends it at once (Open MPI's singleton helper and mpirun notice).
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
        std::process::exit(ORPHANED_EXIT);
    });
}

/// Entry point of `nonaffine-lammps-worker --job FILE --log FILE [--watch-stdin]`.
/// Returns the exit code. With `--watch-stdin` (the supervisor passes it) the
/// worker exits as soon as its stdin closes.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == WATCH_STDIN_FLAG) {
        exit_when_parent_goes();
    }
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(job_path), Some(log_path)) = (arg("--job"), arg("--log")) else {
        eprintln!("usage: nonaffine-lammps-worker --job JOB.json --log LOG_FILE");
        return 2;
    };
    let job: Job = match std::fs::read_to_string(&job_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(j) => j,
        Err(e) => {
            eprintln!("nonaffine-lammps-worker: cannot read job {job_path}: {e}");
            return 2;
        }
    };
    let Some(mut lmp) = Lammps::open(&["-screen", "none", "-log", &log_path, "-nocite"]) else {
        eprintln!("nonaffine-lammps-worker: lammps_open_no_mpi failed");
        return 3;
    };
    let rank0 = lmp.setting("world_rank") == 0;
    let emit = |e: &Event| {
        if rank0 {
            if let Ok(line) = serde_json::to_string(e) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{EVENT_PREFIX}{line}");
                let _ = out.flush();
            }
        }
    };
    emit(&Event::Hello {
        pid: std::process::id(),
        version: lmp.version(),
        ranks: lmp.setting("world_size"),
        exceptions: Lammps::has_exceptions(),
        packages: Lammps::packages(),
    });
    for (index, step) in job.steps.iter().enumerate() {
        emit(&Event::StepStarted { index });
        match step {
            Step::Commands(lines) => lines.iter().for_each(|l| lmp.command(l)),
            Step::CreateAtoms(spec) => create_atoms(&mut lmp, spec),
            Step::Run {
                label,
                steps,
                chunk,
                thermo,
                span,
            } => {
                let now = lmp.timestep();
                let [start, stop] = span.unwrap_or([now, now + steps]);
                let chunk = (*chunk).max(1);
                let mut done = 0;
                while done < *steps {
                    let n = chunk.min(steps - done);
                    let pre = if done == 0 { "yes" } else { "no" };
                    lmp.command(&format!(
                        "run {n} start {start} stop {stop} pre {pre} post no"
                    ));
                    done += n;
                    let values = thermo.iter().map(|k| (k.clone(), lmp.thermo(k))).collect();
                    emit(&Event::Progress {
                        label: label.clone(),
                        done,
                        total: *steps,
                        thermo: values,
                    });
                }
            }
            Step::Repeat {
                commands,
                max_times,
                until,
                below,
            } => {
                for _ in 0..*max_times {
                    commands.iter().for_each(|l| lmp.command(l));
                    if until.iter().all(|k| lmp.thermo(k).abs() < *below) {
                        break;
                    }
                }
            }
            Step::Snapshot {
                label,
                per_atom,
                compute_vectors,
                thermo,
            } => {
                let snap = snapshot(&lmp, label, per_atom, compute_vectors, thermo);
                emit(&Event::Snapshot(Box::new(snap)));
            }
        }
    }
    emit(&Event::Done);
    drop(lmp);
    Lammps::finalize_mpi();
    0
}

fn create_atoms(lmp: &mut Lammps, spec: &AtomsSpec) {
    let b = &spec.cell;
    lmp.command(&format!(
        "region nonaffine_box prism {} {} {} {} {} {} {} {} {} units box",
        b.lo[0], b.hi[0], b.lo[1], b.hi[1], b.lo[2], b.hi[2], b.xy, b.xz, b.yz
    ));
    lmp.command(&format!("create_box {} nonaffine_box", spec.masses.len()));
    for (t, m) in spec.masses.iter().enumerate() {
        lmp.command(&format!("mass {} {m}", t + 1));
    }
    let images: Vec<i32> = spec
        .images
        .chunks(3)
        .map(|c| pack_image([c[0], c[1], c[2]]))
        .collect();
    lmp.create_atoms(&spec.types, &spec.positions, &images);
}

fn snapshot(
    lmp: &Lammps,
    label: &str,
    per_atom: &[(String, usize)],
    compute_vectors: &[(String, usize)],
    thermo: &[String],
) -> Snapshot {
    let x = lmp.gather_f64("x", 3);
    let types = lmp.gather_i32("type", 1);
    let images = lmp.gather_i32("image", 1);
    Snapshot {
        label: label.to_string(),
        step: lmp.timestep(),
        cell: lmp.extract_box(),
        masses: lmp.type_masses(),
        types,
        positions: x.chunks(3).map(|c| [c[0], c[1], c[2]]).collect(),
        images: images.into_iter().map(unpack_image).collect(),
        per_atom: per_atom
            .iter()
            .map(|(n, c)| (n.clone(), lmp.gather_f64(n, *c)))
            .collect(),
        compute_vectors: compute_vectors
            .iter()
            .map(|(n, c)| (n.clone(), lmp.compute_vector(n, *c)))
            .collect(),
        thermo: thermo
            .iter()
            .map(|k| (k.clone(), lmp.thermo(k)))
            .collect::<BTreeMap<_, _>>(),
    }
}
