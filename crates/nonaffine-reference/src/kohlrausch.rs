//! One Kohlrausch fit and the dynamic moduli it implies.

use crate::ReferenceError;

/// σ(t) = σ∞ + σ0 exp(−(t/τ)^β) at strain ε0, stored as moduli σ0/ε0, σ∞/ε0.
#[derive(Clone, Debug, PartialEq)]
pub struct Kohlrausch {
    /// σ0/ε0, in the modulus unit of the data (GPa, or 1 when normalised).
    pub sigma0_over_eps0: f64,
    /// σ∞/ε0, same unit.
    pub sigma_inf_over_eps0: f64,
    /// Relaxation time τ, in [`Kohlrausch::time_unit`].
    pub tau: f64,
    /// Name of τ's time unit (`min`, `s`, `ps`); ω is in rad per this unit.
    pub time_unit: String,
    /// Stretching exponent β, in [0.1, 2].
    pub beta: f64,
}

/// Position and height of the maximum of E''(ω).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossPeak {
    /// ω at the maximum, rad per time unit.
    pub omega: f64,
    /// E'' there, modulus unit.
    pub loss: f64,
}

impl Kohlrausch {
    /// A checked fit: β in [0.1, 2], τ > 0, σ0/ε0 > 0 (a stress that relaxes; σ0 ≤ 0
    /// would give E'' ≤ 0 and NaN wing slopes), finite σ∞/ε0.
    pub fn new(
        sigma0_over_eps0: f64,
        tau: f64,
        time_unit: &str,
        beta: f64,
        sigma_inf_over_eps0: f64,
    ) -> Result<Self, ReferenceError> {
        let bad = |what: &str, message: String| ReferenceError::Invalid {
            what: what.into(),
            message,
        };
        if !(nonaffine_kww::BETA_MIN..=nonaffine_kww::BETA_MAX).contains(&beta) {
            return Err(bad("beta", format!("must be in [0.1, 2], found {beta}")));
        }
        if !(tau > 0.0 && tau.is_finite()) {
            return Err(bad(
                "tau",
                format!("must be a finite number > 0, found {tau}"),
            ));
        }
        if !(sigma0_over_eps0 > 0.0 && sigma0_over_eps0.is_finite()) {
            return Err(bad(
                "sigma0_over_eps0",
                format!(
                    "must be a finite number > 0 (the relaxing part of the stress per strain; \
                     a stress that relaxes decays from σ∞ + σ0 to σ∞), found {sigma0_over_eps0}"
                ),
            ));
        }
        if !sigma_inf_over_eps0.is_finite() {
            return Err(bad(
                "sigma_inf_over_eps0",
                format!("must be finite, found {sigma_inf_over_eps0}"),
            ));
        }
        Ok(Self {
            sigma0_over_eps0,
            sigma_inf_over_eps0,
            tau,
            time_unit: time_unit.into(),
            beta,
        })
    }

    /// Relaxation stress per strain σ(t)/ε0 at time t (time unit of τ).
    pub fn relaxation(&self, t: f64) -> f64 {
        self.sigma_inf_over_eps0 + self.sigma0_over_eps0 * (-(t / self.tau).powf(self.beta)).exp()
    }

    /// (E'(ω), E''(ω)) for ω in rad per time unit (paper Eqs. 8–9):
    /// E' = σ∞/ε0 + (σ0/ε0) ωτ s_β(ωτ), E'' = (σ0/ε0) ωτ c_β(ωτ).
    pub fn moduli(&self, omega: f64) -> Result<(f64, f64), ReferenceError> {
        let x = omega * self.tau;
        let (c, s) = nonaffine_kww::kww(self.beta, x)?;
        Ok((
            self.sigma_inf_over_eps0 + self.sigma0_over_eps0 * x * s,
            self.sigma0_over_eps0 * x * c,
        ))
    }

    /// The maximum of E''(ω): x c_β(x) is maximised over x = ωτ by a log-grid scan
    /// and golden-section refinement (to ~1e-9 relative in ω).
    pub fn loss_peak(&self) -> Result<LossPeak, ReferenceError> {
        let f = |u: f64| -> Result<f64, ReferenceError> {
            let x = u.exp();
            Ok(x * nonaffine_kww::kww_cos(self.beta, x)?)
        };
        // Scan ln x over [−12, 12] (x c_β(x) is unimodal with its peak near x ~ 1).
        let steps = 240;
        let mut best = (0usize, f64::NEG_INFINITY);
        let grid: Vec<f64> = (0..=steps)
            .map(|i| -12.0 + 24.0 * i as f64 / steps as f64)
            .collect();
        for (i, &u) in grid.iter().enumerate() {
            let v = f(u)?;
            if v > best.1 {
                best = (i, v);
            }
        }
        let (mut a, mut b) = (
            grid[best.0.saturating_sub(1)],
            grid[(best.0 + 1).min(steps)],
        );
        let g = 0.5 * (5f64.sqrt() - 1.0);
        let (mut x1, mut x2) = (b - g * (b - a), a + g * (b - a));
        let (mut f1, mut f2) = (f(x1)?, f(x2)?);
        while b - a > 1e-9 {
            if f1 > f2 {
                b = x2;
                x2 = x1;
                f2 = f1;
                x1 = b - g * (b - a);
                f1 = f(x1)?;
            } else {
                a = x1;
                x1 = x2;
                f1 = f2;
                x2 = a + g * (b - a);
                f2 = f(x2)?;
            }
        }
        let u = 0.5 * (a + b);
        let x = u.exp();
        Ok(LossPeak {
            omega: x / self.tau,
            loss: self.sigma0_over_eps0 * f(u)?,
        })
    }

    /// α-wing asymmetry: slopes d ln E''/d ln ω at 1/100 and 100 times the peak
    /// frequency, (low, high). A Debye peak gives (1, −1); the Kohlrausch wing tends
    /// to 1 below and to −β above the peak, so |high| < low measures the asymmetry.
    pub fn wing_slopes(&self) -> Result<(f64, f64), ReferenceError> {
        let peak = self.loss_peak()?;
        let slope = |omega: f64| -> Result<f64, ReferenceError> {
            let h: f64 = 1e-3;
            let up = self.moduli(omega * h.exp())?.1.ln();
            let down = self.moduli(omega * (-h).exp())?.1.ln();
            Ok((up - down) / (2.0 * h))
        };
        Ok((slope(peak.omega / 100.0)?, slope(peak.omega * 100.0)?))
    }
}
