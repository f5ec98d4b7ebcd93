//! The `lj/cut` plugin: pairwise Lennard-Jones,
//! φ_ab(r) = 4 ε_ab [(σ_ab/r)^12 − (σ_ab/r)^6] for r < r_c,ab and 0 beyond,
//! truncated at r_c as LAMMPS' `pair_style lj/cut`, and by default shifted
//! (`pair_modify shift yes`, the Kob–Andersen convention): φ(r) − φ(r_c), so
//! the energy is continuous at the cutoff and a minimizer can converge to
//! force tolerances of 1e-10 eV/Å (unshifted, its line search stalls where a
//! pair crosses the cutoff). `shift: false` gives LAMMPS' unshifted default.
//!
//! It is an [`EamForm`] without embedding, so every engine (forces, Hessian,
//! Born moduli) works with it unchanged.
//!
//! Parameters list per-pair values in LAMMPS `pair_coeff` order over the upper
//! triangle of types: (1,1), (1,2), …, (1,n), (2,2), …, (n,n).
//!
//! # Kob–Andersen 80:20 in metal units
//! The binary glass former of Kob and Andersen (PRE 51, 4626 (1995)) in
//! reduced units has ε_AA = 1, ε_AB = 1.5, ε_BB = 0.5, σ_AA = 1, σ_AB = 0.8,
//! σ_BB = 0.88, r_c = 2.5 σ_ab, equal masses. With argon's scales
//! (ε = 0.0103 eV ≈ k_B · 119.8 K, σ = 3.405 Å, m = 39.948 amu) it reads
//! ```yaml
//! potential:
//!   plugin: lj/cut
//!   elements: [A, B]
//!   masses_amu: [39.948, 39.948]
//!   epsilon_ev: [0.0103, 0.01545, 0.00515]        # AA, AB, BB
//!   sigma_angstrom: [3.405, 2.724, 2.9964]        # AA, AB, BB
//!   cutoff_angstrom: [8.5125, 6.81, 7.491]        # 2.5 σ_ab
//! ```
//! [`kob_andersen`] builds the same set.

use nonaffine_core::{
    EamForm, ParamError, ParamKind, ParamSpec, Params, PluginError, PluginInfo, Potential,
    Provenance, Radial,
};

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "lj/cut",
    version: "2",
    doc: "Pairwise Lennard-Jones 4ε[(σ/r)^12 − (σ/r)^6] with per-type-pair ε, σ and cutoff, \
          truncated as LAMMPS pair_style lj/cut and shifted to zero at the cutoff unless \
          shift: false (e.g. Kob-Andersen 80:20).",
    params: PARAMS,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "elements",
        kind: ParamKind::TextList,
        unit: "",
        default: None,
        doc: "type names in LAMMPS type order, e.g. [A, B]",
    },
    ParamSpec {
        name: "masses_amu",
        kind: ParamKind::NumberList,
        unit: "amu",
        default: None,
        doc: "mass of each type, in type order",
    },
    ParamSpec {
        name: "epsilon_ev",
        kind: ParamKind::NumberList,
        unit: "eV",
        default: None,
        doc: "well depth ε per type pair, order (1,1), (1,2), …, (1,n), (2,2), …, (n,n)",
    },
    ParamSpec {
        name: "sigma_angstrom",
        kind: ParamKind::NumberList,
        unit: "Å",
        default: None,
        doc: "zero-crossing distance σ per type pair, same order as epsilon_ev",
    },
    ParamSpec {
        name: "cutoff_angstrom",
        kind: ParamKind::NumberList,
        unit: "Å",
        default: None,
        doc: "cutoff per type pair, same order as epsilon_ev",
    },
    ParamSpec {
        name: "shift",
        kind: ParamKind::Bool,
        unit: "",
        default: Some("true"),
        doc: "shift each pair energy to zero at its cutoff (LAMMPS pair_modify shift yes); \
              forces and the Hessian do not change, energies do",
    },
];

/// One type pair's coefficients, precomputed as LAMMPS' `init_one` does.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PairCoeff {
    epsilon_ev: f64,
    sigma_angstrom: f64,
    cutoff_angstrom: f64,
    /// 4 ε σ^12 (eV·Å¹²), LAMMPS `lj3`.
    lj3: f64,
    /// 4 ε σ^6 (eV·Å⁶), LAMMPS `lj4`.
    lj4: f64,
    /// φ(r_c) in eV when shifted, else 0 (LAMMPS `offset`).
    offset_ev: f64,
}

/// A Lennard-Jones potential with per-type-pair parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct LennardJones {
    elements: Vec<String>,
    masses_amu: Vec<f64>,
    /// Coefficients at index a·n + b (symmetric).
    coeffs: Vec<PairCoeff>,
    max_cutoff_angstrom: f64,
    shift: bool,
}

/// Why a Lennard-Jones parameter set is invalid.
pub type LjError = ParamError;

impl LennardJones {
    /// Builds from type names, masses (amu) and per-pair ε (eV), σ (Å) and
    /// cutoffs (Å) in upper-triangle order (1,1), (1,2), …, (n,n).
    /// `origin` names the parameter block in error messages.
    pub fn new(
        origin: &Params,
        elements: Vec<String>,
        masses_amu: Vec<f64>,
        epsilon_ev: &[f64],
        sigma_angstrom: &[f64],
        cutoff_angstrom: &[f64],
        shift: bool,
    ) -> Result<Self, LjError> {
        let n = elements.len();
        if n == 0 {
            return Err(ParamError::new(
                origin.path("elements"),
                "list at least one type",
            ));
        }
        for (k, e) in elements.iter().enumerate() {
            if elements[..k].contains(e) {
                return Err(ParamError::new(
                    origin.path("elements"),
                    format!("`{e}` is listed twice"),
                ));
            }
        }
        if masses_amu.len() != n {
            return Err(ParamError::new(
                origin.path("masses_amu"),
                format!(
                    "expected {n} masses (one per type), found {}",
                    masses_amu.len()
                ),
            ));
        }
        if let Some(m) = masses_amu.iter().find(|m| m.is_nan() || **m <= 0.0) {
            return Err(ParamError::new(
                origin.path("masses_amu"),
                format!("mass {m} must be > 0"),
            ));
        }
        let npairs = n * (n + 1) / 2;
        for (key, list) in [
            ("epsilon_ev", epsilon_ev),
            ("sigma_angstrom", sigma_angstrom),
            ("cutoff_angstrom", cutoff_angstrom),
        ] {
            if list.len() != npairs {
                return Err(ParamError::new(
                    origin.path(key),
                    format!(
                        "expected {npairs} values for {n} types, one per pair in the order {}; found {}",
                        pair_order(&elements),
                        list.len()
                    ),
                ));
            }
            if key != "epsilon_ev" {
                if let Some(x) = list.iter().find(|x| x.is_nan() || **x <= 0.0) {
                    return Err(ParamError::new(
                        origin.path(key),
                        format!("{x} must be > 0"),
                    ));
                }
            } else if let Some(x) = list.iter().find(|x| x.is_nan() || **x < 0.0) {
                return Err(ParamError::new(
                    origin.path(key),
                    format!("{x} must be ≥ 0"),
                ));
            }
        }
        let mut coeffs = vec![
            PairCoeff {
                epsilon_ev: 0.0,
                sigma_angstrom: 1.0,
                cutoff_angstrom: 0.0,
                lj3: 0.0,
                lj4: 0.0,
                offset_ev: 0.0,
            };
            n * n
        ];
        let mut k = 0;
        for a in 0..n {
            for b in a..n {
                let (eps, sig, rc) = (epsilon_ev[k], sigma_angstrom[k], cutoff_angstrom[k]);
                let ratio6 = (sig / rc).powi(6);
                let c = PairCoeff {
                    epsilon_ev: eps,
                    sigma_angstrom: sig,
                    cutoff_angstrom: rc,
                    lj3: 4.0 * eps * sig.powi(12),
                    lj4: 4.0 * eps * sig.powi(6),
                    offset_ev: if shift {
                        4.0 * eps * (ratio6 * ratio6 - ratio6)
                    } else {
                        0.0
                    },
                };
                coeffs[a * n + b] = c;
                coeffs[b * n + a] = c;
                k += 1;
            }
        }
        let max_cutoff_angstrom = cutoff_angstrom.iter().fold(0.0f64, |m, x| m.max(*x));
        Ok(Self {
            elements,
            masses_amu,
            coeffs,
            max_cutoff_angstrom,
            shift,
        })
    }

    /// Reads the parameters of [`INFO`].
    pub fn from_params(params: &Params) -> Result<Self, LjError> {
        params.check_known(PARAMS)?;
        Self::new(
            params,
            params.texts("elements")?,
            params.numbers("masses_amu")?,
            &params.numbers("epsilon_ev")?,
            &params.numbers("sigma_angstrom")?,
            &params.numbers("cutoff_angstrom")?,
            params.bool_or("shift", true)?,
        )
    }

    fn coeff(&self, a: usize, b: usize) -> &PairCoeff {
        &self.coeffs[a * self.elements.len() + b]
    }
}

fn pair_order(elements: &[String]) -> String {
    let mut out = Vec::new();
    for a in 0..elements.len() {
        for b in a..elements.len() {
            out.push(format!("{}-{}", elements[a], elements[b]));
        }
    }
    out.join(", ")
}

/// The Kob–Andersen 80:20 set in argon-scaled metal units (see the crate docs):
/// types `A`, `B`.
pub fn kob_andersen() -> LennardJones {
    let eps = 0.0103;
    let sig = 3.405;
    let s = [sig, 0.8 * sig, 0.88 * sig];
    let built = LennardJones::new(
        &Params::default(),
        vec!["A".into(), "B".into()],
        vec![39.948, 39.948],
        &[eps, 1.5 * eps, 0.5 * eps],
        &s,
        &[2.5 * s[0], 2.5 * s[1], 2.5 * s[2]],
        true,
    );
    match built {
        Ok(lj) => lj,
        // The constants above are valid by construction.
        Err(e) => unreachable!("Kob-Andersen constants rejected: {e}"),
    }
}

impl EamForm for LennardJones {
    fn species_count(&self) -> usize {
        self.elements.len()
    }

    fn cutoff(&self) -> f64 {
        self.max_cutoff_angstrom
    }

    /// Written as LAMMPS' `PairLJCut::compute`: with r⁻⁶ = (1/r²)³,
    /// φ = r⁻⁶ (lj3 r⁻⁶ − lj4), φ' = −6 r⁻⁶ (2 lj3 r⁻⁶ − lj4)/r,
    /// φ'' = r⁻⁶ (156 lj3 r⁻⁶ − 42 lj4)/r², with lj3 = 4εσ¹², lj4 = 4εσ⁶,
    /// minus LAMMPS' offset φ(r_c) when shifted.
    fn pair(&self, a: usize, b: usize, r: f64) -> Radial {
        let c = self.coeff(a, b);
        if r >= c.cutoff_angstrom {
            return Radial::default();
        }
        let r2inv = 1.0 / (r * r);
        let r6inv = r2inv * r2inv * r2inv;
        Radial {
            value: r6inv * (c.lj3 * r6inv - c.lj4) - c.offset_ev,
            d1: -6.0 * r6inv * (2.0 * c.lj3 * r6inv - c.lj4) / r,
            d2: r6inv * (156.0 * c.lj3 * r6inv - 42.0 * c.lj4) * r2inv,
        }
    }

    fn density(&self, _host: usize, _neighbor: usize, _r: f64) -> Radial {
        Radial::default()
    }

    fn embedding(&self, _a: usize, _rho: f64) -> Radial {
        Radial::default()
    }

    fn has_embedding(&self) -> bool {
        false
    }
}

impl Potential for LennardJones {
    fn name(&self) -> &str {
        INFO.name
    }

    fn elements(&self) -> &[String] {
        &self.elements
    }

    fn masses_amu(&self) -> Vec<f64> {
        self.masses_amu.clone()
    }

    fn cutoff_angstrom(&self) -> f64 {
        self.max_cutoff_angstrom
    }

    /// `pair_style lj/cut <max cutoff>`, one `pair_coeff i j ε σ r_c` per pair
    /// (full precision), and the masses.
    fn lammps_commands(&self) -> Vec<String> {
        let n = self.elements.len();
        let mut out = vec![format!("pair_style lj/cut {:e}", self.max_cutoff_angstrom)];
        out.push(format!(
            "pair_modify shift {}",
            if self.shift { "yes" } else { "no" }
        ));
        for a in 0..n {
            for b in a..n {
                let c = self.coeff(a, b);
                out.push(format!(
                    "pair_coeff {} {} {:e} {:e} {:e}",
                    a + 1,
                    b + 1,
                    c.epsilon_ev,
                    c.sigma_angstrom,
                    c.cutoff_angstrom
                ));
            }
        }
        for (a, m) in self.masses_amu.iter().enumerate() {
            out.push(format!("mass {} {m:e}", a + 1));
        }
        out
    }

    fn provenance(&self) -> Provenance {
        let mut header = vec![format!(
            "lj/cut, types {}, {}",
            self.elements.join(" "),
            if self.shift {
                "shifted to zero at the cutoff"
            } else {
                "not shifted"
            }
        )];
        let n = self.elements.len();
        for a in 0..n {
            for b in a..n {
                let c = self.coeff(a, b);
                header.push(format!(
                    "{}-{}: epsilon {} eV, sigma {} Å, cutoff {} Å",
                    self.elements[a],
                    self.elements[b],
                    c.epsilon_ev,
                    c.sigma_angstrom,
                    c.cutoff_angstrom
                ));
            }
        }
        Provenance {
            source: "lj/cut parameters".into(),
            header,
            sha256: None,
        }
    }

    fn form(&self) -> Option<&dyn EamForm> {
        Some(self)
    }
}

/// Builds the plugin from its parameters.
pub fn build(params: &Params) -> Result<Box<dyn Potential>, PluginError> {
    Ok(Box::new(LennardJones::from_params(params)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn minimum_is_at_two_to_the_sixth_sigma_with_depth_epsilon() {
        let lj = kob_andersen();
        for (a, b, eps, sig) in [
            (0, 0, 0.0103, 3.405),
            (0, 1, 0.01545, 2.724),
            (1, 1, 0.00515, 2.9964),
        ] {
            // Kob–Andersen cut every pair at 2.5 σ: the shift is 4ε(x¹² − x⁶), x = 1/2.5.
            let x6 = 0.4f64.powi(6);
            let shift = 4.0 * eps * (x6 * x6 - x6);
            let rmin = 2f64.powf(1.0 / 6.0) * sig;
            let p = lj.pair(a, b, rmin);
            assert!(
                (p.value + eps + shift).abs() < 1e-12 * eps,
                "{a}{b}: {}",
                p.value
            );
            assert!(p.d1.abs() < 1e-12, "{a}{b}: {}", p.d1);
            // φ''(r_min) = 72 ε / (2^{1/3} σ²).
            let k = 72.0 * eps / (2f64.powf(1.0 / 3.0) * sig * sig);
            assert!((p.d2 - k).abs() < 1e-10 * k, "{a}{b}: {} vs {k}", p.d2);
            assert!((lj.pair(a, b, sig).value + shift).abs() < 1e-15);
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let lj = kob_andersen();
        let h = 1e-6;
        for &r in &[2.6, 3.1, 4.0, 6.5] {
            let (m, c, p) = (lj.pair(0, 1, r - h), lj.pair(0, 1, r), lj.pair(0, 1, r + h));
            assert!(((p.value - m.value) / (2.0 * h) - c.d1).abs() < 1e-7 * (1.0 + c.d1.abs()));
            assert!(((p.d1 - m.d1) / (2.0 * h) - c.d2).abs() < 1e-6 * (1.0 + c.d2.abs()));
        }
    }

    #[test]
    fn shifted_by_default_to_zero_at_the_cutoff_and_unshifted_on_request() {
        let lj = kob_andersen();
        let rc = 2.5 * 3.405;
        // 4ε(x¹² − x⁶) at x = 1/2.5, the textbook Kob–Andersen offset −0.016317 ε.
        let x6 = 0.4f64.powi(6);
        let offset = 4.0 * 0.0103 * (x6 * x6 - x6);
        assert!((offset / 0.0103 + 0.016_316_891).abs() < 1e-8);
        assert!(lj.pair(0, 0, rc - 1e-9).value.abs() < 1e-11);
        let unshifted = LennardJones::new(
            &Params::default(),
            vec!["A".into()],
            vec![39.948],
            &[0.0103],
            &[3.405],
            &[8.5125],
            false,
        )
        .unwrap();
        let inside = unshifted.pair(0, 0, rc - 1e-9).value;
        assert!((inside - offset).abs() < 1e-12, "{inside} vs {offset}");
        assert_eq!(lj.pair(0, 0, rc).value, 0.0);
        // Shifting moves energies only.
        let (a, b) = (lj.pair(0, 0, 4.0), unshifted.pair(0, 0, 4.0));
        assert_eq!((a.d1, a.d2), (b.d1, b.d2));
        assert!((b.value - a.value - offset).abs() < 1e-15);
        let from_params = Params::from_pairs(
            "potential",
            "elements=[A],masses_amu=[39.948],epsilon_ev=[0.0103],sigma_angstrom=[3.405],\
             cutoff_angstrom=[8.5125],shift=false",
        )
        .unwrap();
        assert_eq!(LennardJones::from_params(&from_params).unwrap(), unshifted);
        assert!(unshifted.lammps_commands()[1].ends_with("shift no"));
        assert!(lj.lammps_commands()[1].ends_with("shift yes"));
    }

    #[test]
    fn parameter_errors_name_the_key_and_the_order() {
        let p = Params::from_pairs("potential.params", "elements=A").unwrap();
        let e = LennardJones::new(
            &p,
            vec!["A".into(), "B".into()],
            vec![1.0, 1.0],
            &[1.0],
            &[1.0; 3],
            &[2.0; 3],
            true,
        )
        .unwrap_err();
        assert_eq!(e.key, "potential.params.epsilon_ev");
        assert!(e.message.contains("A-A, A-B, B-B"), "{e}");
    }
}
