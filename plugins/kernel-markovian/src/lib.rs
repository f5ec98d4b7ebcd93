//! The `markovian` memory kernel: instantaneous friction, ν(t) = 2ν0 δ(t), so
//! ν̃(ω) = ν0 at every ω (docs/theory.md Eq. (36); the paper's Markovian limit).
//!
//! Units: ν0 in 1/time, the kernel's time unit being the model's.

use nonaffine_core::{
    fit_values, KernelParameter, MemoryKernel, ParamError, ParamKind, ParamSpec, Params,
    PluginError, PluginInfo,
};
use num_complex::Complex64;

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "markovian",
    version: "1",
    doc:
        "Memoryless (Markovian) friction nu(t) = 2 nu0 delta(t): nu~(omega) = nu0, constant, real.",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "nu0",
    kind: ParamKind::Number,
    unit: "1/time",
    default: None,
    doc: "friction rate nu~ = nu0 (>= 0), in inverse units of the model's time unit",
}];

/// The Markovian kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Markovian {
    /// Friction rate ν0 in 1/time.
    pub nu0: f64,
}

/// Builds the kernel from `nu0` (≥ 0).
pub fn build(params: &Params) -> Result<Box<dyn MemoryKernel>, PluginError> {
    let nu0 = params.number("nu0")?;
    if nu0 < 0.0 {
        return Err(
            ParamError::new(params.path("nu0"), format!("must be ≥ 0, found {nu0}")).into(),
        );
    }
    Ok(Box::new(Markovian { nu0 }))
}

impl MemoryKernel for Markovian {
    fn name(&self) -> &str {
        INFO.name
    }
    /// ν(t) = 2ν0 δ(t): zero at every t ≠ 0 (the delta is not representable).
    fn nu_time(&self, _t: f64) -> f64 {
        0.0
    }
    fn nu_freq(&self, _omega: f64) -> Complex64 {
        Complex64::new(self.nu0, 0.0)
    }
    fn memory_time(&self) -> Option<f64> {
        None
    }
    fn parameters(&self) -> Vec<(String, f64, String)> {
        vec![("nu0".into(), self.nu0, "1/time".into())]
    }
    /// ν0, a free amplitude (no time scale to hold).
    fn fit_parameters(&self) -> Vec<KernelParameter> {
        vec![KernelParameter::amplitude("nu0", self.nu0, "1/time")]
    }
    fn with_values(&self, values: &[f64]) -> Result<Box<dyn MemoryKernel>, PluginError> {
        let [nu0] = fit_values(INFO.name, values)?;
        build(&Params::from_numbers("fit", &[("nu0", nu0)]))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn constant_and_checked() {
        let k = build(&Params::from_pairs("k", "nu0=0.137").unwrap()).unwrap();
        for w in [0.0, 1e-3, 1.0, 1e6] {
            assert_eq!(k.nu_freq(w), Complex64::new(0.137, 0.0));
        }
        let e = build(&Params::from_pairs("stages.kernel.params", "nu0=-1").unwrap())
            .err()
            .unwrap();
        assert!(e.to_string().contains("stages.kernel.params.nu0"), "{e}");
        let table: Vec<(f64, f64, f64)> = [0.0, 1.0, 1e3]
            .iter()
            .map(|&w| (w, k.nu_freq(w).re, -k.nu_freq(w).im + 0.0))
            .collect();
        insta::assert_yaml_snapshot!(table);
    }

    /// ν0 is a free log-scale amplitude; with_values rebuilds through the
    /// factory's checks.
    #[test]
    fn fit_parameters_rebuild_the_kernel() {
        let k = build(&Params::from_pairs("k", "nu0=0.137").unwrap()).unwrap();
        let fit = k.fit_parameters();
        assert_eq!(fit.len(), 1);
        assert!(fit[0].is_free() && fit[0].scale == nonaffine_core::FitScale::Log);
        assert_eq!((fit[0].name.as_str(), fit[0].value), ("nu0", 0.137));
        let k2 = k.with_values(&[2.5]).unwrap();
        assert_eq!(k2.nu_freq(3.0), Complex64::new(2.5, 0.0));
        let e = k.with_values(&[-1.0]).err().unwrap().to_string();
        assert!(e.starts_with("fit.nu0"), "{e}");
        assert!(k.with_values(&[1.0, 2.0]).is_err());
    }
}
