//! The `prony` memory kernel: a sum of exponentials (a Prony series),
//! ν(t) = Σ_k a_k e^{−t/τ_k} (docs/theory.md Eq. (64)), transformed exactly:
//! ν̃(ω) = ∫₀^∞ ν(t) e^{−iωt} dt = Σ_k a_k τ_k / (1 + iωτ_k), i.e.
//! ν1 = Σ a_k τ_k/(1 + ω²τ_k²), ν2 = Σ a_k ωτ_k²/(1 + ω²τ_k²).
//!
//! For a calibration the amplitudes a_k are free and the relaxation times held:
//! τ_1 is the kernel's time scale (degenerate with the time shift), the other
//! τ_k fix the shape as ratios τ_k/τ_1 — the usual Prony fit on a fixed grid of
//! times, linear in the weights.
//!
//! Units: a_k in 1/time², τ_k in time, ω in rad/time, the model's time unit.

use nonaffine_core::{
    FitRole, KernelParameter, MemoryKernel, ParamError, ParamKind, ParamSpec, ParamValue, Params,
    PluginError, PluginInfo,
};
use num_complex::Complex64;
use std::collections::BTreeMap;

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "prony",
    version: "1",
    doc: "Sum of exponentials (Prony series) nu(t) = sum_k a_k exp(-t/tau_k): \
          nu~(omega) = sum_k a_k tau_k/(1 + i omega tau_k), exact. A calibration fits the \
          amplitudes a_k; tau_1 is held as the time scale, the other tau_k as the shape.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "a",
        kind: ParamKind::NumberList,
        unit: "1/time^2",
        default: None,
        doc: "amplitudes a_k (>= 0), one per term, in inverse squared time units; nu(0) = sum a_k",
    },
    ParamSpec {
        name: "tau",
        kind: ParamKind::NumberList,
        unit: "time",
        default: None,
        doc: "relaxation times tau_k (> 0, distinct), one per amplitude, in the model's time unit",
    },
];

/// The Prony-series kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct Prony {
    /// Amplitudes a_k in 1/time².
    pub a: Vec<f64>,
    /// Relaxation times τ_k in time units.
    pub tau: Vec<f64>,
}

/// Builds the kernel from the lists `a` (≥ 0) and `tau` (> 0, distinct) of
/// equal, non-zero length.
pub fn build(params: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
    let a = params.numbers("a")?;
    let tau = params.numbers("tau")?;
    if a.is_empty() {
        return Err(ParamError::new(params.path("a"), "give at least one amplitude").into());
    }
    if tau.len() != a.len() {
        return Err(ParamError::new(
            params.path("tau"),
            format!(
                "has {} relaxation times but `a` has {} amplitudes; give one tau_k per a_k",
                tau.len(),
                a.len()
            ),
        )
        .into());
    }
    if let Some((k, v)) = a
        .iter()
        .enumerate()
        .find(|(_, v)| !(**v >= 0.0 && v.is_finite()))
    {
        return Err(ParamError::new(
            params.path("a"),
            format!(
                "a_{} = {v}: every amplitude must be a finite number ≥ 0",
                k + 1
            ),
        )
        .into());
    }
    if let Some((k, v)) = tau
        .iter()
        .enumerate()
        .find(|(_, v)| !(**v > 0.0 && v.is_finite()))
    {
        return Err(ParamError::new(
            params.path("tau"),
            format!(
                "tau_{} = {v}: every relaxation time must be a finite number > 0",
                k + 1
            ),
        )
        .into());
    }
    for (j, t) in tau.iter().enumerate() {
        if let Some(k) = tau[..j].iter().position(|s| s == t) {
            return Err(ParamError::new(
                params.path("tau"),
                format!(
                    "tau_{} = tau_{} = {t}: the times must be distinct (merge the two terms)",
                    k + 1,
                    j + 1
                ),
            )
            .into());
        }
    }
    Ok(Box::new(Prony { a, tau }))
}

impl MemoryKernel for Prony {
    fn name(&self) -> &str {
        INFO.name
    }
    fn nu_time(&self, t: f64) -> f64 {
        self.a
            .iter()
            .zip(&self.tau)
            .map(|(a, tau)| a * (-t / tau).exp())
            .sum()
    }
    fn nu_freq(&self, omega: f64) -> Complex64 {
        self.a
            .iter()
            .zip(&self.tau)
            .map(|(a, tau)| a * tau / Complex64::new(1.0, omega * tau))
            .sum()
    }
    /// The integral time ∫ν dt / ν(0) = Σ a_k τ_k / Σ a_k (τ for one term);
    /// None when every amplitude is 0.
    fn memory_time(&self) -> Option<f64> {
        let total: f64 = self.a.iter().sum();
        (total > 0.0).then(|| {
            self.a
                .iter()
                .zip(&self.tau)
                .map(|(a, t)| a * t)
                .sum::<f64>()
                / total
        })
    }
    fn parameters(&self) -> Vec<(String, f64, String)> {
        let a = self
            .a
            .iter()
            .enumerate()
            .map(|(k, v)| (format!("a_{}", k + 1), *v, "1/time^2".to_string()));
        let tau = self
            .tau
            .iter()
            .enumerate()
            .map(|(k, v)| (format!("tau_{}", k + 1), *v, "time".to_string()));
        a.chain(tau).collect()
    }
    /// a_1…a_K free (log-scale amplitudes), τ_1 the time scale, τ_2…τ_K held
    /// (the shape); in that order.
    fn fit_parameters(&self) -> Vec<KernelParameter> {
        let a = self
            .a
            .iter()
            .enumerate()
            .map(|(k, v)| KernelParameter::amplitude(&format!("a_{}", k + 1), *v, "1/time^2"));
        let tau = self.tau.iter().enumerate().map(|(k, v)| {
            let role = if k == 0 {
                FitRole::TimeScale
            } else {
                FitRole::Fixed
            };
            KernelParameter::held(&format!("tau_{}", k + 1), *v, "time", role)
        });
        a.chain(tau).collect()
    }
    fn with_values(&self, values: &[f64]) -> Result<Box<dyn MemoryKernel>, PluginError> {
        let n = self.a.len();
        if values.len() != 2 * n {
            return Err(PluginError::Build {
                plugin: INFO.name.into(),
                message: format!(
                    "{} fit-parameter values given, the kernel has {}",
                    values.len(),
                    2 * n
                ),
            });
        }
        let list = |v: &[f64]| ParamValue::List(v.iter().map(|x| ParamValue::Number(*x)).collect());
        let params = Params::new(
            "fit",
            BTreeMap::from([
                ("a".to_string(), list(&values[..n])),
                ("tau".to_string(), list(&values[n..])),
            ]),
        );
        build(&params)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nonaffine_core::summary::round_sig;

    fn prony(pairs: &str) -> Box<dyn MemoryKernel> {
        build(&Params::from_pairs("k", pairs).unwrap()).unwrap()
    }

    /// One term is the exponential kernel ν0 e^{−t/τ}, at every ω.
    #[test]
    fn one_term_equals_the_exponential_kernel() {
        let p = prony("a=[0.4],tau=[3]");
        let e =
            kernel_exponential::build(&Params::from_pairs("k", "nu0=0.4,tau=3").unwrap()).unwrap();
        for i in -30..=30 {
            let w = 10f64.powf(f64::from(i) / 5.0);
            let (x, y) = (p.nu_freq(w), e.nu_freq(w));
            assert!((x - y).norm() <= 1e-15 * y.norm(), "ω={w}: {x} vs {y}");
            assert_eq!(p.nu_time(w), e.nu_time(w));
        }
        assert!((p.memory_time().unwrap() - 3.0).abs() < 1e-15);
    }

    /// ν̃(ω) = ν1 − iν2 against composite Simpson quadrature of
    /// ∫₀^T ν(t) cos ωt dt and ∫₀^T ν(t) sin ωt dt (T = 60 τ_max, where ν is
    /// e^{−60} of its start; h = T/2·10⁶ resolves ωτ_1 = 6 at 1e-9).
    #[test]
    fn transform_matches_quadrature_with_the_sign_convention() {
        let k = prony("a=[0.2,1.5,0.05],tau=[0.3,1,8]");
        let big = 60.0 * 8.0;
        let n = 2_000_000;
        let h = big / f64::from(n);
        for w in [0.0, 0.05, 0.4, 1.0, 3.0, 20.0] {
            let (mut c, mut s) = (0.0, 0.0);
            for i in 0..=n {
                let t = h * f64::from(i);
                let weight = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let nu = k.nu_time(t);
                c += weight * nu * (w * t).cos();
                s += weight * nu * (w * t).sin();
            }
            let (nu1, nu2) = (c * h / 3.0, s * h / 3.0);
            let z = k.nu_freq(w);
            assert!(
                (z.re - nu1).abs() < 1e-9 * nu1.abs(),
                "ω={w}: ν1 {} vs {nu1}",
                z.re
            );
            assert!(
                (-z.im - nu2).abs() <= 1e-9 * nu2.abs().max(1e-12),
                "ω={w}: ν2 {} vs {nu2}",
                -z.im
            );
        }
        // ν̃(0) = ∫ν dt = Σ a_k τ_k; ν2 ≥ 0 (the loss convention).
        assert!((k.nu_freq(0.0).re - (0.06 + 1.5 + 0.4)).abs() < 1e-14);
        assert!(-k.nu_freq(2.0).im > 0.0);
    }

    #[test]
    fn snapshot_of_a_two_term_kernel() {
        let k = prony("a=[1,0.1],tau=[1,100]");
        let table: Vec<(f64, f64, f64)> = [1e-3, 1e-2, 0.1, 1.0, 10.0]
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

    /// a_k free (log amplitudes), τ_1 the time scale, τ_2 held; with_values
    /// rebuilds through the factory's checks.
    #[test]
    fn fit_parameters_rebuild_the_kernel() {
        let k = prony("a=[1,0.1],tau=[1,100]");
        let fit: Vec<(String, f64, FitRole)> = k
            .fit_parameters()
            .into_iter()
            .map(|p| (p.name, p.value, p.role))
            .collect();
        assert_eq!(
            fit,
            [
                ("a_1".to_string(), 1.0, FitRole::Free),
                ("a_2".to_string(), 0.1, FitRole::Free),
                ("tau_1".to_string(), 1.0, FitRole::TimeScale),
                ("tau_2".to_string(), 100.0, FitRole::Fixed),
            ]
        );
        let k2 = k.with_values(&[2.0, 0.5, 1.0, 100.0]).unwrap();
        assert_eq!(k2.nu_time(0.0), 2.5);
        let e = k
            .with_values(&[-1.0, 0.5, 1.0, 100.0])
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("fit.a") && e.contains("a_1"), "{e}");
        assert!(k.with_values(&[1.0, 1.0]).is_err());
    }

    #[test]
    fn bad_parameters_name_their_key() {
        for (text, key, part) in [
            ("a=[1,2],tau=[1]", "p.tau", "one tau_k per a_k"),
            ("a=[1,-2],tau=[1,2]", "p.a", "a_2"),
            ("a=[1,2],tau=[1,0]", "p.tau", "tau_2"),
            ("a=[1,2],tau=[3,3]", "p.tau", "distinct"),
            ("a=[],tau=[]", "p.a", "at least one"),
            ("a=[1]", "p.tau", ""),
        ] {
            let e = build(&Params::from_pairs("p", text).unwrap())
                .err()
                .unwrap()
                .to_string();
            assert!(e.starts_with(key) && e.contains(part), "{text}: {e}");
        }
    }
}
