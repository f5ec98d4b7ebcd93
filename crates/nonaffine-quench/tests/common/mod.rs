//! Shared by the quench crate's integration tests.
#![allow(clippy::unwrap_used)]

use nonaffine_core::{ParamValue, Params, Potential};
use nonaffine_quench::QuenchProtocol;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The vendored Cu–Zr EAM potential (Mendelev et al.) through the registry.
pub fn potential() -> Box<dyn Potential> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vendor/potentials/CuZr_mm.eam.fs")
        .display()
        .to_string();
    let mut v = BTreeMap::new();
    v.insert("file".to_string(), ParamValue::Text(file));
    v.insert(
        "elements".to_string(),
        ParamValue::List(vec![
            ParamValue::Text("Cu".into()),
            ParamValue::Text("Zr".into()),
        ]),
    );
    nonaffine_registry::registry()
        .potential("eam/fs", &Params::new("potential", v))
        .unwrap()
}

/// A Cu50Zr50 protocol of `n_atoms`, melted `melt_ps` and cooled at `rate`
/// K/ps with captures at `temps` K, and the `extra` parameters.
pub fn protocol(
    n_atoms: i64,
    melt_ps: f64,
    rate: f64,
    temps: &[f64],
    extra: &[(&str, ParamValue)],
) -> QuenchProtocol {
    let mut v = BTreeMap::new();
    v.insert("n_atoms".into(), ParamValue::Integer(n_atoms));
    let mut comp = BTreeMap::new();
    comp.insert("Cu".to_string(), ParamValue::Number(0.5));
    comp.insert("Zr".to_string(), ParamValue::Number(0.5));
    v.insert("composition".into(), ParamValue::Map(comp));
    v.insert("melt_time_ps".into(), ParamValue::Number(melt_ps));
    v.insert("cooling_rate_k_per_ps".into(), ParamValue::Number(rate));
    v.insert(
        "capture_temperatures_k".into(),
        ParamValue::List(temps.iter().map(|t| ParamValue::Number(*t)).collect()),
    );
    for (k, x) in extra {
        v.insert(k.to_string(), x.clone());
    }
    QuenchProtocol::from_params(&Params::new("protocol", v), &["Cu".into(), "Zr".into()]).unwrap()
}
