//! Parameters of plugins and stages, independent of any file format.
//!
//! The workflow crate turns YAML into [`Params`]; plugins read typed values from
//! it. Every error names the full key path so a user can find it in their file.

use crate::error::ParamError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One parameter value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// true / false.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// A real number.
    Number(f64),
    /// Text (names, file paths).
    Text(String),
    /// A list.
    List(Vec<ParamValue>),
    /// A nested map.
    Map(BTreeMap<String, ParamValue>),
}

impl ParamValue {
    /// A scalar from command-line text: `true`/`false`, an integer, a number,
    /// else text.
    pub fn from_text(text: &str) -> Self {
        if let Ok(b) = text.parse::<bool>() {
            ParamValue::Bool(b)
        } else if let Ok(i) = text.parse::<i64>() {
            ParamValue::Integer(i)
        } else if let Ok(x) = text.parse::<f64>() {
            ParamValue::Number(x)
        } else {
            ParamValue::Text(text.to_string())
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            ParamValue::Bool(_) => "a boolean",
            ParamValue::Integer(_) => "an integer",
            ParamValue::Number(_) => "a number",
            ParamValue::Text(_) => "text",
            ParamValue::List(_) => "a list",
            ParamValue::Map(_) => "a map",
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Integer(i) => Some(*i as f64),
            ParamValue::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// What kind of value a parameter takes (for validation and `nonaffine plugins`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// A real number.
    Number,
    /// A whole number.
    Integer,
    /// true / false.
    Bool,
    /// Text.
    Text,
    /// A file path; its content is part of the cache key.
    Path,
    /// A list of numbers.
    NumberList,
    /// A list of names.
    TextList,
    /// A nested map.
    Map,
    /// A plugin of one catalog, chosen as `{ plugin: NAME, <its parameters> }`
    /// (the parameters are those `nonaffine plugins` lists for NAME).
    Plugin(PluginKind),
}

/// The catalog a [`ParamKind::Plugin`] parameter chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginKind {
    /// Interatomic potentials (`eam/fs`, `lj/cut`).
    Potential,
    /// Memory kernels (`stretched-exp`).
    Kernel,
    /// Spectrum solvers (`dense`, `arpack`, `lanczos`, `debye`).
    SpectrumSolver,
}

impl PluginKind {
    /// The catalog's name in messages (`spectrum solver`).
    pub fn noun(self) -> &'static str {
        match self {
            PluginKind::Potential => "potential",
            PluginKind::Kernel => "kernel",
            PluginKind::SpectrumSolver => "spectrum solver",
        }
    }
}

/// Documentation of one parameter.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ParamSpec {
    /// Key name; carries its unit where it has one (`cooling_rate_k_per_ps`).
    pub name: &'static str,
    /// Kind of value.
    pub kind: ParamKind,
    /// Unit, or "" when dimensionless.
    pub unit: &'static str,
    /// Default as written in a workflow, or None when required.
    pub default: Option<&'static str>,
    /// One-line description.
    pub doc: &'static str,
}

/// A set of named parameters plus the key path they came from (for errors).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
    #[serde(skip)]
    origin: String,
}

impl Params {
    /// Builds a parameter set found at key path `origin` (e.g. `stages.quench.params`).
    pub fn new(origin: impl Into<String>, values: BTreeMap<String, ParamValue>) -> Self {
        Self {
            values,
            origin: origin.into(),
        }
    }

    /// Parses `k=v,k=v` for the CLI: `true`/`false`, numbers where they parse,
    /// text otherwise. A list is written in brackets, `shifts=[1,2,3]`
    /// (commas inside brackets do not separate pairs), or by repeating a key,
    /// `shifts=1,shifts=2` (the values are collected in order).
    pub fn from_pairs(origin: &str, text: &str) -> Result<Self, ParamError> {
        let mut values: BTreeMap<String, ParamValue> = BTreeMap::new();
        for pair in split_top_level(origin, text)? {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                ParamError::new(origin, format!("`{pair}` is not of the form key=value"))
            })?;
            let key = k.trim().to_string();
            let v = v.trim();
            let value = match v.strip_prefix('[') {
                Some(inner) => {
                    let inner = inner.strip_suffix(']').ok_or_else(|| {
                        ParamError::new(
                            format!("{origin}.{key}"),
                            format!("`{v}`: a list needs a closing `]`"),
                        )
                    })?;
                    ParamValue::List(
                        inner
                            .split(',')
                            .map(str::trim)
                            .filter(|x| !x.is_empty())
                            .map(ParamValue::from_text)
                            .collect(),
                    )
                }
                None => ParamValue::from_text(v),
            };
            let merged = match (values.remove(&key), value) {
                (None, value) => value,
                (Some(ParamValue::List(mut old)), ParamValue::List(new)) => {
                    old.extend(new);
                    ParamValue::List(old)
                }
                (Some(ParamValue::List(mut old)), new) => {
                    old.push(new);
                    ParamValue::List(old)
                }
                (Some(old), ParamValue::List(new)) => {
                    ParamValue::List(std::iter::once(old).chain(new).collect())
                }
                (Some(old), new) => ParamValue::List(vec![old, new]),
            };
            values.insert(key, merged);
        }
        Ok(Self::new(origin, values))
    }

    /// Numbers under their keys at key path `origin` (a kernel rebuilt from
    /// fitted values goes through its factory's checks this way).
    pub fn from_numbers(origin: &str, pairs: &[(&str, f64)]) -> Self {
        let values = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), ParamValue::Number(*v)))
            .collect();
        Self::new(origin, values)
    }

    /// The key path these parameters came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// All values, sorted by key.
    pub fn values(&self) -> &BTreeMap<String, ParamValue> {
        &self.values
    }

    /// Sets a value (used by fits and sweeps).
    pub fn set(&mut self, key: &str, value: ParamValue) {
        self.values.insert(key.to_string(), value);
    }

    /// Removes a value, returning it.
    pub fn remove(&mut self, key: &str) -> Option<ParamValue> {
        self.values.remove(key)
    }

    /// Full key path of `key`, for messages.
    pub fn path(&self, key: &str) -> String {
        if self.origin.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.origin)
        }
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    fn get(&self, key: &str) -> Result<&ParamValue, ParamError> {
        self.values
            .get(key)
            .ok_or_else(|| ParamError::new(self.path(key), "required but missing"))
    }

    fn wrong(&self, key: &str, want: &str, got: &ParamValue) -> ParamError {
        ParamError::new(
            self.path(key),
            format!("expected {want}, found {}", got.kind_name()),
        )
    }

    /// A finite real number.
    pub fn number(&self, key: &str) -> Result<f64, ParamError> {
        let v = self.get(key)?;
        let x = v.as_f64().ok_or_else(|| self.wrong(key, "a number", v))?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err(ParamError::new(self.path(key), "must be finite"))
        }
    }

    /// A finite real number, or `default` when absent.
    pub fn number_or(&self, key: &str, default: f64) -> Result<f64, ParamError> {
        if self.contains(key) {
            self.number(key)
        } else {
            Ok(default)
        }
    }

    /// A number that must be > 0.
    pub fn positive(&self, key: &str) -> Result<f64, ParamError> {
        let x = self.number(key)?;
        if x > 0.0 {
            Ok(x)
        } else {
            Err(ParamError::new(
                self.path(key),
                format!("must be > 0, found {x}"),
            ))
        }
    }

    /// A number that must be > 0, or `default` when absent.
    pub fn positive_or(&self, key: &str, default: f64) -> Result<f64, ParamError> {
        if self.contains(key) {
            self.positive(key)
        } else {
            Ok(default)
        }
    }

    /// A non-negative whole number.
    pub fn count(&self, key: &str) -> Result<u64, ParamError> {
        match self.get(key)? {
            ParamValue::Integer(i) if *i >= 0 => Ok(*i as u64),
            ParamValue::Integer(i) => Err(ParamError::new(
                self.path(key),
                format!("must be ≥ 0, found {i}"),
            )),
            other => Err(self.wrong(key, "a whole number", other)),
        }
    }

    /// A non-negative whole number, or `default` when absent.
    pub fn count_or(&self, key: &str, default: u64) -> Result<u64, ParamError> {
        if self.contains(key) {
            self.count(key)
        } else {
            Ok(default)
        }
    }

    /// A boolean, or `default` when absent.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, ParamError> {
        match self.values.get(key) {
            None => Ok(default),
            Some(ParamValue::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong(key, "true or false", other)),
        }
    }

    /// Text.
    pub fn text(&self, key: &str) -> Result<&str, ParamError> {
        match self.get(key)? {
            ParamValue::Text(s) => Ok(s),
            other => Err(self.wrong(key, "text", other)),
        }
    }

    /// Text, or `default` when absent.
    pub fn text_or<'a>(&'a self, key: &str, default: &'a str) -> Result<&'a str, ParamError> {
        if self.contains(key) {
            self.text(key)
        } else {
            Ok(default)
        }
    }

    /// A file path (resolved by whoever built these parameters).
    pub fn path_value(&self, key: &str) -> Result<PathBuf, ParamError> {
        self.text(key).map(PathBuf::from)
    }

    /// A list of finite numbers (a single number counts as a list of one).
    pub fn numbers(&self, key: &str) -> Result<Vec<f64>, ParamError> {
        match self.get(key)? {
            ParamValue::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                        ParamError::new(
                            format!("{}[{i}]", self.path(key)),
                            format!("expected a finite number, found {}", v.kind_name()),
                        )
                    })
                })
                .collect(),
            v => Ok(vec![v
                .as_f64()
                .ok_or_else(|| self.wrong(key, "a list of numbers", v))?]),
        }
    }

    /// A list of names (a single name counts as a list of one; `Cu,Zr` is split).
    pub fn texts(&self, key: &str) -> Result<Vec<String>, ParamError> {
        match self.get(key)? {
            ParamValue::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    ParamValue::Text(s) => Ok(s.clone()),
                    other => Err(ParamError::new(
                        format!("{}[{i}]", self.path(key)),
                        format!("expected text, found {}", other.kind_name()),
                    )),
                })
                .collect(),
            ParamValue::Text(s) => Ok(s.split(',').map(|x| x.trim().to_string()).collect()),
            other => Err(self.wrong(key, "a list of names", other)),
        }
    }

    /// Nested parameters under `key`.
    pub fn nested(&self, key: &str) -> Result<Params, ParamError> {
        match self.get(key)? {
            ParamValue::Map(m) => Ok(Params::new(self.path(key), m.clone())),
            other => Err(self.wrong(key, "a map", other)),
        }
    }

    /// A plugin selection: the `plugin` name inside the nested map at `key`
    /// and the remaining entries as that plugin's parameters.
    pub fn plugin(&self, key: &str) -> Result<(String, Params), ParamError> {
        let nested = self.nested(key)?;
        let name = nested.text("plugin")?.to_string();
        let mut rest = nested.clone();
        rest.values.remove("plugin");
        Ok((name, rest))
    }

    /// A plugin choice at `key`: `{ plugin: NAME, <NAME's parameters> }`, or
    /// the deprecated bare text `NAME` (no parameters); `default` names the
    /// plugin when `key` is absent. The parameters' origin is `<origin>.<key>`,
    /// so their errors name `...params.<key>.<parameter>`.
    pub fn plugin_or(&self, key: &str, default: &str) -> Result<(String, Params), ParamError> {
        match self.values.get(key) {
            None => Ok((
                default.to_string(),
                Params::new(self.path(key), BTreeMap::new()),
            )),
            Some(ParamValue::Text(name)) => {
                Ok((name.clone(), Params::new(self.path(key), BTreeMap::new())))
            }
            Some(ParamValue::Map(_)) => self.plugin(key),
            Some(other) => Err(self.wrong(key, "a map `{ plugin: NAME, ... }`", other)),
        }
    }

    /// Fails on the first key not in `specs`, suggesting the nearest known key.
    pub fn check_known(&self, specs: &[ParamSpec]) -> Result<(), ParamError> {
        for key in self.values.keys() {
            if !specs.iter().any(|s| s.name == key) {
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                let hint = match nearest(key, &names) {
                    Some(n) => format!("; did you mean `{n}`?"),
                    None => String::new(),
                };
                return Err(ParamError::new(
                    self.path(key),
                    format!("unknown parameter{hint} (known: {})", names.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Splits `k=v,k=[a,b],…` at the commas outside brackets; empty pieces dropped.
fn split_top_level<'a>(origin: &str, text: &'a str) -> Result<Vec<&'a str>, ParamError> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (at, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    ParamError::new(
                        origin,
                        format!("unmatched `]` at character {at} of `{text}`"),
                    )
                })?
            }
            ',' if depth == 0 => {
                out.push(text[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(ParamError::new(
            origin,
            format!("`{text}`: a list needs a closing `]`"),
        ));
    }
    out.push(text[start..].trim());
    Ok(out.into_iter().filter(|p| !p.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, ParamValue)]) -> Params {
        Params::new(
            "stages.kernel.params",
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn pairs_with_lists_in_brackets_and_repeated_keys() {
        let p =
            Params::from_pairs("cli", "bins=80, shifts=[1,2.5, x],plots=false,k=1,k=2").unwrap();
        assert_eq!(p.count_or("bins", 0).unwrap(), 80);
        assert_eq!(
            p.values()["shifts"],
            ParamValue::List(vec![
                ParamValue::Integer(1),
                ParamValue::Number(2.5),
                ParamValue::Text("x".into())
            ])
        );
        assert!(!p.bool_or("plots", true).unwrap());
        assert_eq!(p.numbers("k").unwrap(), vec![1.0, 2.0]);
        assert_eq!(
            Params::from_pairs("cli", "k=[]").unwrap().values()["k"],
            ParamValue::List(vec![])
        );
        for bad in ["k=[1,2", "k=1]", "k"] {
            let e = Params::from_pairs("cli", bad).unwrap_err();
            assert_eq!(e.key.split('.').next(), Some("cli"), "{bad}: {e}");
        }
    }

    #[test]
    fn errors_name_the_full_key() {
        let p = params(&[("nu0", ParamValue::Text("x".into()))]);
        let e = p.number("nu0").unwrap_err();
        assert_eq!(e.key, "stages.kernel.params.nu0");
        assert!(e.message.contains("expected a number"), "{e}");
        let e = p.number("b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "stages.kernel.params.b: required but missing"
        );
    }

    #[test]
    fn unknown_key_suggests_nearest() {
        let p = params(&[("cooling_rate_k_per_p", ParamValue::Number(1.0))]);
        let specs = [ParamSpec {
            name: "cooling_rate_k_per_ps",
            kind: ParamKind::Number,
            unit: "K/ps",
            default: None,
            doc: "",
        }];
        let e = p.check_known(&specs).unwrap_err();
        assert!(
            e.message.contains("did you mean `cooling_rate_k_per_ps`"),
            "{e}"
        );
    }

    #[test]
    fn lists_and_pairs() {
        let p = Params::from_pairs("cli", "nu0=0.137, b=0.72,name=x").unwrap();
        assert_eq!(p.number("nu0").unwrap(), 0.137);
        assert_eq!(p.text("name").unwrap(), "x");
        let p = params(&[(
            "t",
            ParamValue::List(vec![ParamValue::Integer(670), ParamValue::Number(603.5)]),
        )]);
        assert_eq!(p.numbers("t").unwrap(), vec![670.0, 603.5]);
        assert!(Params::from_pairs("cli", "novalue").is_err());
    }

    #[test]
    fn edit_distance_known_values() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            nearest("stretched_exp", &["stretched-exp", "markovian"]),
            Some("stretched-exp")
        );
        assert_eq!(nearest("zzzzzz", &["markovian"]), None);
    }

    #[test]
    fn plugin_choice_as_map_or_deprecated_text() {
        let map = ParamValue::Map(
            [
                ("plugin".to_string(), ParamValue::Text("lanczos".into())),
                ("steps".to_string(), ParamValue::Integer(60)),
            ]
            .into_iter()
            .collect(),
        );
        let p = Params::new("stages.spec.params", [("solver".to_string(), map)].into());
        let (name, sub) = p.plugin_or("solver", "dense").unwrap();
        assert_eq!(name, "lanczos");
        assert_eq!(sub.count("steps").unwrap(), 60);
        assert!(!sub.contains("plugin"));
        assert_eq!(sub.path("steps"), "stages.spec.params.solver.steps");
        let text = params(&[("solver", ParamValue::Text("arpack".into()))]);
        let (name, sub) = text.plugin_or("solver", "dense").unwrap();
        assert_eq!((name.as_str(), sub.values().len()), ("arpack", 0));
        let (name, _) = params(&[]).plugin_or("solver", "dense").unwrap();
        assert_eq!(name, "dense");
        let e = params(&[("solver", ParamValue::Integer(3))])
            .plugin_or("solver", "dense")
            .unwrap_err();
        assert_eq!(e.key, "stages.kernel.params.solver");
    }
}
