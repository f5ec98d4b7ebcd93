//! Kohlrausch moduli against the 30-digit values of tests/data/kohlrausch-moduli.json
//! (provenance in the file), Kramers–Kronig consistency, the vendored YAML, and the stage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nonaffine_core::{NoProgress, ParamValue, Params, Registry, Stage, StageContext};
use nonaffine_reference::{Kohlrausch, ReferenceSet, ReferenceStage};
use std::path::PathBuf;

fn vendored() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vendor/reference/cu50zr50-kohlrausch.yaml")
}

#[test]
fn moduli_match_the_high_precision_table() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/kohlrausch-moduli.json")).unwrap();
    let mut worst: f64 = 0.0;
    for set in v["sets"].as_array().unwrap() {
        let k = Kohlrausch::new(
            1.0,
            set["tau_min"].as_f64().unwrap(),
            "min",
            set["beta"].as_f64().unwrap(),
            0.0,
        )
        .unwrap();
        for row in set["rows"].as_array().unwrap() {
            let w = row["w"].as_f64().unwrap();
            let e1: f64 = row["E_storage"].as_str().unwrap().parse().unwrap();
            let e2: f64 = row["E_loss"].as_str().unwrap().parse().unwrap();
            let (g1, g2) = k.moduli(w).unwrap();
            let e = ((g1 - e1) / e1).abs().max(((g2 - e2) / e2).abs());
            assert!(
                e < 1e-10,
                "{} ω={w}: ({g1}, {g2}) vs ({e1}, {e2})",
                set["name"]
            );
            worst = worst.max(e);
        }
    }
    println!("kohlrausch-moduli.json: max relative error {worst:.2e}");
}

/// E'(ω) = E'(0) + (2ω²/π) P∫₀^∞ [E''(x)/x] / (ω² − x²) dx (causality, e^{−iωt}
/// convention; E'(0) = σ∞/ε0). The principal value is removed by subtracting the
/// integrand's value at x = ω (P∫₀^∞ dx/(ω² − x²) = 0), then the regular integral is
/// taken by the trapezoidal rule in ln x on [1e-14, 1e14]/τ with step 0.005.
#[test]
fn storage_and_loss_are_kramers_kronig_consistent() {
    for (beta, tau, inf) in [(0.69, 0.87, 0.0), (0.55, 14.87, 0.3), (1.3, 2.0, 0.0)] {
        let k = Kohlrausch::new(2.0, tau, "min", beta, inf).unwrap();
        let h = |x: f64| k.moduli(x).unwrap().1 / x; // E''(x)/x
        for w in [0.03 / tau, 0.5 / tau, 1.0 / tau, 4.0 / tau, 50.0 / tau] {
            let hw = h(w);
            let step = 0.005;
            let (lo, hi) = ((1e-14 / tau).ln(), (1e14 / tau).ln());
            let n = ((hi - lo) / step) as usize;
            let mut sum = 0.0;
            for i in 0..=n {
                let x = (lo + (i as f64 + 0.5) * step).exp(); // offset: never exactly x = ω
                sum += (h(x) - hw) * x / (w * w - x * x);
            }
            let kk = inf + 2.0 * w * w / std::f64::consts::PI * sum * step;
            let direct = k.moduli(w).unwrap().0;
            assert!(
                ((kk - direct) / direct).abs() < 1e-6,
                "β={beta} ω={w}: KK {kk} vs {direct}"
            );
        }
    }
}

#[test]
fn loss_peak_and_wing_slopes() {
    // β = 1 is Debye: E'' = ωτ/(1 + ω²τ²), peak at ωτ = 1 with height 1/2, slopes → ±1.
    let k = Kohlrausch::new(1.0, 2.0, "s", 1.0, 0.0).unwrap();
    let p = k.loss_peak().unwrap();
    assert!(
        (p.omega - 0.5).abs() < 1e-7 && (p.loss - 0.5).abs() < 1e-12,
        "{p:?}"
    );
    let (lo, hi) = k.wing_slopes().unwrap();
    assert!(
        (lo - 1.0).abs() < 1e-3 && (hi + 1.0).abs() < 1e-3,
        "{lo} {hi}"
    );
    // Stretched: the high-frequency wing is shallower, tending to −β.
    let k = Kohlrausch::new(1.0, 1.0, "s", 0.55, 0.0).unwrap();
    let (lo, hi) = k.wing_slopes().unwrap();
    assert!(lo > 0.8 && hi > -0.75 && hi < -0.5, "{lo} {hi}");
}

#[test]
fn vendored_paper_fits_load() {
    let set = ReferenceSet::load(&vendored()).unwrap();
    let got: Vec<(f64, f64, f64)> = set
        .fits
        .iter()
        .map(|f| (f.temperature_k, f.beta, f.tau))
        .collect();
    assert_eq!(
        got,
        vec![
            (670.0, 0.69, 0.87),
            (603.0, 0.55, 4.03),
            (536.0, 0.55, 14.87)
        ]
    );
    assert_eq!(set.time_unit, "min");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "source: x\ntime_unit: min\nfits:\n  - temperature_k: 600\n    beta: 3\n    tau: 1\n",
    )
    .unwrap();
    let e = ReferenceSet::load(&bad).unwrap_err().to_string();
    assert!(e.contains("fits[0]") && e.contains("beta"), "{e}");
    std::fs::write(
        &bad,
        "source: x\ntime_unit: min\nfits:\n  - temperature: 600\n",
    )
    .unwrap();
    let e = ReferenceSet::load(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.yaml:4"), "{e}");
}

/// Unphysical Kohlrausch parameters in a YAML set are refused naming the file, the
/// line of the value and the fit: σ0 ≤ 0 (negative moduli, NaN wing slopes), τ ≤ 0,
/// β outside the KWW range [0.1, 2] (so also β ≤ 0 and β > 2).
#[test]
fn unphysical_yaml_fits_are_refused_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let good = "  - temperature_k: 670\n    beta: 0.69\n    tau: 0.87\n";
    for (second, want) in [
        (
            "  - temperature_k: 600\n    beta: 0.5\n    tau: 2\n    sigma0_over_eps0: -1.0\n",
            "bad.yaml:11: fits[1].sigma0_over_eps0: must be a finite number > 0",
        ),
        (
            "  - temperature_k: 600\n    beta: 0.5\n    tau: 2\n    sigma0_over_eps0: 0\n",
            "bad.yaml:11: fits[1].sigma0_over_eps0: must be a finite number > 0",
        ),
        (
            "  - temperature_k: 600\n    beta: 0.5\n    tau: 0\n",
            "bad.yaml:10: fits[1].tau: must be a finite number > 0, found 0",
        ),
        (
            "  - temperature_k: 600\n    tau: -3\n    beta: 0.5\n",
            "bad.yaml:9: fits[1].tau",
        ),
        (
            "  - temperature_k: 600\n    beta: 0\n    tau: 2\n",
            "bad.yaml:9: fits[1].beta: must be in [0.1, 2], found 0",
        ),
        (
            "  - temperature_k: 600\n    beta: 2.5\n    tau: 2\n",
            "bad.yaml:9: fits[1].beta: must be in [0.1, 2], found 2.5",
        ),
    ] {
        std::fs::write(
            &bad,
            format!("source: x\ntime_unit: min\n# two fits\nfits:\n{good}{second}"),
        )
        .unwrap();
        let e = ReferenceSet::load(&bad).unwrap_err().to_string();
        assert!(e.contains(want), "{second:?}: {e}");
    }
}

fn stage_error(csv_text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("relax.csv");
    std::fs::write(&csv, csv_text).unwrap();
    let mut p = Params::from_pairs("stages.reference.params", "fit_sigma_inf=true").unwrap();
    p.set("file", ParamValue::Text(csv.display().to_string()));
    let registry = Registry::default();
    let ctx = StageContext {
        params: &p,
        inputs: &[],
        out_dir: dir.path(),
        registry: &registry,
        progress: &NoProgress,
    };
    let e = ReferenceStage.run(&ctx).unwrap_err().to_string();
    assert!(
        !dir.path().join("reference.csv").exists(),
        "nothing is written: {e}"
    );
    e
}

/// Relaxation data that cannot be a relaxation are refused before fitting, naming
/// the key, the file and the line: a negative or zero stress (before: negative
/// moduli and NaN wing slopes), and a stress that grows with time (before: fitted
/// with β at its bound, without a warning).
#[test]
fn stage_refuses_stress_that_is_not_a_relaxation() {
    let decay = |sign: f64, zero_at: Option<usize>| {
        let mut text = String::from("time_s,stress_mpa\n");
        for i in 0..30 {
            let t = 0.2 * f64::from(i);
            let s = if Some(i as usize) == zero_at {
                0.0
            } else {
                sign * 40.0 * (-(t / 0.87f64).powf(0.69)).exp()
            };
            text.push_str(&format!("{t},{s}\n"));
        }
        text
    };
    // Compressive sign: the first data row (line 2) is negative.
    let e = stage_error(&decay(-1.0, None));
    assert!(
        e.starts_with("stages.reference.params.file:")
            && e.contains("relax.csv:2: stress -40 at t = 0 is not positive"),
        "{e}"
    );
    // One zero in the tail (row 12 → line 13).
    let e = stage_error(&decay(1.0, Some(11)));
    assert!(e.contains("relax.csv:13: stress 0 at t = 2.2"), "{e}");
    // Growing: σ = 10 + 5 (1 − e^{−t}).
    let mut text = String::from("t,s\n");
    for i in 0..30 {
        let t = 0.2 * f64::from(i);
        text.push_str(&format!("{t},{}\n", 10.0 + 5.0 * (1.0 - (-t).exp())));
    }
    let e = stage_error(&text);
    assert!(
        e.contains("relax.csv: the stress grows with time")
            && e.contains("σ = 10 at t = 0 on line 2")
            && e.contains("on line 31"),
        "{e}"
    );
}

fn run_stage(params: Params) -> (nonaffine_core::Summary, String) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::default();
    let ctx = StageContext {
        params: &params,
        inputs: &[],
        out_dir: dir.path(),
        registry: &registry,
        progress: &NoProgress,
    };
    let summary = ReferenceStage.run(&ctx).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("reference.csv")).unwrap();
    (summary, csv)
}

#[test]
fn stage_on_the_paper_fits() {
    let mut p = Params::from_pairs(
        "stages.reference.params",
        "omega_min=0.01,omega_max=100,points=5",
    )
    .unwrap();
    p.set("file", ParamValue::Text(vendored().display().to_string()));
    let (mut summary, csv) = run_stage(p);
    assert_eq!(csv.lines().count(), 1 + 3 * 5);
    summary.0.remove("file");
    insta::assert_yaml_snapshot!(summary);
    // A few points of the three curves.
    let rows: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            format!(
                "T={} w={:e} E'={:e} E''={:e}",
                f[0],
                f[1],
                round(f[2]),
                round(f[3])
            )
        })
        .collect();
    insta::assert_yaml_snapshot!("paper_curves", rows);
}

fn round(x: f64) -> f64 {
    nonaffine_core::summary::round_sig(x, 8)
}

#[test]
fn stage_fits_raw_relaxation_data() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("relax.csv");
    let mut text = String::from("time_min,stress_mpa\n");
    for i in 0..200 {
        let t = 0.01 * 1.05f64.powi(i);
        text.push_str(&format!(
            "{t},{}\n",
            40.0 * (-(t / 0.87f64).powf(0.69)).exp()
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let mut p =
        Params::from_pairs("s", "strain=0.004,time_unit=min,temperature_k=670,points=3").unwrap();
    p.set("file", ParamValue::Text(csv.display().to_string()));
    let (summary, _) = run_stage(p);
    let t = match &summary.0["T_670K"] {
        nonaffine_core::SummaryValue::Map(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(t["beta"], nonaffine_core::SummaryValue::Float(0.69));
    assert_eq!(t["tau"], nonaffine_core::SummaryValue::Float(0.87));
    // Bad file: error names the key.
    std::fs::write(&csv, "t,s\n1,2\n2,x\n").unwrap();
    let mut p = Params::from_pairs("s", "").unwrap();
    p.set("file", ParamValue::Text(csv.display().to_string()));
    let registry = Registry::default();
    let ctx = StageContext {
        params: &p,
        inputs: &[],
        out_dir: dir.path(),
        registry: &registry,
        progress: &NoProgress,
    };
    let e = ReferenceStage.run(&ctx).unwrap_err().to_string();
    assert!(e.starts_with("s.file:") && e.contains("relax.csv:3"), "{e}");
}

/// `reference.json` carries the table's time unit in seconds and its
/// temperatures: 60 s for the paper's minutes, 1 s for a CSV by default; a
/// unit it cannot convert is refused, naming the key.
#[test]
fn stage_writes_its_time_unit_in_seconds() {
    use nonaffine_reference::outputs::ReferenceOutput;
    let run = |p: &Params, dir: &std::path::Path| {
        let registry = Registry::default();
        let ctx = StageContext {
            params: p,
            inputs: &[],
            out_dir: dir,
            registry: &registry,
            progress: &NoProgress,
        };
        ReferenceStage.run(&ctx).map(|_| ReferenceOutput::read(dir))
    };
    let dir = tempfile::tempdir().unwrap();
    let mut p = Params::from_pairs("s", "points=3").unwrap();
    p.set("file", ParamValue::Text(vendored().display().to_string()));
    let out = run(&p, dir.path()).unwrap().unwrap();
    assert_eq!((out.time_unit.as_str(), out.time_unit_s), ("min", 60.0));
    assert_eq!(out.temperatures_k, vec![670.0, 603.0, 536.0]);
    assert_eq!(out.table, "reference.csv");

    let csv = dir.path().join("relax.csv");
    let text: String = (0..80)
        .map(|i| {
            let t = 0.5 * 1.1f64.powi(i);
            format!("{t},{}\n", (-(t / 50.0f64).powf(0.6)).exp())
        })
        .collect();
    std::fs::write(&csv, text).unwrap();
    for (pairs, unit_s) in [("points=3", 1.0), ("points=3,time_unit=ms", 1e-3)] {
        let mut p = Params::from_pairs("s", pairs).unwrap();
        p.set("file", ParamValue::Text(csv.display().to_string()));
        let out = run(&p, dir.path()).unwrap().unwrap();
        assert_eq!(out.time_unit_s, unit_s, "{pairs}");
        assert_eq!(out.temperatures_k, vec![0.0]);
    }
    let mut p = Params::from_pairs("s", "time_unit=minutes").unwrap();
    p.set("file", ParamValue::Text(csv.display().to_string()));
    let e = run(&p, dir.path()).unwrap_err().to_string();
    assert!(
        e.starts_with("s.time_unit: unknown time unit `minutes`") && e.contains("min"),
        "{e}"
    );
}
