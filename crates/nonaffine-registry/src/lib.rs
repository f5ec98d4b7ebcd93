//! The plugin registry, filled in this one place.
//!
//! Every plugin crate exposes an `INFO` ([`nonaffine_core::PluginInfo`]) and a
//! factory; every stage crate exposes its stage. This crate lists them in a
//! fixed order. Nothing else in the workspace names a plugin's concrete type.

use nonaffine_core::Registry;

/// The registry with every plugin and stage of this build.
pub fn registry() -> Registry {
    #[allow(unused_mut)]
    let mut r = Registry::default();
    // Potentials.
    r.potentials
        .register(potential_eam::fs::INFO, potential_eam::fs::build);
    r.potentials
        .register(potential_eam::alloy::INFO, potential_eam::alloy::build);
    r.potentials
        .register(potential_lj::INFO, potential_lj::build);
    // Memory kernels.
    r.kernels
        .register(kernel_markovian::INFO, kernel_markovian::build);
    r.kernels
        .register(kernel_exponential::INFO, kernel_exponential::build);
    r.kernels
        .register(kernel_stretched_exp::INFO, kernel_stretched_exp::build);
    r.kernels
        .register(kernel_tabulated::INFO, kernel_tabulated::build);
    r.kernels.register(kernel_prony::INFO, kernel_prony::build);
    // Spectrum solvers.
    r.spectrum_solvers
        .register(spectrum_dense::INFO, spectrum_dense::build);
    r.spectrum_solvers
        .register(spectrum_arpack::INFO, spectrum_arpack::build);
    r.spectrum_solvers
        .register(spectrum_lanczos::INFO, spectrum_lanczos::build);
    r.spectrum_solvers
        .register(spectrum_debye::INFO, spectrum_debye::build);
    // Stages.
    r.stages.register(
        nonaffine_memory::INFO,
        Box::new(nonaffine_memory::KernelStage),
    );
    r.stages.register(
        nonaffine_reference::INFO,
        Box::new(nonaffine_reference::ReferenceStage),
    );
    r.stages.register(
        nonaffine_quench::INFO,
        Box::new(nonaffine_quench::QuenchStage),
    );
    r.stages.register(
        nonaffine_hessian::INFO,
        Box::new(nonaffine_hessian::HessianStage),
    );
    r.stages.register(
        nonaffine_spectrum::INFO,
        Box::new(nonaffine_spectrum::SpectrumStage),
    );
    r.stages.register(
        nonaffine_response::INFO,
        Box::new(nonaffine_response::ResponseStage),
    );
    r.stages.register(
        nonaffine_oscillate::INFO,
        Box::new(nonaffine_oscillate::OscillateStage),
    );
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_plugin_has_name_version_doc_and_documented_params() {
        let problems = super::registry().check();
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
