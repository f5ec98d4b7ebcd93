//! The `spectrum` stage on small spring networks written as Hessian-stage folders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nalgebra_sparse::{CooMatrix, CsrMatrix};
use nonaffine_core::{
    Cell, ModesKind, NoProgress, ParamValue, Params, Registry, Species, Stage, StageContext,
    StageError, StageInput, Structure, Summary,
};
use nonaffine_hessian::outputs::StructureOutput;
use nonaffine_hessian::{compute, compute_matrix_free, HessianOptions, HessianProducts};
use nonaffine_spectrum::modes_file::{read_modes_csv, response_modes};
use nonaffine_spectrum::outputs::{sample_dirs, SampleOutput};
use nonaffine_spectrum::SpectrumStage;
use nonaffine_springs::SpringNetwork;
use std::collections::BTreeMap;
use std::path::Path;

fn registry() -> Registry {
    let mut r = Registry::default();
    r.spectrum_solvers
        .register(spectrum_dense::INFO, spectrum_dense::build);
    r.spectrum_solvers
        .register(spectrum_arpack::INFO, spectrum_arpack::build);
    r.spectrum_solvers
        .register(spectrum_lanczos::INFO, spectrum_lanczos::build);
    r.potentials
        .register(potential_eam::fs::INFO, potential_eam::fs::build);
    r
}

/// Runs the stage with `k=v` pairs; `solver` and every key that is not the
/// stage's own go into the `solver: { plugin: NAME, ... }` map, as the CLI does.
fn run(inputs: &[&Path], params: &str, out: &Path) -> Result<Summary, StageError> {
    let flat = Params::from_pairs("stages.spectrum.params", params).unwrap();
    run_with(inputs, solver_nested(&flat), out)
}

/// `k=v` pairs with the solver's keys moved into `solver: { plugin: NAME, ... }`.
fn solver_nested(flat: &Params) -> Params {
    let own: Vec<&str> = nonaffine_spectrum::INFO
        .params
        .iter()
        .map(|s| s.name)
        .filter(|n| *n != "solver")
        .collect();
    let mut values = BTreeMap::new();
    let mut solver = BTreeMap::new();
    for (k, v) in flat.values() {
        match k.as_str() {
            "solver" => solver.insert("plugin".to_string(), v.clone()),
            k if own.contains(&k) => values.insert(k.to_string(), v.clone()),
            _ => solver.insert(k.clone(), v.clone()),
        };
    }
    if !solver.is_empty() {
        solver
            .entry("plugin".to_string())
            .or_insert(ParamValue::Text("dense".into()));
        values.insert("solver".to_string(), ParamValue::Map(solver));
    }
    Params::new(flat.origin(), values)
}

fn run_with(inputs: &[&Path], params: Params, out: &Path) -> Result<Summary, StageError> {
    let reg = registry();
    let inputs: Vec<StageInput> = inputs
        .iter()
        .map(|d| StageInput {
            stage: "hessian".into(),
            kind: "hessian".into(),
            branch: String::new(),
            dir: d.to_path_buf(),
        })
        .collect();
    let ctx = StageContext {
        params: &params,
        inputs: &inputs,
        out_dir: out,
        registry: &reg,
        progress: &NoProgress,
    };
    SpectrumStage.run(&ctx)
}

fn network(seed: u64) -> HessianProducts {
    SpringNetwork {
        cells: 3,
        seed,
        ..SpringNetwork::default()
    }
    .products()
}

/// Two samples in one Hessian folder: files, counts and the summary snapshot.
#[test]
fn two_samples_give_files_averages_and_a_stable_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let hess = tmp.path().join("hessian");
    for seed in [1, 2] {
        network(seed)
            .write_dir(&hess.join(format!("seed={seed}")))
            .unwrap();
    }
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let summary = run(&[&hess], "bins=40", &out).unwrap();
    insta::assert_yaml_snapshot!(summary);
    for f in [
        "spectrum.json",
        "vdos.csv",
        "gamma.csv",
        "vdos.svg",
        "boson_peak.svg",
        "gamma.svg",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    for f in ["vdos.png", "boson_peak.png", "gamma.png"] {
        assert!(out.join(f).is_file(), "{f} (needs fonts-dejavu-core)");
    }
    // modes.csv: all 3N rows, 3 zero modes, the rest used by the response.
    let rows = read_modes_csv(&out.join("seed=1/modes.csv")).unwrap();
    assert_eq!(rows.len(), 324);
    assert_eq!(rows.iter().filter(|r| r.class == "zero").count(), 3);
    assert_eq!(response_modes(&rows).len(), 321);
    // VDOS normalised over the non-zero modes: ∫ D dν = 1 for each curve.
    let text = std::fs::read_to_string(out.join("vdos.csv")).unwrap();
    let lines: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let width = lines[1][0] - lines[0][0];
    let hist: f64 = lines.iter().map(|l| l[1]).sum::<f64>() * width;
    let smooth: f64 = lines.iter().map(|l| l[3]).sum::<f64>() * width;
    assert!((hist - 1.0).abs() < 1e-6, "{hist}"); // centres are written to 7 digits
    assert!((smooth - 1.0).abs() < 0.02, "{smooth}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spectrum.json")).unwrap()).unwrap();
    assert_eq!(json["samples"].as_array().unwrap().len(), 2);
    assert_eq!(json["samples"][0]["census"]["zero"], 3);
    assert_eq!(
        json["samples"][0]["debye"]["moduli_source"],
        "relaxed (from modes)"
    );
}

/// The capture temperature flows from the hessian stage's `structure.json`
/// into `sample.json`, and the stage's sample.json reads back as the typed
/// [`SampleOutput`] with the values of the full report; a structure with no
/// structure.json (products written outside a workflow) has no temperature.
#[test]
fn sample_output_carries_the_capture_temperature() {
    let tmp = tempfile::tempdir().unwrap();
    let p = network(3);
    for (name, temperature) in [("T670K_s0", Some(670.0)), ("plain", None)] {
        let dir = tmp.path().join("h").join(name);
        p.write_dir(&dir).unwrap();
        if let Some(t) = temperature {
            StructureOutput {
                format: nonaffine_hessian::outputs::FORMAT,
                name: name.into(),
                source: "glass_T670K_s0.data".into(),
                temperature_k: Some(t),
                sample: Some(0),
            }
            .write(&dir)
            .unwrap();
        }
    }
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    run(&[&tmp.path().join("h")], "plots=false", &out).unwrap();
    assert_eq!(
        sample_dirs(&out).unwrap(),
        [out.join("T670K_s0"), out.join("plain")]
    );
    for (name, temperature) in [("T670K_s0", Some(670.0)), ("plain", None)] {
        let typed = SampleOutput::read(&out.join(name)).unwrap();
        let full: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(name).join("sample.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(typed.temperature_k, temperature, "{name}");
        assert_eq!(typed.name, name);
        assert_eq!(typed.modes_kind, ModesKind::Complete);
        assert_eq!(typed.volume_a3, full["volume_a3"].as_f64().unwrap());
        assert_eq!(typed.born_gpa, p.born_gpa);
        assert_eq!(
            typed.debye.map(|d| d.frequency_thz),
            full["debye"]["frequency_thz"].as_f64()
        );
    }
}

/// C^relaxed = C^B − (1/V) Σ Ξ̂Ξ̂/ω² from the modes equals C^B − (1/V) ξᵀ D⁺ ξ
/// with D⁺ξ from conjugate gradients (no eigenvectors involved).
#[test]
fn relaxed_moduli_from_modes_match_conjugate_gradients() {
    let tmp = tempfile::tempdir().unwrap();
    let p = network(3);
    p.write_dir(&tmp.path().join("h")).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    run(&[&tmp.path().join("h")], "plots=false", &out).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sample/sample.json")).unwrap())
            .unwrap();
    let from_modes = &json["relaxed_from_modes_gpa"];
    let d = p.mass_weighted();
    let xi = p.xi_mass_weighted();
    let v = p.volume_a3();
    for a in 0..6 {
        let b_vec: Vec<f64> = xi.iter().map(|x| x[a]).collect();
        let u = conjugate_gradients(&d, &b_vec);
        for b in 0..6 {
            let s: f64 = xi.iter().zip(&u).map(|(x, u)| x[b] * u).sum();
            let want = p.born_gpa[a][b] - s / v * nonaffine_core::units::GPA_PER_EV_PER_A3;
            let got = from_modes[a][b].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-8 * p.born_gpa[0][0],
                "C[{a}][{b}] {got} vs {want}"
            );
        }
    }
}

fn conjugate_gradients(a: &CsrMatrix<f64>, b: &[f64]) -> Vec<f64> {
    let mul = |x: &[f64]| -> Vec<f64> {
        a.row_iter()
            .map(|r| {
                r.col_indices()
                    .iter()
                    .zip(r.values())
                    .map(|(j, v)| v * x[*j])
                    .sum()
            })
            .collect()
    };
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let mut x = vec![0.0; b.len()];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut rr = dot(&r, &r);
    let tol = 1e-28 * rr;
    for _ in 0..10 * b.len() {
        let ap = mul(&p);
        let alpha = rr / dot(&p, &ap);
        for k in 0..x.len() {
            x[k] += alpha * p[k];
            r[k] -= alpha * ap[k];
        }
        let rr_new = dot(&r, &r);
        if rr_new < tol {
            break;
        }
        for k in 0..p.len() {
            p[k] = r[k] + rr_new / rr * p[k];
        }
        rr = rr_new;
    }
    x
}

/// A structure off its minimum (one spring of negative stiffness) is refused
/// by default and reported when excluded.
#[test]
fn negative_modes_fail_by_default_and_are_reported_when_excluded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = network(4);
    let mut coo = CooMatrix::new(p.hessian.nrows(), p.hessian.ncols());
    for (i, j, v) in p.hessian.triplet_iter() {
        coo.push(i, j, *v);
    }
    let k = -6.0;
    for (i, j, s) in [(0, 0, 1.0), (3, 3, 1.0), (0, 3, -1.0), (3, 0, -1.0)] {
        coo.push(i, j, k * s);
    }
    p.hessian = CsrMatrix::from(&coo);
    p.write_dir(&tmp.path().join("h")).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let e = run(&[&tmp.path().join("h")], "plots=false", &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("1 negative eigenvalue") && e.contains("negative_modes: exclude"),
        "{e}"
    );
    let s = run(
        &[&tmp.path().join("h")],
        "plots=false,negative_modes=exclude",
        &out,
    )
    .unwrap();
    assert_eq!(s.0["negative_modes"], nonaffine_core::SummaryValue::Int(1));
    let rows = read_modes_csv(&out.join("sample/modes.csv")).unwrap();
    assert_eq!(rows.iter().filter(|r| r.class == "negative").count(), 1);
    let json = std::fs::read_to_string(out.join("spectrum.json")).unwrap();
    assert!(json.contains("negative eigenvalue(s)"), "{json}");
}

#[test]
fn missing_or_wrong_inputs_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let e = run(&[], "", &out).unwrap_err().to_string();
    assert!(e.contains("`hessian` stage"), "{e}");
    let e = run(&[tmp.path()], "", &out).unwrap_err().to_string();
    assert!(e.contains("no xi.csv"), "{e}");
    let e = run(&[tmp.path()], "solver=eigen", &out)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown spectrum solver plugin `eigen`"), "{e}");
    // A solver parameter's error names its full key under `solver`.
    let e = run(&[tmp.path()], "solver=lanczos,steps=0", &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("stages.spectrum.params.solver.steps: must be at least 1"),
        "{e}"
    );
    let e = run(&[tmp.path()], "solver=lanczos,stepz=3", &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("stages.spectrum.params.solver.stepz") && e.contains("did you mean `steps`"),
        "{e}"
    );
    let e = run(&[tmp.path()], "negative_modes=ignore", &out)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("negative_modes") && e.contains("error, exclude"),
        "{e}"
    );
}

/// The dense solver's needs come from hessian.mtx's size line, before any matrix
/// is read: a header declaring 3N = 40 500 (a 13 500-atom glass; no entries
/// follow) is refused at once, naming the file, the need in GiB, the available
/// memory and the alternatives, even behind a sample that would solve (before:
/// the whole file was read and dsyevd refused it after growing to 15 GB).
#[test]
fn dense_refuses_a_matrix_too_large_before_reading_it() {
    let tmp = tempfile::tempdir().unwrap();
    network(6).write_dir(&tmp.path().join("h/a")).unwrap();
    let big = tmp.path().join("h/b");
    std::fs::create_dir_all(&big).unwrap();
    std::fs::write(big.join("xi.csv"), "atom,type,xx,yy,zz,yz,xz,xy\n").unwrap();
    std::fs::write(
        big.join("hessian.mtx"),
        "%%MatrixMarket matrix coordinate real symmetric\n40500 40500 40000000\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let clock = std::time::Instant::now();
    let e = run(&[&tmp.path().join("h")], "solver=dense", &out)
        .unwrap_err()
        .to_string();
    assert!(clock.elapsed().as_secs_f64() < 5.0, "{:?}", clock.elapsed());
    assert!(
        e.contains(&format!(
            "{}: spectrum solver `dense`",
            big.join("hessian.mtx").display()
        )) && e.contains("3N = 40500 is too large")
            && e.contains("needs 36.7 GiB")
            && e.contains("32-bit")
            && (e.contains("GiB available (MemAvailable)") || e.contains("memory unknown"))
            && e.contains("plugin: lanczos")
            && e.contains("operator: matrix-free")
            && e.contains("--no-matrix"),
        "{e}"
    );
    assert!(!out.join("a").exists(), "no sample was solved: {e}");
}

/// The deprecated `solver: NAME` text still chooses the solver (the workflow
/// validator warns and rewrites it as `{ plugin: NAME }`).
#[test]
fn solver_as_bare_text_still_works() {
    let tmp = tempfile::tempdir().unwrap();
    network(6).write_dir(&tmp.path().join("h")).unwrap();
    let out = tmp.path().join("a");
    std::fs::create_dir_all(&out).unwrap();
    let mut params = Params::from_pairs("stages.spectrum.params", "plots=false").unwrap();
    params.set("solver", ParamValue::Text("lanczos".into()));
    let s = run_with(&[&tmp.path().join("h")], params, &out).unwrap();
    assert_eq!(
        s.0["modes_kind"],
        nonaffine_core::SummaryValue::Text("quadrature".into())
    );
}

/// The lowest-k window by ARPACK gives the dense solver's lowest frequency,
/// three zero modes and a boson-peak window below its top mode.
#[test]
fn arpack_window_agrees_with_dense() {
    let tmp = tempfile::tempdir().unwrap();
    network(6).write_dir(&tmp.path().join("h")).unwrap();
    let (a, d) = (tmp.path().join("a"), tmp.path().join("d"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&d).unwrap();
    let sa = run(
        &[&tmp.path().join("h")],
        "solver=arpack,modes=60,plots=false",
        &a,
    )
    .unwrap();
    let sd = run(&[&tmp.path().join("h")], "plots=false", &d).unwrap();
    assert_eq!(sa.0["lowest_thz"], sd.0["lowest_thz"]);
    assert_eq!(sa.0["zero_modes"], nonaffine_core::SummaryValue::Int(3));
    assert_eq!(
        sa.0["modes_kind"],
        nonaffine_core::SummaryValue::Text("lowest".into())
    );
    let rows = read_modes_csv(&a.join("sample/modes.csv")).unwrap();
    assert_eq!(rows.len(), 60);
}

/// The matrix-free KPM VDOS follows the dense one: mean absolute difference of
/// the curves on the grid well below the VDOS scale, same total weight.
#[test]
fn lanczos_vdos_follows_dense() {
    let tmp = tempfile::tempdir().unwrap();
    SpringNetwork {
        cells: 5,
        seed: 3,
        ..SpringNetwork::default()
    }
    .products()
    .write_dir(&tmp.path().join("h"))
    .unwrap();
    let (l, d) = (tmp.path().join("l"), tmp.path().join("d"));
    std::fs::create_dir_all(&l).unwrap();
    std::fs::create_dir_all(&d).unwrap();
    let common = "bins=60,nu_max_thz=8,smoothing_thz=0.25,plots=false";
    let sl = run(
        &[&tmp.path().join("h")],
        &format!("solver=lanczos,steps=30,moments=300,random_vectors=30,{common}"),
        &l,
    )
    .unwrap();
    run(&[&tmp.path().join("h")], common, &d).unwrap();
    assert_eq!(
        sl.0["modes_kind"],
        nonaffine_core::SummaryValue::Text("quadrature".into())
    );
    let column = |dir: &Path, k: usize| -> Vec<f64> {
        std::fs::read_to_string(dir.join("vdos.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|line| line.split(',').nth(k).unwrap().parse().unwrap())
            .collect()
    };
    let (kpm, dense) = (column(&l, 3), column(&d, 3));
    let width = 8.0 / 60.0;
    let total: f64 = kpm.iter().sum::<f64>() * width;
    assert!((total - 1.0).abs() < 0.05, "{total}");
    let peak = dense.iter().copied().fold(0.0, f64::max);
    let mean_diff = kpm
        .iter()
        .zip(&dense)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / kpm.len() as f64;
    assert!(
        mean_diff < 0.1 * peak,
        "mean |KPM − dense| = {mean_diff} (peak {peak})"
    );
}

fn cuzr_potential_param() -> ParamValue {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vendor/potentials/CuZr_mm.eam.fs");
    ParamValue::Map(BTreeMap::from([
        ("plugin".to_string(), ParamValue::Text("eam/fs".into())),
        (
            "file".to_string(),
            ParamValue::Text(file.display().to_string()),
        ),
        (
            "elements".to_string(),
            ParamValue::List(vec![
                ParamValue::Text("Cu".into()),
                ParamValue::Text("Zr".into()),
            ]),
        ),
    ]))
}

/// 128 atoms of Cu50Zr50 on a jittered bcc lattice, its Hessian folder
/// (with `matrix`, as the hessian stage's default writes it; without, as
/// `matrix: false` does: no hessian.mtx).
fn cuzr_hessian_dir(dir: &Path, matrix: bool) {
    let a = 3.26;
    let cells = 4;
    let l = cells as f64 * a;
    let cell = Cell::orthogonal(l, l, l);
    let (mut positions, mut types) = (Vec::new(), Vec::new());
    for m in 0..2 * cells * cells * cells {
        let (c, off) = (m / 2, 0.5 * (m % 2) as f64);
        let s = [
            ((c % cells) as f64 + off + 0.1) / cells as f64,
            ((c / cells % cells) as f64 + off + 0.1) / cells as f64,
            ((c / (cells * cells)) as f64 + off + 0.1) / cells as f64,
        ];
        let mut x = cell.cartesian(s);
        let t = m as f64;
        x[0] += 0.1 * (0.7 * t).sin();
        x[1] += 0.1 * (1.3 * t).cos();
        x[2] -= 0.1 * (0.4 * t).sin();
        positions.push(x);
        types.push(m % 2);
    }
    let species = vec![
        Species {
            name: "Cu".into(),
            mass_amu: 63.546,
        },
        Species {
            name: "Zr".into(),
            mass_amu: 91.224,
        },
    ];
    let n = positions.len();
    let s = Structure::new(cell, species, types, positions, vec![[0; 3]; n]).unwrap();
    let reg = registry();
    let mut v = BTreeMap::new();
    v.insert("potential".to_string(), cuzr_potential_param());
    let (name, pot) = Params::new("p", v).plugin("potential").unwrap();
    let pot = reg.potential(&name, &pot).unwrap();
    let options = HessianOptions {
        relaxed: false,
        ..Default::default()
    };
    if matrix {
        compute(&s, pot.as_ref(), &options)
            .unwrap()
            .products
            .write_dir(dir)
            .unwrap();
    } else {
        compute_matrix_free(&s, pot.as_ref(), &options)
            .unwrap()
            .products
            .write_dir_without_matrix(dir)
            .unwrap();
    }
}

/// `operator: matrix-free` gives the lanczos solver the pair-list D·v: the
/// quadrature (resolvent sums) equals the stored matrix's to round-off; the
/// potential is required and checked against xi.csv; spectrum.json reports
/// the operator, mode counts and per-phase timings. The same holds on the
/// folder of a hessian stage run with `matrix: false` (no hessian.mtx).
#[test]
fn matrix_free_operator_gives_the_stored_operators_quadrature() {
    let tmp = tempfile::tempdir().unwrap();
    let hess = tmp.path().join("hessian");
    cuzr_hessian_dir(&hess, true);
    let free = tmp.path().join("hessian-without-matrix");
    cuzr_hessian_dir(&free, false);
    assert!(!free.join("hessian.mtx").exists());
    let lanczos = "solver=lanczos,steps=12,moments=64,random_vectors=2,grid=200,negative_modes=exclude,plots=false";
    let mut outs = Vec::new();
    for (k, (operator, hess)) in [
        ("stored", &hess),
        ("matrix-free", &hess),
        ("matrix-free", &free),
    ]
    .into_iter()
    .enumerate()
    {
        let out = tmp.path().join(format!("{operator}-{k}"));
        std::fs::create_dir_all(&out).unwrap();
        let mut params = solver_nested(
            &Params::from_pairs(
                "stages.spectrum.params",
                &format!("{lanczos},operator={operator}"),
            )
            .unwrap(),
        );
        params.set("potential", cuzr_potential_param());
        run_with(&[hess], params, &out).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("spectrum.json")).unwrap())
                .unwrap();
        assert_eq!(json["operator"], operator);
        assert_eq!(json["samples"][0]["operator"], operator);
        assert_eq!(json["zero_modes"], 3);
        for phase in [
            "load",
            "operator",
            "solve",
            "analysis",
            "averages_and_plots",
            "total",
        ] {
            assert!(json["timings_s"][phase].as_f64().unwrap() >= 0.0, "{phase}");
        }
        outs.push(read_modes_csv(&out.join("sample/modes.csv")).unwrap());
    }
    let scale = outs[0]
        .iter()
        .fold(0.0f64, |m, r| m.max(r.eigenvalue.abs()));
    let weight = outs[0]
        .iter()
        .flat_map(|r| r.projection)
        .fold(0.0f64, |m, x| m.max(x.abs()));
    for other in &outs[1..] {
        assert_eq!(outs[0].len(), other.len());
        for (a, b) in outs[0].iter().zip(other) {
            assert!(
                (a.eigenvalue - b.eigenvalue).abs() <= 1e-9 * scale,
                "{} vs {}",
                a.eigenvalue,
                b.eigenvalue
            );
            for k in 0..6 {
                assert!((a.projection[k].abs() - b.projection[k].abs()).abs() <= 1e-7 * weight);
            }
        }
    }
    // The stored operator needs the matrix the folder does not have.
    let out = tmp.path().join("stored-without-matrix");
    std::fs::create_dir_all(&out).unwrap();
    let e = run(&[&free], &format!("{lanczos},operator=stored"), &out).unwrap_err();
    assert!(e.to_string().contains("operator: matrix-free"), "{e}");

    // Without the potential, the error says what to give.
    let out = tmp.path().join("missing");
    std::fs::create_dir_all(&out).unwrap();
    let e = run(&[&hess], &format!("{lanczos},operator=matrix-free"), &out).unwrap_err();
    assert!(
        e.to_string().contains("stages.spectrum.params.potential"),
        "{e}"
    );
    let e = run(&[&hess], "operator=matrix", &out).unwrap_err();
    assert!(e.to_string().contains("stored, matrix-free"), "{e}");
}
