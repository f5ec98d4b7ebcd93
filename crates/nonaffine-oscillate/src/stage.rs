//! The `oscillate` workflow stage.
//!
//! Inputs: upstream `quench` stages (every capture, or those of
//! `capture_temperatures_k`) or `structure_file`; structure names follow
//! [`nonaffine_quench::outputs::named_structures`], like the hessian stage's
//! subfolders. One LAMMPS run per (structure, component, frequency).
//!
//! Outputs: `oscillate.csv` ([`crate::table`]), `structures/<name>.data`,
//! `scripts/<point>.in` (the LAMMPS input of every point, for plain `lmp -in`
//! run from the stage folder), `lammps/<point>/` (worker folder: log and
//! `stress.txt`), `oscillate.svg`/`.png` (C′, C″ vs frequency, log axes, error
//! bars), `summary.json`.

use crate::protocol::{Drive, Plan, PARAMS};
use crate::run::{measure, point_job, Fit, RECORD_FILE};
use crate::table::{write_oscillate_csv, MeasuredPoint};
use nonaffine_core::{
    InputSpec, InputsError, Params, PluginInfo, Registry, Stage, StageContext, StageError, Summary,
};
use nonaffine_quench::outputs::{check_structure_inputs, named_structures, STRUCTURE_INPUTS};

use std::path::Path;

/// Stage description.
pub const INFO: PluginInfo = PluginInfo {
    name: "oscillate",
    version: "1",
    doc: "Mechanical spectroscopy by MD: C*(ω) = C′ + iC″ (GPa) of each structure, one strain \
          component and frequency at a time, from a sinusoidal `fix deform … wiggle … remap x \
          units box` in LAMMPS with a Langevin (friction only at T = 0), Nosé–Hoover or no \
          thermostat; warm-up of whole periods, stress fitted on sin, cos and a constant over \
          whole measured cycles with the one-step lag of LAMMPS' pressure. At T > 0 the glass \
          is first brought to zero mean stress (NPT) and driven at the mean cell. Writes \
          oscillate.csv, the LAMMPS input of every point, summary.json.",
    params: PARAMS,
};

/// The `oscillate` stage.
pub struct OscillateStage;

fn point_name(structure: &str, d: &Drive, amplitude_tag: &str) -> String {
    format!(
        "{structure}_{}_{}THz{amplitude_tag}",
        d.component, d.frequency_thz
    )
}

fn row(structure: &str, d: &Drive, fit: &Fit) -> MeasuredPoint {
    MeasuredPoint {
        structure: structure.to_string(),
        component: d.component,
        frequency_thz: d.frequency_thz,
        omega_rad_per_ps: d.omega_rad_per_ps(),
        storage_gpa: fit.storage_gpa,
        loss_gpa: fit.loss_gpa,
        storage_err_gpa: fit.errors_gpa.map(|e| e.0),
        loss_err_gpa: fit.errors_gpa.map(|e| e.1),
        temperature_k: d.temperature_k,
        thermostat: d.thermostat.kind(),
        damping_time_ps: d.thermostat.damping_time_ps(),
        strain_amplitude: d.strain_amplitude,
        timestep_ps: d.timestep_ps,
        warmup_ps: d.warmup_whole_periods_ps(),
        cycles: d.cycles,
        volume_a3: fit.volume_a3,
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> StageError {
    StageError::Failed(format!("{what}: {e}"))
}

fn write_text(path: &Path, text: &str) -> Result<(), StageError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| StageError::io(d, e))?;
    }
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}

impl Stage for OscillateStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(STRUCTURE_INPUTS)
    }

    fn check_inputs(&self, params: &Params, kinds: &[&str]) -> Result<(), InputsError> {
        check_structure_inputs(INFO.name, params, kinds)
    }

    /// The refusals of [`Plan::from_params`] (frequencies, cycles, thermostat
    /// at T = 0, components), before any MD.
    fn check(&self, params: &Params, _: &Registry) -> Result<(), StageError> {
        Plan::from_params(params)?;
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let plan = Plan::from_params(ctx.params)?;
        let (plugin, pot_params) = ctx.params.plugin("potential")?;
        let potential = ctx.registry.potential(&plugin, &pot_params)?;
        let file = if ctx.params.contains("structure_file") {
            Some(ctx.params.path_value("structure_file")?)
        } else {
            None
        };
        let quenches: Vec<_> = ctx.inputs_of_kind("quench").collect();
        let mut structures = named_structures(file.as_deref(), &quenches)
            .map_err(|e| StageError::Failed(e.to_string()))?;
        if let Some(keep) = &plan.capture_temperatures_k {
            structures.retain(|s| {
                s.capture
                    .as_ref()
                    .is_none_or(|c| keep.iter().any(|t| (t - c.temperature_k).abs() < 1e-9))
            });
            if structures.is_empty() {
                return Err(StageError::Failed(format!(
                    "{}: no capture at these temperatures",
                    ctx.params.path("capture_temperatures_k")
                )));
            }
        }
        let amplitudes: Vec<(Option<f64>, &str)> = match plan.check_linearity_amplitude {
            Some(a) => vec![(None, ""), (Some(a), "_linearity")],
            None => vec![(None, "")],
        };
        let commands = potential.lammps_commands();
        let out = ctx.out_dir;
        let per_point: Vec<u64> = plan
            .drives
            .iter()
            .map(|d| d.warmup_steps() + d.measured_steps())
            .collect();
        let total = per_point.iter().sum::<u64>() * (structures.len() * amplitudes.len()) as u64;
        ctx.progress.set_total(total);
        let mut base = 0u64;
        let mut rows = Vec::new();
        let mut linearity: Vec<(String, f64)> = Vec::new();
        let mut points_json = Vec::new();
        for s in &structures {
            let structure = nonaffine_io::read_structure(&s.path, Some(potential.elements()))
                .map_err(|e| failed(&s.name, e))?;
            let data = out.join("structures").join(format!("{}.data", s.name));
            std::fs::create_dir_all(out.join("structures"))
                .map_err(|e| StageError::io(out.join("structures"), e))?;
            nonaffine_io::write_lammps_data(
                &data,
                &structure.to_restricted(),
                &format!("nonaffine oscillate: {}", s.name),
            )
            .map_err(|e| failed(&s.name, e))?;
            for (d0, steps) in plan.drives.iter().zip(&per_point) {
                let mut first: Option<Fit> = None;
                for (amp, tag) in &amplitudes {
                    let mut d = d0.clone();
                    if let Some(a) = amp {
                        d.strain_amplitude = *a;
                    }
                    let name = point_name(&s.name, &d, tag);
                    ctx.progress.message(&name);
                    let script = point_job(
                        &d,
                        &format!("structures/{}.data", s.name),
                        &commands,
                        &format!("{name}.{RECORD_FILE}"),
                    )
                    .to_input_script()
                    .unwrap_or_default();
                    write_text(&out.join("scripts").join(format!("{name}.in")), &script)?;
                    let fit = measure(
                        &d,
                        &data,
                        &commands,
                        &out.join("lammps").join(&name),
                        &mut |done, _| ctx.progress.set_position(base + done),
                    )
                    .map_err(|e| failed(&name, e))?;
                    base += steps;
                    ctx.progress.set_position(base);
                    points_json.push(serde_json::json!({
                        "point": name,
                        "structure": s.name,
                        "component": d.component.as_str(),
                        "frequency_thz": d.frequency_thz,
                        "strain_amplitude": d.strain_amplitude,
                        "fitted_strain_amplitude": fit.strain_amplitude,
                        "storage_gpa": fit.storage_gpa,
                        "loss_gpa": fit.loss_gpa,
                        "warmup_steps": d.warmup_steps(),
                        "measured_steps": d.measured_steps(),
                    }));
                    match &first {
                        None => {
                            rows.push(row(&s.name, &d, &fit));
                            first = Some(fit);
                        }
                        Some(f) => {
                            let (a, b) =
                                ((f.storage_gpa, f.loss_gpa), (fit.storage_gpa, fit.loss_gpa));
                            let rel = (a.0 - b.0).hypot(a.1 - b.1) / a.0.hypot(a.1);
                            linearity.push((point_name(&s.name, &d, ""), rel));
                        }
                    }
                }
            }
        }
        write_oscillate_csv(&out.join("oscillate.csv"), &rows)
            .map_err(|e| StageError::Failed(e.to_string()))?;
        let plot_warning = crate::plot::write_plots(out, "oscillate", &rows).err();
        let json = serde_json::json!({
            "plot_warning": plot_warning,
            "potential": { "plugin": potential.name(), "elements": potential.elements() },
            "structures": structures.iter().map(|s| serde_json::json!({"name": s.name, "file": s.path})).collect::<Vec<_>>(),
            "points": points_json,
            "linearity_relative_difference": linearity.iter().map(|(n, r)| serde_json::json!({"point": n, "relative_difference": r})).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&json).map_err(|e| failed("summary.json", e))?;
        write_text(&out.join("summary.json"), &(text + "\n"))?;
        Ok(summary(&rows, &linearity))
    }
}

/// The canonical summary: per structure and component, C′ and C″ (GPa,
/// 4 significant digits) per frequency; the largest linearity deviation.
pub fn summary(rows: &[MeasuredPoint], linearity: &[(String, f64)]) -> Summary {
    let mut s = Summary::new();
    s.int("points", rows.len() as i64);
    let mut names: Vec<&str> = rows.iter().map(|r| r.structure.as_str()).collect();
    names.dedup();
    for name in names {
        let mut per = Summary::new();
        for r in rows.iter().filter(|r| r.structure == name) {
            let mut p = Summary::new();
            p.float("storage_gpa", r.storage_gpa, 4)
                .float("loss_gpa", r.loss_gpa, 4)
                .float("volume_a3", r.volume_a3, 6);
            per.nested(&format!("{}_{}THz", r.component, r.frequency_thz), p);
        }
        s.nested(name, per);
    }
    if let Some(worst) = linearity.iter().map(|l| l.1).reduce(f64::max) {
        s.float("linearity_worst_relative_difference", worst, 2);
    }
    s
}
