//! Potential parameters from command-line flags, shared by the commands
//! that evaluate one structure (`forces`, `hessian`).

use anyhow::{bail, Context};
use nonaffine_core::{ParamValue, Params, Potential};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The potential flags of the commands that evaluate one structure.
#[derive(clap::Args)]
pub struct PotentialArgs {
    /// Potential plugin: `eam/fs`, `eam/alloy` or `lj/cut` (see `nonaffine plugins`).
    #[arg(long, default_value = "eam/fs")]
    pub kind: String,
    /// Potential file (setfl) for the EAM kinds.
    #[arg(long)]
    pub potential: Option<PathBuf>,
    /// Element names in LAMMPS type order, e.g. `Cu,Zr`: type k of a LAMMPS
    /// data file is the k-th name.
    #[arg(long, value_delimiter = ',', required = true)]
    pub elements: Vec<String>,
    /// Further plugin parameter `key=value`; a value with commas is a list
    /// (`epsilon_ev=0.0103,0.01545,0.00515`). Repeat for several.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

impl PotentialArgs {
    /// The potential these flags name, built by the registry from parameters
    /// found at `origin` (the command's name, for error messages).
    pub fn build(&self, origin: &str) -> anyhow::Result<Box<dyn Potential>> {
        let params = potential_params(
            origin,
            &self.elements,
            self.potential.as_deref(),
            &self.params,
        )?;
        Ok(nonaffine_registry::registry().potential(&self.kind, &params)?)
    }
}

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
