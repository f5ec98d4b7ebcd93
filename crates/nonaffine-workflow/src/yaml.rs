//! The one module that touches `serde_yaml`: parsing workflows, locating keys
//! in their source text, and reading and writing summaries.

use crate::node::{KeyPath, Node, Seg};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use std::fmt;

/// A line and column in a text file, both counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// A YAML syntax or type error: the parser's message and where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// What the parser said, without its own "at line ... column ..." suffix.
    pub message: String,
    /// Where, when the parser knows.
    pub location: Option<Location>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(l) => write!(f, "{}:{}: {}", l.line, l.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<serde_yaml::Error> for YamlError {
    fn from(e: serde_yaml::Error) -> Self {
        let location = e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        let mut message = e.to_string();
        if let Some(l) = location {
            // The location is reported separately; drop the parser's copy of it.
            message = message.replacen(&format!(" at line {} column {}", l.line, l.column), "", 1);
        }
        YamlError { message, location }
    }
}

/// Parses one YAML document into an order-keeping tree.
pub(crate) fn parse_node(text: &str) -> Result<Node, YamlError> {
    Ok(serde_yaml::from_str(text)?)
}

/// Reads any deserializable value from YAML text (summaries, tolerance files).
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(serde_yaml::from_str(text)?)
}

/// Writes a value as YAML text.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    Ok(serde_yaml::to_string(value)?)
}

/// Line and column of the node at `path` in `text`: of the key itself when the
/// path ends in a map key, of the item when it ends in a list position.
///
/// It re-reads the document and stops with an error when the walk reaches the
/// target, so the parser itself reports the position: no second YAML parser.
pub(crate) fn locate(text: &str, path: &KeyPath) -> Option<Location> {
    if path.0.is_empty() {
        return Some(Location { line: 1, column: 1 });
    }
    let de = serde_yaml::Deserializer::from_str(text);
    match (Walk { rest: &path.0 }).deserialize(de) {
        Err(e) if e.to_string().contains(FOUND) => e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        }),
        _ => None,
    }
}

const FOUND: &str = "\u{0}target reached\u{0}";

/// Walks down `rest`; errors out with [`FOUND`] on reaching the target.
struct Walk<'p> {
    rest: &'p [Seg],
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.rest.is_empty() {
            // The target is this value itself: fail while reading it.
            return d.deserialize_any(Hit);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("anything")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            let found = match self.rest.first() {
                Some(Seg::Index(want)) if *want == i => seq.next_element_seed(Walk {
                    rest: &self.rest[1..],
                })?,
                _ => seq.next_element::<IgnoredAny>()?.map(|_| ()),
            };
            if found.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (want, last) = match self.rest.first() {
            Some(Seg::Key(k)) => (Some(k.as_str()), self.rest.len() == 1),
            _ => (None, false),
        };
        while let Some(matched) = map.next_key_seed(KeyMatch { want, last })? {
            if matched {
                map.next_value_seed(Walk {
                    rest: &self.rest[1..],
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Reads a key; reports whether it is the wanted one, failing with [`FOUND`]
/// when it is the final target.
struct KeyMatch<'p> {
    want: Option<&'p str>,
    last: bool,
}

impl<'de> DeserializeSeed<'de> for KeyMatch<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyMatch<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        let matched = self.want == Some(v);
        if matched && self.last {
            Err(E::custom(FOUND))
        } else {
            Ok(matched)
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Fails on whatever value it is asked to read.
struct Hit;

impl<'de> Visitor<'de> for Hit {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("anything")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const TEXT: &str = "name: q\nstages:\n  glass:\n    stage: quench\n    params: { n_atoms: 500, rate_k_per_s: 10.0, potential: { plugin: eam/fs } }\n  kernel:\n    inputs: [glass, glas]\n    params:\n      nu0: 1\n";

    fn at(path: &[Seg]) -> (usize, usize) {
        let l = locate(TEXT, &KeyPath(path.to_vec())).unwrap();
        (l.line, l.column)
    }

    fn k(s: &str) -> Seg {
        Seg::Key(s.to_string())
    }

    #[test]
    fn locates_keys_in_block_and_flow_maps_and_list_items() {
        assert_eq!(at(&[k("stages"), k("kernel")]), (6, 3));
        assert_eq!(
            at(&[k("stages"), k("kernel"), k("params"), k("nu0")]),
            (9, 7)
        );
        let line5 = TEXT.lines().nth(4).unwrap();
        let col = line5.find("rate_k_per_s").unwrap() + 1;
        assert_eq!(
            at(&[k("stages"), k("glass"), k("params"), k("rate_k_per_s")]),
            (5, col)
        );
        let col = line5.find("plugin").unwrap() + 1;
        assert_eq!(
            at(&[
                k("stages"),
                k("glass"),
                k("params"),
                k("potential"),
                k("plugin")
            ]),
            (5, col)
        );
        let line7 = TEXT.lines().nth(6).unwrap();
        let col = line7.find("glas]").unwrap() + 1;
        assert_eq!(
            at(&[k("stages"), k("kernel"), k("inputs"), Seg::Index(1)]),
            (7, col)
        );
        assert!(locate(TEXT, &KeyPath(vec![k("nothing")])).is_none());
    }

    #[test]
    fn duplicate_keys_are_reported_at_the_second_one() {
        let e = parse_node("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.location, Some(Location { line: 3, column: 1 }));
        assert!(e.message.contains("`a` appears twice"), "{e}");
    }
}
