//! Runs the quench in LAMMPS workers: one MD job per sample (melt, cool,
//! capture), then one minimization job per sample for its captures.

use crate::protocol::QuenchProtocol;
use nonaffine_core::{CoreError, Potential, Progress, Structure};
use nonaffine_lammps::{
    atoms_spec, preamble, run_job, structure_of, Checkpointing, Event, Job, LammpsError, Step,
    WorkerConfig,
};
use serde::Serialize;
use std::time::Instant;
use thiserror::Error;

/// Why a quench failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum QuenchError {
    /// LAMMPS failed.
    #[error(transparent)]
    Lammps(#[from] LammpsError),
    /// LAMMPS returned an inconsistent structure.
    #[error("structure from LAMMPS is invalid: {0}")]
    Structure(#[from] CoreError),
    /// The potential cannot drive LAMMPS.
    #[error("{0}")]
    Potential(String),
}

/// Metadata of one minimized configuration. Units in every name.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureMeta {
    /// Capture temperature in K.
    pub temperature_k: f64,
    /// Sample index (0-based).
    pub sample: usize,
    /// Seed of the sample.
    pub seed: u64,
    /// Potential energy per atom of the inherent structure, eV.
    pub energy_ev_per_atom: f64,
    /// Volume per atom, Å³.
    pub volume_a3_per_atom: f64,
    /// Mass density, g/cm³.
    pub density_g_per_cm3: f64,
    /// Residual stress σ = −P (LAMMPS pressure tensor, virial only), bar, Voigt order
    /// xx, yy, zz, yz, xz, xy; tension positive.
    pub stress_bar: [f64; 6],
    /// Largest force component after minimization, eV/Å.
    pub max_force_ev_per_a: f64,
    /// MD steps run for this sample up to the capture.
    pub md_steps: u64,
    /// Wall time of the sample's MD and minimization, s.
    pub wall_time_s: f64,
}

/// One captured and minimized configuration.
#[derive(Clone, Debug)]
pub struct Capture {
    /// The inherent structure (minimized, energy and box).
    pub structure: Structure,
    /// The configuration as captured at temperature, before minimization.
    pub at_temperature: Structure,
    /// Its metadata.
    pub meta: CaptureMeta,
}

/// The result of a quench.
#[derive(Clone, Debug)]
pub struct QuenchRun {
    /// LAMMPS version (YYYYMMDD).
    pub lammps_version: i32,
    /// Captures, by sample then by descending temperature.
    pub captures: Vec<Capture>,
}

const THERMO_MD: &str = "thermo_style custom step temp pe press vol";
const THERMO_MIN: &str =
    "thermo_style custom step pe press vol pxx pyy pzz pyz pxz pxy fmax fnorm ly lz";

fn label(t_k: f64) -> String {
    format!("{t_k}")
}

/// The MD job of one sample: random liquid, melt, linear cooling with a
/// snapshot at each capture temperature (NPT, zero pressure). Melt and
/// cooling are [`Step::Resumable`]: each chunk of `progress_every_steps`
/// starts with a full setup, and with checkpointing the job continues from
/// a LAMMPS restart file exactly as it would have run on.
pub fn md_job(p: &QuenchProtocol, potential: &dyn Potential, sample: usize) -> Job {
    let seed = p.sample_seed(sample);
    let side = (p.n_atoms as f64 * p.initial_volume_per_atom_a3).cbrt();
    let counts = p.counts();
    let masses = potential.masses_amu();
    let mut setup = preamble();
    setup.push(format!(
        "region nonaffine_box block 0 {side} 0 {side} 0 {side} units box"
    ));
    setup.push(format!("create_box {} nonaffine_box", counts.len()));
    setup.push(format!(
        "create_atoms 1 random {} {seed} nonaffine_box",
        p.n_atoms
    ));
    for (t, n) in counts.iter().enumerate().skip(1) {
        if *n > 0 {
            setup.push(format!(
                "set type 1 type/subset {} {n} {}",
                t + 1,
                seed + 7919 * t as u64
            ));
        }
    }
    for (t, m) in masses.iter().enumerate() {
        setup.push(format!("mass {} {m}", t + 1));
    }
    let (tm, dt) = (p.melt_temperature_k, p.timestep_ps);
    let tlow = p.capture_temperatures_k.last().copied().unwrap_or(tm);
    // What a LAMMPS restart file does not hold, in force during the MD.
    let mut settings = potential.lammps_commands();
    settings.extend([
        "neighbor 1.0 bin".to_string(),
        "neigh_modify every 1 delay 0 check yes".to_string(),
        THERMO_MD.to_string(),
        format!("thermo {}", p.progress_every_steps),
    ]);
    // The box dilates about a fixed point, by default the box centre when
    // the fix is defined; a fix re-defined after a restart would take the
    // centre of the dilated box, equal only up to round-off, and the runs
    // would part. So the point is given: the centre of the initial box.
    let centre = side / 2.0;
    let npt = |from: f64, to: f64| {
        format!(
            "fix nonaffine_npt all npt temp {from} {to} {} iso 0.0 0.0 {} fixedpoint {centre} {centre} {centre}",
            p.tdamp_ps, p.pdamp_ps
        )
    };
    let resumable = |fix: String| {
        let mut settings = settings.clone();
        settings.push(fix);
        Step::Resumable {
            setup: preamble(),
            settings,
        }
    };
    setup.extend(settings.iter().cloned());
    setup.extend([
        format!("timestep {dt}"),
        // Random placement overlaps atoms: relax them before dynamics.
        "min_modify dmax 0.2".to_string(),
        "minimize 1e-6 1e-6 2000 20000".to_string(),
        "reset_timestep 0".to_string(),
        format!(
            "velocity all create {tm} {} dist gaussian mom yes rot no",
            seed + 104_729
        ),
        npt(tm, tm),
    ]);
    let thermo = vec![
        "temp".to_string(),
        "press".to_string(),
        "pe".to_string(),
        "vol".to_string(),
    ];
    let mut steps = vec![Step::Commands(setup), resumable(npt(tm, tm))];
    let melt = p.melt_steps();
    if melt > 0 {
        steps.push(Step::Run {
            label: "melt".into(),
            steps: melt,
            chunk: p.progress_every_steps,
            thermo: thermo.clone(),
            span: None,
        });
    }
    steps.push(Step::Commands(vec![
        "unfix nonaffine_npt".into(),
        npt(tm, tlow),
    ]));
    steps.push(resumable(npt(tm, tlow)));
    let total = p.cooling_steps();
    let mut done = 0;
    for &t in &p.capture_temperatures_k {
        let at = p.cooling_step_at(t);
        if at > done {
            steps.push(Step::Run {
                label: "cool".into(),
                steps: at - done,
                chunk: p.progress_every_steps,
                thermo: thermo.clone(),
                span: Some([melt, melt + total]),
            });
            done = at;
        }
        steps.push(Step::Snapshot {
            label: label(t),
            per_atom: vec![],
            compute_vectors: vec![],
            thermo: vec![],
        });
    }
    Job { steps }
}

/// The minimization job for captured structures: the atoms are minimized at
/// fixed box, then the box is corrected by the strain that the residual
/// stress implies through isotropic estimates of the moduli
/// (ε = S·P, all six components, atoms carried affinely) and the atoms are
/// minimized again, until every stress component is below the tolerance.
/// A quasi-Newton iteration on the box: it converges to the same inherent
/// structure at zero stress whatever the estimates, which only set its speed.
pub fn min_job(
    p: &QuenchProtocol,
    potential: &dyn Potential,
    captures: &[(f64, Structure)],
) -> Result<Job, QuenchError> {
    let mut steps = Vec::new();
    let tol = p.force_tolerance_ev_per_a;
    let (it, ev) = (p.max_iterations, 10 * p.max_iterations);
    // The quadratic line search converges fastest, but stalls (alpha → 0)
    // where the energy is not smooth enough for it, e.g. where a pair crosses
    // a cutoff, or at round-off near 1e-10 eV/Å; `forcezero` uses forces
    // only and finishes the job (exits at once when already converged).
    let min = format!("minimize 0.0 {tol} {it} {ev}");
    let minimize = [
        "min_modify line quadratic".to_string(),
        min.clone(),
        "min_modify line forcezero".to_string(),
        min,
    ];
    // Moduli in bar (the unit of LAMMPS pressure in metal units).
    let (b, g) = (
        p.relax_bulk_modulus_gpa * 1e4,
        p.relax_shear_modulus_gpa * 1e4,
    );
    let scale =
        |a: &str, c: &str, d: &str| format!("$(1+(pxx+pyy+pzz)/(9*{b})+(2*{a}-{c}-{d})/(6*{g}))");
    let correct_box = format!(
        "change_box all x scale {} y scale {} z scale {} xy delta $(pxy/{g}*ly) xz delta $(pxz/{g}*lz) yz delta $(pyz/{g}*lz) remap units box",
        scale("pxx", "pyy", "pzz"),
        scale("pyy", "pxx", "pzz"),
        scale("pzz", "pxx", "pyy"),
    );
    for (t, s) in captures {
        let mut cmds = vec!["clear".to_string()];
        cmds.extend(preamble());
        steps.push(Step::Commands(cmds));
        let mut zeroed = s.clone();
        zeroed.images.iter_mut().for_each(|im| *im = [0; 3]);
        let spec = atoms_spec(&zeroed.to_restricted())
            .ok_or_else(|| QuenchError::Potential("captured cell is not a LAMMPS box".into()))?;
        steps.push(Step::CreateAtoms(spec));
        let mut cmds = potential.lammps_commands();
        cmds.extend([
            "neighbor 1.0 bin".to_string(),
            "neigh_modify every 1 delay 0 check yes".to_string(),
            "change_box all triclinic".to_string(),
            THERMO_MIN.to_string(),
            format!("thermo {ev}"),
        ]);
        cmds.extend(minimize.iter().cloned());
        steps.push(Step::Commands(cmds));
        let mut repeat = vec![correct_box.clone()];
        repeat.extend(minimize.iter().cloned());
        steps.push(Step::Repeat {
            commands: repeat,
            max_times: p.max_relax_iterations,
            until: ["pxx", "pyy", "pzz", "pyz", "pxz", "pxy"]
                .map(String::from)
                .to_vec(),
            below: p.stress_tolerance_bar,
        });
        steps.push(Step::Commands(vec!["run 0".to_string()]));
        let thermo = [
            "pe", "vol", "pxx", "pyy", "pzz", "pyz", "pxz", "pxy", "fmax",
        ]
        .map(String::from)
        .to_vec();
        steps.push(Step::Snapshot {
            label: label(*t),
            per_atom: vec![],
            compute_vectors: vec![],
            thermo,
        });
    }
    Ok(Job { steps })
}

/// Runs every sample of the protocol. With `config.checkpoint`, each
/// sample's MD writes checkpoints into `sample<k>/` of its folder every
/// `restart_interval_ps` (its `every_steps` is ignored) and continues from
/// them when run again (a finished sample's MD is not run again; its
/// minimizations are, being deterministic and short).
pub fn quench(
    p: &QuenchProtocol,
    potential: &dyn Potential,
    config: &WorkerConfig,
    progress: &dyn Progress,
) -> Result<QuenchRun, QuenchError> {
    let names: Vec<String> = potential.elements().to_vec();
    let per_sample = p.melt_steps() + p.cooling_steps();
    progress.set_total(per_sample * p.samples as u64);
    let mut run = QuenchRun {
        lammps_version: 0,
        captures: Vec::new(),
    };
    for sample in 0..p.samples {
        let start = Instant::now();
        let base = per_sample * sample as u64;
        let melt = p.melt_steps();
        // Steps of the finished `Run` steps of this sample (cooling is cut at captures).
        let mut offset = 0;
        let mut on_event = |ev: &Event| {
            if let Event::Progress {
                label,
                done,
                total,
                thermo,
            } = ev
            {
                let t = thermo.get("temp").copied().unwrap_or(f64::NAN);
                let pr = thermo.get("press").copied().unwrap_or(f64::NAN);
                progress.message(&format!(
                    "sample {}/{}: {label}, T = {t:.0} K, P = {pr:.0} bar",
                    sample + 1,
                    p.samples
                ));
                progress.set_position(base + (offset + done).min(per_sample));
                if done == total {
                    offset += total;
                }
            }
            if let Event::Resumed { timestep, .. } = ev {
                progress.message(&format!(
                    "sample {}/{}: continuing from the restart file of MD step {timestep}",
                    sample + 1,
                    p.samples
                ));
            }
        };
        let job = md_job(p, potential, sample);
        let mut md_config = worker_config(config, p);
        md_config.checkpoint = config.checkpoint.as_ref().map(|c| Checkpointing {
            dir: c.dir.join(format!("sample{sample}")),
            every_steps: p.restart_interval_steps(),
        });
        let md = run_job(&md_config, &job, &mut on_event)?;
        run.lammps_version = md.version;
        let mut captured = Vec::new();
        for &t in &p.capture_temperatures_k {
            let snap = md.snapshot(&label(t))?;
            captured.push((t, structure_of(snap, &names)?));
        }
        progress.message(&format!(
            "sample {}/{}: minimizing {} captures",
            sample + 1,
            p.samples,
            captured.len()
        ));
        let min = run_job(
            &worker_config(config, p),
            &min_job(p, potential, &captured)?,
            &mut |_| {},
        )?;
        let wall = start.elapsed().as_secs_f64();
        for (t, at_temperature) in captured {
            let snap = min.snapshot(&label(t))?;
            let structure = structure_of(snap, &names)?;
            let th = |k: &str| snap.thermo.get(k).copied().unwrap_or(f64::NAN);
            let n = structure.len() as f64;
            let meta = CaptureMeta {
                temperature_k: t,
                sample,
                seed: p.sample_seed(sample),
                energy_ev_per_atom: th("pe") / n,
                volume_a3_per_atom: structure.cell.volume() / n,
                density_g_per_cm3: structure.density_g_per_cm3(),
                stress_bar: [
                    -th("pxx"),
                    -th("pyy"),
                    -th("pzz"),
                    -th("pyz"),
                    -th("pxz"),
                    -th("pxy"),
                ],
                max_force_ev_per_a: th("fmax"),
                md_steps: melt + p.cooling_step_at(t),
                wall_time_s: wall,
            };
            run.captures.push(Capture {
                structure,
                at_temperature,
                meta,
            });
        }
        progress.set_position(base + per_sample);
    }
    Ok(run)
}

/// The worker configuration of a job: `base` with the protocol's MPI ranks,
/// without checkpoints.
fn worker_config(base: &WorkerConfig, p: &QuenchProtocol) -> WorkerConfig {
    let mut c = base.clone();
    c.checkpoint = None;
    if p.mpi_ranks > 1 {
        c.mpi_ranks = Some(p.mpi_ranks);
    }
    c
}
