//! The `kernel` stage (docs/theory.md §5): builds the memory kernel named by
//! `plugin` through the registry and tabulates it, so later stages (response,
//! calibration) and plots read one file whatever the kernel.
//!
//! Outputs, in the kernel's time unit:
//! - `kernel.csv`: `omega,nu1,nu2` with ν̃(ω) = ν1 − iν2 on a log grid (ω in rad/time,
//!   ν1, ν2 in 1/time);
//! - `kernel_time.csv`: `t,nu` with ν(t) in 1/time² at t = 1/ω of the same grid;
//! - `kernel.json`: [`outputs::KernelOutput`], the plugin, its parameters and
//!   the parameters a calibration may vary with their start values.

pub mod outputs;

use nonaffine_core::{
    InputSpec, ParamKind, ParamSpec, Params, PluginInfo, Registry, Stage, StageContext, StageError,
    Summary,
};
use nonaffine_numerics::log_grid;
use std::fmt::Write as _;

/// Registry entry of the stage.
pub const INFO: PluginInfo = PluginInfo {
    name: "kernel",
    version: "2",
    doc: "Builds the memory kernel named by `plugin` (every other parameter goes to the plugin) \
          and writes kernel.csv (omega, nu1, nu2 with nu~ = nu1 - i nu2) and kernel_time.csv \
          (t, nu) on a log grid, and kernel.json (plugin, parameters, and the parameters a \
          calibration varies with their start values).",
    params: PARAMS,
};

/// The stage's own keys; every other key is passed to the kernel plugin.
const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "plugin", kind: ParamKind::Text, unit: "", default: None, doc: "kernel plugin name, one of `nonaffine plugins`' kernels (its parameters sit beside this key)" },
    ParamSpec { name: "omega_min", kind: ParamKind::Number, unit: "rad/time", default: Some("1e-10"), doc: "lowest angular frequency of the table, in rad per the kernel's time unit" },
    ParamSpec { name: "omega_max", kind: ParamKind::Number, unit: "rad/time", default: Some("1"), doc: "highest angular frequency of the table, in rad per the kernel's time unit" },
    ParamSpec { name: "points", kind: ParamKind::Integer, unit: "", default: Some("101"), doc: "number of log-spaced frequencies (>= 2)" },
];

/// The `kernel` stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelStage;

/// The stage's parameters, read and checked.
struct Settings<'p> {
    plugin: &'p str,
    /// Lowest angular frequency of the table, rad per the kernel's time unit.
    omega_min: f64,
    /// Highest angular frequency of the table, rad per the kernel's time unit.
    omega_max: f64,
    points: usize,
    /// The plugin's own keys, under the stage's key path for messages.
    kernel_params: Params,
}

impl<'p> Settings<'p> {
    fn read(p: &'p Params) -> Result<Self, StageError> {
        let plugin = p.text("plugin")?;
        let omega_min = p.positive_or("omega_min", 1e-10)?;
        let omega_max = p.positive_or("omega_max", 1.0)?;
        let points = p.count_or("points", 101)? as usize;
        if points < 2 || omega_max <= omega_min {
            return Err(nonaffine_core::ParamError::new(
                p.path("points"),
                "need points ≥ 2 and omega_max > omega_min",
            )
            .into());
        }
        let own: Vec<&str> = PARAMS.iter().map(|s| s.name).collect();
        let kernel_params = Params::new(
            p.origin(),
            p.values()
                .iter()
                .filter(|(k, _)| !own.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        Ok(Settings {
            plugin,
            omega_min,
            omega_max,
            points,
            kernel_params,
        })
    }
}

impl Stage for KernelStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    /// A kernel is given by its parameters: it reads no upstream stage.
    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(&[])
    }

    /// The table's grid and the kernel built by its plugin (which refuses
    /// values outside its ranges, e.g. `b` of stretched-exp).
    fn check(&self, params: &Params, registry: &Registry) -> Result<(), StageError> {
        let settings = Settings::read(params)?;
        registry.kernel(settings.plugin, &settings.kernel_params)?;
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let p = ctx.params;
        let Settings {
            plugin,
            omega_min,
            omega_max,
            points,
            kernel_params,
        } = Settings::read(p)?;
        let kernel = ctx.registry.kernel(plugin, &kernel_params)?;
        let (info, _) = ctx.registry.kernels.get(plugin)?;

        let grid = log_grid(omega_min, omega_max, points);
        let mut freq = String::from("omega,nu1,nu2\n");
        let mut time = String::from("t,nu\n");
        for &w in &grid {
            let z = kernel.nu_freq(w);
            let _ = writeln!(freq, "{w:.10e},{:.12e},{:.12e}", z.re, -z.im);
        }
        for &w in grid.iter().rev() {
            let t = 1.0 / w;
            let _ = writeln!(time, "{t:.10e},{:.12e}", kernel.nu_time(t));
        }
        for (name, text) in [("kernel.csv", &freq), ("kernel_time.csv", &time)] {
            let path = ctx.out_dir.join(name);
            std::fs::write(&path, text).map_err(|e| StageError::io(&path, e))?;
        }
        outputs::KernelOutput {
            format: outputs::FORMAT,
            plugin: plugin.to_string(),
            plugin_version: info.version.to_string(),
            params: kernel_params.values().clone(),
            fit: kernel.fit_parameters(),
            memory_time: kernel.memory_time(),
            table: "kernel.csv".into(),
            time_table: "kernel_time.csv".into(),
        }
        .write(ctx.out_dir)?;

        let mut summary = Summary::new();
        summary
            .text("plugin", kernel.name())
            .int("points", points as i64);
        if let Some(tau) = kernel.memory_time() {
            summary.float("memory_time", tau, 6);
        }
        let mut params = Summary::new();
        for (name, value, _unit) in kernel.parameters() {
            params.float(&name, value, 6);
        }
        summary.nested("parameters", params);
        let middle = (omega_min * omega_max).sqrt();
        let mut samples = Summary::new();
        for (label, w) in [
            ("omega_min", omega_min),
            ("omega_mid", middle),
            ("omega_max", omega_max),
        ] {
            let z = kernel.nu_freq(w);
            let mut s = Summary::new();
            s.float("omega", w, 6)
                .float("nu1", z.re, 6)
                .float("nu2", -z.im, 6);
            samples.nested(label, s);
        }
        summary.nested("nu_freq", samples);
        Ok(summary)
    }
}
