//! The drive of one measured point and the stage parameters that set it,
//! checked when parsed (before any MD).

use crate::table::{Component, ThermostatKind};
use nonaffine_core::{ParamError, ParamKind, ParamSpec, ParamValue, Params, PluginKind};

/// The thermostat of the drive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Thermostat {
    /// `fix nve` + `fix langevin T T τ_d seed`: friction −(m/τ_d)v on the
    /// nonaffine velocities (no noise at T = 0).
    Langevin {
        /// Damping time τ_d, ps.
        damping_time_ps: f64,
    },
    /// `fix nvt temp T T τ_d` (Nosé–Hoover chain).
    NoseHoover {
        /// Damping time τ_d, ps.
        damping_time_ps: f64,
    },
    /// `fix nve` alone.
    None,
}

impl Thermostat {
    /// Its kind (the `thermostat` column).
    pub fn kind(&self) -> ThermostatKind {
        match self {
            Thermostat::Langevin { .. } => ThermostatKind::Langevin,
            Thermostat::NoseHoover { .. } => ThermostatKind::NoseHoover,
            Thermostat::None => ThermostatKind::None,
        }
    }

    /// Damping time τ_d in ps, None for NVE.
    pub fn damping_time_ps(&self) -> Option<f64> {
        match self {
            Thermostat::Langevin { damping_time_ps }
            | Thermostat::NoseHoover { damping_time_ps } => Some(*damping_time_ps),
            Thermostat::None => None,
        }
    }
}

/// Everything that defines one measured point, except the structure.
#[derive(Clone, Debug, PartialEq)]
pub struct Drive {
    /// Driven strain component.
    pub component: Component,
    /// Drive frequency ν, THz (period 1/ν ps).
    pub frequency_thz: f64,
    /// Strain amplitude ε₀ (engineering for shears).
    pub strain_amplitude: f64,
    /// Measured cycles (≥ 2).
    pub cycles: u32,
    /// Warm-up, ps; rounded up to whole periods by [`Drive::warmup_steps`].
    pub warmup_ps: f64,
    /// MD timestep, ps.
    pub timestep_ps: f64,
    /// Temperature, K (0: no noise, zero initial velocities).
    pub temperature_k: f64,
    /// Thermostat of the drive.
    pub thermostat: Thermostat,
    /// Random seed (velocities, Langevin noise).
    pub seed: u64,
    /// true: the deformation gradient is exactly the Voigt strain of
    /// `component` on a tilted cell (xx also wiggles the xy, xz tilts, yy the
    /// yz tilt, xy also the xz tilt); false: wiggle only the box length or
    /// tilt of the component, as a plain `fix deform x wiggle` script does.
    pub pure_strain: bool,
    /// T > 0: NPT at zero stress before averaging the cell, ps.
    pub equilibrate_ps: f64,
    /// T > 0: NPT time over which the mean cell is averaged, ps.
    pub average_cell_ps: f64,
    /// T > 0: NPT thermostat and barostat damping times, ps.
    pub npt_damping_ps: (f64, f64),
}

impl Drive {
    /// Period 1/ν, ps.
    pub fn period_ps(&self) -> f64 {
        1.0 / self.frequency_thz
    }

    /// Angular frequency ω = 2πν, rad/ps.
    pub fn omega_rad_per_ps(&self) -> f64 {
        2.0 * std::f64::consts::PI * self.frequency_thz
    }

    /// Warm-up rounded up to whole periods, ps.
    pub fn warmup_whole_periods_ps(&self) -> f64 {
        let t = self.period_ps();
        (self.warmup_ps / t - 1e-9).ceil().max(0.0) * t
    }

    /// Warm-up steps (whole periods).
    pub fn warmup_steps(&self) -> u64 {
        (self.warmup_whole_periods_ps() / self.timestep_ps).round() as u64
    }

    /// Measured steps (`cycles` periods).
    pub fn measured_steps(&self) -> u64 {
        (self.cycles as f64 * self.period_ps() / self.timestep_ps).round() as u64
    }

    /// Default warm-up: whole periods ≥ max(20 τ_d, 3 periods), ps. The transient of an
    /// underdamped mode decays as exp(−t/(2τ_d)) (docs/theory.md §9), so 20 τ_d leaves
    /// e^−10 ≈ 5e-5 of it; 5 τ_d would leave 8 %, which shows as a 1 % error next to a mode.
    pub fn default_warmup_ps(frequency_thz: f64, thermostat: &Thermostat) -> f64 {
        let t = 1.0 / frequency_thz;
        let need = (20.0 * thermostat.damping_time_ps().unwrap_or(0.0)).max(3.0 * t);
        (need / t - 1e-9).ceil() * t
    }

    /// Default measured cycles: enough for 10 ps, at least 4.
    pub fn default_cycles(frequency_thz: f64) -> u32 {
        ((10.0 * frequency_thz).ceil() as u32).max(4)
    }
}

/// Parameters of the `oscillate` stage.
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "potential", kind: ParamKind::Plugin(PluginKind::Potential), unit: "", default: None, doc: "potential plugin: {plugin: eam/fs, file: ..., elements: [Cu, Zr]}" },
    ParamSpec { name: "structure_file", kind: ParamKind::Path, unit: "", default: Some("(none: upstream quench stages)"), doc: "a LAMMPS data or extxyz structure instead of upstream quench stages" },
    ParamSpec { name: "capture_temperatures_k", kind: ParamKind::NumberList, unit: "K", default: Some("(every capture)"), doc: "only these captures of the upstream quench stages" },
    ParamSpec { name: "component", kind: ParamKind::Text, unit: "", default: Some("(see components)"), doc: "one strain component: xx, yy, zz, yz, xz, xy (engineering shear); sweep it to spread points over jobs" },
    ParamSpec { name: "components", kind: ParamKind::TextList, unit: "", default: Some("[xx, xy]"), doc: "strain components measured one at a time" },
    ParamSpec { name: "frequency_thz", kind: ParamKind::Number, unit: "THz", default: Some("(see frequencies_thz)"), doc: "one drive frequency; sweep it to spread points over jobs" },
    ParamSpec { name: "frequencies_thz", kind: ParamKind::NumberList, unit: "THz", default: Some("7 log-spaced 0.01-10"), doc: "drive frequencies" },
    ParamSpec { name: "temperature_k", kind: ParamKind::Number, unit: "K", default: Some("0"), doc: "temperature of the drive; > 0: NPT to zero mean stress first, then drive at the mean cell" },
    ParamSpec { name: "thermostat", kind: ParamKind::Map, unit: "", default: Some("{kind: langevin, damping_time_ps: 1.0}"), doc: "{kind: langevin|nose-hoover, damping_time_ps: ...} or {kind: none} (NVE); only langevin at T = 0" },
    ParamSpec { name: "strain_amplitude", kind: ParamKind::Number, unit: "", default: Some("1e-5 (T = 0), 1e-3 (T > 0)"), doc: "strain amplitude ε₀ (engineering for shears)" },
    ParamSpec { name: "check_linearity_amplitude", kind: ParamKind::Number, unit: "", default: Some("(none)"), doc: "a second amplitude measured at every point; the relative difference of C* is reported in the summary" },
    ParamSpec { name: "cycles", kind: ParamKind::Integer, unit: "", default: Some("max(4, 10 ps·ν)"), doc: "measured cycles (≥ 2)" },
    ParamSpec { name: "warmup_ps", kind: ParamKind::Number, unit: "ps", default: Some("max(20 τ_d, 3 periods)"), doc: "warm-up before the measured cycles, rounded up to whole periods" },
    ParamSpec { name: "timestep_ps", kind: ParamKind::Number, unit: "ps", default: Some("0.001"), doc: "MD timestep; a period must span ≥ 20 timesteps" },
    ParamSpec { name: "seed", kind: ParamKind::Integer, unit: "", default: Some("12345"), doc: "random seed (velocities, Langevin noise)" },
    ParamSpec { name: "pure_strain", kind: ParamKind::Bool, unit: "", default: Some("true"), doc: "true: exact Voigt strain on a tilted cell (xx also wiggles the xy, xz tilts; yy the yz tilt; xy the xz tilt); false: only the box length or tilt of the component" },
    ParamSpec { name: "equilibrate_ps", kind: ParamKind::Number, unit: "ps", default: Some("20"), doc: "T > 0: NPT at zero stress (all six components) before the cell is averaged" },
    ParamSpec { name: "average_cell_ps", kind: ParamKind::Number, unit: "ps", default: Some("20"), doc: "T > 0: NPT time over which the mean cell is averaged" },
];

/// The parsed stage parameters (every point's drive, potential excepted).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Components, in the order measured.
    pub components: Vec<Component>,
    /// One drive per (component, frequency), component-major.
    pub drives: Vec<Drive>,
    /// A second amplitude per point, when requested.
    pub check_linearity_amplitude: Option<f64>,
    /// Only these capture temperatures, K (None: every capture).
    pub capture_temperatures_k: Option<Vec<f64>>,
}

/// Default frequencies: 7 log-spaced from 0.01 to 10 THz.
pub fn default_frequencies_thz() -> Vec<f64> {
    (0..7).map(|k| 10f64.powf(-2.0 + 0.5 * k as f64)).collect()
}

fn one_or_list(params: &Params, one: &str, list: &str) -> Result<Option<ParamValue>, ParamError> {
    match (params.contains(one), params.contains(list)) {
        (true, true) => Err(ParamError::new(
            params.path(one),
            format!("give `{one}` or `{list}`, not both"),
        )),
        (true, false) => Ok(params.values().get(one).cloned()),
        (false, true) => Ok(params.values().get(list).cloned()),
        (false, false) => Ok(None),
    }
}

fn thermostat(params: &Params, temperature_k: f64) -> Result<Thermostat, ParamError> {
    if !params.contains("thermostat") {
        return Ok(Thermostat::Langevin {
            damping_time_ps: 1.0,
        });
    }
    let t = params.nested("thermostat")?;
    for key in t.values().keys() {
        if key != "kind" && key != "damping_time_ps" {
            return Err(ParamError::new(
                t.path(key),
                "unknown key (known: kind, damping_time_ps)",
            ));
        }
    }
    let damping = || -> Result<f64, ParamError> {
        let d = t.number_or("damping_time_ps", 1.0)?;
        if d > 0.0 {
            Ok(d)
        } else {
            Err(ParamError::new(
                t.path("damping_time_ps"),
                format!("must be > 0 ps, found {d}"),
            ))
        }
    };
    let kind: ThermostatKind = t
        .text("kind")?
        .parse()
        .map_err(|e: String| ParamError::new(t.path("kind"), e))?;
    let th = match kind {
        ThermostatKind::Langevin => Thermostat::Langevin {
            damping_time_ps: damping()?,
        },
        ThermostatKind::NoseHoover => Thermostat::NoseHoover {
            damping_time_ps: damping()?,
        },
        ThermostatKind::None => {
            if t.contains("damping_time_ps") {
                return Err(ParamError::new(
                    t.path("damping_time_ps"),
                    "NVE (kind: none) has no damping time; remove it",
                ));
            }
            Thermostat::None
        }
    };
    if temperature_k == 0.0 && kind != ThermostatKind::Langevin {
        return Err(ParamError::new(
            t.path("kind"),
            format!(
                "`{kind}` at temperature_k = 0 never reaches a steady state (nothing removes the \
                 energy the drive puts in); use kind: langevin (friction without noise at T = 0)"
            ),
        ));
    }
    Ok(th)
}

impl Plan {
    /// Parses and checks the stage parameters (no MD): frequency > 0, cycles
    /// ≥ 2, a period of ≥ 20 timesteps, damping time > 0, only Langevin at
    /// T = 0, known components. Errors name `stages.<stage>.params.<key>`.
    pub fn from_params(params: &Params) -> Result<Plan, ParamError> {
        params.check_known(PARAMS)?;
        let temperature_k = params.number_or("temperature_k", 0.0)?;
        if temperature_k < 0.0 {
            return Err(ParamError::new(
                params.path("temperature_k"),
                format!("must be ≥ 0 K, found {temperature_k}"),
            ));
        }
        let thermostat = thermostat(params, temperature_k)?;
        let comp_key = if params.contains("component") {
            "component"
        } else {
            "components"
        };
        let components: Vec<Component> = match one_or_list(params, "component", "components")? {
            None => vec![Component::Xx, Component::Xy],
            Some(_) => params
                .texts(comp_key)?
                .iter()
                .map(|c| {
                    c.parse()
                        .map_err(|e: String| ParamError::new(params.path(comp_key), e))
                })
                .collect::<Result<_, _>>()?,
        };
        let freq_key = if params.contains("frequency_thz") {
            "frequency_thz"
        } else {
            "frequencies_thz"
        };
        let frequencies = match one_or_list(params, "frequency_thz", "frequencies_thz")? {
            None => default_frequencies_thz(),
            Some(_) => params.numbers(freq_key)?,
        };
        if frequencies.is_empty() || components.is_empty() {
            return Err(ParamError::new(
                params.path(if components.is_empty() {
                    comp_key
                } else {
                    freq_key
                }),
                "must not be empty",
            ));
        }
        let timestep_ps = params.positive_or("timestep_ps", 0.001)?;
        for &f in &frequencies {
            if f <= 0.0 {
                return Err(ParamError::new(
                    params.path(freq_key),
                    format!("frequencies must be > 0 THz, found {f}"),
                ));
            }
            let per = 1.0 / (f * timestep_ps);
            if per < 20.0 {
                return Err(ParamError::new(
                    params.path(freq_key),
                    format!(
                        "{f} THz has a period of {per:.1} timesteps of {timestep_ps} ps; at least 20 \
                         are needed: lower the frequency or timestep_ps"
                    ),
                ));
            }
        }
        let cycles = if params.contains("cycles") {
            let c = params.count("cycles")?;
            if c < 2 {
                return Err(ParamError::new(
                    params.path("cycles"),
                    format!("at least 2 measured cycles are needed, found {c}"),
                ));
            }
            Some(
                u32::try_from(c)
                    .map_err(|_| ParamError::new(params.path("cycles"), "too large"))?,
            )
        } else {
            None
        };
        let warmup = if params.contains("warmup_ps") {
            let w = params.number("warmup_ps")?;
            if w < 0.0 {
                return Err(ParamError::new(
                    params.path("warmup_ps"),
                    format!("must be ≥ 0 ps, found {w}"),
                ));
            }
            Some(w)
        } else {
            None
        };
        let default_amp = if temperature_k > 0.0 { 1e-3 } else { 1e-5 };
        let strain_amplitude = params.positive_or("strain_amplitude", default_amp)?;
        let check_linearity_amplitude = if params.contains("check_linearity_amplitude") {
            Some(params.positive("check_linearity_amplitude")?)
        } else {
            None
        };
        let seed = params.count_or("seed", 12345)?;
        let pure_strain = params.bool_or("pure_strain", true)?;
        let equilibrate_ps = params.positive_or("equilibrate_ps", 20.0)?;
        let average_cell_ps = params.positive_or("average_cell_ps", 20.0)?;
        let capture_temperatures_k = if params.contains("capture_temperatures_k") {
            Some(params.numbers("capture_temperatures_k")?)
        } else {
            None
        };
        let mut drives = Vec::new();
        for &component in &components {
            for &frequency_thz in &frequencies {
                drives.push(Drive {
                    component,
                    frequency_thz,
                    strain_amplitude,
                    cycles: cycles.unwrap_or_else(|| Drive::default_cycles(frequency_thz)),
                    warmup_ps: warmup
                        .unwrap_or_else(|| Drive::default_warmup_ps(frequency_thz, &thermostat)),
                    timestep_ps,
                    temperature_k,
                    thermostat,
                    seed,
                    pure_strain,
                    equilibrate_ps,
                    average_cell_ps,
                    npt_damping_ps: (0.1, 1.0),
                });
            }
        }
        Ok(Plan {
            components,
            drives,
            check_linearity_amplitude,
            capture_temperatures_k,
        })
    }
}
