//! Shared test helpers: the vendored Cu–Zr potential and a T = 0 drive.
#![allow(dead_code, clippy::unwrap_used)]

use nonaffine_core::{ParamValue, Params, Potential};
use nonaffine_oscillate::table::Component;
use nonaffine_oscillate::{Drive, Thermostat};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Parameters of the vendored CuZr_mm.eam.fs with elements Cu, Zr.
pub fn potential_values() -> BTreeMap<String, ParamValue> {
    let mut v = BTreeMap::new();
    v.insert(
        "file".to_string(),
        ParamValue::Text(
            workspace()
                .join("vendor/potentials/CuZr_mm.eam.fs")
                .display()
                .to_string(),
        ),
    );
    v.insert(
        "elements".to_string(),
        ParamValue::List(vec![
            ParamValue::Text("Cu".into()),
            ParamValue::Text("Zr".into()),
        ]),
    );
    v
}

/// The potential.
pub fn potential() -> Box<dyn Potential> {
    nonaffine_registry::registry()
        .potential("eam/fs", &Params::new("potential", potential_values()))
        .unwrap()
}

/// Its LAMMPS commands.
pub fn potential_commands() -> Vec<String> {
    potential().lammps_commands()
}

/// A T = 0 Langevin (τ_d = 1 ps) drive, strain 1e-5, warm-up 10 ps.
pub fn drive(component: Component, frequency_thz: f64, cycles: u32) -> Drive {
    Drive {
        component,
        frequency_thz,
        strain_amplitude: 1e-5,
        cycles,
        warmup_ps: 10.0,
        timestep_ps: 0.001,
        temperature_k: 0.0,
        thermostat: Thermostat::Langevin {
            damping_time_ps: 1.0,
        },
        seed: 12345,
        pure_strain: true,
        equilibrate_ps: 20.0,
        average_cell_ps: 20.0,
        npt_damping_ps: (0.1, 1.0),
    }
}
