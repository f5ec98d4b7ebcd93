//! `oscillate.csv`: the measured complex modulus, one row per
//! (structure, component, frequency).
//!
//! Header (exactly):
//!
//! `structure,component,frequency_thz,omega_rad_per_ps,storage_gpa,loss_gpa,storage_err_gpa,loss_err_gpa,temperature_k,thermostat,damping_time_ps,strain_amplitude,timestep_ps,warmup_ps,cycles,volume_a3`
//!
//! - `structure`: the structure's name, the same as the hessian stage's
//!   per-structure subfolder (see `nonaffine_quench::outputs`), so a spectrum
//!   sample and an MD point of the same glass match.
//! - `component`: `xx`, `yy`, `zz`, `yz`, `xz` or `xy` (Voigt order; yz, xz, xy
//!   are engineering shears, γ = 2ε, so the xy row is C66*).
//! - `storage_gpa`, `loss_gpa`: C′ and C″ with the convention
//!   ε(t) = ε₀ sin ωt, σ(t) = ε₀ (C′ sin ωt + C″ cos ωt); C″ ≥ 0 is loss.
//! - `storage_err_gpa`, `loss_err_gpa`: standard errors from blocks of cycles;
//!   empty when not estimated (T = 0, where the response is deterministic).
//! - `thermostat`: `langevin`, `nose-hoover` or `none` (NVE);
//!   `damping_time_ps` is empty exactly for `none`.
//! - `volume_a3`: volume of the driven (mean) cell, Å³.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so reading
//! gives back the exact f64 values.

use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use thiserror::Error;

/// Header line of `oscillate.csv`.
pub const HEADER: &str = "structure,component,frequency_thz,omega_rad_per_ps,storage_gpa,loss_gpa,\
storage_err_gpa,loss_err_gpa,temperature_k,thermostat,damping_time_ps,strain_amplitude,timestep_ps,\
warmup_ps,cycles,volume_a3";

/// Number of columns of `oscillate.csv`.
const COLUMNS: usize = 16;

/// An `oscillate.csv` that cannot be written or read.
#[derive(Debug, Error)]
pub enum TableError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of the file is malformed.
    #[error("{path}: line {line}{}: {message}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (field), when one field is at fault.
        column: Option<usize>,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A point that cannot be written (a name that would break the CSV).
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One strain component, Voigt order (yz, xz, xy are engineering shears).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// Uniaxial strain along x: C11*.
    Xx,
    /// Uniaxial strain along y: C22*.
    Yy,
    /// Uniaxial strain along z: C33*.
    Zz,
    /// Shear yz (engineering): C44*.
    Yz,
    /// Shear xz (engineering): C55*.
    Xz,
    /// Shear xy (engineering): C66*.
    Xy,
}

impl Component {
    /// All six, Voigt order.
    pub const ALL: [Component; 6] = [
        Component::Xx,
        Component::Yy,
        Component::Zz,
        Component::Yz,
        Component::Xz,
        Component::Xy,
    ];

    /// Voigt index 0..6 (xx, yy, zz, yz, xz, xy).
    pub fn voigt_index(self) -> usize {
        self as usize
    }

    /// The name used in files and parameters (`xx` … `xy`).
    pub fn as_str(self) -> &'static str {
        ["xx", "yy", "zz", "yz", "xz", "xy"][self as usize]
    }

    /// True for the three shears (yz, xz, xy).
    pub fn is_shear(self) -> bool {
        self.voigt_index() >= 3
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Component {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Component::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown component `{s}`: expected one of xx, yy, zz, yz, xz, xy")
            })
    }
}

/// The thermostat of a measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThermostatKind {
    /// `fix langevin`: friction −(m/τ_d)v plus noise (no noise at T = 0).
    Langevin,
    /// `fix nvt` (Nosé–Hoover chain) with damping time τ_d.
    NoseHoover,
    /// No thermostat (NVE).
    None,
}

impl ThermostatKind {
    /// The name used in files and parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            ThermostatKind::Langevin => "langevin",
            ThermostatKind::NoseHoover => "nose-hoover",
            ThermostatKind::None => "none",
        }
    }
}

impl fmt::Display for ThermostatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ThermostatKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "langevin" => Ok(ThermostatKind::Langevin),
            "nose-hoover" => Ok(ThermostatKind::NoseHoover),
            "none" => Ok(ThermostatKind::None),
            _ => Err(format!(
                "unknown thermostat `{s}`: expected langevin, nose-hoover or none"
            )),
        }
    }
}

/// One measured point: one row of `oscillate.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasuredPoint {
    /// Structure name (the hessian stage's per-structure subfolder name).
    pub structure: String,
    /// Driven strain component.
    pub component: Component,
    /// Drive frequency ν, THz.
    pub frequency_thz: f64,
    /// Angular frequency ω = 2πν, rad/ps.
    pub omega_rad_per_ps: f64,
    /// Storage modulus C′, GPa.
    pub storage_gpa: f64,
    /// Loss modulus C″ (≥ 0 for dissipation), GPa.
    pub loss_gpa: f64,
    /// Standard error of C′, GPa; `None` when not estimated (T = 0).
    pub storage_err_gpa: Option<f64>,
    /// Standard error of C″, GPa; `None` when not estimated (T = 0).
    pub loss_err_gpa: Option<f64>,
    /// Temperature of the drive, K.
    pub temperature_k: f64,
    /// Thermostat.
    pub thermostat: ThermostatKind,
    /// Thermostat damping time τ_d, ps; `None` exactly for NVE.
    pub damping_time_ps: Option<f64>,
    /// Strain amplitude ε₀ (engineering strain for shears), dimensionless.
    pub strain_amplitude: f64,
    /// MD timestep, ps.
    pub timestep_ps: f64,
    /// Warm-up before the measured cycles, ps.
    pub warmup_ps: f64,
    /// Number of measured cycles.
    pub cycles: u32,
    /// Volume of the driven (mean) cell, Å³.
    pub volume_a3: f64,
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// Text of `oscillate.csv` for `points` (header included).
fn csv_text(points: &[MeasuredPoint]) -> String {
    let mut out = String::with_capacity(HEADER.len() + 1 + 200 * points.len());
    out += HEADER;
    out.push('\n');
    for p in points {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            p.structure,
            p.component,
            p.frequency_thz,
            p.omega_rad_per_ps,
            p.storage_gpa,
            p.loss_gpa,
            opt(p.storage_err_gpa),
            opt(p.loss_err_gpa),
            p.temperature_k,
            p.thermostat,
            opt(p.damping_time_ps),
            p.strain_amplitude,
            p.timestep_ps,
            p.warmup_ps,
            p.cycles,
            p.volume_a3,
        );
    }
    out
}

/// Writes `points` to `path` as `oscillate.csv`.
pub fn write_oscillate_csv(path: &Path, points: &[MeasuredPoint]) -> Result<(), TableError> {
    for p in points {
        if p.structure.is_empty() || p.structure.contains([',', '\n', '\r', '"']) {
            return Err(TableError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "structure name `{}` is empty or contains a comma, quote or line break",
                    p.structure
                ),
            });
        }
    }
    std::fs::write(path, csv_text(points)).map_err(|source| TableError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads every row of an `oscillate.csv`.
pub fn read_oscillate_csv(path: &Path) -> Result<Vec<MeasuredPoint>, TableError> {
    let text = std::fs::read_to_string(path).map_err(|source| TableError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let err = |line: usize, column: Option<usize>, message: String| TableError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim_end_matches('\r') == HEADER => {}
        _ => return Err(err(1, None, format!("expected the header `{HEADER}`"))),
    }
    let names: Vec<&str> = HEADER.split(',').collect();
    let mut points = Vec::new();
    for (n, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let ln = n + 1;
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != COLUMNS {
            return Err(err(
                ln,
                None,
                format!("expected {COLUMNS} columns, found {}", f.len()),
            ));
        }
        let bad = |k: usize, what: String| err(ln, Some(k + 1), format!("{}: {what}", names[k]));
        let num = |k: usize| -> Result<f64, TableError> {
            let v: f64 = f[k]
                .parse()
                .map_err(|e| bad(k, format!("`{}` is not a number ({e})", f[k])))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(bad(k, format!("`{}` is not finite", f[k])))
            }
        };
        let opt_num = |k: usize| -> Result<Option<f64>, TableError> {
            if f[k].is_empty() {
                Ok(None)
            } else {
                num(k).map(Some)
            }
        };
        if f[0].is_empty() {
            return Err(bad(0, "empty structure name".into()));
        }
        let component = f[1].parse().map_err(|e| bad(1, e))?;
        let thermostat: ThermostatKind = f[9].parse().map_err(|e| bad(9, e))?;
        let damping_time_ps = opt_num(10)?;
        if (thermostat == ThermostatKind::None) != damping_time_ps.is_none() {
            return Err(bad(
                10,
                format!("must be empty exactly when the thermostat is `none` (thermostat `{thermostat}`)"),
            ));
        }
        let cycles = f[14]
            .parse()
            .map_err(|e| bad(14, format!("`{}` is not a whole number ({e})", f[14])))?;
        points.push(MeasuredPoint {
            structure: f[0].to_string(),
            component,
            frequency_thz: num(2)?,
            omega_rad_per_ps: num(3)?,
            storage_gpa: num(4)?,
            loss_gpa: num(5)?,
            storage_err_gpa: opt_num(6)?,
            loss_err_gpa: opt_num(7)?,
            temperature_k: num(8)?,
            thermostat,
            damping_time_ps,
            strain_amplitude: num(11)?,
            timestep_ps: num(12)?,
            warmup_ps: num(13)?,
            cycles,
            volume_a3: num(15)?,
        });
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn points() -> Vec<MeasuredPoint> {
        vec![
            MeasuredPoint {
                structure: "T0300K_s0".into(),
                component: Component::Xx,
                frequency_thz: 0.1,
                omega_rad_per_ps: 2.0 * std::f64::consts::PI * 0.1,
                storage_gpa: 163.123_456_789_012_3,
                loss_gpa: 1.0 / 3.0,
                storage_err_gpa: None,
                loss_err_gpa: None,
                temperature_k: 0.0,
                thermostat: ThermostatKind::Langevin,
                damping_time_ps: Some(1.0),
                strain_amplitude: 1e-5,
                timestep_ps: 0.001,
                warmup_ps: 50.0,
                cycles: 3,
                volume_a3: 4_523.987_654_321,
            },
            MeasuredPoint {
                structure: "glass".into(),
                component: Component::Xy,
                frequency_thz: 8.0,
                omega_rad_per_ps: 50.265_482_457_436_69,
                storage_gpa: 31.4,
                loss_gpa: -1e-300,
                storage_err_gpa: Some(0.7),
                loss_err_gpa: Some(2.5e-3),
                temperature_k: 300.0,
                thermostat: ThermostatKind::None,
                damping_time_ps: None,
                strain_amplitude: 1e-3,
                timestep_ps: 0.002,
                warmup_ps: 12.5,
                cycles: 40,
                volume_a3: 1e4,
            },
        ]
    }

    #[test]
    fn round_trip_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("oscillate.csv");
        write_oscillate_csv(&p, &points()).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("structure,component,frequency_thz,omega_rad_per_ps,storage_gpa,loss_gpa,storage_err_gpa,loss_err_gpa,temperature_k,thermostat,damping_time_ps,strain_amplitude,timestep_ps,warmup_ps,cycles,volume_a3\n"));
        assert_eq!(read_oscillate_csv(&p).unwrap(), points());
        write_oscillate_csv(&p, &[]).unwrap();
        assert!(read_oscillate_csv(&p).unwrap().is_empty());
    }

    #[test]
    fn damaged_files_are_refused_with_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("oscillate.csv");
        write_oscillate_csv(&p, &points()).unwrap();
        let good = std::fs::read_to_string(&p).unwrap();
        let row = good.lines().nth(1).unwrap().to_string();
        let cases: Vec<(String, &str)> = vec![
            (
                "structure,component\n".into(),
                "line 1: expected the header",
            ),
            (
                format!("{HEADER}\n{}\n", row.replacen(",xx,", ",xq,", 1)),
                "line 2, column 2: component: unknown component `xq`",
            ),
            (
                format!("{HEADER}\n{}\n", row.replacen(",0.1,", ",abc,", 1)),
                "line 2, column 3: frequency_thz: `abc` is not a number",
            ),
            (
                format!("{HEADER}\n{row}\n{}\n", row.rsplit_once(',').unwrap().0),
                "line 3: expected 16 columns, found 15",
            ),
            (
                format!(
                    "{HEADER}\n{}\n",
                    row.replacen(",langevin,1,", ",none,1,", 1)
                ),
                "line 2, column 11: damping_time_ps: must be empty",
            ),
            (
                format!("{HEADER}\n{}\n", row.replacen(",3,", ",3.5,", 1)),
                "line 2, column 15: cycles",
            ),
            (
                format!("{HEADER}\n{}\n", row.replacen(",50,", ",inf,", 1)),
                "line 2, column 14: warmup_ps: `inf` is not finite",
            ),
        ];
        for (text, want) in cases {
            std::fs::write(&p, &text).unwrap();
            let e = read_oscillate_csv(&p).unwrap_err().to_string();
            assert!(e.contains(want), "`{e}` should contain `{want}`");
            assert!(e.contains("oscillate.csv"), "{e}");
        }
        let missing = dir.path().join("none.csv");
        assert!(read_oscillate_csv(&missing)
            .unwrap_err()
            .to_string()
            .contains("none.csv"));
        let mut bad = points();
        bad[0].structure = "a,b".into();
        assert!(write_oscillate_csv(&p, &bad)
            .unwrap_err()
            .to_string()
            .contains("`a,b`"));
    }
}
