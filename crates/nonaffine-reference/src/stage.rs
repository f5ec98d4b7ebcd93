//! The `reference` stage: Kohlrausch fits → E'(ω), E''(ω) tables and loss peaks.

use crate::outputs::{seconds_per_unit, ReferenceOutput, FORMAT, TIME_UNITS};
use crate::{fit_kohlrausch, read_relaxation_csv, Kohlrausch, ReferenceError, ReferenceSet};
use nonaffine_core::{
    InputSpec, ParamError, ParamKind, ParamSpec, Params, PluginInfo, Registry, Stage, StageContext,
    StageError, Summary,
};
use nonaffine_numerics::log_grid;
use std::fmt::Write as _;

/// Registry entry of the stage.
pub const INFO: PluginInfo = PluginInfo {
    name: "reference",
    version: "2",
    doc: "Kohlrausch reference moduli (paper Eqs. 8-9): from a YAML set of fits (e.g. \
          vendor/reference/cu50zr50-kohlrausch.yaml) or a raw time,stress CSV fitted by \
          Levenberg-Marquardt, writes reference.csv (temperature_k, omega, storage, loss) with \
          reference.json (its time unit in seconds and temperatures, for downstream stages) and \
          reports loss-peak positions and alpha-wing slopes.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "file", kind: ParamKind::Path, unit: "", default: None, doc: "YAML set of Kohlrausch fits (.yaml/.yml) or a CSV of time,stress relaxation data (.csv)" },
    ParamSpec { name: "omega_min", kind: ParamKind::Number, unit: "rad/time", default: Some("1e-4"), doc: "lowest angular frequency, in rad per the data's time unit" },
    ParamSpec { name: "omega_max", kind: ParamKind::Number, unit: "rad/time", default: Some("1e2"), doc: "highest angular frequency, in rad per the data's time unit" },
    ParamSpec { name: "points", kind: ParamKind::Integer, unit: "", default: Some("61"), doc: "number of log-spaced frequencies (>= 2)" },
    ParamSpec { name: "time_unit", kind: ParamKind::Text, unit: "", default: Some("s"), doc: "CSV input only: the time unit of the time column: fs, ps, ns, us, ms, s, min, h or d" },
    ParamSpec { name: "temperature_k", kind: ParamKind::Number, unit: "K", default: Some("0"), doc: "CSV input only: temperature of the measurement, in K (0 = not given)" },
    ParamSpec { name: "strain", kind: ParamKind::Number, unit: "", default: Some("1"), doc: "CSV input only: applied strain eps0, so moduli are stress/eps0" },
    ParamSpec { name: "fit_sigma_inf", kind: ParamKind::Bool, unit: "", default: Some("false"), doc: "CSV input only: also fit a relaxed stress sigma_inf (else 0, as in the paper)" },
];

/// The frequency grid (ω_min, ω_max in rad per the data's time unit; points).
fn grid(p: &Params) -> Result<(f64, f64, usize), StageError> {
    let omega_min = p.positive_or("omega_min", 1e-4)?;
    let omega_max = p.positive_or("omega_max", 1e2)?;
    let points = p.count_or("points", 61)? as usize;
    if points < 2 || omega_max <= omega_min {
        return Err(ParamError::new(
            p.path("points"),
            "need points ≥ 2 and omega_max > omega_min",
        )
        .into());
    }
    Ok((omega_min, omega_max, points))
}

/// The `reference` stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReferenceStage;

impl Stage for ReferenceStage {
    fn info(&self) -> PluginInfo {
        INFO
    }

    /// The reference is read from its data file: no upstream stage.
    fn inputs(&self) -> Option<&'static [InputSpec]> {
        Some(&[])
    }

    fn check(&self, params: &Params, _: &Registry) -> Result<(), StageError> {
        params.check_known(PARAMS)?;
        grid(params)?;
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>) -> Result<Summary, StageError> {
        let p = ctx.params;
        p.check_known(PARAMS)?;
        let file = p.path_value("file")?;
        let file_error =
            |e: ReferenceError| StageError::Param(ParamError::new(p.path("file"), e.to_string()));
        let (omega_min, omega_max, points) = grid(p)?;
        let is_yaml = matches!(
            file.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        // (temperature K, label, model, fit summary)
        let mut models: Vec<(f64, String, Kohlrausch, Option<Summary>)> = Vec::new();
        let mut source = String::new();
        if is_yaml {
            let set = ReferenceSet::load(&file).map_err(file_error)?;
            source = set.source.clone();
            for (i, f) in set.fits.iter().enumerate() {
                models.push((
                    f.temperature_k,
                    f.label.clone(),
                    set.kohlrausch(i).map_err(file_error)?,
                    None,
                ));
            }
        } else {
            let (t, s) = read_relaxation_csv(&file).map_err(file_error)?;
            let strain = p.positive_or("strain", 1.0)?;
            let fit = fit_kohlrausch(&t, &s, p.bool_or("fit_sigma_inf", false)?)
                .map_err(|e| StageError::Failed(format!("{}: {e}", file.display())))?;
            let unit = p.text_or("time_unit", "s")?;
            let model = Kohlrausch::new(
                fit.sigma0 / strain,
                fit.tau,
                unit,
                fit.beta,
                fit.sigma_inf / strain,
            )
            .map_err(file_error)?;
            let mut fs = Summary::new();
            fs.float("sigma0", fit.sigma0, 6)
                .float("sigma0_std_error", fit.std_errors[0], 3)
                .float("tau_std_error", fit.std_errors[1], 3)
                .float("beta_std_error", fit.std_errors[2], 3)
                .float("sigma_inf", fit.sigma_inf, 6)
                .float("sigma_inf_std_error", fit.std_errors[3], 3)
                .int("points", fit.points as i64);
            models.push((
                p.number_or("temperature_k", 0.0)?,
                String::new(),
                model,
                Some(fs),
            ));
        }

        // One time unit for the table, in seconds for downstream stages.
        let time_unit = models
            .first()
            .map(|m| m.2.time_unit.clone())
            .unwrap_or_else(|| "s".into());
        let time_unit_s = seconds_per_unit(&time_unit).ok_or_else(|| {
            let key = if is_yaml { "file" } else { "time_unit" };
            ParamError::new(
                p.path(key),
                format!("unknown time unit `{time_unit}`; use one of {TIME_UNITS}"),
            )
        })?;
        let mut csv = String::from("temperature_k,omega_rad_per_time_unit,storage,loss\n");
        let mut summary = Summary::new();
        summary
            .text("file", &file.display().to_string())
            .text("source", &source);
        for (temperature, label, model, fit) in &models {
            for w in log_grid(omega_min, omega_max, points) {
                let (e1, e2) = model
                    .moduli(w)
                    .map_err(|e| StageError::Failed(e.to_string()))?;
                let _ = writeln!(csv, "{temperature},{w:.10e},{e1:.12e},{e2:.12e}");
            }
            let peak = model
                .loss_peak()
                .map_err(|e| StageError::Failed(e.to_string()))?;
            let (low, high) = model
                .wing_slopes()
                .map_err(|e| StageError::Failed(e.to_string()))?;
            let mut t = fit.clone().unwrap_or_default();
            t.text("label", label)
                .text("time_unit", &model.time_unit)
                .float("beta", model.beta, 6)
                .float("tau", model.tau, 6)
                .float("loss_peak_omega_rad_per_time_unit", peak.omega, 6)
                .float("loss_peak_height", peak.loss, 6)
                .float("wing_slope_low", low, 4)
                .float("wing_slope_high", high, 4);
            summary.nested(&format!("T_{temperature}K"), t);
        }
        summary
            .int("temperatures", models.len() as i64)
            .int("points", points as i64);
        let table = "reference.csv";
        let out = ctx.out_dir.join(table);
        std::fs::write(&out, csv).map_err(|e| StageError::io(&out, e))?;
        ReferenceOutput {
            format: FORMAT,
            time_unit,
            time_unit_s,
            temperatures_k: models.iter().map(|m| m.0).collect(),
            table: table.into(),
        }
        .write(ctx.out_dir)?;
        Ok(summary)
    }
}
