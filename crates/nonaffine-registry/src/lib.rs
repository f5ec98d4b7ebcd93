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
    r.potentials.register(potential_eam::fs::INFO, potential_eam::fs::build);
    r.potentials.register(potential_eam::alloy::INFO, potential_eam::alloy::build);
    r.potentials.register(potential_lj::INFO, potential_lj::build);
    // Memory kernels.
    // Stages.
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
