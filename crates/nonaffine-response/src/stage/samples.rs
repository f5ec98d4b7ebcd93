//! The response stage's inputs: the spectrum stage's samples (typed
//! [`SampleOutput`]s with their modes), the reference curves and time unit, and
//! per temperature the samples averaged into one mode sum and the debye
//! control's ω_D.

use crate::{second_moment_debye_omega, Affine};
use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
use nonaffine_core::{Modes, ModesKind, ParamError, Params, StageContext, StageError};
use nonaffine_reference::outputs::ReferenceOutput;
use nonaffine_spectrum::modes_file::{read_modes_csv, response_modes};
use nonaffine_spectrum::outputs::{sample_dirs, SampleOutput};
use serde::Serialize;

/// One sample: its modes and affine part.
pub(crate) struct Sample {
    /// `<branch>/<structure>`, or the structure alone when not swept.
    pub name: String,
    /// The structure (the sample folder's name, the hessian stage's subfolder).
    pub structure: String,
    /// The sweep point label of its spectrum stage (`seed=1`), empty if none.
    pub branch: String,
    /// The upstream spectrum stage it came from.
    pub stage: String,
    pub temperature_k: Option<f64>,
    pub modes: Modes,
    /// What its modes are.
    pub kind: ModesKind,
    /// Elastic Debye ω_D of its sample.json (`debye.frequency_thz` / 15.633),
    /// sqrt(eV/(Å²·amu)).
    debye_omega: Option<f64>,
    pub affine: Affine,
    /// Residual stress of its sample.json (`stress_gpa`), GPa, Voigt.
    pub stress_gpa: [f64; 6],
}

/// The ω_D the `debye` control used at one temperature, as written to `fit.json`.
#[derive(Clone, Debug, Serialize)]
pub(super) struct DebyeFrequency {
    pub(super) temperature_k: f64,
    /// `spectrum stage (elastic)`: the mean of the samples' `debye.frequency_thz`,
    /// the ω_D of the spectrum stage's boson-peak Debye level; or the fallback
    /// `5<ω²>/3 of the modes`.
    pub(super) source: &'static str,
    /// ν_D = ω_D/2π, THz.
    pub(super) frequency_thz: f64,
    /// ω_D, sqrt(eV/(Å²·amu)).
    pub(super) omega_sqrt_ev_per_a2_amu: f64,
    /// Samples whose elastic ω_D went into the mean.
    pub(super) samples: usize,
}

/// Reference curves of one temperature.
pub(super) struct Reference {
    pub(super) temperature_k: f64,
    pub(super) omega: Vec<f64>,
    pub(super) storage: Vec<f64>,
    pub(super) loss: Vec<f64>,
}

/// Every `<sample>/modes.csv` + `sample.json` of the upstream spectrum folders.
pub(crate) fn read_samples(ctx: &StageContext<'_>) -> Result<Vec<Sample>, StageError> {
    let inputs: Vec<_> = ctx.inputs_of_kind("spectrum").collect();
    if inputs.is_empty() {
        return Err(StageError::MissingInput("spectrum".into()));
    }
    let mut out = Vec::new();
    for input in inputs {
        for dir in sample_dirs(&input.dir)? {
            let leaf = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = if input.branch.is_empty() {
                leaf.clone()
            } else {
                format!("{}/{leaf}", input.branch)
            };
            let rows = read_modes_csv(&dir.join("modes.csv"))
                .map_err(|e| StageError::Failed(e.to_string()))?;
            let sample = SampleOutput::read(&dir)?;
            out.push(Sample {
                temperature_k: sample.temperature_k,
                name,
                branch: input.branch.clone(),
                structure: leaf,
                stress_gpa: sample.stress_gpa,
                stage: input.stage.clone(),
                kind: sample.modes_kind,
                debye_omega: sample.debye.map(|d| d.frequency_thz / THZ_PER_OMEGA_UNIT),
                modes: response_modes(&rows),
                affine: Affine {
                    born_gpa: sample.born_gpa,
                    volume_a3: sample.volume_a3,
                },
            });
        }
    }
    if out.is_empty() {
        return Err(StageError::Failed(
            "no <sample>/modes.csv in the upstream spectrum folders".into(),
        ));
    }
    Ok(out)
}

/// The reference table's time unit (name, seconds) from the reference
/// stage's [`ReferenceOutput`]; `time_unit_s`, when given, must agree with it.
pub(super) fn reference_time_unit(
    ctx: &StageContext<'_>,
    p: &Params,
) -> Result<(String, f64), StageError> {
    let input = ctx
        .inputs_of_kind("reference")
        .next()
        .ok_or_else(|| StageError::MissingInput("reference".into()))?;
    let out = ReferenceOutput::read(&input.dir)?;
    if p.contains("time_unit_s") {
        let given = p.positive("time_unit_s")?;
        if (given / out.time_unit_s - 1.0).abs() > 1e-9 {
            return Err(ParamError::new(
                p.path("time_unit_s"),
                format!(
                    "{given} s disagrees with the reference stage's time unit `{}` = {} s; \
                     remove the key (the unit comes from the reference stage)",
                    out.time_unit, out.time_unit_s
                ),
            )
            .into());
        }
    }
    Ok((out.time_unit, out.time_unit_s))
}

/// `reference.csv` of the upstream reference stage, grouped by temperature.
pub(super) fn read_reference(ctx: &StageContext<'_>) -> Result<Vec<Reference>, StageError> {
    let input = ctx
        .inputs_of_kind("reference")
        .next()
        .ok_or_else(|| StageError::MissingInput("reference".into()))?;
    let path = input.dir.join("reference.csv");
    let mut out: Vec<Reference> = Vec::new();
    for (_, f) in crate::rows::numeric_rows::<4>(&path, "temperature_k, omega, storage, loss")? {
        match out.iter_mut().find(|r| r.temperature_k == f[0]) {
            Some(r) => {
                r.omega.push(f[1]);
                r.storage.push(f[2]);
                r.loss.push(f[3]);
            }
            None => out.push(Reference {
                temperature_k: f[0],
                omega: vec![f[1]],
                storage: vec![f[2]],
                loss: vec![f[3]],
            }),
        }
    }
    if out.is_empty() {
        return Err(StageError::Failed(format!("{}: no rows", path.display())));
    }
    Ok(out)
}

/// The samples of temperature `t`: those named for it, else (with a warning)
/// those named for no temperature.
pub(super) fn choose<'a>(
    samples: &'a [Sample],
    t: f64,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'a Sample>, StageError> {
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.temperature_k.is_some_and(|x| (x - t).abs() < 0.5))
        .collect();
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.temperature_k.is_none())
        .collect();
    if chosen.is_empty() {
        let mut have: Vec<f64> = samples.iter().filter_map(|s| s.temperature_k).collect();
        have.sort_by(f64::total_cmp);
        have.dedup();
        let have: Vec<String> = have.iter().map(|x| format!("{x} K")).collect();
        return Err(StageError::Failed(format!(
            "no spectrum sample at T = {t} K (the samples were captured at {}); capture a \
             glass at {t} K (the quench stage's `capture_temperatures_k`) or drop it from the \
             reference",
            have.join(", ")
        )));
    }
    warnings.push(format!(
        "T = {t} K: no sample was captured at this temperature; using the {} sample(s) without \
         a capture temperature (structure files)",
        chosen.len()
    ));
    Ok(chosen)
}

/// The sample mean of C* over `chosen` (not empty) as one mode sum:
/// projections of sample i scaled by sqrt(V̄/(n V_i)), so
/// (1/V̄) R = (1/n) Σ_i R_i/V_i, and C^B and V averaged.
pub(super) fn average(chosen: &[&Sample]) -> (Modes, Affine) {
    let n = chosen.len() as f64;
    let volume = chosen.iter().map(|s| s.affine.volume_a3).sum::<f64>() / n;
    let mut born = [[0.0; 6]; 6];
    let mut modes = Modes::default();
    for s in chosen {
        for (row, src) in born.iter_mut().zip(&s.affine.born_gpa) {
            for (c, v) in row.iter_mut().zip(src) {
                *c += v / n;
            }
        }
        let w = (volume / (n * s.affine.volume_a3)).sqrt();
        modes.eigenvalues.extend(&s.modes.eigenvalues);
        modes
            .projections
            .extend(s.modes.projections.iter().map(|x| x.map(|v| v * w)));
    }
    (
        modes,
        Affine {
            born_gpa: born,
            volume_a3: volume,
        },
    )
}

/// The debye control keeps the glass's Γ(ω) and changes only D(ω), so it
/// needs every mode: ARPACK's lowest modes or Lanczos quadrature nodes give
/// neither the true Γ(ω) nor the mode count. Refused with what to change.
pub(super) fn refuse_incomplete(chosen: &[&Sample]) -> Result<(), StageError> {
    for s in chosen {
        let what = match s.kind {
            ModesKind::Lowest => "only the lowest modes (solver `arpack`)",
            ModesKind::Quadrature => "Lanczos quadrature nodes (solver `lanczos`)",
            _ => continue,
        };
        return Err(StageError::Failed(format!(
            "`debye_control` needs every mode of the glass, but the upstream spectrum stage \
             `{}` gave {what} for sample `{}`; give that stage `solver: dense`, or add a \
             second spectrum stage with `solver: debye` for the control, or set \
             `debye_control: false`",
            s.stage, s.name
        )));
    }
    Ok(())
}

/// ω_D of the debye control at temperature `t`: the mean over `chosen` of the
/// elastic Debye frequency the spectrum stage wrote (`debye.frequency_thz` of
/// sample.json, the ω_D of its boson-peak Debye level), so the control is the
/// paper's "Debye model with the same Debye frequency". Without one, 5⟨ω²⟩/3
/// of `modes` with a warning; `None` when `modes` has no non-zero mode either.
pub(super) fn debye_frequency(
    t: f64,
    chosen: &[&Sample],
    modes: &Modes,
    warnings: &mut Vec<String>,
) -> Option<DebyeFrequency> {
    let elastic: Vec<f64> = chosen.iter().filter_map(|s| s.debye_omega).collect();
    let missing: Vec<&str> = chosen
        .iter()
        .filter(|s| s.debye_omega.is_none())
        .map(|s| s.name.as_str())
        .collect();
    let (source, omega) = if elastic.is_empty() {
        let omega = second_moment_debye_omega(modes)?;
        warnings.push(format!(
            "T = {t} K: no sample.json gives `debye.frequency_thz` (samples {}); the debye \
             control uses ω_D from 5<ω²>/3 of the modes ({:.4} THz), not the elastic Debye \
             frequency of the spectrum stage",
            missing.join(", "),
            omega * THZ_PER_OMEGA_UNIT
        ));
        ("5<ω²>/3 of the modes", omega)
    } else {
        if !missing.is_empty() {
            warnings.push(format!(
                "T = {t} K: samples {} give no `debye.frequency_thz`; the debye control's ω_D \
                 is the mean of the other {}",
                missing.join(", "),
                elastic.len()
            ));
        }
        (
            "spectrum stage (elastic)",
            elastic.iter().sum::<f64>() / elastic.len() as f64,
        )
    };
    Some(DebyeFrequency {
        temperature_k: t,
        source,
        frequency_thz: omega * THZ_PER_OMEGA_UNIT,
        omega_sqrt_ev_per_a2_amu: omega,
        samples: elastic.len(),
    })
}
