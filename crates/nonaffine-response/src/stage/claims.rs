//! The paper's claims (Cui et al.), each tested on the fits with its verdict
//! and the numbers that decide it.

use super::samples::Reference;
use super::{FitRecord, AIC_MARGIN};
use crate::FitMode;
use serde::Serialize;

/// One claim of the paper, tested.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Claim {
    pub(super) temperature_k: Option<f64>,
    pub(super) claim: String,
    pub(super) holds: bool,
    pub(super) numbers: Vec<(String, f64)>,
}

pub(super) fn find<'a>(
    fits: &'a [FitRecord],
    t: f64,
    kernel: &str,
    spectrum: &str,
    mode: FitMode,
) -> Option<&'a FitRecord> {
    fits.iter().find(|f| {
        f.temperature_k == t && f.kernel == kernel && f.spectrum == spectrum && f.mode == mode
    })
}

/// The paper's claims, each tested on the fits of `mode`.
pub(super) fn claims(references: &[Reference], fits: &[FitRecord], mode: FitMode) -> Vec<Claim> {
    let mut out = Vec::new();
    for r in references {
        let t = r.temperature_k;
        let Some(st) = find(fits, t, "stretched-exp", "boson_peak", mode) else {
            continue;
        };
        let others: Vec<(&str, &str, &str)> = vec![
            (
                "markovian",
                "boson_peak",
                "the Markovian kernel does not fit",
            ),
            (
                "exponential",
                "boson_peak",
                "the exponential kernel does not fit",
            ),
            (
                "stretched-exp",
                "debye",
                "the stretched kernel with the debye spectrum does not fit",
            ),
        ];
        let mut best = true;
        let mut numbers = vec![("aic_stretched".to_string(), st.aic)];
        let mut worse = Vec::new();
        for (kernel, spectrum, text) in others {
            if let Some(o) = find(fits, t, kernel, spectrum, mode) {
                let delta = o.aic - st.aic;
                best &= delta > 0.0;
                numbers.push((format!("aic_{kernel}_{spectrum}"), o.aic));
                worse.push(Claim {
                    temperature_k: Some(t),
                    claim: format!("{text} (ΔAIC > {AIC_MARGIN} against stretched-exp)"),
                    holds: delta > AIC_MARGIN,
                    numbers: vec![
                        ("delta_aic".into(), delta),
                        ("r_squared".into(), o.r_squared),
                        ("r_squared_stretched".into(), st.r_squared),
                    ],
                });
            }
        }
        out.push(Claim {
            temperature_k: Some(t),
            claim: "the stretched-exp kernel with the boson-peak spectrum fits best by AIC".into(),
            holds: best,
            numbers,
        });
        out.extend(worse);
    }
    // b against T, hottest first.
    let mut bs: Vec<(f64, f64, f64)> = references
        .iter()
        .filter_map(|r| {
            let f = find(fits, r.temperature_k, "stretched-exp", "boson_peak", mode)?;
            let b = f.value("b")?;
            Some((r.temperature_k, b.value, b.std_error))
        })
        .collect();
    bs.sort_by(|a, b| b.0.total_cmp(&a.0));
    if bs.len() >= 2 {
        let non_increasing = bs.windows(2).all(|w| {
            let tol = if w[0].2.is_finite() && w[1].2.is_finite() {
                w[0].2.hypot(w[1].2)
            } else {
                0.0
            };
            w[1].1 <= w[0].1 + tol
        });
        let first = bs[0];
        let last = bs[bs.len() - 1];
        let mut numbers = Vec::new();
        for (t, b, e) in &bs {
            numbers.push((format!("b_{t}K"), *b));
            numbers.push((format!("b_{t}K_std_error"), *e));
        }
        out.push(Claim {
            temperature_k: None,
            claim: "the fitted b falls as T falls (non-increasing within errors, lowest T below highest T)"
                .into(),
            holds: non_increasing && last.1 < first.1,
            numbers,
        });
    }
    out
}
