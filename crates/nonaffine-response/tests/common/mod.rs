//! Shared test fixtures: kernels built from their plugins, a deterministic
//! synthetic spectrum with a boson-peak excess.
#![allow(dead_code, clippy::unwrap_used)]

use nonaffine_core::{MemoryKernel, Modes, ModesKind, Params};

/// A kernel plugin built from `k=v` pairs.
pub fn kernel(plugin: &str, pairs: &str) -> Box<dyn MemoryKernel> {
    let p = Params::from_pairs("test", pairs).unwrap();
    match plugin {
        "markovian" => kernel_markovian::build(&p),
        "exponential" => kernel_exponential::build(&p),
        "stretched-exp" => kernel_stretched_exp::build(&p),
        _ => panic!("unknown test kernel {plugin}"),
    }
    .unwrap()
}

/// Deterministic uniform numbers in (0, 1) (xorshift).
pub fn uniforms(n: usize, mut state: u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        })
        .collect()
}

/// `n` modes: a Debye ω² background up to ω_D = 0.5 plus a boson-peak excess
/// (a third of the modes near ω = 0.08), Ξ̂_xx² ∝ ω_p² (affine-like coupling)
/// with a deterministic spread; eigenvalues in eV/(Å²·amu).
pub fn boson_peak_modes(n: usize) -> Modes {
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
