//! The kernel stage on the paper's 670 K kernel, and its errors.
#![allow(clippy::unwrap_used)]

use nonaffine_core::{FitRole, NoProgress, Params, Registry, Stage, StageContext};
use nonaffine_memory::outputs::KernelOutput;
use nonaffine_memory::KernelStage;

fn registry() -> Registry {
    let mut r = Registry::default();
    r.kernels
        .register(kernel_stretched_exp::INFO, kernel_stretched_exp::build);
    r.kernels
        .register(kernel_exponential::INFO, kernel_exponential::build);
    r
}

#[test]
fn paper_kernel_table_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let p = Params::from_pairs(
        "stages.kernel.params",
        "plugin=stretched-exp,nu0=0.137,b=0.72,r=1.2e-6,omega_min=1e-10,omega_max=1e-6,points=5",
    )
    .unwrap();
    let r = registry();
    let ctx = StageContext {
        params: &p,
        inputs: &[],
        out_dir: dir.path(),
        registry: &r,
        progress: &NoProgress,
    };
    let summary = KernelStage.run(&ctx).unwrap();
    insta::assert_yaml_snapshot!(summary);
    // kernel.json: the start values of a calibration, and the kernel rebuilt
    // from it through the registry is the same kernel.
    let out = KernelOutput::read(dir.path()).unwrap();
    assert_eq!(
        (out.plugin.as_str(), out.plugin_version.as_str()),
        ("stretched-exp", "1")
    );
    let fit: Vec<(&str, f64, FitRole)> = out
        .fit
        .iter()
        .map(|p| (p.name.as_str(), p.value, p.role))
        .collect();
    assert_eq!(
        fit,
        [
            ("nu0", 0.137, FitRole::Free),
            ("b", 0.72, FitRole::Free),
            ("r", 1.2e-6, FitRole::TimeScale)
        ]
    );
    assert!(out.is_parametric() && !out.params.contains_key("points"));
    let rebuilt = out.kernel(&r, dir.path()).unwrap();
    assert_eq!(
        rebuilt.nu_freq(3e-8),
        kernel_stretched_exp::build(&Params::from_pairs("k", "nu0=0.137,b=0.72,r=1.2e-6").unwrap())
            .unwrap()
            .nu_freq(3e-8)
    );
    let csv = std::fs::read_to_string(dir.path().join("kernel.csv")).unwrap();
    assert_eq!(csv.lines().count(), 6);
    // ν1 at the lowest ω approaches ν̃(0) = ν0 τ_m Γ(1 + 1/b) = ∫ν dt (checked in the plugin).
    let time = std::fs::read_to_string(dir.path().join("kernel_time.csv")).unwrap();
    let first: Vec<f64> = time
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(
        (first[0] - 1e6).abs() < 1e-3
            && (first[1] - 0.137 * (-1.2e-6 * 1e6f64.powf(0.72)).exp()).abs() < 1e-12
    );
}

#[test]
fn errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let r = registry();
    for (text, want) in [
        (
            "plugin=stretched-exp,nu0=0.137,b=2.5,r=1",
            "stages.kernel.params.b",
        ),
        ("plugin=stretched_exp,nu0=1", "did you mean `stretched-exp`"),
        (
            "plugin=exponential,nu0=1,tau=1,taux=2",
            "stages.kernel.params.taux",
        ),
    ] {
        let p = Params::from_pairs("stages.kernel.params", text).unwrap();
        let ctx = StageContext {
            params: &p,
            inputs: &[],
            out_dir: dir.path(),
            registry: &r,
            progress: &NoProgress,
        };
        let e = KernelStage.run(&ctx).err().unwrap().to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}
