//! `nonaffine spectrum --hessian DIR --solver NAME --out DIR`: the spectrum stage alone.

use anyhow::Context;
use nonaffine_core::{ParamValue, Params, StageContext, StageInput};
use nonaffine_workflow::{Bars, Observer};
use std::path::PathBuf;

/// Arguments of `nonaffine spectrum`.
#[derive(clap::Args)]
pub struct Args {
    /// Output folder of a Hessian stage: the files of one structure or one
    /// subfolder per structure (repeat for several folders).
    #[arg(long, required = true)]
    hessian: Vec<PathBuf>,
    /// Solver: dense (all modes), arpack (lowest modes), lanczos (matrix-free), debye (model).
    #[arg(long, default_value = "dense")]
    solver: String,
    /// Output folder (created).
    #[arg(long)]
    out: PathBuf,
    /// More stage or solver parameters as key=value,key=value (see `nonaffine plugins`),
    /// e.g. `-p bins=80,modes=200`; repeat `-p` for more; a list in brackets,
    /// `-p shifts=[0.1,0.2]`, or by repeating a key.
    #[arg(long, short = 'p')]
    params: Vec<String>,
    /// The Hessian stage's potential file, for `-p operator=matrix-free`
    /// (D·v from the pair list; `hessian.mtx` is not read).
    #[arg(long)]
    potential: Option<PathBuf>,
    /// Potential plugin of `--potential`: `eam/fs`, `eam/alloy` or `lj/cut`.
    #[arg(long, default_value = "eam/fs")]
    kind: String,
    /// Element names of `--potential` in LAMMPS type order, e.g. `Cu,Zr`.
    #[arg(long, value_delimiter = ',')]
    elements: Vec<String>,
}

/// Runs the spectrum stage and prints its summary.
pub fn run(args: Args) -> anyhow::Result<()> {
    let registry = nonaffine_registry::registry();
    let stage = registry.stage("spectrum")?;
    // `-p` keys that are not the stage's own are the solver's: they go beside
    // `plugin:` in `solver: { plugin: NAME, ... }`, as in a workflow.
    let flat = Params::from_pairs("spectrum", &args.params.join(","))?;
    let own: Vec<&str> = stage.info().params.iter().map(|s| s.name).collect();
    let mut solver = std::collections::BTreeMap::new();
    let mut params = Params::new("spectrum", Default::default());
    for (k, v) in flat.values() {
        if k != "solver" && own.contains(&k.as_str()) {
            params.set(k, v.clone());
        } else if k != "solver" {
            solver.insert(k.clone(), v.clone());
        }
    }
    solver.insert("plugin".into(), ParamValue::Text(args.solver.clone()));
    params.set("solver", ParamValue::Map(solver));
    if let Some(file) = &args.potential {
        if args.elements.is_empty() {
            anyhow::bail!("--potential needs --elements (e.g. --elements Cu,Zr)");
        }
        let pot = super::potential_args::potential_params(
            "spectrum.potential",
            &args.elements,
            Some(file),
            &[],
        )?;
        let mut map = pot.values().clone();
        map.insert("plugin".into(), ParamValue::Text(args.kind.clone()));
        params.set("potential", ParamValue::Map(map));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let inputs: Vec<StageInput> = args
        .hessian
        .iter()
        .map(|dir| StageInput {
            stage: "hessian".into(),
            kind: "hessian".into(),
            branch: String::new(),
            dir: dir.clone(),
        })
        .collect();
    let bars = Bars::new();
    let bar = bars.started("spectrum");
    let ctx = StageContext {
        params: &params,
        inputs: &inputs,
        out_dir: &args.out,
        registry: &registry,
        progress: bar.as_ref(),
    };
    let summary = stage.run(&ctx).with_context(|| {
        let dirs: Vec<String> = args
            .hessian
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        format!("spectrum of {}", dirs.join(", "))
    });
    drop(bar);
    let summary = summary?;
    let text = nonaffine_workflow::yaml::to_string(&summary).map_err(|e| anyhow::anyhow!("{e}"))?;
    outln!("{text}");
    eprintln!("wrote {}", args.out.join("spectrum.json").display());
    Ok(())
}
