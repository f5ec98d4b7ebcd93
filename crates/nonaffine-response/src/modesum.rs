//! Mode sums R_ab(z) = Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − z) (docs/theory.md Eq. (43)).

use nonaffine_core::spectrum::debye_law_eigenvalues;
use nonaffine_core::{Modes, ModesKind};
use num_complex::Complex64;

/// Eigenvalues at or below this (eV/(Å²·amu)) are zero modes and skipped.
pub const ZERO_MODE_FLOOR: f64 = 1e-10;

/// A spectrum seen through its resolvent: everything the response needs.
pub trait ModeSum: Sync {
    /// R_ab(z) = Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − z), eV, for z in eV/(Å²·amu),
    /// Voigt indices a, b (xx yy zz yz xz xy).
    fn resolvent(&self, z: Complex64) -> [[Complex64; 6]; 6];
    /// One component R_ab(z); override when it is cheaper than the full matrix.
    fn resolvent_component(&self, z: Complex64, a: usize, b: usize) -> Complex64 {
        self.resolvent(z)[a][b]
    }
    /// R_ab at each of `zs`; override when many points share work (the
    /// calibration evaluates whole frequency grids).
    fn resolvent_components(&self, zs: &[Complex64], a: usize, b: usize) -> Vec<Complex64> {
        zs.iter()
            .map(|z| self.resolvent_component(*z, a, b))
            .collect()
    }
    /// Smallest non-zero ω_p², eV/(Å²·amu) (for the coupling strength
    /// max_p ω ν1(ω)/ω_p² of docs/theory.md Eq. (55)).
    fn lowest_eigenvalue(&self) -> Option<f64>;
}

impl ModeSum for Modes {
    fn resolvent(&self, z: Complex64) -> [[Complex64; 6]; 6] {
        self.resolvent_sum(z, ZERO_MODE_FLOOR)
    }

    fn resolvent_component(&self, z: Complex64, a: usize, b: usize) -> Complex64 {
        Poles::of(self, a, b).sum(z)
    }

    fn resolvent_components(&self, zs: &[Complex64], a: usize, b: usize) -> Vec<Complex64> {
        let poles = Poles::of(self, a, b);
        zs.iter().map(|z| poles.sum(*z)).collect()
    }

    fn lowest_eigenvalue(&self) -> Option<f64> {
        self.eigenvalues
            .iter()
            .copied()
            .filter(|l| *l > ZERO_MODE_FLOOR)
            .reduce(f64::min)
    }
}

/// The non-zero modes of one component as contiguous arrays (λ_p = ω_p²,
/// w_p = Ξ̂_{p,a}Ξ̂_{p,b}), so the sum over p vectorises.
struct Poles {
    lambda: Vec<f64>,
    weight: Vec<f64>,
}

impl Poles {
    fn of(modes: &Modes, a: usize, b: usize) -> Self {
        let (lambda, weight) = modes
            .eigenvalues
            .iter()
            .zip(&modes.projections)
            .filter(|(l, _)| **l > ZERO_MODE_FLOOR)
            .map(|(l, x)| (*l, x[a] * x[b]))
            .unzip();
        Self { lambda, weight }
    }

    /// Σ_p w_p/(λ_p − z) in real arithmetic: with d = λ_p − Re z and
    /// y = Im z, 1/(λ_p − z) = (d + iy)/(d² + y²). Four independent partial
    /// sums per part let the compiler use SIMD lanes; the result differs from
    /// the sequential complex sum by round-off only.
    fn sum(&self, z: Complex64) -> Complex64 {
        const LANES: usize = 4;
        let (x, y) = (z.re, z.im);
        let y2 = y * y;
        let mut re = [0.0; LANES];
        let mut im = [0.0; LANES];
        let lambda = self.lambda.chunks_exact(LANES);
        let weight = self.weight.chunks_exact(LANES);
        let (tail_l, tail_w) = (lambda.remainder(), weight.remainder());
        for (l, w) in lambda.zip(weight) {
            for k in 0..LANES {
                let d = l[k] - x;
                let q = w[k] / (d * d + y2);
                re[k] += d * q;
                im[k] += q;
            }
        }
        for (l, w) in tail_l.iter().zip(tail_w) {
            let d = l - x;
            let q = w / (d * d + y2);
            re[0] += d * q;
            im[0] += q;
        }
        Complex64::new(re.iter().sum(), y * im.iter().sum::<f64>())
    }
}

/// ω_D (sqrt(eV/(Å²·amu))) of the Debye law with the same second moment as the
/// non-zero modes of `modes`: ⟨ω²⟩ = 3ω_D²/5 for D(ω) = 3ω²/ω_D³. Only the
/// fallback of the `debye` control when the spectrum stage gave no elastic
/// Debye frequency; `None` without non-zero modes.
pub fn second_moment_debye_omega(modes: &Modes) -> Option<f64> {
    let positive: Vec<f64> = modes
        .eigenvalues
        .iter()
        .copied()
        .filter(|l| *l > ZERO_MODE_FLOOR)
        .collect();
    (!positive.is_empty())
        .then(|| (5.0 * positive.iter().sum::<f64>() / (3.0 * positive.len() as f64)).sqrt())
}

/// The `debye` control spectrum of docs/theory.md §8, Eq. (54) (paper §IV, "a Debye
/// model with the same Debye frequency"): the same number of non-zero modes
/// with ω_p distributed as ω² up to `omega_d` (sqrt(eV/(Å²·amu)); the stage
/// passes the spectrum stage's elastic ω_D), placed by
/// [`nonaffine_core::spectrum::debye_law_eigenvalues`], so the boson-peak
/// excess is gone; and a smooth coupling Ξ̂_{p,a}Ξ̂_{p,b} = Γ_ab(ω_p): the mean
/// of `modes`' products over `shells` equal-width frequency shells, linearly
/// interpolated and held constant beyond the first and last shell (the paper's
/// Γ(ω) correlator). Each projection component is √Γ_aa(ω_p), so the diagonal
/// sums R_aa (E = C11 uses R_xx,xx) are exact for this model; off-diagonal
/// R_ab of the control are not meaningful. Only D(ω) differs from `modes`.
pub fn debye_control(modes: &Modes, omega_d: f64, shells: usize) -> Modes {
    let nonzero: Vec<(f64, [f64; 6])> = modes
        .eigenvalues
        .iter()
        .zip(&modes.projections)
        .filter(|(l, _)| **l > ZERO_MODE_FLOOR)
        .map(|(l, x)| (*l, *x))
        .collect();
    let n = nonzero.len();
    if n == 0 {
        return Modes::default();
    }
    let omega_max = nonzero.iter().map(|(l, _)| l.sqrt()).fold(0.0, f64::max);
    let shells = shells.max(1);
    let width = omega_max / shells as f64;
    let mut sums = vec![[0.0; 6]; shells];
    let mut counts = vec![0usize; shells];
    for (l, x) in &nonzero {
        let k = ((l.sqrt() / width) as usize).min(shells - 1);
        counts[k] += 1;
        for a in 0..6 {
            sums[k][a] += x[a] * x[a];
        }
    }
    // Shell centres and mean Ξ̂_a² of the non-empty shells.
    let table: Vec<(f64, [f64; 6])> = (0..shells)
        .filter(|k| counts[*k] > 0)
        .map(|k| {
            (
                (k as f64 + 0.5) * width,
                sums[k].map(|s| s / counts[k] as f64),
            )
        })
        .collect();
    let gamma = |w: f64| -> [f64; 6] {
        let i = table.partition_point(|(c, _)| *c < w);
        if i == 0 {
            return table[0].1;
        }
        if i >= table.len() {
            return table[table.len() - 1].1;
        }
        let (c0, g0) = table[i - 1];
        let (c1, g1) = table[i];
        let t = (w - c0) / (c1 - c0);
        std::array::from_fn(|a| g0[a] + t * (g1[a] - g0[a]))
    };
    let eigenvalues = debye_law_eigenvalues(omega_d, n);
    let projections = eigenvalues
        .iter()
        .map(|l| gamma(l.sqrt()).map(|g| g.max(0.0).sqrt()))
        .collect();
    Modes {
        eigenvalues,
        projections,
        participation: Vec::new(),
        kind: Some(ModesKind::Model),
    }
}
