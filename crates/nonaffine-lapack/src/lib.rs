//! Dense symmetric eigenproblems through LAPACK, linked to Debian's OpenBLAS.
//!
//! This is the one crate of the workspace that declares LAPACK/BLAS symbols
//! (`unsafe` stays here). It links `libopenblas` by name (see `build.rs`), not
//! the generic `liblapack.so.3`, so a machine whose alternatives point at the
//! slow reference BLAS still runs OpenBLAS; [`openblas_config`] reports what the
//! running binary really uses.
//!
//! Only what the spectrum solvers need is exposed: [`symmetric_eigen_in_place`]
//! (LAPACK `dsyevd`, divide and conquer). It works in place on the caller's
//! column-major matrix and allocates the `1 + 6n + 2n²` doubles of workspace
//! `dsyevd` needs for eigenvectors, so the peak is about three n×n matrices
//! (N = 8192 atoms, n = 24 576: 4.8 GB matrix + 9.7 GB workspace). Accuracy: the
//! eigenvalues are backward stable, |λ̂ − λ| ≲ n·ε·‖A‖₂, eigenvectors orthonormal
//! to O(n·ε) (LAPACK Users' Guide §4.7).
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, CStr};
use thiserror::Error;

extern "C" {
    // LAPACK (Fortran ABI: every argument by reference, hidden string lengths last).
    fn dsyevd_(
        jobz: *const c_char,
        uplo: *const c_char,
        n: *const c_int,
        a: *mut f64,
        lda: *const c_int,
        w: *mut f64,
        work: *mut f64,
        lwork: *const c_int,
        iwork: *mut c_int,
        liwork: *const c_int,
        info: *mut c_int,
        jobz_len: usize,
        uplo_len: usize,
    );
    fn openblas_get_config() -> *const c_char;
    fn openblas_get_num_threads() -> c_int;
    fn openblas_set_num_threads(n: c_int);
}

/// Why a dense eigenproblem failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum LapackError {
    /// The matrix slice does not hold n×n values.
    #[error("matrix has {len} values, expected n×n = {expected} for n = {n}")]
    Shape {
        /// Order asked for.
        n: usize,
        /// Values given.
        len: usize,
        /// n².
        expected: usize,
    },
    /// The problem is beyond LAPACK's 32-bit integer workspace sizes.
    #[error("n = {n} needs a workspace of {work} doubles, beyond LAPACK's 32-bit limit; use the arpack or lanczos solver")]
    TooLarge {
        /// Order.
        n: usize,
        /// Workspace length needed.
        work: usize,
    },
    /// The workspace could not be allocated.
    #[error("cannot allocate {gib:.1} GiB of dsyevd workspace for n = {n}; free memory or use the arpack/lanczos solver")]
    OutOfMemory {
        /// Order.
        n: usize,
        /// Size asked for, GiB.
        gib: f64,
    },
    /// `dsyevd` returned INFO < 0: argument number `0` was illegal (a bug here).
    #[error("dsyevd: argument {0} had an illegal value")]
    IllegalArgument(i32),
    /// `dsyevd` returned INFO > 0: the divide-and-conquer iteration failed to converge.
    #[error("dsyevd failed to converge (INFO = {0}): an eigenvalue could not be computed (NaN or Inf in the matrix?)")]
    NotConverged(i32),
    /// The matrix holds NaN or infinite values.
    #[error("matrix entry {index} is not finite")]
    NotFinite {
        /// Position in the column-major slice.
        index: usize,
    },
}

/// Dense workspace doubles that [`symmetric_eigen_in_place`] allocates beyond the
/// matrix itself, for order `n` (with eigenvectors): `1 + 6n + 2n²`.
pub fn workspace_doubles(n: usize) -> usize {
    1 + 6 * n + 2 * n * n
}

/// Checks, before anything is allocated, that `dsyevd` of order `n` fits
/// LAPACK's 32-bit integer sizes: n, lwork (1 + 6n + 2n² with eigenvectors,
/// 2n + 1 without) and liwork (3 + 5n, or 1) must each be ≤ 2³¹ − 1. With
/// eigenvectors this holds up to n = 32 765.
pub fn check_dsyevd_size(n: usize, vectors: bool) -> Result<(), LapackError> {
    let limit = i32::MAX as u128;
    let m = (n as u128).min(limit + 1); // beyond the limit anyway; keeps m² in u128
    let (lwork, liwork) = if vectors {
        (1 + 6 * m + 2 * m * m, 3 + 5 * m)
    } else {
        (2 * m + 1, 1)
    };
    if lwork > limit || liwork > limit || m > limit {
        return Err(LapackError::TooLarge {
            n,
            work: lwork.min(usize::MAX as u128) as usize,
        });
    }
    Ok(())
}

/// Bytes `symmetric_eigen_in_place(n, _, true)` holds at its peak: the n×n
/// matrix, lwork = 1 + 6n + 2n² doubles of workspace, liwork = 3 + 5n 32-bit
/// integers and n eigenvalues — about 3n² doubles. As f64 so that any n fits.
pub fn dsyevd_bytes(n: usize) -> f64 {
    let m = n as f64;
    8.0 * (m * m + 1.0 + 6.0 * m + 2.0 * m * m + m) + 4.0 * (3.0 + 5.0 * m)
}

/// Eigenvalues (ascending) of the symmetric n×n matrix `a` (column-major; only
/// the lower triangle is read). With `vectors`, `a` is overwritten by the
/// orthonormal eigenvectors, column p belonging to eigenvalue p; without, `a`
/// is destroyed.
pub fn symmetric_eigen_in_place(
    n: usize,
    a: &mut [f64],
    vectors: bool,
) -> Result<Vec<f64>, LapackError> {
    if a.len() != n * n {
        return Err(LapackError::Shape {
            n,
            len: a.len(),
            expected: n * n,
        });
    }
    if let Some(index) = a.iter().position(|x| !x.is_finite()) {
        return Err(LapackError::NotFinite { index });
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    check_dsyevd_size(n, vectors)?;
    let (lwork, liwork) = if vectors {
        (workspace_doubles(n), 3 + 5 * n)
    } else {
        (2 * n + 1, 1)
    };
    let mut work = alloc(lwork, n)?;
    let mut iwork: Vec<c_int> = vec![0; liwork];
    let mut w = vec![0.0; n];
    let (ni, lw, liw) = (n as c_int, lwork as c_int, liwork as c_int);
    let jobz = if vectors { b'V' } else { b'N' } as c_char;
    let uplo = b'L' as c_char;
    let mut info: c_int = 0;
    // SAFETY: every pointer refers to a live buffer of the length LAPACK
    // documents for these arguments (a: n×n with lda = n, w: n, work: lwork,
    // iwork: liwork), checked above; scalars are passed by reference.
    unsafe {
        dsyevd_(
            &jobz,
            &uplo,
            &ni,
            a.as_mut_ptr(),
            &ni,
            w.as_mut_ptr(),
            work.as_mut_ptr(),
            &lw,
            iwork.as_mut_ptr(),
            &liw,
            &mut info,
            1,
            1,
        );
    }
    match info {
        0 => Ok(w),
        i if i < 0 => Err(LapackError::IllegalArgument(-i)),
        i => Err(LapackError::NotConverged(i)),
    }
}

fn alloc(len: usize, n: usize) -> Result<Vec<f64>, LapackError> {
    let mut v: Vec<f64> = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| LapackError::OutOfMemory {
            n,
            gib: len as f64 * 8.0 / (1u64 << 30) as f64,
        })?;
    v.resize(len, 0.0);
    Ok(v)
}

/// OpenBLAS' build configuration string as the running binary sees it
/// (`OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64`).
pub fn openblas_config() -> String {
    // SAFETY: OpenBLAS returns a pointer to a static NUL-terminated string.
    unsafe {
        let p = openblas_get_config();
        if p.is_null() {
            return String::new();
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Number of threads OpenBLAS uses.
pub fn blas_threads() -> usize {
    // SAFETY: plain getter without arguments.
    unsafe { openblas_get_num_threads().max(1) as usize }
}

/// Sets the number of threads OpenBLAS uses (at least 1).
pub fn set_blas_threads(threads: usize) {
    let t = threads.clamp(1, i32::MAX as usize) as c_int;
    // SAFETY: plain setter taking an int.
    unsafe { openblas_set_num_threads(t) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The second-difference matrix tridiag(-1, 2, -1) has eigenvalues
    /// 2 − 2cos(kπ/(n+1)), k = 1..n, and eigenvectors sin(jkπ/(n+1)).
    #[test]
    fn second_difference_matrix_has_closed_form_spectrum() {
        let n = 50;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = 2.0;
            if i + 1 < n {
                a[i * n + i + 1] = -1.0;
                a[(i + 1) * n + i] = -1.0;
            }
        }
        let w = symmetric_eigen_in_place(n, &mut a, true).unwrap();
        let h = std::f64::consts::PI / (n as f64 + 1.0);
        for (k, wk) in w.iter().enumerate() {
            let exact = 2.0 - 2.0 * ((k as f64 + 1.0) * h).cos();
            assert!((wk - exact).abs() < 1e-13, "{k}: {wk} vs {exact}");
            // Eigenvector ∝ sin(j (k+1) h), up to sign.
            let col = &a[k * n..(k + 1) * n];
            let norm = (0..n)
                .map(|j| (((j + 1) * (k + 1)) as f64 * h).sin().powi(2))
                .sum::<f64>()
                .sqrt();
            let dot: f64 = (0..n)
                .map(|j| col[j] * (((j + 1) * (k + 1)) as f64 * h).sin() / norm)
                .sum();
            assert!((dot.abs() - 1.0).abs() < 1e-12, "{k}: overlap {dot}");
        }
    }

    #[test]
    fn values_only_and_errors() {
        let mut a = vec![2.0, 1.0, 1.0, 2.0];
        let w = symmetric_eigen_in_place(2, &mut a, false).unwrap();
        assert!((w[0] - 1.0).abs() < 1e-15 && (w[1] - 3.0).abs() < 1e-15);
        let mut bad = vec![1.0; 3];
        assert!(matches!(
            symmetric_eigen_in_place(2, &mut bad, true),
            Err(LapackError::Shape { .. })
        ));
        let mut nan = vec![1.0, f64::NAN, f64::NAN, 1.0];
        assert_eq!(
            symmetric_eigen_in_place(2, &mut nan, true),
            Err(LapackError::NotFinite { index: 1 })
        );
    }

    #[test]
    fn binary_runs_openblas() {
        let config = openblas_config();
        assert!(config.starts_with("OpenBLAS"), "{config}");
        assert!(blas_threads() >= 1);
    }

    /// lwork = 1 + 6n + 2n² passes 2³¹ − 1 = 2 147 483 647 between n = 32 766
    /// (2 147 418 109) and 32 767 (2 147 549 181); a size from a file header that
    /// would overflow usize arithmetic is refused, not a panic.
    #[test]
    fn size_limit_is_the_32_bit_workspace() {
        assert!(check_dsyevd_size(32_766, true).is_ok());
        assert!(matches!(
            check_dsyevd_size(32_767, true),
            Err(LapackError::TooLarge {
                n: 32_767,
                work: 2_147_549_181
            })
        ));
        assert!(check_dsyevd_size(40_500, false).is_ok());
        assert!(check_dsyevd_size(usize::MAX, true).is_err());
        assert!(check_dsyevd_size(usize::MAX, false).is_err());
        // Peak bytes ≈ 3n² doubles: 3N = 40 500 needs 36.7 GiB.
        let gib = dsyevd_bytes(40_500) / f64::from(1u32 << 30);
        assert!((gib - 3.0 * 40_500f64.powi(2) * 8.0 / f64::from(1u32 << 30)).abs() < 0.01);
        assert!((gib - 36.66).abs() < 0.01, "{gib}");
    }
}
