//! The `stretched-exp` memory kernel of the paper, ν(t) = ν0 exp(−r t^b)
//! (paper Appendix A; docs/theory.md Eq. (38)), with memory time
//! τ_m = r^{−1/b}, so ν(t) = ν0 exp(−(t/τ_m)^b).
//!
//! With t = τ_m u, ν̃(ω) = ν0 τ_m [c_b(ωτ_m) − i s_b(ωτ_m)], where c_b, s_b are the
//! one-sided cosine and sine transforms of exp(−u^b) from `nonaffine-kww`
//! (relative error ≤ 1e-10 for b ∈ [0.1, 2]); so ν1 = ν0 τ_m c_b, ν2 = ν0 τ_m s_b.
//!
//! Units: ν0 in 1/time², r in time^{−b}, ω in rad/time, the model's time unit.
//! The paper's fits: ν0 = 0.137 and (b, r) = (0.72, 1.2e-6), (0.58, 7e-6),
//! (0.58, 3.4e-6) at 670, 603 and 536 K.

use nonaffine_core::{
    fit_values, FitRole, FitScale, KernelParameter, MemoryKernel, ParamError, ParamKind, ParamSpec,
    Params, PluginError, PluginInfo,
};
use num_complex::Complex64;

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "stretched-exp",
    version: "1",
    doc: "Stretched-exponential memory nu(t) = nu0 exp(-r t^b) (the paper's kernel, memory time \
          tau_m = r^(-1/b)); nu~ = nu0 tau_m [c_b(omega tau_m) - i s_b(omega tau_m)] by the \
          full-precision KWW transform.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "nu0",
        kind: ParamKind::Number,
        unit: "1/time^2",
        default: None,
        doc: "kernel amplitude nu(0) (>= 0), in inverse squared time units (paper: 0.137)",
    },
    ParamSpec {
        name: "b",
        kind: ParamKind::Number,
        unit: "",
        default: None,
        doc: "stretching exponent b in [0.1, 2] (paper: 0.58-0.72)",
    },
    ParamSpec {
        name: "r",
        kind: ParamKind::Number,
        unit: "time^-b",
        default: None,
        doc: "rate r (> 0) in time^-b; the memory time is tau_m = r^(-1/b)",
    },
];

/// The stretched-exponential kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StretchedExp {
    /// ν(0) in 1/time².
    pub nu0: f64,
    /// Stretching exponent b.
    pub b: f64,
    /// Rate r in time^{−b}.
    pub r: f64,
    /// Memory time τ_m = r^{−1/b} in time units.
    pub tau_m: f64,
}

/// Builds the kernel from `nu0` (≥ 0), `b` (in [0.1, 2]) and `r` (> 0).
pub fn build(params: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
    let nu0 = params.number("nu0")?;
    if nu0 < 0.0 {
        return Err(
            ParamError::new(params.path("nu0"), format!("must be ≥ 0, found {nu0}")).into(),
        );
    }
    let b = params.number("b")?;
    if !(b > 0.0 && b <= 2.0) {
        return Err(
            ParamError::new(params.path("b"), format!("must be in (0, 2], found {b}")).into(),
        );
    }
    if b < nonaffine_kww::BETA_MIN {
        return Err(ParamError::new(
            params.path("b"),
            format!("b = {b} is below 0.1, where the transform's accuracy is not established; use b ≥ 0.1"),
        )
        .into());
    }
    let r = params.positive("r")?;
    let tau_m = r.powf(-1.0 / b);
    if !(tau_m.is_finite() && tau_m > 0.0) {
        return Err(ParamError::new(
            params.path("r"),
            format!("memory time r^(-1/b) = {tau_m} is not a finite positive number"),
        )
        .into());
    }
    Ok(Box::new(StretchedExp { nu0, b, r, tau_m }))
}

impl MemoryKernel for StretchedExp {
    fn name(&self) -> &str {
        INFO.name
    }
    fn nu_time(&self, t: f64) -> f64 {
        self.nu0 * (-self.r * t.abs().powf(self.b)).exp()
    }
    fn nu_freq(&self, omega: f64) -> Complex64 {
        match nonaffine_kww::kww(self.b, omega * self.tau_m) {
            Ok((c, s)) => self.nu0 * self.tau_m * Complex64::new(c, -s),
            Err(_) => Complex64::new(f64::NAN, f64::NAN), // only for NaN ω; b was checked
        }
    }
    fn memory_time(&self) -> Option<f64> {
        Some(self.tau_m)
    }
    fn parameters(&self) -> Vec<(String, f64, String)> {
        vec![
            ("nu0".into(), self.nu0, "1/time^2".into()),
            ("b".into(), self.b, "".into()),
            ("r".into(), self.r, "time^-b".into()),
            ("tau_m".into(), self.tau_m, "time".into()),
        ]
    }
    /// ν0 and b free (b linear in [0.1, 2], multi-start over 0.35–0.85 around
    /// the paper's 0.55–0.72); r the time scale (degenerate with a
    /// calibration's time shift).
    fn fit_parameters(&self) -> Vec<KernelParameter> {
        vec![
            KernelParameter::amplitude("nu0", self.nu0, "1/time^2"),
            KernelParameter {
                name: "b".into(),
                value: self.b,
                unit: String::new(),
                lower: nonaffine_kww::BETA_MIN,
                upper: 2.0,
                scale: FitScale::Linear,
                role: FitRole::Free,
                grid: vec![0.35, 0.5, 0.65, 0.85],
            },
            KernelParameter::held("r", self.r, "time^-b", FitRole::TimeScale),
        ]
    }
    fn with_values(&self, values: &[f64]) -> Result<Box<dyn MemoryKernel>, PluginError> {
        let [nu0, b, r] = fit_values(INFO.name, values)?;
        build(&Params::from_numbers(
            "fit",
            &[("nu0", nu0), ("b", b), ("r", r)],
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nonaffine_core::summary::round_sig;

    #[test]
    fn b_one_equals_the_exponential_kernel() {
        // b = 1: ν0 exp(−r t) is the exponential kernel with τ = 1/r.
        let s = build(&Params::from_pairs("k", "nu0=0.3,b=1,r=4").unwrap()).unwrap();
        let e = kernel_exponential::build(&Params::from_pairs("k", "nu0=0.3,tau=0.25").unwrap())
            .unwrap();
        for i in -30..=30 {
            let w = 10f64.powf(f64::from(i) / 5.0);
            let (a, b) = (s.nu_freq(w), e.nu_freq(w));
            assert!((a - b).norm() <= 1e-13 * b.norm(), "ω={w}: {a} vs {b}");
        }
        assert_eq!(s.memory_time(), Some(0.25));
    }

    #[test]
    fn paper_kernel_memory_time_and_snapshot() {
        let k = build(&Params::from_pairs("k", "nu0=0.137,b=0.72,r=1.2e-6").unwrap()).unwrap();
        let tau = k.memory_time().unwrap();
        assert!((tau / 1.67e8 - 1.0).abs() < 0.01, "{tau}"); // paper: τ_m ≈ 1.67e8
                                                             // ν̃(0) = ν0 τ_m Γ(1 + 1/b).
        let z0 = k.nu_freq(0.0);
        assert!((z0.re / (0.137 * tau * libm_gamma(1.0 + 1.0 / 0.72)) - 1.0).abs() < 1e-12);
        let table: Vec<(f64, f64, f64)> = [1e-10, 1e-9, 1e-8, 1e-7, 1e-6]
            .iter()
            .map(|&w| {
                (
                    w,
                    round_sig(k.nu_freq(w).re, 10),
                    round_sig(-k.nu_freq(w).im, 10),
                )
            })
            .collect();
        insta::assert_yaml_snapshot!(table);
    }

    fn libm_gamma(x: f64) -> f64 {
        // Lanczos approximation (g = 7, 9 terms), ~1e-15 for x ≥ 1/2; independent of
        // the libm tgamma that nonaffine-kww uses.
        const G: [f64; 9] = [
            0.999_999_999_999_809_9,
            676.520_368_121_885_1,
            -1_259.139_216_722_402_8,
            771.323_428_777_653_1,
            -176.615_029_162_140_6,
            12.507_343_278_686_905,
            -0.138_571_095_265_720_12,
            9.984_369_578_019_572e-6,
            1.505_632_735_149_311_6e-7,
        ];
        let x = x - 1.0;
        let mut a = G[0];
        let t = x + 7.5;
        for (i, g) in G.iter().enumerate().skip(1) {
            a += g / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
    }

    /// ν0 and b free (b linear, bounds of the transform), r held as the time
    /// scale; with_values rebuilds through the factory's checks.
    #[test]
    fn fit_parameters_rebuild_the_kernel() {
        use nonaffine_core::{FitRole, FitScale};
        let k = build(&Params::from_pairs("k", "nu0=0.137,b=0.72,r=1.2e-6").unwrap()).unwrap();
        let fit = k.fit_parameters();
        let roles: Vec<(&str, f64, FitRole)> = fit
            .iter()
            .map(|p| (p.name.as_str(), p.value, p.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("nu0", 0.137, FitRole::Free),
                ("b", 0.72, FitRole::Free),
                ("r", 1.2e-6, FitRole::TimeScale)
            ]
        );
        assert_eq!(
            (fit[1].scale, fit[1].lower, fit[1].upper),
            (FitScale::Linear, 0.1, 2.0)
        );
        let values: Vec<f64> = fit.iter().map(|p| p.value).collect();
        let same = k.with_values(&values).unwrap();
        assert_eq!(same.nu_freq(1e-8), k.nu_freq(1e-8));
        let e = k
            .with_values(&[0.137, 2.5, 1.2e-6])
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("fit.b"), "{e}");
    }

    #[test]
    fn bad_parameters_name_their_key() {
        for (text, key) in [
            ("nu0=-1,b=0.5,r=1", "p.nu0"),
            ("nu0=1,b=2.5,r=1", "p.b"),
            ("nu0=1,b=0,r=1", "p.b"),
            ("nu0=1,b=0.05,r=1", "p.b"),
            ("nu0=1,b=0.5,r=0", "p.r"),
            ("nu0=1,b=0.5", "p.r"),
        ] {
            let e = build(&Params::from_pairs("p", text).unwrap())
                .err()
                .unwrap()
                .to_string();
            assert!(e.starts_with(key), "{text}: {e}");
        }
    }
}
