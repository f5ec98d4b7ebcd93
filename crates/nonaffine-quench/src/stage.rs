//! The `quench` workflow stage: protocol from parameters, LAMMPS run, files.

use crate::protocol::{QuenchProtocol, PARAMS};
use crate::run::{quench, Capture, QuenchRun};
use nonaffine_core::{
    InputSpec, Params, PluginInfo, Potential, Registry, Stage, StageContext, StageError, Summary,
    CHECKPOINT_DIR_ENV,
};
use nonaffine_io::{write_extxyz, write_lammps_data, Frame, InfoValue};
use nonaffine_lammps::{Checkpointing, WorkerConfig};
use std::collections::BTreeMap;
use std::path::Path;

/// The `quench` stage.
pub struct QuenchStage;

/// Stage description.
pub const INFO: PluginInfo = PluginInfo {
    name: "quench",
    version: "3",
    doc: "Melts a random alloy at zero pressure (NPT), cools it linearly, captures configurations at the requested temperatures and minimizes each to its inherent structure (box and atoms, all six stress components) with LAMMPS. Writes LAMMPS data and extxyz files per (temperature, sample) and summary.json.",
    params: PARAMS,
};

impl Stage for QuenchStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let (plugin, pot_params) = ctx.params.plugin("potential")?;
        let potential = ctx.registry.potential(&plugin, &pot_params)?;
        let protocol = QuenchProtocol::from_params(ctx.params, potential.elements())?;
        let config = WorkerConfig {
            workdir: Some(ctx.out_dir.join("lammps")),
            checkpoint: std::env::var_os(CHECKPOINT_DIR_ENV).map(|dir| Checkpointing {
                dir: dir.into(),
                every_steps: 0,
            }),
            ..Default::default()
        };
        let run = quench(&protocol, potential.as_ref(), &config, ctx.progress)
            .map_err(|e| StageError::Failed(format!("quench: {e}")))?;
        write_outputs(ctx.out_dir, &protocol, potential.as_ref(), &run)
    }

    /// The protocol checks of [`QuenchProtocol::from_params`] (zero-step
    /// phases, timestep bound) with the elements as written, without
    /// building the potential.
    fn check(&self, params: &Params, _: &Registry) -> Result<(), StageError> {
        let (_, potential) = params.plugin("potential")?;
        QuenchProtocol::from_params(params, &potential.texts("elements")?)?;
        Ok(())
    }

    /// How often restart files are written does not change the glasses.
    fn unkeyed_params(&self) -> &'static [&'static str] {
        &["restart_interval_ps"]
    }

    /// A quench starts from a random alloy: it reads no upstream stage.
    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(&[])
    }
}

/// File stem of a capture: `glass_T670K_s0`.
pub fn stem(c: &Capture) -> String {
    format!("glass_T{}K_s{}", c.meta.temperature_k, c.meta.sample)
}

/// Writes structures, `summary.json` and `provenance.json`; returns the canonical summary.
pub fn write_outputs(
    dir: &Path,
    protocol: &QuenchProtocol,
    potential: &dyn Potential,
    run: &QuenchRun,
) -> Result<Summary, StageError> {
    std::fs::create_dir_all(dir).map_err(|e| StageError::io(dir, e))?;
    let io = |e: nonaffine_io::IoError| StageError::Failed(e.to_string());
    let mut entries = Vec::new();
    for c in &run.captures {
        let stem = stem(c);
        let title = format!(
            "nonaffine quench: {} atoms, T = {} K, sample {}, seed {}, minimized",
            c.structure.len(),
            c.meta.temperature_k,
            c.meta.sample,
            c.meta.seed
        );
        write_lammps_data(&dir.join(format!("{stem}.data")), &c.structure, &title).map_err(io)?;
        let mut frame = Frame::new(c.structure.clone());
        let info = &mut frame.info;
        info.insert(
            "energy".into(),
            InfoValue::Float(c.meta.energy_ev_per_atom * c.structure.len() as f64),
        );
        info.insert(
            "capture_temperature_k".into(),
            InfoValue::Float(c.meta.temperature_k),
        );
        info.insert("sample".into(), InfoValue::Int(c.meta.sample as i64));
        info.insert("seed".into(), InfoValue::Int(c.meta.seed as i64));
        info.insert(
            "max_force_ev_per_a".into(),
            InfoValue::Float(c.meta.max_force_ev_per_a),
        );
        info.insert(
            "stress_bar_voigt".into(),
            InfoValue::Floats(c.meta.stress_bar.to_vec()),
        );
        write_extxyz(&dir.join(format!("{stem}.extxyz")), &[frame]).map_err(io)?;
        let mut hot = Frame::new(c.at_temperature.clone());
        hot.info.insert(
            "temperature_k".into(),
            InfoValue::Float(c.meta.temperature_k),
        );
        write_extxyz(&dir.join(format!("{stem}_at_temperature.extxyz")), &[hot]).map_err(io)?;
        entries.push(serde_json::json!({
            "data_file": format!("{stem}.data"),
            "extxyz_file": format!("{stem}.extxyz"),
            "meta": c.meta,
        }));
    }
    // The MD of each sample as a plain LAMMPS script, to rerun it without nonaffine.
    for sample in 0..protocol.samples {
        if let Some(script) = crate::run::md_job(protocol, potential, sample).to_input_script() {
            let path = dir.join(format!("md_sample{sample}.in"));
            std::fs::write(&path, script).map_err(|e| StageError::io(&path, e))?;
        }
    }
    let provenance = potential.provenance();
    let json = serde_json::json!({
        "protocol": protocol,
        "potential": { "plugin": potential.name(), "elements": potential.elements(), "provenance": provenance },
        "lammps_version": run.lammps_version,
        "captures": entries,
    });
    write_json(&dir.join("summary.json"), &json)?;
    write_json(
        &dir.join("provenance.json"),
        &serde_json::json!({ "lammps_version": run.lammps_version, "potential": provenance }),
    )?;
    Ok(summary(protocol, run))
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), StageError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| StageError::Failed(e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|e| StageError::io(path, e))
}

/// The canonical summary: per capture temperature, sample means of the
/// inherent-structure energy, volume and density, and whether every
/// minimization reached the force and the stress tolerance.
pub fn summary(protocol: &QuenchProtocol, run: &QuenchRun) -> Summary {
    let mut s = Summary::new();
    s.int("n_atoms", protocol.n_atoms as i64)
        .int("samples", protocol.samples as i64);
    let mut by_t: BTreeMap<String, Vec<&Capture>> = BTreeMap::new();
    for c in &run.captures {
        by_t.entry(format!("T{}K", c.meta.temperature_k))
            .or_default()
            .push(c);
    }
    for (key, caps) in by_t {
        let n = caps.len() as f64;
        let mean = |f: &dyn Fn(&Capture) -> f64| caps.iter().map(|c| f(c)).sum::<f64>() / n;
        let mut t = Summary::new();
        t.float(
            "energy_ev_per_atom",
            mean(&|c| c.meta.energy_ev_per_atom),
            6,
        )
        .float(
            "volume_a3_per_atom",
            mean(&|c| c.meta.volume_a3_per_atom),
            5,
        )
        .float("density_g_per_cm3", mean(&|c| c.meta.density_g_per_cm3), 4)
        .text(
            "force_tolerance_reached",
            if caps
                .iter()
                .all(|c| c.meta.max_force_ev_per_a <= protocol.force_tolerance_ev_per_a)
            {
                "yes"
            } else {
                "no"
            },
        )
        .text(
            "stress_tolerance_reached",
            if caps.iter().all(|c| {
                c.meta
                    .stress_bar
                    .iter()
                    .all(|x| x.abs() <= protocol.stress_tolerance_bar)
            }) {
                "yes"
            } else {
                "no"
            },
        );
        s.nested(&key, t);
    }
    s
}
