//! One measured point: the LAMMPS job (one run: warm-up, then whole measured
//! cycles), the stress record it writes, and the fit of C*(ω).
//!
//! The stress is recorded by `fix print` every step into a file of the
//! worker's folder (step, the driven pressure component in bar, the box).
//! LAMMPS computes the pressure printed at step n from the forces of step n,
//! i.e. in the box of step n − 1 (`fix deform` changes the box at the end of
//! the step), so σ_n is paired with the strain of step n − 1; otherwise C″
//! comes out low by C′·ω·dt.

use crate::protocol::{Drive, Thermostat};
use crate::table::Component;
use nonaffine_core::lammps_word;
use nonaffine_lammps::{preamble, run_job, Event, Job, LammpsError, Step, WorkerConfig};
use std::path::Path;
use thiserror::Error;

/// bar per GPa.
const BAR_PER_GPA: f64 = 1e4;

/// Why a point could not be measured.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OscillateError {
    /// LAMMPS failed.
    #[error(transparent)]
    Lammps(#[from] LammpsError),
    /// The stress record is missing or malformed.
    #[error("{path}: line {line}: {message}")]
    Record {
        /// The file.
        path: String,
        /// 1-based line (0: the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file path that no LAMMPS quoting can hold (it contains both `"""` and `'`).
    #[error(
        "{0}: a path holding both `\"\"\"` and `'` cannot be quoted for LAMMPS; rename the folder"
    )]
    UnquotablePath(String),
}

/// The fitted complex modulus of one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// C′, GPa.
    pub storage_gpa: f64,
    /// C″, GPa (≥ 0 is loss).
    pub loss_gpa: f64,
    /// Standard errors of C′ and C″ from blocks of cycles, GPa (None: not estimated).
    pub errors_gpa: Option<(f64, f64)>,
    /// Fitted strain amplitude |ε̂| (engineering for shears).
    pub strain_amplitude: f64,
    /// Mean volume of the driven cell over the measured cycles, Å³.
    pub volume_a3: f64,
}

/// Name of the stress record in the worker's folder.
pub const RECORD_FILE: &str = "stress.txt";

/// LAMMPS pressure keyword of a component.
fn pressure_keyword(c: Component) -> &'static str {
    ["pxx", "pyy", "pzz", "pyz", "pxz", "pxy"][c.voigt_index()]
}

/// `fix deform` arguments of the drive (immediate expressions of the current
/// box, so they hold for the mean cell at T > 0 too). Amplitudes in Å.
fn deform_args(d: &Drive) -> String {
    let (e, tp) = (d.strain_amplitude, d.period_ps());
    let w = |dim: &str, amp: String| format!(" {dim} wiggle $({amp}) {tp}");
    let mut s = String::new();
    match d.component {
        Component::Xx => {
            s += &w("x", format!("{e}*lx"));
            if d.pure_strain {
                // F = diag(1+ε,1,1) moves b = (xy, ly, 0) to ((1+ε)xy, ly, 0).
                s += &w("xy", format!("{e}*xy"));
                s += &w("xz", format!("{e}*xz"));
            }
        }
        Component::Yy => {
            s += &w("y", format!("{e}*ly"));
            if d.pure_strain {
                s += &w("yz", format!("{e}*yz"));
            }
        }
        Component::Zz => s += &w("z", format!("{e}*lz")),
        Component::Yz => s += &w("yz", format!("{e}*lz")),
        Component::Xz => s += &w("xz", format!("{e}*lz")),
        Component::Xy => {
            s += &w("xy", format!("{e}*ly"));
            if d.pure_strain {
                // F = 1 + γ e_x e_y moves c = (xz, yz, lz) to (xz + γ yz, yz, lz).
                s += &w("xz", format!("{e}*yz"));
            }
        }
    }
    s
}

/// A file path as one word of a LAMMPS command (quoted when it holds blanks,
/// `#` or `$`); [`measure`] refuses the paths no quoting can hold.
fn word(path: &str) -> String {
    lammps_word(path).unwrap_or_else(|| path.to_string())
}

/// The job of one point: `data_file` read, potential set up, (T > 0) NPT to
/// zero stress and the mean cell, then the drive, recorded into `record_file`.
pub fn point_job(
    d: &Drive,
    data_file: &str,
    potential_commands: &[String],
    record_file: &str,
) -> Job {
    let dt = d.timestep_ps;
    let mut setup = preamble();
    setup.push(format!("read_data {}", word(data_file)));
    setup.push("change_box all triclinic".into());
    setup.extend(potential_commands.iter().cloned());
    setup.extend([
        "neighbor 1.0 bin".to_string(),
        "neigh_modify every 1 delay 0 check yes".to_string(),
        format!("timestep {dt}"),
        "thermo_style custom step temp pe press pxx pyy pzz pyz pxz pxy vol".to_string(),
        "thermo 1000".to_string(),
    ]);
    let t = d.temperature_k;
    let mut steps = Vec::new();
    let thermo = ["temp", "press"].map(String::from).to_vec();
    let n = |ps: f64| ((ps / dt).round() as u64).max(1);
    if t > 0.0 {
        let (td, pd) = d.npt_damping_ps;
        setup.extend([
            format!(
                "velocity all create {t} {} dist gaussian mom yes rot no",
                d.seed
            ),
            format!("fix osc_npt all npt temp {t} {t} {td} tri 0.0 0.0 {pd}"),
        ]);
        steps.push(Step::Commands(setup));
        steps.push(Step::Run {
            label: "npt".into(),
            steps: n(d.equilibrate_ps),
            chunk: 1000,
            thermo: thermo.clone(),
            span: None,
        });
        let m = n(d.average_cell_ps);
        let mut avg = vec!["reset_timestep 0".to_string()];
        for k in ["lx", "ly", "lz", "xy", "xz", "yz"] {
            avg.push(format!("variable osc_{k} equal {k}"));
        }
        avg.push(format!(
            "fix osc_cell all ave/time 1 {m} {m} v_osc_lx v_osc_ly v_osc_lz v_osc_xy v_osc_xz v_osc_yz"
        ));
        steps.push(Step::Commands(avg));
        steps.push(Step::Run {
            label: "mean cell".into(),
            steps: m,
            chunk: 1000,
            thermo: thermo.clone(),
            span: None,
        });
        steps.push(Step::Commands(vec![
            "unfix osc_npt".into(),
            "change_box all x final $(xlo) $(xlo+f_osc_cell[1]) y final $(ylo) $(ylo+f_osc_cell[2]) \
             z final $(zlo) $(zlo+f_osc_cell[3]) xy final $(f_osc_cell[4]) xz final $(f_osc_cell[5]) \
             yz final $(f_osc_cell[6]) remap units box"
                .into(),
            "unfix osc_cell".into(),
            "reset_timestep 0".into(),
        ]));
        setup = Vec::new();
    } else {
        setup.push("velocity all set 0.0 0.0 0.0".into());
    }
    match d.thermostat {
        Thermostat::Langevin { damping_time_ps } => {
            setup.push("fix osc_nve all nve".into());
            let zero = if t > 0.0 { "yes" } else { "no" };
            setup.push(format!(
                "fix osc_thermostat all langevin {t} {t} {damping_time_ps} {} zero {zero}",
                d.seed + 1
            ));
        }
        Thermostat::NoseHoover { damping_time_ps } => {
            setup.push(format!(
                "fix osc_thermostat all nvt temp {t} {t} {damping_time_ps}"
            ));
        }
        Thermostat::None => setup.push("fix osc_nve all nve".into()),
    }
    setup.push(format!(
        "fix osc_deform all deform 1{} remap x units box",
        deform_args(d)
    ));
    setup.push(format!(
        "fix osc_print all print 1 \"$(step) $({}:%.15g) $(lx:%.17g) $(ly:%.17g) $(lz:%.17g) \
         $(xy:%.17g) $(xz:%.17g) $(yz:%.17g)\" file {} screen no",
        pressure_keyword(d.component),
        word(record_file)
    ));
    steps.push(Step::Commands(setup));
    let total = d.warmup_steps() + d.measured_steps();
    steps.push(Step::Run {
        label: "drive".into(),
        steps: total,
        chunk: (total / 20).max(100),
        thermo,
        span: None,
    });
    Job { steps }
}

/// One row of the stress record: step, driven pressure (bar), box
/// [lx, ly, lz, xy, xz, yz] (Å).
#[derive(Clone, Copy, Debug)]
struct Row {
    step: u64,
    pressure_bar: f64,
    cell: [f64; 6],
}

fn read_record(path: &Path) -> Result<Vec<Row>, OscillateError> {
    let err = |line: usize, message: String| OscillateError::Record {
        path: path.display().to_string(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, e.to_string()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 8 {
            return Err(err(n + 1, format!("expected 8 fields, found {}", f.len())));
        }
        let num = |k: usize| -> Result<f64, OscillateError> {
            f[k].parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    err(
                        n + 1,
                        format!("field {} `{}` is not a finite number", k + 1, f[k]),
                    )
                })
        };
        let step = num(0)?;
        let mut cell = [0.0; 6];
        for (k, c) in cell.iter_mut().enumerate() {
            *c = num(2 + k)?;
        }
        rows.push(Row {
            step: step as u64,
            pressure_bar: num(1)?,
            cell,
        });
    }
    Ok(rows)
}

/// Strain of `cell` relative to `cell0` for the component (engineering
/// shear: Δtilt over the box length normal to the shear plane).
fn strain(c: Component, cell: &[f64; 6], cell0: &[f64; 6]) -> f64 {
    let [lx, ly, lz, xy, xz, yz] = *cell;
    let [lx0, ly0, lz0, xy0, xz0, yz0] = *cell0;
    match c {
        Component::Xx => lx / lx0 - 1.0,
        Component::Yy => ly / ly0 - 1.0,
        Component::Zz => lz / lz0 - 1.0,
        Component::Yz => (yz - yz0) / lz0,
        Component::Xz => (xz - xz0) / lz0,
        Component::Xy => (xy - xy0) / ly0,
    }
}

/// Least squares of `y` on sin ωt, cos ωt and 1: the complex amplitude a + ib
/// of y = a sin ωt + b cos ωt + c.
fn fit_sin_cos(t: &[f64], y: &[f64], omega: f64) -> (f64, f64) {
    // Normal equations, 3×3, solved by Cramer's rule on centred sums.
    let mut m = [[0.0; 3]; 3];
    let mut r = [0.0; 3];
    for (&ti, &yi) in t.iter().zip(y) {
        let b = [(omega * ti).sin(), (omega * ti).cos(), 1.0];
        for i in 0..3 {
            r[i] += b[i] * yi;
            for j in 0..3 {
                m[i][j] += b[i] * b[j];
            }
        }
    }
    let det3 = |a: &[[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det3(&m);
    let solve = |k: usize| {
        let mut a = m;
        for i in 0..3 {
            a[i][k] = r[i];
        }
        det3(&a) / d
    };
    (solve(0), solve(1))
}

/// C* = σ̂/ε̂ over the steps of `pairs` (time, strain of the previous step, stress in GPa).
fn modulus(pairs: &[(f64, f64, f64)], omega: f64) -> (f64, f64, f64) {
    let t: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let e: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let s: Vec<f64> = pairs.iter().map(|p| p.2).collect();
    let (ea, eb) = fit_sin_cos(&t, &e, omega);
    let (sa, sb) = fit_sin_cos(&t, &s, omega);
    // (sa + i sb)/(ea + i eb)
    let n2 = ea * ea + eb * eb;
    (
        (sa * ea + sb * eb) / n2,
        (sb * ea - sa * eb) / n2,
        n2.sqrt(),
    )
}

/// Fits C*(ω) to the stress record of a drive: σ_n = −p_n paired with the
/// strain of step n − 1, over the measured cycles (after the warm-up);
/// at T > 0 standard errors from blocks of whole cycles.
pub fn analyse(d: &Drive, record: &Path) -> Result<Fit, OscillateError> {
    let rows = read_record(record)?;
    let bad = |message: String| OscillateError::Record {
        path: record.display().to_string(),
        line: 0,
        message,
    };
    let first = rows.first().ok_or_else(|| bad("no rows".into()))?;
    let (s0, cell0) = (first.step, first.cell);
    let warm = d.warmup_steps();
    let meas = d.measured_steps();
    let mut pairs = Vec::with_capacity(meas as usize);
    let mut volume = 0.0;
    for w in rows.windows(2) {
        let k = w[1].step.saturating_sub(s0);
        if w[1].step != w[0].step + 1 || k <= warm || k > warm + meas {
            continue;
        }
        let t = k as f64 * d.timestep_ps;
        pairs.push((
            t,
            strain(d.component, &w[0].cell, &cell0),
            -w[1].pressure_bar / BAR_PER_GPA,
        ));
        let c = &w[1].cell;
        volume += c[0] * c[1] * c[2];
    }
    if (pairs.len() as u64) < meas {
        return Err(bad(format!(
            "{} consecutive measured steps, expected {meas}",
            pairs.len()
        )));
    }
    let omega = d.omega_rad_per_ps();
    let (storage, loss, amp) = modulus(&pairs, omega);
    let errors = if d.temperature_k > 0.0 {
        let blocks = (d.cycles as usize).min(10);
        let per = pairs.len() as f64 / blocks as f64;
        let vals: Vec<(f64, f64)> = (0..blocks)
            .map(|b| {
                let (lo, hi) = (
                    (b as f64 * per).round() as usize,
                    ((b + 1) as f64 * per).round() as usize,
                );
                let (c1, c2, _) = modulus(&pairs[lo..hi], omega);
                (c1, c2)
            })
            .collect();
        let nb = blocks as f64;
        let se = |f: &dyn Fn(&(f64, f64)) -> f64| {
            let m = vals.iter().map(f).sum::<f64>() / nb;
            (vals.iter().map(|v| (f(v) - m).powi(2)).sum::<f64>() / (nb - 1.0) / nb).sqrt()
        };
        Some((se(&|v| v.0), se(&|v| v.1)))
    } else {
        None
    };
    Ok(Fit {
        storage_gpa: storage,
        loss_gpa: loss,
        errors_gpa: errors,
        strain_amplitude: amp,
        volume_a3: volume / pairs.len() as f64,
    })
}

/// Runs one point in a worker whose folder is `workdir` (the record is
/// written there) and fits it. `on_progress(done, total)` follows the drive.
pub fn measure(
    d: &Drive,
    data_file: &Path,
    potential_commands: &[String],
    workdir: &Path,
    on_progress: &mut dyn FnMut(u64, u64),
) -> Result<Fit, OscillateError> {
    let record = workdir.join(RECORD_FILE);
    for path in [data_file, record.as_path()] {
        if lammps_word(&path.display().to_string()).is_none() {
            return Err(OscillateError::UnquotablePath(path.display().to_string()));
        }
    }
    let job = point_job(
        d,
        &data_file.display().to_string(),
        potential_commands,
        &record.display().to_string(),
    );
    let config = WorkerConfig {
        workdir: Some(workdir.to_path_buf()),
        ..Default::default()
    };
    run_job(&config, &job, &mut |ev| {
        if let Event::Progress {
            label, done, total, ..
        } = ev
        {
            if label == "drive" {
                on_progress(*done, *total);
            }
        }
    })?;
    analyse(d, &record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_known_complex_amplitude_with_a_lag() {
        // σ_n = C' ε_{n-1} + (C''/ω) dε/dt|_{n-1} + const, ε = ε0 sin(ωt + φ).
        let (w, dt, c1, c2) = (2.0, 0.01, 150.0, 7.0);
        let pairs: Vec<(f64, f64, f64)> = (1..2000)
            .map(|n| {
                let tp = (n - 1) as f64 * dt;
                let e = 1e-5 * (w * tp + 0.3).sin();
                let de = 1e-5 * (w * tp + 0.3).cos();
                (n as f64 * dt, e, c1 * e + c2 * de + 0.5)
            })
            .collect();
        let (s, l, a) = modulus(&pairs, w);
        assert!(
            (s - c1).abs() < 1e-9 * c1 && (l - c2).abs() < 1e-9 * c1,
            "{s} {l}"
        );
        assert!((a - 1e-5).abs() < 1e-14);
    }
}
