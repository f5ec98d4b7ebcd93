//! Canonical stage summaries: the few numbers that characterise a result,
//! sorted and rounded so two runs of the same inputs compare byte for byte.

use serde::Serialize;
use std::collections::BTreeMap;

/// One summary entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SummaryValue {
    /// A count.
    Int(i64),
    /// A float already rounded to its stated significant digits.
    Float(f64),
    /// Text.
    Text(String),
    /// A list.
    List(Vec<SummaryValue>),
    /// A nested summary.
    Map(BTreeMap<String, SummaryValue>),
}

/// Sorted key → value map of rounded quantities. Keys carry units (`energy_ev_per_atom`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary(pub BTreeMap<String, SummaryValue>);

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a float rounded to `digits` significant digits.
    pub fn float(&mut self, key: &str, value: f64, digits: u32) -> &mut Self {
        self.0
            .insert(key.into(), SummaryValue::Float(round_sig(value, digits)));
        self
    }

    /// Adds a list of floats rounded to `digits` significant digits.
    pub fn floats(&mut self, key: &str, values: &[f64], digits: u32) -> &mut Self {
        let list = values
            .iter()
            .map(|v| SummaryValue::Float(round_sig(*v, digits)))
            .collect();
        self.0.insert(key.into(), SummaryValue::List(list));
        self
    }

    /// Adds a count.
    pub fn int(&mut self, key: &str, value: i64) -> &mut Self {
        self.0.insert(key.into(), SummaryValue::Int(value));
        self
    }

    /// Adds text.
    pub fn text(&mut self, key: &str, value: &str) -> &mut Self {
        self.0.insert(key.into(), SummaryValue::Text(value.into()));
        self
    }

    /// Adds a nested summary.
    pub fn nested(&mut self, key: &str, value: Summary) -> &mut Self {
        self.0.insert(key.into(), SummaryValue::Map(value.0));
        self
    }
}

/// Rounds to `digits` significant digits (0 stays 0; non-finite values pass through).
pub fn round_sig(x: f64, digits: u32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let text = format!("{:.*e}", digits.saturating_sub(1) as usize, x);
    text.parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_to_significant_digits() {
        assert_eq!(round_sig(123.456, 4), 123.5);
        assert_eq!(round_sig(-0.000123456, 2), -0.00012);
        assert_eq!(round_sig(0.0, 3), 0.0);
        assert_eq!(round_sig(9.9996, 4), 10.0);
    }
}
