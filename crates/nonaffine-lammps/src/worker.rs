//! The worker side: executes a job and streams events (rank 0 prints).

use crate::engine::{pack_image, unpack_image, Lammps};
use crate::protocol::{
    job_digest, AtomsSpec, Checkpoint, Event, Job, Snapshot, Step, EVENT_PREFIX,
};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

/// Exit code of a worker that stopped at a checkpoint because it was asked
/// to (SIGUSR1).
pub const CHECKPOINT_STOP_EXIT: i32 = 5;

/// Name of the checkpoint description in a checkpoint folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";

/// Checkpointing as the supervisor asked for it on the command line
/// (`--checkpoint DIR --checkpoint-every STEPS [--resume]`).
struct Checkpoints {
    dir: std::path::PathBuf,
    /// MD steps between checkpoints; 0: only when asked to stop.
    every: u64,
    /// SIGUSR1 arrived on this rank.
    stop: Arc<AtomicBool>,
    /// [`job_digest`] of the job.
    job: String,
    /// Snapshots taken so far, as the JSON of their events (they go into every checkpoint).
    snapshots: Vec<String>,
    /// The restart file of the last checkpoint.
    last_restart: Option<String>,
    /// Whether the MPI agreement compute is defined.
    agreement: bool,
}

impl Checkpoints {
    /// Whether any rank was asked to stop. Under MPI every rank must take the
    /// same decision at the same chunk boundary (writing a restart file is
    /// collective), so the ranks' flags are reduced with a LAMMPS `compute
    /// reduce max` over an atom-style variable that is 1 on the ranks whose
    /// flag is set.
    fn stop_requested(&mut self, lmp: &mut Lammps) -> bool {
        let mine = self.stop.load(Ordering::SeqCst);
        if lmp.setting("world_size") <= 1 {
            return mine;
        }
        if !self.agreement {
            lmp.command("variable nonaffine_stop_atom atom v_nonaffine_stop_flag");
            lmp.command("compute nonaffine_stop all reduce max v_nonaffine_stop_atom");
            self.agreement = true;
        }
        lmp.command(&format!(
            "variable nonaffine_stop_flag equal {}",
            u8::from(mine)
        ));
        lmp.compute_scalar("nonaffine_stop") > 0.5
    }

    /// Writes a restart file and then (rank 0) `checkpoint.json` naming it,
    /// through a temporary file and a rename, and removes the previous restart file.
    fn write(
        &mut self,
        lmp: &mut Lammps,
        step: usize,
        done: u64,
        span: [u64; 2],
        rank0: bool,
    ) -> Result<u64, String> {
        let timestep = lmp.timestep();
        let name = format!("restart.{timestep}");
        let path = self.dir.join(&name);
        lmp.command(&format!("write_restart \"{}\"", path.display()));
        if rank0 {
            self.describe(step, done, span, timestep, Some(name.clone()))?;
            if let Some(old) = self.last_restart.replace(name.clone()) {
                if old != name {
                    let _ = std::fs::remove_file(self.dir.join(old));
                }
            }
        }
        Ok(timestep)
    }

    fn describe(
        &self,
        step: usize,
        done: u64,
        span: [u64; 2],
        timestep: u64,
        restart_file: Option<String>,
    ) -> Result<(), String> {
        let c = Checkpoint {
            job: self.job.clone(),
            step,
            done,
            span,
            timestep,
            restart_file,
            snapshots: self.snapshots.clone(),
        };
        let text = serde_json::to_string(&c).map_err(|e| e.to_string())?;
        let path = self.dir.join(CHECKPOINT_FILE);
        let tmp = self.dir.join(format!(".{CHECKPOINT_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// Entry point of `nonaffine-lammps-worker --job FILE --log FILE
/// [--watch-stdin] [--checkpoint DIR --checkpoint-every STEPS [--resume]]`.
/// Returns the exit code. With `--watch-stdin` (the supervisor passes it) the
/// worker exits as soon as its stdin closes. With `--checkpoint` it writes
/// checkpoints of the runs after a [`Step::Resumable`] into DIR every STEPS
/// MD steps (at chunk boundaries) and, on SIGUSR1, at the next chunk
/// boundary, then exits with [`CHECKPOINT_STOP_EXIT`]; with `--resume` it
/// continues from DIR's checkpoint.
pub fn main() -> i32 {
    // First: SIGUSR1's default action would end the process.
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&stop)) {
        eprintln!("nonaffine-lammps-worker: cannot handle SIGUSR1: {e}");
        return 2;
    }
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
    let (job, digest): (Job, String) = match std::fs::read_to_string(&job_path)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            serde_json::from_str(&t)
                .map(|j| (j, job_digest(&t)))
                .map_err(|e| e.to_string())
        }) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("nonaffine-lammps-worker: cannot read job {job_path}: {e}");
            return 2;
        }
    };
    let mut checkpoints = arg("--checkpoint").map(|dir| Checkpoints {
        dir: dir.into(),
        every: arg("--checkpoint-every")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        stop: Arc::clone(&stop),
        job: digest.clone(),
        snapshots: Vec::new(),
        last_restart: None,
        agreement: false,
    });
    let resume: Option<Checkpoint> = match (&checkpoints, args.iter().any(|a| a == "--resume")) {
        (Some(c), true) => {
            let path = c.dir.join(CHECKPOINT_FILE);
            match std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str::<Checkpoint>(&t).map_err(|e| e.to_string()))
            {
                Ok(c) if c.job == digest => Some(c),
                Ok(_) => {
                    eprintln!(
                        "nonaffine-lammps-worker: checkpoint {} belongs to another job",
                        path.display()
                    );
                    return 2;
                }
                Err(e) => {
                    eprintln!(
                        "nonaffine-lammps-worker: cannot read checkpoint {}: {e}",
                        path.display()
                    );
                    return 2;
                }
            }
        }
        _ => None,
    };
    let Some(mut lmp) = Lammps::open(&["-screen", "none", "-log", &log_path, "-nocite"]) else {
        eprintln!("nonaffine-lammps-worker: lammps_open_no_mpi failed");
        return 3;
    };
    let rank0 = lmp.setting("world_rank") == 0;
    let emit_json = |line: &str| {
        if rank0 {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{EVENT_PREFIX}{line}");
            let _ = out.flush();
        }
    };
    let emit = |e: &Event| {
        if let Ok(line) = serde_json::to_string(e) {
            emit_json(&line);
        }
    };
    emit(&Event::Hello {
        pid: std::process::id(),
        version: lmp.version(),
        ranks: lmp.setting("world_size"),
        exceptions: Lammps::has_exceptions(),
        packages: Lammps::packages(),
    });
    // Where the job continues: (step, MD steps of it done, its span).
    let mut resume_at: Option<(usize, u64, [u64; 2])> = None;
    if let (Some(c), Some(ck)) = (&resume, checkpoints.as_mut()) {
        for s in &c.snapshots {
            emit_json(s);
        }
        ck.snapshots = c.snapshots.clone();
        ck.last_restart = c.restart_file.clone();
        match &c.restart_file {
            Some(_) => resume_at = Some((c.step, c.done, c.span)),
            // The job had finished: its snapshots are all there is to do.
            None => resume_at = Some((job.steps.len(), 0, c.span)),
        }
    }
    let mut resumable: Option<(&[String], &[String])> = None;
    // MD steps since the last checkpoint.
    let mut since = 0;
    for (index, step) in job.steps.iter().enumerate() {
        if let Some((at, _, _)) = resume_at {
            if index < at {
                if let Step::Resumable { setup, settings } = step {
                    resumable = Some((setup, settings));
                }
                continue;
            }
        }
        emit(&Event::StepStarted { index });
        match step {
            Step::Commands(lines) => lines.iter().for_each(|l| lmp.command(l)),
            Step::CreateAtoms(spec) => create_atoms(&mut lmp, spec),
            Step::Resumable { setup, settings } => resumable = Some((setup, settings)),
            Step::Run {
                label,
                steps,
                chunk,
                thermo,
                span,
            } => {
                let mut done = 0;
                let now = lmp.timestep();
                let mut span = span.unwrap_or([now, now + steps]);
                if let Some((at, d, s)) = resume_at.take() {
                    let (Some((setup, settings)), Some(c), Some(ck)) =
                        (resumable, &resume, checkpoints.as_ref())
                    else {
                        eprintln!("nonaffine-lammps-worker: the checkpoint is at job step {at}, which follows no resumable step");
                        return 2;
                    };
                    setup.iter().for_each(|l| lmp.command(l));
                    let file = ck.dir.join(c.restart_file.as_deref().unwrap_or_default());
                    lmp.command(&format!("read_restart \"{}\"", file.display()));
                    settings.iter().for_each(|l| lmp.command(l));
                    (done, span) = (d, s);
                    emit(&Event::Resumed {
                        step: at,
                        timestep: lmp.timestep(),
                    });
                }
                let [start, stop] = span;
                let chunk = (*chunk).max(1);
                while done < *steps {
                    let n = chunk.min(steps - done);
                    let pre = if done == 0 || resumable.is_some() {
                        "yes"
                    } else {
                        "no"
                    };
                    lmp.command(&format!(
                        "run {n} start {start} stop {stop} pre {pre} post no"
                    ));
                    done += n;
                    since += n;
                    let values = thermo.iter().map(|k| (k.clone(), lmp.thermo(k))).collect();
                    emit(&Event::Progress {
                        label: label.clone(),
                        done,
                        total: *steps,
                        thermo: values,
                    });
                    // Not at the end of a run: what follows it (a snapshot)
                    // sees the atoms as the run left them, not as a restart
                    // file wraps them into the box. A stop waits for the
                    // next run's first chunk.
                    let Some(ck) = checkpoints
                        .as_mut()
                        .filter(|_| resumable.is_some() && done < *steps)
                    else {
                        continue;
                    };
                    let stopping = ck.stop_requested(&mut lmp);
                    if !(stopping || (ck.every > 0 && since >= ck.every)) {
                        continue;
                    }
                    since = 0;
                    match ck.write(&mut lmp, index, done, span, rank0) {
                        Ok(timestep) => emit(&Event::Checkpointed { timestep, stopping }),
                        Err(e) => {
                            eprintln!("nonaffine-lammps-worker: {e}");
                            return 2;
                        }
                    }
                    if stopping {
                        drop(lmp);
                        Lammps::finalize_mpi();
                        return CHECKPOINT_STOP_EXIT;
                    }
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
                let Ok(line) = serde_json::to_string(&Event::Snapshot(Box::new(snap))) else {
                    eprintln!("nonaffine-lammps-worker: snapshot `{label}` is not serializable");
                    return 2;
                };
                emit_json(&line);
                if let Some(ck) = checkpoints.as_mut() {
                    ck.snapshots.push(line);
                }
            }
        }
    }
    // The finished job's checkpoint: its snapshots, no restart file.
    if let Some(ck) = checkpoints.as_mut().filter(|_| rank0) {
        let timestep = lmp.timestep();
        if let Err(e) = ck.describe(job.steps.len(), 0, [0, 0], timestep, None) {
            eprintln!("nonaffine-lammps-worker: {e}");
            return 2;
        }
        if let Some(old) = ck.last_restart.take() {
            let _ = std::fs::remove_file(ck.dir.join(old));
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
