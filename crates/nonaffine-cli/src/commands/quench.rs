//! `nonaffine quench PROTOCOL.yaml --out DIR`: run the quench stage alone.

use anyhow::{bail, Context};
use nonaffine_core::{ParamValue, Params, StageContext};
use nonaffine_workflow::{is_path_key, Bars, Observer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `nonaffine quench`.
#[derive(clap::Args)]
pub struct Args {
    /// Protocol YAML: the `quench` stage's parameters (see `nonaffine plugins`).
    protocol: PathBuf,
    /// Output folder (created).
    #[arg(long)]
    out: PathBuf,
}

/// Runs the quench and prints its summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    let params = read_params(&args.protocol, "protocol")?;
    let registry = nonaffine_registry::registry();
    let stage = registry.stage("quench")?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let bars = Bars::new();
    let bar = bars.started("quench");
    let ctx = StageContext {
        params: &params,
        inputs: &[],
        out_dir: &args.out,
        registry: &registry,
        progress: bar.as_ref(),
    };
    let summary = stage
        .run(&ctx)
        .with_context(|| format!("quench of {}", args.protocol.display()));
    drop(bar);
    let summary = summary?;
    let text = nonaffine_workflow::yaml::to_string(&summary).map_err(|e| anyhow::anyhow!("{e}"))?;
    outln!("{text}");
    eprintln!("wrote {}", args.out.join("summary.json").display());
    Ok(())
}

/// Reads a YAML map of parameters; relative paths under path keys (see
/// [`is_path_key`]) are resolved against the YAML file's folder, as in workflows.
pub fn read_params(path: &Path, origin: &str) -> anyhow::Result<Params> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut values: BTreeMap<String, ParamValue> = nonaffine_workflow::yaml::from_str(&text)
        .map_err(|e| {
            anyhow::anyhow!("{}:{e} (expected a YAML map of parameters)", path.display())
        })?;
    let base = path.parent().unwrap_or(Path::new("."));
    for (k, v) in values.iter_mut() {
        resolve_paths(k, v, base);
    }
    if values.is_empty() {
        bail!("{}: no parameters", path.display());
    }
    Ok(Params::new(origin, values))
}

fn resolve_paths(key: &str, value: &mut ParamValue, base: &Path) {
    match value {
        ParamValue::Text(s) if is_path_key(key) && Path::new(s.as_str()).is_relative() => {
            *s = base.join(s.as_str()).display().to_string();
        }
        ParamValue::Map(m) => m.iter_mut().for_each(|(k, v)| resolve_paths(k, v, base)),
        ParamValue::List(items) => items.iter_mut().for_each(|v| resolve_paths(key, v, base)),
        _ => {}
    }
}
