//! The `exponential` memory kernel ν(t) = ν0 e^{−t/τ} (docs/theory.md Eq. (37)):
//! ν̃(ω) = ∫₀^∞ ν(t) e^{−iωt} dt = ν0 τ / (1 + iωτ), i.e.
//! ν1 = ν0 τ/(1 + ω²τ²), ν2 = ν0 ω τ²/(1 + ω²τ²).
//!
//! Units: ν0 in 1/time², τ in time, ω in rad/time, the model's time unit.

use nonaffine_core::{
    fit_values, FitRole, KernelParameter, MemoryKernel, ParamError, ParamKind, ParamSpec, Params,
    PluginError, PluginInfo,
};
use num_complex::Complex64;

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "exponential",
    version: "1",
    doc: "Exponentially decaying memory nu(t) = nu0 exp(-t/tau): nu~(omega) = nu0 tau/(1 + i omega tau) \
          (a single Debye relaxation).",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "nu0",
        kind: ParamKind::Number,
        unit: "1/time^2",
        default: None,
        doc: "kernel amplitude nu(0) (>= 0), in inverse squared time units",
    },
    ParamSpec {
        name: "tau",
        kind: ParamKind::Number,
        unit: "time",
        default: None,
        doc: "memory time tau (> 0), in the model's time unit",
    },
];

/// The exponential kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    /// ν(0) in 1/time².
    pub nu0: f64,
    /// Memory time τ in time units.
    pub tau: f64,
}

/// Builds the kernel from `nu0` (≥ 0) and `tau` (> 0).
pub fn build(params: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
    let nu0 = params.number("nu0")?;
    if nu0 < 0.0 {
        return Err(
            ParamError::new(params.path("nu0"), format!("must be ≥ 0, found {nu0}")).into(),
        );
    }
    let tau = params.positive("tau")?;
    Ok(Box::new(Exponential { nu0, tau }))
}

impl MemoryKernel for Exponential {
    fn name(&self) -> &str {
        INFO.name
    }
    fn nu_time(&self, t: f64) -> f64 {
        self.nu0 * (-t / self.tau).exp()
    }
    fn nu_freq(&self, omega: f64) -> Complex64 {
        self.nu0 * self.tau / Complex64::new(1.0, omega * self.tau)
    }
    fn memory_time(&self) -> Option<f64> {
        Some(self.tau)
    }
    fn parameters(&self) -> Vec<(String, f64, String)> {
        vec![
            ("nu0".into(), self.nu0, "1/time^2".into()),
            ("tau".into(), self.tau, "time".into()),
        ]
    }
    /// ν0 free; τ the time scale (degenerate with a calibration's time shift).
    fn fit_parameters(&self) -> Vec<KernelParameter> {
        vec![
            KernelParameter::amplitude("nu0", self.nu0, "1/time^2"),
            KernelParameter::held("tau", self.tau, "time", FitRole::TimeScale),
        ]
    }
    fn with_values(&self, values: &[f64]) -> Result<Box<dyn MemoryKernel>, PluginError> {
        let [nu0, tau] = fit_values(INFO.name, values)?;
        build(&Params::from_numbers("fit", &[("nu0", nu0), ("tau", tau)]))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn closed_form_and_snapshot() {
        let k = build(&Params::from_pairs("k", "nu0=2,tau=0.5").unwrap()).unwrap();
        // ν̃(0) = ∫ν dt = ν0 τ; at ωτ = 1 the loss part peaks: ν1 = ν2 = ν0τ/2.
        assert!((k.nu_freq(0.0).re - 1.0).abs() < 1e-15);
        let z = k.nu_freq(2.0);
        assert!(
            (z.re - 0.5).abs() < 1e-15 && (z.im + 0.5).abs() < 1e-15,
            "{z}"
        );
        let r = |x| nonaffine_core::summary::round_sig(x, 10);
        let table: Vec<(f64, f64, f64)> = [0.01, 0.1, 1.0, 10.0, 100.0]
            .iter()
            .map(|&w| (w, r(k.nu_freq(w).re), r(-k.nu_freq(w).im)))
            .collect();
        insta::assert_yaml_snapshot!(table);
    }

    /// ν0 free, τ held as the time scale; with_values rebuilds through the
    /// factory's checks.
    #[test]
    fn fit_parameters_rebuild_the_kernel() {
        use nonaffine_core::FitRole;
        let k = build(&Params::from_pairs("k", "nu0=2,tau=0.5").unwrap()).unwrap();
        let fit: Vec<(String, f64, FitRole)> = k
            .fit_parameters()
            .into_iter()
            .map(|p| (p.name, p.value, p.role))
            .collect();
        assert_eq!(
            fit,
            [
                ("nu0".to_string(), 2.0, FitRole::Free),
                ("tau".to_string(), 0.5, FitRole::TimeScale)
            ]
        );
        let k2 = k.with_values(&[4.0, 0.25]).unwrap();
        // ν̃(0) = ν0 τ.
        assert!((k2.nu_freq(0.0).re - 1.0).abs() < 1e-15);
        let e = k.with_values(&[1.0, 0.0]).err().unwrap().to_string();
        assert!(e.starts_with("fit.tau"), "{e}");
        assert!(k.with_values(&[1.0]).is_err());
    }

    #[test]
    fn bad_parameters_name_their_key() {
        let e = build(&Params::from_pairs("p", "nu0=1,tau=0").unwrap())
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("p.tau"), "{e}");
        let e = build(&Params::from_pairs("p", "nu0=-1,tau=1").unwrap())
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("p.nu0"), "{e}");
    }
}
