//! Potential parameters from command-line flags, shared by the commands
//! that evaluate one structure (`forces`, `hessian`).

use anyhow::{bail, Context};
use nonaffine_core::{ParamValue, Params};
use std::collections::BTreeMap;
use std::path::Path;

/// A number where it parses as one, else text.
fn scalar(text: &str) -> ParamValue {
    if let Ok(i) = text.parse::<i64>() {
        ParamValue::Integer(i)
    } else if let Ok(x) = text.parse::<f64>() {
        ParamValue::Number(x)
    } else {
        ParamValue::Text(text.to_string())
    }
}

/// `elements`, `file` (from `--potential`) and every `--param key=value`
/// (a value with commas is a list) as plugin parameters found at `origin`.
pub fn potential_params(
    origin: &str,
    elements: &[String],
    potential: Option<&Path>,
    params: &[String],
) -> anyhow::Result<Params> {
    let mut values = BTreeMap::new();
    values.insert(
        "elements".to_string(),
        ParamValue::List(
            elements
                .iter()
                .map(|e| ParamValue::Text(e.clone()))
                .collect(),
        ),
    );
    if let Some(p) = potential {
        values.insert(
            "file".to_string(),
            ParamValue::Text(p.display().to_string()),
        );
    }
    for pair in params {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("--param `{pair}` is not of the form key=value"))?;
        let value = if value.contains(',') {
            ParamValue::List(value.split(',').map(|v| scalar(v.trim())).collect())
        } else {
            scalar(value.trim())
        };
        if values.insert(key.trim().to_string(), value).is_some() {
            bail!("--param {key} is given twice (or repeats --elements/--potential)");
        }
    }
    Ok(Params::new(origin, values))
}
