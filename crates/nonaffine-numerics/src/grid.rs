//! Log-spaced grids.

/// `points` values from `first` to `last` (any unit, both > 0) equally spaced in
/// log: first·(last/first)^(i/(points − 1)). One point gives `[first]`, none
/// gives an empty grid; the caller checks that the ends are positive.
pub fn log_grid(first: f64, last: f64, points: usize) -> Vec<f64> {
    match points {
        0 => Vec::new(),
        1 => vec![first],
        _ => (0..points)
            .map(|i| first * (last / first).powf(i as f64 / (points - 1) as f64))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_constant_ratio() {
        let g = log_grid(1e-3, 1e5, 81);
        assert_eq!(g.len(), 81);
        assert_eq!(g[0], 1e-3);
        assert!((g[80] / 1e5 - 1.0).abs() < 1e-14);
        for w in g.windows(2) {
            assert!((w[1] / w[0] / 10f64.powf(0.1) - 1.0).abs() < 1e-12);
        }
        assert_eq!(log_grid(2.0, 3.0, 1), vec![2.0]);
        assert!(log_grid(2.0, 3.0, 0).is_empty());
    }
}
