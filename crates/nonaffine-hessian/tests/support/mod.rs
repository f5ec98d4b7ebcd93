//! Shared test helpers: deterministic structures, affine deformation, dense
//! matrices and the comparison statistics the criteria are stated in.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_range_loop
)]

use nalgebra::DMatrix;
use nalgebra_sparse::CsrMatrix;
use nonaffine_core::{EamForm, Radial, Structure};

// The lattice, generator and Cu–Zr file are the engine tests' own fixtures,
// included as a file (see its doc comment for why not a crate).
#[path = "../../../nonaffine-forces/tests/support/lattice.rs"]
mod lattice;
pub use lattice::{cuzr_file, Rng};

// The Cu–Zr potential and the quench protocol of the benchmark glasses.
pub use nonaffine_glasses::{cuzr_potential, cuzr_quench_protocol};

/// A bcc lattice of `cells`³ cubic cells (edge `a` Å) with tilts (xy, xz, yz)
/// in Å; each atom is of the second species with probability
/// `fraction_of_second`; every coordinate jittered uniformly by up to
/// `jitter` Å.
pub fn bcc(
    cells: usize,
    a: f64,
    tilt: [f64; 3],
    jitter: f64,
    seed: u64,
    species: &[(&str, f64)],
    fraction_of_second: f64,
) -> Structure {
    let mut types = Vec::new();
    let (cell, positions) = lattice::jittered_bcc(cells, a, tilt, jitter, &mut Rng(seed), |rng| {
        types.push(usize::from(rng.next() < fraction_of_second));
    });
    lattice::with_species(cell, species, types, positions)
}

/// Cu50Zr50 (random types) on a jittered bcc lattice, a = 3.26 Å.
pub fn cuzr(cells: usize, tilt: [f64; 3], jitter: f64, seed: u64) -> Structure {
    bcc(
        cells,
        3.26,
        tilt,
        jitter,
        seed,
        &[("Cu", 63.546), ("Zr", 91.224)],
        0.5,
    )
}

/// Kob–Andersen A80B20 on a jittered bcc lattice at number density 1.2 σ⁻³
/// (σ = 3.405 Å: a = 4.04 Å).
pub fn kob_andersen_lattice(cells: usize, tilt: [f64; 3], jitter: f64, seed: u64) -> Structure {
    bcc(
        cells,
        (2.0 * 3.405f64.powi(3) / 1.2).cbrt(),
        tilt,
        jitter,
        seed,
        &[("A", 39.948), ("B", 39.948)],
        0.2,
    )
}

/// Voigt strain direction E^a as a matrix (engineering shears: off-diagonal ½).
pub fn strain_matrix(a: usize) -> [[f64; 3]; 3] {
    let (k, l) = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)][a];
    let mut e = [[0.0; 3]; 3];
    let w = if k == l { 1.0 } else { 0.5 };
    e[k][l] = w;
    e[l][k] = w;
    e
}

/// The structure deformed by F = 1 + Σ_a η_a E^a: atoms, origin and cell vectors.
pub fn strained(s: &Structure, eta: [f64; 6]) -> Structure {
    let mut f = [[0.0; 3]; 3];
    for (i, row) in f.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for (a, &h) in eta.iter().enumerate() {
        let e = strain_matrix(a);
        for i in 0..3 {
            for j in 0..3 {
                f[i][j] += h * e[i][j];
            }
        }
    }
    let apply = |x: [f64; 3]| -> [f64; 3] {
        std::array::from_fn(|i| f[i][0] * x[0] + f[i][1] * x[1] + f[i][2] * x[2])
    };
    let mut out = s.clone();
    out.cell.vectors = s.cell.vectors.map(apply);
    out.cell.origin = apply(s.cell.origin);
    out.positions = s.positions.iter().map(|x| apply(*x)).collect();
    out
}

/// Dense copy of a sparse matrix.
pub fn dense(m: &CsrMatrix<f64>) -> DMatrix<f64> {
    let mut d = DMatrix::zeros(m.nrows(), m.ncols());
    for (row, lane) in m.row_iter().enumerate() {
        for (&c, &v) in lane.col_indices().iter().zip(lane.values()) {
            d[(row, c)] = v;
        }
    }
    d
}

/// y = m x for a sparse m.
pub fn csr_times(m: &CsrMatrix<f64>, x: &[f64]) -> Vec<f64> {
    m.row_iter()
        .map(|row| {
            row.col_indices()
                .iter()
                .zip(row.values())
                .map(|(&j, v)| v * x[j])
                .sum()
        })
        .collect()
}

/// n entries uniform in [−1, 1) from `seed`.
pub fn random_vector(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n).map(|_| rng.sym()).collect()
}

/// ‖a − b‖ / ‖b‖ (Euclidean).
pub fn relative_difference(a: &[f64], b: &[f64]) -> f64 {
    let norm = |x: &mut dyn Iterator<Item = f64>| x.map(|v| v * v).sum::<f64>().sqrt();
    norm(&mut a.iter().zip(b).map(|(x, y)| x - y)) / norm(&mut b.iter().copied())
}

/// D = M^{-1/2} H M^{-1/2} of a dense H with per-atom masses.
pub fn mass_weight(h: &DMatrix<f64>, masses: &[f64]) -> DMatrix<f64> {
    let w: Vec<f64> = masses.iter().flat_map(|m| [1.0 / m.sqrt(); 3]).collect();
    DMatrix::from_fn(h.nrows(), h.ncols(), |i, j| h[(i, j)] * w[i] * w[j])
}

/// Sorted eigenvalues of a symmetric matrix (its symmetric part).
pub fn eigenvalues(m: &DMatrix<f64>) -> Vec<f64> {
    let sym = (m + m.transpose()) * 0.5;
    let mut ev: Vec<f64> = sym.symmetric_eigenvalues().iter().copied().collect();
    ev.sort_by(f64::total_cmp);
    ev
}

/// The statistics of |a − b| over all entries: median, fraction
/// within `tol`, largest.
#[derive(Debug)]
pub struct Agreement {
    pub median: f64,
    pub fraction_within: f64,
    pub max: f64,
    pub entries: usize,
}

pub fn agreement<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
    tol: f64,
) -> Agreement {
    let mut d: Vec<f64> = a.into_iter().zip(b).map(|(x, y)| (x - y).abs()).collect();
    d.sort_by(f64::total_cmp);
    let n = d.len();
    Agreement {
        median: d[n / 2],
        fraction_within: d.iter().filter(|x| **x <= tol).count() as f64 / n as f64,
        max: d[n - 1],
        entries: n,
    }
}

/// Largest eigenvalue difference |λ_a − λ_b| / max(|λ_b|, 1e-3 max|λ_b|):
/// relative for every mode except those within 1e-3 of the largest of zero
/// (the translations and, away from a minimum, modes crossing zero), which are
/// compared on that scale instead.
pub fn eigen_relative_difference(a: &[f64], b: &[f64]) -> f64 {
    let floor = 1e-3 * b.iter().fold(0.0f64, |m, y| m.max(y.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(floor))
        .fold(0.0, f64::max)
}

/// A smooth (C³ at the cutoff, C^∞ inside) two-species Finnis–Sinclair form,
/// written here in closed form so the analytic derivatives can be checked
/// by finite differences without the knots of tabulated potentials:
/// φ_ab(r) = A_ab [e^{−2α(r−r0)} − 2 e^{−α(r−r0)}] c(r),
/// ρ_ab(r) = B_ab e^{−β(r−r0)} c(r) (host a, neighbour b; B not symmetric),
/// F_a(ρ) = −C_a √ρ + D_a ρ², with c(r) = (1 − r/r_c)⁴ for r < r_c.
pub struct SmoothFs {
    pub a: [[f64; 2]; 2],
    pub b: [[f64; 2]; 2],
    pub c: [f64; 2],
    pub d: [f64; 2],
    pub alpha: f64,
    pub beta: f64,
    pub r0: f64,
    pub rc: f64,
}

impl Default for SmoothFs {
    fn default() -> Self {
        Self {
            a: [[0.35, 0.42], [0.42, 0.55]],
            b: [[1.0, 1.6], [0.7, 1.3]],
            c: [1.4, 2.1],
            d: [0.002, 0.001],
            alpha: 1.5,
            beta: 1.1,
            r0: 2.9,
            rc: 7.0,
        }
    }
}

impl SmoothFs {
    /// c(r) and its two derivatives.
    fn cut(&self, r: f64) -> (f64, f64, f64) {
        let x = 1.0 - r / self.rc;
        (
            x.powi(4),
            -4.0 * x.powi(3) / self.rc,
            12.0 * x * x / (self.rc * self.rc),
        )
    }

    /// f(r)·c(r) with derivatives, from f's.
    fn times_cut(&self, r: f64, f: (f64, f64, f64)) -> Radial {
        if r >= self.rc {
            return Radial::default();
        }
        let (c, c1, c2) = self.cut(r);
        Radial {
            value: f.0 * c,
            d1: f.1 * c + f.0 * c1,
            d2: f.2 * c + 2.0 * f.1 * c1 + f.0 * c2,
        }
    }
}

impl EamForm for SmoothFs {
    fn species_count(&self) -> usize {
        2
    }
    fn cutoff(&self) -> f64 {
        self.rc
    }
    fn pair(&self, a: usize, b: usize, r: f64) -> Radial {
        let al = self.alpha;
        let e1 = (-al * (r - self.r0)).exp();
        let e2 = e1 * e1;
        let k = self.a[a][b];
        self.times_cut(
            r,
            (
                k * (e2 - 2.0 * e1),
                k * (-2.0 * al * e2 + 2.0 * al * e1),
                k * (4.0 * al * al * e2 - 2.0 * al * al * e1),
            ),
        )
    }
    fn density(&self, host: usize, neighbor: usize, r: f64) -> Radial {
        let k = self.b[host][neighbor];
        let e = (-self.beta * (r - self.r0)).exp();
        self.times_cut(
            r,
            (k * e, -self.beta * k * e, self.beta * self.beta * k * e),
        )
    }
    fn embedding(&self, a: usize, rho: f64) -> Radial {
        let (c, d) = (self.c[a], self.d[a]);
        let s = rho.sqrt();
        Radial {
            value: -c * s + d * rho * rho,
            d1: -0.5 * c / s + 2.0 * d * rho,
            d2: 0.25 * c / (s * rho) + 2.0 * d,
        }
    }
}
