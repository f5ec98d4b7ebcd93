//! `nonaffine kww`, `kernel` and `kohlrausch` end to end, against closed forms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn field(v: &serde_json::Value, i: usize, k: &str) -> f64 {
    v[i][k].as_f64().unwrap()
}

#[test]
fn kww_at_beta_one_is_lorentzian() {
    let v = json(&["kww", "--beta", "1", "--omega", "0.5,2"]);
    for (i, w) in [0.5, 2.0].into_iter().enumerate() {
        assert_eq!(field(&v, i, "omega"), w);
        assert!((field(&v, i, "cos") - 1.0 / (1.0 + w * w)).abs() < 1e-15);
        assert!((field(&v, i, "sin") - w / (1.0 + w * w)).abs() < 1e-15);
    }
}

#[test]
fn kernel_exponential_is_debye() {
    let v = json(&[
        "kernel",
        "--plugin",
        "exponential",
        "--param",
        "nu0=2,tau=0.5",
        "--omega",
        "2",
    ]);
    // ν0τ/(1 + iωτ) at ωτ = 1: ν1 = ν2 = ν0τ/2 = 0.5.
    assert!((field(&v, 0, "nu1") - 0.5).abs() < 1e-15 && (field(&v, 0, "nu2") - 0.5).abs() < 1e-15);
    let out = Command::new(env!("CARGO_BIN_EXE_nonaffine"))
        .args([
            "kernel",
            "--plugin",
            "stretched-exp",
            "--param",
            "nu0=1,b=3,r=1",
            "--omega",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--param.b") && err.contains("(0, 2]"), "{err}");
}

#[test]
fn kohlrausch_at_beta_one_is_maxwell() {
    // β = 1: E' = (ωτ)²/(1 + (ωτ)²), E'' = ωτ/(1 + (ωτ)²), times σ0/ε0 = 3.
    let v = json(&[
        "kohlrausch",
        "--beta",
        "1",
        "--tau",
        "2",
        "--omega",
        "0.5",
        "--sigma0-over-eps0",
        "3",
    ]);
    assert!(
        (field(&v, 0, "storage") - 1.5).abs() < 1e-14 && (field(&v, 0, "loss") - 1.5).abs() < 1e-14
    );
}
