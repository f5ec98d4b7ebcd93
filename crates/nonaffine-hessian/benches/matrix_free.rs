//! The matrix-free product D·v ([`MatrixFreeHessian`]) on replicated Cu50Zr50
//! glasses against its memory-traffic bound: the peer, run in the same
//! process on the same threads, streams every stored pair array once
//! ([`MatrixFreeHessian::stream_pair_data`]), which measures the bandwidth;
//! the bound is the bytes of pair data one product reads
//! ([`MatrixFreeHessian::bytes_per_product`]: the first pass reads every
//! pair, the second only those with a density gradient) at that bandwidth,
//! and the ratio D·v ÷ bound says how far the product is from memory speed.
//!
//! Glass: the 256-atom glass quenched by LAMMPS that the assembly benchmark
//! uses (`target/hessian-bench/base_256.data`), replicated 2×4×4 (8192
//! atoms), 8×8×8 (131 072) and 16×16×17 (1 114 112 atoms, ≈ 2.3 GB of pair
//! data and 5.5 GB peak while the pair list is built). At 8192 atoms D·v is
//! also checked against the stored CSR matrix (relative difference printed).
//!
//! ```text
//! cargo bench -p nonaffine-hessian --bench matrix_free
//! MATRIX_FREE_SIZES=2x4x4,8x8x8 cargo bench -p nonaffine-hessian --bench matrix_free
//! ```
//! prints, per size, the medians of 9 rounds of a product, a product with the
//! portable loops instead of vector instructions and a streaming read, the
//! bytes read per product, the bandwidth, the bound and the ratio, and the
//! peak resident memory; criterion then times both at 8192 atoms.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../tests/support/mod.rs"]
mod support;

use common::{base_glass, peak_bytes, replicate, reset_peak, rss_bytes};
use criterion::{criterion_group, criterion_main, Criterion};
use nonaffine_core::{Potential, SymmetricOperator};
use nonaffine_hessian::{compute_with_form, HessianOptions, MatrixFreeHessian};
use std::hint::black_box;
use std::time::Instant;

/// Rounds of timings per size.
const ROUNDS: usize = 9;

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn sizes() -> Vec<[usize; 3]> {
    let text = std::env::var("MATRIX_FREE_SIZES").unwrap_or_else(|_| "2x4x4,8x8x8,16x16x17".into());
    text.split(',')
        .map(|s| {
            let v: Vec<usize> = s.split('x').map(|x| x.trim().parse().unwrap()).collect();
            [v[0], v[1], v[2]]
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let pot = support::cuzr_potential();
    let form = pot.form().unwrap();
    let base = base_glass(256);
    let mut table = Vec::new();
    for copies in sizes() {
        let s = replicate(&base, copies);
        let n = s.len();
        let rss0 = rss_bytes().unwrap_or(0);
        reset_peak();
        let clock = Instant::now();
        let mut op = MatrixFreeHessian::new(form, &s).unwrap();
        let build_s = clock.elapsed().as_secs_f64();
        let peak = peak_bytes().unwrap_or(0).saturating_sub(rss0);
        let x: Vec<f64> = (0..op.dim())
            .map(|i| ((i % 7) as f64 - 3.0) / 3.0)
            .collect();
        let mut y = vec![0.0; op.dim()];
        op.apply(&x, &mut y); // warm: pages of the accumulators

        // The portable loops must give the vector instructions' result.
        let vector = op.vector_instructions();
        let y_vector = y.clone();
        op.use_vector_instructions(false);
        op.apply(&x, &mut y);
        assert!(
            y == y_vector,
            "the portable product differs from the vector one"
        );
        // Rounds of (D·v, D·v with portable loops, streaming read), so that
        // all three see the same machine; medians of each.
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            for (k, t) in times.iter_mut().enumerate() {
                let clock = Instant::now();
                match k {
                    0 | 1 => {
                        op.use_vector_instructions(k == 0);
                        op.apply(black_box(&x), &mut y);
                        black_box(&y);
                    }
                    _ => {
                        black_box(op.stream_pair_data());
                    }
                }
                t.push(clock.elapsed().as_secs_f64());
            }
        }
        op.use_vector_instructions(true);
        let [product_s, portable_s, stream_s] = times.map(median);
        let bytes = op.bytes_per_product() as f64;
        let rate = op.pair_array_bytes() as f64 / stream_s; // bytes per second
        let bound_s = bytes / rate;
        let check = if n <= 10_000 {
            let p = compute_with_form(
                &s,
                form,
                &HessianOptions {
                    relaxed: false,
                    ..Default::default()
                },
            )
            .unwrap()
            .products;
            let d = p.mass_weighted();
            let mut want = vec![0.0; op.dim()];
            for (row, lane) in d.row_iter().enumerate() {
                want[row] = lane
                    .col_indices()
                    .iter()
                    .zip(lane.values())
                    .map(|(c, v)| v * x[*c])
                    .sum();
            }
            op.apply(&x, &mut y);
            let diff: f64 = y.iter().zip(&want).map(|(a, b)| (a - b).powi(2)).sum();
            let norm: f64 = want.iter().map(|b| b * b).sum();
            format!("{:.1e}", (diff / norm).sqrt())
        } else {
            "—".into()
        };
        eprintln!(
            "N = {n}: {} pairs, operator {:.2} GB (built in {build_s:.1} s, peak RSS growth {:.2} GB); \
             D·v {product_s:.4} s; it reads {:.2} GB of pair data, {bound_s:.4} s at the \
             {:.1} GB/s of the streaming read ({stream_s:.4} s): ratio {:.2}; portable loops {portable_s:.4} s ({:.2}× the vector \
             instructions', which are {}); vs CSR {check}",
            op.pairs(),
            op.bytes() as f64 / 1e9,
            peak as f64 / 1e9,
            bytes / 1e9,
            rate / 1e9,
            product_s / bound_s,
            portable_s / product_s,
            if vector { "in use" } else { "not available" },
        );
        table.push(format!(
            "| {n} | {} | {:.2} GB | {:.2} GB | {product_s:.4} s | {bound_s:.4} s | {:.1} GB/s | {:.2} | {portable_s:.4} s | {:.2} GB | {check} |",
            op.pairs(),
            op.bytes() as f64 / 1e9,
            bytes / 1e9,
            rate / 1e9,
            product_s / bound_s,
            peak as f64 / 1e9,
        ));
        if n <= 10_000 {
            let mut group = c.benchmark_group("matrix_free");
            group.sample_size(20);
            group.bench_function(format!("D·v N={n}"), |b| b.iter(|| op.apply(&x, &mut y)));
            group.bench_function(format!("stream N={n}"), |b| {
                b.iter(|| black_box(op.stream_pair_data()))
            });
            group.finish();
        }
    }
    eprintln!(
        "\n| N | pairs | operator | read per D·v | D·v ({} threads) | bound (read at stream rate) | stream rate | ratio | D·v, portable loops | peak RSS growth (build) | vs CSR |\n|---|---|---|---|---|---|---|---|---|---|---|",
        rayon::current_num_threads()
    );
    for row in table {
        eprintln!("{row}");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
