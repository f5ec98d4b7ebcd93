//! The two passes of the matrix-free product over the stored pairs (module
//! docs of [`super`]), in a portable form and, on x86-64 with AVX2, with
//! 256-bit vectors. Both do the same floating-point operations on every pair
//! in the same order (one pair's x, y, z and density components per vector,
//! no fused multiply-add), so their results are equal (the same bits, but
//! perhaps for the sign of a zero, as the vector form adds zeros where the
//! portable one skips a term); the
//! vector form saves instructions, which bound the product (it reads pairs
//! from memory faster than the portable form handles them).

use std::ops::Range;

/// Four doubles on a 32-byte boundary: one vector load or store.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(32))]
pub(super) struct Quad(pub [f64; 4]);

/// Position and displacement of one atom, (x, y, z, 0) and (u_x, u_y, u_z, 0),
/// on one cache line.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
pub(super) struct AtomXu {
    pub x: Quad,
    pub u: Quad,
}

/// The stored pair arrays (see [`super::MatrixFreeHessian`]).
#[derive(Clone, Copy)]
pub(super) struct Pairs<'a> {
    pub row: &'a [usize],
    /// The end of each row's pairs with a density gradient.
    pub row_gradient: &'a [usize],
    pub j: &'a [u32],
    pub image: &'a [u16],
    pub stiffness: &'a [[f64; 2]],
    pub gradient: &'a [[f64; 2]],
    /// Lattice translations (x, y, z, 0), Å.
    pub translations: &'a [Quad],
}

impl Pairs<'_> {
    /// The arrays of the pairs `r`.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn arrays(&self, r: Range<usize>) -> (&[u32], &[u16], &[[f64; 2]], &[[f64; 2]]) {
        (
            &self.j[r.clone()],
            &self.image[r.clone()],
            &self.stiffness[r.clone()],
            &self.gradient[r],
        )
    }
}

/// Which form of the passes a product runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The fastest form this processor runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
        Kernel::Portable
    }

    /// Pass 1 over the rows `atoms`: K (u_i − u_j) into `acc[i]`, its
    /// negative into `acc[j]` (components 0–2), and the density-gradient
    /// products −g ed into component 3, ed = e·(u_i − u_j).
    pub fn pass1(self, pairs: Pairs<'_>, atoms: Range<usize>, xu: &[AtomXu], acc: &mut [Quad]) {
        match self {
            Kernel::Portable => pass1_portable(pairs, atoms, xu, acc),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2` is only chosen when the processor has AVX2, and
            // the operator passes its own pairs (every j below N, every image
            // in the table, row_gradient[i] within row i) with N-atom buffers.
            #[allow(unsafe_code)]
            Kernel::Avx2 => unsafe { avx2::pass1(pairs, atoms, xu, acc) },
        }
    }

    /// Pass 2 over the rows `atoms`, xw = (x, y, z, w) per atom: −c e into
    /// `acc[i]`, c e into `acc[j]` (components 0–2), c = w_i g_ij + w_j g_ji.
    pub fn pass2(self, pairs: Pairs<'_>, atoms: Range<usize>, xw: &[Quad], acc: &mut [Quad]) {
        match self {
            Kernel::Portable => pass2_portable(pairs, atoms, xw, acc),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2` is only chosen when the processor has AVX2, and
            // the operator passes its own pairs (every j below N, every image
            // in the table, row_gradient[i] within row i) with N-atom buffers.
            #[allow(unsafe_code)]
            Kernel::Avx2 => unsafe { avx2::pass2(pairs, atoms, xw, acc) },
        }
    }
}

fn pass1_portable(pairs: Pairs<'_>, atoms: Range<usize>, xu: &[AtomXu], acc: &mut [Quad]) {
    for i in atoms {
        let AtomXu {
            x: Quad([x0, x1, x2, _]),
            u: Quad([u0, u1, u2, _]),
        } = xu[i];
        let mut fi = [0.0; 4];
        // The pairs with a density gradient, then those without.
        for (r, dense) in [
            (pairs.row[i]..pairs.row_gradient[i], true),
            (pairs.row_gradient[i]..pairs.row[i + 1], false),
        ] {
            let (js, images, stiffness, gradient) = pairs.arrays(r);
            for (((&j, &im), &[a, b]), &[g_ij, g_ji]) in
                js.iter().zip(images).zip(stiffness).zip(gradient)
            {
                let j = j as usize;
                if j == i {
                    continue; // a self-image: e does not change when i moves
                }
                let t = &pairs.translations[usize::from(im)].0;
                let pj = &xu[j];
                let e = super::pair_vector(
                    [x0, x1, x2],
                    [pj.x.0[0], pj.x.0[1], pj.x.0[2]],
                    [t[0], t[1], t[2]],
                );
                let du = [u0 - pj.u.0[0], u1 - pj.u.0[1], u2 - pj.u.0[2]];
                // K du = a (e·du) e + b du; d = e·(u_j − u_i) = −e·du.
                let ed = e[0] * du[0] + e[1] * du[1] + e[2] * du[2];
                let s = a * ed;
                let f = [
                    s * e[0] + b * du[0],
                    s * e[1] + b * du[1],
                    s * e[2] + b * du[2],
                ];
                let aj = &mut acc[j].0;
                aj[0] -= f[0];
                aj[1] -= f[1];
                aj[2] -= f[2];
                fi[0] += f[0];
                fi[1] += f[1];
                fi[2] += f[2];
                if dense {
                    aj[3] -= g_ji * ed;
                    fi[3] -= g_ij * ed;
                }
            }
        }
        let ai = &mut acc[i].0;
        for k in 0..4 {
            ai[k] += fi[k];
        }
    }
}

fn pass2_portable(pairs: Pairs<'_>, atoms: Range<usize>, xw: &[Quad], acc: &mut [Quad]) {
    for i in atoms {
        let [x0, x1, x2, wi] = xw[i].0;
        let mut fi = [0.0; 3];
        let (js, images, _, gradient) = pairs.arrays(pairs.row[i]..pairs.row_gradient[i]);
        for ((&j, &im), &[g_ij, g_ji]) in js.iter().zip(images).zip(gradient) {
            let j = j as usize;
            if j == i {
                continue;
            }
            let t = &pairs.translations[usize::from(im)].0;
            let pj = &xw[j].0;
            let e = super::pair_vector([x0, x1, x2], [pj[0], pj[1], pj[2]], [t[0], t[1], t[2]]);
            let c = wi * g_ij + pj[3] * g_ji;
            let aj = &mut acc[j].0;
            for k in 0..3 {
                fi[k] -= c * e[k];
                aj[k] += c * e[k];
            }
        }
        let ai = &mut acc[i].0;
        for k in 0..3 {
            ai[k] += fi[k];
        }
    }
}

/// The passes with one pair per 256-bit vector (x, y, z, density), written
/// operation for operation as the portable ones.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2 {
    use super::{AtomXu, Pairs, Quad};
    use std::arch::x86_64::*;
    use std::ops::Range;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn load(q: &Quad) -> __m256d {
        // SAFETY: a `Quad` is 4 doubles on a 32-byte boundary.
        unsafe { _mm256_load_pd(q.0.as_ptr()) }
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn store(q: &mut Quad, v: __m256d) {
        // SAFETY: as in `load`.
        unsafe { _mm256_store_pd(q.0.as_mut_ptr(), v) }
    }

    /// (m0 + m1) + m2 in every lane: the dot product's sum in the portable
    /// order.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn sum3(m: __m256d) -> __m256d {
        let m01 = _mm256_add_pd(m, _mm256_permute_pd(m, 0b0101));
        _mm256_add_pd(
            _mm256_permute4x64_pd(m01, 0b00_00_00_00),
            _mm256_permute4x64_pd(m, 0b10_10_10_10),
        )
    }

    /// For the pair of atoms i (x `xi`, u `ui`) and j, translation `t`,
    /// stiffness (a, b): ed = e·(u_i − u_j) in every lane and
    /// f = a ed e + b (u_i − u_j).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn stiffness_term(
        xi: __m256d,
        ui: __m256d,
        t: Quad,
        pj: &AtomXu,
        [a, b]: [f64; 2],
    ) -> (__m256d, __m256d) {
        let e = _mm256_add_pd(_mm256_sub_pd(load(&pj.x), xi), load(&t));
        let du = _mm256_sub_pd(ui, load(&pj.u));
        let ed = sum3(_mm256_mul_pd(e, du));
        let s = _mm256_mul_pd(_mm256_set1_pd(a), ed);
        let f = _mm256_add_pd(_mm256_mul_pd(s, e), _mm256_mul_pd(_mm256_set1_pd(b), du));
        (ed, f)
    }

    /// [`super::pass1_portable`]. Lanes 3 of x and u are zero, so those of
    /// e, du and f are too before the density terms take them: fj's is
    /// g_ji ed, fi's sums g_ij ed, negated once at the end (the same bits as
    /// subtracting each term: rounding is symmetric in sign).
    ///
    /// # Safety
    /// The processor has AVX2, and `pairs` is as the operator built it: every
    /// second atom is below `xu.len() == acc.len()` and every image below
    /// `pairs.translations.len()`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn pass1(
        pairs: Pairs<'_>,
        atoms: Range<usize>,
        xu: &[AtomXu],
        acc: &mut [Quad],
    ) {
        assert!(atoms.end < pairs.row.len() && xu.len() == acc.len() && atoms.end <= xu.len());
        let sign3 = _mm256_set_pd(-0.0, 0.0, 0.0, 0.0);
        let (jp, imp) = (pairs.j.as_ptr(), pairs.image.as_ptr());
        let (kp, gp) = (pairs.stiffness.as_ptr(), pairs.gradient.as_ptr());
        let (tp, xup, accp) = (pairs.translations.as_ptr(), xu.as_ptr(), acc.as_mut_ptr());
        for i in atoms {
            let xi = load(&(*xup.add(i)).x);
            let ui = load(&(*xup.add(i)).u);
            let mut fi = _mm256_setzero_pd();
            for k in pairs.row[i]..pairs.row_gradient[i] {
                let j = *jp.add(k) as usize;
                if j == i {
                    continue; // a self-image: e does not change when i moves
                }
                let (ed, f) = stiffness_term(
                    xi,
                    ui,
                    *tp.add(usize::from(*imp.add(k))),
                    &*xup.add(j),
                    *kp.add(k),
                );
                let [g_ij, g_ji] = *gp.add(k);
                let fj = _mm256_blend_pd(f, _mm256_mul_pd(_mm256_set1_pd(g_ji), ed), 0b1000);
                let fi_add = _mm256_blend_pd(f, _mm256_mul_pd(_mm256_set1_pd(g_ij), ed), 0b1000);
                let aj = &mut *accp.add(j);
                store(aj, _mm256_sub_pd(load(aj), fj));
                fi = _mm256_add_pd(fi, fi_add);
            }
            // Without a density gradient, lane 3 of f is zero.
            for k in pairs.row_gradient[i]..pairs.row[i + 1] {
                let j = *jp.add(k) as usize;
                if j == i {
                    continue;
                }
                let (_, f) = stiffness_term(
                    xi,
                    ui,
                    *tp.add(usize::from(*imp.add(k))),
                    &*xup.add(j),
                    *kp.add(k),
                );
                let aj = &mut *accp.add(j);
                store(aj, _mm256_sub_pd(load(aj), f));
                fi = _mm256_add_pd(fi, f);
            }
            let ai = &mut *accp.add(i);
            store(ai, _mm256_add_pd(load(ai), _mm256_xor_pd(fi, sign3)));
        }
    }

    /// [`super::pass2_portable`]; lane 3 of `acc` gains only zeros.
    ///
    /// # Safety
    /// As [`pass1`]'s, with `xw` for `xu`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn pass2(
        pairs: Pairs<'_>,
        atoms: Range<usize>,
        xw: &[Quad],
        acc: &mut [Quad],
    ) {
        assert!(atoms.end < pairs.row.len() && xw.len() == acc.len() && atoms.end <= xw.len());
        let zero = _mm256_setzero_pd();
        let (jp, imp, gp) = (
            pairs.j.as_ptr(),
            pairs.image.as_ptr(),
            pairs.gradient.as_ptr(),
        );
        let (tp, xwp, accp) = (pairs.translations.as_ptr(), xw.as_ptr(), acc.as_mut_ptr());
        for i in atoms {
            let xi = load(&*xwp.add(i));
            let wi = (*xwp.add(i)).0[3];
            let mut fi = _mm256_setzero_pd();
            for k in pairs.row[i]..pairs.row_gradient[i] {
                let j = *jp.add(k) as usize;
                if j == i {
                    continue;
                }
                let t = load(&*tp.add(usize::from(*imp.add(k))));
                let pj = &*xwp.add(j);
                let [g_ij, g_ji] = *gp.add(k);
                // Lane 3 of x − x_i is w_j − w_i: zeroed.
                let e =
                    _mm256_blend_pd(_mm256_add_pd(_mm256_sub_pd(load(pj), xi), t), zero, 0b1000);
                let c = wi * g_ij + pj.0[3] * g_ji;
                let ce = _mm256_mul_pd(_mm256_set1_pd(c), e);
                fi = _mm256_sub_pd(fi, ce);
                let aj = &mut *accp.add(j);
                store(aj, _mm256_add_pd(load(aj), ce));
            }
            let ai = &mut *accp.add(i);
            store(ai, _mm256_add_pd(load(ai), fi));
        }
    }
}
