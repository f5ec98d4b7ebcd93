//! Unit constants (docs/theory.md §1, Eqs. (1)–(2)). Internal units are LAMMPS `metal`:
//! Å, eV, amu, ps, K, bar.

/// GPa per eV/Å³.
pub const GPA_PER_EV_PER_A3: f64 = 160.217_663_4;
/// bar per eV/Å³ (1 GPa = 1e4 bar).
pub const BAR_PER_EV_PER_A3: f64 = GPA_PER_EV_PER_A3 * 1.0e4;
/// GPa per bar.
pub const GPA_PER_BAR: f64 = 1.0e-4;
/// rad/s per unit of ω = sqrt(eV/(Å²·amu)), the square root of a mass-weighted
/// Hessian eigenvalue.
pub const RAD_PER_S_PER_OMEGA_UNIT: f64 = 9.822_694_8e13;
/// THz (ν = ω/2π) per unit of ω = sqrt(eV/(Å²·amu)): 15.633 THz.
pub const THZ_PER_OMEGA_UNIT: f64 =
    RAD_PER_S_PER_OMEGA_UNIT / (2.0 * std::f64::consts::PI) * 1.0e-12;
/// g/cm³ per amu/Å³.
pub const G_PER_CM3_PER_AMU_PER_A3: f64 = 1.660_539_066_60;
/// Boltzmann constant in eV/K.
pub const BOLTZMANN_EV_PER_K: f64 = 8.617_333_262e-5;
/// ps per s.
pub const PS_PER_S: f64 = 1.0e12;

/// Converts a cooling rate in K/s to K/ps (1e10 K/s = 0.01 K/ps).
pub fn k_per_s_to_k_per_ps(rate_k_per_s: f64) -> f64 {
    rate_k_per_s / PS_PER_S
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thz_per_omega_unit_matches_theory() {
        // docs/theory.md Eq. (1): 1 sqrt(eV/(Å²·amu)) = 9.8227e13 rad/s = 15.633 THz.
        assert!((THZ_PER_OMEGA_UNIT - 15.633).abs() < 1e-3);
        // Independent: sqrt(eV/(Å² amu)) from SI constants.
        let ev = 1.602_176_634e-19_f64;
        let amu = 1.660_539_066_60e-27_f64;
        let a = 1.0e-10_f64;
        let omega = (ev / (a * a * amu)).sqrt();
        assert!((omega / RAD_PER_S_PER_OMEGA_UNIT - 1.0).abs() < 1e-8);
    }

    #[test]
    fn gpa_per_ev_per_a3_from_si() {
        let ev = 1.602_176_634e-19_f64;
        let a3 = 1.0e-30_f64;
        assert!((ev / a3 / 1e9 / GPA_PER_EV_PER_A3 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn density_unit_from_si() {
        // 1 amu/Å³ in g/cm³: 1.66053906660e-24 g / 1e-24 cm³.
        assert!((G_PER_CM3_PER_AMU_PER_A3 - 1.660_539_066_60e-24 / 1e-24).abs() < 1e-12);
    }
}
