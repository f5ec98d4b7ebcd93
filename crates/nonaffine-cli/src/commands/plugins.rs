//! `nonaffine plugins`: what can be named in a workflow.

use nonaffine_core::PluginInfo;

/// Arguments of `nonaffine plugins`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Prints the registry.
pub fn run(args: Args) -> anyhow::Result<()> {
    let r = nonaffine_registry::registry();
    let groups: Vec<(&str, Vec<PluginInfo>)> = vec![
        (
            "potentials",
            r.potentials.entries().iter().map(|(i, _)| *i).collect(),
        ),
        (
            "kernels",
            r.kernels.entries().iter().map(|(i, _)| *i).collect(),
        ),
        (
            "spectrum solvers",
            r.spectrum_solvers
                .entries()
                .iter()
                .map(|(i, _)| *i)
                .collect(),
        ),
        (
            "stages",
            r.stages.entries().iter().map(|(i, _)| *i).collect(),
        ),
    ];
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = groups
            .into_iter()
            .map(|(k, v)| Ok((k.to_string(), serde_json::to_value(v)?)))
            .collect::<Result<_, serde_json::Error>>()?;
        outln!("{}", serde_json::to_string_pretty(&map)?);
        return Ok(());
    }
    for (group, infos) in groups {
        outln!("{group}:");
        for i in infos {
            outln!("  {} (v{}): {}", i.name, i.version, i.doc);
            for p in i.params {
                let unit = if p.unit.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", p.unit)
                };
                let default = p
                    .default
                    .map(|d| format!(" (default {d})"))
                    .unwrap_or_default();
                outln!("      {}{unit}{default}: {}", p.name, p.doc);
            }
        }
    }
    Ok(())
}
