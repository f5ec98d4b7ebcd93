//! Content-addressed cache keys and the `stage.json` record beside each output.
//!
//! A key is the SHA-256 of the canonical JSON of everything that determines a
//! stage's output: its kind and version, its parameters (keys sorted, 1 and 1.0
//! written alike, file paths replaced by their content hashes), the versions of
//! the plugins its parameters name, its own sweep values, and its upstream
//! stages' keys in input order. Never paths, times or stage names.

use crate::workflow::FileRef;
use nonaffine_core::{ParamValue, Params, Registry};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Largest integer every f64 represents exactly (2^53).
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// A number in canonical form: integral values as integers, others as the
/// shortest round-trip float.
fn canonical_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < EXACT_INT {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(x.to_string()))
    }
}

/// Canonical form of a parameter value. A text equal to a file path resolved
/// during validation (`files`) is replaced by that file's content hash.
pub(crate) fn canonical_param(value: &ParamValue, files: &[FileRef]) -> Value {
    match value {
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Integer(i) => Value::from(*i),
        ParamValue::Number(x) => canonical_number(*x),
        ParamValue::Text(t) => match files.iter().find(|f| f.resolved.as_os_str() == t.as_str()) {
            Some(f) => Value::String(format!("sha256:{}", f.sha256)),
            None => Value::String(t.clone()),
        },
        ParamValue::List(items) => {
            Value::Array(items.iter().map(|v| canonical_param(v, files)).collect())
        }
        ParamValue::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), canonical_param(v, files)))
                .collect(),
        ),
    }
}

/// Canonical form of a parameter set.
pub(crate) fn canonical_params(params: &Params, files: &[FileRef]) -> Value {
    Value::Object(
        params
            .values()
            .iter()
            .map(|(k, v)| (k.clone(), canonical_param(v, files)))
            .collect(),
    )
}

/// Writes `value` as JSON with object keys sorted and no whitespace, so equal
/// values give equal text whatever map type or serde_json features are in use.
pub(crate) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (n, k) in keys.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, v) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// Name → version of every plugin named by a `plugin:` key anywhere in the
/// parameters (unknown names are left to the stage to report).
pub(crate) fn plugin_versions(params: &Params, registry: &Registry) -> BTreeMap<String, String> {
    fn walk(
        v: &ParamValue,
        infos: &[nonaffine_core::PluginInfo],
        out: &mut BTreeMap<String, String>,
    ) {
        match v {
            ParamValue::Map(m) => {
                if let Some(ParamValue::Text(name)) = m.get("plugin") {
                    if let Some(i) = infos.iter().find(|i| i.name == name) {
                        out.insert(i.name.to_string(), i.version.to_string());
                    }
                }
                m.values().for_each(|x| walk(x, infos, out));
            }
            ParamValue::List(items) => items.iter().for_each(|x| walk(x, infos, out)),
            _ => {}
        }
    }
    let infos = registry.plugin_infos();
    let mut out = BTreeMap::new();
    walk(&ParamValue::Map(params.values().clone()), &infos, &mut out);
    out
}

/// One upstream output a stage read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    /// Upstream stage name.
    pub stage: String,
    /// Its branch label.
    pub branch: String,
    /// Its cache key.
    pub key: String,
}

/// A file a parameter named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Parameter key path (`params.potential.file`).
    pub param: String,
    /// The path as written in the workflow (for people; not in the key).
    pub path: String,
    /// SHA-256 of the content (in the key).
    pub sha256: String,
}

/// Everything that went into a key: compared field by field to explain reruns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyParts {
    /// Stage kind.
    pub kind: String,
    /// Stage version.
    pub version: String,
    /// Canonical parameters.
    pub params: Value,
    /// Versions of the plugins the parameters name.
    pub plugins: BTreeMap<String, String>,
    /// This stage's own sweep values.
    pub sweep: Value,
    /// Upstream outputs in input order (the key uses their keys only).
    pub inputs: Vec<Vec<InputRecord>>,
}

impl KeyParts {
    /// The cache key: SHA-256 hex of the canonical JSON of the parts.
    pub fn key(&self) -> String {
        let inputs: Vec<Value> = self
            .inputs
            .iter()
            .map(|group| Value::Array(group.iter().map(|i| Value::String(i.key.clone())).collect()))
            .collect();
        let mut m = Map::new();
        m.insert("kind".into(), Value::String(self.kind.clone()));
        m.insert("version".into(), Value::String(self.version.clone()));
        m.insert("params".into(), self.params.clone());
        m.insert(
            "plugins".into(),
            Value::Object(
                self.plugins
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect(),
            ),
        );
        m.insert("sweep".into(), self.sweep.clone());
        m.insert("inputs".into(), Value::Array(inputs));
        hex::encode(Sha256::digest(canonical_json(&Value::Object(m)).as_bytes()))
    }

    /// What differs from `old`, one line per difference, for `--explain`.
    pub fn changes_from(&self, old: &KeyParts) -> Vec<String> {
        let mut out = Vec::new();
        if self.kind != old.kind {
            out.push(format!("kind: {} → {}", old.kind, self.kind));
        }
        if self.version != old.version {
            out.push(format!("version: {} → {}", old.version, self.version));
        }
        diff_values("params", &old.params, &self.params, &mut out);
        let old_plugins = serde_json::to_value(&old.plugins).unwrap_or_default();
        let new_plugins = serde_json::to_value(&self.plugins).unwrap_or_default();
        diff_values("plugin", &old_plugins, &new_plugins, &mut out);
        diff_values("sweep", &old.sweep, &self.sweep, &mut out);
        let old_inputs: Vec<&InputRecord> = old.inputs.iter().flatten().collect();
        let new_inputs: Vec<&InputRecord> = self.inputs.iter().flatten().collect();
        for new in &new_inputs {
            match old_inputs
                .iter()
                .find(|o| o.stage == new.stage && o.branch == new.branch)
            {
                Some(o) if o.key != new.key => out.push(format!("input {} changed", label(new))),
                Some(_) => {}
                None => out.push(format!("input {} added", label(new))),
            }
        }
        for o in &old_inputs {
            if !new_inputs
                .iter()
                .any(|n| n.stage == o.stage && n.branch == o.branch)
            {
                out.push(format!("input {} removed", label(o)));
            }
        }
        if out.is_empty() && self.key() != old.key() {
            out.push("input order changed".to_string());
        }
        out
    }
}

fn label(i: &InputRecord) -> String {
    if i.branch.is_empty() {
        format!("`{}`", i.stage)
    } else {
        format!("`{}` [{}]", i.stage, i.branch)
    }
}

/// Adds `prefix.path: old → new` lines for every leaf that differs.
fn diff_values(prefix: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{prefix}.{k}");
                match (a.get(k.as_str()), b.get(k.as_str())) {
                    (Some(x), Some(y)) => diff_values(&p, x, y, out),
                    (Some(x), None) => out.push(format!("{p}: {x} → (removed)")),
                    (None, Some(y)) => out.push(format!("{p}: (new) → {y}")),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(format!("{prefix}: {a} → {b}")),
        _ => {}
    }
}

/// Contents of `stage.json`, written last into a finished stage folder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StageRecord {
    /// Cache key of this output.
    pub key: String,
    /// Stage name in the workflow.
    pub stage: String,
    /// Branch label, empty when not swept.
    pub branch: String,
    /// What the key was computed from.
    #[serde(flatten)]
    pub parts: KeyParts,
    /// Files named by parameters, with their content hashes.
    pub files: Vec<FileRecord>,
    /// Wall time of the stage in s.
    pub seconds: f64,
    /// Version of the nonaffine runner that wrote this.
    pub nonaffine_version: String,
    /// Every file of the output folder but `stage.json`, with its size and
    /// SHA-256; None in records of runners older than output hashes, whose
    /// outputs cannot be verified (the runner recomputes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<OutputFile>>,
}

/// One output file as its job wrote it: what verification compares against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Path relative to the job folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Modification time in ns since the Unix epoch when hashed: with the
    /// size, the fast check that skips hashing (copies keep it).
    pub modified_ns: u64,
}

/// How thoroughly [`verify_outputs`] checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verify {
    /// Hash only files whose size or modification time differ from the record.
    #[default]
    Fast,
    /// Hash every file.
    Full,
}

fn modified_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// Relative paths of every regular file under `dir` but its `stage.json`, sorted.
fn files_under(dir: &Path) -> std::io::Result<Vec<String>> {
    fn walk(root: &Path, rel: &str, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(root.join(rel))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type()?.is_dir() {
                walk(root, &path, out)?;
            } else if path != "stage.json" {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

/// Hashes every file of a finished job folder (all but `stage.json`).
pub(crate) fn record_outputs(dir: &Path) -> std::io::Result<Vec<OutputFile>> {
    files_under(dir)?
        .into_iter()
        .map(|path| {
            let full = dir.join(&path);
            let meta = std::fs::metadata(&full)?;
            Ok(OutputFile {
                sha256: sha256_file(&full)?,
                bytes: meta.len(),
                modified_ns: modified_ns(&meta),
                path,
            })
        })
        .collect()
}

/// What is wrong with the job folder `dir` against `outputs`, one line per
/// damaged file naming it and saying expected vs found; empty when intact.
/// [`Verify::Fast`] trusts a file whose size and modification time are as
/// recorded; a changed one is hashed (a `touch` alone is no damage).
pub fn verify_outputs(dir: &Path, outputs: &[OutputFile], how: Verify) -> Vec<String> {
    let mut problems = Vec::new();
    for o in outputs {
        let full = dir.join(&o.path);
        let meta = match std::fs::metadata(&full) {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("{}: missing ({e})", full.display()));
                continue;
            }
        };
        if meta.len() != o.bytes {
            problems.push(format!(
                "{}: {} bytes, stage.json recorded {} bytes",
                full.display(),
                meta.len(),
                o.bytes
            ));
            continue;
        }
        if how == Verify::Fast && modified_ns(&meta) == o.modified_ns {
            continue;
        }
        match sha256_file(&full) {
            Ok(h) if h == o.sha256 => {}
            Ok(h) => problems.push(format!(
                "{}: content changed (sha256 {}…, stage.json recorded {}…)",
                full.display(),
                &h[..12],
                &o.sha256[..o.sha256.len().min(12)]
            )),
            Err(e) => problems.push(format!("{}: unreadable ({e})", full.display())),
        }
    }
    problems
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parts(params: Value) -> KeyParts {
        KeyParts {
            kind: "k".into(),
            version: "1".into(),
            params,
            plugins: BTreeMap::new(),
            sweep: Value::Object(Map::new()),
            inputs: vec![],
        }
    }

    #[test]
    fn integral_floats_hash_like_integers_and_key_order_does_not_matter() {
        let a = canonical_param(&ParamValue::Number(1.0), &[]);
        let b = canonical_param(&ParamValue::Integer(1), &[]);
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&canonical_number(1.2e-6)), "1.2e-6");
        let x: Value = serde_json::from_str(r#"{"b": 1, "a": {"d": 2, "c": 3}}"#).unwrap();
        let y: Value = serde_json::from_str(r#"{"a": {"c": 3, "d": 2}, "b": 1}"#).unwrap();
        assert_eq!(canonical_json(&x), r#"{"a":{"c":3,"d":2},"b":1}"#);
        assert_eq!(parts(x).key(), parts(y).key());
    }

    #[test]
    fn key_is_sha256_of_canonical_text() {
        // sha256("abc") from FIPS 180-2, appendix B.1: checks the hasher wiring.
        assert_eq!(
            hex::encode(Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let p = parts(serde_json::json!({"n": 2}));
        let text =
            r#"{"inputs":[],"kind":"k","params":{"n":2},"plugins":{},"sweep":{},"version":"1"}"#;
        assert_eq!(p.key(), hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn changes_name_the_leaf_that_moved() {
        let old = parts(serde_json::json!({"n": 2, "pot": {"file": "sha256:aa"}}));
        let new = parts(serde_json::json!({"n": 3, "pot": {"file": "sha256:bb"}}));
        assert_eq!(
            new.changes_from(&old),
            vec![
                "params.n: 2 → 3".to_string(),
                "params.pot.file: \"sha256:aa\" → \"sha256:bb\"".to_string()
            ]
        );
    }
}
