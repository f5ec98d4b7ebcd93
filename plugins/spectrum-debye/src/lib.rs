//! The `debye` spectrum (paper §IV: "impossible to achieve a fitting of the
//! data using a Debye model for the DOS which has no excess of soft modes"):
//! a model spectrum to feed the response stage in place of the glass's own.
//!
//! - Frequencies: 3N − 3 modes distributed by the Debye law D(ω) = 3ω²/ω_D³ on
//!   [0, ω_D], at the quantiles ω_p = ω_D ((p + ½)/(3N − 3))^{1/3}, plus three zero
//!   modes; ω_D comes from the stage (density and sound speeds of the relaxed,
//!   else Born, moduli).
//! - Projections: a smooth Γ that keeps the glass's sum rule
//!   Σ_p Ξ̂_{p,a}Ξ̂_{p,b} = ξ_a·ξ_b (ξ = M^{-1/2}Ξ). With G = L Lᵀ the Gram matrix
//!   of ξ, mode p carries column p mod 6 of L divided by the square root of
//!   how many modes share that column, so every frequency shell holding many
//!   modes has the same mean Ξ̂Ξ̂ᵀ = G/(3N − 3): Γ is flat in ω.
//!   Nothing of D enters except through ω_D and the mode count.

use nonaffine_core::spectrum::debye_law_eigenvalues;
use nonaffine_core::{
    Modes, ModesKind, Params, PluginError, PluginInfo, SolverError, SpectrumProblem,
    SpectrumResult, SpectrumSolver,
};

/// Registry entry.
pub const INFO: PluginInfo = PluginInfo {
    name: "debye",
    version: "1",
    doc: "Debye-model control spectrum without a boson peak: 3N−3 modes with D(ω) = 3ω²/ω_D³ up to \
          the glass's Debye frequency (from its relaxed or Born moduli), and a flat Γ that keeps the \
          sum rule Σ_p Ξ̂_p,a Ξ̂_p,b = ξ_a·ξ_b of the glass's own force fields.",
    params: &[],
};

/// Builds the model.
pub fn build(_params: &Params) -> Result<Box<dyn SpectrumSolver>, PluginError> {
    Ok(Box::new(DebyeSpectrum))
}

/// The Debye-model spectrum.
#[derive(Clone, Copy, Debug, Default)]
pub struct DebyeSpectrum;

impl SpectrumSolver for DebyeSpectrum {
    fn name(&self) -> &str {
        INFO.name
    }

    fn solve(&self, problem: &SpectrumProblem<'_>) -> Result<SpectrumResult, SolverError> {
        let n = problem.xi.len();
        let omega_d = problem.debye_omega.filter(|w| *w > 0.0).ok_or_else(|| SolverError::Invalid {
            solver: INFO.name.into(),
            message: "needs the Debye frequency, which comes from positive relaxed or Born moduli of the hessian stage".into(),
        })?;
        if n < 6 || !n.is_multiple_of(3) {
            return Err(SolverError::Invalid {
                solver: INFO.name.into(),
                message: format!("Ξ has {n} rows; need 3N with N ≥ 2"),
            });
        }
        let mut gram = [[0.0; 6]; 6];
        for row in problem.xi {
            for a in 0..6 {
                for b in 0..6 {
                    gram[a][b] += row[a] * row[b];
                }
            }
        }
        let l = cholesky_semidefinite(&gram);
        let m = n - 3;
        let share: Vec<f64> = (0..6).map(|j| ((m + 5 - j) / 6) as f64).collect();
        let mut eigenvalues = vec![0.0; 3];
        eigenvalues.extend(debye_law_eigenvalues(omega_d, m));
        let mut projections = vec![[0.0; 6]; 3];
        for p in 0..m {
            let j = p % 6;
            projections.push(std::array::from_fn(|a| l[a][j] / share[j].sqrt()));
        }
        Ok(SpectrumResult {
            modes: Modes {
                eigenvalues,
                projections,
                participation: Vec::new(),
                kind: Some(ModesKind::Model),
            },
            density: None,
            lowest_eigenvalue: None,
            diagnostics: vec![("debye_omega".into(), omega_d)],
        })
    }
}

/// Lower-triangular L with L Lᵀ = G for a symmetric positive semidefinite G;
/// columns whose pivot falls below 1e-14 of the largest diagonal are zero.
fn cholesky_semidefinite(g: &[[f64; 6]; 6]) -> [[f64; 6]; 6] {
    let tol = 1e-14 * (0..6).map(|i| g[i][i]).fold(0.0_f64, f64::max);
    let mut l = [[0.0; 6]; 6];
    for j in 0..6 {
        let d = g[j][j] - (0..j).map(|k| l[j][k] * l[j][k]).sum::<f64>();
        if d <= tol {
            continue;
        }
        let s = d.sqrt();
        l[j][j] = s;
        for i in j + 1..6 {
            l[i][j] = (g[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>()) / s;
        }
    }
    l
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use nonaffine_core::units::THZ_PER_OMEGA_UNIT;
    use nonaffine_spectrum::analysis::{frequency_thz, histogram, Grid};
    use nonaffine_spectrum::CsrOperator;
    use nonaffine_springs::SpringNetwork;

    #[test]
    fn debye_law_sum_rule_and_flat_gamma() {
        let products = SpringNetwork {
            cells: 4,
            ..SpringNetwork::default()
        }
        .products();
        let (op, xi) = CsrOperator::mass_weighted(&products);
        let nu_d = 6.0;
        let r = DebyeSpectrum
            .solve(&SpectrumProblem {
                operator: &op,
                xi: &xi,
                debye_omega: Some(nu_d / THZ_PER_OMEGA_UNIT),
            })
            .unwrap();
        let n = xi.len();
        assert_eq!(r.modes.len(), n);
        // Sum rule: Σ_p Ξ̂Ξ̂ᵀ = ξᵀξ.
        for a in 0..6 {
            for b in 0..6 {
                let s: f64 = r.modes.projections.iter().map(|x| x[a] * x[b]).sum();
                let g: f64 = xi.iter().map(|x| x[a] * x[b]).sum();
                assert!(
                    (s - g).abs() < 1e-10 * g.abs().max(1.0),
                    "({a},{b}) {s} vs {g}"
                );
            }
        }
        // Histogram follows 3ν²/ν_D³ (relative error ≲ counting noise).
        let nu: Vec<f64> = r.modes.eigenvalues[3..]
            .iter()
            .map(|l| frequency_thz(*l))
            .collect();
        let grid = Grid {
            nu_max_thz: nu_d,
            bins: 12,
        };
        let h = histogram(&nu, grid, nu.len() as f64);
        for (k, c) in grid.centers().iter().enumerate().skip(2) {
            let want = (((k + 1) as f64 * grid.width()).powi(3)
                - (k as f64 * grid.width()).powi(3))
                / nu_d.powi(3)
                / grid.width();
            assert!(
                (h[k] - want).abs() < 0.02 * want + 1e-3,
                "ν = {c}: {} vs {want}",
                h[k]
            );
        }
        assert!(DebyeSpectrum
            .solve(&SpectrumProblem {
                operator: &op,
                xi: &xi,
                debye_omega: None
            })
            .is_err());
    }
}
