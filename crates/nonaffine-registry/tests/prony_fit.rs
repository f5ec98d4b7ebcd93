//! A kernel plugin the response stage has never heard of is fitted
//! parametrically: the `prony` kernel (a sum of exponentials), through the
//! registry, a `kernel` stage and the `response` stage. The reference is the
//! paper-mode response of a known two-term kernel on a synthetic spectrum; the
//! kernel stage starts from amplitudes 3× and 1/3 of the truth, and the
//! response must recover the amplitudes a_k and the time shift (measured:
//! a_1 to 9e-4, a_2 to 5e-4, log10 s to 1.3e-4; asserted 5e-3 and 2e-3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{Modes, ModesKind, NoProgress, Params, StageContext, StageInput};
use nonaffine_reference::outputs::{ReferenceOutput, FORMAT};
use nonaffine_response::{paper_moduli, PaperHeights};
use std::fmt::Write as _;
use std::path::Path;

/// The generating kernel: a_k (1/time²) and τ_k (time), and the shift log10 s.
const A: [f64; 2] = [0.1, 0.03];
const TAU: [f64; 2] = [2e3, 4e4];
const LOG_SHIFT: f64 = -4.5;
const T: f64 = 600.0;

/// Deterministic uniform numbers in (0, 1) (xorshift).
fn uniforms(n: usize, mut state: u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        })
        .collect()
}

/// `n` modes: a Debye ω² background up to ω = 0.5 plus a third of the modes
/// near ω = 0.08 (a boson-peak excess), Ξ̂_xx² ∝ ω_p²; eV/(Å²·amu).
fn modes(n: usize) -> Modes {
    let u = uniforms(2 * n, 0x2545_f491_4f6c_dd1d);
    let mut pairs: Vec<(f64, [f64; 6])> = (0..n)
        .map(|p| {
            let w = if p % 3 == 0 {
                0.08 * (1.0 + 0.35 * (u[2 * p] - 0.5))
            } else {
                0.5 * u[2 * p].cbrt()
            };
            let g = 40.0 * w * w * (0.5 + u[2 * p + 1]);
            (w * w, [g.sqrt(), g.sqrt() * 0.5, 0.0, 0.0, 0.0, 0.0])
        })
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    Modes {
        eigenvalues: pairs.iter().map(|p| p.0).collect(),
        projections: pairs.iter().map(|p| p.1).collect(),
        participation: vec![],
        kind: Some(ModesKind::Model),
    }
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x:e}")).collect();
    format!("[{}]", items.join(","))
}

fn write_inputs(root: &Path, modes: &Modes) {
    let sample = root.join("spectrum").join(format!("glass_T{T}K_s0"));
    std::fs::create_dir_all(&sample).unwrap();
    std::fs::write(
        sample.join("modes.csv"),
        nonaffine_spectrum::modes_file::modes_csv(modes, &|_| "mode"),
    )
    .unwrap();
    let mut born = [[0.0; 6]; 6];
    born[0][0] = 150.0;
    let json = serde_json::json!({
        "volume_a3": 30000.0, "born_gpa": born, "modes_kind": "complete",
    });
    std::fs::write(sample.join("sample.json"), json.to_string()).unwrap();

    // The reference: E', E'' of the generating kernel, heights so that
    // E'(ω → 0) = 0 and E'(∞) = 1 (as a normalised relaxation gives).
    let truth = nonaffine_registry::registry()
        .kernel(
            "prony",
            &Params::from_pairs("truth", &format!("a={},tau={}", list(&A), list(&TAU))).unwrap(),
        )
        .unwrap();
    let s = 10f64.powf(LOG_SHIFT);
    let unit = PaperHeights {
        e_a: 0.0,
        a: 1.0,
        b: 1.0,
    };
    let low = paper_moduli(&unit, modes, truth.as_ref(), s * 1e-7).0;
    let h = PaperHeights {
        e_a: 1.0,
        a: -1.0 / low,
        b: -1.0 / low,
    };
    let dir = root.join("reference");
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("temperature_k,omega_rad_per_time_unit,storage,loss\n");
    for i in 0..41 {
        let w = 10f64.powf(-4.0 + 0.15 * f64::from(i));
        let (e1, e2) = paper_moduli(&h, modes, truth.as_ref(), s * w);
        writeln!(csv, "{T},{w:e},{e1:e},{e2:e}").unwrap();
    }
    std::fs::write(dir.join("reference.csv"), csv).unwrap();
    ReferenceOutput {
        format: FORMAT,
        time_unit: "min".into(),
        time_unit_s: 60.0,
        temperatures_k: vec![T],
        table: "reference.csv".into(),
    }
    .write(&dir)
    .unwrap();
}

fn input(root: &Path, stage: &str, kind: &str) -> StageInput {
    StageInput {
        stage: stage.into(),
        kind: kind.into(),
        branch: String::new(),
        dir: root.join(stage),
    }
}

#[test]
fn response_fits_the_prony_kernel_parametrically() {
    let registry = nonaffine_registry::registry();
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    write_inputs(root, &modes(150));

    // The kernel stage, started away from the truth.
    let start = [3.0 * A[0], A[1] / 3.0];
    let kernel_dir = root.join("kernel_prony");
    std::fs::create_dir_all(&kernel_dir).unwrap();
    let kp = Params::from_pairs(
        "stages.kernel_prony.params",
        &format!("plugin=prony,a={},tau={}", list(&start), list(&TAU)),
    )
    .unwrap();
    registry
        .stage("kernel")
        .unwrap()
        .run(&StageContext {
            params: &kp,
            inputs: &[],
            out_dir: &kernel_dir,
            registry: &registry,
            progress: &NoProgress,
        })
        .unwrap();

    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let rp = Params::from_pairs(
        "stages.response.params",
        "plots=false,starts=4,debye_control=false",
    )
    .unwrap();
    let inputs = [
        input(root, "spectrum", "spectrum"),
        input(root, "reference", "reference"),
        input(root, "kernel_prony", "kernel"),
    ];
    registry
        .stage("response")
        .unwrap()
        .run(&StageContext {
            params: &rp,
            inputs: &inputs,
            out_dir: &out,
            registry: &registry,
            progress: &NoProgress,
        })
        .unwrap();

    let fit: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fit.json")).unwrap()).unwrap();
    let rec = &fit["fits"][0];
    assert_eq!(rec["kernel"], "prony", "{rec:#}");
    assert_eq!(rec["kernel_stage"], "kernel_prony");
    assert!(
        rec["note"].is_null(),
        "fitted parametrically, not as a table"
    );
    let value = |name: &str| {
        rec["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no `{name}` in {rec:#}"))["value"]
            .as_f64()
            .unwrap()
    };
    for (k, a) in A.iter().enumerate() {
        let got = value(&format!("a_{}", k + 1));
        assert!(
            (got / a - 1.0).abs() < 5e-3,
            "a_{} = {got}, generated {a} (started at {})",
            k + 1,
            start[k]
        );
    }
    let shift = value("log10_time_shift");
    assert!((shift - LOG_SHIFT).abs() < 2e-3, "log10 s = {shift}");
    // The time scale and the shape are held at the kernel stage's values.
    let fixed: Vec<(String, f64)> = rec["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f[0].as_str().unwrap().to_string(), f[1].as_f64().unwrap()))
        .collect();
    assert_eq!(
        fixed,
        [("tau_1".to_string(), TAU[0]), ("tau_2".to_string(), TAU[1])]
    );
    assert!(rec["r_squared"].as_f64().unwrap() > 0.9999, "{rec:#}");
    // Strong coupling at the loss peak: the amplitudes shape the curves and are
    // not degenerate with the heights A, B.
    assert_eq!(rec["regime"], "strong", "{rec:#}");
}
