//! What the `spectrum` stage writes and claims: the per-sample and averaged CSV
//! tables (VDOS, docs/theory.md Eq. (26); Γ, Eq. (27)), `spectrum.json`, and the
//! summary the workflow report shows (boson peak, Eq. (29); Debye frequency,
//! Eq. (28)).

use super::curves::SampleCurves;
use super::solve::{Sample, SampleReport};
use crate::analysis::{mean_and_spread, BosonPeak, DebyeModel, Grid};
use crate::modes_file::modes_csv;
use nonaffine_core::{ModesKind, StageError, Summary};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Serialize)]
pub(super) struct SpectrumFile<'a> {
    pub(super) solver: &'a str,
    /// `stored` or `matrix-free`.
    pub(super) operator: &'static str,
    /// Zero modes (translations) over all samples.
    pub(super) zero_modes: usize,
    /// Negative modes beyond round-off over all samples (excluded).
    pub(super) negative_modes: usize,
    /// Seconds per phase summed over samples, plus the averages and plots and the total.
    pub(super) timings_s: TotalTimings,
    pub(super) grid: Grid,
    pub(super) smoothing_thz: f64,
    pub(super) samples: Vec<&'a SampleReport>,
    pub(super) boson_peak_of_mean: Option<BosonPeak>,
    pub(super) boson_peak_mean_thz: Option<f64>,
    pub(super) boson_peak_spread_thz: Option<f64>,
    pub(super) debye_frequency_mean_thz: Option<f64>,
    pub(super) warnings: Vec<String>,
}

/// Seconds per phase of the whole stage.
#[derive(Serialize)]
pub(super) struct TotalTimings {
    pub(super) load: f64,
    pub(super) operator: f64,
    pub(super) solve: f64,
    /// Per-sample analysis (census, curves, files).
    pub(super) analysis: f64,
    /// Sample averages, their files and the plots.
    pub(super) averages_and_plots: f64,
    pub(super) total: f64,
}

/// Writes one sample's `modes.csv`, `vdos.csv` and `gamma.csv` into `dir`.
pub(super) fn write_sample_tables(
    dir: &Path,
    s: &Sample,
    c: &SampleCurves,
    centers: &[f64],
    kind: ModesKind,
) -> Result<(), StageError> {
    std::fs::create_dir_all(dir).map_err(|e| StageError::io(dir, e))?;
    let census = s.report.census.clone();
    let class = move |l: f64| {
        if l.abs() <= census.threshold {
            "zero"
        } else if l < 0.0 {
            "negative"
        } else if kind == ModesKind::Quadrature {
            "node"
        } else {
            "mode"
        }
    };
    write(&dir.join("modes.csv"), &modes_csv(&s.result.modes, &class))?;
    write(
        &dir.join("vdos.csv"),
        &vdos_csv(centers, &[c], s.report.debye.as_ref()),
    )?;
    write(&dir.join("gamma.csv"), &gamma_csv(centers, &[c]))?;
    Ok(())
}

pub(super) const VOIGT: [&str; 6] = ["xx", "yy", "zz", "yz", "xz", "xy"];

pub(super) fn vdos_csv(
    centers: &[f64],
    curves: &[&SampleCurves],
    debye: Option<&DebyeModel>,
) -> String {
    let hist: Vec<Vec<f64>> = curves.iter().map(|c| c.hist.clone()).collect();
    let smooth: Vec<Vec<f64>> = curves.iter().map(|c| c.smooth.clone()).collect();
    let reduced: Vec<Vec<f64>> = curves
        .iter()
        .map(|c| {
            c.smooth
                .iter()
                .zip(centers)
                .map(|(g, nu)| g / (nu * nu))
                .collect()
        })
        .collect();
    let (hm, hs) = mean_and_spread(&hist);
    let (sm, ss) = mean_and_spread(&smooth);
    let (rm, rs) = mean_and_spread(&reduced);
    let mut out = String::from(
        "nu_thz,vdos_hist_per_thz,vdos_hist_spread,vdos_smooth_per_thz,vdos_smooth_spread,vdos_over_nu2_per_thz3,vdos_over_nu2_spread,debye_vdos_per_thz\n",
    );
    for (k, nu) in centers.iter().enumerate() {
        let d = debye.map_or(f64::NAN, |d| d.vdos(*nu));
        let _ = writeln!(
            out,
            "{nu:.6e},{},{},{},{},{},{},{}",
            num(hm[k]),
            num(hs[k]),
            num(sm[k]),
            num(ss[k]),
            num(rm[k]),
            num(rs[k]),
            num(d)
        );
    }
    out
}

pub(super) fn gamma_csv(centers: &[f64], curves: &[&SampleCurves]) -> String {
    let mut out = String::from("nu_thz");
    for a in VOIGT {
        let _ = write!(out, ",gamma_{a}");
    }
    for a in VOIGT {
        let _ = write!(out, ",gamma_{a}_smooth");
    }
    out.push('\n');
    let column = |pick: &dyn Fn(&SampleCurves) -> &Vec<[f64; 6]>, a: usize| {
        mean_and_spread(
            &curves
                .iter()
                .map(|c| pick(c).iter().map(|g| g[a]).collect())
                .collect::<Vec<_>>(),
        )
        .0
    };
    let shells: Vec<Vec<f64>> = (0..6).map(|a| column(&|c| &c.gamma_shell, a)).collect();
    let smooth: Vec<Vec<f64>> = (0..6).map(|a| column(&|c| &c.gamma_smooth, a)).collect();
    for (k, nu) in centers.iter().enumerate() {
        let _ = write!(out, "{nu:.6e}");
        for col in shells.iter().chain(&smooth) {
            let _ = write!(out, ",{}", num(col[k]));
        }
        out.push('\n');
    }
    out
}

/// A CSV number: empty for NaN.
fn num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x:.8e}")
    }
}

pub(super) fn summary(
    solver: &str,
    samples: &[Sample],
    peak: Option<&BosonPeak>,
    debye: Option<&DebyeModel>,
) -> Summary {
    let mut s = Summary::new();
    s.text("solver", solver)
        .int("samples", samples.len() as i64);
    let r0 = &samples[0].report;
    s.int("atoms", r0.atoms as i64);
    s.text("modes_kind", &format!("{:?}", r0.modes_kind).to_lowercase());
    s.int(
        "entries",
        samples.iter().map(|x| x.report.entries as i64).sum(),
    );
    s.int(
        "zero_modes",
        samples.iter().map(|x| x.report.census.zero as i64).sum(),
    );
    s.int(
        "negative_modes",
        samples
            .iter()
            .map(|x| x.report.census.negative as i64)
            .sum(),
    );
    let lows: Vec<f64> = samples.iter().filter_map(|x| x.report.lowest_thz).collect();
    let highs: Vec<f64> = samples
        .iter()
        .filter_map(|x| x.report.highest_thz)
        .collect();
    if !lows.is_empty() {
        s.float(
            "lowest_thz",
            lows.iter().copied().fold(f64::INFINITY, f64::min),
            3,
        );
        s.float("highest_thz", highs.iter().copied().fold(0.0, f64::max), 3);
    }
    match peak {
        Some(p) => {
            s.float("boson_peak_thz", p.nu_thz, 2);
            if let Some(e) = p.excess_over_debye {
                s.float("boson_peak_over_debye", e, 2);
            }
        }
        None => {
            s.text("boson_peak_thz", "none");
        }
    }
    if let Some(d) = debye {
        s.float("debye_thz", d.frequency_thz, 3)
            .text("debye_moduli", &d.moduli_source);
    }
    s
}

pub(super) fn write(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}

pub(super) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StageError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StageError::Failed(format!("{}: {e}", path.display())))?;
    write(path, &(text + "\n"))
}
