//! The parameter-free prediction of C*(ω) at physical frequencies: no fitted
//! constant, the kernel in physical time (ps), ω in rad/ps.
//!
//! C*_ab(ω) = C^B_ab − (1/V) Σ_p Ξ̂_{p,a} Ξ̂_{p,b} / (ω_p² − ω² + i ω ν̃(ω))
//! (docs/theory.md Eqs. (42), (60)), evaluated by [`complex_moduli`] after the
//! units are converted: ω_p² is in eV/(Å²·amu), and
//! 1 sqrt(eV/(Å²·amu)) = [`RAD_PER_PS_PER_OMEGA_UNIT`] = 98.227 rad/ps, so
//! ω² − iων̃ in (rad/ps)² is divided by 98.227² ([`InModelUnits`]).
//! With ν̃ = ν1 − iν2 the loss C'' = Im C* is ≥ 0 for ν1 ≥ 0; a Markovian
//! kernel ν̃ = γ = 1/τ_d is LAMMPS' `fix langevin` with damping time τ_d
//! (friction −m v/τ_d on the nonaffine velocity).
//!
//! C* is the η-derivative of the project's convention (linear strain, the
//! stress (1/V)∂U/∂η). A box-strain measurement (LAMMPS `fix deform`, F = 1 +
//! h G with G upper triangular) sees the Cauchy stress change dσ_b/dh_a, which
//! differs at a residual stress σ0 by terms linear in σ0:
//! M*_ba = C*_ba − tr(E^b E^a σ0) − tr(G^a) σ0_b + (G^a σ0 + σ0 G^aᵀ)_b
//! (docs/theory.md Eq. (61))
//! ([`nonaffine_hessian::affine::lammps_stress_derivative`]; the rotation
//! part of G does not couple to the nonaffine modes at a force minimum, so
//! the terms are those of the affine limit at every ω). [`box_strain_response`].

use crate::{complex_moduli, Affine, Isotropic, ModeSum};
use nonaffine_core::units::{PS_PER_S, RAD_PER_S_PER_OMEGA_UNIT};
use nonaffine_core::MemoryKernel;
use nonaffine_hessian::affine::lammps_stress_derivative;
use num_complex::Complex64;

/// rad/ps per unit of ω = sqrt(eV/(Å²·amu)): 98.227.
pub const RAD_PER_PS_PER_OMEGA_UNIT: f64 = RAD_PER_S_PER_OMEGA_UNIT / PS_PER_S;

/// A kernel whose time unit is the ps, seen in the model's time unit
/// (1/98.227 ps): ν̃_model(ω_m) = ν̃_ps(98.227 ω_m)/98.227, ν_model(t_m) =
/// ν_ps(t_m/98.227)/98.227² (ν(t) in 1/time²).
pub struct InModelUnits<'a>(pub &'a dyn MemoryKernel);

impl MemoryKernel for InModelUnits<'_> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn nu_time(&self, t: f64) -> f64 {
        let u = RAD_PER_PS_PER_OMEGA_UNIT;
        self.0.nu_time(t / u) / (u * u)
    }
    fn nu_freq(&self, omega: f64) -> Complex64 {
        let u = RAD_PER_PS_PER_OMEGA_UNIT;
        self.0.nu_freq(omega * u) / u
    }
    fn memory_time(&self) -> Option<f64> {
        self.0.memory_time().map(|t| t * RAD_PER_PS_PER_OMEGA_UNIT)
    }
    fn parameters(&self) -> Vec<(String, f64, String)> {
        self.0.parameters()
    }
}

/// C*_ab(ω), GPa, Voigt 6×6 (η convention, symmetric), at ω in rad/ps with
/// `kernel_ps` in ps (ν̃ in 1/ps).
pub fn predicted_moduli(
    affine: &Affine,
    modes: &dyn ModeSum,
    kernel_ps: &dyn MemoryKernel,
    omega_rad_per_ps: f64,
) -> [[Complex64; 6]; 6] {
    complex_moduli(
        affine,
        modes,
        &InModelUnits(kernel_ps),
        omega_rad_per_ps / RAD_PER_PS_PER_OMEGA_UNIT,
    )
}

/// M*_ba = dσ_b/dh_a, GPa: what a box strain F = 1 + h G^a of LAMMPS'
/// restricted triclinic box (G = ê_i ê_i for a normal component; ê_y ê_z,
/// ê_x ê_z, ê_x ê_y for yz, xz, xy) measures in the Cauchy stress σ_b
/// (tension positive), given C* of the η convention and the residual stress
/// `stress_gpa` of the reference. The terms are linear in σ0 and real, so
/// only the storage part changes; at σ0 = 0, M* = C*.
pub fn box_strain_response(c: &[[Complex64; 6]; 6], stress_gpa: &[f64; 6]) -> [[Complex64; 6]; 6] {
    let re: [[f64; 6]; 6] = std::array::from_fn(|a| std::array::from_fn(|b| c[a][b].re));
    let shifted = lammps_stress_derivative(&re, stress_gpa);
    std::array::from_fn(|b| std::array::from_fn(|a| Complex64::new(shifted[b][a], c[b][a].im)))
}

/// The prediction at one frequency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// ω, rad/ps.
    pub omega_rad_per_ps: f64,
    /// C*_ab (η convention), GPa.
    pub moduli: [[Complex64; 6]; 6],
    /// M*_ba = dσ_b/dh_a of a box strain (pre-stress terms included), GPa.
    pub box_strain: [[Complex64; 6]; 6],
    /// E*, G*, K* (Voigt averages of C*), GPa.
    pub isotropic: Isotropic,
}

/// [`Prediction`]s of one glass at each ω (rad/ps).
pub fn predict(
    affine: &Affine,
    stress_gpa: &[f64; 6],
    modes: &dyn ModeSum,
    kernel_ps: &dyn MemoryKernel,
    omegas_rad_per_ps: &[f64],
) -> Vec<Prediction> {
    omegas_rad_per_ps
        .iter()
        .map(|&w| {
            let moduli = predicted_moduli(affine, modes, kernel_ps, w);
            Prediction {
                omega_rad_per_ps: w,
                box_strain: box_strain_response(&moduli, stress_gpa),
                isotropic: Isotropic::from_voigt(&moduli),
                moduli,
            }
        })
        .collect()
}

/// ω = 2π ν in rad/ps for ν in THz.
pub fn omega_of_thz(nu_thz: f64) -> f64 {
    2.0 * std::f64::consts::PI * nu_thz
}

/// `n` frequencies (THz) log-spaced from `lo` to `hi` inclusive.
pub fn log_spaced_thz(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![lo];
    }
    (0..n)
        .map(|i| lo * (hi / lo).powf(i as f64 / (n - 1) as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nonaffine_core::{Modes, Params};

    fn langevin(tau_ps: f64) -> Box<dyn MemoryKernel> {
        kernel_markovian::build(&Params::from_pairs("k", &format!("nu0={}", 1.0 / tau_ps)).unwrap())
            .unwrap()
    }

    #[test]
    fn omega_unit_in_rad_per_ps_from_si() {
        let ev = 1.602_176_634e-19_f64;
        let amu = 1.660_539_066_60e-27_f64;
        let omega_per_s = (ev / (1e-20 * amu)).sqrt();
        assert!((omega_per_s * 1e-12 / RAD_PER_PS_PER_OMEGA_UNIT - 1.0).abs() < 1e-8);
        assert!((RAD_PER_PS_PER_OMEGA_UNIT - 98.227).abs() < 1e-3);
    }

    /// One mode driven by η = η0 sin ωt under Langevin friction, integrated in
    /// physical units (ps, Å, amu, eV) by velocity Verlet with the friction
    /// half-implicit, and the stress σ(t) = C^B η − (1/V) Ξ̂ q projected on
    /// sin and cos over whole periods after the transient: equals the closed
    /// form in value and in the sign of the loss (C'' > 0).
    #[test]
    fn one_driven_mode_matches_the_closed_form_in_physical_units() {
        let lambda = 0.02; // eV/(Å²·amu): ν_p = 2.21 THz
        let xi = 3.0; // eV/(Å·amu^½)
        let volume = 50.0; // Å³
        let born = 100.0; // GPa
        let tau = 0.5; // ps
        let modes = Modes {
            eigenvalues: vec![lambda],
            projections: vec![[xi, 0.0, 0.0, 0.0, 0.0, 0.0]],
            participation: Vec::new(),
            kind: None,
        };
        let mut born_gpa = [[0.0; 6]; 6];
        born_gpa[0][0] = born;
        let affine = Affine {
            born_gpa,
            volume_a3: volume,
        };
        let kernel = langevin(tau);
        // eV/(Å·amu) per Å/ps²: a = F/m in Å/ps² is 9648.5 × (eV/(Å·amu)).
        let acc = RAD_PER_PS_PER_OMEGA_UNIT * RAD_PER_PS_PER_OMEGA_UNIT;
        for nu_thz in [0.5, 2.2, 5.0] {
            let w = omega_of_thz(nu_thz);
            let expect = predicted_moduli(&affine, &modes, kernel.as_ref(), w)[0][0];
            let period = 1.0 / nu_thz;
            let dt = period / 2000.0;
            let eta0 = 1e-3;
            let force = |q: f64, t: f64| acc * (-lambda * q + xi * eta0 * (w * t).sin());
            let (mut q, mut v, mut t) = (0.0, 0.0, 0.0);
            let warm = (20.0 * tau / period).ceil() * period;
            let cycles = 4.0;
            let steps = ((warm + cycles * period) / dt).round() as usize;
            let (mut s_sin, mut s_cos, mut n) = (0.0, 0.0, 0.0);
            let mut a = force(q, t);
            for _ in 0..steps {
                v += 0.5 * dt * (a - v / tau);
                q += dt * v;
                t += dt;
                a = force(q, t);
                v = (v + 0.5 * dt * a) / (1.0 + 0.5 * dt / tau);
                if t > warm + 0.5 * dt {
                    let sigma = born * eta0 * (w * t).sin()
                        - nonaffine_core::units::GPA_PER_EV_PER_A3 / volume * xi * q;
                    s_sin += sigma * (w * t).sin();
                    s_cos += sigma * (w * t).cos();
                    n += 1.0;
                }
            }
            let measured = Complex64::new(2.0 * s_sin / n / eta0, 2.0 * s_cos / n / eta0);
            let rel = (measured - expect).norm() / expect.norm();
            assert!(
                rel < 5e-3,
                "{nu_thz} THz: MD-like {measured}, closed form {expect} ({rel:e})"
            );
            assert!(expect.im > 0.0 && measured.im > 0.0);
        }
    }

    /// At zero residual stress the box-strain response is C* itself; with a
    /// residual stress only the storage changes, and for the x drive the
    /// terms are worked out by hand: σ_xx: −σ_xx − σ_xx + 2σ_xx = 0;
    /// σ_yy: −σ_yy (the volume change J = 1 + h).
    #[test]
    fn box_strain_terms_vanish_without_stress_and_touch_only_storage() {
        let c: [[Complex64; 6]; 6] = std::array::from_fn(|a| {
            std::array::from_fn(|b| Complex64::new(10.0 + (a * 6 + b) as f64, 0.1 * (a + b) as f64))
        });
        assert_eq!(box_strain_response(&c, &[0.0; 6]), c);
        let s = [1.0, 2.0, 3.0, 0.4, 0.5, 0.6];
        let m = box_strain_response(&c, &s);
        for a in 0..6 {
            for b in 0..6 {
                assert_eq!(m[b][a].im, c[b][a].im);
            }
        }
        // Uniaxial x drive, σ_xx measured: −tr(E^1E^1σ) − σ_xx + 2σ_xx = 0.
        assert!((m[0][0].re - c[0][0].re).abs() < 1e-12);
        // Uniaxial x drive, σ_yy measured: −σ_yy (volume change).
        assert!((m[1][0].re - (c[1][0].re - s[1])).abs() < 1e-12);
    }
}
