//! Snapshot of a small table (10 significant digits).
#![allow(clippy::unwrap_used)]

#[test]
fn small_table() {
    let mut rows = Vec::new();
    for beta in [0.3, 0.55, 0.69, 1.0, 1.5, 2.0] {
        for w in [1e-3, 0.1, 1.0, 10.0, 1e3] {
            let (c, s) = nonaffine_kww::kww(beta, w).unwrap();
            rows.push(format!(
                "beta={beta} omega={w:e} c={:e} s={:e}",
                round(c),
                round(s)
            ));
        }
    }
    insta::assert_yaml_snapshot!(rows);
}

fn round(x: f64) -> f64 {
    format!("{x:.9e}").parse().unwrap()
}
