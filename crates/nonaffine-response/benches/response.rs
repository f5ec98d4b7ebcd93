//! Benchmarks: C*(ω) on 200 frequencies from 6000 dense modes (N = 2000 atoms,
//! synthetic eigenpairs), full 6×6 against the uniaxial component, and one
//! paper-mode calibration of a stretched kernel on 300 modes.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::{MemoryKernel, Modes, ModesKind, Params};
use nonaffine_response::{
    calibrate, complex_moduli, paper_moduli, uniaxial_modulus, Affine, FitMode, FreeParam,
    KernelModel, PaperHeights, Target,
};

fn modes(n: usize) -> Modes {
    let mut eigenvalues = Vec::with_capacity(n);
    let mut projections = Vec::with_capacity(n);
    for p in 0..n {
        let w = 0.5 * ((p as f64 + 0.5) / n as f64).cbrt();
        eigenvalues.push(w * w);
        let g = 6.0 * w * (1.0 + 0.3 * ((p * 7919) % 101) as f64 / 101.0);
        projections.push([g, 0.5 * g, 0.3 * g, 0.1 * g, 0.2 * g, 0.05 * g]);
    }
    Modes {
        eigenvalues,
        projections,
        participation: vec![],
        kind: Some(ModesKind::Model),
    }
}

fn stretched(v: &[f64]) -> Option<Box<dyn MemoryKernel>> {
    let p = Params::from_pairs("bench", &format!("nu0={},b={},r=1e-3", v[0], v[1])).ok()?;
    kernel_stretched_exp::build(&p).ok()
}

fn bench(c: &mut Criterion) {
    let m = modes(6000);
    let mut born = [[0.0; 6]; 6];
    born[0][0] = 150.0;
    let affine = Affine {
        born_gpa: born,
        volume_a3: 30000.0,
    };
    let kernel = stretched(&[0.137, 0.65]).unwrap();
    let grid: Vec<f64> = (0..200)
        .map(|i| 10f64.powf(-9.0 + 0.04 * f64::from(i)))
        .collect();
    c.bench_function("response_6x6_200freq_6000modes", |b| {
        b.iter(|| {
            grid.iter()
                .map(|w| complex_moduli(&affine, &m, kernel.as_ref(), *w)[0][0].im)
                .sum::<f64>()
        })
    });
    c.bench_function("response_uniaxial_200freq_6000modes", |b| {
        b.iter(|| {
            grid.iter()
                .map(|w| uniaxial_modulus(&affine, &m, kernel.as_ref(), *w).im)
                .sum::<f64>()
        })
    });

    let small = modes(300);
    let s = 10f64.powf(-4.5);
    let omega: Vec<f64> = (0..61)
        .map(|i| 10f64.powf(-4.0 + 0.1 * f64::from(i)))
        .collect();
    let h = PaperHeights {
        e_a: 1.0,
        a: 1e-4,
        b: 1e-4,
    };
    let (storage, loss): (Vec<f64>, Vec<f64>) = omega
        .iter()
        .map(|w| paper_moduli(&h, &small, kernel.as_ref(), s * w))
        .unzip();
    let target = Target {
        omega,
        storage,
        loss,
        time_unit_seconds: 60.0,
        signal_floor: 1e-3,
    };
    let model = KernelModel {
        plugin: "stretched-exp".into(),
        free: vec![
            FreeParam {
                name: "nu0".into(),
                unit: "1/time^2".into(),
                start: 0.3,
                log: true,
                lower: 1e-6,
                upper: 1e3,
                grid: vec![],
            },
            FreeParam {
                name: "b".into(),
                unit: "".into(),
                start: 0.9,
                log: false,
                lower: 0.2,
                upper: 1.5,
                grid: vec![],
            },
        ],
        build: &stretched,
    };
    let mut group = c.benchmark_group("calibration");
    group.sample_size(10);
    group.bench_function("paper_stretched_300modes_61freq_3starts", |b| {
        b.iter(|| {
            calibrate(&affine, &small, &model, FitMode::Paper, &target, 3)
                .unwrap()
                .chi2
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
