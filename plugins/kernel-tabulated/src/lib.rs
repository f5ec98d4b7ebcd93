//! The `tabulated` memory kernel: ν(t) from a user's CSV file of `t,nu` rows
//! (docs/theory.md Eq. (39)).
//!
//! Transform: ν(t) is taken as piecewise linear between the samples, and each
//! piece is integrated against e^{−iωt} exactly (Filon-type: no error from the
//! oscillation, whatever ω), so ν̃ is the exact transform of the interpolant.
//! Beyond the last sample t_N the table is continued by an explicit tail model,
//! `tail = exponential` (default): ν_N e^{−(t − t_N)/τ_tail} with τ_tail from the
//! log-slope of the last two samples, contributing ν_N e^{−iωt_N} τ_tail/(1 + iωτ_tail);
//! or `tail = none`: ν = 0 beyond t_N. Before the first sample (t_0 > 0) ν is held
//! at ν_0.
//!
//! A table is *too short* when |ν_N| > `tail_tolerance` × max|ν|: with `tail = none`
//! that is an error (the truncation would bias ν̃ at low ω); with the exponential
//! tail it is accepted only if the last two samples decay (so τ_tail exists), and
//! the tail's share of ν̃(0) is reported as the parameter `tail_fraction_at_zero`.
//!
//! Units: t in the model's time unit, ν in 1/time².

use nonaffine_core::{
    MemoryKernel, ParamError, ParamKind, ParamSpec, Params, PluginError, PluginInfo,
};
use num_complex::Complex64;
use std::path::Path;

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "tabulated",
    version: "1",
    doc: "Memory kernel nu(t) from a CSV file of t,nu rows; transformed exactly for the \
          piecewise-linear interpolant plus an explicit exponential tail, and refused when \
          the table is too short for the tail model.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "file",
        kind: ParamKind::Path,
        unit: "",
        default: None,
        doc: "CSV with columns t (time) and nu (1/time^2), t strictly increasing and >= 0; \
              an optional header line; '#' starts a comment",
    },
    ParamSpec {
        name: "tail",
        kind: ParamKind::Text,
        unit: "",
        default: Some("exponential"),
        doc:
            "continuation beyond the last sample: exponential (fitted to the last two rows) or none",
    },
    ParamSpec {
        name: "tail_tolerance",
        kind: ParamKind::Number,
        unit: "",
        default: Some("1e-3"),
        doc: "|nu| at the last t above this fraction of max|nu| means the table is too short",
    },
    ParamSpec {
        name: "allow_negative",
        kind: ParamKind::Bool,
        unit: "",
        default: Some("false"),
        doc: "accept rows with nu < 0 (a kernel that changes sign, e.g. measured with negative \
              lobes); the count is reported as the parameter negative_rows. Off: such a row is \
              an error naming the file and line",
    },
];

/// How the table is continued beyond its last sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tail {
    /// ν = 0 beyond the last sample.
    None,
    /// ν_N e^{−(t − t_N)/τ} with this τ (time units).
    Exponential(f64),
}

/// A tabulated kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct Tabulated {
    t: Vec<f64>,
    nu: Vec<f64>,
    tail: Tail,
    /// Rows with ν < 0 (only non-zero with `allow_negative: true`).
    negative_rows: usize,
}

/// Builds the kernel from `file`, `tail` and `tail_tolerance`.
pub fn build(params: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
    let path = params.path_value("file")?;
    let key = params.path("file");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ParamError::new(&key, format!("cannot read {}: {e}", path.display())))?;
    let allow_negative = params.bool_or("allow_negative", false)?;
    let (t, nu) =
        parse_table(&text, &path, allow_negative).map_err(|m| ParamError::new(&key, m))?;
    let negative_rows = nu.iter().filter(|&&v| v < 0.0).count();
    let tolerance = params.positive_or("tail_tolerance", 1e-3)?;
    let tail_kind = params.text_or("tail", "exponential")?;
    let n = t.len() - 1;
    let peak = nu.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let too_short = nu[n].abs() > tolerance * peak;
    let tail = match tail_kind {
        "none" => {
            if too_short {
                return Err(ParamError::new(
                    &key,
                    format!(
                        "{}: table too short: nu at the last t = {} is {:.3e}, {:.2e} of max|nu| \
                         (> tail_tolerance {tolerance:e}); extend the table or set tail: exponential",
                        path.display(),
                        t[n],
                        nu[n],
                        nu[n].abs() / peak
                    ),
                )
                .into());
            }
            Tail::None
        }
        "exponential" => {
            let (a, b) = (nu[n - 1], nu[n]);
            if a > 0.0 && b > 0.0 && b < a {
                Tail::Exponential((t[n] - t[n - 1]) / (a / b).ln())
            } else if !too_short {
                Tail::None
            } else {
                return Err(ParamError::new(
                    &key,
                    format!(
                        "{}: table too short: nu at the last t = {} is {:.3e}, {:.2e} of max|nu|, and \
                         the last two rows do not decay, so no exponential tail can be fitted; \
                         extend the table",
                        path.display(),
                        t[n],
                        nu[n],
                        nu[n].abs() / peak
                    ),
                )
                .into());
            }
        }
        other => {
            return Err(ParamError::new(
                params.path("tail"),
                format!("unknown tail model `{other}`; use exponential or none"),
            )
            .into())
        }
    };
    Ok(Box::new(Tabulated {
        t,
        nu,
        tail,
        negative_rows,
    }))
}

/// Parses `t,nu` rows (exactly two columns; ν ≥ 0 unless `allow_negative`); errors
/// name the file and 1-based line.
fn parse_table(
    text: &str,
    path: &Path,
    allow_negative: bool,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let (mut t, mut nu) = (Vec::new(), Vec::new());
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split([',', ' ', '\t', ';'])
            .filter(|f| !f.is_empty())
            .collect();
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if t.is_empty() && parsed.iter().all(Option::is_none) {
            continue; // header
        }
        let at = || format!("{}:{line_no}", path.display());
        if fields.len() != 2 {
            return Err(format!(
                "{}: expected two columns t,nu, found {} in `{line}`; every row must be t,nu",
                at(),
                fields.len()
            ));
        }
        let (Some(tv), Some(nv)) = (parsed[0], parsed[1]) else {
            return Err(format!("{}: `{line}` is not two numbers t,nu", at()));
        };
        if !tv.is_finite() || !nv.is_finite() {
            return Err(format!(
                "{}: t and nu must be finite numbers, found `{line}`",
                at()
            ));
        }
        if tv < 0.0 {
            return Err(format!("{}: t = {tv} is negative; times start at 0", at()));
        }
        if nv < 0.0 && !allow_negative {
            return Err(format!(
                "{}: nu = {nv} is negative; a friction kernel is expected to be >= 0 (check the \
                 sign and the columns), or set allow_negative: true to use a kernel that changes sign",
                at()
            ));
        }
        if let Some(&last) = t.last() {
            if tv <= last {
                return Err(format!("{}: t = {tv} does not increase (previous t = {last}); sort the table and remove duplicates", at()));
            }
        }
        t.push(tv);
        nu.push(nv);
    }
    if t.len() < 2 {
        return Err(format!(
            "{}: needs at least two rows t,nu, found {}",
            path.display(),
            t.len()
        ));
    }
    Ok((t, nu))
}

impl Tabulated {
    /// ∫₀^∞ ν(t) e^{−iωt} dt of the interpolant and tail, exactly.
    fn transform(&self, omega: f64) -> Complex64 {
        let mut sum = Complex64::new(0.0, 0.0);
        // [0, t_0]: held at ν_0.
        if self.t[0] > 0.0 {
            sum += self.nu[0] * self.t[0] * phi0(omega * self.t[0]);
        }
        for i in 0..self.t.len() - 1 {
            let (ta, tb) = (self.t[i], self.t[i + 1]);
            let h = tb - ta;
            let th = omega * h;
            let phase = Complex64::from_polar(1.0, -omega * ta);
            let (fa, fb) = (self.nu[i], self.nu[i + 1]);
            sum += phase * h * (fa * phi0(th) + (fb - fa) * phi1(th));
        }
        if let Tail::Exponential(tau) = self.tail {
            let n = self.t.len() - 1;
            let phase = Complex64::from_polar(1.0, -omega * self.t[n]);
            sum += phase * self.nu[n] * tau / Complex64::new(1.0, omega * tau);
        }
        sum
    }
}

/// φ0(θ) = ∫₀¹ e^{−iθy} dy, by its Taylor series for |θ| < 1/2 (no cancellation).
fn phi0(th: f64) -> Complex64 {
    if th.abs() < 0.5 {
        taylor(th, 1.0)
    } else {
        (Complex64::new(1.0, 0.0) - Complex64::from_polar(1.0, -th)) / Complex64::new(0.0, th)
    }
}

/// φ1(θ) = ∫₀¹ y e^{−iθy} dy = (φ0(θ) − e^{−iθ})/(iθ).
fn phi1(th: f64) -> Complex64 {
    if th.abs() < 0.5 {
        taylor(th, 2.0)
    } else {
        (phi0(th) - Complex64::from_polar(1.0, -th)) / Complex64::new(0.0, th)
    }
}

/// Σ_n (−iθ)^n / (n! (n + m)) for m = 1 (φ0) or 2 (φ1).
fn taylor(th: f64, m: f64) -> Complex64 {
    let mut term = Complex64::new(1.0, 0.0);
    let mut sum = Complex64::new(0.0, 0.0);
    for n in 0..24 {
        let nf = f64::from(n);
        sum += term / (nf + m);
        term *= Complex64::new(0.0, -th) / (nf + 1.0);
    }
    sum
}

impl MemoryKernel for Tabulated {
    fn name(&self) -> &str {
        INFO.name
    }
    fn nu_time(&self, t: f64) -> f64 {
        let n = self.t.len() - 1;
        if t <= self.t[0] {
            return self.nu[0];
        }
        if t >= self.t[n] {
            return match self.tail {
                Tail::None => 0.0,
                Tail::Exponential(tau) => self.nu[n] * (-(t - self.t[n]) / tau).exp(),
            };
        }
        let i = self.t.partition_point(|&x| x <= t) - 1;
        let f = (t - self.t[i]) / (self.t[i + 1] - self.t[i]);
        self.nu[i] + f * (self.nu[i + 1] - self.nu[i])
    }
    fn nu_freq(&self, omega: f64) -> Complex64 {
        self.transform(omega)
    }
    /// ∫ν dt / ν(0): the integral memory time.
    fn memory_time(&self) -> Option<f64> {
        let tau = self.transform(0.0).re / self.nu[0];
        (tau.is_finite() && tau > 0.0).then_some(tau)
    }
    fn parameters(&self) -> Vec<(String, f64, String)> {
        let n = self.t.len() - 1;
        let total = self.transform(0.0).re;
        let tail = match self.tail {
            Tail::None => 0.0,
            Tail::Exponential(tau) => self.nu[n] * tau,
        };
        vec![
            ("rows".into(), (n + 1) as f64, "".into()),
            ("t_last".into(), self.t[n], "time".into()),
            ("nu_last".into(), self.nu[n], "1/time^2".into()),
            (
                "tail_tau".into(),
                match self.tail {
                    Tail::None => 0.0,
                    Tail::Exponential(tau) => tau,
                },
                "time".into(),
            ),
            (
                "tail_fraction_at_zero".into(),
                if total != 0.0 { tail / total } else { 0.0 },
                "".into(),
            ),
            ("negative_rows".into(), self.negative_rows as f64, "".into()),
        ]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nonaffine_core::summary::round_sig;
    use std::io::Write;

    fn table_file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn params(file: &Path, extra: &str) -> Params {
        let mut p = Params::from_pairs("stages.kernel.params", extra).unwrap();
        p.set(
            "file",
            nonaffine_core::ParamValue::Text(file.display().to_string()),
        );
        p
    }

    /// ν0 e^{−t/τ} sampled every dt up to t_max.
    fn sampled_exponential(nu0: f64, tau: f64, dt: f64, t_max: f64) -> String {
        let mut s = String::from("t,nu\n");
        let n = (t_max / dt).round() as usize;
        for i in 0..=n {
            let t = i as f64 * dt;
            s.push_str(&format!("{t},{}\n", nu0 * (-t / tau).exp()));
        }
        s
    }

    #[test]
    fn sampled_exponential_matches_the_closed_form() {
        // Piecewise-linear interpolation of e^{−t/τ} with step dt has error
        // ≈ dt²/(8τ²) of ν locally; with dt = τ/200 the transform is within 1e-5
        // relative of ν0τ/(1 + iωτ) for ωτ up to ~10 (relative to |ν̃(0)| beyond).
        let f = table_file(&sampled_exponential(2.0, 0.5, 0.0025, 10.0));
        let k = build(&params(f.path(), "")).unwrap();
        let exact =
            kernel_exponential::build(&Params::from_pairs("e", "nu0=2,tau=0.5").unwrap()).unwrap();
        for i in -20..=10 {
            let w = 2.0 * 10f64.powf(f64::from(i) / 10.0);
            let (a, b) = (k.nu_freq(w), exact.nu_freq(w));
            assert!((a - b).norm() <= 1e-5 * b.norm(), "ω={w}: {a} vs {b}");
        }
        // A short table (to 2τ, ν_last/ν0 = e^{-2}) is continued by the exponential tail,
        // which here is exact up to interpolation error.
        let f = table_file(&sampled_exponential(2.0, 0.5, 0.0025, 1.0));
        let k = build(&params(f.path(), "")).unwrap();
        for w in [0.0, 0.1, 1.0, 10.0] {
            let (a, b) = (k.nu_freq(w), exact.nu_freq(w));
            assert!((a - b).norm() <= 1e-5 * b.norm(), "ω={w}: {a} vs {b}");
        }
        let frac = k
            .parameters()
            .iter()
            .find(|p| p.0 == "tail_fraction_at_zero")
            .unwrap()
            .1;
        assert!((frac - (-2.0f64).exp()).abs() < 1e-4, "{frac}");
        // Time domain: interpolation and tail.
        assert!((k.nu_time(0.3) - 2.0 * (-0.6f64).exp()).abs() < 1e-5);
        assert!((k.nu_time(3.0) - 2.0 * (-6.0f64).exp()).abs() < 1e-8);
    }

    #[test]
    fn too_short_table_is_reported() {
        let f = table_file(&sampled_exponential(2.0, 0.5, 0.01, 1.0));
        let e = build(&params(f.path(), "tail=none"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("table too short") && e.contains("stages.kernel.params.file"),
            "{e}"
        );
        let f = table_file("t,nu\n0,1\n1,0.5\n2,0.6\n");
        let e = build(&params(f.path(), "")).err().unwrap().to_string();
        assert!(
            e.contains("table too short") && e.contains("do not decay"),
            "{e}"
        );
    }

    #[test]
    fn bad_tables_name_file_and_line() {
        for (text, want) in [
            (
                "t,nu\n0,1\n0.5,0.5\n0.5,0.2\n",
                ":4: t = 0.5 does not increase",
            ),
            ("t,nu\n0,1\n1,NaN\n", ":3: t and nu must be finite"),
            ("t,nu\n0,1\n1,x\n", ":3: `1,x` is not two numbers"),
            ("0,1\n", "needs at least two rows"),
            (
                "t,nu\n0,1\n1,0.5,0.2\n2,0.1\n",
                ":3: expected two columns t,nu, found 3",
            ),
            ("t,nu\n0,1\n1\n", ":3: expected two columns t,nu, found 1"),
            ("t,nu\n0,1\n1,-0.2\n2,0.01\n", ":3: nu = -0.2 is negative"),
        ] {
            let f = table_file(text);
            let e = build(&params(f.path(), "")).err().unwrap().to_string();
            assert!(
                e.contains(want) && e.contains(&f.path().display().to_string()),
                "{text:?}: {e}"
            );
        }
        let mut p = Params::from_pairs("k", "").unwrap();
        p.set(
            "file",
            nonaffine_core::ParamValue::Text("/nonexistent/nu.csv".into()),
        );
        let e = build(&p).err().unwrap().to_string();
        assert!(
            e.starts_with("k.file: cannot read /nonexistent/nu.csv"),
            "{e}"
        );
    }

    #[test]
    fn negative_nu_is_used_only_when_allowed_and_reported() {
        // ν: 2 → 0 on [0, 1], 0 → −1 → 0 on [1, 3]: ν̃(0) = ∫ν dt = 1 − 1 = 0 exactly.
        let f = table_file("t,nu\n0,2\n1,0\n2,-1\n3,0\n");
        let e = build(&params(f.path(), "tail=none"))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(":4: nu = -1 is negative"), "{e}");
        let k = build(&params(f.path(), "tail=none,allow_negative=true")).unwrap();
        assert!(k.nu_freq(0.0).norm() < 1e-15, "{}", k.nu_freq(0.0));
        let negative = k
            .parameters()
            .iter()
            .find(|p| p.0 == "negative_rows")
            .unwrap()
            .1;
        assert_eq!(negative, 1.0);
    }

    #[test]
    fn snapshot_of_a_small_table() {
        let f = table_file("# nu(t), arbitrary units\nt,nu\n0,1\n0.5,0.6\n1,0.3\n2,0.1\n4,0.01\n");
        let k = build(&params(f.path(), "")).unwrap();
        // No parametric family: a calibration fits the table's amplitude and
        // the time shift.
        assert!(k.fit_parameters().is_empty() && k.with_values(&[1.0]).is_err());
        let table: Vec<(f64, f64, f64)> = [0.0, 0.1, 1.0, 10.0]
            .iter()
            .map(|&w| {
                (
                    w,
                    round_sig(k.nu_freq(w).re, 10),
                    round_sig(-k.nu_freq(w).im, 10) + 0.0,
                )
            })
            .collect();
        insta::assert_yaml_snapshot!(table);
    }
}
