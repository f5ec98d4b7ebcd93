//! What the parent sends the worker (a [`Job`] file) and what the worker sends
//! back (one [`Event`] per stdout line, behind [`EVENT_PREFIX`]).

use crate::engine::BoxInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prefix of every event line, so stray output from MPI or LAMMPS is ignored.
pub const EVENT_PREFIX: &str = "@@nonaffine ";

/// A job: steps executed in order by one LAMMPS instance.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Job {
    /// The steps.
    pub steps: Vec<Step>,
}

impl Job {
    /// The same job as a plain LAMMPS input script, for `lmp -in`, or None
    /// when it creates atoms from memory (`CreateAtoms`), which a script cannot.
    /// Snapshots become `write_data` commands, `Repeat` a labelled loop.
    pub fn to_input_script(&self) -> Option<String> {
        let mut out = String::new();
        let mut step_now = 0u64;
        let mut resumable = false;
        for (index, step) in self.steps.iter().enumerate() {
            match step {
                Step::Commands(lines) => {
                    for l in lines {
                        out.push_str(l);
                        out.push('\n');
                        if let Some(rest) = l.strip_prefix("reset_timestep ") {
                            step_now = rest.trim().parse().unwrap_or(0);
                        }
                    }
                }
                Step::CreateAtoms(_) => return None,
                Step::Run {
                    steps, chunk, span, ..
                } => {
                    let [start, stop] = span.unwrap_or([step_now, step_now + steps]);
                    let chunk = (*chunk).max(1);
                    let mut done = 0;
                    while done < *steps {
                        let n = chunk.min(steps - done);
                        let pre = if done == 0 || resumable { "yes" } else { "no" };
                        out.push_str(&format!(
                            "run {n} start {start} stop {stop} pre {pre} post no\n"
                        ));
                        done += n;
                    }
                    step_now += steps;
                }
                Step::Repeat {
                    commands,
                    max_times,
                    until,
                    below,
                } => {
                    let test: Vec<String> = until
                        .iter()
                        .map(|k| format!("abs({k}) < {below}"))
                        .collect();
                    out.push_str(&format!("variable nonaffine_pass{index} loop {max_times}\nlabel nonaffine_repeat{index}\n"));
                    for l in commands {
                        out.push_str(l);
                        out.push('\n');
                    }
                    out.push_str(&format!(
                        "if \"$({})\" then \"jump SELF nonaffine_done{index}\"\nnext nonaffine_pass{index}\njump SELF nonaffine_repeat{index}\nlabel nonaffine_done{index}\n",
                        test.join(" && ")
                    ));
                }
                Step::Resumable { .. } => resumable = true,
                Step::Snapshot { label, .. } => {
                    out.push_str(&format!(
                        "write_data snapshot_{}.data\n",
                        label.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                    ));
                }
            }
        }
        Some(out)
    }
}

/// Atoms to create at exact positions (instead of a data file).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AtomsSpec {
    /// Box.
    pub cell: BoxInfo,
    /// Per-type masses in amu (type 1 first).
    pub masses: Vec<f64>,
    /// Type of each atom (1-based).
    pub types: Vec<i32>,
    /// Positions, 3 per atom, Å, inside the box.
    pub positions: Vec<f64>,
    /// Image flags, 3 per atom.
    pub images: Vec<i32>,
}

/// One step of a job.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// LAMMPS input lines, in order.
    Commands(Vec<String>),
    /// Defines a (restricted triclinic) box and creates atoms at exact positions.
    /// Must follow `units`, `atom_style`, `atom_modify map array` and `boundary`.
    CreateAtoms(AtomsSpec),
    /// `run steps`, in chunks, reporting progress and `thermo` keywords after
    /// each chunk. Fixes that ramp (e.g. `fix npt` temperatures) see one run
    /// of `steps` steps (LAMMPS `start`/`stop`).
    Run {
        /// Label shown in progress.
        label: String,
        /// Total steps.
        steps: u64,
        /// Steps per chunk (progress granularity).
        chunk: u64,
        /// Thermo keywords reported with progress (must be in `thermo_style`).
        thermo: Vec<String>,
        /// Timesteps `[start, stop]` that ramping fixes see as the whole run, when
        /// one ramp spans several `Run` steps (e.g. a cooling ramp cut at captures).
        #[serde(default)]
        span: Option<[u64; 2]>,
    },
    /// Repeats `commands` until every thermo keyword in `until` is below
    /// `below` in absolute value (checked after each pass) or `max_times`
    /// passes. Commands may use LAMMPS immediate expressions `$(...)`, which are
    /// evaluated anew on each pass. LAMMPS cannot `jump` in library input, hence this.
    Repeat {
        /// Commands of one pass.
        commands: Vec<String>,
        /// Pass limit.
        max_times: usize,
        /// Thermo keywords to test (must be current after the last command).
        until: Vec<String>,
        /// Threshold on |value|.
        below: f64,
    },
    /// Marks the `Run` steps that follow as resumable from a LAMMPS restart
    /// file (when the job runs with [`crate::Checkpointing`]). Each of their
    /// chunks starts with a full setup (`run ... pre yes`: atoms wrapped into
    /// the box, neighbor lists rebuilt), so a run resumed at a chunk boundary
    /// repeats the uninterrupted one exactly. A resumed worker runs `setup`,
    /// `read_restart FILE` and `settings`, then continues the run.
    Resumable {
        /// Commands before `read_restart` (`units`, `atom_style`, `atom_modify map`).
        setup: Vec<String>,
        /// Commands after `read_restart` that re-create what a restart file
        /// does not hold: pair style and coefficients, neighbor and thermo
        /// settings, and the fixes with the IDs and styles they had (the
        /// restart file restores their state, e.g. `fix npt`'s thermostat and
        /// barostat variables).
        settings: Vec<String>,
    },
    /// Gathers the configuration and the named per-atom and global quantities.
    Snapshot {
        /// Label returned with it.
        label: String,
        /// Per-atom quantities (`f`, `v`, `c_ID`) and their widths.
        per_atom: Vec<(String, usize)>,
        /// Global compute vectors (`ID`) and their lengths.
        compute_vectors: Vec<(String, usize)>,
        /// Thermo keywords (must be in `thermo_style` and current).
        thermo: Vec<String>,
    },
}

/// A configuration gathered from LAMMPS, atoms ordered by ID.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Label of the step that took it.
    pub label: String,
    /// Timestep.
    pub step: u64,
    /// Box.
    pub cell: BoxInfo,
    /// Per-type masses in amu (type 1 first).
    pub masses: Vec<f64>,
    /// Type of each atom (1-based).
    pub types: Vec<i32>,
    /// Positions, Å.
    pub positions: Vec<[f64; 3]>,
    /// Image flags.
    pub images: Vec<[i32; 3]>,
    /// Requested per-atom quantities, flattened per atom.
    pub per_atom: BTreeMap<String, Vec<f64>>,
    /// Requested global compute vectors.
    pub compute_vectors: BTreeMap<String, Vec<f64>>,
    /// Requested thermo values.
    pub thermo: BTreeMap<String, f64>,
}

/// A message from the worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// LAMMPS is open.
    Hello {
        /// Worker process id (rank 0).
        pid: u32,
        /// LAMMPS version, YYYYMMDD.
        version: i32,
        /// MPI ranks.
        ranks: i32,
        /// Whether LAMMPS was built with exceptions.
        exceptions: bool,
        /// Installed packages.
        packages: Vec<String>,
    },
    /// A step of the job started.
    StepStarted {
        /// Index of the step.
        index: usize,
    },
    /// Progress of a `Run` step.
    Progress {
        /// Label of the run.
        label: String,
        /// Steps done.
        done: u64,
        /// Steps in total.
        total: u64,
        /// Requested thermo values.
        thermo: BTreeMap<String, f64>,
    },
    /// A gathered configuration.
    Snapshot(Box<Snapshot>),
    /// The job continues from a checkpoint (its snapshots were sent again first).
    Resumed {
        /// Index of the job step it continues.
        step: usize,
        /// Timestep of the restart file read.
        timestep: u64,
    },
    /// A checkpoint was written (LAMMPS restart file and `checkpoint.json`).
    Checkpointed {
        /// Timestep of the restart file.
        timestep: u64,
        /// Whether the worker stops there (asked to by SIGUSR1).
        stopping: bool,
    },
    /// The job finished.
    Done,
}

/// `checkpoint.json` in a job's checkpoint folder: where a resumed worker
/// continues. Written by the worker's rank 0 after the restart file it names,
/// through a temporary file and a rename, so it always names a complete one.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`job_digest`] of the job it belongs to.
    pub job: String,
    /// Index of the `Run` step to continue.
    pub step: usize,
    /// MD steps of that run already done.
    pub done: u64,
    /// Timesteps `[start, stop]` its ramping fixes see as the whole run.
    pub span: [u64; 2],
    /// LAMMPS timestep of the restart file.
    pub timestep: u64,
    /// The restart file, a name in the checkpoint folder; None once the job finished.
    pub restart_file: Option<String>,
    /// Snapshots taken before the checkpoint, in order, each as the JSON
    /// text of its [`Event::Snapshot`] line: sent again verbatim, they read
    /// back to the very numbers (a second decimal round trip could move a
    /// float by one unit in the last place).
    pub snapshots: Vec<String>,
}

/// FNV-1a (64 bits, hex) of a job's JSON text: names the job a checkpoint
/// belongs to, so that a checkpoint is never continued by another job even
/// if two jobs shared a checkpoint folder. Not a cryptographic hash.
pub fn job_digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
