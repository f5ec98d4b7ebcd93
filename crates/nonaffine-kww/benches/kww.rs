//! Throughput of the KWW transform, and the ratio against a straightforward
//! adaptive Gauss–Kronrod quadrature on the real axis at the same accuracy.
//!
//! Run: `cargo bench -p nonaffine-kww --bench kww`
//! - `kww/full_grid`: 10 β in [0.15, 1.95] × 33 ω in [1e-8, 1e8] (330 evaluations).
//! - `kww/sub_grid` and `adaptive/sub_grid`: 4 β × 4 ω in [0.01, 10] (16 evaluations),
//!   the range where the baseline can reach 1e-10 at all; the ratio of their times is
//!   the speed-up. The baseline's agreement with kww is printed first.
//!
//! Criterion times wall-clock; on a shared machine the thread gets only part of a
//! core. So the same three loops are also timed in this thread's CPU time (Linux
//! `/proc/thread-self/schedstat`, over ≥ 2 s each) and printed as evaluations per
//! CPU-second, i.e. on one core, with the share of wall time the thread was running.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Instant;

const XK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_728,
];
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// G7–K15 on [a, b] for (cos, sin) parts at once: (kronrod, |kronrod − gauss|).
fn gk15(f: &impl Fn(f64) -> (f64, f64), a: f64, b: f64) -> ((f64, f64), f64) {
    let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
    let (mut k, mut g) = ((0.0, 0.0), (0.0, 0.0));
    for i in 0..8 {
        let pts: &[f64] = if i == 7 { &[0.0] } else { &[-XK[i], XK[i]] };
        for &x in pts {
            let v = f(c + h * x);
            k.0 += WK[i] * v.0;
            k.1 += WK[i] * v.1;
            if i % 2 == 1 {
                g.0 += WG[i / 2] * v.0;
                g.1 += WG[i / 2] * v.1;
            } else if i == 7 {
                g.0 += WG[3] * v.0;
                g.1 += WG[3] * v.1;
            }
        }
    }
    let k = (k.0 * h, k.1 * h);
    let err = (k.0 - g.0 * h).abs().max((k.1 - g.1 * h).abs());
    (k, err)
}

/// Recursive bisection until the Kronrod–Gauss difference is below `tol` or below
/// rounding (1e-15 of the piece's magnitude), at most 30 levels deep.
fn adaptive(f: &impl Fn(f64) -> (f64, f64), a: f64, b: f64, tol: f64, depth: u32) -> (f64, f64) {
    let (v, err) = gk15(f, a, b);
    if err <= tol.max(1e-15 * v.0.abs().max(v.1.abs())) || depth > 30 {
        return v;
    }
    let m = 0.5 * (a + b);
    let l = adaptive(f, a, m, 0.5 * tol, depth + 1);
    let r = adaptive(f, m, b, 0.5 * tol, depth + 1);
    (l.0 + r.0, l.1 + r.1)
}

/// The baseline: ∫₀^T e^{−t^β}(cos ωt, sin ωt) dt with T where e^{−T^β} < 1e-18,
/// split at every half period, each piece adaptive G7–K15 to a share of an absolute
/// tolerance of 1e-14 (or to rounding).
fn baseline(beta: f64, w: f64) -> (f64, f64) {
    let t_max = 42f64.powf(1.0 / beta);
    let f = |t: f64| {
        let e = (-t.powf(beta)).exp();
        let (s, c) = (w * t).sin_cos();
        (e * c, e * s)
    };
    // Break at each period so no panel spans many oscillations from the start.
    let panels = ((w * t_max / std::f64::consts::PI).ceil() as usize).clamp(1, 1_000_000);
    let tol = 1e-14 / panels as f64;
    let dt = t_max / panels as f64;
    let mut sum = (0.0, 0.0);
    for i in 0..panels {
        let v = adaptive(&f, i as f64 * dt, (i + 1) as f64 * dt, tol, 0);
        sum.0 += v.0;
        sum.1 += v.1;
    }
    sum
}

fn full_grid() -> Vec<(f64, f64)> {
    let mut g = Vec::new();
    for i in 0..10 {
        for j in 0..33 {
            g.push((
                0.15 + 0.2 * f64::from(i),
                10f64.powf(-8.0 + 0.5 * f64::from(j)),
            ));
        }
    }
    g
}

fn sub_grid() -> Vec<(f64, f64)> {
    let mut g = Vec::new();
    for beta in [0.5, 0.7, 1.3, 1.7] {
        for w in [0.01, 0.1, 1.0, 10.0] {
            g.push((beta, w));
        }
    }
    g
}

/// CPU time this thread has run, in ns (Linux; the kernel updates it at scheduler
/// ticks, so it is good to a few ms). `None` where /proc is missing.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// (evaluations per CPU-second, share of wall time on a CPU) for `pass`, which
/// evaluates `points` values, repeated in doubling batches until ≥ 2 s of CPU time.
fn per_cpu_second(points: usize, pass: impl Fn()) -> Option<(f64, f64)> {
    let (cpu0, wall0) = (thread_cpu_ns()?, Instant::now());
    let (mut passes, mut batch) = (0_u64, 1_u64);
    loop {
        for _ in 0..batch {
            pass();
        }
        passes += batch;
        batch *= 2;
        let cpu = (thread_cpu_ns()? - cpu0) as f64 * 1e-9;
        if cpu >= 2.0 {
            let evaluations = (passes * points as u64) as f64;
            return Some((evaluations / cpu, cpu / wall0.elapsed().as_secs_f64()));
        }
    }
}

fn one_core_figures(full: &[(f64, f64)], sub: &[(f64, f64)]) {
    let kww_pass = |grid: &[(f64, f64)]| {
        for &(beta, w) in grid {
            black_box(nonaffine_kww::kww(black_box(beta), black_box(w)).unwrap());
        }
    };
    let figures = (
        per_cpu_second(full.len(), || kww_pass(full)),
        per_cpu_second(sub.len(), || kww_pass(sub)),
        per_cpu_second(sub.len(), || {
            for &(beta, w) in sub {
                black_box(baseline(black_box(beta), black_box(w)));
            }
        }),
    );
    match figures {
        (Some(f), Some(k), Some(a)) => println!(
            "one core (thread CPU time): kww full grid {:.3e} evaluations/s; sub-grid kww {:.3e}/s, \
             adaptive {:.3e}/s, ratio {:.0}; the thread ran {:.0}%, {:.0}%, {:.0}% of wall time",
            f.0,
            k.0,
            a.0,
            k.0 / a.0,
            100.0 * f.1,
            100.0 * k.1,
            100.0 * a.1
        ),
        _ => println!("one-core figures need /proc/thread-self/schedstat (Linux)"),
    }
}

fn bench(c: &mut Criterion) {
    let sub = sub_grid();
    let mut worst: f64 = 0.0;
    for &(b, w) in &sub {
        let (x, y) = nonaffine_kww::kww(b, w).unwrap();
        let (p, q) = baseline(b, w);
        worst = worst.max(((x - p) / x).abs()).max(((y - q) / y).abs());
    }
    println!("adaptive baseline vs kww on the sub-grid: max relative difference {worst:.1e}");

    let full = full_grid();
    one_core_figures(&full, &sub);
    let mut group = c.benchmark_group("kww");
    group.sample_size(10);
    group.throughput(Throughput::Elements(full.len() as u64));
    group.bench_function("full_grid", |b| {
        b.iter(|| {
            for &(beta, w) in &full {
                black_box(nonaffine_kww::kww(black_box(beta), black_box(w)).unwrap());
            }
        })
    });
    group.throughput(Throughput::Elements(sub.len() as u64));
    group.bench_function("sub_grid", |b| {
        b.iter(|| {
            for &(beta, w) in &sub {
                black_box(nonaffine_kww::kww(black_box(beta), black_box(w)).unwrap());
            }
        })
    });
    group.finish();
    let mut group = c.benchmark_group("adaptive");
    group
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(20));
    group.throughput(Throughput::Elements(sub.len() as u64));
    group.bench_function("sub_grid", |b| {
        b.iter(|| {
            for &(beta, w) in &sub {
                black_box(baseline(black_box(beta), black_box(w)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
