//! Lowest eigenpairs of a large symmetric operator with ARPACK (implicitly
//! restarted Lanczos, `dsaupd`/`dseupd` of Debian's arpack-ng through
//! `arpack-ng-sys`). This crate is the only user of that FFI.
//!
//! The operator is a closure `FnMut(&[f64], &mut [f64])` (y = OP·x), driven by
//! the reverse-communication loop here, so callers need no matrix format:
//!
//! - [`Mode::Regular`]: OP = A, ARPACK's `which = "SA"` (smallest algebraic).
//!   Needs only products with A; converges slowly when the wanted eigenvalues
//!   are small and crowded compared with the spectral width.
//! - [`Mode::ShiftInvert`]: OP = (A − σ)^{-1} supplied by the caller (a sparse
//!   factorization or an inner iterative solve), `which = "LM"`; the
//!   eigenvalues nearest σ converge in few iterations. λ = σ + 1/θ is
//!   recovered by `dseupd`.
//!
//! Accuracy: each returned pair has ‖Aφ − λφ‖ ≤ tol·|λ| in ARPACK's sense
//! (with tol = 0 meaning machine epsilon 2^-52, as in scipy's `eigsh`: Debian's
//! LAPACK `dlamch`, which ARPACK would use instead, gives 2^-53 and doubles the
//! restarts) for the operator it was given; a
//! shift-invert solve inherits the accuracy of the caller's inner solve.
#![allow(unsafe_code)]

use arpack_ng_sys as sys;
use std::os::raw::{c_char, c_int};
use thiserror::Error;

/// ARPACK's integer (`a_int`: C int in Debian's LP64 build, as bindgen sees it).
type AInt = c_int;

/// Which operator the closure applies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// y = A·x; the smallest algebraic eigenvalues are wanted.
    Regular,
    /// y = (A − σ)^{-1}·x; the eigenvalues of A nearest `sigma` are wanted.
    ShiftInvert {
        /// The shift σ, in the units of A's eigenvalues.
        sigma: f64,
    },
}

/// Settings of one solve.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Number of eigenpairs wanted (1 ≤ nev < n).
    pub nev: usize,
    /// Lanczos basis size (nev < ncv ≤ n); 0 picks min(n, max(2·nev + 1, 20)).
    pub ncv: usize,
    /// Relative accuracy of the Ritz values; 0 means machine epsilon (2^-52).
    pub tol: f64,
    /// Maximum implicit restarts.
    pub max_restarts: usize,
    /// Seed of the deterministic starting vector.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            nev: 10,
            ncv: 0,
            tol: 0.0,
            max_restarts: 10_000,
            seed: 1,
        }
    }
}

/// Converged eigenpairs, ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct EigenPairs {
    /// Eigenvalues of A (not of OP), ascending.
    pub values: Vec<f64>,
    /// Eigenvectors, column-major n × values.len(), orthonormal.
    pub vectors: Vec<f64>,
    /// Implicit restarts ARPACK took.
    pub restarts: usize,
    /// Products with OP.
    pub products: usize,
}

/// Why ARPACK failed, with its INFO code explained.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ArpackError {
    /// Arguments do not fit (nev, ncv, n).
    #[error("invalid ARPACK request: {0}")]
    Invalid(String),
    /// `dsaupd` INFO = 1: the restart limit was reached first.
    #[error("ARPACK reached {restarts} restarts with {converged} of {wanted} eigenpairs converged; raise max_restarts or ncv, or use shift-invert")]
    MaxRestarts {
        /// Restarts taken.
        restarts: usize,
        /// Pairs converged.
        converged: usize,
        /// Pairs wanted.
        wanted: usize,
    },
    /// `dsaupd` INFO = 3: no shifts could be applied in a restart cycle.
    #[error(
        "ARPACK could not apply shifts during a restart (INFO = 3); increase ncv relative to nev"
    )]
    NoShifts,
    /// Another `dsaupd` / `dseupd` INFO code.
    #[error("{routine} returned INFO = {info}: {meaning}")]
    Info {
        /// `dsaupd` or `dseupd`.
        routine: &'static str,
        /// The code.
        info: i64,
        /// What ARPACK's documentation says it means.
        meaning: &'static str,
    },
    /// ARPACK asked for something a standard problem never needs.
    #[error("ARPACK asked for reverse-communication request IDO = {0}, which a standard eigenproblem does not use")]
    UnexpectedRequest(i64),
}

fn saupd_meaning(info: i64) -> &'static str {
    match info {
        -1 => "N must be positive",
        -2 => "NEV must be positive",
        -3 => "NCV must be greater than NEV and at most N",
        -4 => "the maximum number of iterations must be positive",
        -5 => "WHICH must be one of LM, SM, LA, SA, BE",
        -6 => "BMAT must be I or G",
        -7 => "WORKL is too short",
        -8 => "the tridiagonal eigenvalue calculation (LAPACK dsteqr) failed",
        -9 => "the starting vector is zero",
        -10 => "IPARAM(7) (mode) must be 1 to 5",
        -11 => "mode 1 is incompatible with BMAT = G",
        -12 => "IPARAM(1) must be 0 or 1",
        -13 => "NEV and WHICH = BE are incompatible",
        -9999 => "could not build a Lanczos factorization (the operator may not be symmetric)",
        _ => "undocumented code",
    }
}

fn seupd_meaning(info: i64) -> &'static str {
    match info {
        -1 => "N must be positive",
        -2 => "NEV must be positive",
        -3 => "NCV must be greater than NEV and at most N",
        -5 => "WHICH must be one of LM, SM, LA, SA, BE",
        -6 => "BMAT must be I or G",
        -7 => "WORKL is too short",
        -8 => "the tridiagonal eigenvalue calculation (LAPACK dsteqr) failed",
        -9 => "the starting vector is zero",
        -10 => "IPARAM(7) (mode) must be 1 to 5",
        -11 => "mode 1 is incompatible with BMAT = G",
        -12 => "NEV and WHICH = BE are incompatible",
        -14 => "dsaupd did not find any eigenvalue to sufficient accuracy",
        -15 => "HOWMNY must be A or S when eigenvectors are wanted",
        -16 => "HOWMNY = S is not implemented",
        -17 => "dseupd found a different number of converged Ritz values than dsaupd",
        _ => "undocumented code",
    }
}

/// Serialises every ARPACK solve in the process (ARPACK is not thread-safe).
static ARPACK_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The `nev` eigenpairs of the symmetric n×n operator that `mode` selects:
/// the smallest (Regular) or those nearest σ (ShiftInvert). `op(x, y)` must
/// set y = A·x (Regular) or y = (A − σ)^{-1}·x (ShiftInvert).
pub fn eigenpairs(
    n: usize,
    mode: Mode,
    options: &Options,
    mut op: impl FnMut(&[f64], &mut [f64]),
) -> Result<EigenPairs, ArpackError> {
    // ARPACK keeps state in Fortran SAVE variables (e.g. dgetv0's seed): two
    // solves on different threads corrupt each other, so one runs at a time.
    let _serial = ARPACK_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let nev = options.nev;
    if n < 2 || nev == 0 || nev >= n {
        return Err(ArpackError::Invalid(format!(
            "need 1 ≤ nev < n, got nev = {nev}, n = {n}"
        )));
    }
    let ncv = if options.ncv == 0 {
        n.min((2 * nev + 1).max(20))
    } else {
        options.ncv
    };
    if ncv <= nev || ncv > n {
        return Err(ArpackError::Invalid(format!(
            "need nev < ncv ≤ n, got nev = {nev}, ncv = {ncv}, n = {n}"
        )));
    }
    if n > i32::MAX as usize / 4 || ncv * (ncv + 8) > i32::MAX as usize {
        return Err(ArpackError::Invalid(format!(
            "n = {n}, ncv = {ncv} exceed ARPACK's 32-bit integers"
        )));
    }
    let (which, mode_code, sigma) = match mode {
        Mode::Regular => (b"SA\0", 1, 0.0),
        Mode::ShiftInvert { sigma } => (b"LM\0", 3, sigma),
    };
    let bmat = b"I\0";
    let lworkl = ncv * (ncv + 8);
    let tol = if options.tol > 0.0 {
        options.tol
    } else {
        f64::EPSILON
    };
    let mut resid = start_vector(n, options.seed);
    let mut v = vec![0.0; n * ncv];
    let mut workd = vec![0.0; 3 * n];
    let mut workl = vec![0.0; lworkl];
    let mut iparam: [AInt; 11] = [0; 11];
    let mut ipntr: [AInt; 11] = [0; 11];
    iparam[0] = 1; // exact shifts
    iparam[2] = options.max_restarts.min(i32::MAX as usize) as AInt;
    iparam[6] = mode_code;
    let mut ido: AInt = 0;
    let mut info: AInt = 1; // use `resid` as the starting vector
    let mut products = 0usize;
    loop {
        // SAFETY: every buffer has the length dsaupd documents for these
        // arguments (resid n, v n×ncv with ldv = n, workd 3n, workl lworkl,
        // iparam/ipntr 11) and outlives the call; strings are NUL-terminated.
        unsafe {
            sys::dsaupd_c(
                &mut ido,
                bmat.as_ptr() as *const c_char,
                n as AInt,
                which.as_ptr() as *const c_char,
                nev as AInt,
                tol,
                resid.as_mut_ptr(),
                ncv as AInt,
                v.as_mut_ptr(),
                n as AInt,
                iparam.as_mut_ptr(),
                ipntr.as_mut_ptr(),
                workd.as_mut_ptr(),
                workl.as_mut_ptr(),
                lworkl as AInt,
                &mut info,
            );
        }
        match ido {
            -1 | 1 => {
                let x0 = ipntr[0] as usize - 1;
                let y0 = ipntr[1] as usize - 1;
                if x0 + n > workd.len() || y0 + n > workd.len() || x0.abs_diff(y0) < n {
                    return Err(ArpackError::Invalid(format!(
                        "ARPACK pointed outside its work array (IPNTR = {}, {})",
                        ipntr[0], ipntr[1]
                    )));
                }
                let x = workd[x0..x0 + n].to_vec();
                op(&x, &mut workd[y0..y0 + n]);
                products += 1;
            }
            99 => break,
            other => return Err(ArpackError::UnexpectedRequest(other as i64)),
        }
    }
    let restarts = iparam[2].max(0) as usize;
    match info as i64 {
        0 => {}
        1 => {
            return Err(ArpackError::MaxRestarts {
                restarts,
                converged: iparam[4].max(0) as usize,
                wanted: nev,
            })
        }
        3 => return Err(ArpackError::NoShifts),
        i => {
            return Err(ArpackError::Info {
                routine: "dsaupd",
                info: i,
                meaning: saupd_meaning(i),
            })
        }
    }
    let select: Vec<AInt> = vec![0; ncv];
    let mut d = vec![0.0; nev];
    let mut z = vec![0.0; n * nev];
    let howmny = b"A\0";
    // SAFETY: as above; `select` has ncv entries, d nev, z n×nev with ldz = n,
    // and the remaining arguments are those dsaupd just used.
    unsafe {
        sys::dseupd_c(
            1,
            howmny.as_ptr() as *const c_char,
            select.as_ptr(),
            d.as_mut_ptr(),
            z.as_mut_ptr(),
            n as AInt,
            sigma,
            bmat.as_ptr() as *const c_char,
            n as AInt,
            which.as_ptr() as *const c_char,
            nev as AInt,
            tol,
            resid.as_mut_ptr(),
            ncv as AInt,
            v.as_mut_ptr(),
            n as AInt,
            iparam.as_mut_ptr(),
            ipntr.as_mut_ptr(),
            workd.as_mut_ptr(),
            workl.as_mut_ptr(),
            lworkl as AInt,
            &mut info,
        );
    }
    if info != 0 {
        let i = info as i64;
        return Err(ArpackError::Info {
            routine: "dseupd",
            info: i,
            meaning: seupd_meaning(i),
        });
    }
    let converged = (iparam[4].max(0) as usize).min(nev);
    let mut order: Vec<usize> = (0..converged).collect();
    order.sort_by(|a, b| d[*a].total_cmp(&d[*b]));
    let values = order.iter().map(|&k| d[k]).collect();
    let vectors = order
        .iter()
        .flat_map(|&k| z[k * n..(k + 1) * n].iter().copied())
        .collect();
    Ok(EigenPairs {
        values,
        vectors,
        restarts,
        products,
    })
}

/// A deterministic pseudo-random starting vector in [−1, 1)ⁿ (SplitMix64).
fn start_vector(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            2.0 * ((z >> 11) as f64 / (1u64 << 53) as f64) - 1.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// tridiag(−1, 2, −1): λ_k = 2 − 2cos(kπ/(n+1)).
    fn laplacian(x: &[f64], y: &mut [f64]) {
        let n = x.len();
        for i in 0..n {
            let left = if i > 0 { x[i - 1] } else { 0.0 };
            let right = if i + 1 < n { x[i + 1] } else { 0.0 };
            y[i] = 2.0 * x[i] - left - right;
        }
    }

    fn exact(n: usize, k: usize) -> f64 {
        2.0 - 2.0 * ((k as f64) * std::f64::consts::PI / (n as f64 + 1.0)).cos()
    }

    #[test]
    fn regular_mode_finds_the_lowest_eigenvalues() {
        let n = 200;
        let r = eigenpairs(
            n,
            Mode::Regular,
            &Options {
                nev: 6,
                ncv: 40,
                ..Options::default()
            },
            laplacian,
        )
        .unwrap();
        for (k, v) in r.values.iter().enumerate() {
            assert!((v - exact(n, k + 1)).abs() < 1e-12, "{k}: {v}");
        }
        // Eigenvectors: residual and normalisation.
        let mut y = vec![0.0; n];
        for (k, l) in r.values.iter().enumerate() {
            let phi = &r.vectors[k * n..(k + 1) * n];
            laplacian(phi, &mut y);
            let res: f64 = y
                .iter()
                .zip(phi)
                .map(|(a, b)| (a - l * b).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(res < 1e-10, "{res}");
            let norm: f64 = phi.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn shift_invert_mode_recovers_eigenvalues_of_a() {
        // (A − σ)^{-1} of a tridiagonal A by the Thomas algorithm.
        let n = 300;
        let sigma = -0.01;
        let solve = |x: &[f64], y: &mut [f64]| {
            let mut c = vec![0.0; n];
            let mut d = vec![0.0; n];
            let b = 2.0 - sigma;
            c[0] = -1.0 / b;
            d[0] = x[0] / b;
            for i in 1..n {
                let m = b + c[i - 1];
                c[i] = -1.0 / m;
                d[i] = (x[i] + d[i - 1]) / m;
            }
            y[n - 1] = d[n - 1];
            for i in (0..n - 1).rev() {
                y[i] = d[i] - c[i] * y[i + 1];
            }
        };
        let r = eigenpairs(
            n,
            Mode::ShiftInvert { sigma },
            &Options {
                nev: 5,
                ..Options::default()
            },
            solve,
        )
        .unwrap();
        for (k, v) in r.values.iter().enumerate() {
            assert!((v - exact(n, k + 1)).abs() < 1e-12, "{k}: {v}");
        }
    }

    #[test]
    fn errors_explain_themselves() {
        let e = eigenpairs(
            10,
            Mode::Regular,
            &Options {
                nev: 10,
                ..Options::default()
            },
            laplacian,
        )
        .unwrap_err();
        assert!(e.to_string().contains("nev < n"), "{e}");
        let e = eigenpairs(
            100,
            Mode::Regular,
            &Options {
                nev: 5,
                ncv: 12,
                max_restarts: 1,
                ..Options::default()
            },
            laplacian,
        )
        .unwrap_err();
        assert!(matches!(e, ArpackError::MaxRestarts { .. }), "{e}");
        assert!(e.to_string().contains("raise max_restarts"), "{e}");
    }
}
